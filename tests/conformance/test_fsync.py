"""`--fsync` (issue #5, nothing lost): before an upload becomes visible its file is synced, then
renamed into blobs/, then the blobs/ directory is synced, and SQLite syncs its WAL at commit.
Checked by tracing the server's system calls with strace; without the flag none of the upload's
files is synced."""

from __future__ import annotations

import os
import re
import shutil
import signal
from pathlib import Path

import pytest

from helpers import make_client, tree_hash

pytestmark = pytest.mark.skipif(shutil.which("strace") is None,
                                reason="strace is not installed (make deps installs it)")

TRACED = "trace=fsync,fdatasync,rename,renameat,renameat2"


def traced_upload(fresh_server, tmp_path, args):
    trace = tmp_path / "strace.out"
    srv = fresh_server(args=args, start=False)
    srv.start(command=["strace", "-f", "-y", "-e", TRACED, "-o", str(trace), *srv.command()])
    glacier = make_client(srv.endpoint)
    glacier.create_vault(accountId="-", vaultName="durable")
    body = bytes(range(256)) * 8192  # 2 MiB: two leaves
    resp = glacier.upload_archive(accountId="-", vaultName="durable", body=body,
                                  checksum=tree_hash(body))
    archive_id = resp["archiveId"]
    # SIGTERM the server itself (strace's child); strace exits with it and flushes the trace.
    tracer = srv.proc.pid
    children = Path(f"/proc/{tracer}/task/{tracer}/children").read_text().split()
    assert children, "strace has no traced child"
    os.kill(int(children[0]), signal.SIGTERM)
    srv.proc.wait(timeout=30)
    return trace.read_text(), archive_id


def test_fsync_syncs_file_then_renames_then_syncs_directory(fresh_server, tmp_path):
    text, _ = traced_upload(fresh_server, tmp_path, ("--fsync",))
    lines = text.splitlines()
    synced_incoming = [i for i, l in enumerate(lines) if re.search(r"fsync\(\d+<[^>]*/tmp/[^>]*\.incoming>\) = 0", l)]
    renames = [i for i, l in enumerate(lines) if "rename" in l and ".incoming" in l and "/blobs/" in l and "= 0" in l]
    dir_syncs = [i for i, l in enumerate(lines) if re.search(r"fsync\(\d+<[^>]*/blobs>\) = 0", l)]
    wal_syncs = [i for i, l in enumerate(lines) if re.search(r"f(data)?sync\(\d+<[^>]*glacier\.sqlite-wal>\) = 0", l)]
    assert renames, text[-3000:]
    assert synced_incoming and synced_incoming[0] < renames[0], "the file was not synced before it was renamed into blobs/"
    assert any(d > renames[0] for d in dir_syncs), "blobs/ was not synced after the rename"
    assert wal_syncs, "SQLite did not sync its WAL at commit (synchronous=FULL)"


def test_without_fsync_upload_files_are_not_synced(fresh_server, tmp_path):
    text, _ = traced_upload(fresh_server, tmp_path, ())
    assert any("rename" in l and ".incoming" in l for l in text.splitlines()), text[-3000:]
    assert not re.search(r"fsync\(\d+<[^>]*\.incoming>\)", text)
    assert not re.search(r"fsync\(\d+<[^>]*/blobs>\)", text)


def test_fsync_data_survives_restart(fresh_server):
    srv = fresh_server(args=("--fsync",))
    glacier = make_client(srv.endpoint)
    glacier.create_vault(accountId="-", vaultName="kept")
    body = b"durable bytes" * 1000
    archive = glacier.upload_archive(accountId="-", vaultName="kept", body=body,
                                     checksum=tree_hash(body))["archiveId"]
    srv.restart()
    glacier = make_client(srv.endpoint)
    job = glacier.initiate_job(accountId="-", vaultName="kept",
                               jobParameters={"Type": "archive-retrieval", "ArchiveId": archive})["jobId"]
    out = glacier.get_job_output(accountId="-", vaultName="kept", jobId=job)
    assert out["body"].read() == body
