"""Property-based fuzzing of the live session server (hypothesis).

Requests are built from the 33 operations' path templates with fuzzed segments (valid
IDs of a real vault, upload, archive and job; hostile and random text), fuzzed query
parameters, headers (Content-Range, Content-Length mismatches, the two hash headers,
part size, descriptions, archive size, Range, dates) and bodies (JSON documents of the
right structure with fuzzed values, and raw garbage). They go out byte for byte on raw
sockets. Every answer must be a documented success status, or a Glacier JSON error
(`code`, `message`, `type`) with the status the error table gives its code — and never
a 5xx: no fuzzed input is a server-side failure. A request whose body is cut short
(Content-Length larger than what is sent) may instead see the connection closed.

Isolation: the requests carry a SigV4-style credential of their own 12-digit account and
region, so fuzzed account-wide settings (retrieval policy, provisioned capacity) and
vaults never reach the other tests on the session server.

Afterwards the server must answer /_mock/health and its resident memory must stay below
RSS_LIMIT_MIB. FUZZ_EXAMPLES=N raises every test's example count to N (soak runs).
"""

from __future__ import annotations

import json
import os
import re
import string
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpers import (
    MIB, OPERATION_PATHS, check_glacier_error, raw_http, raw_request_bytes, random_account,
    sha256_hex, tree_hash,
)

FUZZ_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "0"))
RSS_LIMIT_MIB = 200
SUCCESS = {200, 201, 202, 204, 206}
ACCOUNT = random_account()
REGION = "eu-fuzz-1"
AUTH = (f"AWS4-HMAC-SHA256 Credential={ACCOUNT}/20260101/{REGION}/glacier/aws4_request, "
        f"SignedHeaders=host;x-amz-date, Signature={'0' * 64}")
VAULT = "fuzz-vault"


def fuzz_settings(default: int):
    return settings(max_examples=FUZZ_EXAMPLES or default, deadline=None, derandomize=False,
                    suppress_health_check=list(HealthCheck), database=None)


class Target:
    """The session server plus a vault of the fuzz account with real IDs in it."""

    def __init__(self, server):
        self.server = server
        self.ids: dict[str, list[str]] = {}
        self.dirty = True
        self.config_dirty = False
        self.answers: dict[int, int] = {}

    def send(self, method: bytes, target: bytes, headers: dict | None = None, body: bytes = b"",
             content_length: int | None = None):
        h = {"Authorization": AUTH}
        h.update(headers or {})
        if content_length is not None:
            h["Content-Length"] = str(content_length)
        resp = raw_http(self.server.port, raw_request_bytes(method, target, h, body))
        if resp is not None:
            self.answers[resp[0]] = self.answers.get(resp[0], 0) + 1
            if method != b"GET" and resp[0] in SUCCESS:
                self.dirty = True
                if any(k in target for k in (b"lock-policy", b"access-policy", b"data-retrieval")):
                    self.config_dirty = True
        return resp

    def ok(self, method: str, path: str, headers=None, body=b"") -> dict:
        status, h, b = self.send(method.encode(), path.encode(), headers, body)
        assert status in SUCCESS, (method, path, status, b[:300])
        return h

    def reset_config(self):
        """Drops Deny policies and retrieval limits a fuzzed request set (they would turn
        every later request into the same 403/400 and hide the deeper checks)."""
        self.config_dirty = False
        self.send(b"DELETE", f"/-/vaults/{VAULT}/lock-policy".encode())
        self.send(b"DELETE", f"/-/vaults/{VAULT}/access-policy".encode())
        self.send(b"PUT", b"/-/policies/data-retrieval", {"Content-Type": "application/json"},
                  b'{"Policy":{"Rules":[{"Strategy":"None"}]}}')
        self.config_dirty = False

    def ensure(self):
        """(Re)creates the vault and its upload, archive and jobs when fuzzing removed them."""
        if self.config_dirty:
            self.reset_config()
        if not self.dirty:
            return
        self.dirty = False
        status, _, _ = self.send(b"GET", f"/-/vaults/{VAULT}".encode())
        if status == 200 and self.ids:
            return
        self.ok("PUT", f"/-/vaults/{VAULT}")
        self.reset_config()
        data = b"fuzz" * 300_000
        h = self.ok("POST", f"/-/vaults/{VAULT}/archives", {
            "x-amz-sha256-tree-hash": tree_hash(data), "x-amz-content-sha256": sha256_hex(data)}, data)
        archive = h["x-amz-archive-id"]
        upload = self.ok("POST", f"/-/vaults/{VAULT}/multipart-uploads",
                         {"x-amz-part-size": str(MIB)})["x-amz-multipart-upload-id"]
        part = b"p" * MIB
        self.ok("PUT", f"/-/vaults/{VAULT}/multipart-uploads/{upload}", {
            "Content-Range": f"bytes 0-{MIB - 1}/*", "x-amz-sha256-tree-hash": tree_hash(part),
            "x-amz-content-sha256": sha256_hex(part)}, part)
        job = self.ok("POST", f"/-/vaults/{VAULT}/jobs", {}, json.dumps(
            {"Type": "archive-retrieval", "ArchiveId": archive}).encode())["x-amz-job-id"]
        # The vault's inventory (Glacier's daily one, taken now): an inventory job needs one.
        self.ok("POST", "/_mock/inventory", {"Content-Type": "application/json"}, json.dumps({"VaultName": VAULT}).encode())
        inv = self.ok("POST", f"/-/vaults/{VAULT}/jobs", {}, b'{"Type":"inventory-retrieval"}')["x-amz-job-id"]
        self.ids = {"accountId": ["-", ACCOUNT], "vaultName": [VAULT], "uploadId": [upload],
                    "archiveId": [archive], "jobId": [job, inv], "lockId": ["lock"]}
        self.dirty = False


