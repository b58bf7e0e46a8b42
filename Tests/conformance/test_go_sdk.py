"""A second real client: the official AWS SDK for Go (v1, github.com/aws/aws-sdk-go).

Tests/clients/go/glacierclient is built in GOPATH mode against Debian's packaged SDK
(golang-go, golang-github-aws-aws-sdk-go-dev: `scripts/install-deps.sh --with-tests` installs
them) and run against a server. It prints one JSON line per step of a workflow: CreateVault and
the SDK's VaultExists waiter, UploadArchive, a three-part multipart upload with ListParts and
CompleteMultipartUpload, DescribeVault (once more through two injected ThrottlingExceptions,
which the SDK's retryer must ride out), an archive-retrieval job polled with DescribeJob,
GetJobOutput (whole, and one ranged MiB), an upload with a wrong tree hash, DeleteArchive,
DescribeVault on a missing vault and the VaultNotExists waiter, a request signed with a wrong
secret, and ListVaults through the SDK's paginator. The program prints what the SDK saw; this
file decides whether that is right, computing every hash itself (botocore's tree hash,
hashlib) over the same deterministic bytes, and cross-checks the server's state with boto3.

When go or the SDK is missing the tests fail (they do not skip).
"""

from __future__ import annotations

import math
import os
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from helpers import (client_env, describe_after_inventory, run_client_program, DEFAULT_ACCOUNT, DEFAULT_REGION, ISO_RE, MIB, REPO, content_bytes, describe,
                     expect_error, list_all_parts, retrieval_job, sha256_hex, tree_hash)

GO_SOURCE = REPO / "Tests" / "clients" / "go" / "glacierclient"
SDK_GOPATH = Path(os.environ.get("GO_SDK_GOPATH", "/usr/share/gocode"))
SDK_GLACIER = SDK_GOPATH / "src" / "github.com" / "aws" / "aws-sdk-go" / "service" / "glacier"
INSTALL_HINT = ("run `scripts/install-deps.sh --with-tests` (or `apt-get install golang-go "
                "golang-github-aws-aws-sdk-go-dev`)")

# The constants of Tests/clients/go/glacierclient/main.go.
SINGLE_SIZE, SINGLE_SEED, SINGLE_DESC = 3 * MIB + 12345, 17, "go-sdk single archive"
MULTI_SIZE, MULTI_SEED, MULTI_DESC = 2 * MIB + 300001, 101, "go-sdk multipart archive"
PART_SIZE = MIB
BAD_SIZE, BAD_SEED = 4096, 3

STEPS = ["start", "create_vault", "wait_vault_exists", "upload_archive", "initiate_multipart_upload",
         "upload_part", "upload_part", "upload_part", "list_parts", "complete_multipart_upload",
         "describe_vault", "describe_vault_throttled", "initiate_job", "describe_job", "get_job_output", "get_job_output",
         "upload_archive_wrong_checksum", "delete_archive", "describe_missing_vault",
         "wait_vault_not_exists", "describe_vault_wrong_secret", "list_vaults", "done"]

ARCHIVE_ID_RE = re.compile(r"^[A-Za-z0-9_-]{138}$")


def go_content(size: int, seed: int) -> bytes:
    """main.go's content(): byte i = (i*7 + i>>20 + seed) mod 256."""
    return content_bytes(size).translate(bytes((b + seed) % 256 for b in range(256)))


# --------------------------------------------------------------------------
# building and running the Go program
# --------------------------------------------------------------------------

def go_env(tmp: Path) -> dict:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("GO", "AWS_", "GLACIER_MOCK_")) and k != "CGO_ENABLED"}
    env.update({
        "GO111MODULE": "off",          # GOPATH mode: Debian's sources, no module proxy
        "GOPATH": str(SDK_GOPATH),
        "GOFLAGS": "",
        "GOPROXY": "off",
        "GOTOOLCHAIN": "local",
    })
    if os.environ.get("GOCACHE"):
        env["GOCACHE"] = os.environ["GOCACHE"]
    elif not (env.get("HOME") or env.get("XDG_CACHE_HOME")):
        env["GOCACHE"] = str(tmp / "gocache")
    return env


