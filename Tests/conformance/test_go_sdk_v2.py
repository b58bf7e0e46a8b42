"""A third real client: the AWS SDK for Go v2 (github.com/aws/aws-sdk-go-v2/service/glacier).

Tests/clients/go2/glacierclient is built in GOPATH mode against Debian's packaged SDK
(golang-go, golang-github-aws-aws-sdk-go-v2-dev 1.17.1 with golang-github-aws-smithy-go-dev:
`scripts/install-deps.sh --with-tests` installs them); Debian ships every module of the SDK in
one tree under /usr/share/gocode/src, so `GO111MODULE=off GOPATH=/usr/share/gocode go build`
resolves every import offline, as for the v1 program (test_go_sdk.py, whose go_env this file
uses).

The program runs the v1 program's workflow with the v2 API (the waiters, the ListVaults
paginator, per-call options) and, for every step, records what went over the wire after all
of the SDK's middleware ran: the v2 SDK's Glacier customizations fill in the account ID "-"
when it is left out (and leave an explicit one alone), add x-amz-glacier-version to every
request, and compute x-amz-sha256-tree-hash and x-amz-content-sha256 of every request body
itself unless the caller gave a tree hash (Checksum), in which case SDK 1.17 sends no
x-amz-content-sha256 at all (aws/aws-sdk-go-v2#1212): two steps record what the server says
to that, signed with the right secret and with a wrong one (under --auth sigv4 the latter must
be 403 InvalidSignatureException, checked last), another adds the header itself to reach the
tree-hash check. One DescribeVault goes through two injected ThrottlingExceptions
(POST /_mock/faults) with the SDK's standard retryer, which must retry them. The program prints
facts; this file decides whether they are right, computing every hash itself (botocore's
tree hash, hashlib) over the same deterministic bytes and cross-checking with boto3.

The v2 output differs from the v1 program's (errors are *smithy.OperationError wrapping
*types.X, every line carries "requests"), so the checks are this file's own.

When go or the SDK is missing the tests fail (they do not skip).
"""

from __future__ import annotations

import math
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from helpers import (client_env, describe_after_inventory, run_client_program, DEFAULT_ACCOUNT, DEFAULT_REGION, ISO_RE, MIB, REPO, describe, expect_error,
                     list_all_parts, retrieval_job, sha256_hex, tree_hash)
from test_go_sdk import SDK_GOPATH, go_content, go_env

GO_SOURCE = REPO / "Tests" / "clients" / "go2" / "glacierclient"
SDK_V2 = SDK_GOPATH / "src" / "github.com" / "aws" / "aws-sdk-go-v2"
SMITHY = SDK_GOPATH / "src" / "github.com" / "aws" / "smithy-go"
INSTALL_HINT = ("run `scripts/install-deps.sh --with-tests` (or `apt-get install golang-go "
                "golang-github-aws-aws-sdk-go-v2-dev`, which pulls in golang-github-aws-smithy-go-dev)")

# The constants of Tests/clients/go2/glacierclient/main.go.
SINGLE_SIZE, SINGLE_SEED, SINGLE_DESC = 3 * MIB + 12345, 29, "go-sdk-v2 single archive"
MULTI_SIZE, MULTI_SEED, MULTI_DESC = 2 * MIB + 300001, 113, "go-sdk-v2 multipart archive"
PART_SIZE = MIB
BAD_SIZE, BAD_SEED = 4096, 5
GLACIER_VERSION = "2012-06-01"

STEPS = ["start", "create_vault", "wait_vault_exists", "describe_vault_explicit_account",
         "upload_archive", "initiate_multipart_upload", "upload_part", "upload_part", "upload_part",
         "list_parts", "complete_multipart_upload", "describe_vault", "describe_vault_throttled", "initiate_job", "describe_job",
         "get_job_output", "get_job_output", "upload_archive_checksum_only",
         "upload_archive_checksum_only_wrong_secret", "upload_archive_wrong_checksum", "delete_archive", "describe_missing_vault",
         "wait_vault_not_exists", "describe_vault_wrong_secret", "list_vaults", "done"]

ARCHIVE_ID_RE = re.compile(r"^[A-Za-z0-9_-]{138}$")


# --------------------------------------------------------------------------
# building and running the Go program
# --------------------------------------------------------------------------

