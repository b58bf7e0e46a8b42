"""A third real client: boto 2, the legacy `boto` package, whose Glacier layers (Layer1, Layer2,
Writer, ConcurrentUploader, Job) backup tools of its era still use (glacier-cli, git-annex's
Glacier remote, bakthat).

Tests/clients/boto2/boto2_workflow.py runs under Debian's python3 with python3-boto
(`scripts/install-deps.sh --with-tests` installs it) and prints what boto saw as JSON lines:
a vault, one archive each through UploadArchive, boto's multipart Writer (4 MiB parts) and its
ConcurrentUploader (1 MiB parts, 4 threads), a retrieval job, whole, ranged and chunked
GetJobOutput, ListJobs, DeleteArchive and a missing vault. This file computes every hash itself
and cross-checks the server's state with boto3.

boto 2 derives the SigV4 scope from the host name, so against 127.0.0.1 it signs for region
"0" of service "127"; glacier-mock then uses its default region (README, Accounts and regions).
When Debian's python3 or boto is missing the test fails (it does not skip).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from urllib.parse import urlparse

import pytest

from helpers import DEFAULT_ACCOUNT, MIB, blob, describe, describe_after_inventory, expect_error, retrieval_job, sha256_hex, tree_hash

SCRIPT = Path(__file__).resolve().parents[1] / "clients" / "boto2" / "boto2_workflow.py"
SYSTEM_PYTHON = "/usr/bin/python3"
INSTALL_HINT = "run `scripts/install-deps.sh --with-tests` (or `apt-get install python3-boto`)"
ARCHIVE_ID_RE = re.compile(r"^[A-Za-z0-9_-]{138}$")
STEPS = ["start", "create_vault", "get_vault", "local_hashes", "upload_archive", "create_archive_from_file",
         "concurrent_upload", "list_multipart_uploads", "describe_vault", "retrieve_archive", "get_job",
         "get_output", "get_output_range", "download_to_file", "list_jobs", "delete_archives",
         "describe_missing_vault", "done"]


def test_boto2_workflow(endpoint, glacier, vault_name, tmp_path):
    if not Path(SYSTEM_PYTHON).exists() or subprocess.run(
            [SYSTEM_PYTHON, "-c", "import boto.glacier.layer2"], capture_output=True).returncode != 0:
        pytest.fail(f"boto 2 is not importable by {SYSTEM_PYTHON}; {INSTALL_HINT}", pytrace=False)
    data = blob("boto2", 9 * MIB + 12345)   # Writer: 3 parts of 4 MiB; ConcurrentUploader: 10 of 1 MiB
    path = tmp_path / "archive.bin"
    path.write_bytes(data)
    vault = vault_name("boto2")
    port = str(urlparse(endpoint).port)
    p = subprocess.run([SYSTEM_PYTHON, str(SCRIPT), port, vault, str(path)],
                       capture_output=True, text=True, timeout=120)
    where = f"boto2_workflow exited {p.returncode}\nstdout:\n{p.stdout}\nstderr:\n{p.stderr}"
    lines = [json.loads(line) for line in p.stdout.splitlines() if line.strip()]
    assert p.returncode == 0 and [ln["step"] for ln in lines] == STEPS, where
    s = {ln["step"]: ln for ln in lines}
    arn = f"arn:aws:glacier:us-east-1:{DEFAULT_ACCOUNT}:vaults/{vault}"

    assert s["start"]["boto_version"].startswith("2."), s["start"]
    assert s["create_vault"]["location"] == f"/{DEFAULT_ACCOUNT}/vaults/{vault}", s["create_vault"]
    assert (s["get_vault"]["name"], s["get_vault"]["arn"], s["get_vault"]["number_of_archives"],
            s["get_vault"]["size"]) == (vault, arn, 0, 0), s["get_vault"]
    # boto's own hashes of the file: the checksums it sent
    assert (s["local_hashes"]["linear"], s["local_hashes"]["tree"]) == (sha256_hex(data), tree_hash(data))

    ids = [s[k]["archive_id"] for k in ("upload_archive", "create_archive_from_file", "concurrent_upload")]
    assert all(ARCHIVE_ID_RE.match(i) for i in ids) and len(set(ids)) == 3, ids
    # the survivor (the other two are deleted by the workflow), as boto3 sees it
    job = describe(glacier, vault, retrieval_job(glacier, vault, ids[2]))
    assert (job["ArchiveSizeInBytes"], job["ArchiveSHA256TreeHash"]) == (len(data), tree_hash(data)), job
    assert s["list_multipart_uploads"]["count"] == 0      # Writer and ConcurrentUploader completed theirs
    assert (s["describe_vault"]["number_of_archives"], s["describe_vault"]["size"], s["describe_vault"]["arn"]) \
        == (3, 3 * len(data), arn), s["describe_vault"]

    job = s["get_job"]
    assert (job["action"], job["status_code"], job["completed"], job["archive_id"], job["archive_size"],
            job["sha256_treehash"]) == ("ArchiveRetrieval", "Succeeded", True, ids[2], len(data), tree_hash(data)), job
    assert (s["get_output"]["length"], s["get_output"]["sha256"]) == (len(data), sha256_hex(data)), s["get_output"]
    piece = data[MIB:2 * MIB]
    r = s["get_output_range"]
    assert (r["length"], r["sha256"], r["tree_hash"], r["content_range"]) == \
        (len(piece), sha256_hex(piece), tree_hash(piece), f"bytes {MIB}-{2 * MIB - 1}/{len(data)}"), r
    d = s["download_to_file"]
    assert (d["length"], d["sha256"]) == (len(data), sha256_hex(data)), d
    assert s["retrieve_archive"]["job_id"] in s["list_jobs"]["ids"], s["list_jobs"]

    desc = describe_after_inventory(glacier, vault)   # two of the three deleted, counted by the next inventory
    assert (desc["NumberOfArchives"], desc["SizeInBytes"]) == (1, len(data)), desc
    for archive_id in ids[:2]:
        with expect_error("ResourceNotFoundException", 404):
            retrieval_job(glacier, vault, archive_id)
    err = s["describe_missing_vault"]["error"]
    assert err and (err["status"], err["code"]) == (404, "ResourceNotFoundException"), s["describe_missing_vault"]
    assert f"{vault}-missing" in err["message"], err
