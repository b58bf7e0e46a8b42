"""Properties checked by tracing the server's system calls with strace.

- `--fsync` (issue #5, nothing lost): before an upload becomes visible its file is synced, then
  renamed into blobs/, then the blobs/ directory is synced, and SQLite syncs its WAL at commit;
  without the flag none of the upload's files is synced.
- GetJobOutput (issue #4): the archive's bytes go out with sendfile(2) from the blob file, not
  through read/write copies in user space."""

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


def start_traced(fresh_server, tmp_path, args, traced=TRACED):
    trace = tmp_path / "strace.out"
    srv = fresh_server(args=args, start=False)
    srv.start(command=["strace", "-f", "-y", "-e", traced, "-o", str(trace), *srv.command()])
    return srv, trace


def stop_traced(srv, trace) -> str:
    # SIGTERM the server itself (strace's child); strace exits with it and flushes the trace.
    tracer = srv.proc.pid
    children = Path(f"/proc/{tracer}/task/{tracer}/children").read_text().split()
    assert children, "strace has no traced child"
    os.kill(int(children[0]), signal.SIGTERM)
    srv.proc.wait(timeout=30)
    return trace.read_text()


def traced_upload(fresh_server, tmp_path, args):
    srv, trace = start_traced(fresh_server, tmp_path, args)
    glacier = make_client(srv.endpoint)
    glacier.create_vault(accountId="-", vaultName="durable")
    body = bytes(range(256)) * 8192  # 2 MiB: two leaves
    resp = glacier.upload_archive(accountId="-", vaultName="durable", body=body,
                                  checksum=tree_hash(body))
    archive_id = resp["archiveId"]
    return stop_traced(srv, trace), archive_id


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


def test_job_output_is_sent_with_sendfile_from_the_blob_file(fresh_server, tmp_path):
    srv, trace = start_traced(fresh_server, tmp_path, (), traced="trace=sendfile,pread64,read")
    glacier = make_client(srv.endpoint)
    glacier.create_vault(accountId="-", vaultName="out")
    body = bytes((i * 7) % 251 for i in range(3 * 1024 * 1024 + 5))
    archive = glacier.upload_archive(accountId="-", vaultName="out", body=body,
                                     checksum=tree_hash(body))["archiveId"]
    job = glacier.initiate_job(accountId="-", vaultName="out",
                               jobParameters={"Type": "archive-retrieval", "ArchiveId": archive})["jobId"]
    assert glacier.get_job_output(accountId="-", vaultName="out", jobId=job)["body"].read() == body
    ranged = glacier.get_job_output(accountId="-", vaultName="out", jobId=job, range="bytes=1048576-2097151")
    assert ranged["body"].read() == body[1048576:2097152]
    text = stop_traced(srv, trace)
    sent = sum(int(m.group(1)) for m in re.finditer(r"sendfile\(\d+<[^>]*>, \d+<[^>]*/blobs/[^>]*>, [^)]*\) = (\d+)", text))
    assert sent == len(body) + 1048576, text[-3000:]
    # The only reads of blob files are for the tree hash of the ranged output (1 MiB);
    # the 4 MiB sent never pass through user space.
    read = sum(int(m.group(1)) for m in re.finditer(r"(?:pread64|read)\(\d+<[^>]*/blobs/[^>]*>, [^)]*\) = (\d+)", text))
    assert read <= 1048576, f"{read} bytes of blob files were read into user space"
