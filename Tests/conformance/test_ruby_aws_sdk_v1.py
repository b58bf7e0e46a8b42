"""A Ruby client: the AWS SDK for Ruby v1 (AWS::Glacier from Debian's ruby-aws-sdk 1.67), with
its own Version4 signer, Net::HTTP handler, resource layer (VaultCollection, Vault,
ArchiveCollection#create and its tree hash) and client operations.

Tests/clients/ruby/glacier_sdk_v1.rb runs under Debian's ruby (`scripts/install-deps.sh
--with-tests` installs ruby and ruby-aws-sdk) and prints one JSON line per step, each with the
requests the SDK made (its HTTP handler is wrapped): CreateVault, the vault's attributes, the
vault collection (which follows ListVaults markers), UploadArchive through ArchiveCollection,
an upload with a wrong tree hash, a three-part multipart upload through the client operations
(SDK v1 has no Glacier multipart helper; part hashes from ArchiveCollection's checksum code)
with ListParts, ListMultipartUploads, DescribeVault, vault notifications, an archive-retrieval
job polled with DescribeJob, GetJobOutput whole and ranged (aligned and not), ListJobs,
DeleteArchive, DeleteVault of a non-empty vault, a missing vault and a request signed with a
wrong secret.

SDK v1 signs the query string in the order its URI template gives (`limit` before `completed`
for ListJobs), not sorted as Signature Version 4 requires; AWS refuses such a request. The
program sends ListJobs with both: refused with 403 InvalidSignatureException when glacier-mock
checks signatures (as AWS does), answered when it does not.

SDK v1 also serialises header parameters into a JSON body (InitiateMultipartUpload,
CompleteMultipartUpload, and a ranged GetJobOutput: a GET with `Content-Length: 38`); the body
is framed by its Content-Length, and glacier-mock answers such requests.
test_aws_sdk_v1_ranged_job_output_with_request_body replays that GET byte for byte, with the
body sent with the head and after a pause: the answer must arrive whole either way.

This file computes every hash itself and cross-checks the server's state with boto3. When ruby
or the SDK is missing the workflow tests fail (they do not skip).
"""

from __future__ import annotations

import json
import math
import os
import re
import socket
import subprocess
import time
from pathlib import Path

import pytest

from helpers import (client_env, run_client_program, DEFAULT_ACCOUNT, DEFAULT_REGION, ISO_RE, MIB, REPO, assert_recent, blob, create_archive,
                     describe, describe_after_inventory, expect_error, list_all_uploads, notifications_for_job, retrieval_job,
                     sha256_hex, tree_hash)

SCRIPT = REPO / "Tests" / "clients" / "ruby" / "glacier_sdk_v1.rb"
SYSTEM_RUBY = "/usr/bin/ruby"        # Debian's ruby: the one that loads Debian's ruby-* packages
INSTALL_HINT = "run `scripts/install-deps.sh --with-tests` (or `apt-get install ruby ruby-aws-sdk`)"
ARCHIVE_ID_RE = re.compile(r"^[A-Za-z0-9_-]{138}$")
TOPIC = f"arn:aws:sns:us-east-1:{DEFAULT_ACCOUNT}:sdk-v1-topic"       # glacier_sdk_v1.rb's TOPIC
EVENTS = ["ArchiveRetrievalCompleted", "InventoryRetrievalCompleted"]
SIZE = 4 * MIB + 4321
PART_SIZE = 2 * MIB                                                   # glacier_sdk_v1.rb's PART_SIZE

STEPS = ["start", "create_vault", "vault", "list_vaults", "local_hashes", "upload_archive",
         "upload_archive_wrong_checksum", "initiate_multipart_upload", "upload_multipart_part",
         "upload_multipart_part", "upload_multipart_part", "list_parts", "complete_multipart_upload",
         "list_multipart_uploads", "describe_vault", "notifications", "job", "get_job_output",
         "get_job_output_range", "get_job_output_range", "list_jobs", "list_jobs_limit_completed",
         "delete_archive", "delete_notifications", "delete_nonempty_vault", "describe_missing_vault",
         "describe_vault_wrong_secret", "done"]


