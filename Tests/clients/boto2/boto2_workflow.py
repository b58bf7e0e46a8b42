"""Drives glacier-mock with boto 2 (the legacy `boto` package's Glacier layers), as backup
tools of its era (glacier-cli, git-annex's Glacier special remote, bakthat) do, and prints
what boto saw as JSON lines, one per step. Facts, not verdicts: Tests/conformance/test_boto2.py
decides. Runs under Debian's python3 with python3-boto:

    /usr/bin/python3 Tests/clients/boto2/boto2_workflow.py PORT VAULT DATAFILE
"""

import hashlib
import json
import sys
import traceback
import urllib.request

import boto
from boto.glacier.concurrent import ConcurrentUploader
from boto.glacier.exceptions import UnexpectedHTTPResponseError
from boto.glacier.layer1 import Layer1
from boto.glacier.layer2 import Layer2
from boto.glacier.utils import compute_hashes_from_fileobj
from boto.regioninfo import RegionInfo

MIB = 1024 * 1024


def emit(step, **fields):
    print(json.dumps(dict(step=step, **fields), default=str), flush=True)


def take_inventory(port, vault_name):
    """glacier-mock's POST /_mock/inventory: the vault inventory Glacier takes about once a day,
    taken now. DescribeVault counts archives as of the vault's last inventory, as on AWS."""
    req = urllib.request.Request(f"http://127.0.0.1:{port}/_mock/inventory", method="POST",
                                 data=json.dumps({"VaultName": vault_name}).encode(),
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=60) as r:
        assert r.status == 200, r.status


def main():
    port, vault_name, path = int(sys.argv[1]), sys.argv[2], sys.argv[3]
    data = open(path, "rb").read()
    emit("start", boto_version=boto.__version__, size=len(data))
    # boto 2 knows AWS's host names only: an endpoint is a region whose host is 127.0.0.1.
    layer1 = Layer1(aws_access_key_id="test", aws_secret_access_key="test", is_secure=False, port=port,
                    region=RegionInfo(name="us-east-1", endpoint="127.0.0.1", connection_cls=Layer1))
    layer2 = Layer2(layer1=layer1)

    r = layer1.create_vault(vault_name)
    emit("create_vault", location=r.get("Location"))
    vault = layer2.get_vault(vault_name)
    emit("get_vault", name=vault.name, arn=vault.arn, number_of_archives=vault.number_of_archives,
         size=vault.size, creation_date=vault.creation_date)

    with open(path, "rb") as f:
        linear, tree = compute_hashes_from_fileobj(f)
    emit("local_hashes", linear=linear.decode() if isinstance(linear, bytes) else linear,
         tree=tree.decode() if isinstance(tree, bytes) else tree)

    single = vault.upload_archive(path, description="boto2 single")
    emit("upload_archive", archive_id=single)
    writer_id = vault.create_archive_from_file(path, description="boto2 writer")   # Writer: multipart, 4 MiB parts
    emit("create_archive_from_file", archive_id=writer_id)
    uploader = ConcurrentUploader(layer1, vault_name, part_size=MIB, num_threads=4)
    concurrent = uploader.upload(path, "boto2 concurrent")
    emit("concurrent_upload", archive_id=concurrent)

    uploads = layer1.list_multipart_uploads(vault_name)
    emit("list_multipart_uploads", count=len(uploads["UploadsList"]))
    take_inventory(port, vault_name)   # a day passes: the uploads are in the vault's inventory
    desc = layer1.describe_vault(vault_name)
    emit("describe_vault", number_of_archives=desc["NumberOfArchives"], size=desc["SizeInBytes"],
         arn=desc["VaultARN"])

    job = vault.retrieve_archive(concurrent, description="boto2 retrieval")
    emit("retrieve_archive", job_id=job.id)
    job = vault.get_job(job.id)
    emit("get_job", action=job.action, status_code=job.status_code, completed=job.completed,
         archive_id=job.archive_id, archive_size=job.archive_size, sha256_treehash=job.sha256_treehash)
    whole = job.get_output().read()
    emit("get_output", length=len(whole), sha256=hashlib.sha256(whole).hexdigest())
    out = job.get_output(byte_range=(MIB, 2 * MIB - 1))
    piece = out.read()
    emit("get_output_range", length=len(piece), sha256=hashlib.sha256(piece).hexdigest(),
         tree_hash=out["TreeHash"], content_range=out["ContentRange"])
    # Job.download_to_file: ranged GetJobOutput requests of 1 MiB. Its tree-hash check (and
    # ConcurrentDownloader's) compares a bytes digest with the header's str under Python 3, so it
    # always fails there whatever the server sends: a boto 2 bug. The test compares the bytes.
    target = path + ".down"
    job.download_to_file(target, chunk_size=MIB, verify_hashes=False)
    got = open(target, "rb").read()
    emit("download_to_file", length=len(got), sha256=hashlib.sha256(got).hexdigest())

    jobs = layer1.list_jobs(vault_name, completed=True)
    emit("list_jobs", ids=[j["JobId"] for j in jobs["JobList"]])

    for archive_id in (single, writer_id):
        vault.delete_archive(archive_id)
    emit("delete_archives", deleted=2)
    try:
        layer1.describe_vault(vault_name + "-missing")
        emit("describe_missing_vault", error=None)
    except UnexpectedHTTPResponseError as e:
        emit("describe_missing_vault", error=dict(status=e.status, code=e.code, message=json.loads(e.body)["message"]))
    emit("done")


if __name__ == "__main__":
    try:
        main()
    except Exception:
        emit("fatal", traceback=traceback.format_exc())
        sys.exit(1)
