"""Hostile names and IDs in every path position of every operation.

Vault names, upload/archive/job/lock IDs and account IDs such as `..`, `%2e%2e`, `%2F`,
`a/b`, `/etc`, `%00`, malformed escapes and 1,000/10,000-character strings are sent byte
for byte (raw sockets: no client normalises them). Each answer must be a Glacier JSON
error with its documented 4xx status — never 5xx; a value that happens to be a valid vault
name (`..` is one: `a-zA-Z0-9_-.`) may also succeed. Raw control bytes in the request
line, which the HTTP parser refuses, must get 400 or a closed connection.

The file system is checked afterwards: nothing was created or removed next to the data
dir or in /tmp (a unique token is in every traversal value), the data dir holds only
glacier-mock's own files, and no response carried the content of a file outside it
(a sentinel next to the data dir, /etc/passwd).
"""

from __future__ import annotations

import json
import os
import re
import uuid
from pathlib import Path
from urllib.parse import quote

import pytest

from helpers import (
    describe_after_inventory, take_inventory,
    MIB, OPERATION_PATHS as TEMPLATES, assert_blobs_match_metadata, check_glacier_error, create_archive,
    initiate, raw_http, raw_request_bytes, retrieval_job, temporaries, upload_part,
)


VAULT_NAME_RE = re.compile(r"^[A-Za-z0-9_.\-]{1,255}$")
PASSWD_MARK = b"root:x:0:0"


def hostile_values(token: str, victim: Path) -> list[bytes]:
    """Path-segment values, as raw bytes of the request target."""
    abs_victim = quote(str(victim), safe="")
    rel = "..%2F" * 12
    return [
        b"..", b".", b"...", b"%2e%2e", b"%2E%2E", b".%2e", b"%2e.", b"%2F", b"%2f%2f",
        b"a/b", b"/etc", b"../../../../etc/passwd", b"%2e%2e%2f%2e%2e%2fetc%2fpasswd",
        f"{rel}etc%2Fpasswd".encode(), f"{rel}tmp%2F{token}".encode(), f"%2Ftmp%2F{token}".encode(),
        f"..%2F..%2F{token}".encode(), f"..%2F..%2Fsentinel%2Fvictim".encode(), abs_victim.encode(),
        f"..%5C..%5C{token}".encode(), b"%00", b"a%00b", f"%00..%2F{token}".encode(), b"%",
        b"%zz", b"%2", b"%c0%ae%c0%ae", b"%ff%fe", b"%E2%80%AE", b"~root", b"*", b"-", b"%2D",
        b"A" * 1000, b"A" * 10000, b"%2e" * 3000, b"..%2F" * 2000,
        f"{token}%0D%0AX-Injected:%201".encode(),
    ]


KEY_VALUES = {b"..", b"%2e%2e", b"%2F", b"a/b", b"/etc", b"%00", b"A" * 1000, b"A" * 10000,
              b"..%2F..%2Fsentinel%2Fvictim"}
CONTROL_VALUES = [b"\x00", b"a\x00b", b"a b", b"\r\nX: y", b"\x7f", b"\t"]


def decoded(value: bytes) -> str | None:
    """What the server's strict percent-decoding yields (None: not decodable)."""
    out = bytearray()
    i = 0
    while i < len(value):
        c = value[i]
        if c == 0x25:
            h = value[i + 1:i + 3]
            if len(h) < 2 or not all(ch in b"0123456789abcdefABCDEF" for ch in h):
                return None
            out.append(int(h, 16))
            i += 3
        else:
            out.append(c)
            i += 1
    try:
        return out.decode("utf-8")
    except UnicodeDecodeError:
        return None


