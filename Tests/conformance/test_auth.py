"""--auth sigv4: Signature Version 4 verification, credentials and account isolation.

One module server runs with two credentials (accounts A and B). Raw requests are signed
with botocore's own SigV4Auth / SigV4QueryAuth and then altered one part at a time; every
alteration must be refused with 403 InvalidSignatureException and change nothing.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import shutil
from dataclasses import dataclass, field, replace

import botocore.auth
import pytest
import requests
from botocore.auth import SigV4Auth, SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from helpers import (
    describe_after_inventory,
    HTTP_TIMEOUT, MIB, GlacierServer, assert_raw_error, blob, clean_env, create_archive, db_rows,
    expect_error, job_output, make_client, part_headers, raw, retrieval_job, sha256_hex, tree_hash,
    upload,
)

REGION = "us-east-1"
ACCOUNT_A, KEY_A, SECRET_A = "111122223333", "AKIAAUTHTESTA", "secretA/with+chars"
ACCOUNT_B, KEY_B, SECRET_B = "444455556666", "AKIAAUTHTESTB", "secret:B"
CREDENTIALS = f"{KEY_A}:{SECRET_A}:{ACCOUNT_A},{KEY_B}:{SECRET_B}:{ACCOUNT_B}"


@pytest.fixture(scope="module")
def auth_server(glacier_bin, tmp_path_factory):
    base = tmp_path_factory.mktemp("auth-server")
    srv = GlacierServer(glacier_bin, base / "data", base / "server.log",
                        args=("--auth", "sigv4", "--credentials", CREDENTIALS))
    srv.start()
    yield srv
    srv.close()


@pytest.fixture(scope="module")
def ep(auth_server) -> str:
    return auth_server.endpoint


@pytest.fixture(scope="module")
def client_a(ep):
    return make_client(ep, access_key=KEY_A, secret=SECRET_A)


@pytest.fixture(scope="module")
def client_b(ep):
    return make_client(ep, access_key=KEY_B, secret=SECRET_B)


@pytest.fixture
def vault_a(client_a, vault_name) -> str:
    name = vault_name()
    client_a.create_vault(accountId="-", vaultName=name)
    return name


# --------------------------------------------------------------------------
# raw requests signed by botocore
# --------------------------------------------------------------------------

@dataclass
class Signed:
    method: str
    url: str
    headers: dict = field(default_factory=dict)
    body: bytes = b""

    def send(self) -> requests.Response:
        return requests.request(self.method, self.url, headers=self.headers, data=self.body,
                                timeout=HTTP_TIMEOUT)

    @property
    def signed_headers(self) -> list[str]:
        auth = self.headers["Authorization"]
        return auth.split("SignedHeaders=")[1].split(",")[0].split(";")

    def header(self, lname: str) -> tuple[str, str]:
        for k, v in self.headers.items():
            if k.lower() == lname:
                return k, v
        raise KeyError(lname)


def sign(endpoint: str, method: str, path: str, query: str = "", headers: dict | None = None,
         body: bytes = b"", key: str = KEY_A, secret: str = SECRET_A, region: str = REGION) -> Signed:
    url = endpoint + path + (f"?{query}" if query else "")
    h = {"x-amz-glacier-version": "2012-06-01"}
    h.update(headers or {})
    req = AWSRequest(method=method, url=url, data=body, headers=h)
    SigV4Auth(Credentials(key, secret), "glacier", region).add_auth(req)
    return Signed(method, req.url, dict(req.headers.items()), body)


# A presigned URL carries no headers; the API version header is still required, unsigned.
VERSION = {"x-amz-glacier-version": "2012-06-01"}


def presign(endpoint: str, path: str, query: str = "", expires: int = 300,
            key: str = KEY_A, secret: str = SECRET_A) -> str:
    url = endpoint + path + (f"?{query}" if query else "")
    req = AWSRequest(method="GET", url=url)
    SigV4QueryAuth(Credentials(key, secret), "glacier", REGION, expires=expires).add_auth(req)
    return req.url


def flip(s: str, index: int = -1) -> str:
    """`s` with the alphanumeric character at or before `index` changed to another of its kind."""
    chars = list(s)
    i = index % len(chars)
    while not chars[i].isalnum():
        i -= 1
    c = chars[i]
    if c.isdigit():
        chars[i] = str((int(c) + 1) % 10)
    elif c.islower():
        chars[i] = chr((ord(c) - 97 + 1) % 26 + 97)
    else:
        chars[i] = chr((ord(c) - 65 + 1) % 26 + 65)
    return "".join(chars)


def shifted_clock(monkeypatch, delta: dt.timedelta):
    """Makes botocore sign with its clock moved by `delta`."""
    real = botocore.auth.get_current_datetime
    monkeypatch.setattr(botocore.auth, "get_current_datetime",
                        lambda *a, **kw: real(*a, **kw) + delta)


def assert_signature_error(resp: requests.Response, contains: str | None = None) -> dict:
    body = assert_raw_error(resp, "InvalidSignatureException", 403)
    if contains:
        assert contains in body["message"], body["message"]
    return body


def archive_count(auth_server, vault: str, account: str = ACCOUNT_A) -> int:
    return db_rows(auth_server.data_dir,
                   "SELECT count(*) FROM archives WHERE account_id = ? AND vault_name = ?",
                   (account, vault))[0][0]


def part_count(auth_server, upload_id: str) -> int:
    return db_rows(auth_server.data_dir, "SELECT count(*) FROM parts WHERE upload_id = ?", (upload_id,))[0][0]


# --------------------------------------------------------------------------
# the right credentials work
# --------------------------------------------------------------------------

def test_boto3_full_workflow(client_a, vault_name):
    name = vault_name()
    assert client_a.create_vault(accountId="-", vaultName=name)["location"] == f"/{ACCOUNT_A}/vaults/{name}"
    d = client_a.describe_vault(accountId=ACCOUNT_A, vaultName=name)  # explicit own account
    assert d["VaultARN"] == f"arn:aws:glacier:{REGION}:{ACCOUNT_A}:vaults/{name}"

    data = blob("auth-multipart", 2 * MIB + 123)
    done = create_archive(client_a, name, data)
    assert done["checksum"] == tree_hash(data)
    single = blob("auth-single", 5000)
    archive_id = upload(client_a, name, single, description="signed")["archiveId"]

    job_id = retrieval_job(client_a, name, done["archiveId"])
    assert client_a.describe_job(accountId="-", vaultName=name, jobId=job_id)["Completed"] is True
    _, out = job_output(client_a, name, job_id)
    assert out == data
    _, out = job_output(client_a, name, retrieval_job(client_a, name, archive_id))
    assert out == single
    client_a.delete_archive(accountId="-", vaultName=name, archiveId=archive_id)


def test_aws_cli_works(aws_bin, ep, vault_name, tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "GLACIER_MOCK_"))}
    env.update({
        "AWS_ACCESS_KEY_ID": KEY_B, "AWS_SECRET_ACCESS_KEY": SECRET_B, "AWS_DEFAULT_REGION": REGION,
        "AWS_CONFIG_FILE": str(tmp_path / "none"), "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"),
        "AWS_MAX_ATTEMPTS": "1",
    })

    def cli(*args, secret=None):
        e = dict(env, **({"AWS_SECRET_ACCESS_KEY": secret} if secret else {}))
        return subprocess.run([aws_bin, "--endpoint-url", ep, "--output", "json", "glacier", *args],
                              env=e, capture_output=True, text=True, timeout=120)

    name = vault_name()
    p = cli("create-vault", "--account-id", "-", "--vault-name", name)
    assert p.returncode == 0, p.stderr
    assert f"/{ACCOUNT_B}/vaults/{name}" in p.stdout
    f = tmp_path / "body"
    f.write_bytes(blob("cli-auth", 3000))
    p = cli("upload-archive", "--account-id", "-", "--vault-name", name, "--body", str(f))
    assert p.returncode == 0, p.stderr
    p = cli("list-vaults", "--account-id", "-")
    assert p.returncode == 0 and name in p.stdout, p.stderr
    p = cli("list-vaults", "--account-id", "-", secret="wrong")
    assert p.returncode != 0 and "InvalidSignatureException" in p.stderr, p.stderr


def test_raw_botocore_signed_requests_pass(ep, vault_a):
    path = f"/-/vaults/{vault_a}"
    r = sign(ep, "GET", path).send()
    assert r.status_code == 200, r.text
    r = sign(ep, "GET", "/-/vaults", query="limit=1").send()
    assert r.status_code == 200, r.text
    assert len(r.json()["VaultList"]) == 1
    body = b'{"Tags":{"team":"auth"}}'
    r = sign(ep, "POST", path + "/tags", query="operation=add", body=body).send()
    assert r.status_code == 204, r.text
    r = sign(ep, "GET", path + "/tags").send()
    assert r.json() == {"Tags": {"team": "auth"}}
    data = blob("raw-upload", 777)
    r = sign(ep, "POST", path + "/archives", body=data, headers={
        "x-amz-sha256-tree-hash": tree_hash(data), "x-amz-content-sha256": sha256_hex(data)}).send()
    assert r.status_code == 201, r.text
    # The `Date` header instead of x-amz-date (botocore then signs Date).
    r = sign(ep, "GET", path, headers={"Date": "set by the signer"}).send()
    assert r.status_code == 200, r.text


def test_curl_aws_sigv4_works(ep, vault_a):
    """curl's own SigV4 implementation, independent of botocore."""
    curl = shutil.which("curl")
    if curl is None:
        pytest.skip("curl not installed")
    out = subprocess.run(
        [curl, "-s", "-o", "-", "-w", "\n%{http_code}", "--aws-sigv4", f"aws:amz:{REGION}:glacier",
         "--user", f"{KEY_A}:{SECRET_A}", "-H", "x-amz-glacier-version: 2012-06-01",
         f"{ep}/-/vaults/{vault_a}"], capture_output=True, text=True, timeout=60)
    body, status = out.stdout.rsplit("\n", 1)
    assert status == "200", body
    assert f":{ACCOUNT_A}:vaults/{vault_a}" in body


