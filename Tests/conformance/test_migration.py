"""examples/migrate-to-s3/migrate.py, rehearsed end to end: glacier-mock as the vault (jobs that
take time, injected faults, the request journal) and moto's server as S3.

Each test starts its own glacier-mock (with --job-delay, so the program waits for its jobs as
on AWS) and uses one moto server for the module, with a bucket of its own. What is checked:
every object's bytes, size, storage class, metadata and SHA-256 checksum against the
archive; the Glacier calls the program made (GET /_mock/requests); and the program's report
and exit code."""

from __future__ import annotations

import base64
import hashlib
import importlib.util
import json
import os
import signal
import socket
import subprocess
import sys
import uuid
from pathlib import Path

import boto3
import pytest
import requests

from helpers import (MIB, REPO, HTTP_TIMEOUT, blob, client_env, create_archive, tree_hash, upload, wait_until)

MIGRATE = REPO / "examples" / "migrate-to-s3" / "migrate.py"

# Jobs take a second: long enough that the program sees them InProgress and polls.
QUICK_JOBS = ("--job-delay", "expedited=1s,standard=1s,bulk=1s")
# Jobs that wait until the test completes them (POST /_mock/jobs/complete).
SLOW_JOBS = ("--job-delay", "expedited=5h,standard=4h,bulk=12h")
PART_MIB = 8


def load_migrate_module():
    spec = importlib.util.spec_from_file_location("migrate", MIGRATE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# --------------------------------------------------------------------------------------------
# moto's server as S3, and the test's view of both sides
# --------------------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def s3_endpoint(tmp_path_factory):
    """moto's server (requirements-test.txt: moto[server]) on a free port."""
    port = free_port()
    log = open(tmp_path_factory.mktemp("moto") / "moto.log", "wb")
    proc = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
                            stdout=log, stderr=subprocess.STDOUT, env=client_env())
    endpoint = f"http://127.0.0.1:{port}"

    def up():
        if proc.poll() is not None:
            raise AssertionError(f"moto's server exited with {proc.returncode}")
        try:
            return requests.get(endpoint + "/moto-api/", timeout=2).status_code == 200
        except requests.ConnectionError:
            return False

    try:
        wait_until(up, timeout=60, interval=0.2, what="moto's server answering")
        yield endpoint
    finally:
        proc.terminate()
        proc.wait(timeout=15)
        log.close()


def s3_client(endpoint: str):
    return boto3.session.Session().client("s3", endpoint_url=endpoint, region_name="us-east-1",
                                          aws_access_key_id="test", aws_secret_access_key="test")


@pytest.fixture
def bucket(s3_endpoint) -> str:
    name = f"migration-{uuid.uuid4().hex[:12]}"
    s3_client(s3_endpoint).create_bucket(Bucket=name)
    return name


def take_inventory(endpoint: str, vault: str) -> dict:
    """Has glacier-mock take the vault's inventory now, as Glacier does about once a day: from
    then on an inventory job shows the archives present now, and nothing newer."""
    r = requests.post(endpoint + "/_mock/inventory", json={"VaultName": vault}, timeout=HTTP_TIMEOUT)
    assert r.status_code == 200, r.text
    return r.json()


def journal(endpoint: str, operation: str | None = None, after: int = 0) -> list[dict]:
    params = {"after": after, **({"operation": operation} if operation else {})}
    r = requests.get(endpoint + "/_mock/requests", params=params, timeout=HTTP_TIMEOUT)
    assert r.status_code == 200, r.text
    return r.json()["Requests"]


def last_sequence(endpoint: str) -> int:
    return max((e["Sequence"] for e in journal(endpoint)), default=0)


def arm_fault(endpoint: str, **rule) -> None:
    r = requests.post(endpoint + "/_mock/faults", json=rule, timeout=HTTP_TIMEOUT)
    assert r.status_code == 200, r.text