@pytest.fixture
def setup(fresh_server, tmp_path):
    sentinel = tmp_path / "sentinel"
    sentinel.mkdir()
    victim = sentinel / "victim"
    secret = f"victim-secret-{uuid.uuid4().hex}".encode()
    victim.write_bytes(secret)
    srv = fresh_server(data_dir=tmp_path / "data")
    c = srv.client()
    c.create_vault(accountId="-", vaultName="trav")
    archive_id = create_archive(c, "trav", b"x" * 1000)["archiveId"]
    take_inventory(srv.endpoint, "trav")   # inventory jobs below read the vault's inventory
    upload_id = initiate(c, "trav")
    upload_part(c, "trav", upload_id, 0, b"p" * MIB)
    job_id = retrieval_job(c, "trav", archive_id)
    valid = {"accountId": "-", "vaultName": "trav", "uploadId": upload_id, "archiveId": archive_id,
             "jobId": job_id, "lockId": "nolock"}
    return srv, valid, victim, secret, tmp_path


def snapshot(root: Path, skip: Path) -> dict:
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        if Path(dirpath) == skip or skip in Path(dirpath).parents:
            dirnames[:] = []
            continue
        for name in dirnames + filenames:
            p = Path(dirpath) / name
            if p != skip and not p.name.endswith(".log"):
                out[str(p)] = p.stat().st_size if p.is_file() else "dir"
    return out


def test_hostile_path_segments_get_4xx_json_and_touch_nothing_outside(setup):
    srv, valid, victim, secret, base = setup
    token = f"glmock-trav-{uuid.uuid4().hex[:10]}"
    before = snapshot(base, srv.data_dir)
    tmp_before = set(os.listdir("/tmp"))
    failures, counted = [], 0

    values = hostile_values(token, victim)
    for n, (op, (method, template, query)) in enumerate(TEMPLATES.items()):
        positions = re.findall(r"\{(\w+)\}", template)
        for pos in positions:
            # Every position gets the key values; the others rotate over the operations,
            # so each (value, position kind) is still sent to many operations.
            for i, value in enumerate(values):
                if value not in KEY_VALUES and (i + n) % 3:
                    continue
                target = template
                for p in positions:
                    target = target.replace("{" + p + "}", "\0" if p == pos else valid[p])
                target_b = target.encode().replace(b"\0", value) + query.encode()
                body = b'{"Type":"inventory-retrieval"}' if op == "InitiateJob" else b""
                resp = raw_http(srv.port, raw_request_bytes(method.encode(), target_b, body=body))
                counted += 1
                ctx = f"{op} {pos}={value[:60]!r}"
                if resp is None:
                    failures.append(f"{ctx}: connection closed without an answer")
                    continue
                status, headers, rbody = resp
                if PASSWD_MARK in rbody or secret in rbody:
                    failures.append(f"{ctx}: the answer carries a file from outside the data dir")
                text = decoded(value)
                may_succeed = (pos == "vaultName" and text is not None and VAULT_NAME_RE.match(text)) or \
                              (pos == "accountId" and text == "-")
                if status >= 500 or (status < 400 and not may_succeed):
                    failures.append(f"{ctx}: HTTP {status} {rbody[:200]!r}")
                    continue
                if status >= 400:
                    try:
                        check_glacier_error(status, rbody, ctx)
                    except AssertionError as e:
                        failures.append(str(e))
                if any(k.startswith("x-injected") for k in headers):
                    failures.append(f"{ctx}: a header was injected")
    assert counted > 1000
    assert not failures, f"{len(failures)} of {counted} requests:\n" + "\n".join(failures[:40])
    assert srv.running()

    # Nothing created, removed or resized outside the data dir; nothing with the token anywhere.
    assert snapshot(base, srv.data_dir) == before
    assert victim.read_bytes() == secret
    new_tmp = set(os.listdir("/tmp")) - tmp_before
    assert not [n for n in new_tmp if token in n], new_tmp
    for root in (Path("/tmp"), Path("/"), base, base.parent, Path("/etc")):
        assert not (root / token).exists(), f"{root / token} was created"
    for dirpath, dirnames, filenames in os.walk(base.parent):
        assert not [n for n in dirnames + filenames if token in n], dirpath
    # The data dir holds glacier-mock's files only.
    names = {p.name for p in srv.data_dir.iterdir()}
    assert names <= {"glacier.sqlite", "glacier.sqlite-wal", "glacier.sqlite-shm", "blobs", "tmp", "space-reserve"}, names
    assert temporaries(srv.data_dir) == []
    assert_blobs_match_metadata(srv.data_dir)