def test_admin_endpoints_stay_open(fresh_server):
    srv = fresh_server(args=("--auth", "sigv4", "--credentials", CREDENTIALS))
    assert requests.get(srv.endpoint + "/_mock/health", timeout=HTTP_TIMEOUT).status_code == 200
    assert requests.post(srv.endpoint + "/_mock/reset", timeout=HTTP_TIMEOUT).status_code == 200
    assert requests.post(srv.endpoint + "/moto-api/reset", timeout=HTTP_TIMEOUT).status_code == 200
    assert_raw_error(raw(srv.endpoint, "GET", "/-/vaults"), "MissingAuthenticationTokenException", 400)


# --------------------------------------------------------------------------
# refusals
# --------------------------------------------------------------------------

def test_no_authentication_is_400(ep, vault_a):
    body = assert_raw_error(raw(ep, "GET", "/-/vaults"), "MissingAuthenticationTokenException", 400)
    assert body["message"] == "Missing Authentication Token"
    data = b"unsigned"
    r = raw(ep, "POST", f"/{ACCOUNT_A}/vaults/{vault_a}/archives", data=data, headers={
        "x-amz-sha256-tree-hash": tree_hash(data), "x-amz-content-sha256": sha256_hex(data)})
    assert_raw_error(r, "MissingAuthenticationTokenException", 400)