def fill_vault(glacier, vault: str, archives: list[tuple]) -> list[dict]:
    """Uploads (description, bytes) in one request each, or (description, bytes, part size)
    as a multipart upload; returns their ID, description, bytes and tree hash."""
    out = []
    for description, data, *part_size in archives:
        if part_size:
            archive_id = create_archive(glacier, vault, data, part_size=part_size[0],
                                        description=description)["archiveId"]
        else:
            archive_id = upload(glacier, vault, data, description=description)["archiveId"]
        out.append({"id": archive_id, "description": description, "data": data, "tree_hash": tree_hash(data)})
    return out


def run_migrate(glacier_endpoint: str, s3_endpoint: str, vault: str, bucket: str, workdir: Path,
                *extra: str, background: bool = False):
    """Runs migrate.py as a user would (its own process, credentials in the environment)."""
    cmd = [sys.executable, str(MIGRATE), "--glacier-endpoint", glacier_endpoint, "--vault", vault,
           "--s3-endpoint", s3_endpoint, "--bucket", bucket, "--state", str(workdir / "state.json"),
           "--report", str(workdir / "report.json"), "--region", "us-east-1",
           "--part-size", str(PART_MIB), "--poll-interval", "0.2", *extra]
    env = client_env(AWS_ACCESS_KEY_ID="test", AWS_SECRET_ACCESS_KEY="test",
                     AWS_CONFIG_FILE=str(workdir / "no-config"),
                     AWS_SHARED_CREDENTIALS_FILE=str(workdir / "no-credentials"))
    if background:
        out = open(workdir / "migrate-background.log", "wb")
        return subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env)
    return subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300)


def report(workdir: Path) -> dict:
    return json.loads((workdir / "report.json").read_text())


def state(workdir: Path) -> dict:
    path = workdir / "state.json"
    return json.loads(path.read_text()) if path.exists() else {}


def composite_sha256(data: bytes, part_size: int = PART_MIB * MIB) -> str:
    """S3's checksum of a multipart object: SHA-256 of the parts' SHA-256 digests, "-N"."""
    parts = [data[i:i + part_size] for i in range(0, len(data), part_size)]
    digest = hashlib.sha256(b"".join(hashlib.sha256(p).digest() for p in parts)).digest()
    return base64.b64encode(digest).decode()


def assert_copied_exactly(s3, bucket: str, vault: str, archive: dict) -> dict:
    """The object of `archive`: bytes, size, class, metadata and checksum. Returns HeadObject."""
    key = f"{vault}/{archive['id']}"
    head = s3.head_object(Bucket=bucket, Key=key, ChecksumMode="ENABLED")
    data = archive["data"]
    assert head["ContentLength"] == len(data)
    assert head["StorageClass"] == "GLACIER"
    metadata = head["Metadata"]
    assert set(metadata) == {"glacier-vault", "glacier-archive-id", "glacier-description",
                             "glacier-sha256-tree-hash", "glacier-creation-date"}, metadata
    assert metadata["glacier-vault"] == vault
    assert metadata["glacier-archive-id"] == archive["id"]
    assert metadata["glacier-description"] == archive["description"]
    assert metadata["glacier-sha256-tree-hash"] == archive["tree_hash"]
    assert head["ChecksumSHA256"].split("-")[0] == composite_sha256(data)
    # Objects in GLACIER are read after a restore (moto's completes at once).
    s3.restore_object(Bucket=bucket, Key=key, RestoreRequest={"Days": 1})
    body = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    assert len(body) == len(data) and body == data, f"{key}: the object's bytes differ from the archive's"
    return head


# --------------------------------------------------------------------------------------------
# the program's building blocks
# --------------------------------------------------------------------------------------------

def test_tree_hash_of_ranges_is_the_archive_tree_hash():
    """Glacier's tree hash, from 1 MiB leaves and from the tree hashes of 8 MiB ranges, is
    botocore's (Developer Guide, "Computing Checksums")."""
    migrate = load_migrate_module()
    for size in (1, MIB, MIB + 1, 3 * MIB, 8 * MIB, 8 * MIB + 1, 17 * MIB + 5):
        data = blob(f"tree-{size}", size)
        leaves = [hashlib.sha256(data[i:i + MIB]).digest() for i in range(0, size, MIB)]
        assert migrate.combine_tree_hashes(leaves).hex() == tree_hash(data)
        ranges = [tree_hash(data[i:i + 8 * MIB]) for i in range(0, size, 8 * MIB)]
        assert migrate.combine_tree_hashes([bytes.fromhex(h) for h in ranges]).hex() == tree_hash(data)