def test_control_bytes_in_the_request_line_get_400_or_a_closed_connection(setup):
    srv, valid, _victim, _secret, _base = setup
    for value in CONTROL_VALUES:
        for target in (b"/-/vaults/" + value, b"/-/vaults/trav/jobs/" + value + b"/output",
                       b"/" + value + b"/vaults", b"/-/vaults/trav/multipart-uploads/" + value):
            resp = raw_http(srv.port, raw_request_bytes(b"GET", target))
            if resp is not None:
                status, _headers, body = resp
                assert 400 <= status < 500, (target, status, body[:200])
                if body and body.lstrip().startswith(b"{"):
                    check_glacier_error(status, body, repr(target))
    r = raw_http(srv.port, raw_request_bytes(b"GET", b"/_mock/health"))
    assert r is not None and r[0] == 200


def test_ids_in_bodies_and_queries_cannot_reach_files(setup):
    srv, valid, victim, secret, _base = setup
    c = srv.client()
    rel = "../" * 12
    names = [f"{rel}etc/passwd", "/etc/passwd", str(victim), f"../../sentinel/victim",
             f"{rel}{str(victim).lstrip('/')}", "..", ".", "%2e%2e%2fetc%2fpasswd", "a\u0000b", "A" * 10000]

    def post_job(params: dict):
        body = json.dumps(params).encode()
        return raw_http(srv.port, raw_request_bytes(b"POST", b"/-/vaults/trav/jobs", body=body))

    for name in names:
        for params in ({"Type": "archive-retrieval", "ArchiveId": name},
                       {"Type": "inventory-retrieval", "InventoryRetrievalParameters": {"Marker": name}},
                       {"Type": "archive-retrieval", "ArchiveId": valid["archiveId"], "SNSTopic": name}):
            status, headers, body = post_job(params)
            assert status < 500, (params, status, body[:200])
            if status >= 400:
                check_glacier_error(status, body, repr(params)[:100])
                assert "archive-retrieval" not in params.values() or "SNSTopic" in params or status == 404
            else:
                # Only the valid archive (with an odd topic) may start a job: its output is that archive.
                job_id = headers["x-amz-job-id"]
                out = raw_http(srv.port, raw_request_bytes(
                    b"GET", f"/-/vaults/trav/jobs/{job_id}/output".encode()))
                assert out[0] == 200 and out[2] == b"x" * 1000
        for target in (f"/-/vaults/trav/multipart-uploads?marker={quote(name, safe='')}",
                       f"/-/vaults/trav/jobs?marker={quote(name, safe='')}",
                       f"/-/vaults?marker={quote(name, safe='')}",
                       f"/-/vaults/trav/multipart-uploads/{valid['uploadId']}?marker={quote(name, safe='')}",
                       f"/-/vaults/trav/multipart-uploads?limit={quote(name, safe='')}"):
            status, _h, body = raw_http(srv.port, raw_request_bytes(b"GET", target.encode()))
            assert 400 <= status < 500, (target[:100], status, body[:200])
            check_glacier_error(status, body, target[:100])
            assert PASSWD_MARK not in body and secret not in body
        # DeleteArchive with an ID naming the sentinel must not remove it.
        status, _h, body = raw_http(srv.port, raw_request_bytes(
            b"DELETE", f"/-/vaults/trav/archives/{quote(name, safe='')}".encode()))
        assert status == 404 if len(name) < 10000 else 400 <= status < 500, (name[:40], status, body[:200])
        check_glacier_error(status, body, name[:40])
        assert victim.read_bytes() == secret
    # The real archive is untouched.
    assert describe_after_inventory(c, "trav")["NumberOfArchives"] == 1