def test_unknown_access_key_is_400(ep):
    # 400: Glacier's error table (Developer Guide, Error Responses), as AWS's JSON services answer.
    with expect_error("UnrecognizedClientException", 400) as ei:
        make_client(ep, access_key="AKIAUNKNOWN", secret=SECRET_A).list_vaults(accountId="-")
    assert ei.value.response["Error"]["Message"] == "The security token included in the request is invalid."
    # A 12-digit key is not an account either, unless it is a configured key.
    with expect_error("UnrecognizedClientException", 400):
        make_client(ep, access_key=ACCOUNT_A, secret=SECRET_A).list_vaults(accountId="-")


def test_wrong_secret_is_403(ep):
    with expect_error("InvalidSignatureException", 403) as ei:
        make_client(ep, access_key=KEY_A, secret=SECRET_B).list_vaults(accountId="-")
    msg = ei.value.response["Error"]["Message"]
    assert msg.startswith("The request signature we calculated does not match the signature you provided.")
    assert "The Canonical String for this request should have been" in msg


def test_flipped_method_path_query_signature(ep, client_a, vault_a):
    path = f"/-/vaults/{vault_a}"
    # method: a signed DescribeVault replayed as DeleteVault
    s = sign(ep, "GET", path)
    assert_signature_error(replace(s, method="DELETE").send())
    client_a.describe_vault(accountId="-", vaultName=vault_a)  # still there
    # path: one character of the vault name
    assert_signature_error(replace(s, url=flip(s.url)).send())
    # query: a changed value, an added parameter, a dropped one
    q = sign(ep, "GET", "/-/vaults", query="limit=2")
    assert q.send().status_code == 200
    assert_signature_error(replace(q, url=q.url.replace("limit=2", "limit=3")).send())
    assert_signature_error(replace(q, url=q.url + "&marker=x").send())
    assert_signature_error(replace(q, url=q.url.split("?")[0]).send())
    # signature: each end of it
    auth = s.headers["Authorization"]
    for i in (-1, auth.index("Signature=") + len("Signature=")):
        assert_signature_error(replace(s, headers={**s.headers, "Authorization": flip(auth, i)}).send())


