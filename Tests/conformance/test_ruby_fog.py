"""A Ruby client: fog (Fog::AWS::Glacier from Debian's ruby-fog-aws 3.x, on fog-core and Excon),
with its own SigV4 signer, tree hash (Fog::AWS::Glacier::TreeHash) and multipart helper
(Archive#save with multipart_chunk_size) — code independent of botocore and the AWS SDKs.

Tests/clients/ruby/glacier_fog.rb runs under Debian's ruby (`scripts/install-deps.sh
--with-tests` installs ruby and ruby-fog-aws) and prints one JSON line per step, each with the
requests fog made (seen through fog's :instrumentor hook: method, path, query, the Glacier
headers fog sent, the status and Glacier headers the server answered): CreateVault, the vault
model, ListVaults followed page by page, UploadArchive, two multipart uploads through fog's
helper (1 MiB and 2 MiB parts), ListMultipartUploads, a part with a wrong tree hash then
ListParts and AbortMultipartUpload, DescribeVault, Set/GetVaultNotifications, an
archive-retrieval job polled with fog's Model#wait_for, GetJobOutput whole, ranged (aligned and
not) and streamed to a file, ListJobs (with two filters), DescribeJob, DeleteArchive, a JSON
inventory job, DeleteVaultNotifications, DeleteVault of a non-empty vault, DescribeVault of a
missing vault and a request signed with a wrong secret. fog has no tag operations.

This file computes every hash itself (botocore's tree hash, hashlib) over the same deterministic
bytes and cross-checks the server's state with boto3. The second test runs against a server that
verifies fog's SigV4 signatures and keeps jobs InProgress for a second.

fog escapes archive descriptions before sending them (Fog::AWS.escape: "fog single" is sent as
"fog%20single"); Glacier stores the header value as sent, so the escaped form is what comes back.

When ruby or fog is missing the tests fail (they do not skip).
"""

from __future__ import annotations

import json
import math
import os
import re
import subprocess
from pathlib import Path

import pytest
import requests

from helpers import (client_env, run_client_program, DEFAULT_ACCOUNT, DEFAULT_REGION, ISO_RE, MIB, REPO, assert_recent, blob, describe,
                     expect_error, inventory_job, job_output, list_all_uploads, notifications_for_job,
                     retrieval_job, sha256_hex, tree_hash)

SCRIPT = REPO / "Tests" / "clients" / "ruby" / "glacier_fog.rb"
SYSTEM_RUBY = "/usr/bin/ruby"        # Debian's ruby: the one that loads Debian's ruby-* packages
INSTALL_HINT = "run `scripts/install-deps.sh --with-tests` (or `apt-get install ruby ruby-fog-aws`)"
ARCHIVE_ID_RE = re.compile(r"^[A-Za-z0-9_-]{138}$")
TOPIC = f"arn:aws:sns:us-east-1:{DEFAULT_ACCOUNT}:fog-topic"          # glacier_fog.rb's TOPIC
EVENTS = ["ArchiveRetrievalCompleted", "InventoryRetrievalCompleted"]
SIZE = 5 * MIB + 12345
CHUNKS = [MIB, 2 * MIB]

STEPS = ["start", "create_vault", "get_vault", "list_vaults", "local_hashes", "upload_archive",
         "multipart_upload", "multipart_upload", "list_multipart_uploads", "bad_part", "describe_vault",
         "notifications", "initiate_job", "wait_job", "get_output", "get_output_range",
         "get_output_unaligned", "get_output_io", "list_jobs", "get_job", "delete_archive", "inventory",
         "delete_notifications", "delete_nonempty_vault", "describe_missing_vault",
         "describe_vault_wrong_secret", "done"]


@pytest.fixture(scope="module")
def ruby() -> str:
    path = SYSTEM_RUBY
    if not (Path(path).is_file() and os.access(path, os.X_OK)):
        pytest.fail(f"Debian's ruby ({path}) is missing; {INSTALL_HINT}", pytrace=False)
    p = subprocess.run([path, "-e", 'require "fog/aws"; print Fog::AWS::VERSION'],
                       capture_output=True, text=True, timeout=60)
    if p.returncode != 0:
        pytest.fail(f"fog (fog/aws) does not load under {path}: {p.stderr.strip()[-500:]}; {INSTALL_HINT}",
                    pytrace=False)
    return path


