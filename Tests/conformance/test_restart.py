"""Persistence across restarts, clean shutdown, temporary data directory."""

from __future__ import annotations

import re
import signal
from pathlib import Path

import pytest

from helpers import (
    MIB, archive_bytes_from_disk, blob, complete, create_archive, db_rows, describe_after_inventory, expect_error, initiate,
    raw, tree_hash, upload_part,
)


def test_upload_survives_restart(fresh_server, tmp_path):
    data_dir = tmp_path / "persist"
    srv = fresh_server(data_dir=data_dir)
    c = srv.client()
    c.create_vault(accountId="-", vaultName="persist")
    data = blob("restart", 3 * MIB - 1000)
    chunks = {f: data[f:f + MIB] for f in range(0, len(data), MIB)}
    upload_id = initiate(c, "persist", description="survives")
    upload_part(c, "persist", upload_id, 0, chunks[0])
    upload_part(c, "persist", upload_id, 2 * MIB, chunks[2 * MIB])

    rc = srv.stop(signal.SIGTERM)
    assert rc == 0, f"exit code on SIGTERM: {rc}\n{srv.log_text()}"
    srv.start()
    c = srv.client()

    resp = c.list_parts(accountId="-", vaultName="persist", uploadId=upload_id)
    assert resp["ArchiveDescription"] == "survives"
    assert resp["PartSizeInBytes"] == MIB
    assert resp["Parts"] == [
        {"RangeInBytes": f"0-{MIB - 1}", "SHA256TreeHash": tree_hash(chunks[0])},
        {"RangeInBytes": f"{2 * MIB}-{len(data) - 1}", "SHA256TreeHash": tree_hash(chunks[2 * MIB])},
    ]
    ups = c.list_multipart_uploads(accountId="-", vaultName="persist")["UploadsList"]
    assert [u["MultipartUploadId"] for u in ups] == [upload_id]

    upload_part(c, "persist", upload_id, MIB, chunks[MIB])
    done = complete(c, "persist", upload_id, len(data), tree_hash(data))
    assert done["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert done["checksum"] == tree_hash(data)
    on_disk, _ = archive_bytes_from_disk(data_dir, done["archiveId"])
    assert tree_hash(on_disk) == tree_hash(data)

    # and the archive (with the vault counters) survives another restart
    srv.restart()
    c = srv.client()
    d = describe_after_inventory(c, "persist")
    assert (d["NumberOfArchives"], d["SizeInBytes"]) == (1, len(data))
    with expect_error("InvalidParameterValueException", 400):
        c.delete_vault(accountId="-", vaultName="persist")
    with expect_error("ResourceNotFoundException", 404):
        c.list_parts(accountId="-", vaultName="persist", uploadId=upload_id)
    assert archive_bytes_from_disk(data_dir, done["archiveId"])[0] == data


def test_vaults_and_dates_survive_restart(fresh_server):
    srv = fresh_server()
    c = srv.client()
    for n in ("r1", "r2", "r3"):
        c.create_vault(accountId="-", vaultName=n)
    before = c.list_vaults(accountId="-")["VaultList"]
    srv.restart()
    after = srv.client().list_vaults(accountId="-")["VaultList"]
    assert after == before


def test_aborted_upload_stays_gone_after_restart(fresh_server):
    srv = fresh_server()
    c = srv.client()
    c.create_vault(accountId="-", vaultName="ab")
    upload_id = initiate(c, "ab")
    upload_part(c, "ab", upload_id, 0, b"gone")
    c.abort_multipart_upload(accountId="-", vaultName="ab", uploadId=upload_id)
    srv.restart()
    with expect_error("ResourceNotFoundException", 404):
        srv.client().list_parts(accountId="-", vaultName="ab", uploadId=upload_id)


def test_repeated_delete_complete_abort_recognised_after_restart(fresh_server):
    """What a repeated DeleteArchive, CompleteMultipartUpload or AbortMultipartUpload needs is
    stored with the data, so a client retrying across a server restart gets the same answers."""
    srv = fresh_server()
    c = srv.client()
    c.create_vault(accountId="-", vaultName="again")
    deleted = create_archive(c, "again", b"deleted")["archiveId"]
    c.delete_archive(accountId="-", vaultName="again", archiveId=deleted)
    done = initiate(c, "again")
    upload_part(c, "again", done, 0, b"done")
    archive_id = complete(c, "again", done, 4, tree_hash(b"done"))["archiveId"]
    aborted = initiate(c, "again")
    c.abort_multipart_upload(accountId="-", vaultName="again", uploadId=aborted)
    srv.restart()
    c = srv.client()
    assert c.delete_archive(accountId="-", vaultName="again", archiveId=deleted)[
        "ResponseMetadata"]["HTTPStatusCode"] == 204
    assert complete(c, "again", done, 4, tree_hash(b"done"))["archiveId"] == archive_id
    assert c.abort_multipart_upload(accountId="-", vaultName="again", uploadId=aborted)[
        "ResponseMetadata"]["HTTPStatusCode"] == 204
    d = describe_after_inventory(c, "again")
    assert (d["NumberOfArchives"], d["SizeInBytes"]) == (1, 4)


def test_sigint_exits_cleanly_and_keeps_data(fresh_server):
    srv = fresh_server()
    c = srv.client()
    c.create_vault(accountId="-", vaultName="intr")
    create_archive(c, "intr", b"interrupt")
    rc = srv.stop(signal.SIGINT)
    assert rc == 0, f"exit code on SIGINT: {rc}\n{srv.log_text()}"
    assert (srv.data_dir / "glacier.sqlite").is_file()
    rows = db_rows(srv.data_dir, "SELECT number_of_archives, size_in_bytes FROM vaults WHERE name = 'intr'")
    assert rows == [(1, 9)]
    srv.start()
    d = describe_after_inventory(srv.client(), "intr")
    assert (d["NumberOfArchives"], d["SizeInBytes"]) == (1, 9)


def test_data_dir_layout(fresh_server):
    srv = fresh_server()
    c = srv.client()
    c.create_vault(accountId="-", vaultName="layout")
    data = blob("layout", MIB + 2)
    done = create_archive(c, "layout", data)
    assert (srv.data_dir / "glacier.sqlite").is_file()
    assert (srv.data_dir / "blobs").is_dir()
    mode = db_rows(srv.data_dir, "PRAGMA journal_mode")
    assert mode == [("wal",)]
    segs = db_rows(srv.data_dir, "SELECT blob_id FROM archive_segments WHERE archive_id = ?",
                   (done["archiveId"],))
    for (blob_id,) in segs:
        assert (srv.data_dir / "blobs" / str(blob_id)).is_file()


DATA_DIR_RE = re.compile(r"data directory: (\S+)")


def test_temp_data_dir_removed_on_exit(fresh_server):
    srv = fresh_server(use_data_dir=False, env={"GLACIER_MOCK_LOG_LEVEL": "info"})
    assert "--data-dir" not in srv.command()
    c = srv.client()
    c.create_vault(accountId="-", vaultName="tmp")
    create_archive(c, "tmp", b"temporary")
    # The server has answered requests, so its start-up logging is done.
    m = DATA_DIR_RE.search(srv.log_text())
    assert m, f"no 'data directory: PATH' line at info level on stderr:\n{srv.log_text()}"
    path = Path(m.group(1))
    assert path.is_dir()
    assert (path / "glacier.sqlite").is_file()
    assert any((path / "blobs").iterdir())
    rc = srv.stop(signal.SIGTERM)
    assert rc == 0, srv.log_text()
    assert not path.exists(), f"temporary data dir {path} still exists after exit"


def test_two_servers_on_separate_dirs_are_independent(fresh_server):
    a, b = fresh_server(), fresh_server()
    assert a.port != b.port
    a.client().create_vault(accountId="-", vaultName="only-a")
    with expect_error("ResourceNotFoundException", 404):
        b.client().describe_vault(accountId="-", vaultName="only-a")
    assert raw(b.endpoint, "GET", "/-/vaults/only-a").status_code == 404


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_idle_server_exits_zero(fresh_server, sig):
    srv = fresh_server()
    assert srv.stop(sig) == 0, srv.log_text()


def test_orphan_blobs_are_removed_after_a_crash_not_after_a_clean_stop(fresh_server):
    """A blob file no metadata refers to can only come from a crash between rename and
    commit. After SIGKILL the next start scans for such files and removes them; after a clean
    stop it skips the scan (start-up stays O(1) in the number of archives), so a file planted
    by hand survives — and the clean-shutdown marker is consumed, so the next crash is seen."""
    srv = fresh_server()
    c = srv.client()
    c.create_vault(accountId="-", vaultName="orph")
    create_archive(c, "orph", b"kept bytes")
    assert srv.stop(signal.SIGTERM) == 0
    marker = srv.data_dir / "clean-shutdown"
    assert marker.is_file(), "a clean stop did not leave the clean-shutdown marker"
    planted = srv.data_dir / "blobs" / "PLANTEDORPHAN"
    planted.write_bytes(b"no metadata refers to me")
    srv.start()
    assert not marker.exists(), "the marker must be consumed at start"
    assert planted.is_file(), "after a clean stop the orphan scan should have been skipped"
    srv.proc.kill()
    srv.proc.wait(timeout=10)
    srv.start()
    assert not planted.exists(), "after a crash the orphan scan must remove unreferenced blobs"
    d = describe_after_inventory(srv.client(), "orph")
    assert d["NumberOfArchives"] == 1
    assert any((srv.data_dir / "blobs").iterdir()), "the referenced blob must stay"