@pytest.fixture(scope="module")
def go_client(tmp_path_factory) -> Path:
    go = shutil.which("go")
    if go is None:
        pytest.fail(f"the Go toolchain (`go`) is not on PATH; {INSTALL_HINT}", pytrace=False)
    if not (SDK_GLACIER / "api.go").is_file():
        pytest.fail(f"aws-sdk-go v1 sources not found at {SDK_GLACIER}; {INSTALL_HINT}",
                    pytrace=False)
    tmp = tmp_path_factory.mktemp("go-client")
    out = tmp / "glacierclient"
    t0 = time.monotonic()
    p = subprocess.run([go, "build", "-o", str(out), "."], cwd=GO_SOURCE, env=go_env(tmp),
                       capture_output=True, text=True, timeout=600)
    elapsed = time.monotonic() - t0
    if p.returncode != 0:
        pytest.fail(f"go build of {GO_SOURCE} failed ({p.returncode}, {elapsed:.1f}s):\n"
                    f"{p.stdout}{p.stderr}", pytrace=False)
    print(f"go build: {elapsed:.2f}s")
    return out


def run_go_client(binary: Path, endpoint: str, vault: str, tmp: Path) -> dict[str, list[dict]]:
    env = client_env(AWS_CONFIG_FILE=str(tmp / "no-config"), AWS_SHARED_CREDENTIALS_FILE=str(tmp / "no-credentials"),
                     AWS_EC2_METADATA_DISABLED="true")
    return run_client_program([str(binary), "-vault", vault, endpoint], "glacierclient", STEPS, env)


# --------------------------------------------------------------------------
# the facts
# --------------------------------------------------------------------------

