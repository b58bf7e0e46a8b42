"""The boto3 workflow `make image-test` runs against the server started from the image's
filesystem (and, shorter, against the `make dist` binary in a bare Debian chroot): a vault, a
multipart upload, an archive retrieval and an inventory, each answer checked."""
from __future__ import annotations

import hashlib
import io
import json
import time
import urllib.request

import boto3
import botocore.config
from botocore.utils import calculate_tree_hash

MIB = 1024 * 1024


def client(endpoint: str):
    return boto3.session.Session().client(
        "glacier", endpoint_url=endpoint, region_name="us-east-1",
        aws_access_key_id="AKIDCONTAINERTEST", aws_secret_access_key="secret",
        config=botocore.config.Config(retries={"max_attempts": 0}))


def tree_hash(data: bytes) -> str:
    return calculate_tree_hash(io.BytesIO(data))


def payload(size: int, seed: bytes) -> bytes:
    out, block = bytearray(), seed
    while len(out) < size:
        block = hashlib.sha256(block).digest()
        out += block * 64
    return bytes(out[:size])


def wait_job(c, vault: str, job_id: str, timeout: float = 30) -> dict:
    # Jobs complete at once unless --job-delay is set (the image does not set it).
    deadline = time.monotonic() + timeout
    while True:
        job = c.describe_job(accountId="-", vaultName=vault, jobId=job_id)
        if job["Completed"]:
            assert job["StatusCode"] == "Succeeded", job
            return job
        assert time.monotonic() < deadline, f"job {job_id} not complete after {timeout}s: {job}"
        time.sleep(0.2)


def full_workflow(endpoint: str, vault: str = "image-test") -> dict:
    """Vault → multipart upload (3 parts) → archive retrieval → inventory. Returns what the
    caller may check again after a restart (vault name, archive ID)."""
    c = client(endpoint)
    assert c.create_vault(accountId="-", vaultName=vault)["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert [v["VaultName"] for v in c.list_vaults(accountId="-")["VaultList"]] == [vault]

    # Multipart upload: two 1 MiB parts and a shorter last one, sent out of order.
    data = payload(2 * MIB + 12345, b"image-test")
    upload_id = c.initiate_multipart_upload(accountId="-", vaultName=vault, partSize=str(MIB),
                                            archiveDescription="from the container image test")["uploadId"]
    for first in (MIB, 0, 2 * MIB):
        part = data[first:first + MIB]
        r = c.upload_multipart_part(accountId="-", vaultName=vault, uploadId=upload_id,
                                    range=f"bytes {first}-{first + len(part) - 1}/*",
                                    checksum=tree_hash(part), body=part)
        assert r["checksum"] == tree_hash(part)
    parts = c.list_parts(accountId="-", vaultName=vault, uploadId=upload_id)["Parts"]
    assert [p["RangeInBytes"] for p in parts] == [f"0-{MIB - 1}", f"{MIB}-{2 * MIB - 1}", f"{2 * MIB}-{len(data) - 1}"]
    done = c.complete_multipart_upload(accountId="-", vaultName=vault, uploadId=upload_id,
                                       archiveSize=str(len(data)), checksum=tree_hash(data))
    archive_id = done["archiveId"]
    assert done["checksum"] == tree_hash(data)

    # Archive retrieval: the whole archive, then a tree-hash-aligned range of it.
    job_id = c.initiate_job(accountId="-", vaultName=vault,
                            jobParameters={"Type": "archive-retrieval", "ArchiveId": archive_id})["jobId"]
    job = wait_job(c, vault, job_id)
    assert job["ArchiveSizeInBytes"] == len(data) and job["SHA256TreeHash"] == tree_hash(data)
    out = c.get_job_output(accountId="-", vaultName=vault, jobId=job_id)
    assert out["body"].read() == data
    assert out["checksum"] == tree_hash(data)
    ranged = c.get_job_output(accountId="-", vaultName=vault, jobId=job_id, range=f"bytes={MIB}-{2 * MIB - 1}")
    assert ranged["body"].read() == data[MIB:2 * MIB]
    assert ranged["checksum"] == tree_hash(data[MIB:2 * MIB])

    # Inventory retrieval: Glacier's inventory is taken once a day (docs/inventory.md); taking
    # it now lists the archive, with its size and tree hash.
    with urllib.request.urlopen(urllib.request.Request(
            f"{endpoint}/_mock/inventory", data=json.dumps({"VaultName": vault}).encode(), method="POST"),
            timeout=30) as r:
        taken = json.loads(r.read())
    assert [i["NumberOfArchives"] for i in taken["Inventories"]] == [1], taken
    inv_id = c.initiate_job(accountId="-", vaultName=vault,
                            jobParameters={"Type": "inventory-retrieval", "Format": "JSON"})["jobId"]
    wait_job(c, vault, inv_id)
    inventory = json.loads(c.get_job_output(accountId="-", vaultName=vault, jobId=inv_id)["body"].read())
    listed = {a["ArchiveId"]: a for a in inventory["ArchiveList"]}
    assert archive_id in listed, inventory
    assert listed[archive_id]["Size"] == len(data)
    assert listed[archive_id]["SHA256TreeHash"] == tree_hash(data)
    assert listed[archive_id]["ArchiveDescription"] == "from the container image test"
    return {"vault": vault, "archive_id": archive_id, "size": len(data)}


def still_there(endpoint: str, kept: dict) -> None:
    """After a restart on the same data directory: the vault and its archive are still there."""
    c = client(endpoint)
    desc = c.describe_vault(accountId="-", vaultName=kept["vault"])
    assert desc["VaultName"] == kept["vault"]
    job_id = c.initiate_job(accountId="-", vaultName=kept["vault"],
                            jobParameters={"Type": "archive-retrieval", "ArchiveId": kept["archive_id"]})["jobId"]
    wait_job(c, kept["vault"], job_id)
    body = c.get_job_output(accountId="-", vaultName=kept["vault"], jobId=job_id)["body"].read()
    assert len(body) == kept["size"]


def small_workflow(endpoint: str) -> None:
    """Vault, a single-request upload and its retrieval (the dist tarball's check)."""
    c = client(endpoint)
    c.create_vault(accountId="-", vaultName="dist-test")
    data = payload(300_000, b"dist-test")
    archive_id = c.upload_archive(accountId="-", vaultName="dist-test", body=data,
                                  checksum=tree_hash(data))["archiveId"]
    job_id = c.initiate_job(accountId="-", vaultName="dist-test",
                            jobParameters={"Type": "archive-retrieval", "ArchiveId": archive_id})["jobId"]
    wait_job(c, "dist-test", job_id)
    assert c.get_job_output(accountId="-", vaultName="dist-test", jobId=job_id)["body"].read() == data
