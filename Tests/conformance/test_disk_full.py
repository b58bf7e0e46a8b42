"""A full disk: the data dir is a small tmpfs (24 MiB), filled by uploads or by a filler file.

- The request that no longer fits gets a Glacier error — ServiceUnavailableException with
  the status the error table documents for it (500), type Server — not a crash or a
  dropped connection; nothing half-written becomes visible (ListParts, inventory, vault
  counters, `verify`), DATA/tmp is empty right after the failure and blob files match the
  metadata.
- Once space is freed (abort an upload, delete archives, remove the filler), uploads work
  again and read back byte for byte.
- SQLite failing to write (a metadata-only request on a full disk) is answered the same way
  and leaves no partial change; after freeing space the same request succeeds.

Needs root to mount the tmpfs; skipped (with the reason) otherwise.
"""

from __future__ import annotations

import errno
import json
import os
import subprocess

import pytest
import requests

from helpers import (
    describe, describe_after_inventory, expect_error, inventory_job, take_inventory,
    MIB, assert_blobs_match_metadata, assert_verify_ok, blob, check_glacier_error, create_archive,
    inventory, list_all_parts, part_headers, raw, retrieve, sha256_hex, temporaries, tree_hash,
    upload, upload_path,
)

DISK_MIB = 24


@pytest.fixture
def small_disk(tmp_path):
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs for the data dir needs root")
    mnt = tmp_path / "small-disk"
    mnt.mkdir()
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={DISK_MIB}m,mode=0755", "tmpfs", str(mnt)],
                       capture_output=True, text=True)
    if r.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs ({' '.join(r.args)}): {r.stderr.strip() or r.returncode}")
    try:
        yield mnt
    finally:
        if subprocess.run(["umount", str(mnt)], capture_output=True).returncode != 0:
            subprocess.run(["umount", "-l", str(mnt)], capture_output=True)


@pytest.fixture
def full_server(small_disk, fresh_server):
    """A server whose data dir is on the small tmpfs; stopped before the tmpfs is unmounted."""
    srv = fresh_server(data_dir=small_disk / "data")
    yield srv
    srv.close()


def put_part(endpoint, vault, upload_id, first, data):
    return raw(endpoint, "PUT", upload_path(vault, upload_id), headers=part_headers(data, first), data=data)


def post_archive(endpoint, vault, data):
    return raw(endpoint, "POST", f"/-/vaults/{vault}/archives", data=data, headers={
        "x-amz-sha256-tree-hash": tree_hash(data), "x-amz-content-sha256": sha256_hex(data)})


def assert_storage_full(resp: requests.Response, what: str):
    assert resp.status_code == 500, f"{what}: HTTP {resp.status_code} {resp.text[:300]}"
    doc = check_glacier_error(resp.status_code, resp.content, what)
    assert doc["code"] == "ServiceUnavailableException", doc


def free_mib(path) -> float:
    st = os.statvfs(path)
    return st.f_bavail * st.f_frsize / MIB