@pytest.fixture(scope="module")
def ruby() -> str:
    path = SYSTEM_RUBY
    if not (Path(path).is_file() and os.access(path, os.X_OK)):
        pytest.fail(f"Debian's ruby ({path}) is missing; {INSTALL_HINT}", pytrace=False)
    p = subprocess.run([path, "-e", 'require "aws-sdk"; AWS::Glacier; print AWS::VERSION'],
                       capture_output=True, text=True, timeout=60)
    if p.returncode != 0 or not p.stdout.startswith("1."):
        pytest.fail(f"the AWS SDK for Ruby v1 (aws-sdk, AWS::Glacier) does not load under {path}: "
                    f"{(p.stdout + p.stderr).strip()[-500:]}; {INSTALL_HINT}", pytrace=False)
    return path


def run_sdk(ruby: str, port: int, vault: str, path: Path) -> dict[str, list[dict]]:
    return run_client_program([ruby, str(SCRIPT), str(port), vault, str(path)], "glacier_sdk_v1.rb", STEPS, client_env())


def one(steps, name) -> dict:
    (s,) = steps[name]
    return s


def req(r: dict, method: str, path: str, status: int, query: str | None = None) -> dict:
    """Asserts one recorded request's line and answer; returns its received headers."""
    assert (r["method"], r["path"], r["status"], r["query"]) == (method, path, status, query), r
    assert r["received"].get("x-amzn-requestid"), r
    return r["received"]


def error_is(err: dict | None, code: str, status: int) -> dict:
    assert err, "no error where one was expected"
    assert (err["class"], err["code"], err["status"]) == (f"AWS::Glacier::Errors::{code}", code, status), err
    assert (err["body"]["code"], err["body"]["type"]) == (code, "Client"), err
    assert err["message"] and err["body"]["message"].startswith(err["message"]) and err["request_id"], err
    return err