def check_workflow(steps: dict[str, list[dict]], client, vault: str, *, delayed_job: bool,
                   sigv4: bool):
    """Asserts what the Go SDK observed; `client` is a boto3 client of the same account."""
    single = go_content(SINGLE_SIZE, SINGLE_SEED)
    multi = go_content(MULTI_SIZE, MULTI_SEED)
    arn = f"arn:aws:glacier:{DEFAULT_REGION}:{DEFAULT_ACCOUNT}:vaults/{vault}"
    base = f"/{DEFAULT_ACCOUNT}/vaults/{vault}"
    (start,) = steps["start"]
    assert start["sdk"] == "aws-sdk-go" and start["sdk_version"].startswith("1."), start

    (s,) = steps["create_vault"]
    assert (s["http_status"], s["location"]) == (201, base), s
    (s,) = steps["wait_vault_exists"]
    assert s["ok"] is True, s

    # UploadArchive: the SDK computed both hashes; the server returned the tree hash.
    (s,) = steps["upload_archive"]
    assert s["http_status"] == 201 and s["size"] == len(single), s
    assert s["sent_tree_hash"] == s["local_tree_hash"] == tree_hash(single), s
    assert s["sent_content_sha256"] == s["local_linear_hash"] == sha256_hex(single), s
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
        want = tree_hash(multi[first:end])
        assert s["part"] == i and s["http_status"] == 204, s
        assert s["range"] == f"bytes {first}-{end - 1}/*" and s["size"] == end - first, s
        assert s["sent_tree_hash"] == s["local_tree_hash"] == want, s
        assert s["sent_content_sha256"] == sha256_hex(multi[first:end]), s
        assert s["checksum"] == want, s
    (s,) = steps["list_parts"]
    assert s["http_status"] == 200, s
    assert (s["upload_id"], s["part_size"], s["archive_description"], s["vault_arn"], s["marker"]) == \
        (upload_id, PART_SIZE, MULTI_DESC, arn, None), s
    assert s["parts"] == [{"range": f"{a}-{b - 1}", "tree_hash": tree_hash(multi[a:b])} for a, b in ranges], s
    (s,) = steps["complete_multipart_upload"]
    assert s["http_status"] == 201 and s["size"] == len(multi), s
    assert s["sent_checksum"] == s["local_tree_hash"] == tree_hash(multi), s
    assert s["local_linear_hash"] == sha256_hex(multi), s
    assert s["checksum"] == tree_hash(multi), s
    multi_id = s["archive_id"]
    assert ARCHIVE_ID_RE.match(multi_id) and multi_id != single_id, s
    assert s["location"] == f"{base}/archives/{multi_id}", s
    with expect_error("ResourceNotFoundException", 404):   # a completed upload is gone
        list_all_parts(client, vault, upload_id)

    # DescribeVault, after the program took the vault's inventory (POST /_mock/inventory):
    # counts as of that inventory
    (s,) = steps["describe_vault"]
    assert s["http_status"] == 200, s
    assert (s["vault_name"], s["vault_arn"], s["number_of_archives"], s["size_in_bytes"]) == \
        (vault, arn, 2, len(single) + len(multi)), s
    assert ISO_RE.match(s["last_inventory_date"] or ""), s

    # Two injected ThrottlingExceptions: the SDK's retryer took them as throttling and retried.
    (s,) = steps["describe_vault_throttled"]
    assert (s["fault_status"], s["http_status"], s["retry_count"], s["vault_name"]) == (200, 200, 2, vault), s

    # The retrieval job, polled until it completed
    (s,) = steps["initiate_job"]
    job_id = s["job_id"]
    assert s["http_status"] == 202 and job_id, s
    assert s["location"] == f"{base}/jobs/{job_id}", s
    (s,) = steps["describe_job"]
    assert s["http_status"] == 200, s
    assert s["statuses_seen"] == (["InProgress", "Succeeded"] if delayed_job else ["Succeeded"]), s
    expected_job = {"job_id": job_id, "action": "ArchiveRetrieval", "status_code": "Succeeded",
                    "completed": True, "archive_id": multi_id, "archive_size": len(multi),
                    "archive_tree_hash": tree_hash(multi), "sha256_tree_hash": tree_hash(multi),
                    "retrieval_byte_range": f"0-{len(multi) - 1}", "tier": "Standard",
                    "vault_arn": arn}
    assert {k: s[k] for k in expected_job} == expected_job, s
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

    # An upload with a wrong tree hash: a Glacier error the SDK parsed
    (s,) = steps["upload_archive_wrong_checksum"]
    bad = go_content(BAD_SIZE, BAD_SEED)
    assert s["sent_tree_hash"] == "0" * 64 and s["sent_content_sha256"] == sha256_hex(bad), s
    err = s.get("error")
    assert err, f"an upload with a wrong tree hash was accepted: {s}"
    assert (err["code"], err["status"], err["go_type"]) == \
        ("InvalidParameterValueException", 400, "*glacier.InvalidParameterValueException"), s
    assert "0" * 64 in err["message"] and tree_hash(bad) in err["message"], s
    assert err["request_id"], s

    # DeleteArchive, cross-checked with boto3
    (s,) = steps["delete_archive"]
    assert (s["http_status"], s["archive_id"]) == (204, single_id), s
    with expect_error("ResourceNotFoundException", 404):
        retrieval_job(client, vault, single_id)
    desc = describe_after_inventory(client, vault)   # counted by the next inventory
    assert (desc["NumberOfArchives"], desc["SizeInBytes"]) == (1, len(multi)), desc

    # DescribeVault on a vault that does not exist
    (s,) = steps["describe_missing_vault"]
    err = s.get("error")
    assert err, f"DescribeVault of a missing vault succeeded: {s}"
    assert (err["code"], err["status"], err["go_type"]) == \
        ("ResourceNotFoundException", 404, "*glacier.ResourceNotFoundException"), s
    assert s["vault"] in err["message"], s
    assert err["request_id"], s
    (s,) = steps["wait_vault_not_exists"]   # the waiter matches the error code of a 404
    assert s["ok"] is True, s

    # A request signed with the wrong secret
    (s,) = steps["describe_vault_wrong_secret"]
    if sigv4:
        err = s.get("error")
        assert err, f"a request signed with a wrong secret was accepted: {s}"
        assert (err["code"], err["status"]) == ("InvalidSignatureException", 403), s
        assert err["message"] and err["request_id"], s
    else:
        assert s.get("http_status") == 200, s

    # ListVaults through the SDK's paginator (10 vaults a page)
    (s,) = steps["list_vaults"]
    assert s["contains_vault"] and s["sorted"] and s["distinct"] == s["count"], s
    assert s["pages"] == max(1, math.ceil(s["count"] / 10)), s


def test_go_sdk_workflow(go_client, endpoint, glacier, vault_name, tmp_path):
    """The session server (signatures not checked, jobs complete at once)."""
    vault = vault_name("go-sdk")
    steps = run_go_client(go_client, endpoint, vault, tmp_path)
    check_workflow(steps, glacier, vault, delayed_job=False, sigv4=False)


def test_go_sdk_workflow_sigv4_job_delay(go_client, fresh_server, tmp_path):
    """A server that checks every SigV4 signature (the Go SDK's signer, not botocore's) and whose
    retrieval jobs stay InProgress for a second, so the program's DescribeJob polling waits."""
    srv = fresh_server(args=("--auth", "sigv4", "--credentials", f"test:test:{DEFAULT_ACCOUNT}",
                             "--job-delay", "standard=1s"))
    vault = "go-sdk-sigv4"
    steps = run_go_client(go_client, srv.endpoint, vault, tmp_path)
    check_workflow(steps, srv.client(access_key="test", secret="test"), vault,
                   delayed_job=True, sigv4=True)