@pytest.fixture(scope="module")
def go2_client(tmp_path_factory) -> Path:
    go = shutil.which("go")
    if go is None:
        pytest.fail(f"the Go toolchain (`go`) is not on PATH; {INSTALL_HINT}", pytrace=False)
    for need in (SDK_V2 / "service" / "glacier" / "api_client.go",
                 SDK_V2 / "service" / "glacier" / "internal" / "customizations" / "treehash.go",
                 SMITHY / "middleware" / "stack.go"):
        if not need.is_file():
            pytest.fail(f"aws-sdk-go-v2 sources not found ({need} is missing); {INSTALL_HINT}",
                        pytrace=False)
    tmp = tmp_path_factory.mktemp("go2-client")
    out = tmp / "glacierclient"
    t0 = time.monotonic()
    p = subprocess.run([go, "build", "-o", str(out), "."], cwd=GO_SOURCE, env=go_env(tmp),
                       capture_output=True, text=True, timeout=600)
    elapsed = time.monotonic() - t0
    if p.returncode != 0:
        pytest.fail(f"go build of {GO_SOURCE} failed ({p.returncode}, {elapsed:.1f}s):\n"
                    f"{p.stdout}{p.stderr}", pytrace=False)
    print(f"go build (aws-sdk-go-v2 client): {elapsed:.2f}s")
    return out


def run_go2_client(binary: Path, endpoint: str, vault: str, tmp: Path) -> dict[str, list[dict]]:
    env = client_env(AWS_CONFIG_FILE=str(tmp / "no-config"), AWS_SHARED_CREDENTIALS_FILE=str(tmp / "no-credentials"),
                     AWS_EC2_METADATA_DISABLED="true")
    return run_client_program([str(binary), "-vault", vault, endpoint], "glacierclient (v2)", STEPS, env)


# --------------------------------------------------------------------------
# the facts
# --------------------------------------------------------------------------

def only_request(s: dict) -> dict:
    """The one HTTP exchange of a single-request step."""
    reqs = s["requests"]
    assert len(reqs) == 1, s
    return reqs[0]


def check_wire(steps: dict[str, list[dict]], vault: str):
    """Every request the SDK sent: the customizations' headers and the account in the path."""
    for name, lines in steps.items():
        for s in lines:
            if "requests" not in s:
                assert name in ("start", "done"), s
                continue
            assert s["requests"], s
            for r in s["requests"]:
                assert "transport_error" not in r, s
                # x-amz-glacier-version on every request, and covered by the signature
                assert r["glacier_version"] == GLACIER_VERSION, (name, r)
                assert "x-amz-glacier-version" in r["signed_headers"], (name, r)
                assert r["request_id"], (name, r)   # x-amzn-RequestId on every response
                account = DEFAULT_ACCOUNT if name == "describe_vault_explicit_account" else "-"
                assert r["path"].startswith(f"/{account}/vaults"), (name, r)
                if name not in ("list_vaults", "describe_missing_vault", "wait_vault_not_exists"):
                    assert r["path"].startswith(f"/{account}/vaults/{vault}"), (name, r)
            if "error" in s:   # the SDK's request ID is the response's x-amzn-RequestId
                assert s["error"]["request_id"] == s["requests"][-1]["request_id"], s
                assert s["error"]["status"] == s["requests"][-1]["status"], s
            elif "http_status" in s:
                assert s["http_status"] == s["requests"][-1]["status"], s


def check_upload_wire(r: dict, data: bytes):
    """An upload whose hashes the SDK's tree-hash middleware computed."""
    assert (r["tree_hash"], r["content_sha256"], r["content_length"]) == \
        (tree_hash(data), sha256_hex(data), len(data)), r
    assert {"x-amz-sha256-tree-hash", "x-amz-content-sha256"} <= set(r["signed_headers"]), r


def check_api_error(s: dict, code: str, status: int, *, modeled: bool, operation: str) -> dict:
    """A failed call as the v2 SDK surfaces it: *smithy.OperationError wrapping an API error
    (the modeled *types.<code> when Glacier's model has it) and an HTTP response error."""
    err = s.get("error")
    assert err, f"the call succeeded: {s}"
    api_type = f"*types.{code}" if modeled else "*smithy.GenericAPIError"
    assert (err["go_type"], err["service"], err["operation"]) == \
        ("*smithy.OperationError", "Glacier", operation), s
    assert (err["code"], err["status"], err["api_error_type"]) == (code, status, api_type), s
    assert err["message"] and err["request_id"], s
    assert "deserialization_error" not in err, s
    if modeled:   # the "code" and "type" members of Glacier's JSON error body
        assert (err["body_code"], err["body_type"], err["fault"]) == (code, "Client", "client"), s
    return err