def check_workflow(steps, client, endpoint: str, vault: str, data: bytes, *, delayed: bool, sigv4: bool):
    """Asserts what SDK v1 observed; `client` is a boto3 client of the same account."""
    n = len(data)
    arn = f"arn:aws:glacier:{DEFAULT_REGION}:{DEFAULT_ACCOUNT}:vaults/{vault}"
    path = f"/-/vaults/{vault}"
    base = f"/{DEFAULT_ACCOUNT}/vaults/{vault}"

    s = one(steps, "start")
    assert s["sdk_version"].startswith("1.") and s["size"] == n, s

    s = one(steps, "create_vault")
    [r] = s["requests"]
    assert req(r, "PUT", path, 201)["location"] == base, r

    s = one(steps, "vault")     # each attribute read is a DescribeVault
    assert (s["exists"], s["arn"], s["number_of_archives"], s["size_in_bytes"], s["last_inventory_date"]) == \
        (True, arn, 0, 0, None), s
    assert ISO_RE.match(s["creation_date"]), s
    assert_recent(s["creation_date"])
    created = s["creation_date"]
    assert s["requests"] and all(req(r, "GET", path, 200) for r in s["requests"]), s["requests"]

    s = one(steps, "list_vaults")
    names = [v["VaultName"] for page in client.get_paginator("list_vaults").paginate(accountId="-")
             for v in page["VaultList"]]
    assert s["contains_vault"] and s["sorted"] and s["distinct"] == s["count"] == len(names), (s, len(names))
    pages = s["requests"]
    assert len(pages) == max(1, math.ceil(len(names) / 10)), pages
    assert req(pages[0], "GET", "/-/vaults", 200, None)
    assert all(r["query"].startswith("marker=") and req(r, "GET", "/-/vaults", 200, r["query"]) for r in pages[1:])

    s = one(steps, "local_hashes")
    assert (s["linear"], s["tree"]) == (sha256_hex(data), tree_hash(data)), s

    s = one(steps, "upload_archive")
    single_id = s["archive_id"]
    assert ARCHIVE_ID_RE.match(single_id), s
    [r] = s["requests"]
    got = req(r, "POST", f"{path}/archives", 201)
    assert r["sent"] == {"content-length": str(n), "x-amz-sha256-tree-hash": tree_hash(data),
                         "x-amz-content-sha256": sha256_hex(data),
                         "x-amz-archive-description": "sdk-v1 single"}, r
    assert (got["x-amz-archive-id"], got["x-amz-sha256-tree-hash"], got["location"]) == \
        (single_id, tree_hash(data), f"{base}/archives/{single_id}"), got

    s = one(steps, "upload_archive_wrong_checksum")
    err = error_is(s["error"], "InvalidParameterValueException", 400)
    assert "0" * 64 in err["message"] and tree_hash(data[:4096]) in err["message"], err
    [r] = s["requests"]
    req(r, "POST", f"{path}/archives", 400)

    # The multipart upload through the client operations
    s = one(steps, "initiate_multipart_upload")
    upload_id = s["upload_id"]
    assert upload_id and s["location"] == f"{base}/multipart-uploads/{upload_id}", s
    [r] = s["requests"]
    req(r, "POST", f"{path}/multipart-uploads", 201)
    assert (r["sent"]["x-amz-part-size"], r["sent"]["x-amz-archive-description"]) == \
        (str(PART_SIZE), "sdk-v1 multipart"), r
    ranges = [(a, min(a + PART_SIZE, n)) for a in range(0, n, PART_SIZE)]
    assert len(ranges) == 3
    for s, (a, b) in zip(steps["upload_multipart_part"], ranges):
        piece = data[a:b]
        assert (s["offset"], s["checksum"]) == (a, tree_hash(piece)), s
        [r] = s["requests"]
        got = req(r, "PUT", f"{path}/multipart-uploads/{upload_id}", 204)
        assert r["sent"] == {"content-length": str(b - a), "content-range": f"bytes {a}-{b - 1}/*",
                             "x-amz-sha256-tree-hash": tree_hash(piece),
                             "x-amz-content-sha256": sha256_hex(piece)}, r
        assert got["x-amz-sha256-tree-hash"] == tree_hash(piece), got
    s = one(steps, "list_parts")
    d = s["data"]
    assert (d["multipart_upload_id"], d["vault_arn"], d["archive_description"], d["part_size_in_bytes"],
            d.get("marker")) == (upload_id, arn, "sdk-v1 multipart", PART_SIZE, None), d
    assert d["parts"] == [{"range_in_bytes": f"{a}-{b - 1}", "sha256_tree_hash": tree_hash(data[a:b])}
                          for a, b in ranges], d
    assert ISO_RE.match(d["creation_date"]), d
    s = one(steps, "complete_multipart_upload")
    multi_id = s["archive_id"]
    assert ARCHIVE_ID_RE.match(multi_id) and multi_id != single_id, s
    assert (s["checksum"], s["location"]) == (tree_hash(data), f"{base}/archives/{multi_id}"), s
    [r] = s["requests"]
    req(r, "POST", f"{path}/multipart-uploads/{upload_id}", 201)
    assert (r["sent"]["x-amz-archive-size"], r["sent"]["x-amz-sha256-tree-hash"]) == (str(n), tree_hash(data)), r
    with expect_error("ResourceNotFoundException", 404):
        client.list_parts(accountId="-", vaultName=vault, uploadId=upload_id)

    s = one(steps, "list_multipart_uploads")
    assert (s["uploads"], s["marker"]) == ([], None), s

    s = one(steps, "describe_vault")
    d = s["data"]
    assert (d["vault_arn"], d["vault_name"], d["creation_date"], d["number_of_archives"], d["size_in_bytes"]) == \
        (arn, vault, created, 2, 2 * n), d
    assert ISO_RE.match(d["last_inventory_date"] or ""), d   # the inventory the program took before it

    s = one(steps, "notifications")
    assert (s["topic"], s["events"]) == (TOPIC, EVENTS), s
    put, get = s["requests"]
    req(put, "PUT", f"{path}/notification-configuration", 204)
    req(get, "GET", f"{path}/notification-configuration", 200)

    # The retrieval job, polled with DescribeJob
    s = one(steps, "job")
    job_id = s["job_id"]
    assert s["statuses_seen"] == (["InProgress", "Succeeded"] if delayed else ["Succeeded"]), s
    d = s["data"]
    expected = {"job_id": job_id, "job_description": "sdk-v1 retrieval", "action": "ArchiveRetrieval",
                "archive_id": multi_id, "vault_arn": arn, "completed": True, "status_code": "Succeeded",
                "status_message": "Succeeded", "archive_size_in_bytes": n, "sha256_tree_hash": tree_hash(data),
                "archive_sha256_tree_hash": tree_hash(data), "retrieval_byte_range": f"0-{n - 1}"}
    assert {k: d.get(k) for k in expected} == expected, d
    boto_job = describe(client, vault, job_id)
    assert (boto_job["CreationDate"], boto_job["CompletionDate"]) == (d["creation_date"], d["completion_date"]), \
        (boto_job, d)
    notes = notifications_for_job(endpoint, job_id)     # from the vault's notification configuration
    assert [x["Topic"] for x in notes] == [TOPIC], notes
    msg = json.loads(notes[0]["Message"])
    assert (msg["JobId"], msg["Action"], msg["ArchiveId"], msg["Completed"]) == \
        (job_id, "ArchiveRetrieval", multi_id, True), msg

    out = f"{path}/jobs/{job_id}/output"
    s = one(steps, "get_job_output")
    assert (s["status"], s["length"], s["sha256"]) == (200, n, sha256_hex(data)), s
    assert s["data"] == {"checksum": tree_hash(data), "accept_ranges": "bytes",
                         "content_type": "application/octet-stream", "archive_description": "sdk-v1 multipart"}, s
    [r] = s["requests"]
    assert req(r, "GET", out, 200)["content-length"] == str(n)
    aligned, unaligned = steps["get_job_output_range"]
    for s, (a, b), is_aligned in ((aligned, (MIB, 2 * MIB - 1), True), (unaligned, (1000, MIB + 4999), False)):
        piece = data[a:b + 1]
        assert (s["range"], s["status"], s["length"], s["sha256"]) == ([a, b], 206, len(piece), sha256_hex(piece)), s
        want = {"content_range": f"bytes {a}-{b}/{n}", "accept_ranges": "bytes",
                "content_type": "application/octet-stream", "archive_description": "sdk-v1 multipart"}
        if is_aligned:      # Glacier returns the checksum only for a tree-hash-aligned range
            want["checksum"] = tree_hash(piece)
        assert s["data"] == want, s
        [r] = s["requests"]
        assert r["sent"]["range"] == f"bytes={a}-{b}", r
        req(r, "GET", out, 206)

    s = one(steps, "list_jobs")
    assert s["ids"] == [job_id], s
    [r] = s["requests"]
    req(r, "GET", f"{path}/jobs", 200, "completed=true")
    s = one(steps, "list_jobs_limit_completed")
    [r] = s["requests"]
    if sigv4:
        err = error_is(s["error"], "InvalidSignatureException", 403)
        req(r, "GET", f"{path}/jobs", 403, "limit=10&completed=true")
        # the server's canonical request sorts the query, as SigV4 (and AWS) does
        assert f"'GET\n{path}/jobs\ncompleted=true&limit=10\n" in err["body"]["message"], err
    else:
        assert (s["error"], s["ids"]) == (None, [job_id]), s
        req(r, "GET", f"{path}/jobs", 200, "limit=10&completed=true")

    s = one(steps, "delete_archive")
    assert s["archive_id"] == single_id, s
    [r] = s["requests"]
    req(r, "DELETE", f"{path}/archives/{single_id}", 204)
    with expect_error("ResourceNotFoundException", 404):
        retrieval_job(client, vault, single_id)

    s = one(steps, "delete_notifications")
    assert s["after"] is True, s
    delete, get = s["requests"]
    req(delete, "DELETE", f"{path}/notification-configuration", 204)
    req(get, "GET", f"{path}/notification-configuration", 404)
    with expect_error("ResourceNotFoundException", 404):
        client.get_vault_notifications(accountId="-", vaultName=vault)

    s = one(steps, "delete_nonempty_vault")
    err = error_is(s["error"], "InvalidParameterValueException", 400)
    assert arn in err["message"], err

    s = one(steps, "describe_missing_vault")
    assert s["vault"] == f"{vault}-missing" and s["exists"] is False, s
    err = error_is(s["error"], "ResourceNotFoundException", 404)
    assert f"vaults/{vault}-missing" in err["message"], err

    s = one(steps, "describe_vault_wrong_secret")
    if sigv4:
        error_is(s["error"], "InvalidSignatureException", 403)
    else:
        assert (s["error"], s["vault_name"]) == (None, vault), s

    desc = describe_after_inventory(client, vault)   # the deletion counted by the next inventory
    assert (desc["NumberOfArchives"], desc["SizeInBytes"], desc["VaultARN"]) == (1, n, arn), desc
    assert list_all_uploads(client, vault) == []


