"""A new user's end-to-end scripts: create a vault, upload, take an inventory, retrieve,
download by ranges, delete — with boto3 (client and resource API) and with the AWS CLI."""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import time

import boto3
import botocore.config
import pytest
from botocore.utils import calculate_tree_hash

from helpers import (
    ACCESS_KEY, DEFAULT_ACCOUNT, DEFAULT_REGION, ISO_RE, MIB, SECRET_KEY, blob, expect_error, take_inventory, tree_hash,
)


def wait_for_job(client, vault, job_id, timeout=30.0) -> dict:
    """What a user's script does: poll DescribeJob until the job completes."""
    deadline = time.monotonic() + timeout
    while True:
        job = client.describe_job(accountId="-", vaultName=vault, jobId=job_id)
        if job["Completed"]:
            return job
        assert job["StatusCode"] == "InProgress", job
        assert time.monotonic() < deadline, f"job {job_id} still InProgress after {timeout}s"
        time.sleep(0.2)


def run_boto3_workflow(glacier, vault: str, data: bytes):
    # 1. vault
    resp = glacier.create_vault(accountId="-", vaultName=vault)
    assert resp["location"] == f"/{DEFAULT_ACCOUNT}/vaults/{vault}"

    # 2. multipart upload, 1 MiB parts
    part = MIB
    init = glacier.initiate_multipart_upload(accountId="-", vaultName=vault, partSize=str(part),
                                             archiveDescription="my backup")
    upload_id = init["uploadId"]
    for first in range(0, len(data), part):
        chunk = data[first:first + part]
        r = glacier.upload_multipart_part(accountId="-", vaultName=vault, uploadId=upload_id,
                                          range=f"bytes {first}-{first + len(chunk) - 1}/*", body=chunk)
        assert r["checksum"] == tree_hash(chunk)
    done = glacier.complete_multipart_upload(accountId="-", vaultName=vault, uploadId=upload_id,
                                             archiveSize=str(len(data)), checksum=tree_hash(data))
    archive_id = done["archiveId"]
    assert done["checksum"] == tree_hash(data)
    assert done["location"] == f"/{DEFAULT_ACCOUNT}/vaults/{vault}/archives/{archive_id}"
    # DescribeVault counts archives as of the vault's last inventory: none yet.
    d = glacier.describe_vault(accountId="-", vaultName=vault)
    assert (d["NumberOfArchives"], d["SizeInBytes"], d.get("LastInventoryDate")) == (0, 0, None)

    # 3. inventory: Glacier takes one about once a day (POST /_mock/inventory: now)
    take_inventory(glacier.meta.endpoint_url, vault)
    d = glacier.describe_vault(accountId="-", vaultName=vault)
    assert (d["NumberOfArchives"], d["SizeInBytes"]) == (1, len(data))
    inv = glacier.initiate_job(accountId="-", vaultName=vault, jobParameters={"Type": "inventory-retrieval"})
    job = wait_for_job(glacier, vault, inv["jobId"])
    assert (job["Action"], job["StatusCode"]) == ("InventoryRetrieval", "Succeeded")
    out = glacier.get_job_output(accountId="-", vaultName=vault, jobId=inv["jobId"])
    doc = json.loads(out["body"].read())
    assert out["contentType"] == "application/json"
    assert doc["VaultARN"] == f"arn:aws:glacier:{DEFAULT_REGION}:{DEFAULT_ACCOUNT}:vaults/{vault}"
    assert [(a["ArchiveId"], a["ArchiveDescription"], a["Size"], a["SHA256TreeHash"])
            for a in doc["ArchiveList"]] == [(archive_id, "my backup", len(data), tree_hash(data))]
    assert ISO_RE.match(glacier.describe_vault(accountId="-", vaultName=vault)["LastInventoryDate"])

    # 4. retrieval, downloaded in 1 MiB ranges, each verified
    ret = glacier.initiate_job(accountId="-", vaultName=vault, jobParameters={
        "Type": "archive-retrieval", "ArchiveId": archive_id, "Tier": "Expedited"})
    job = wait_for_job(glacier, vault, ret["jobId"])
    assert (job["Action"], job["StatusCode"], job["SHA256TreeHash"]) == (
        "ArchiveRetrieval", "Succeeded", tree_hash(data))
    pieces = []
    for first in range(0, len(data), MIB):
        last = min(first + MIB, len(data)) - 1
        out = glacier.get_job_output(accountId="-", vaultName=vault, jobId=ret["jobId"],
                                     range=f"bytes={first}-{last}")
        chunk = out["body"].read()
        assert out["status"] == 206
        assert out["contentRange"] == f"bytes {first}-{last}/{len(data)}"
        assert out["checksum"] == calculate_tree_hash(io.BytesIO(chunk))
        assert out["archiveDescription"] == "my backup"
        pieces.append(chunk)
    assert b"".join(pieces) == data

    # 5. clean up
    assert glacier.delete_archive(accountId="-", vaultName=vault, archiveId=archive_id)[
        "ResponseMetadata"]["HTTPStatusCode"] == 204
    # Still counted until the next inventory, and the vault was written to since the last one.
    d = glacier.describe_vault(accountId="-", vaultName=vault)
    assert (d["NumberOfArchives"], d["SizeInBytes"]) == (1, len(data))
    with expect_error("InvalidParameterValueException", 400):
        glacier.delete_vault(accountId="-", vaultName=vault)
    take_inventory(glacier.meta.endpoint_url, vault)
    d = glacier.describe_vault(accountId="-", vaultName=vault)
    assert (d["NumberOfArchives"], d["SizeInBytes"]) == (0, 0)
    assert glacier.delete_vault(accountId="-", vaultName=vault)["ResponseMetadata"]["HTTPStatusCode"] == 204
    with expect_error("ResourceNotFoundException", 404):
        glacier.describe_vault(accountId="-", vaultName=vault)