def test_uploads_on_a_full_disk_fail_cleanly_and_work_again_after_freeing(full_server):
    srv = full_server
    c = srv.client()
    c.create_vault(accountId="-", vaultName="full")
    upload_id = c.initiate_multipart_upload(accountId="-", vaultName="full", partSize=str(MIB))["uploadId"]

    acked = {}
    failure = None
    for i in range(DISK_MIB + 8):
        data = blob(f"part-{i}", MIB)
        r = put_part(srv.endpoint, "full", upload_id, i * MIB, data)
        if r.status_code == 204:
            acked[i * MIB] = tree_hash(data)
            continue
        failure = r
        break
    assert failure is not None, f"{DISK_MIB + 8} MiB of parts fit on a {DISK_MIB} MiB disk"
    assert_storage_full(failure, "the part that did not fit")
    assert len(acked) >= DISK_MIB // 2, f"only {len(acked)} parts fitted"
    assert temporaries(srv.data_dir) == [], "the failed part left its temporary file"

    # Only the acknowledged parts are visible, whole.
    parts = list_all_parts(c, "full", upload_id)
    assert {int(p["RangeInBytes"].split("-")[0]): p["SHA256TreeHash"] for p in parts} == acked
    assert_blobs_match_metadata(srv.data_dir)
    assert_verify_ok(srv.data_dir)

    # A single-request archive does not fit either, and leaves no archive behind.
    big = blob("archive", 2 * MIB)
    assert_storage_full(post_archive(srv.endpoint, "full", big), "UploadArchive on a full disk")
    assert temporaries(srv.data_dir) == []
    d = describe_after_inventory(c, "full")
    assert (d["NumberOfArchives"], d["SizeInBytes"]) == (0, 0)
    assert srv.running()

    # Free the space: abort the upload; then multipart and single uploads work again.
    c.abort_multipart_upload(accountId="-", vaultName="full", uploadId=upload_id)
    assert free_mib(srv.data_dir) > DISK_MIB / 2
    data = blob("after", 3 * MIB + 17)
    done = create_archive(c, "full", data)
    r = post_archive(srv.endpoint, "full", big)
    assert r.status_code == 201, r.text
    assert retrieve(c, "full", done["archiveId"]) == data
    assert retrieve(c, "full", r.headers["x-amz-archive-id"]) == big
    assert {a["ArchiveId"] for a in inventory(c, "full")} == {done["archiveId"], r.headers["x-amz-archive-id"]}
    assert_verify_ok(srv.data_dir)
    assert_blobs_match_metadata(srv.data_dir)


def test_archives_filling_the_disk_fail_cleanly_and_deleting_frees_space(full_server):
    srv = full_server
    c = srv.client()
    c.create_vault(accountId="-", vaultName="arch")
    stored = {}
    failure = None
    for i in range(DISK_MIB + 8):
        data = blob(f"a-{i}", MIB + i)
        r = post_archive(srv.endpoint, "arch", data)
        if r.status_code == 201:
            stored[r.headers["x-amz-archive-id"]] = data
            continue
        failure = r
        break
    assert failure is not None
    assert_storage_full(failure, "the archive that did not fit")
    assert temporaries(srv.data_dir) == []
    listed = {a["ArchiveId"]: a for a in inventory(c, "arch")}
    assert set(listed) == set(stored), "an archive that failed is visible (or an acknowledged one is lost)"
    d = describe_after_inventory(c, "arch")
    assert (d["NumberOfArchives"], d["SizeInBytes"]) == (len(stored), sum(map(len, stored.values())))
    assert_blobs_match_metadata(srv.data_dir)
    assert_verify_ok(srv.data_dir)

    # Delete half of them; new archives fit again, the remaining ones are intact.
    ids = sorted(stored)
    for archive_id in ids[: len(ids) // 2]:
        c.delete_archive(accountId="-", vaultName="arch", archiveId=archive_id)
        del stored[archive_id]
    data = blob("again", 2 * MIB)
    resp = upload(c, "arch", data)
    stored[resp["archiveId"]] = data
    for archive_id, data in list(stored.items())[-3:]:
        assert retrieve(c, "arch", archive_id) == data
    assert_verify_ok(srv.data_dir)
    assert_blobs_match_metadata(srv.data_dir)


def fill(path):
    """Writes a filler file until the file system refuses (ENOSPC)."""
    with open(path, "wb", buffering=0) as f:
        chunk = b"\0" * (256 * 1024)
        while True:
            try:
                f.write(chunk)
            except OSError as e:
                assert e.errno in (errno.ENOSPC, errno.EDQUOT), e
                break
        small = b"\0" * 4096
        while True:
            try:
                f.write(small)
            except OSError:
                break


def test_metadata_writes_on_a_full_disk_fail_cleanly(full_server, small_disk):
    srv = full_server
    c = srv.client()
    c.create_vault(accountId="-", vaultName="meta")
    filler = small_disk / "filler"
    fill(filler)
    assert free_mib(small_disk) < 0.1

    policy = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Sid": f"s{i}", "Effect": "Deny", "Principal": "*", "Action": "glacier:DeleteArchive",
         "Resource": f"arn:aws:glacier:us-east-1:123456789012:vaults/meta-{i}-{'x' * 150}"}
        for i in range(55)]})
    assert len(policy) < 20_000
    failed = None
    for i in range(400):
        name = f"meta-{i}"
        r = raw(srv.endpoint, "PUT", f"/-/vaults/{name}")
        if r.status_code != 201:
            failed = ("CreateVault", name, r)
            break
        r = raw(srv.endpoint, "PUT", f"/-/vaults/{name}/access-policy", data=json.dumps({"Policy": policy}))
        if r.status_code != 204:
            failed = ("SetVaultAccessPolicy", name, r)
            break
    assert failed is not None, "400 metadata writes succeeded on a full disk"
    op, name, r = failed
    print(f"{op} {name} failed on the full disk: {r.text}")
    assert_storage_full(r, f"{op} on a full disk")
    assert srv.running()
    # The failed write is not visible, even partly.
    if op == "CreateVault":
        assert raw(srv.endpoint, "GET", f"/-/vaults/{name}").status_code == 404
    else:
        assert raw(srv.endpoint, "GET", f"/-/vaults/{name}/access-policy").status_code == 404
    assert raw(srv.endpoint, "GET", "/_mock/health").status_code == 200

    filler.unlink()
    if op == "CreateVault":
        assert raw(srv.endpoint, "PUT", f"/-/vaults/{name}").status_code == 201
    r = raw(srv.endpoint, "PUT", f"/-/vaults/{name}/access-policy", data=json.dumps({"Policy": policy}))
    assert r.status_code == 204, r.text
    got = raw(srv.endpoint, "GET", f"/-/vaults/{name}/access-policy")
    assert got.status_code == 200 and json.loads(got.json()["Policy"]) == json.loads(policy)
    data = blob("meta-after", MIB + 5)
    assert retrieve(c, "meta", upload(c, "meta", data)["archiveId"]) == data
    assert_verify_ok(srv.data_dir)
    assert_blobs_match_metadata(srv.data_dir)