def run_fog(ruby: str, port: int, vault: str, path: Path) -> dict[str, list[dict]]:
    return run_client_program([ruby, str(SCRIPT), str(port), vault, str(path)], "glacier_fog.rb", STEPS, client_env())


def one(steps, name) -> dict:
    (s,) = steps[name]
    return s


def req(r: dict, method: str, path: str, status: int, query: dict | None = None) -> dict:
    """Asserts one recorded request's line and answer; returns its received headers."""
    assert (r["method"], r["path"], r["status"], r["query"]) == (method, path, status, query or {}), r
    assert r["received"].get("x-amzn-RequestId"), r
    return r["received"]


def error_is(err: dict | None, cls: str, status: int, code: str) -> dict:
    assert err, "no error where one was expected"
    assert (err["class"], err["status"], err["code"], err["type"], err["content_type"]) == \
        (cls, status, code, "Client", "application/json"), err
    assert err["message"] and err["request_id"], err
    return err


def finished(client, endpoint: str, vault: str, job_id: str) -> str:
    """A job of this file's own, completed now (POST /_mock/jobs/complete) rather than waited for."""
    r = requests.post(endpoint + "/_mock/jobs/complete", timeout=30)
    assert r.status_code == 200 and r.json()["status"] == "ok", r.text
    assert describe(client, vault, job_id)["Completed"] is True
    return job_id