def check_workflow_v2(steps: dict[str, list[dict]], client, vault: str, *, delayed_job: bool,
                      sigv4: bool):
    """Asserts what the Go SDK v2 observed; `client` is a boto3 client of the same account."""
    single = go_content(SINGLE_SIZE, SINGLE_SEED)
    multi = go_content(MULTI_SIZE, MULTI_SEED)
    bad = go_content(BAD_SIZE, BAD_SEED)
    arn = f"arn:aws:glacier:{DEFAULT_REGION}:{DEFAULT_ACCOUNT}:vaults/{vault}"
    base = f"/{DEFAULT_ACCOUNT}/vaults/{vault}"
    (start,) = steps["start"]
    assert start["sdk"] == "aws-sdk-go-v2" and start["sdk_version"].startswith("1."), start
    check_wire(steps, vault)

    (s,) = steps["create_vault"]
    assert (s["http_status"], s["location"]) == (201, base), s
    assert only_request(s)["method"] == "PUT", s
    (s,) = steps["wait_vault_exists"]
    assert s["ok"] is True and [r["status"] for r in s["requests"]] == [200], s
    (s,) = steps["describe_vault_explicit_account"]
    assert (s["account"], s["http_status"], s["vault_arn"]) == (DEFAULT_ACCOUNT, 200, arn), s

    # UploadArchive: the SDK computed both hashes; the server returned the tree hash.
    (s,) = steps["upload_archive"]
    assert s["http_status"] == 201 and s["size"] == len(single), s
    check_upload_wire(only_request(s), single)
    assert s["checksum"] == tree_hash(single), s
    single_id = s["archive_id"]
    assert ARCHIVE_ID_RE.match(single_id), s
    assert s["location"] == f"{base}/archives/{single_id}", s

    # Multipart upload
    (s,) = steps["initiate_multipart_upload"]
    upload_id = s["upload_id"]
    assert s["http_status"] == 201 and upload_id, s
    assert s["location"] == f"{base}/multipart-uploads/{upload_id}", s
    ranges = [(first, min(first + PART_SIZE, MULTI_SIZE)) for first in range(0, MULTI_SIZE, PART_SIZE)]
    assert len(ranges) == 3 and ranges[-1][1] - ranges[-1][0] < PART_SIZE
    parts = steps["upload_part"]
    for i, (first, end) in enumerate(ranges):
        s = parts[i]
        assert s["part"] == i and s["http_status"] == 204, s
        assert s["range"] == f"bytes {first}-{end - 1}/*" and s["size"] == end - first, s
        r = only_request(s)
        assert (r["method"], r["path"]) == ("PUT", f"/-/vaults/{vault}/multipart-uploads/{upload_id}"), s
        check_upload_wire(r, multi[first:end])
        assert s["checksum"] == tree_hash(multi[first:end]), s
    (s,) = steps["list_parts"]
    assert s["http_status"] == 200, s
    assert (s["upload_id"], s["part_size"], s["archive_description"], s["vault_arn"], s["marker"]) == \
        (upload_id, PART_SIZE, MULTI_DESC, arn, None), s
    assert ISO_RE.match(s["creation_date"]), s
    assert s["parts"] == [{"range": f"{a}-{b - 1}", "tree_hash": tree_hash(multi[a:b])} for a, b in ranges], s
    (s,) = steps["complete_multipart_upload"]
    assert s["http_status"] == 201 and s["size"] == len(multi), s
    assert s["sent_checksum"] == only_request(s)["tree_hash"] == tree_hash(multi), s
    assert s["checksum"] == tree_hash(multi), s
    multi_id = s["archive_id"]
    assert ARCHIVE_ID_RE.match(multi_id) and multi_id != single_id, s
    assert s["location"] == f"{base}/archives/{multi_id}", s
    with expect_error("ResourceNotFoundException", 404):   # a completed upload is gone
        list_all_parts(client, vault, upload_id)

    # DescribeVault, after the program took the vault's inventory (POST /_mock/inventory):
    # counts as of that inventory, cross-checked with boto3
    (s,) = steps["describe_vault"]
    assert s["http_status"] == 200, s
    assert (s["vault_name"], s["vault_arn"], s["number_of_archives"], s["size_in_bytes"]) == \
        (vault, arn, 2, len(single) + len(multi)), s
    assert ISO_RE.match(s["last_inventory_date"] or ""), s
    boto_vault = client.describe_vault(accountId="-", vaultName=vault)
    assert (boto_vault["VaultARN"], boto_vault["CreationDate"]) == (arn, s["creation_date"]), boto_vault

    # Two injected ThrottlingExceptions: the standard retryer took them as retryable.
    (s,) = steps["describe_vault_throttled"]
    assert (s["fault_status"], s["http_status"], s["vault_name"]) == (200, 200, vault), s
    assert [r["status"] for r in s["requests"]] == [400, 400, 200], s

    # The retrieval job, polled until it completed. InitiateJob has a (JSON) body, so the
    # SDK's middleware hashed it too: one leaf, tree hash = SHA-256.
    (s,) = steps["initiate_job"]
    job_id = s["job_id"]
    assert s["http_status"] == 202 and job_id, s
    assert s["location"] == f"{base}/jobs/{job_id}", s
    r = only_request(s)
    assert r["content_sha256"] and r["tree_hash"] == r["content_sha256"] and r["content_length"] > 0, s
    (s,) = steps["describe_job"]
    assert s["http_status"] == 200, s
    assert s["statuses_seen"] == (["InProgress", "Succeeded"] if delayed_job else ["Succeeded"]), s
    assert s["polls"] >= (2 if delayed_job else 1), s
    expected_job = {"job_id": job_id, "action": "ArchiveRetrieval", "status_code": "Succeeded",
                    "completed": True, "archive_id": multi_id, "archive_size": len(multi),
                    "archive_tree_hash": tree_hash(multi), "sha256_tree_hash": tree_hash(multi),
                    "retrieval_byte_range": f"0-{len(multi) - 1}", "tier": "Standard",
                    "vault_arn": arn}
    assert {k: s[k] for k in expected_job} == expected_job, s
    assert ISO_RE.match(s["creation_date"]) and ISO_RE.match(s["completion_date"]), s
    boto_job = describe(client, vault, job_id)
    assert (boto_job["JobId"], boto_job["ArchiveId"], boto_job["Completed"], boto_job["StatusCode"],
            boto_job["ArchiveSHA256TreeHash"], boto_job["SHA256TreeHash"], boto_job["CompletionDate"]) == \
        (job_id, multi_id, True, "Succeeded", tree_hash(multi), tree_hash(multi), s["completion_date"])

    # GetJobOutput: the whole archive, then its second MiB
    whole, ranged = steps["get_job_output"]
    assert (whole["range"], whole["http_status"], whole["status"]) == ("", 200, 200), whole
    assert (whole["length"], whole["sha256"]) == (len(multi), sha256_hex(multi)), whole
    assert whole["checksum"] == whole["body_tree_hash"] == tree_hash(multi), whole
    assert (whole["content_type"], whole["accept_ranges"], whole["archive_description"]) == \
        ("application/octet-stream", "bytes", MULTI_DESC), whole
    piece = multi[MIB:2 * MIB]
    assert (ranged["range"], ranged["http_status"], ranged["status"]) == \
        (f"bytes={MIB}-{2 * MIB - 1}", 206, 206), ranged
    assert (ranged["length"], ranged["sha256"]) == (len(piece), sha256_hex(piece)), ranged
    assert ranged["checksum"] == ranged["body_tree_hash"] == tree_hash(piece), ranged
    assert ranged["content_range"] == f"bytes {MIB}-{2 * MIB - 1}/{len(multi)}", ranged
    assert "range" in only_request(ranged)["signed_headers"], ranged

    # UploadArchive with the tree hash given (Checksum): SDK 1.17 then sends no
    # x-amz-content-sha256, which Glacier requires on an upload. Refused, nothing stored.
    for name in ("upload_archive_checksum_only", "upload_archive_checksum_only_wrong_secret"):
        (s,) = steps[name]
        r = only_request(s)
        assert (r["tree_hash"], r["content_sha256"], r["content_length"]) == \
            (tree_hash(bad), None, len(bad)), s
        assert "x-amz-content-sha256" not in r["signed_headers"], s
        assert "archive_id" not in s, f"an upload without x-amz-content-sha256 was accepted: {s}"
    (s,) = steps["upload_archive_checksum_only"]
    if sigv4:
        # What AWS answered such a signed upload in aws/aws-sdk-go-v2#1212 (UploadMultipartPart):
        # Glacier signs an upload's payload through x-amz-content-sha256.
        err = check_api_error(s, "InvalidSignatureException", 403, modeled=False, operation="UploadArchive")
        assert "x-amz-content-sha256" in err["message"], s
    else:   # no signature checked: the header is simply missing
        err = check_api_error(s, "MissingParameterValueException", 400, modeled=True,
                              operation="UploadArchive")
        assert "x-amz-content-sha256" in err["message"], s
    if not sigv4:   # no signature checked: the same refusal
        (s,) = steps["upload_archive_checksum_only_wrong_secret"]
        err = check_api_error(s, "MissingParameterValueException", 400, modeled=True,
                              operation="UploadArchive")
        assert "x-amz-content-sha256" in err["message"], s

    # An upload with a wrong tree hash (and the body's SHA-256 added by the caller): a
    # Glacier error the SDK parsed into *types.InvalidParameterValueException
    (s,) = steps["upload_archive_wrong_checksum"]
    r = only_request(s)
    assert (r["tree_hash"], r["content_sha256"]) == ("0" * 64, sha256_hex(bad)), s
    assert {"x-amz-sha256-tree-hash", "x-amz-content-sha256"} <= set(r["signed_headers"]), s
    assert "archive_id" not in s, f"an upload with a wrong tree hash was accepted: {s}"
    err = check_api_error(s, "InvalidParameterValueException", 400, modeled=True,
                          operation="UploadArchive")
    assert "0" * 64 in err["message"] and tree_hash(bad) in err["message"], s

    # DeleteArchive, cross-checked with boto3 (neither refused upload left an archive)
    (s,) = steps["delete_archive"]
    assert (s["http_status"], s["archive_id"]) == (204, single_id), s
    with expect_error("ResourceNotFoundException", 404):
        retrieval_job(client, vault, single_id)
    desc = describe_after_inventory(client, vault)   # counted by the next inventory
    assert (desc["NumberOfArchives"], desc["SizeInBytes"]) == (1, len(multi)), desc

    # DescribeVault on a vault that does not exist
    (s,) = steps["describe_missing_vault"]
    err = check_api_error(s, "ResourceNotFoundException", 404, modeled=True, operation="DescribeVault")
    assert s["vault"] in err["message"], s
    (s,) = steps["wait_vault_not_exists"]   # done on *types.ResourceNotFoundException
    assert s["ok"] is True and [r["status"] for r in s["requests"]] == [404], s

    # A request signed with the wrong secret (by a signer of its own, see main.go)
    (s,) = steps["describe_vault_wrong_secret"]
    if sigv4:
        check_api_error(s, "InvalidSignatureException", 403, modeled=False, operation="DescribeVault")
    else:
        assert s.get("http_status") == 200, s

    # ListVaults through the SDK's paginator (10 vaults a page)
    (s,) = steps["list_vaults"]
    assert s["contains_vault"] and s["sorted"] and s["distinct"] == s["count"], s
    assert s["pages"] == max(1, math.ceil(s["count"] / 10)) == len(s["requests"]), s
    assert s["requests"][0]["query"] == "", s
    assert all(r["query"].startswith("marker=") for r in s["requests"][1:]), s
    boto_names = {v["VaultName"] for page in client.get_paginator("list_vaults").paginate(accountId="-")
                  for v in page["VaultList"]}
    assert vault in boto_names, boto_names

    # Last, so that every other fact is checked first: the upload without
    # x-amz-content-sha256 signed with a wrong secret. A request whose signature is wrong is
    # refused as such (403 InvalidSignatureException) before any check of its parameters, as
    # DescribeVault with the wrong secret is above; AWS authenticates every request first.
    if sigv4:
        (s,) = steps["upload_archive_checksum_only_wrong_secret"]
        check_api_error(s, "InvalidSignatureException", 403, modeled=False, operation="UploadArchive")


def test_go_sdk_v2_workflow(go2_client, endpoint, glacier, vault_name, tmp_path):
    """The session server (signatures not checked, jobs complete at once)."""
    vault = vault_name("go-sdk-v2")
    steps = run_go2_client(go2_client, endpoint, vault, tmp_path)
    check_workflow_v2(steps, glacier, vault, delayed_job=False, sigv4=False)


def test_go_sdk_v2_workflow_sigv4_job_delay(go2_client, fresh_server, tmp_path):
    """A server that checks every SigV4 signature (the v2 SDK's signer: it also signs
    amz-sdk-invocation-id and amz-sdk-request) and whose retrieval jobs stay InProgress for a
    second, so the program's DescribeJob polling waits."""
    srv = fresh_server(args=("--auth", "sigv4", "--credentials", f"test:test:{DEFAULT_ACCOUNT}",
                             "--job-delay", "standard=1s"))
    vault = "go-sdk-v2-sigv4"
    steps = run_go2_client(go2_client, srv.endpoint, vault, tmp_path)
    check_workflow_v2(steps, srv.client(access_key="test", secret="test"), vault,
                      delayed_job=True, sigv4=True)
