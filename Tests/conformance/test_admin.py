"""Admin endpoints, common response headers, error shape, 100-continue, CLI options,
and the `glacier-mock treehash` subcommand."""

from __future__ import annotations

import datetime as dt
import email.utils
import json
import os
import shutil
import signal
import subprocess

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpers import (
    describe_after_inventory,
    DEFAULT_ACCOUNT, FIXTURES, LISTEN_RE, MIB, assert_raw_error, blob, content_bytes,
    create_archive, expect_error, initiate, make_client, part_headers, raw, sha256_hex, tree_hash,
    upload_part, upload_path,
)

# ---------------------------------------------------------------- health / reset


def test_health(endpoint):
    r = raw(endpoint, "GET", "/_mock/health", version_header=False)
    assert r.status_code == 200, r.text
    assert r.json() == {"status": "ok"}


@pytest.mark.parametrize("reset_path", ["/_mock/reset", "/moto-api/reset"])
def test_reset_drops_all_state(fresh_server, reset_path):
    srv = fresh_server()
    c = srv.client()
    west = srv.client(region="us-west-2")
    other = srv.client(access_key="210987654321")
    c.create_vault(accountId="-", vaultName="keep-me-not")
    west.create_vault(accountId="-", vaultName="west")
    other.create_vault(accountId="-", vaultName="other")
    create_archive(c, "keep-me-not", blob("reset", 100))
    upload_id = initiate(c, "keep-me-not")
    upload_part(c, "keep-me-not", upload_id, 0, b"pending")

    r = raw(srv.endpoint, "POST", reset_path, version_header=False)
    assert r.status_code == 200, r.text
    assert r.json() == {"status": "ok"}

    assert c.list_vaults(accountId="-")["VaultList"] == []
    assert west.list_vaults(accountId="-")["VaultList"] == []
    assert other.list_vaults(accountId="-")["VaultList"] == []
    with expect_error("ResourceNotFoundException", 404):
        c.describe_vault(accountId="-", vaultName="keep-me-not")
    with expect_error("ResourceNotFoundException", 404):
        c.list_parts(accountId="-", vaultName="keep-me-not", uploadId=upload_id)

    # the server keeps working after a reset
    c.create_vault(accountId="-", vaultName="keep-me-not")
    d = describe_after_inventory(c, "keep-me-not")
    assert (d["NumberOfArchives"], d["SizeInBytes"]) == (0, 0)
    create_archive(c, "keep-me-not", b"after reset")
    assert describe_after_inventory(c, "keep-me-not")["NumberOfArchives"] == 1


def test_reset_is_durable_across_restart(fresh_server):
    srv = fresh_server()
    c = srv.client()
    c.create_vault(accountId="-", vaultName="gone")
    assert raw(srv.endpoint, "POST", "/_mock/reset").status_code == 200
    srv.restart()
    assert srv.client().list_vaults(accountId="-")["VaultList"] == []


# ---------------------------------------------------------------- common headers

def _check_common_headers(headers, label):
    lower = {k.lower(): v for k, v in headers.items()}
    assert lower.get("x-amzn-requestid"), f"{label}: no x-amzn-RequestId in {dict(headers)}"
    date = lower.get("date")
    assert date, f"{label}: no Date header"
    parsed = email.utils.parsedate_to_datetime(date)
    now = dt.datetime.now(dt.timezone.utc)
    assert abs((now - parsed).total_seconds()) < 300, f"{label}: Date {date!r} not close to now"
    return lower["x-amzn-requestid"]


def test_request_id_and_date_on_success_and_error(endpoint, vault_name):
    name, doomed = vault_name(), vault_name()
    ids = []
    cases = [
        ("PUT", f"/-/vaults/{name}", {}, 201),
        ("PUT", f"/-/vaults/{doomed}", {}, 201),
        ("GET", f"/-/vaults/{name}", {}, 200),
        ("GET", "/-/vaults", {}, 200),
        ("POST", f"/-/vaults/{name}/multipart-uploads", {"x-amz-part-size": str(MIB)}, 201),
        ("GET", f"/-/vaults/{name}/multipart-uploads", {}, 200),
        ("GET", f"/-/vaults/{name}-missing", {}, 404),
        ("POST", f"/-/vaults/{name}/multipart-uploads", {"x-amz-part-size": "3"}, 400),
        ("POST", f"/-/vaults/{name}/multipart-uploads", {}, 400),
        ("GET", f"/{DEFAULT_ACCOUNT[::-1]}/vaults/{name}", {}, 403),
        ("GET", "/_mock/health", {}, 200),
        ("DELETE", f"/-/vaults/{doomed}", {}, 204),
    ]
    for method, path, headers, status in cases:
        r = raw(endpoint, method, path, headers=headers)
        assert r.status_code == status, f"{method} {path}: {r.status_code} {r.text}"
        ids.append(_check_common_headers(r.headers, f"{method} {path}"))
    assert len(set(ids)) == len(ids), f"request ids are not unique: {ids}"