def check_workflow(steps, client, endpoint: str, vault: str, data: bytes, *, delayed: bool, sigv4: bool):
    """Asserts what fog observed; `client` is a boto3 client of the same account."""
    n = len(data)
    arn = f"arn:aws:glacier:{DEFAULT_REGION}:{DEFAULT_ACCOUNT}:vaults/{vault}"
    path = f"/-/vaults/{vault}"
    base = f"/{DEFAULT_ACCOUNT}/vaults/{vault}"

    s = one(steps, "start")
    assert s["fog_aws_version"].startswith("3.") and s["size"] == n, s

    s = one(steps, "create_vault")
    assert (s["status"], s["location"]) == (201, base), s
    [r] = s["requests"]
    assert req(r, "PUT", path, 201)["Location"] == base

    s = one(steps, "get_vault")
    assert (s["name"], s["arn"], s["number_of_archives"], s["size_in_bytes"], s["last_inventory_at"]) == \
        (vault, arn, 0, 0, None), s
    assert ISO_RE.match(s["created_at"]), s
    assert_recent(s["created_at"])
    created = s["created_at"]
    [r] = s["requests"]
    assert req(r, "GET", path, 200)["Content-Type"] == "application/json"

    # ListVaults page by page (Glacier's default page: 10 vaults), against boto3's paginator
    s = one(steps, "list_vaults")
    names = [v["VaultName"] for page in client.get_paginator("list_vaults").paginate(accountId="-")
             for v in page["VaultList"]]
    assert s["contains_vault"] and s["sorted"] and s["distinct"] == s["count"] == len(names), (s, len(names))
    assert s["pages"] == max(1, math.ceil(s["count"] / 10)), s
    assert all(k == 10 for k in s["page_sizes"][:-1]) and 1 <= s["page_sizes"][-1] <= 10, s
    assert s["model_all"] == names[:10], s       # fog's Vaults#all: the first page

    s = one(steps, "local_hashes")
    assert (s["tree"], s["linear"]) == (tree_hash(data), sha256_hex(data)), s

    # UploadArchive: fog's hashes sent, the server's answer
    s = one(steps, "upload_archive")
    single_id = s["archive_id"]
    assert ARCHIVE_ID_RE.match(single_id), s
    [r] = s["requests"]
    got = req(r, "POST", f"{path}/archives", 201)
    assert r["sent"] == {"Content-Length": str(n), "x-amz-sha256-tree-hash": tree_hash(data),
                         "x-amz-content-sha256": sha256_hex(data),
                         "x-amz-archive-description": "fog%20single"}, r
    assert (got["x-amz-archive-id"], got["x-amz-sha256-tree-hash"], got["Location"]) == \
        (single_id, tree_hash(data), f"{base}/archives/{single_id}"), got

    # Multipart uploads through fog's helper
    multi_ids = []
    for s, chunk in zip(steps["multipart_upload"], CHUNKS):
        assert s["chunk_size"] == chunk, s
        archive_id = s["archive_id"]
        assert ARCHIVE_ID_RE.match(archive_id), s
        multi_ids.append(archive_id)
        ranges = [(a, min(a + chunk, n)) for a in range(0, n, chunk)]
        init, *parts, done = s["requests"]
        got = req(init, "POST", f"{path}/multipart-uploads", 201)
        assert init["sent"] == {"x-amz-part-size": str(chunk),
                                "x-amz-archive-description": f"fog%20multipart%20{chunk // MIB}"}, init
        upload_id = got["x-amz-multipart-upload-id"]
        assert upload_id and got["Location"] == f"{base}/multipart-uploads/{upload_id}", got
        assert len(parts) == len(ranges), s["requests"]
        for r, (a, b) in zip(parts, ranges):
            piece = data[a:b]
            got = req(r, "PUT", f"{path}/multipart-uploads/{upload_id}", 204)
            assert r["sent"] == {"Content-Length": str(b - a), "Content-Range": f"bytes {a}-{b - 1}/*",
                                 "x-amz-sha256-tree-hash": tree_hash(piece),
                                 "x-amz-content-sha256": sha256_hex(piece)}, r
            assert got["x-amz-sha256-tree-hash"] == tree_hash(piece), r
        got = req(done, "POST", f"{path}/multipart-uploads/{upload_id}", 201)
        assert done["sent"] == {"x-amz-archive-size": str(n), "x-amz-sha256-tree-hash": tree_hash(data)}, done
        assert (got["x-amz-archive-id"], got["x-amz-sha256-tree-hash"], got["Location"]) == \
            (archive_id, tree_hash(data), f"{base}/archives/{archive_id}"), got
    assert len({single_id, *multi_ids}) == 3

    s = one(steps, "list_multipart_uploads")
    assert (s["uploads"], s["marker"]) == ([], None), s

    # A part with a wrong tree hash: 400, nothing stored; then abort
    s = one(steps, "bad_part")
    err = error_is(s["error"], "Excon::Error::BadRequest", 400, "InvalidParameterValueException")
    assert "0" * 64 in err["message"] and tree_hash(data[:MIB]) in err["message"], err
    assert (s["parts"], s["part_size"], s["description"], s["abort_status"]) == \
        ([], MIB, "fog%20bad%20part", 204), s
    error_is(s["after_abort"], "Excon::Error::NotFound", 404, "ResourceNotFoundException")
    init, put, listed, abort, gone = s["requests"]
    assert req(put, "PUT", f"{path}/multipart-uploads/{s['upload_id']}", 400)["Content-Type"] == "application/json"
    assert put["sent"]["x-amz-sha256-tree-hash"] == "0" * 64, put
    req(abort, "DELETE", f"{path}/multipart-uploads/{s['upload_id']}", 204)
    req(gone, "GET", f"{path}/multipart-uploads/{s['upload_id']}", 404)

    s = one(steps, "describe_vault")
    assert (s["name"], s["arn"], s["number_of_archives"], s["size_in_bytes"], s["created_at"]) == \
        (vault, arn, 3, 3 * n, created), s

    s = one(steps, "notifications")
    assert (s["set_status"], s["get_status"], s["config"]) == (204, 200, {"SNSTopic": TOPIC, "Events": EVENTS}), s
    put, get = s["requests"]
    req(put, "PUT", f"{path}/notification-configuration", 204)
    assert req(get, "GET", f"{path}/notification-configuration", 200)["Content-Type"] == "application/json"

    # The retrieval job (of the 1 MiB-part archive), polled with fog's wait_for
    s = one(steps, "initiate_job")
    job_id = s["job_id"]
    post, reload = s["requests"]
    got = req(post, "POST", f"{path}/jobs", 202)
    assert (got["x-amz-job-id"], got["Location"]) == (job_id, f"{base}/jobs/{job_id}"), got
    req(reload, "GET", f"{path}/jobs/{job_id}", 200)
    expected = {"job_id": job_id, "action": "ArchiveRetrieval", "archive_id": multi_ids[0], "archive_size": n,
                "description": "fog retrieval", "vault_arn": arn}
    assert {k: s[k] for k in expected} == expected, s
    if delayed:
        assert (s["status_code"], s["status_message"], s["completed"], s["tree_hash"], s["completed_at"]) == \
            ("InProgress", "Operation in progress.", False, None, None), s
    else:
        assert (s["status_code"], s["completed"]) == ("Succeeded", True), s
    s = one(steps, "wait_job")
    assert s["ok"] is True, s
    assert s["statuses_seen"] == (["InProgress", "Succeeded"] if delayed else ["Succeeded"]), s
    expected.update(status_code="Succeeded", status_message="Succeeded", completed=True, tree_hash=tree_hash(data))
    assert {k: s[k] for k in expected} == expected, s
    boto_job = describe(client, vault, job_id)
    assert (boto_job["CreationDate"], boto_job["CompletionDate"], boto_job["SHA256TreeHash"],
            boto_job["ArchiveSHA256TreeHash"], boto_job["StatusCode"], boto_job.get("SNSTopic")) == \
        (s["created_at"], s["completed_at"], tree_hash(data), tree_hash(data), "Succeeded", s["sns_topic"]), boto_job
    completion = s["completed_at"]
    s = one(steps, "get_job")
    assert {k: s[k] for k in expected} == expected and s["completed_at"] == completion, s
    [r] = s["requests"]
    req(r, "GET", f"{path}/jobs/{job_id}", 200)

    # GetJobOutput: whole, one aligned MiB, an unaligned range, streamed to a file
    out = f"{path}/jobs/{job_id}/output"
    s = one(steps, "get_output")
    assert (s["status"], s["length"], s["sha256"], s["tree_hash"]) == (200, n, sha256_hex(data), tree_hash(data)), s
    [r] = s["requests"]
    got = req(r, "GET", out, 200)
    assert got == {"x-amz-sha256-tree-hash": tree_hash(data), "Content-Type": "application/octet-stream",
                   "Content-Length": str(n), "Accept-Ranges": "bytes",
                   "x-amz-archive-description": "fog%20multipart%201",
                   "x-amzn-RequestId": got["x-amzn-RequestId"]}, got
    for name, (a, b), aligned in (("get_output_range", (MIB, 2 * MIB - 1), True),
                                  ("get_output_unaligned", (1000, MIB + 4999), False)):
        s = one(steps, name)
        piece = data[a:b + 1]
        assert (s["status"], s["length"], s["sha256"]) == (206, len(piece), sha256_hex(piece)), s
        [r] = s["requests"]
        assert r["sent"] == {"Range": f"bytes={a}-{b}"}, r
        got = req(r, "GET", out, 206)
        assert (got["Content-Range"], got["Content-Length"], got["Content-Type"]) == \
            (f"bytes {a}-{b}/{n}", str(len(piece)), "application/octet-stream"), got
        # Glacier returns the checksum only for a tree-hash-aligned range
        assert got.get("x-amz-sha256-tree-hash") == (tree_hash(piece) if aligned else None), got
    s = one(steps, "get_output_io")
    assert (s["status"], s["body_left"], s["length"], s["sha256"]) == (200, 0, n, sha256_hex(data)), s

    s = one(steps, "list_jobs")
    assert (s["ids"], s["filtered_ids"]) == ([job_id], [job_id]), s
    plain, filtered = s["requests"]
    req(plain, "GET", f"{path}/jobs", 200)
    req(filtered, "GET", f"{path}/jobs", 200, {"statuscode": "Succeeded", "completed": "true"})

    s = one(steps, "delete_archive")
    assert s["archive_id"] == single_id, s
    [r] = s["requests"]
    req(r, "DELETE", f"{path}/archives/{single_id}", 204)
    with expect_error("ResourceNotFoundException", 404):
        retrieval_job(client, vault, single_id)

    # The JSON inventory, fog-decoded, against what was uploaded and boto3's own inventory
    s = one(steps, "inventory")
    inv_id = s["job_id"]
    assert (s["action"], s["status_code"], s["ok"], s["status"], s["content_type"], s["decoded"],
            s["vault_arn"]) == ("InventoryRetrieval", "Succeeded", True, 200, "application/json", True, arn), s
    assert s["statuses_seen"] == (["InProgress", "Succeeded"] if delayed else ["Succeeded"]), s
    listed = {a["ArchiveId"]: (a["Size"], a["SHA256TreeHash"], a["ArchiveDescription"]) for a in s["archives"]}
    assert listed == {multi_ids[0]: (n, tree_hash(data), "fog%20multipart%201"),
                      multi_ids[1]: (n, tree_hash(data), "fog%20multipart%202")}, s["archives"]
    assert all(ISO_RE.match(a["CreationDate"]) for a in s["archives"]), s["archives"]
    _, body = job_output(client, vault, finished(client, endpoint, vault, inventory_job(client, vault)))
    assert {a["ArchiveId"]: a for a in json.loads(body)["ArchiveList"]} == {a["ArchiveId"]: a for a in s["archives"]}

    # The notifications the vault's configuration caused (glacier-mock records them)
    for jid, action in ((job_id, "ArchiveRetrieval"), (inv_id, "InventoryRetrieval")):
        notes = notifications_for_job(endpoint, jid)
        assert [n_["Topic"] for n_ in notes] == [TOPIC], notes
        msg = json.loads(notes[0]["Message"])
        assert (msg["Action"], msg["StatusCode"], msg["Completed"], msg["VaultARN"]) == \
            (action, "Succeeded", True, arn), msg

    s = one(steps, "delete_notifications")
    assert s["status"] == 204, s
    error_is(s["get_after"], "Excon::Error::NotFound", 404, "ResourceNotFoundException")
    with expect_error("ResourceNotFoundException", 404):
        client.get_vault_notifications(accountId="-", vaultName=vault)

    s = one(steps, "delete_nonempty_vault")
    err = error_is(s["error"], "Excon::Error::BadRequest", 400, "InvalidParameterValueException")
    assert arn in err["message"], err
    [r] = s["requests"]
    req(r, "DELETE", path, 400)

    s = one(steps, "describe_missing_vault")
    err = error_is(s["error"], "Excon::Error::NotFound", 404, "ResourceNotFoundException")
    assert s["vault"] == f"{vault}-missing" and f"vaults/{vault}-missing" in err["message"], s
    assert s["model_get_nil"] is True, s

    s = one(steps, "describe_vault_wrong_secret")
    if sigv4:
        error_is(s["error"], "Excon::Error::Forbidden", 403, "InvalidSignatureException")
    else:
        assert (s["error"], s["status"]) == (None, 200), s

    # The final state, as boto3 sees it
    desc = client.describe_vault(accountId="-", vaultName=vault)
    assert (desc["NumberOfArchives"], desc["SizeInBytes"], desc["VaultARN"]) == (2, 2 * n, arn), desc
    assert ISO_RE.match(desc["LastInventoryDate"] or ""), desc
    assert list_all_uploads(client, vault) == []
    job = finished(client, endpoint, vault, retrieval_job(client, vault, multi_ids[1]))   # the 2 MiB-part archive
    head, body = job_output(client, vault, job)
    assert (len(body), sha256_hex(body), head["checksum"]) == (n, sha256_hex(data), tree_hash(data))