def test_flipped_signed_header_of_an_upload_part(ep, client_a, vault_a, auth_server):
    upload_id = client_a.initiate_multipart_upload(
        accountId="-", vaultName=vault_a, partSize=str(MIB))["uploadId"]
    path = f"/-/vaults/{vault_a}/multipart-uploads/{upload_id}"
    data = blob("signed-part", 4096)
    s = sign(ep, "PUT", path, body=data, headers=part_headers(data, 0))
    assert {"host", "x-amz-date", "x-amz-content-sha256", "x-amz-sha256-tree-hash", "content-range",
            "x-amz-glacier-version"} <= set(s.signed_headers)
    for lname in s.signed_headers:
        if lname == "host":
            name, value = "Host", s.url.split("/")[2]
        else:
            name, value = s.header(lname)
        headers = {k: v for k, v in s.headers.items() if k.lower() != lname}
        headers[name] = flip(value, 0) if lname == "host" else flip(value)
        assert_signature_error(replace(s, headers=headers).send())
        assert part_count(auth_server, upload_id) == 0, f"part stored after a flipped {lname}"
    assert s.send().status_code == 204
    assert part_count(auth_server, upload_id) == 1


def test_flipped_payload_is_refused_and_nothing_is_stored(ep, client_a, vault_a, auth_server):
    path = f"/-/vaults/{vault_a}"
    # UploadArchive: the signed x-amz-content-sha256 no longer matches the body.
    data = blob("signed-archive", MIB + 17)
    s = sign(ep, "POST", path + "/archives", body=data, headers={
        "x-amz-sha256-tree-hash": tree_hash(data), "x-amz-content-sha256": sha256_hex(data)})
    tampered = bytearray(data)
    tampered[MIB + 3] ^= 0x01
    assert_signature_error(replace(s, body=bytes(tampered)).send(), "x-amz-content-sha256")
    assert archive_count(auth_server, vault_a) == 0
    assert describe_after_inventory(client_a, vault_a)["NumberOfArchives"] == 0

    # UploadMultipartPart.
    upload_id = client_a.initiate_multipart_upload(accountId="-", vaultName=vault_a, partSize=str(MIB))["uploadId"]
    part = blob("signed-part-payload", MIB)
    p = sign(ep, "PUT", f"{path}/multipart-uploads/{upload_id}", body=part, headers=part_headers(part, 0))
    bad = bytearray(part)
    bad[0] ^= 0x80
    assert_signature_error(replace(p, body=bytes(bad)).send())
    assert part_count(auth_server, upload_id) == 0
    assert client_a.list_parts(accountId="-", vaultName=vault_a, uploadId=upload_id)["Parts"] == []

    # A JSON body (AddTagsToVault), signed over its SHA-256.
    t = sign(ep, "POST", path + "/tags", query="operation=add", body=b'{"Tags":{"k":"v1"}}')
    assert_signature_error(replace(t, body=b'{"Tags":{"k":"v2"}}').send())
    assert client_a.list_tags_for_vault(accountId="-", vaultName=vault_a)["Tags"] == {}

    # The untouched requests go through.
    assert s.send().status_code == 201
    assert p.send().status_code == 204
    assert t.send().status_code == 204
    assert archive_count(auth_server, vault_a) == 1


