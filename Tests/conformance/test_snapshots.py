"""Snapshots (docs/seeds-and-snapshots.md): POST /_mock/snapshots saves the whole state, POST
/_mock/snapshots/NAME/restore brings it back exactly, GET lists them with sizes, DELETE drops
one; they share blob files instead of copying them, survive restarts, and POST /_mock/reset
keeps them unless {"Snapshots": true}. A restore racing client requests answers each from the
old or the new state."""

from __future__ import annotations

import threading

import pytest
import requests

from helpers import (
    FIXTURES, MIB, assert_blobs_match_metadata, assert_verify_ok, db_rows, inventory, job_output, make_client,
    retrieve, tree_hash, upload_part,
)
from state_helpers import admin, change_everything, generated, observe, restore, save

EXAMPLE = FIXTURES / "seed-example.json"


def test_save_change_everything_restore_is_exact(fresh_server):
    srv = fresh_server(args=("--seed", str(EXAMPLE)))
    info = save(srv.endpoint, "baseline")
    assert info["Name"] == "baseline" and info["Vaults"] == 5 and info["Archives"] == 5 and info["Jobs"] == 4
    before = observe(srv.endpoint)
    change_everything(srv)
    changed = observe(srv.endpoint)
    for place in before:
        assert changed[place] != before[place], place
    srv.client().list_vaults(accountId="-")  # in the journal
    restore(srv.endpoint, "baseline")
    # The journal is cleared by the restore.
    assert requests.get(srv.endpoint + "/_mock/requests", timeout=30).json()["Requests"] == []
    after = observe(srv.endpoint)
    assert after == before
    assert after["ClockOffsetSeconds"] == 0

    # Archives byte for byte through retrieval jobs, the deleted one back, the new one gone.
    c = srv.client()
    got = {a["ArchiveDescription"]: retrieve(c, "photos", a["ArchiveId"]) for a in inventory(c, "photos")}
    assert got == {
        "report.txt": (FIXTURES / "seed-files" / "report.txt").read_bytes(),
        "inline text": b"hello, glacier",
        "3 MiB generated": generated(3 * MIB, 7),
    }
    # The upload's parts as they were (ListParts), the pending jobs pending again (DescribeJob).
    [upload] = c.list_multipart_uploads(accountId="-", vaultName="photos")["UploadsList"]
    parts = c.list_parts(accountId="-", vaultName="photos", uploadId=upload["MultipartUploadId"])["Parts"]
    assert [p["RangeInBytes"] for p in parts] == [f"0-{2 * MIB - 1}", f"{4 * MIB}-{4 * MIB + len((FIXTURES / 'seed-files' / 'part-0.bin').read_bytes()) - 1}"]
    assert parts[0]["SHA256TreeHash"] == tree_hash(generated(2 * MIB, 11))
    pending = [j for j in c.list_jobs(accountId="-", vaultName="photos", statuscode="InProgress")["JobList"]]
    assert sorted(j["JobDescription"] for j in pending) == ["pending retrieval", "range, completes in an hour"]

    # Restoring again after more changes gives the same state again (the snapshot is untouched).
    change_everything(srv)
    restore(srv.endpoint, "baseline")
    assert observe(srv.endpoint) == before
    srv.stop()
    assert_verify_ok(srv.data_dir)
    assert_blobs_match_metadata(srv.data_dir)


def test_snapshots_share_blob_files_and_list_delete_reset(fresh_server):
    srv = fresh_server()
    c = srv.client()
    c.create_vault(accountId="-", vaultName="v")
    data = generated(5 * MIB, 3)
    archive = c.upload_archive(accountId="-", vaultName="v", body=data)["archiveId"]
    blobs_before = sorted(p.name for p in (srv.data_dir / "blobs").iterdir())
    first = save(srv.endpoint, "one")
    second = save(srv.endpoint, "two")
    # No byte copied: the same blob files, and the snapshots' sizes say what they share.
    assert sorted(p.name for p in (srv.data_dir / "blobs").iterdir()) == blobs_before
    assert first["SharedBlobBytes"] == 5 * MIB and first["SharedBlobFiles"] == 1 and first["ArchiveBytes"] == 5 * MIB
    assert first["MetadataBytes"] > 0 and first["MetadataBytes"] < MIB
    listed = admin(srv.endpoint, "GET", "/_mock/snapshots").json()["Snapshots"]
    assert [s["Name"] for s in listed] == ["one", "two"]
    assert {k: listed[1][k] for k in second if k != "SavedAt"} == {k: second[k] for k in second if k != "SavedAt"}

    # Deleting the archive keeps its file while a snapshot names it.
    c.delete_archive(accountId="-", vaultName="v", archiveId=archive)
    assert sorted(p.name for p in (srv.data_dir / "blobs").iterdir()) == blobs_before
    assert admin(srv.endpoint, "DELETE", "/_mock/snapshots/one").json() == {"status": "ok", "Deleted": "one"}
    assert sorted(p.name for p in (srv.data_dir / "blobs").iterdir()) == blobs_before  # "two" still names it

    # Reset keeps snapshots; {"Snapshots": true} drops them and their files.
    assert admin(srv.endpoint, "POST", "/_mock/reset").status_code == 200
    assert [s["Name"] for s in admin(srv.endpoint, "GET", "/_mock/snapshots").json()["Snapshots"]] == ["two"]
    restore(srv.endpoint, "two")
    [a] = inventory(c, "v")
    assert retrieve(c, "v", a["ArchiveId"]) == data
    r = admin(srv.endpoint, "POST", "/_mock/reset", {"Snapshots": True})
    assert r.status_code == 200, r.text
    assert admin(srv.endpoint, "GET", "/_mock/snapshots").json() == {"Snapshots": []}
    assert list((srv.data_dir / "blobs").iterdir()) == []
    assert list((srv.data_dir / "snapshots").iterdir()) == []