def test_boto3_workflow(glacier, vault_name):
    run_boto3_workflow(glacier, vault_name("workflow"), blob("workflow", 5 * MIB + 4321))


def test_boto3_workflow_with_job_delays(fresh_server):
    """The same script against a server whose jobs take time, as Glacier's do."""
    srv = fresh_server(args=("--job-delay", "expedited=1s,standard=1s,bulk=1s"))
    run_boto3_workflow(srv.client(), "delayed-workflow", blob("delayed-workflow", 2 * MIB + 10))


def test_boto3_resource_workflow(endpoint, vault_name):
    res = boto3.session.Session().resource(
        "glacier", endpoint_url=endpoint, region_name=DEFAULT_REGION,
        aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY,
        config=botocore.config.Config(retries={"max_attempts": 1}))
    name = vault_name("resource")
    vault = res.Vault("-", name)
    vault.create()
    vault.load()
    assert vault.vault_arn == f"arn:aws:glacier:{DEFAULT_REGION}:{DEFAULT_ACCOUNT}:vaults/{name}"
    data = blob("resource", MIB + 99)
    archive = vault.upload_archive(archiveDescription="via resource", body=data)
    job = archive.initiate_archive_retrieval()
    job.reload()
    assert job.completed is True and job.status_code == "Succeeded"
    out = job.get_output()
    assert out["body"].read() == data
    assert out["checksum"] == tree_hash(data)
    take_inventory(endpoint, name)   # Glacier's daily inventory, taken now
    inv = vault.initiate_inventory_retrieval()
    inv.reload()
    doc = json.loads(inv.get_output()["body"].read())
    assert [a["ArchiveId"] for a in doc["ArchiveList"]] == [archive.id]
    assert sorted(j.id for j in vault.jobs.all()) == sorted([job.id, inv.id])
    archive.delete()
    take_inventory(endpoint, name)   # deletable once an inventory after the last write lists nothing
    vault.delete()
    with expect_error("ResourceNotFoundException", 404):
        vault.load()


# ============================================================== AWS CLI