@pytest.mark.parametrize("secret", [SECRET_A, "wrong-secret"])
def test_upload_without_content_sha256_is_403(ep, client_a, vault_a, auth_server, secret):
    # Glacier signs an upload's payload through x-amz-content-sha256; without the header AWS
    # answers InvalidSignatureException (aws/aws-sdk-go-v2#1212: the Go SDK v2 omits it when
    # given a Checksum), with the right key as with a wrong one, before the body matters.
    path = f"/-/vaults/{vault_a}"
    data = blob("no-content-sha256", 3000)
    s = sign(ep, "POST", path + "/archives", body=data, secret=secret,
             headers={"x-amz-sha256-tree-hash": tree_hash(data)})
    assert "x-amz-content-sha256" not in {k.lower() for k in s.headers}
    assert_signature_error(s.send(), "x-amz-content-sha256")
    assert archive_count(auth_server, vault_a) == 0

    upload_id = client_a.initiate_multipart_upload(accountId="-", vaultName=vault_a, partSize=str(MIB))["uploadId"]
    part = blob("no-content-sha256-part", MIB)
    headers = {k: v for k, v in part_headers(part, 0).items() if k.lower() != "x-amz-content-sha256"}
    p = sign(ep, "PUT", f"{path}/multipart-uploads/{upload_id}", body=part, headers=headers, secret=secret)
    assert_signature_error(p.send(), "x-amz-content-sha256")
    assert part_count(auth_server, upload_id) == 0


def test_flipped_date_is_refused(ep, vault_a):
    s = sign(ep, "GET", f"/-/vaults/{vault_a}")
    name, value = s.header("x-amz-date")
    assert_signature_error(replace(s, headers={**s.headers, name: flip(value)}).send())
    # A credential scope whose date is not the request's.
    auth = s.headers["Authorization"]
    scope_date = auth.split("Credential=")[1].split("/")[1]
    other = auth.replace(f"/{scope_date}/", f"/{flip(scope_date)}/")
    assert_signature_error(replace(s, headers={**s.headers, "Authorization": other}).send(), "Date in Credential scope")


def test_scope_must_name_glacier(ep):
    s = sign(ep, "GET", "/-/vaults")
    auth = s.headers["Authorization"].replace("/glacier/aws4_request", "/s3/aws4_request")
    assert_signature_error(replace(s, headers={**s.headers, "Authorization": auth}).send(), "'glacier'")