@pytest.mark.parametrize("method,path,body,status,code,words", [
    ("POST", "/_mock/snapshots/missing/restore", None, 404, "ResourceNotFoundException", "No snapshot named 'missing'"),
    ("DELETE", "/_mock/snapshots/missing", None, 404, "ResourceNotFoundException", "No snapshot named 'missing'"),
    ("POST", "/_mock/snapshots", {"Name": "../etc"}, 400, "InvalidParameterValueException", "Invalid snapshot name '../etc'"),
    ("POST", "/_mock/snapshots", {"Name": ".hidden"}, 400, "InvalidParameterValueException", "not starting with '.'"),
    ("POST", "/_mock/snapshots", {"Name": "x" * 65}, 400, "InvalidParameterValueException", "1 to 64"),
    ("POST", "/_mock/snapshots", {}, 400, "MissingParameterValueException", "Name"),
    ("POST", "/_mock/snapshots", {"Name": "a", "Extra": 1}, 400, "InvalidParameterValueException", "Unknown member 'Extra'"),
    ("PUT", "/_mock/snapshots/a", None, 404, "UnknownOperationException", "POST /_mock/snapshots/NAME/restore"),
    ("POST", "/_mock/reset", {"Snapshots": "yes"}, 400, "InvalidParameterValueException", "Snapshots must be true or false"),
])
def test_snapshot_endpoint_errors(fresh_server, method, path, body, status, code, words):
    srv = fresh_server()
    save(srv.endpoint, "kept")
    r = admin(srv.endpoint, method, path, body)
    assert r.status_code == status, r.text
    assert r.json()["code"] == code and words in r.json()["message"], r.json()
    assert [s["Name"] for s in admin(srv.endpoint, "GET", "/_mock/snapshots").json()["Snapshots"]] == ["kept"]


def test_snapshots_survive_a_restart(fresh_server):
    # if-empty: the restarts find state and keep it (the default, refuse, would stop them).
    srv = fresh_server(args=("--seed", str(EXAMPLE), "--seed-mode", "if-empty"))
    save(srv.endpoint, "baseline")
    before = observe(srv.endpoint)
    change_everything(srv)
    srv.stop()
    srv.start()
    restore(srv.endpoint, "baseline")
    assert observe(srv.endpoint) == before
    srv.kill()  # an unclean stop: the orphan scan must keep every file a snapshot names
    srv.start()
    restore(srv.endpoint, "baseline")
    assert observe(srv.endpoint) == before
    srv.stop()
    assert_verify_ok(srv.data_dir)
    assert_blobs_match_metadata(srv.data_dir)


def test_verify_checks_every_snapshots_files(fresh_server, glacier_bin):
    import subprocess
    srv = fresh_server()
    c = srv.client()
    c.create_vault(accountId="-", vaultName="v")
    archive = c.upload_archive(accountId="-", vaultName="v", body=b"snapshot only" * 100)["archiveId"]
    save(srv.endpoint, "s")
    c.delete_archive(accountId="-", vaultName="v", archiveId=archive)
    srv.stop()
    ok = subprocess.run([str(glacier_bin), "verify", "--data-dir", str(srv.data_dir)], capture_output=True, text=True)
    assert ok.returncode == 0 and "(live state and 1 snapshot(s)): all match" in ok.stdout, ok.stdout
    # Corrupt the file only the snapshot names.
    [name] = [p.name for p in (srv.data_dir / "blobs").iterdir()]
    (srv.data_dir / "blobs" / name).write_bytes(b"corrupted!!!!" * 100)  # same length, other bytes
    bad = subprocess.run([str(glacier_bin), "verify", "--data-dir", str(srv.data_dir)], capture_output=True, text=True)
    assert bad.returncode == 1, bad.stdout
    assert f"MISMATCH snapshot s: archive {archive}: tree hash on disk is" in bad.stdout, bad.stdout