@pytest.fixture(scope="module")
def target(server):
    t = Target(server)
    t.ensure()
    return t


# ------------------------------------------------------------------ strategies

HOSTILE = ["..", ".", "%2e%2e", "%2F", "a%2Fb", "%00", "%", "%zz", "%ff", "-", "*", "A" * 1000,
           "A" * 10000, "%2e%2e%2f" * 50, "%E2%80%AE", "~", "123456789012", "000000000000"]
texts = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40)
ascii_texts = st.text(alphabet=string.printable, max_size=60)
numbers = st.one_of(st.integers(-5, 5), st.integers(0, 2 ** 70), st.sampled_from(
    [MIB, MIB - 1, MIB + 1, 2 * MIB, 4 * 1024 * MIB, 4 * 1024 * MIB + 1, 2 ** 63 - 1, 2 ** 63, 2 ** 64]))
num_texts = st.one_of(numbers.map(str), ascii_texts, st.sampled_from(["", " 1", "1 ", "+1", "0x10", "1e3", "1.0", "-0"]))
# JSON of any shape, two levels deep (hypothesis' recursive strategies cost more to draw
# than the request costs to send).
json_scalars = st.one_of(st.none(), st.booleans(), numbers, st.floats(allow_nan=False, allow_infinity=False), texts)
json_values = st.one_of(json_scalars, st.lists(json_scalars, max_size=3),
                        st.dictionaries(texts, st.one_of(json_scalars, st.lists(json_scalars, max_size=2)), max_size=3))


def header_value(s: str) -> str:
    """Header values stay valid HTTP (VCHAR, SP, HTAB, obs-text): the HTTP parser answers
    control characters with a bare 400 before any Glacier code runs (the raw-socket test
    covers that)."""
    return "".join(ch for ch in s if ch == "\t" or (ord(ch) >= 0x20 and ord(ch) != 0x7f)).strip(" \t")


# Placeholders drawn by the strategies and replaced by the live IDs when sending, so the
# strategies are built once (building them per example costs more than the request).
ARCHIVE = "@@ARCHIVE@@"
FUZZED_SEGMENT = st.one_of(
    st.sampled_from(HOSTILE), texts.map(lambda s: quote(s, safe="")),
    st.text(alphabet=string.ascii_letters + string.digits + "-_.%", min_size=1, max_size=40))
HASH_KIND = st.one_of(st.sampled_from(["tree", "linear", "zero", "upper"]),
                      st.text(alphabet="0123456789abcdef", min_size=64, max_size=64), ascii_texts)


def hash_value(kind: str, body: bytes) -> str:
    return {"tree": lambda: tree_hash(body), "linear": lambda: sha256_hex(body), "zero": lambda: "0" * 64,
            "upper": lambda: tree_hash(body).upper()}.get(kind, lambda: kind)()