def test_aws_sdk_v1_workflow(ruby, endpoint, glacier, vault_name, tmp_path):
    """The session server (signatures not checked, jobs complete at once)."""
    data = blob("ruby-sdk-v1", SIZE)
    path = tmp_path / "archive.bin"
    path.write_bytes(data)
    vault = vault_name("ruby-sdk-v1")
    steps = run_sdk(ruby, int(endpoint.rsplit(":", 1)[1]), vault, path)
    check_workflow(steps, glacier, endpoint, vault, data, delayed=False, sigv4=False)


def test_aws_sdk_v1_workflow_sigv4_job_delay(ruby, fresh_server, tmp_path):
    """A server that checks every SigV4 signature (SDK v1's signer) and keeps jobs InProgress
    for a second, so the program's DescribeJob polling waits."""
    srv = fresh_server(args=("--auth", "sigv4", "--credentials", f"test:test:{DEFAULT_ACCOUNT}",
                             "--job-delay", "standard=1s"))
    data = blob("ruby-sdk-v1-sigv4", SIZE)
    path = tmp_path / "archive.bin"
    path.write_bytes(data)
    vault = "ruby-sdk-v1-sigv4"
    steps = run_sdk(ruby, srv.port, vault, path)
    check_workflow(steps, srv.client(access_key="test", secret="test"), srv.endpoint, vault, data,
                   delayed=True, sigv4=True)


