"""Spare files (--spare-files): a deleted or replaced blob's file is overwritten by a later
upload instead of being unlinked. What must hold: every stored blob is exactly its own bytes
(a longer old file is cut to length), and a file that a download still has open is never
overwritten."""

from __future__ import annotations

from pathlib import Path

import requests

from helpers import (
    MIB, archive_bytes_from_disk, assert_blobs_match_metadata, assert_verify_ok, blob, complete,
    create_archive, describe, initiate, list_all_parts, retrieval_job, retrieve, temporaries,
    tree_hash, upload, upload_part, wait_until,
)


def spares(data_dir) -> list[str]:
    return [n for n in temporaries(data_dir) if n.endswith(".spare")]


def test_a_deleted_archives_file_takes_the_next_upload_byte_exact(fresh_server):
    srv = fresh_server()
    c = srv.client()
    c.create_vault(accountId="-", vaultName="reuse")
    first = blob("first", 3 * MIB + 5)
    a = upload(c, "reuse", first)["archiveId"]
    c.delete_archive(accountId="-", vaultName="reuse", archiveId=a)
    assert len(spares(srv.data_dir)) == 1, temporaries(srv.data_dir)

    # Shorter than the spare: the stored file must not keep the old tail.
    shorter = blob("shorter", MIB + 3)
    b = upload(c, "reuse", shorter)["archiveId"]
    assert spares(srv.data_dir) == [], "the spare was not taken"
    assert archive_bytes_from_disk(srv.data_dir, b)[0] == shorter
    assert retrieve(c, "reuse", b) == shorter

    # Longer: the file grows to the new length.
    c.delete_archive(accountId="-", vaultName="reuse", archiveId=b)
    longer = blob("longer", 5 * MIB + 1)
    d = upload(c, "reuse", longer)["archiveId"]
    assert archive_bytes_from_disk(srv.data_dir, d)[0] == longer
    assert retrieve(c, "reuse", d) == longer
    assert_blobs_match_metadata(srv.data_dir)
    assert_verify_ok(srv.data_dir)


def test_a_replaced_parts_file_takes_the_next_part(fresh_server):
    srv = fresh_server()
    c = srv.client()
    c.create_vault(accountId="-", vaultName="parts")
    upload_id = initiate(c, "parts", part_size=MIB)
    old, new, tail = blob("old", MIB), blob("new", MIB), blob("tail", 100)
    upload_part(c, "parts", upload_id, 0, old)
    upload_part(c, "parts", upload_id, 0, new)  # replaces the part: its old file is a spare
    assert len(spares(srv.data_dir)) == 1
    upload_part(c, "parts", upload_id, MIB, tail)  # a shorter last part reuses it
    assert spares(srv.data_dir) == []
    assert [p["SHA256TreeHash"] for p in list_all_parts(c, "parts", upload_id)] == [tree_hash(new), tree_hash(tail)]
    archive_id = complete(c, "parts", upload_id, MIB + 100, tree_hash(new + tail))["archiveId"]
    assert retrieve(c, "parts", archive_id) == new + tail
    assert archive_bytes_from_disk(srv.data_dir, archive_id)[0] == new + tail
    assert_verify_ok(srv.data_dir)


def test_a_download_in_flight_keeps_its_bytes_when_its_file_goes(fresh_server):
    """The job expires and the archive is deleted while its output is still being sent: the
    file is removed, and the next upload of the same size must not overwrite it."""
    srv = fresh_server(args=("--job-expiry", "1s"))
    c = srv.client()
    c.create_vault(accountId="-", vaultName="inflight")
    size = 32 * MIB  # more than the loopback socket buffers hold: the server still has the file open
    original = blob("original", size)
    archive_id = create_archive(c, "inflight", original, part_size=size)["archiveId"]
    job_id = retrieval_job(c, "inflight", archive_id)
    resp = requests.get(f"{srv.endpoint}/-/vaults/inflight/jobs/{job_id}/output", stream=True, timeout=30,
                        headers={"x-amz-glacier-version": "2012-06-01"})
    assert resp.status_code == 200
    stream = resp.raw
    head = stream.read(MIB)

    def expired():
        try:
            describe(c, "inflight", job_id)
            return False
        except c.exceptions.ResourceNotFoundException:
            return True

    wait_until(expired, timeout=10, interval=0.1, what="job expiry")
    c.delete_archive(accountId="-", vaultName="inflight", archiveId=archive_id)
    replacement = blob("replacement", size)
    other = create_archive(c, "inflight", replacement, part_size=size)["archiveId"]
    rest = stream.read()
    assert len(head) + len(rest) == size
    assert head + rest == original, "the download was overwritten by a later upload"
    assert retrieve(c, "inflight", other) == replacement
    assert_verify_ok(srv.data_dir)


def test_spare_files_zero_unlinks_at_once(fresh_server):
    srv = fresh_server(args=("--spare-files", "0"))
    c = srv.client()
    c.create_vault(accountId="-", vaultName="none")
    a = upload(c, "none", blob("x", MIB + 1))["archiveId"]
    c.delete_archive(accountId="-", vaultName="none", archiveId=a)
    assert temporaries(srv.data_dir) == []
    assert list((Path(srv.data_dir) / "blobs").iterdir()) == []


def test_a_clean_shutdown_frees_the_spares(fresh_server):
    srv = fresh_server()
    c = srv.client()
    c.create_vault(accountId="-", vaultName="bye")
    a = upload(c, "bye", blob("bye", MIB + 1))["archiveId"]
    c.delete_archive(accountId="-", vaultName="bye", archiveId=a)
    assert len(spares(srv.data_dir)) == 1
    assert srv.stop() == 0
    assert temporaries(srv.data_dir) == []