HEADERS = st.fixed_dictionaries({}, optional={
    "Content-Range": st.one_of(
        st.builds(lambda a, n: ("range", a, n), st.sampled_from([0, MIB, 2 * MIB, 5]),
                  st.sampled_from(["len", "len+1", MIB, 1])),
        st.builds(lambda a, b: f"bytes {a}-{b}/*", num_texts, num_texts),
        ascii_texts, st.just("bytes 0-0/1"), st.just("bytes=0-1")),
    "x-amz-sha256-tree-hash": HASH_KIND.map(lambda k: ("hash", k)),
    "x-amz-content-sha256": HASH_KIND.map(lambda k: ("hash", k)),
    "x-amz-part-size": num_texts,
    "x-amz-archive-description": st.one_of(ascii_texts, texts, st.just("d" * 1025)),
    "x-amz-archive-size": num_texts,
    "Range": st.one_of(st.builds(lambda a, b: f"bytes={a}-{b}", num_texts, num_texts), ascii_texts),
    "Date": st.one_of(ascii_texts, st.just("Thu, 01 Jan 1970 00:00:00 GMT")),
    "x-amz-date": st.one_of(ascii_texts, st.just("20260101T000000Z"), st.just("99999999T999999Z")),
    "Content-Type": st.sampled_from(["application/json", "application/octet-stream", "text/plain", "\u00ff"]),
    "x-amz-glacier-version": st.sampled_from(["2012-06-01", "2000-01-01", ""]),
    "Expect": st.just("100-continue"),
})


def resolve_headers(drawn: dict, body: bytes) -> dict:
    out = {}
    for name, v in drawn.items():
        if isinstance(v, tuple) and v[0] == "hash":
            v = hash_value(v[1], body)
        elif isinstance(v, tuple) and v[0] == "range":
            n = {"len": len(body) or 1, "len+1": len(body) + 1}.get(v[2], v[2])
            v = f"bytes {v[1]}-{v[1] + n - 1}/*"
        out[name] = header_value(v)
    return out


def mostly(valid, other=None):
    """Three to one for `valid`: a structure with mostly sound values reaches deeper checks."""
    return st.tuples(st.randoms(use_true_random=True), valid, other if other is not None else json_values).map(
        lambda t: t[1] if t[0].random() < 0.75 else t[2])


_statement = st.fixed_dictionaries({}, optional={
    "Sid": texts, "Effect": st.one_of(st.sampled_from(["Allow", "Deny"]), texts),
    "Principal": st.one_of(st.just("*"), json_values),
    "Action": st.one_of(st.sampled_from(["glacier:*", "glacier:DeleteArchive", "glacier:UploadArchive"]), json_values),
    "Resource": st.one_of(st.just("*"), texts),
    "Condition": st.one_of(st.just({"NumericLessThan": {"glacier:ArchiveAgeInDays": "1"}}), json_values),
})
POLICY_DOC = st.one_of(st.fixed_dictionaries({"Version": st.sampled_from(["2012-10-17", "x"]),
                                              "Statement": st.lists(_statement, max_size=3)}), json_values)
_archive = st.one_of(st.just(ARCHIVE), json_values)
_rule = st.fixed_dictionaries({}, optional={
    "Strategy": st.one_of(st.sampled_from(["BytesPerHour", "FreeTier", "None"]), json_values),
    "BytesPerHour": st.one_of(numbers, json_values)})
JSON_DOCS = {
    "InitiateJob": st.fixed_dictionaries({
        "Type": mostly(st.sampled_from(["archive-retrieval", "inventory-retrieval", "select"])),
    }, optional={
        "ArchiveId": mostly(st.just(ARCHIVE)),
        "Tier": mostly(st.sampled_from(["Expedited", "Standard", "Bulk"])),
        "RetrievalByteRange": mostly(st.sampled_from(["0-1048575", "0-1199999", "1048576-1199999"]),
                                     st.builds(lambda a, b: f"{a}-{b}", num_texts, num_texts)),
        "Description": mostly(ascii_texts), "SNSTopic": mostly(st.just("arn:aws:sns:us-east-1:123456789012:fuzz")),
        "Format": mostly(st.sampled_from(["JSON", "CSV"])),
        "InventoryRetrievalParameters": mostly(st.fixed_dictionaries({}, optional={
            "StartDate": mostly(st.just("2020-01-01T00:00:00Z")),
            "EndDate": mostly(st.just("2099-01-01T00:00:00Z")),
            "Limit": mostly(st.sampled_from(["1", "2", "1000"]), num_texts), "Marker": _archive})),
    }),
    "SetVaultAccessPolicy": st.one_of(st.fixed_dictionaries({"Policy": st.one_of(POLICY_DOC.map(json.dumps), json_values)}),
                                      json_values),
    "AddTagsToVault": st.one_of(st.fixed_dictionaries({"Tags": st.one_of(st.dictionaries(texts, texts, max_size=60), json_values)}),
                                json_values),
    "RemoveTagsFromVault": st.one_of(st.fixed_dictionaries({"TagKeys": st.one_of(st.lists(texts, max_size=60), json_values)}),
                                     json_values),
    "SetVaultNotifications": st.one_of(st.fixed_dictionaries({}, optional={
        "SNSTopic": st.one_of(st.just("arn:aws:sns:us-east-1:123456789012:t"), json_values),
        "Events": st.one_of(st.lists(st.sampled_from(["ArchiveRetrievalCompleted", "InventoryRetrievalCompleted", "x"])),
                            json_values)}), json_values),
    "SetDataRetrievalPolicy": st.one_of(st.fixed_dictionaries({"Policy": st.one_of(
        st.fixed_dictionaries({"Rules": st.one_of(st.lists(_rule, max_size=3), json_values)}), json_values)}),
        json_values),
}
JSON_DOCS["InitiateVaultLock"] = JSON_DOCS["SetVaultAccessPolicy"]
GARBAGE = st.one_of(st.binary(max_size=300), st.just(b"{" * 5000), st.just(b"\xff\xfe{}"),
                    st.just(b'{"a":' * 300 + b"1" + b"}" * 300))