def test_request_id_on_boto3_responses(glacier, vault):
    resp = glacier.describe_vault(accountId="-", vaultName=vault)
    assert resp["ResponseMetadata"]["RequestId"]
    upload_id = initiate(glacier, vault)
    resp = upload_part(glacier, vault, upload_id, 0, b"hdr")
    _check_common_headers(resp["ResponseMetadata"]["HTTPHeaders"], "upload part (204)")
    with expect_error("ResourceNotFoundException", 404) as ei:
        glacier.describe_vault(accountId="-", vaultName=vault + "-nope")
    _check_common_headers(ei.value.response["ResponseMetadata"]["HTTPHeaders"], "404")
    assert ei.value.response["ResponseMetadata"]["RequestId"]


def test_request_id_on_admin_endpoints(fresh_server):
    srv = fresh_server()
    for method, path in [("GET", "/_mock/health"), ("POST", "/_mock/reset"), ("POST", "/moto-api/reset")]:
        r = raw(srv.endpoint, method, path, version_header=False)
        assert r.status_code == 200
        _check_common_headers(r.headers, path)


# ---------------------------------------------------------------- error shape

def _assert_error_shape(r, status, code):
    assert r.status_code == status, r.text
    body = r.json()
    assert set(body) == {"code", "message", "type"}, body
    assert body["code"] == code
    assert isinstance(body["message"], str) and body["message"]
    assert body["type"] == "Client"


def test_error_json_shape(endpoint, vault, vault_name):
    _assert_error_shape(raw(endpoint, "GET", f"/-/vaults/{vault_name()}"), 404,
                        "ResourceNotFoundException")
    _assert_error_shape(raw(endpoint, "POST", f"/-/vaults/{vault}/multipart-uploads",
                            headers={"x-amz-part-size": "12345"}), 400, "InvalidParameterValueException")
    _assert_error_shape(raw(endpoint, "POST", f"/-/vaults/{vault}/multipart-uploads"), 400,
                        "MissingParameterValueException")
    _assert_error_shape(raw(endpoint, "GET", f"/999999999999/vaults/{vault}"), 403,
                        "AccessDeniedException")
    _assert_error_shape(raw(endpoint, "PUT", "/-/vaults/bad%20name"), 400,
                        "InvalidParameterValueException")
    _assert_error_shape(raw(endpoint, "GET", "/-/vaults?limit=0"), 400,
                        "InvalidParameterValueException")


def test_error_message_parsed_by_boto3(glacier, vault_name):
    name = vault_name()
    with expect_error("ResourceNotFoundException", 404) as ei:
        glacier.delete_vault(accountId="-", vaultName=name)
    assert name in ei.value.response["Error"]["Message"]


# ---------------------------------------------------------------- 100-continue

@pytest.fixture(scope="module")
def curl_bin():
    path = shutil.which("curl")
    if path is None:
        pytest.fail("curl is not installed", pytrace=False)
    return path


def _curl_put(curl_bin, url, path, headers):
    cmd = [curl_bin, "-sS", "-v", "--max-time", "10", "--expect100-timeout", "8", "-T", str(path),
           "-H", "Expect: 100-continue", "-H", "x-amz-glacier-version: 2012-06-01",
           "-o", "/dev/null", "-w", "%{http_code}"]
    for k, v in headers.items():
        cmd += ["-H", f"{k}: {v}"]
    cmd.append(url)
    return subprocess.run(cmd, capture_output=True, text=True, timeout=30)


def test_expect_100_continue_with_curl(curl_bin, endpoint, glacier, vault, tmp_path):
    upload_id = initiate(glacier, vault)
    data = blob("curl", MIB)
    f = tmp_path / "part.bin"
    f.write_bytes(data)
    headers = part_headers(data, 0)
    headers["x-amz-glacier-version"] = "2012-06-01"
    p = _curl_put(curl_bin, endpoint + upload_path(vault, upload_id), f, headers)
    assert p.returncode == 0, f"curl failed ({p.returncode}): {p.stderr[-2000:]}"
    assert p.stdout.strip() == "204", p.stderr[-2000:]
    assert "HTTP/1.1 100 Continue" in p.stderr, "server did not answer Expect: 100-continue"
    assert f"x-amz-sha256-tree-hash: {tree_hash(data)}".lower() in p.stderr.lower()
    parts = glacier.list_parts(accountId="-", vaultName=vault, uploadId=upload_id)["Parts"]
    assert parts == [{"RangeInBytes": "0-1048575", "SHA256TreeHash": tree_hash(data)}]