def test_fog_workflow(ruby, endpoint, glacier, vault_name, tmp_path):
    """The session server (signatures not checked, jobs complete at once)."""
    data = blob("ruby-fog", SIZE)
    path = tmp_path / "archive.bin"
    path.write_bytes(data)
    vault = vault_name("ruby-fog")
    port = int(endpoint.rsplit(":", 1)[1])
    steps = run_fog(ruby, port, vault, path)
    check_workflow(steps, glacier, endpoint, vault, data, delayed=False, sigv4=False)


def test_fog_workflow_sigv4_job_delay(ruby, fresh_server, tmp_path):
    """A server that checks every SigV4 signature (fog's own signer) and whose jobs stay
    InProgress for a second, so fog's wait_for polls."""
    srv = fresh_server(args=("--auth", "sigv4", "--credentials", f"test:test:{DEFAULT_ACCOUNT}",
                             "--job-delay", "standard=1s"))
    data = blob("ruby-fog-sigv4", SIZE)
    path = tmp_path / "archive.bin"
    path.write_bytes(data)
    vault = "ruby-fog-sigv4"
    steps = run_fog(ruby, srv.port, vault, path)
    check_workflow(steps, srv.client(access_key="test", secret="test"), srv.endpoint, vault, data,
                   delayed=True, sigv4=True)