def test_cli_workflow(aws, endpoint, vault_name, tmp_path):
    name = vault_name("cli-workflow")
    v = ["--account-id", "-", "--vault-name", name]
    assert aws("create-vault", *v) == {"location": f"/{DEFAULT_ACCOUNT}/vaults/{name}"}

    data = blob("cli-workflow", 3 * MIB + 777)
    src = tmp_path / "backup.bin"
    src.write_bytes(data)
    out = aws("upload-archive", *v, "--archive-description", "cli backup", "--body", str(src))
    archive_id = out["archiveId"]
    assert out["checksum"] == tree_hash(data)
    assert out["location"] == f"/{DEFAULT_ACCOUNT}/vaults/{name}/archives/{archive_id}"

    take_inventory(endpoint, name)   # Glacier's daily inventory, taken now
    inv = aws("initiate-job", *v, "--job-parameters", '{"Type":"inventory-retrieval"}')
    assert inv["location"] == f"/{DEFAULT_ACCOUNT}/vaults/{name}/jobs/{inv['jobId']}"
    job = aws("describe-job", *v, f"--job-id={inv['jobId']}")
    assert (job["Action"], job["Completed"], job["StatusCode"]) == ("InventoryRetrieval", True, "Succeeded")
    inv_file = tmp_path / "inventory.json"
    meta = aws("get-job-output", *v, f"--job-id={inv['jobId']}", str(inv_file))
    assert meta["status"] == 200 and meta["contentType"] == "application/json"
    doc = json.loads(inv_file.read_bytes())
    assert [(a["ArchiveId"], a["ArchiveDescription"], a["Size"]) for a in doc["ArchiveList"]] == [
        (archive_id, "cli backup", len(data))]

    ret = aws("initiate-job", *v, "--job-parameters",
              json.dumps({"Type": "archive-retrieval", "ArchiveId": archive_id}))
    job = aws("describe-job", *v, f"--job-id={ret['jobId']}")
    assert (job["Completed"], job["ArchiveSHA256TreeHash"], job["SHA256TreeHash"]) == (
        True, tree_hash(data), tree_hash(data))

    whole = tmp_path / "restored.bin"
    meta = aws("get-job-output", *v, f"--job-id={ret['jobId']}", str(whole))
    assert meta["status"] == 200
    assert meta["checksum"] == tree_hash(data)
    assert meta["archiveDescription"] == "cli backup"
    assert meta["contentType"] == "application/octet-stream"
    assert whole.read_bytes() == data

    pieces = []
    for i, first in enumerate(range(0, len(data), MIB)):
        last = min(first + MIB, len(data)) - 1
        f = tmp_path / f"piece{i}"
        meta = aws("get-job-output", *v, f"--job-id={ret['jobId']}", "--range", f"bytes={first}-{last}", str(f))
        assert meta["status"] == 206
        assert meta["contentRange"] == f"bytes {first}-{last}/{len(data)}"
        assert meta["checksum"] == tree_hash(f.read_bytes())
        pieces.append(f.read_bytes())
    assert b"".join(pieces) == data

    jobs = aws("list-jobs", *v)
    assert [j["JobId"] for j in jobs["JobList"]] == [inv["jobId"], ret["jobId"]]

    assert aws("delete-archive", *v, f"--archive-id={archive_id}") is None
    # idempotent: "Attempting to delete an already-deleted archive does not result in an error"
    assert aws("delete-archive", *v, f"--archive-id={archive_id}") is None
    p = aws("delete-archive", *v, "--archive-id=never-uploaded", check=False)
    assert p.returncode != 0 and "ResourceNotFoundException" in p.stderr
    # Written to since the last inventory: not deletable until the next one.
    p = aws("delete-vault", *v, check=False)
    assert p.returncode != 0 and "Vault not empty or recently written to" in p.stderr
    take_inventory(endpoint, name)
    assert aws("delete-vault", *v) is None
    p = aws("describe-vault", *v, check=False)
    assert p.returncode != 0 and "ResourceNotFoundException" in p.stderr


def test_cli_bad_job_parameters(aws, vault_name):
    name = vault_name("cli-bad-job")
    v = ["--account-id", "-", "--vault-name", name]
    aws("create-vault", *v)
    p = aws("initiate-job", *v, "--job-parameters", '{"Type":"select"}', check=False)
    assert p.returncode != 0
    assert "InvalidParameterValueException" in p.stderr and "not supported" in p.stderr
    p = aws("get-job-output", *v, "--job-id=no-such-job", "/dev/null", check=False)
    assert p.returncode != 0 and "ResourceNotFoundException" in p.stderr