JSON_BODIES = {op: st.tuples(st.randoms(use_true_random=True), doc, GARBAGE).map(
    lambda t: json.dumps(t[1]).encode() if t[0].random() < 0.8 else t[2]) for op, doc in JSON_DOCS.items()}
QUERY_VALUES = st.one_of(num_texts, st.sampled_from(["true", "false", "Succeeded", "InProgress", "add"]))
METHODS = st.sampled_from(["GET", "PUT", "POST", "DELETE", "PATCH", "OPTIONS"])


@st.composite
def requests_strategy(draw, ops=None):
    """(op, method, path with placeholders, drawn headers, body, declared Content-Length)."""
    op = draw(st.sampled_from(sorted(ops or OPERATION_PATHS)))
    method, template, query = OPERATION_PATHS[op]
    # Weighted choices from one drawn Random: hypothesis' own integer draws favour the
    # bounds, which would skew the mix below.
    rnd = draw(st.randoms(use_true_random=True))
    if rnd.random() < 0.1:
        method = draw(METHODS)
    path = template
    for name in ("accountId", "vaultName", "uploadId", "archiveId", "jobId", "lockId"):
        if "{" + name + "}" in path:
            # Mostly a live ID, so most requests get past the first check to the deeper ones.
            if rnd.random() < 0.85:
                value = f"\x00{name}:{draw(st.integers(0, 1))}\x00"
            else:
                value = draw(FUZZED_SEGMENT)
            path = path.replace("{" + name + "}", value)
    params = [query.lstrip("?")] if query else []
    for key in ("limit", "marker", "completed", "statuscode", "operation"):
        if rnd.random() < 0.2:
            params.append(f"{key}={quote(draw(QUERY_VALUES), safe='')}")
    if params:
        path += "?" + "&".join(params)
    structured = rnd.random() < 0.85
    if op in ("UploadArchive", "UploadMultipartPart") and structured:
        body = draw(st.binary(max_size=2048))
    elif structured and op in JSON_BODIES:
        body = draw(JSON_BODIES[op])
    elif structured:
        body = draw(st.one_of(st.just(b""), json_values.map(lambda d: json.dumps(d).encode())))
    else:
        body = draw(GARBAGE)
    headers = draw(HEADERS)
    content_length = None
    if rnd.random() < 0.1:
        content_length = max(0, len(body) + draw(st.sampled_from([-3, -1, 1, 1000])))
    return op, method, path, headers, body, content_length


def resolve(target: Target, req):
    """Fills in the live IDs and the hash/range headers computed from the body."""
    op, method, path, headers, body, content_length = req

    def live(m):
        name, k = m.group(1), int(m.group(2))
        ids = target.ids.get(name) or ["x"]
        return ids[k % len(ids)]
    path = re.sub("\x00(\\w+):(\\d)\x00", live, path)
    body = body.replace(ARCHIVE.encode(), (target.ids.get("archiveId") or ["x"])[0].encode())
    return op, method, path, resolve_headers(headers, body), body, content_length