def test_an_inventory_job_whose_output_cannot_be_written_ends_failed(small_disk, fresh_server):
    """An inventory job completing when its document cannot be written (the disk is full) ends
    Failed with a status message saying why, instead of staying InProgress; it has no output.
    After space is freed, a new inventory job succeeds."""
    srv = fresh_server(data_dir=small_disk / "data", args=("--job-delay", "standard=1h"))
    try:
        c = srv.client()
        c.create_vault(accountId="-", vaultName="inv")
        archive_id = upload(c, "inv", b"listed")["archiveId"]
        take_inventory(srv.endpoint, "inv")
        job_id = inventory_job(c, "inv")
        assert describe(c, "inv", job_id)["StatusCode"] == "InProgress"
        filler = small_disk / "filler"
        fill(filler)
        r = requests.post(srv.endpoint + "/_mock/jobs/complete", timeout=30)
        assert r.status_code == 200 and r.json()["completed"] == 1, r.text
        d = describe(c, "inv", job_id)
        assert (d["Completed"], d["StatusCode"]) == (True, "Failed"), d
        assert d["StatusMessage"].startswith("The inventory could not be written: "), d
        assert "InventorySizeInBytes" not in d, d
        with expect_error("InvalidParameterValueException", 400) as ei:
            c.get_job_output(accountId="-", vaultName="inv", jobId=job_id)
        assert "Failed" in ei.value.response["Error"]["Message"]
        assert temporaries(srv.data_dir) == []
        assert srv.running()

        filler.unlink()
        again = inventory_job(c, "inv")
        requests.post(srv.endpoint + "/_mock/jobs/complete", timeout=30)
        assert describe(c, "inv", again)["StatusCode"] == "Succeeded"
        body = c.get_job_output(accountId="-", vaultName="inv", jobId=again)["body"].read()
        assert [a["ArchiveId"] for a in json.loads(body)["ArchiveList"]] == [archive_id]
        assert_verify_ok(srv.data_dir)
    finally:
        srv.close()