@pytest.mark.parametrize("minutes, message", [(-20, "Signature expired"), (20, "Signature not yet current")])
def test_request_time_outside_15_minutes(ep, client_a, monkeypatch, minutes, message):
    shifted_clock(monkeypatch, dt.timedelta(minutes=minutes))
    assert_signature_error(sign(ep, "GET", "/-/vaults").send(), message)
    with expect_error("InvalidSignatureException", 403) as ei:
        make_client(ep, access_key=KEY_A, secret=SECRET_A).list_vaults(accountId="-")
    assert message in ei.value.response["Error"]["Message"]


def test_request_time_within_15_minutes(ep, monkeypatch):
    shifted_clock(monkeypatch, dt.timedelta(minutes=-14))
    assert sign(ep, "GET", "/-/vaults").send().status_code == 200
    shifted_clock(monkeypatch, dt.timedelta(minutes=28))  # now +14 in total
    assert sign(ep, "GET", "/-/vaults").send().status_code == 200


# --------------------------------------------------------------------------
# presigned URLs
# --------------------------------------------------------------------------

def test_presigned_get_passes(ep, client_a, vault_a):
    r = requests.get(presign(ep, f"/-/vaults/{vault_a}"), headers=VERSION, timeout=HTTP_TIMEOUT)
    assert r.status_code == 200, r.text
    assert r.json()["VaultARN"] == f"arn:aws:glacier:{REGION}:{ACCOUNT_A}:vaults/{vault_a}"
    r = requests.get(presign(ep, "/-/vaults", query="limit=1"), headers=VERSION, timeout=HTTP_TIMEOUT)
    assert r.status_code == 200, r.text
    assert len(r.json()["VaultList"]) == 1
    # boto3's own presigner (it signs only host).
    url = client_a.generate_presigned_url("list_vaults", Params={"accountId": "-", "limit": "2"})
    r = requests.get(url, headers={"x-amz-glacier-version": "2012-06-01"}, timeout=HTTP_TIMEOUT)
    assert r.status_code == 200, r.text


def test_presigned_tampered_or_expired_fails(ep, vault_a, monkeypatch):
    url = presign(ep, f"/-/vaults/{vault_a}")
    assert_signature_error(requests.get(flip(url), timeout=HTTP_TIMEOUT))  # the signature
    assert_signature_error(requests.get(url.replace(vault_a, flip(vault_a)), timeout=HTTP_TIMEOUT))
    assert_signature_error(requests.get(url.replace("X-Amz-Expires=300", "X-Amz-Expires=301"), timeout=HTTP_TIMEOUT))
    listing = presign(ep, "/-/vaults", query="limit=1")
    assert_signature_error(requests.get(listing.replace("limit=1", "limit=2"), timeout=HTTP_TIMEOUT))
    # Unknown key in a presigned URL.
    assert_raw_error(requests.get(presign(ep, "/-/vaults", key="AKIAUNKNOWN"), timeout=HTTP_TIMEOUT),
                     "UnrecognizedClientException", 400)
    # Expired: signed 10 minutes ago for 5 minutes.
    shifted_clock(monkeypatch, dt.timedelta(minutes=-10))
    old = presign(ep, f"/-/vaults/{vault_a}", expires=300)
    assert_signature_error(requests.get(old, timeout=HTTP_TIMEOUT), "Signature expired")
    # Not yet valid: signed 20 minutes ahead.
    shifted_clock(monkeypatch, dt.timedelta(minutes=30))
    assert_signature_error(requests.get(presign(ep, f"/-/vaults/{vault_a}"), headers=VERSION, timeout=HTTP_TIMEOUT),
                           "Signature not yet current")


# --------------------------------------------------------------------------
# two accounts
# --------------------------------------------------------------------------

def _vault_names(client):
    return [v["VaultName"] for page in client.get_paginator("list_vaults").paginate(accountId="-")
            for v in page["VaultList"]]