def check_answer(target: Target, req, resp):
    op, method, path, headers, body, content_length = req
    ctx = f"{op} {method} {path[:150]} headers={headers} body={body[:80]!r} content_length={content_length}"
    if resp is None:
        # Only a body cut short (declared longer than sent) may end without an answer.
        assert content_length is not None and content_length > len(body), f"connection closed: {ctx}"
        return
    status, _h, rbody = resp
    assert status < 500, f"HTTP {status} {rbody[:400]!r}\nrequest: {ctx}"
    if status in SUCCESS:
        return
    assert 400 <= status < 500, f"undocumented status {status} {rbody[:200]!r}: {ctx}"
    if content_length is not None and not rbody:
        return
    check_glacier_error(status, rbody, ctx)


def run_one(target: Target, req):
    target.ensure()
    req = resolve(target, req)
    op, method, path, headers, body, content_length = req
    resp = target.send(method.encode(), path.encode("utf-8"), headers, body, content_length)
    check_answer(target, req, resp)


# ------------------------------------------------------------------ tests

def test_fuzzed_requests_over_all_operations(target):
    @fuzz_settings(250)
    @given(req=requests_strategy())
    def fuzz(req):
        run_one(target, req)
    fuzz()


def test_fuzzed_json_bodies(target):
    # InitiateJob three times over: its document has the most members to get right.
    ops = ["InitiateJob"] * 3 + ["SetVaultAccessPolicy", "AddTagsToVault", "RemoveTagsFromVault",
                                 "SetVaultNotifications", "InitiateVaultLock", "SetDataRetrievalPolicy"]

    @fuzz_settings(200)
    @given(req=requests_strategy(ops))
    def fuzz(req):
        run_one(target, req)
    fuzz()


def test_fuzzed_upload_headers(target):
    ops = ["UploadArchive", "UploadMultipartPart", "CompleteMultipartUpload", "InitiateMultipartUpload",
           "GetJobOutput"]

    @fuzz_settings(150)
    @given(req=requests_strategy(ops))
    def fuzz(req):
        run_one(target, req)
    fuzz()


REQUEST_LINES = [
    b"", b"\r\n\r\n", b"GET\r\n\r\n", b"GET / HTTP/9.9\r\n\r\n", b"GET / HTTP/1.1\r\n\r\n",
    b"GET /-/vaults HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n",
    b"GET /-/vaults HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
    b"GET /-/vaults HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
    b"POST /-/vaults/v/archives HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n0\r\n\r\n",
    b"GET /" + b"a" * 100_000 + b" HTTP/1.1\r\nHost: x\r\n\r\n",
    b"GET / HTTP/1.1\r\n" + b"X: " + b"y" * 100_000 + b"\r\n\r\n",
    b"GET / HTTP/1.1\r\n" + b"".join(b"H%d: v\r\n" % i for i in range(3000)) + b"\r\n",
    b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03",  # a TLS ClientHello
    b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
    b"GET /-/vaults HTTP/1.1\r\nHost: x\r\nFoo bar\r\n\r\n",
    b"G\x00T / HTTP/1.1\r\n\r\n",
]


def test_raw_socket_garbage_gets_400_or_a_closed_connection(target):
    @fuzz_settings(120)
    @given(data=st.one_of(st.sampled_from(REQUEST_LINES), st.binary(max_size=600),
                          st.builds(lambda m, t, rest: m + b" " + t + b" HTTP/1.1\r\n" + rest,
                                    st.sampled_from([b"GET", b"PUT", b"\xff", b"", b"get", b"G E T"]),
                                    st.binary(min_size=1, max_size=60), st.binary(max_size=200))))
    def fuzz(data):
        resp = raw_http(target.server.port, data, timeout=15)
        if resp is not None:
            status, _h, body = resp
            assert 400 <= status < 500 or status in SUCCESS, (data[:200], status, body[:200])
            if status >= 400 and body.lstrip().startswith(b"{"):
                check_glacier_error(status, body, repr(data[:100]))
    fuzz()


def test_server_healthy_and_bounded_after_fuzzing(target):
    import requests
    r = requests.get(target.server.endpoint + "/_mock/health", timeout=10)
    assert r.status_code == 200 and r.json() == {"status": "ok"}
    # still serving Glacier requests of the fuzz account
    status, _h, body = target.send(b"GET", b"/-/vaults")
    assert status == 200, body[:200]
    rss_mib = target.server.memory_kib("VmRSS") / 1024
    print(f"answers by status: {dict(sorted(target.answers.items()))}; server RSS {rss_mib:.1f} MiB")
    assert rss_mib < RSS_LIMIT_MIB, f"server RSS {rss_mib:.1f} MiB after fuzzing (limit {RSS_LIMIT_MIB} MiB)"