def test_part_size_grows_past_ten_thousand_parts():
    migrate = load_migrate_module()
    assert migrate.part_size_for(1, 16 * MIB) == 16 * MIB
    assert migrate.part_size_for(10_000 * 16 * MIB, 16 * MIB) == 16 * MIB
    assert migrate.part_size_for(10_000 * 16 * MIB + 1, 16 * MIB) == 32 * MIB
    assert migrate.part_size_for(5 * 1024 ** 4, 16 * MIB) == 1024 * MIB     # S3's largest object


def test_part_size_must_be_a_power_of_two_from_8_to_4096(tmp_path):
    for bad in ("4", "12", "8192"):
        p = subprocess.run([sys.executable, str(MIGRATE), "--vault", "v", "--bucket", "b",
                            "--part-size", bad], capture_output=True, text=True, cwd=tmp_path, timeout=60)
        assert p.returncode == 2, p.stderr
        assert "must be a power of two from 8 to 4096" in p.stderr


def test_state_file_of_another_migration_is_refused(tmp_path):
    (tmp_path / "state.json").write_text(json.dumps(
        {"version": 1, "vault": "photos", "bucket": "photos-archive", "prefix": "photos/",
         "inventory_job_id": None, "inventory": None, "archives": {}}))
    p = subprocess.run([sys.executable, str(MIGRATE), "--vault", "photos", "--bucket", "other-bucket",
                        "--state", str(tmp_path / "state.json"), "--region", "us-east-1"],
                       capture_output=True, text=True, timeout=60, env=client_env())
    assert p.returncode == 1
    assert "belongs to another migration" in p.stderr


# --------------------------------------------------------------------------------------------
# whole migrations
# --------------------------------------------------------------------------------------------