def test_accounts_are_isolated(client_a, client_b, vault_name):
    only_a = vault_name("onlya")
    shared = vault_name("shared")
    client_a.create_vault(accountId="-", vaultName=only_a)
    client_a.create_vault(accountId="-", vaultName=shared)
    client_b.create_vault(accountId="-", vaultName=shared)
    assert only_a in _vault_names(client_a) and only_a not in _vault_names(client_b)
    with expect_error("ResourceNotFoundException", 404):
        client_b.describe_vault(accountId="-", vaultName=only_a)
    assert client_b.describe_vault(accountId="-", vaultName=shared)["VaultARN"].endswith(
        f":{ACCOUNT_B}:vaults/{shared}")

    # uploads
    upload_id = client_a.initiate_multipart_upload(accountId="-", vaultName=shared, partSize=str(MIB))["uploadId"]
    with expect_error("ResourceNotFoundException", 404):
        client_b.list_parts(accountId="-", vaultName=shared, uploadId=upload_id)
    assert client_b.list_multipart_uploads(accountId="-", vaultName=shared)["UploadsList"] == []
    # archives
    data = blob("isolated", 1000)
    archive_id = upload(client_a, shared, data)["archiveId"]
    with expect_error("ResourceNotFoundException", 404):
        client_b.delete_archive(accountId="-", vaultName=shared, archiveId=archive_id)
    with expect_error("ResourceNotFoundException", 404):
        client_b.initiate_job(accountId="-", vaultName=shared,
                              jobParameters={"Type": "archive-retrieval", "ArchiveId": archive_id})
    # jobs
    job_id = retrieval_job(client_a, shared, archive_id)
    with expect_error("ResourceNotFoundException", 404):
        client_b.describe_job(accountId="-", vaultName=shared, jobId=job_id)
    with expect_error("ResourceNotFoundException", 404):
        client_b.get_job_output(accountId="-", vaultName=shared, jobId=job_id)
    assert client_b.list_jobs(accountId="-", vaultName=shared)["JobList"] == []
    _, out = job_output(client_a, shared, job_id)
    assert out == data

    # Naming the other account in the path.
    for call in (
        lambda: client_b.describe_vault(accountId=ACCOUNT_A, vaultName=only_a),
        lambda: client_b.list_vaults(accountId=ACCOUNT_A),
        lambda: client_b.delete_archive(accountId=ACCOUNT_A, vaultName=shared, archiveId=archive_id),
        lambda: client_b.describe_job(accountId=ACCOUNT_A, vaultName=shared, jobId=job_id),
        lambda: client_b.upload_archive(accountId=ACCOUNT_A, vaultName=shared, body=b"intruder"),
    ):
        with expect_error("AccessDeniedException", 403):
            call()
    assert describe_after_inventory(client_a, shared)["NumberOfArchives"] == 1
    client_a.describe_job(accountId=ACCOUNT_A, vaultName=shared, jobId=job_id)


# --------------------------------------------------------------------------
# configuration
# --------------------------------------------------------------------------

def test_credentials_from_file(fresh_server, tmp_path):
    f = tmp_path / "creds"
    f.write_text(f"# glacier-mock credentials\n\n{KEY_A}:{SECRET_A}:{ACCOUNT_A}\n"
                 f"  # AKIACOMMENTED:x:999999999999\n{KEY_B}:{SECRET_B}:{ACCOUNT_B}\n")
    srv = fresh_server(args=("--auth", "sigv4", "--credentials", f"@{f}"))
    b = make_client(srv.endpoint, access_key=KEY_B, secret=SECRET_B)
    assert b.create_vault(accountId="-", vaultName="fromfile")["location"] == f"/{ACCOUNT_B}/vaults/fromfile"
    with expect_error("UnrecognizedClientException", 400):
        make_client(srv.endpoint, access_key="AKIACOMMENTED", secret="x").list_vaults(accountId="-")