def test_restore_while_a_job_output_is_being_sent(fresh_server):
    """A GetJobOutput of the old state that is still sending when a restore removes its
    archive keeps reading the old bytes: the file is removed only after the request ends."""
    srv = fresh_server()
    c = srv.client()
    c.create_vault(accountId="-", vaultName="v")
    save(srv.endpoint, "empty")
    data = generated(32 * MIB, 5)
    archive = c.upload_archive(accountId="-", vaultName="v", body=data)["archiveId"]
    job = c.initiate_job(accountId="-", vaultName="v", jobParameters={"Type": "archive-retrieval", "ArchiveId": archive})["jobId"]
    resp = requests.get(f"{srv.endpoint}/-/vaults/v/jobs/{job}/output",
                        headers={"x-amz-glacier-version": "2012-06-01"}, stream=True, timeout=60)
    assert resp.status_code == 200
    first = resp.raw.read(MIB)
    restore(srv.endpoint, "empty")  # the archive and job are gone from the state now
    rest = resp.raw.read()
    assert first + rest == data
    assert c.describe_vault(accountId="-", vaultName="v")["NumberOfArchives"] == 0
    # Once that request is over, the file nothing names any more is removed.
    resp.close()
    c.list_vaults(accountId="-")  # any request after it ends the grace
    srv.stop()
    assert_blobs_match_metadata(srv.data_dir)


def test_restore_racing_client_requests_answers_from_old_or_new(fresh_server):
    """Threads keep reading (DescribeVault, ListParts, GetJobOutput, ListJobs) and writing
    (UploadArchive, DescribeJob) while another restores two snapshots in turn: every answer is
    one of the two states', never an error made by the switch."""
    srv = fresh_server(args=("--seed", str(EXAMPLE)))
    c = srv.client()
    save(srv.endpoint, "a")
    c.upload_archive(accountId="-", vaultName="photos", archiveDescription="only in b", body=b"b" * 3000)
    save(srv.endpoint, "b")
    jobs = {j["JobDescription"]: j["JobId"] for j in c.list_jobs(accountId="-", vaultName="photos")["JobList"]}
    [upload] = c.list_multipart_uploads(accountId="-", vaultName="photos")["UploadsList"]
    expected_parts = c.list_parts(accountId="-", vaultName="photos", uploadId=upload["MultipartUploadId"])["Parts"]
    big = generated(3 * MIB, 7)
    stop = threading.Event()
    failures: list[str] = []
    counts = {"requests": 0}

    def reader(n):
        rc = make_client(srv.endpoint)
        while not stop.is_set():
            try:
                d = rc.describe_vault(accountId="-", vaultName="photos")
                # a: 3 seeded; b: 4; either plus any archive a writer added since the last restore.
                if d["NumberOfArchives"] < 3:
                    failures.append(f"DescribeVault: {d['NumberOfArchives']} archives")
                parts = rc.list_parts(accountId="-", vaultName="photos", uploadId=upload["MultipartUploadId"])["Parts"]
                if parts != expected_parts:
                    failures.append(f"ListParts: {parts}")
                _, body = job_output(rc, "photos", jobs["done retrieval"])
                if body != big:
                    failures.append(f"GetJobOutput: {len(body)} bytes differ")
                if rc.describe_job(accountId="-", vaultName="photos", jobId=jobs["pending retrieval"])["StatusCode"] != "InProgress":
                    failures.append("DescribeJob: pending job not InProgress")
                if n == 0:
                    rc.upload_archive(accountId="-", vaultName="photos", archiveDescription="racing", body=b"r" * 2000)
                counts["requests"] += 5
            except Exception as e:  # noqa: BLE001 - any error is a failure of the switch
                failures.append(f"{type(e).__name__}: {e}")

    threads = [threading.Thread(target=reader, args=(n,)) for n in range(3)]
    for t in threads:
        t.start()
    try:
        for i in range(40):
            restore(srv.endpoint, "a" if i % 2 == 0 else "b")
    finally:
        stop.set()
        for t in threads:
            t.join(60)
    assert failures == [], failures[:5]
    assert counts["requests"] > 0
    srv.stop()
    assert_verify_ok(srv.data_dir)
    assert_blobs_match_metadata(srv.data_dir)