def test_expect_100_continue_rejected_part(curl_bin, endpoint, glacier, vault, tmp_path):
    upload_id = initiate(glacier, vault)
    data = blob("curl-bad", MIB)
    f = tmp_path / "bad.bin"
    f.write_bytes(data)
    headers = part_headers(data, 0)
    headers["x-amz-sha256-tree-hash"] = "0" * 64
    p = _curl_put(curl_bin, endpoint + upload_path(vault, upload_id), f, headers)
    assert p.returncode == 0, f"curl failed ({p.returncode}): {p.stderr[-2000:]}"
    assert p.stdout.strip() == "400", p.stderr[-2000:]
    # the server still works on a new connection
    assert raw(endpoint, "GET", "/_mock/health").status_code == 200


def test_expect_100_continue_create_archive_flow(curl_bin, endpoint, glacier, vault, tmp_path):
    data = blob("curl-flow", MIB + 10)
    upload_id = initiate(glacier, vault)
    for first in (MIB, 0):
        chunk = data[first:first + MIB]
        f = tmp_path / f"chunk{first}"
        f.write_bytes(chunk)
        p = _curl_put(curl_bin, endpoint + upload_path(vault, upload_id), f, part_headers(chunk, first))
        assert p.returncode == 0 and p.stdout.strip() == "204", p.stderr[-2000:]
    done = glacier.complete_multipart_upload(accountId="-", vaultName=vault, uploadId=upload_id,
                                             archiveSize=str(len(data)), checksum=tree_hash(data))
    assert done["checksum"] == tree_hash(data)


# ---------------------------------------------------------------- process / options

def test_listening_line_is_the_only_stdout(fresh_server):
    srv = fresh_server()
    assert LISTEN_RE.match(srv.listen_line)
    raw(srv.endpoint, "PUT", "/-/vaults/quiet")
    assert srv.stop() == 0
    assert srv.other_stdout == [], f"unexpected stdout lines: {srv.other_stdout}"


def test_environment_variables_configure_server(fresh_server, glacier_bin, tmp_path):
    data_dir = tmp_path / "env-data"
    srv = fresh_server(use_data_dir=False, env={
        "GLACIER_MOCK_HOST": "127.0.0.1",
        "GLACIER_MOCK_PORT": "0",
        "GLACIER_MOCK_DATA_DIR": str(data_dir),
        "GLACIER_MOCK_REGION": "ap-south-1",
        "GLACIER_MOCK_ACCOUNT_ID": "444455556666",
        "GLACIER_MOCK_LOG_LEVEL": "debug",
    }, start=False)
    srv.start(command=[str(glacier_bin), "serve"])
    r = raw(srv.endpoint, "PUT", "/-/vaults/envvault")
    assert r.status_code == 201, r.text
    assert r.headers["Location"] == "/444455556666/vaults/envvault"
    r = raw(srv.endpoint, "GET", "/-/vaults/envvault")
    assert r.json()["VaultARN"] == "arn:aws:glacier:ap-south-1:444455556666:vaults/envvault"
    assert (data_dir / "glacier.sqlite").is_file()
    assert srv.stop() == 0
    assert data_dir.is_dir(), "an explicit data dir must not be deleted on exit"


def test_port_option_is_honoured(fresh_server, glacier_bin):
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    srv = fresh_server(args=("--port", str(port)))
    assert srv.port == port
    assert raw(srv.endpoint, "GET", "/_mock/health").status_code == 200


# ---------------------------------------------------------------- treehash subcommand

def _vectors():
    doc = json.loads((FIXTURES / "treehash-vectors.json").read_text())
    assert doc["content"] == "byte i = (i*7 + (i >> 20)) mod 256"
    return doc["vectors"]


def test_fixture_vectors_match_botocore():
    for v in _vectors():
        if v["size"] <= 5 * MIB + 1:
            data = content_bytes(v["size"])
            assert tree_hash(data) == v["tree_hash"], v["size"]
            assert sha256_hex(data) == v["linear_hash"], v["size"]


def test_treehash_subcommand_matches_vectors(glacier_bin, tmp_path):
    wanted = {0, 1, 1048575, 1048576, 1048577, 3 * MIB + 7, 5 * MIB + 1, 8 * MIB + 1048575}
    vectors = [v for v in _vectors() if v["size"] in wanted]
    assert len(vectors) == len(wanted)
    paths = []
    for v in vectors:
        p = tmp_path / f"content-{v['size']}.bin"
        p.write_bytes(content_bytes(v["size"]))
        paths.append(p)
    out = subprocess.run([str(glacier_bin), "treehash", *map(str, paths)],
                         capture_output=True, text=True, timeout=60, env={**os.environ})
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert lines == [f"{v['tree_hash']}  {p}" for v, p in zip(vectors, paths)]


@settings(max_examples=20, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(size=st.integers(min_value=0, max_value=3 * MIB + 100), seed=st.integers(0, 2 ** 32))
def test_treehash_subcommand_random(glacier_bin, tmp_path, size, seed):
    import random
    data = random.Random(seed).randbytes(size)
    p = tmp_path / "random.bin"
    p.write_bytes(data)
    out = subprocess.run([str(glacier_bin), "treehash", str(p)],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout == f"{tree_hash(data)}  {p}\n"