def test_configuration_from_environment(fresh_server):
    srv = fresh_server(env={"GLACIER_MOCK_AUTH": "sigv4",
                            "GLACIER_MOCK_CREDENTIALS": f"{KEY_A}:{SECRET_A}:{ACCOUNT_A}"})
    a = make_client(srv.endpoint, access_key=KEY_A, secret=SECRET_A)
    assert a.create_vault(accountId="-", vaultName="fromenv")["location"] == f"/{ACCOUNT_A}/vaults/fromenv"
    assert_raw_error(raw(srv.endpoint, "GET", "/-/vaults"), "MissingAuthenticationTokenException", 400)
    with expect_error("UnrecognizedClientException", 400):
        make_client(srv.endpoint, access_key=KEY_B, secret=SECRET_B).list_vaults(accountId="-")


def test_auth_none_accepts_anything(endpoint, vault_name):
    """The session server runs without --auth: garbage or no signatures are fine."""
    name = vault_name()
    for headers in ({"Authorization": "garbage"}, {"Authorization": "AWS4-HMAC-SHA256 nonsense"}, {}):
        assert raw(endpoint, "PUT", f"/-/vaults/{name}", headers=headers).status_code == 201
    assert raw(endpoint, "GET", "/-/vaults", headers={"Authorization": "AWS4-HMAC-SHA256 Credential="
               "AKID/20000101/us-east-1/glacier/aws4_request, SignedHeaders=host, Signature=00"}).status_code == 200
    c = make_client(endpoint, access_key="AKIDEXAMPLE", secret="anything")
    c.describe_vault(accountId="-", vaultName=name)


def _start_failure(glacier_bin, args=(), env=None) -> subprocess.CompletedProcess:
    return subprocess.run([str(glacier_bin), "serve", "--port", "0", *args], env=clean_env(env),
                          capture_output=True, text=True, timeout=30)


@pytest.mark.parametrize("args, env, expected", [
    (("--auth", "sigv4"), None, "--auth sigv4 needs --credentials"),
    ((), {"GLACIER_MOCK_AUTH": "sigv4"}, "--auth sigv4 needs --credentials"),
    (("--auth", "sigv4", "--credentials", "AKID:s3cr3tvalue:12345678901"), None, "12 digits"),
    (("--auth", "sigv4", "--credentials", "AKID:s3cr3tvalue:1234567890ab"), None, "12 digits"),
    (("--auth", "sigv4", "--credentials", ":s3cr3tvalue:123456789012"), None, "access key"),
    (("--auth", "sigv4", "--credentials", "AKID::123456789012"), None, "secret access key is empty"),
    (("--auth", "sigv4", "--credentials", "AKID:123456789012"), None, "ACCESS_KEY:SECRET:ACCOUNT_ID"),
    (("--auth", "sigv4", "--credentials", "s3cr3tvalue"), None, "ACCESS_KEY:SECRET:ACCOUNT_ID"),
    (("--auth", "sigv4", "--credentials", "A:s3cr3tvalue:111111111111,A:x:222222222222"), None, "twice"),
    (("--auth", "sigv4", "--credentials", "@/nonexistent/creds"), None, "cannot read"),
    (("--auth", "sigv4"), {"GLACIER_MOCK_CREDENTIALS": "AKID:s3cr3tvalue:123"}, "12 digits"),
    (("--auth", "maybe"), None, "--auth must be none or sigv4"),
])
def test_bad_auth_configuration_stops_startup(glacier_bin, args, env, expected):
    p = _start_failure(glacier_bin, args, env)
    assert p.returncode != 0, p.stdout
    assert "listening" not in p.stdout
    assert expected in p.stderr, p.stderr
    assert "s3cr3tvalue" not in p.stderr, "a secret was echoed"


def test_credentials_file_errors_name_the_file(glacier_bin, tmp_path):
    f = tmp_path / "creds"
    f.write_text("AKID:s3cr3tvalue:111111111111\nAKID2:s3cr3tvalue:22\n")
    p = _start_failure(glacier_bin, ("--auth", "sigv4", "--credentials", f"@{f}"))
    assert p.returncode != 0
    assert str(f) in p.stderr and "12 digits" in p.stderr, p.stderr
    assert "s3cr3tvalue" not in p.stderr