@pytest.mark.parametrize("pause", [0.0, 0.2], ids=["body-with-head", "body-after-response-began"])
def test_aws_sdk_v1_ranged_job_output_with_request_body(glacier, endpoint, vault, pause):
    """SDK v1 serialises a GetJobOutput's Range into a JSON body as well as the header, so its
    ranged GET carries `Content-Length: 38`; Ruby's Net::HTTP writes the head and the body
    separately (TCP_NODELAY). Without --auth sigv4 glacier-mock may answer before that body has
    arrived; the answer must still arrive whole (RFC 9112 section 9.6: a server SHOULD NOT close
    a connection in the middle of transmitting a response, and closes in stages to avoid the TCP
    reset problem). This replays SDK v1's bytes with the body sent together with the head, and
    `pause` seconds after it (the SDK v1 workflow hits the second case now and then)."""
    data = blob("sdk-v1-get-body", 2 * MIB + 777)
    archive_id = create_archive(glacier, vault, data)["archiveId"]
    job_id = retrieval_job(glacier, vault, archive_id)
    a, b = MIB, 2 * MIB - 1
    body = json.dumps({"Range": f"bytes={a}-{b}"}, indent=2).encode()     # SDK v1's JSON body
    assert len(body) == 38
    head = (f"GET /-/vaults/{vault}/jobs/{job_id}/output HTTP/1.1\r\nHost: 127.0.0.1\r\n"
            f"Content-Type: \r\nAccept-Encoding: \r\nUser-Agent: aws-sdk-ruby/1.67.0\r\n"
            f"x-amz-glacier-version: 2012-06-01\r\nRange: bytes={a}-{b}\r\n"
            f"Content-Length: {len(body)}\r\n\r\n").encode()
    port = int(endpoint.rsplit(":", 1)[1])
    received, failure = b"", None
    with socket.create_connection(("127.0.0.1", port), timeout=15) as s:
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        if pause:
            s.sendall(head)
            time.sleep(pause)
            s.sendall(body)
        else:
            s.sendall(head + body)
        try:
            while True:
                sep = received.find(b"\r\n\r\n")
                if sep >= 0:
                    m = re.search(rb"\r\ncontent-length: *(\d+)", received[:sep], re.I)
                    if m and len(received) - sep - 4 >= int(m.group(1)):
                        break
                chunk = s.recv(1 << 20)
                if not chunk:
                    failure = "EOF"
                    break
                received += chunk
        except OSError as e:
            failure = repr(e)
    sep = received.find(b"\r\n\r\n")
    assert sep >= 0, f"no response head ({failure}): {received[:200]!r}"
    status_line, *lines = received[:sep].decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, _, v in (ln.partition(":") for ln in lines)}
    got = received[sep + 4:]
    piece = data[a:b + 1]
    assert status_line == "HTTP/1.1 206 Partial Content", status_line
    assert (headers.get("content-length"), headers.get("content-range")) == \
        (str(len(piece)), f"bytes {a}-{b}/{len(data)}"), headers
    assert (len(got), failure) == (len(piece), None), \
        (f"GetJobOutput answer cut after {len(got)} of {len(piece)} body bytes ({failure}); "
         f"response headers: {headers}")
    assert sha256_hex(got) == sha256_hex(piece)