def test_full_migration_copies_every_archive_exactly(fresh_server, s3_endpoint, bucket, tmp_path):
    srv = fresh_server(args=QUICK_JOBS)
    glacier, s3 = srv.client(), s3_client(s3_endpoint)
    vault = f"photos-{uuid.uuid4().hex[:8]}"
    glacier.create_vault(accountId="-", vaultName=vault)
    archives = fill_vault(glacier, vault, [
        ("", b"x"),                                               # no description, one byte
        ("notes.txt", blob("notes", 1000)),
        ("spaced  out, 100% <m>&\"'", blob("mib", MIB)),         # printable ASCII of all sorts
        ("exactly one part", blob("eight", PART_MIB * MIB)),
        ("one byte over", blob("over", PART_MIB * MIB + 1)),      # two parts, the last 1 byte
        ("several parts", blob("big", 2 * PART_MIB * MIB + 12345)),  # three parts
        # Uploaded to Glacier in 4 MiB parts: the 8 MiB ranges span two of them.
        ("multipart upload", blob("multi", 4 * MIB * 4 + 5), 4 * MIB),
    ])
    take_inventory(srv.endpoint, vault)

    p = run_migrate(srv.endpoint, s3_endpoint, vault, bucket, tmp_path)
    assert p.returncode == 0, p.stdout + p.stderr
    assert "done: 7 copied" in p.stdout, p.stdout

    r = report(tmp_path)
    assert [c["ArchiveId"] for c in r["Copied"]] == [a["id"] for a in archives]
    assert [c["Size"] for c in r["Copied"]] == [len(a["data"]) for a in archives]
    assert [c["TreeHash"] for c in r["Copied"]] == [a["tree_hash"] for a in archives]
    assert r["Skipped"] == [] and r["Failed"] == []
    for archive in archives:
        assert_copied_exactly(s3, bucket, vault, archive)
    assert sorted(o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]) == \
        sorted(f"{vault}/{a['id']}" for a in archives)
    assert s3.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []

    # One inventory job and one retrieval job per archive; the output read in ranges of
    # 8 MiB (one GetJobOutput for the inventory, then one per range), each answered 206.
    assert len(journal(srv.endpoint, "InitiateJob")) == 1 + len(archives)
    outputs = journal(srv.endpoint, "GetJobOutput")
    ranges = sum(-(-len(a["data"]) // (PART_MIB * MIB)) for a in archives)
    assert [o["Status"] for o in outputs] == [200] + [206] * ranges

    # The state file records every archive as copied; a second run copies nothing again.
    assert {k: v["status"] for k, v in state(tmp_path)["archives"].items()} == {a["id"]: "copied" for a in archives}
    since = last_sequence(srv.endpoint)
    again = run_migrate(srv.endpoint, s3_endpoint, vault, bucket, tmp_path)
    assert again.returncode == 0, again.stdout + again.stderr
    assert report(tmp_path)["Copied"] == []
    assert [s["Reason"] for s in report(tmp_path)["Skipped"]] == ["copied by an earlier run"] * len(archives)
    assert [e["Operation"] for e in journal(srv.endpoint, after=since)] == ["DescribeVault"]


def test_killed_run_resumes_without_copying_again(fresh_server, s3_endpoint, bucket, tmp_path):
    """Killed after two archives and the first part of the third; the second run copies only
    the third archive's remaining parts, into the same S3 upload, with the same jobs."""
    srv = fresh_server(args=SLOW_JOBS)
    glacier, s3 = srv.client(), s3_client(s3_endpoint)
    vault = f"resume-{uuid.uuid4().hex[:8]}"
    glacier.create_vault(accountId="-", vaultName=vault)
    small, medium, big = fill_vault(glacier, vault, [
        ("small", blob("small", 1024)), ("medium", blob("medium", 3 * MIB)),
        ("big", blob("big", 2 * PART_MIB * MIB + 777))])          # three ranges
    take_inventory(srv.endpoint, vault)

    proc = run_migrate(srv.endpoint, s3_endpoint, vault, bucket, tmp_path, background=True)
    try:
        def initiated(n):
            return len([e for e in journal(srv.endpoint, "InitiateJob") if e["Status"] == 202]) >= n

        # The inventory job waits (standard=4h) until the test completes it.
        wait_until(lambda: initiated(1), timeout=60, what="the inventory job started")
        requests.post(srv.endpoint + "/_mock/jobs/complete", timeout=HTTP_TIMEOUT)
        wait_until(lambda: initiated(4), timeout=60, what="three retrieval jobs started")
        # Jobs still InProgress, so no archive output was read yet. The next three ranges
        # (small, medium, big's first) are served at once; big's second waits 20 s, and the
        # program is killed during that wait.
        arm_fault(srv.endpoint, Operation="GetJobOutput", DelayMilliseconds=1, Count=3)
        arm_fault(srv.endpoint, Operation="GetJobOutput", DelayMilliseconds=20000, Count=1)
        requests.post(srv.endpoint + "/_mock/jobs/complete", timeout=HTTP_TIMEOUT)
        wait_until(lambda: len(state(tmp_path).get("archives", {}).get(big["id"], {}).get("parts", [])) == 1,
                   timeout=60, interval=0.05, what="the big archive's first part uploaded")
        proc.send_signal(signal.SIGKILL)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=15)
    requests.delete(srv.endpoint + "/_mock/faults", timeout=HTTP_TIMEOUT)

    first = state(tmp_path)["archives"]
    assert first[small["id"]]["status"] == first[medium["id"]]["status"] == "copied"
    assert first[big["id"]]["status"] == "pending" and first[big["id"]]["upload_id"]
    heads = {a["id"]: s3.head_object(Bucket=bucket, Key=f"{vault}/{a['id']}") for a in (small, medium)}
    uploads = s3.list_multipart_uploads(Bucket=bucket).get("Uploads", [])
    assert [u["UploadId"] for u in uploads] == [first[big["id"]]["upload_id"]]

    since = last_sequence(srv.endpoint)
    p = run_migrate(srv.endpoint, s3_endpoint, vault, bucket, tmp_path)
    assert p.returncode == 0, p.stdout + p.stderr
    r = report(tmp_path)
    assert [c["ArchiveId"] for c in r["Copied"]] == [big["id"]]
    assert r["Skipped"] == [
        {"ArchiveId": small["id"], "Key": f"{vault}/{small['id']}", "Reason": "copied by an earlier run"},
        {"ArchiveId": medium["id"], "Key": f"{vault}/{medium['id']}", "Reason": "copied by an earlier run"}]
    assert r["Failed"] == []

    # No new inventory or retrieval job; only big's two remaining ranges were read.
    calls = journal(srv.endpoint, after=since)
    assert [e for e in calls if e["Operation"] == "InitiateJob"] == []
    outputs = [e for e in calls if e["Operation"] == "GetJobOutput"]
    assert len(outputs) == 2 and all(e["Status"] == 206 for e in outputs)
    assert all(first[big["id"]]["job_id"] in e["Path"] for e in outputs)

    # The objects copied before the kill were not written again; big completed the upload
    # the first run started (three parts: the first from the first run).
    for a in (small, medium):
        head = assert_copied_exactly(s3, bucket, vault, a)
        assert (head["ETag"], head["LastModified"]) == (heads[a["id"]]["ETag"], heads[a["id"]]["LastModified"])
    head = assert_copied_exactly(s3, bucket, vault, big)
    assert head["ETag"].strip('"').endswith("-3")
    assert s3.list_multipart_uploads(Bucket=bucket).get("Uploads", []) == []
    # The delayed GetJobOutput of the killed run still waits in the server, and a SIGTERM
    # would wait for it: end the server at once.
    srv.kill()


def test_throttling_is_ridden_out(fresh_server, s3_endpoint, bucket, tmp_path):
    srv = fresh_server(args=QUICK_JOBS)
    glacier, s3 = srv.client(), s3_client(s3_endpoint)
    vault = f"throttle-{uuid.uuid4().hex[:8]}"
    glacier.create_vault(accountId="-", vaultName=vault)
    archives = fill_vault(glacier, vault, [("one", blob("one", 5000)),
                                           ("two", blob("two", PART_MIB * MIB + 3))])
    take_inventory(srv.endpoint, vault)
    for operation in ("InitiateJob", "DescribeJob", "GetJobOutput"):
        arm_fault(srv.endpoint, Operation=operation, Code="ThrottlingException", Count=2)

    p = run_migrate(srv.endpoint, s3_endpoint, vault, bucket, tmp_path)
    assert p.returncode == 0, p.stdout + p.stderr
    assert [c["ArchiveId"] for c in report(tmp_path)["Copied"]] == [a["id"] for a in archives]
    for archive in archives:
        assert_copied_exactly(s3, bucket, vault, archive)
    for operation in ("InitiateJob", "DescribeJob", "GetJobOutput"):
        calls = journal(srv.endpoint, operation)
        assert [c["ErrorCode"] for c in calls[:2]] == ["ThrottlingException"] * 2, calls
        assert all(c["Status"] < 400 for c in calls[2:]), calls


def test_failed_archive_is_reported_and_retried_by_the_next_run(fresh_server, s3_endpoint, bucket, tmp_path):
    """An error that retries do not cure fails that archive only: the others are copied, the
    report gives the reason, the exit code is 1, and the next run copies it."""
    srv = fresh_server(args=QUICK_JOBS)
    glacier, s3 = srv.client(), s3_client(s3_endpoint)
    vault = f"fail-{uuid.uuid4().hex[:8]}"
    glacier.create_vault(accountId="-", vaultName=vault)
    first, second = fill_vault(glacier, vault, [("first", blob("first", PART_MIB * MIB + 10)),
                                                ("second", blob("second", 2000))])
    take_inventory(srv.endpoint, vault)
    # --inventory-only: the inventory is taken, saved and listed; nothing is retrieved yet.
    p = run_migrate(srv.endpoint, s3_endpoint, vault, bucket, tmp_path, "--inventory-only")
    assert p.returncode == 0, p.stdout + p.stderr
    assert [line.split()[1] for line in p.stdout.splitlines() if line.startswith("listed ")] == \
        [first["id"], second["id"]]
    assert [e["Operation"] for e in journal(srv.endpoint, "InitiateJob")] == ["InitiateJob"]
    assert state(tmp_path)["inventory"]["ArchiveList"][0]["ArchiveId"] == first["id"]
    # The next GetJobOutput (the first range of the first archive) gets an error that is not
    # retried; the first archive's second range and the second archive are served.
    arm_fault(srv.endpoint, Operation="GetJobOutput", Code="InvalidParameterValueException",
              Message="injected: the range is refused")

    p = run_migrate(srv.endpoint, s3_endpoint, vault, bucket, tmp_path)
    assert p.returncode == 1, p.stdout + p.stderr
    r = report(tmp_path)
    assert [c["ArchiveId"] for c in r["Copied"]] == [second["id"]]
    assert [f["ArchiveId"] for f in r["Failed"]] == [first["id"]]
    assert "InvalidParameterValueException" in r["Failed"][0]["Reason"]
    assert "injected: the range is refused" in r["Failed"][0]["Reason"]
    assert f"failed {first['id']}" in p.stdout and "run again with --state" in p.stdout
    assert_copied_exactly(s3, bucket, vault, second)

    p = run_migrate(srv.endpoint, s3_endpoint, vault, bucket, tmp_path)
    assert p.returncode == 0, p.stdout + p.stderr
    r = report(tmp_path)
    assert [c["ArchiveId"] for c in r["Copied"]] == [first["id"]]
    assert [s["ArchiveId"] for s in r["Skipped"]] == [second["id"]]
    assert_copied_exactly(s3, bucket, vault, first)


def test_archive_deleted_after_the_inventory_is_skipped(fresh_server, s3_endpoint, bucket, tmp_path):
    """The inventory job shows the vault as of its last inventory: an archive deleted since is
    listed (its retrieval finds it gone: skipped, with the reason), one uploaded since is not
    (not copied)."""
    srv = fresh_server(args=QUICK_JOBS)
    glacier, s3 = srv.client(), s3_client(s3_endpoint)
    vault = f"deleted-{uuid.uuid4().hex[:8]}"
    glacier.create_vault(accountId="-", vaultName=vault)
    kept1, gone, kept2 = fill_vault(glacier, vault, [("kept 1", blob("k1", 4000)),
                                                     ("gone", blob("gone", 2 * MIB)),
                                                     ("kept 2", blob("k2", PART_MIB * MIB + 99))])
    take_inventory(srv.endpoint, vault)
    glacier.delete_archive(accountId="-", vaultName=vault, archiveId=gone["id"])
    [newer] = fill_vault(glacier, vault, [("newer", blob("newer", 100))])

    p = run_migrate(srv.endpoint, s3_endpoint, vault, bucket, tmp_path)
    assert p.returncode == 0, p.stdout + p.stderr
    assert "inventory of " in p.stdout and ": 3 archives" in p.stdout, p.stdout
    r = report(tmp_path)
    assert [c["ArchiveId"] for c in r["Copied"]] == [kept1["id"], kept2["id"]]
    assert [s["ArchiveId"] for s in r["Skipped"]] == [gone["id"]]
    assert "deleted after the inventory was taken" in r["Skipped"][0]["Reason"]
    assert r["Failed"] == []
    for archive in (kept1, kept2):
        assert_copied_exactly(s3, bucket, vault, archive)
    keys = sorted(o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"])
    assert keys == sorted(f"{vault}/{a['id']}" for a in (kept1, kept2)), (keys, gone["id"], newer["id"])


def test_vault_without_an_inventory_yet(fresh_server, s3_endpoint, bucket, tmp_path):
    """Glacier takes a vault's first inventory about a day after its first upload; until then
    the program says so and stops."""
    srv = fresh_server(args=QUICK_JOBS)
    glacier = srv.client()
    vault = f"new-{uuid.uuid4().hex[:8]}"
    glacier.create_vault(accountId="-", vaultName=vault)
    fill_vault(glacier, vault, [("first", b"first archive")])
    p = run_migrate(srv.endpoint, s3_endpoint, vault, bucket, tmp_path)
    assert p.returncode == 1, p.stdout + p.stderr
    assert f"vault {vault} has no inventory yet" in p.stderr and "run again later" in p.stderr


# --------------------------------------------------------------------------------------------
# docs/migration.md: the rehearsal runs as written
# --------------------------------------------------------------------------------------------

DOCS = REPO / "docs" / "migration.md"
TESTED_HERE = "<!-- tested by: Tests/conformance/test_migration.py -->"


def docs_blocks() -> list[str]:
    """The sh blocks of docs/migration.md marked as run by this file, in page order."""
    lines = DOCS.read_text().split("\n")
    blocks = []
    for i, line in enumerate(lines):
        if line == TESTED_HERE:
            assert lines[i + 1] == "```sh", f"docs/migration.md:{i + 2}: expected an sh block after the marker"
            end = lines.index("```", i + 2)
            blocks.append("\n".join(lines[i + 2:end]))
    return blocks


def test_docs_rehearsal_runs_as_written(glacier_bin, tmp_path):
    """Every marked block of docs/migration.md, in order, in one bash (-e, pipefail) from the
    repository's top directory; only the ports and the scratch directory are changed. A block
    whose last line is a comment (`# TEXT`) must print TEXT as its last line."""
    blocks = docs_blocks()
    assert len(blocks) >= 9, blocks
    glacier_port, s3_port = free_port(), free_port()
    scratch = tmp_path / "rehearsal"
    script = []
    for n, block in enumerate(blocks):
        code = (block.replace("R=/tmp/rehearsal", f"R={scratch}")
                .replace("127.0.0.1:9901", f"127.0.0.1:{glacier_port}").replace("--port 9901", f"--port {glacier_port}")
                .replace("127.0.0.1:5000", f"127.0.0.1:{s3_port}").replace("-p 5000", f"-p {s3_port}"))
        assert "9901" not in code and "5000" not in code, code
        script += [code, f"echo '@@ end of block {n} @@'"]
    env = client_env(PATH=f"{Path(glacier_bin).parent}:{os.environ['PATH']}",
                     AWS_CONFIG_FILE=str(tmp_path / "no-config"),
                     AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "no-credentials"))
    out_path = tmp_path / "script.out"
    with open(out_path, "w") as out:
        proc = subprocess.Popen(["bash", "-e", "-o", "pipefail", "-c", "\n".join(script)], cwd=REPO, env=env,
                                stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            rc = proc.wait(timeout=600)
        finally:
            try:    # the servers and the program, if the script stopped before stopping them
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
    output = out_path.read_text()
    logs = "".join(f"\n--- {p.name}:\n{p.read_text(errors='replace')[-3000:]}"
                   for p in sorted(scratch.glob("*.log")))
    assert rc == 0, f"the rehearsal exited {rc}:\n{output}{logs}"

    printed = output.split("@@ end of block ")
    for n, block in enumerate(blocks):
        last = block.rstrip().splitlines()[-1]
        if last.startswith("# "):
            lines = [line for line in printed[n].splitlines() if line.strip()]
            if n > 0:
                lines = lines[1:]     # the rest of the previous marker line
            assert lines and lines[-1] == last[2:], f"block {n} printed {lines[-1:]!r}, the page shows {last!r}"

    r = json.loads((scratch / "report.json").read_text())
    assert [c["Size"] for c in r["Copied"]] == [40_000_000, 13] and r["Skipped"] == r["Failed"] == []
    second = (scratch / "run-2.log").read_text()
    assert "started" not in second, second    # no new inventory or retrieval job on resume
    assert (scratch / "holiday.copy").read_bytes() == (scratch / "holiday.tar").read_bytes()
