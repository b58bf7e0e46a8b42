"""Jobs: InitiateJob, DescribeJob, ListJobs, GetJobOutput; archive and inventory retrieval,
ranges and their tree hashes, inventory paging, job timing (--job-delay, --job-expiry)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

import pytest
from botocore.utils import calculate_tree_hash

from helpers import (
    DEFAULT_ACCOUNT, DEFAULT_REGION, ISO_RE, MIB, assert_raw_error, assert_recent, blob, complete,
    create_archive, db_rows, describe, expect_error, initiate, inventory_job, iso_to_datetime, job_output,
    raw, retrieval_job, start_job, take_inventory, tree_hash, upload, upload_part, wait_until,
)

ARN = f"arn:aws:glacier:{DEFAULT_REGION}:{DEFAULT_ACCOUNT}:vaults/"
JOB_FIELDS = {
    "Action", "ArchiveId", "ArchiveSHA256TreeHash", "ArchiveSizeInBytes", "Completed", "CompletionDate",
    "CreationDate", "InventoryRetrievalParameters", "InventorySizeInBytes", "JobDescription", "JobId",
    "RetrievalByteRange", "SHA256TreeHash", "SNSTopic", "StatusCode", "StatusMessage", "Tier", "VaultARN",
}


def th(data: bytes) -> str:
    return calculate_tree_hash(io.BytesIO(data))


@pytest.fixture
def vault(glacier, vault_name) -> str:
    """A vault that has had its first inventory, which lists nothing: Glacier creates a vault's
    first inventory only after its first archive upload ("A vault inventory must exist for you
    to be able to download it"), so one archive was uploaded and deleted, and the inventory
    taken (POST /_mock/inventory). Inventory jobs need one; the tests here start from it."""
    name = vault_name()
    glacier.create_vault(accountId="-", vaultName=name)
    first = upload(glacier, name, b"first archive")["archiveId"]
    glacier.delete_archive(accountId="-", vaultName=name, archiveId=first)
    [state] = take_inventory(glacier.meta.endpoint_url, name)
    assert state["Taken"] and state["NumberOfArchives"] == 0
    return name


def inventory(client, vault, **params) -> tuple[str, dict, dict]:
    """Takes the vault's inventory now (Glacier: about once a day), then runs a JSON inventory
    job, which returns that inventory; returns (job id, describe_job, parsed document)."""
    take_inventory(client.meta.endpoint_url, vault)
    job_id = inventory_job(client, vault, **params)
    d = describe(client, vault, job_id)
    resp, body = job_output(client, vault, job_id)
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 200
    return job_id, d, json.loads(body)


# ============================================================== initiate


def test_initiate_archive_retrieval_202(glacier, vault):
    archive_id = upload(glacier, vault, b"retrieve me")["archiveId"]
    resp = glacier.initiate_job(accountId="-", vaultName=vault,
                                jobParameters={"Type": "archive-retrieval", "ArchiveId": archive_id})
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 202
    job_id = resp["jobId"]
    assert job_id and "/" not in job_id
    assert resp["location"] == f"/{DEFAULT_ACCOUNT}/vaults/{vault}/jobs/{job_id}"
    assert resp["ResponseMetadata"]["HTTPHeaders"]["x-amz-job-id"] == job_id
    assert "jobOutputPath" not in resp


def test_initiate_job_raw_202_headers(endpoint, glacier, vault):
    archive_id = upload(glacier, vault, b"raw job")["archiveId"]
    r = raw(endpoint, "POST", f"/-/vaults/{vault}/jobs",
            data=json.dumps({"Type": "archive-retrieval", "ArchiveId": archive_id}).encode())
    assert r.status_code == 202, r.text
    job_id = r.headers["x-amz-job-id"]
    assert r.headers["Location"] == f"/{DEFAULT_ACCOUNT}/vaults/{vault}/jobs/{job_id}"


def test_initiate_inventory_202(glacier, vault):
    resp = glacier.initiate_job(accountId="-", vaultName=vault, jobParameters={"Type": "inventory-retrieval"})
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 202
    assert resp["location"] == f"/{DEFAULT_ACCOUNT}/vaults/{vault}/jobs/{resp['jobId']}"


def test_archive_retrieval_without_archive_id_400(glacier, vault):
    with expect_error("MissingParameterValueException", 400) as ei:
        glacier.initiate_job(accountId="-", vaultName=vault, jobParameters={"Type": "archive-retrieval"})
    assert "ArchiveId" in ei.value.response["Error"]["Message"]


def test_job_without_type_400(endpoint, vault):
    r = raw(endpoint, "POST", f"/-/vaults/{vault}/jobs", data=b'{"Description":"no type"}')
    body = assert_raw_error(r, "MissingParameterValueException", 400)
    assert "Type" in body["message"]


def test_archive_retrieval_unknown_archive_404(glacier, vault):
    with expect_error("ResourceNotFoundException", 404) as ei:
        glacier.initiate_job(accountId="-", vaultName=vault,
                             jobParameters={"Type": "archive-retrieval", "ArchiveId": "no-such-archive"})
    assert "no-such-archive" in ei.value.response["Error"]["Message"]


def test_archive_retrieval_archive_of_other_vault_404(glacier, vault, vault_name):
    other = vault_name()
    glacier.create_vault(accountId="-", vaultName=other)
    archive_id = upload(glacier, vault, b"not in the other vault")["archiveId"]
    with expect_error("ResourceNotFoundException", 404):
        retrieval_job(glacier, other, archive_id)


def test_archive_retrieval_deleted_archive_404(glacier, vault):
    archive_id = upload(glacier, vault, b"short-lived")["archiveId"]
    glacier.delete_archive(accountId="-", vaultName=vault, archiveId=archive_id)
    with expect_error("ResourceNotFoundException", 404):
        retrieval_job(glacier, vault, archive_id)


@pytest.mark.parametrize("job_type", ["archive-retrieval", "inventory-retrieval"])
def test_job_on_missing_vault_404(glacier, vault_name, job_type):
    name = vault_name()
    with expect_error("ResourceNotFoundException", 404) as ei:
        glacier.initiate_job(accountId="-", vaultName=name,
                             jobParameters={"Type": job_type, "ArchiveId": "x"})
    assert name in ei.value.response["Error"]["Message"]


@pytest.mark.parametrize("tier", ["Expedited", "Standard", "Bulk"])
def test_tiers_recorded(glacier, vault, tier):
    archive_id = upload(glacier, vault, b"tiered")["archiveId"]
    job_id = retrieval_job(glacier, vault, archive_id, Tier=tier)
    assert describe(glacier, vault, job_id)["Tier"] == tier


def test_default_tier_standard(glacier, vault):
    archive_id = upload(glacier, vault, b"default tier")["archiveId"]
    job_id = retrieval_job(glacier, vault, archive_id)
    assert describe(glacier, vault, job_id)["Tier"] == "Standard"


@pytest.mark.parametrize("tier", ["Fast", "standard", "EXPEDITED", ""])
def test_invalid_tier_400(glacier, vault, tier):
    archive_id = upload(glacier, vault, b"bad tier")["archiveId"]
    with expect_error("InvalidParameterValueException", 400):
        retrieval_job(glacier, vault, archive_id, Tier=tier)


def test_select_job_not_supported(glacier, vault):
    archive_id = upload(glacier, vault, b"a,b\n1,2\n")["archiveId"]
    with expect_error("InvalidParameterValueException", 400) as ei:
        glacier.initiate_job(accountId="-", vaultName=vault, jobParameters={
            "Type": "select", "ArchiveId": archive_id,
            "SelectParameters": {"ExpressionType": "SQL", "Expression": "select * from archive"},
        })
    msg = ei.value.response["Error"]["Message"].lower()
    assert "select" in msg and "not supported" in msg, msg


@pytest.mark.parametrize("job_type", ["archive-download", "Inventory-Retrieval", "", "restore"])
def test_unknown_job_type_400(glacier, vault, job_type):
    with expect_error("InvalidParameterValueException", 400):
        glacier.initiate_job(accountId="-", vaultName=vault, jobParameters={"Type": job_type})


@pytest.mark.parametrize("body", [b"not json", b"{", b"[1,2]", b'"inventory-retrieval"', b""])
def test_job_body_not_json_object_400(endpoint, vault, body):
    r = raw(endpoint, "POST", f"/-/vaults/{vault}/jobs", data=body)
    assert_raw_error(r, "SerializationException", 400)


@pytest.mark.parametrize("fmt", ["XML", "json", "Csv", ""])
def test_inventory_invalid_format_400(glacier, vault, fmt):
    with expect_error("InvalidParameterValueException", 400):
        inventory_job(glacier, vault, Format=fmt)


@pytest.mark.parametrize("params", [
    {"StartDate": "yesterday"},
    {"EndDate": "2026-13-01T00:00:00Z"},
    {"StartDate": "2026-01-01"},
    {"StartDate": "2026-02-01T00:00:00Z", "EndDate": "2026-01-01T00:00:00Z"},
    {"Limit": "0"},
    {"Limit": "-1"},
    {"Limit": "ten"},
    {"Limit": "1.5"},
    {"Marker": "no-such-archive"},
])
def test_inventory_invalid_parameters_400(glacier, vault, params):
    with expect_error("InvalidParameterValueException", 400):
        inventory_job(glacier, vault, InventoryRetrievalParameters=params)


def test_job_description_too_long_400(glacier, vault):
    with expect_error("InvalidParameterValueException", 400):
        inventory_job(glacier, vault, Description="d" * 1025)


# ------------------------------------------------------- RetrievalByteRange

SIZE = 4 * MIB + 100  # five tree-hash leaves, the last one short


@pytest.fixture
def big_archive(glacier, vault):
    data = blob("big-archive", SIZE)
    archive_id = create_archive(glacier, vault, data, description="big one")["archiveId"]
    return vault, archive_id, data


@pytest.mark.parametrize("rng,aligned", [
    (None, True),
    ("0-1048575", True),
    ("0-2097151", True),
    ("0-4194303", True),
    (f"0-{SIZE - 1}", True),
    ("1048576-2097151", True),
    ("2097152-4194303", True),
    (f"4194304-{SIZE - 1}", True),
    ("1048576-3145727", False),
    ("0-3145727", False),
    (f"2097152-{SIZE - 1}", False),
    (f"1048576-{SIZE - 1}", False),
])
def test_retrieval_range_accepted_and_tree_hash(glacier, big_archive, rng, aligned):
    vault, archive_id, data = big_archive
    params = {} if rng is None else {"RetrievalByteRange": rng}
    job_id = retrieval_job(glacier, vault, archive_id, **params)
    d = describe(glacier, vault, job_id)
    a, b = (0, SIZE - 1) if rng is None else map(int, rng.split("-"))
    assert d["RetrievalByteRange"] == f"{a}-{b}"
    assert d["ArchiveSizeInBytes"] == SIZE
    assert d["ArchiveSHA256TreeHash"] == th(data)
    if aligned:
        assert d.get("SHA256TreeHash") == th(data[a:b + 1])
    else:
        assert "SHA256TreeHash" not in d, d
    resp, body = job_output(glacier, vault, job_id)
    assert resp["status"] == 200
    assert body == data[a:b + 1]
    if aligned:
        assert resp.get("checksum") == th(data[a:b + 1])
    else:
        assert "checksum" not in resp, resp


@pytest.mark.parametrize("rng", [
    "1-1048575",              # start not on a MiB boundary
    "0-1048574",              # end not one before a MiB boundary, not the last byte
    "0-1048576",
    "1048576-1048576",
    f"0-{SIZE}",              # beyond the last byte
    f"4194304-{SIZE + MIB}",
    "2097152-1048575",        # end before start
    "abc",
    "0-",
    "-1048575",
    "0:1048575",
    " 0-1048575",
])
def test_retrieval_range_rejected(glacier, big_archive, rng):
    vault, archive_id, _ = big_archive
    with expect_error("InvalidParameterValueException", 400):
        retrieval_job(glacier, vault, archive_id, RetrievalByteRange=rng)


def test_retrieval_range_small_archive_whole(glacier, vault):
    data = blob("small-range", 1000)
    archive_id = upload(glacier, vault, data)["archiveId"]
    job_id = retrieval_job(glacier, vault, archive_id, RetrievalByteRange="0-999")
    d = describe(glacier, vault, job_id)
    assert d["RetrievalByteRange"] == "0-999"
    assert d["SHA256TreeHash"] == th(data)
    with expect_error("InvalidParameterValueException", 400):
        retrieval_job(glacier, vault, archive_id, RetrievalByteRange="0-998")
    with expect_error("InvalidParameterValueException", 400):
        retrieval_job(glacier, vault, archive_id, RetrievalByteRange="0-1048575")


# ============================================================== describe


def test_describe_archive_job_fields(glacier, vault):
    data = blob("describe", 3 * MIB + 5)
    archive_id = create_archive(glacier, vault, data, description="described archive")["archiveId"]
    topic = "arn:aws:sns:us-east-1:123456789012:describe-topic"
    job_id = retrieval_job(glacier, vault, archive_id, Tier="Bulk", Description="my retrieval", SNSTopic=topic)
    d = describe(glacier, vault, job_id)
    assert d["ResponseMetadata"]["HTTPStatusCode"] == 200
    meta = d.pop("ResponseMetadata")
    assert meta["HTTPHeaders"]["content-type"].startswith("application/json")
    assert d == {
        "JobId": job_id,
        "JobDescription": "my retrieval",
        "Action": "ArchiveRetrieval",
        "ArchiveId": archive_id,
        "VaultARN": ARN + vault,
        "CreationDate": d["CreationDate"],
        "Completed": True,
        "StatusCode": "Succeeded",
        "StatusMessage": "Succeeded",
        "ArchiveSizeInBytes": len(data),
        "SNSTopic": topic,
        "CompletionDate": d["CompletionDate"],
        "SHA256TreeHash": th(data),
        "ArchiveSHA256TreeHash": th(data),
        "RetrievalByteRange": f"0-{len(data) - 1}",
        "Tier": "Bulk",
    }
    assert ISO_RE.match(d["CreationDate"]) and ISO_RE.match(d["CompletionDate"])
    assert_recent(d["CreationDate"])
    assert iso_to_datetime(d["CompletionDate"]) >= iso_to_datetime(d["CreationDate"])
    assert "InventoryRetrievalParameters" not in d and "InventorySizeInBytes" not in d


def test_describe_job_raw_has_every_field(endpoint, glacier, vault):
    archive_id = upload(glacier, vault, b"raw describe")["archiveId"]
    job_id = retrieval_job(glacier, vault, archive_id)
    r = raw(endpoint, "GET", f"/-/vaults/{vault}/jobs/{job_id}")
    assert r.status_code == 200, r.text
    body = r.json()
    assert set(body) == JOB_FIELDS, set(body) ^ JOB_FIELDS
    assert body["Completed"] is True and body["StatusCode"] == "Succeeded"
    assert body["JobDescription"] is None and body["SNSTopic"] is None
    assert body["InventoryRetrievalParameters"] is None and body["InventorySizeInBytes"] is None
    assert body["ArchiveSizeInBytes"] == len(b"raw describe")


def test_describe_inventory_job_fields(glacier, vault):
    upload(glacier, vault, b"inventoried", description="inv")
    take_inventory(glacier.meta.endpoint_url, vault)
    job_id = inventory_job(glacier, vault, Format="CSV", Description="inventory please")
    d = describe(glacier, vault, job_id)
    assert d["Action"] == "InventoryRetrieval"
    assert d["Completed"] is True and d["StatusCode"] == "Succeeded"
    assert d["VaultARN"] == ARN + vault
    assert d["JobDescription"] == "inventory please"
    assert d["InventoryRetrievalParameters"] == {"Format": "CSV"}
    _, body = job_output(glacier, vault, job_id)
    assert d["InventorySizeInBytes"] == len(body)
    for absent in ("ArchiveId", "ArchiveSizeInBytes", "ArchiveSHA256TreeHash", "RetrievalByteRange",
                   "SHA256TreeHash", "SNSTopic"):
        assert absent not in d, (absent, d)
    assert ISO_RE.match(d["CreationDate"]) and ISO_RE.match(d["CompletionDate"])


def test_describe_inventory_parameters_echoed(glacier, vault):
    params = {"StartDate": "2020-01-01T00:00:00Z", "EndDate": "2099-01-01T00:00:00Z", "Limit": "10"}
    job_id = inventory_job(glacier, vault, InventoryRetrievalParameters=params)
    d = describe(glacier, vault, job_id)
    assert d["InventoryRetrievalParameters"] == {"Format": "JSON", **params}


def test_describe_unknown_job_404(glacier, vault):
    with expect_error("ResourceNotFoundException", 404) as ei:
        describe(glacier, vault, "no-such-job")
    assert "no-such-job" in ei.value.response["Error"]["Message"]


def test_describe_job_of_other_vault_404(glacier, vault, vault_name):
    other = vault_name()
    glacier.create_vault(accountId="-", vaultName=other)
    job_id = inventory_job(glacier, vault)
    with expect_error("ResourceNotFoundException", 404):
        describe(glacier, other, job_id)


def test_describe_job_missing_vault_404(glacier, vault_name):
    with expect_error("ResourceNotFoundException", 404):
        describe(glacier, vault_name(), "whatever")


# ============================================================== list jobs


def test_list_jobs_oldest_first_with_fields(glacier, vault):
    archive_id = upload(glacier, vault, b"listed")["archiveId"]
    ids = [retrieval_job(glacier, vault, archive_id, Description=f"job {i}") for i in range(3)]
    ids.append(inventory_job(glacier, vault))
    resp = glacier.list_jobs(accountId="-", vaultName=vault)
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert [j["JobId"] for j in resp["JobList"]] == ids
    assert "Marker" not in resp
    for job in resp["JobList"]:
        d = describe(glacier, vault, job["JobId"])
        d.pop("ResponseMetadata")
        assert job == d


def test_list_jobs_empty(glacier, vault):
    resp = glacier.list_jobs(accountId="-", vaultName=vault)
    assert resp["JobList"] == [] and "Marker" not in resp


def test_list_jobs_missing_vault_404(glacier, vault_name):
    with expect_error("ResourceNotFoundException", 404):
        glacier.list_jobs(accountId="-", vaultName=vault_name())


def test_list_jobs_filters_on_completed_vault(glacier, vault):
    job_id = inventory_job(glacier, vault)
    ids = lambda **kw: [j["JobId"] for j in glacier.list_jobs(accountId="-", vaultName=vault, **kw)["JobList"]]
    assert ids(completed="true") == [job_id]
    assert ids(completed="false") == []
    assert ids(statuscode="Succeeded") == [job_id]
    assert ids(statuscode="InProgress") == []
    assert ids(statuscode="Failed") == []
    assert ids(completed="true", statuscode="Succeeded") == [job_id]


@pytest.mark.parametrize("kw", [
    {"completed": "yes"}, {"completed": "True"}, {"completed": "1"},
    {"statuscode": "Done"}, {"statuscode": "succeeded"},
    {"limit": "0"}, {"limit": "abc"},
    {"marker": "no-such-job"},
])
def test_list_jobs_bad_query_400(glacier, vault, kw):
    inventory_job(glacier, vault)
    with expect_error("InvalidParameterValueException", 400):
        glacier.list_jobs(accountId="-", vaultName=vault, **kw)


def test_list_jobs_limit_and_marker(glacier, vault):
    ids = [inventory_job(glacier, vault) for _ in range(5)]
    seen, marker, pages = [], None, 0
    while True:
        kw = {"limit": "2"}
        if marker:
            kw["marker"] = marker
        resp = glacier.list_jobs(accountId="-", vaultName=vault, **kw)
        pages += 1
        assert len(resp["JobList"]) == (2 if pages < 3 else 1)
        seen += [j["JobId"] for j in resp["JobList"]]
        marker = resp.get("Marker")
        if marker is None:
            break
        assert marker == ids[len(seen)]
    assert pages == 3 and seen == ids


def test_list_jobs_paginator(glacier, vault):
    ids = [inventory_job(glacier, vault) for _ in range(5)]
    pages = list(glacier.get_paginator("list_jobs").paginate(
        accountId="-", vaultName=vault, PaginationConfig={"PageSize": 2}))
    assert [len(p["JobList"]) for p in pages] == [2, 2, 1]
    assert [j["JobId"] for p in pages for j in p["JobList"]] == ids


# ============================================================== get job output


def test_get_job_output_whole_archive(glacier, vault):
    data = blob("whole-output", 3 * MIB + 17)
    archive_id = upload(glacier, vault, data, description="whole thing")["archiveId"]
    job_id = retrieval_job(glacier, vault, archive_id)
    resp, body = job_output(glacier, vault, job_id)
    assert resp["status"] == 200
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert body == data
    assert resp["acceptRanges"] == "bytes"
    assert resp["contentType"] == "application/octet-stream"
    assert resp["archiveDescription"] == "whole thing"
    assert resp["checksum"] == th(data)
    assert "contentRange" not in resp
    assert resp["ResponseMetadata"]["HTTPHeaders"]["content-length"] == str(len(data))


def test_get_job_output_no_description_header(glacier, vault):
    archive_id = upload(glacier, vault, b"undescribed")["archiveId"]
    job_id = retrieval_job(glacier, vault, archive_id)
    resp, body = job_output(glacier, vault, job_id)
    assert body == b"undescribed"
    assert "archiveDescription" not in resp
    assert resp["checksum"] == th(b"undescribed")


OUT_SIZE = 3 * MIB + 1000  # four leaves


@pytest.fixture
def output_job(glacier, vault):
    data = blob("ranged-output", OUT_SIZE)
    archive_id = create_archive(glacier, vault, data, description="ranged")["archiveId"]
    job_id = retrieval_job(glacier, vault, archive_id)
    return vault, job_id, data


@pytest.mark.parametrize("a,b,aligned", [
    (0, MIB - 1, True),
    (MIB, 2 * MIB - 1, True),
    (0, 2 * MIB - 1, True),
    (2 * MIB, OUT_SIZE - 1, True),
    (3 * MIB, OUT_SIZE - 1, True),
    (5, 100, False),
    (0, 0, False),
    (MIB, 3 * MIB - 1, False),
    (0, 3 * MIB - 1, False),
    (MIB, OUT_SIZE - 1, False),
    (OUT_SIZE - 1, OUT_SIZE - 1, False),
])
def test_get_job_output_ranges(glacier, output_job, a, b, aligned):
    vault, job_id, data = output_job
    resp, body = job_output(glacier, vault, job_id, range=f"bytes={a}-{b}")
    assert resp["status"] == 206
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 206
    assert resp["contentRange"] == f"bytes {a}-{b}/{OUT_SIZE}"
    assert body == data[a:b + 1]
    assert resp["acceptRanges"] == "bytes"
    assert resp["contentType"] == "application/octet-stream"
    assert resp["archiveDescription"] == "ranged"
    if aligned:
        assert resp.get("checksum") == th(data[a:b + 1])
    else:
        assert "checksum" not in resp, resp


def test_get_job_output_open_and_suffix_ranges(glacier, output_job):
    vault, job_id, data = output_job
    resp, body = job_output(glacier, vault, job_id, range=f"bytes={3 * MIB}-")
    assert (resp["status"], resp["contentRange"]) == (206, f"bytes {3 * MIB}-{OUT_SIZE - 1}/{OUT_SIZE}")
    assert body == data[3 * MIB:]
    assert resp["checksum"] == th(data[3 * MIB:])
    resp, body = job_output(glacier, vault, job_id, range="bytes=-100")
    assert (resp["status"], resp["contentRange"]) == (206, f"bytes {OUT_SIZE - 100}-{OUT_SIZE - 1}/{OUT_SIZE}")
    assert body == data[-100:]


@pytest.mark.parametrize("rng", [
    "bytes=10-5",
    f"bytes={OUT_SIZE}-{OUT_SIZE + 10}",
    f"bytes={OUT_SIZE + 100}-",
    "bytes=abc",
    "bytes=1-2-3",
    "items=0-5",
    "0-5",
    "bytes=-0",
])
def test_get_job_output_bad_range_400(glacier, output_job, rng):
    vault, job_id, _ = output_job
    with expect_error("InvalidParameterValueException", 400):
        job_output(glacier, vault, job_id, range=rng)


def test_get_job_output_unknown_job_404(glacier, vault):
    with expect_error("ResourceNotFoundException", 404):
        job_output(glacier, vault, "no-such-job")


def test_get_job_output_missing_vault_404(glacier, vault_name):
    with expect_error("ResourceNotFoundException", 404):
        job_output(glacier, vault_name(), "no-such-job")


def test_ranged_job_output(glacier, vault):
    data = blob("ranged-job", 3 * MIB + 9)
    archive_id = upload(glacier, vault, data, description="partial")["archiveId"]
    job_id = retrieval_job(glacier, vault, archive_id, RetrievalByteRange=f"{MIB}-{2 * MIB - 1}")
    part = data[MIB:2 * MIB]
    resp, body = job_output(glacier, vault, job_id)
    assert resp["status"] == 200 and body == part
    assert resp["checksum"] == th(part)
    resp, body = job_output(glacier, vault, job_id, range="bytes=0-99")
    assert resp["status"] == 206 and resp["contentRange"] == f"bytes 0-99/{MIB}"
    assert body == part[:100]
    assert "checksum" not in resp
    with expect_error("InvalidParameterValueException", 400):
        job_output(glacier, vault, job_id, range=f"bytes={MIB}-{MIB + 10}")


def test_output_survives_archive_delete(glacier, vault):
    """The job pins the archive's bytes: deleting the archive afterwards keeps the output."""
    data = blob("pinned", MIB + 50)
    archive_id = upload(glacier, vault, data)["archiveId"]
    job_id = retrieval_job(glacier, vault, archive_id)
    glacier.delete_archive(accountId="-", vaultName=vault, archiveId=archive_id)
    resp, body = job_output(glacier, vault, job_id)
    assert resp["status"] == 200 and body == data


# ============================================================== multipart round trip


def test_multipart_round_trip_by_ranges(glacier, vault):
    size = 5 * MIB + 54321
    data = blob("round-trip", size)
    upload_id = initiate(glacier, vault, MIB, description="round trip")
    firsts = list(range(0, size, MIB))
    for first in [firsts[3], firsts[5], firsts[0], firsts[4], firsts[1], firsts[2]]:
        r = upload_part(glacier, vault, upload_id, first, data[first:first + MIB])
        assert r["ResponseMetadata"]["HTTPStatusCode"] == 204
    done = complete(glacier, vault, upload_id, size, th(data))
    archive_id = done["archiveId"]
    assert done["checksum"] == th(data)

    job_id = retrieval_job(glacier, vault, archive_id)
    d = describe(glacier, vault, job_id)
    assert (d["Completed"], d["StatusCode"], d["SHA256TreeHash"]) == (True, "Succeeded", th(data))

    chunks = []
    for first in firsts:
        last = min(first + MIB, size) - 1
        resp, body = job_output(glacier, vault, job_id, range=f"bytes={first}-{last}")
        assert resp["status"] == 206
        assert resp["contentRange"] == f"bytes {first}-{last}/{size}"
        assert len(body) == last - first + 1
        assert resp["checksum"] == calculate_tree_hash(io.BytesIO(body))
        chunks.append(body)
    assert b"".join(chunks) == data

    # 2 MiB chunks are aligned too (the last one is the short tail of its subtree)
    chunks = []
    for first in range(0, size, 2 * MIB):
        last = min(first + 2 * MIB, size) - 1
        resp, body = job_output(glacier, vault, job_id, range=f"bytes={first}-{last}")
        assert resp["checksum"] == calculate_tree_hash(io.BytesIO(body))
        chunks.append(body)
    assert b"".join(chunks) == data

    resp, body = job_output(glacier, vault, job_id)
    assert body == data and resp["checksum"] == th(data)


# ============================================================== inventory


def test_inventory_json_document(glacier, vault):
    a = upload(glacier, vault, blob("inv-a", 1234), description="first archive")
    b = create_archive(glacier, vault, blob("inv-b", MIB + 1), description="second")
    c = upload(glacier, vault, blob("inv-c", 10))
    job_id, d, doc = inventory(glacier, vault)
    assert set(doc) == {"VaultARN", "InventoryDate", "ArchiveList"}
    assert doc["VaultARN"] == ARN + vault
    assert ISO_RE.match(doc["InventoryDate"])
    assert_recent(doc["InventoryDate"])
    got = doc["ArchiveList"]
    assert [x["ArchiveId"] for x in got] == [a["archiveId"], b["archiveId"], c["archiveId"]]
    for entry, desc, size, checksum in [
        (got[0], "first archive", 1234, a["checksum"]),
        (got[1], "second", MIB + 1, b["checksum"]),
        (got[2], "", 10, c["checksum"]),
    ]:
        assert set(entry) == {"ArchiveId", "ArchiveDescription", "CreationDate", "Size", "SHA256TreeHash"}
        assert entry["ArchiveDescription"] == desc
        assert entry["Size"] == size and isinstance(entry["Size"], int)
        assert entry["SHA256TreeHash"] == checksum
        assert ISO_RE.match(entry["CreationDate"])
        assert_recent(entry["CreationDate"])
    assert d["InventoryRetrievalParameters"]["Format"] == "JSON"
    assert "Marker" not in d["InventoryRetrievalParameters"]


def test_inventory_output_headers(glacier, vault):
    upload(glacier, vault, b"x")
    take_inventory(glacier.meta.endpoint_url, vault)
    job_id = inventory_job(glacier, vault)
    resp, body = job_output(glacier, vault, job_id)
    assert resp["status"] == 200
    assert len(json.loads(body)["ArchiveList"]) == 1
    assert resp["contentType"] == "application/json"
    assert resp["acceptRanges"] == "bytes"
    assert "archiveDescription" not in resp
    assert resp["ResponseMetadata"]["HTTPHeaders"]["content-length"] == str(len(body))
    resp2, part = job_output(glacier, vault, job_id, range="bytes=0-9")
    assert resp2["status"] == 206 and part == body[:10]
    assert resp2["contentRange"] == f"bytes 0-9/{len(body)}"


def test_inventory_excludes_deleted_archives(glacier, vault):
    keep = upload(glacier, vault, b"keep")["archiveId"]
    gone = upload(glacier, vault, b"gone")["archiveId"]
    glacier.delete_archive(accountId="-", vaultName=vault, archiveId=gone)
    _, _, doc = inventory(glacier, vault)
    assert [x["ArchiveId"] for x in doc["ArchiveList"]] == [keep]


def test_inventory_empty_vault(glacier, vault):
    _, d, doc = inventory(glacier, vault)
    assert doc["ArchiveList"] == []
    assert doc["VaultARN"] == ARN + vault


def test_inventory_csv(glacier, vault):
    descs = ["plain", 'has, comma and "quotes"', ""]
    archives = [upload(glacier, vault, blob(f"csv{i}", 100 + i), description=desc)
                for i, desc in enumerate(descs)]
    take_inventory(glacier.meta.endpoint_url, vault)
    job_id = inventory_job(glacier, vault, Format="CSV")
    resp, body = job_output(glacier, vault, job_id)
    assert resp["status"] == 200
    assert resp["contentType"] == "text/csv"
    text = body.decode("ascii")
    lines = text.split("\n")
    assert lines[0] == "ArchiveId,ArchiveDescription,CreationDate,Size,SHA256TreeHash"
    assert lines[-1] == "" and len(lines) == 2 + len(descs)
    rows = list(csv.reader(io.StringIO(text)))[1:]
    assert len(rows) == 3
    for row, line, a, desc, i in zip(rows, lines[1:], archives, descs, range(3)):
        assert row[0] == a["archiveId"]
        assert row[1] == desc
        assert ISO_RE.match(row[2])
        assert row[3] == str(100 + i)
        assert row[4] == a["checksum"]
        quoted = '"' + desc.replace('"', '""') + '"'
        assert line == f"{a['archiveId']},{quoted},{row[2]},{100 + i},{a['checksum']}"
    d = describe(glacier, vault, job_id)
    assert d["InventorySizeInBytes"] == len(body)
    assert d["InventoryRetrievalParameters"]["Format"] == "CSV"


def test_inventory_paging_with_limit_and_marker(glacier, vault):
    ids = [upload(glacier, vault, blob(f"page{i}", 50 + i), description=f"page {i}")["archiveId"]
           for i in range(5)]
    seen, marker, pages = [], None, []
    for _ in range(10):
        params = {"Limit": "2"}
        if marker is not None:
            params["Marker"] = marker
        job_id, d, doc = inventory(glacier, vault, InventoryRetrievalParameters=params)
        page = [x["ArchiveId"] for x in doc["ArchiveList"]]
        pages.append(page)
        seen += page
        p = d["InventoryRetrievalParameters"]
        assert p["Limit"] == "2" and p["Format"] == "JSON"
        marker = p.get("Marker")
        if marker is None:
            break
        assert marker == ids[len(seen)], "the marker names the first archive of the next page"
    assert pages == [ids[0:2], ids[2:4], ids[4:5]]
    assert seen == ids


def inventory_page(client, vault, marker=None, limit="2"):
    params = {"Limit": limit}
    if marker is not None:
        params["Marker"] = marker
    _, d, doc = inventory(client, vault, InventoryRetrievalParameters=params)
    return [x["ArchiveId"] for x in doc["ArchiveList"]], d["InventoryRetrievalParameters"].get("Marker")


def test_inventory_marker_of_archive_deleted_since(glacier, vault):
    """The Marker is the ID of the first archive not listed. That archive deleted before the
    next inventory job is initiated: the job is accepted (it was a 400) and lists the archives
    after it."""
    ids = [upload(glacier, vault, blob(f"gone{i}", 20 + i))["archiveId"] for i in range(6)]
    page1, marker = inventory_page(glacier, vault)
    assert (page1, marker) == (ids[0:2], ids[2])
    glacier.delete_archive(accountId="-", vaultName=vault, archiveId=marker)
    page2, marker2 = inventory_page(glacier, vault, marker)
    assert (page2, marker2) == (ids[3:5], ids[5])
    assert inventory_page(glacier, vault, marker, limit="10") == (ids[3:6], None)
    # The archive after it deleted as well: no gap, no repeat.
    glacier.delete_archive(accountId="-", vaultName=vault, archiveId=ids[3])
    assert inventory_page(glacier, vault, marker) == (ids[4:6], None)
    # An archive uploaded now comes after every place.
    for archive_id in ids[4:6]:
        glacier.delete_archive(accountId="-", vaultName=vault, archiveId=archive_id)
    newer = upload(glacier, vault, b"newer")["archiveId"]
    assert inventory_page(glacier, vault, ids[5]) == ([newer], None)
    assert inventory_page(glacier, vault, marker) == ([newer], None)


def test_inventory_paging_while_marked_archives_are_deleted(glacier, vault):
    """Each inventory's Marker archive is deleted before the next job: the pages hold every
    other archive once, in inventory order."""
    ids = [upload(glacier, vault, blob(f"del{i}", 30 + i))["archiveId"] for i in range(8)]
    seen, deleted, marker = [], [], None
    for _ in range(10):
        page, marker = inventory_page(glacier, vault, marker)
        seen += page
        if marker is None:
            break
        assert marker == [i for i in ids if i not in deleted][len(seen)]
        glacier.delete_archive(accountId="-", vaultName=vault, archiveId=marker)
        deleted.append(marker)
    assert deleted == [ids[2], ids[5]]
    assert seen == [i for i in ids if i not in deleted]


def test_inventory_marker_of_archive_deleted_in_another_vault_400(glacier, vault, vault_name):
    other = vault_name()
    glacier.create_vault(accountId="-", vaultName=other)
    stranger = upload(glacier, other, b"elsewhere")["archiveId"]
    glacier.delete_archive(accountId="-", vaultName=other, archiveId=stranger)
    upload(glacier, vault, b"here")
    with expect_error("InvalidParameterValueException", 400):
        inventory_job(glacier, vault, InventoryRetrievalParameters={"Marker": stranger})
    assert inventory_page(glacier, other, stranger) == ([], None)


def test_inventory_limit_exactly_fits_has_no_marker(glacier, vault):
    ids = [upload(glacier, vault, blob(f"fit{i}", 10))["archiveId"] for i in range(3)]
    _, d, doc = inventory(glacier, vault, InventoryRetrievalParameters={"Limit": "3"})
    assert [x["ArchiveId"] for x in doc["ArchiveList"]] == ids
    assert "Marker" not in d["InventoryRetrievalParameters"]


def _iso(t: dt.datetime) -> str:
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def test_inventory_date_filters(glacier, vault):
    ids = [upload(glacier, vault, blob(f"date{i}", 10))["archiveId"] for i in range(2)]
    now = dt.datetime.now(dt.timezone.utc)
    future, past = _iso(now + dt.timedelta(days=30)), _iso(now - dt.timedelta(days=30))
    _, _, doc = inventory(glacier, vault, InventoryRetrievalParameters={"StartDate": future})
    assert doc["ArchiveList"] == []
    _, _, doc = inventory(glacier, vault, InventoryRetrievalParameters={"EndDate": past})
    assert doc["ArchiveList"] == []
    _, _, doc = inventory(glacier, vault, InventoryRetrievalParameters={"StartDate": past, "EndDate": future})
    assert [x["ArchiveId"] for x in doc["ArchiveList"]] == ids
    _, _, doc = inventory(glacier, vault, InventoryRetrievalParameters={"StartDate": past})
    assert [x["ArchiveId"] for x in doc["ArchiveList"]] == ids
    _, _, doc = inventory(glacier, vault, InventoryRetrievalParameters={
        "StartDate": "2000-01-01T00:00:00.000Z", "EndDate": "2001-01-01T00:00:00.000Z"})
    assert doc["ArchiveList"] == []


@pytest.mark.parametrize("start,end", [
    ("2026-01-01T00:00:00.006Z", "2026-01-01T00:00:00.007Z"),
    ("2026-01-01T00:00:00.013Z", "2026-01-01T00:00:00.014Z"),
    ("2026-01-01T00:00:00.000Z", "2026-01-01T00:00:00.001Z"),
])
def test_inventory_dates_one_millisecond_apart(glacier, vault, start, end):
    """StartDate only has to be earlier than EndDate; millisecond dates are exact."""
    job_id = inventory_job(glacier, vault, InventoryRetrievalParameters={"StartDate": start, "EndDate": end})
    d = describe(glacier, vault, job_id)
    assert d["InventoryRetrievalParameters"] == {"Format": "JSON", "StartDate": start, "EndDate": end}


def test_inventory_equal_dates_400(glacier, vault):
    t = "2026-01-01T00:00:00.007Z"
    with expect_error("InvalidParameterValueException", 400):
        inventory_job(glacier, vault, InventoryRetrievalParameters={"StartDate": t, "EndDate": t})


def test_last_inventory_date_is_the_inventorys_and_the_job_returns_it(glacier, vault):
    """LastInventoryDate is when the vault's last inventory was taken; an inventory job returns
    that inventory ("the last inventory it generated"), dated so, and changes nothing."""
    before = glacier.describe_vault(accountId="-", vaultName=vault)["LastInventoryDate"]
    upload(glacier, vault, b"count me")
    job_id = inventory_job(glacier, vault)
    _, body = job_output(glacier, vault, job_id)
    doc = json.loads(body)
    assert doc["InventoryDate"] == before and doc["ArchiveList"] == []
    assert glacier.describe_vault(accountId="-", vaultName=vault)["LastInventoryDate"] == before
    [state] = take_inventory(glacier.meta.endpoint_url, vault)
    after = glacier.describe_vault(accountId="-", vaultName=vault)
    assert after["LastInventoryDate"] == state["LastInventoryDate"]
    assert iso_to_datetime(after["LastInventoryDate"]) > iso_to_datetime(before)
    pages = glacier.get_paginator("list_vaults").paginate(accountId="-")
    listed = [v for page in pages for v in page["VaultList"] if v["VaultName"] == vault]
    assert len(listed) == 1 and listed[0]["LastInventoryDate"] == after["LastInventoryDate"]
    _, _, doc = inventory(glacier, vault)
    assert len(doc["ArchiveList"]) == 1


def test_archive_retrieval_does_not_set_last_inventory_date(glacier, vault):
    before = glacier.describe_vault(accountId="-", vaultName=vault)["LastInventoryDate"]
    archive_id = upload(glacier, vault, b"no inventory")["archiveId"]
    retrieval_job(glacier, vault, archive_id)
    assert glacier.describe_vault(accountId="-", vaultName=vault)["LastInventoryDate"] == before


# ============================================================== timing


DELAYS = ("--job-delay", "expedited=1s,standard=3s,bulk=5s")


def complete_all(endpoint) -> dict:
    r = raw(endpoint, "POST", "/_mock/jobs/complete", version_header=False)
    assert r.status_code == 200, r.text
    return r.json()


def test_delayed_standard_job_in_progress_then_forced(fresh_server):
    srv = fresh_server(args=DELAYS)
    c = srv.client()
    c.create_vault(accountId="-", vaultName="slow")
    data = blob("slow", 1000)
    archive_id = upload(c, "slow", data)["archiveId"]
    job_id = retrieval_job(c, "slow", archive_id)
    d = describe(c, "slow", job_id)
    assert (d["Completed"], d["StatusCode"]) == (False, "InProgress")
    assert "CompletionDate" not in d
    assert d["Tier"] == "Standard"
    # Glacier's in-progress wording, and no SHA256TreeHash yet for a whole-archive retrieval
    # (the model's and the Developer Guide's SHA256TreeHash documentation)
    assert d["StatusMessage"] == "Operation in progress."
    assert "SHA256TreeHash" not in d and d["ArchiveSHA256TreeHash"] == tree_hash(data)
    with expect_error("InvalidParameterValueException", 400):
        job_output(c, "slow", job_id)
    ids = lambda **kw: [j["JobId"] for j in c.list_jobs(accountId="-", vaultName="slow", **kw)["JobList"]]
    assert ids(completed="false") == [job_id]
    assert ids(statuscode="InProgress") == [job_id]
    assert ids(completed="true") == [] and ids(statuscode="Succeeded") == []

    assert complete_all(srv.endpoint) == {"status": "ok", "completed": 1}
    d = describe(c, "slow", job_id)
    assert (d["Completed"], d["StatusCode"]) == (True, "Succeeded")
    assert (d["StatusMessage"], d["SHA256TreeHash"]) == ("Succeeded", tree_hash(data))
    assert ISO_RE.match(d["CompletionDate"])
    resp, body = job_output(c, "slow", job_id)
    assert body == data
    assert ids(completed="true") == [job_id] and ids(statuscode="InProgress") == []
    assert complete_all(srv.endpoint) == {"status": "ok", "completed": 0}


def test_delayed_inventory_job_in_progress(fresh_server):
    srv = fresh_server(args=DELAYS)
    c = srv.client()
    c.create_vault(accountId="-", vaultName="inv")
    upload(c, "inv", b"one")
    [state] = take_inventory(srv.endpoint, "inv")
    job_id = inventory_job(c, "inv")
    d = describe(c, "inv", job_id)
    assert (d["Completed"], d["StatusCode"]) == (False, "InProgress")
    assert d["StatusMessage"] == "Operation in progress."
    assert "InventorySizeInBytes" not in d
    with expect_error("InvalidParameterValueException", 400):
        job_output(c, "inv", job_id)
    # An inventory taken while the job is in progress is the one it returns: the last one
    # Glacier generated when the job completes.
    upload(c, "inv", b"two")
    [later] = take_inventory(srv.endpoint, "inv")
    assert iso_to_datetime(later["LastInventoryDate"]) > iso_to_datetime(state["LastInventoryDate"])
    assert complete_all(srv.endpoint)["completed"] == 1
    _, body = job_output(c, "inv", job_id)
    doc = json.loads(body)
    assert len(doc["ArchiveList"]) == 2 and doc["InventoryDate"] == later["LastInventoryDate"]


def test_expedited_job_completes_by_itself(fresh_server):
    srv = fresh_server(args=DELAYS)
    c = srv.client()
    c.create_vault(accountId="-", vaultName="fast")
    archive_id = upload(c, "fast", b"expedite")["archiveId"]
    bulk = retrieval_job(c, "fast", archive_id, Tier="Bulk")
    fast = retrieval_job(c, "fast", archive_id, Tier="Expedited")
    d = wait_until(lambda: (lambda j: j if j["Completed"] else None)(describe(c, "fast", fast)),
                   timeout=10, interval=0.2, what="Expedited job completion")
    assert d["StatusCode"] == "Succeeded"
    waited = (iso_to_datetime(d["CompletionDate"]) - iso_to_datetime(d["CreationDate"])).total_seconds()
    assert 0.9 <= waited < 5, f"Expedited (1s) job completed after {waited}s"
    b = describe(c, "fast", bulk)
    assert (b["Completed"], b["StatusCode"]) == (False, "InProgress"), "Bulk (5s) finished too early"
    _, body = job_output(c, "fast", fast)
    assert body == b"expedite"


def test_completed_job_expires(fresh_server):
    srv = fresh_server(args=("--job-expiry", "1s"))
    c = srv.client()
    c.create_vault(accountId="-", vaultName="exp")
    archive_id = upload(c, "exp", b"expiring")["archiveId"]
    job_id = retrieval_job(c, "exp", archive_id)
    assert describe(c, "exp", job_id)["Completed"] is True

    def gone():
        try:
            describe(c, "exp", job_id)
            return False
        except Exception as e:  # noqa: BLE001
            r = getattr(e, "response", None)
            assert r is not None, e
            return (r["Error"]["Code"], r["ResponseMetadata"]["HTTPStatusCode"]) == ("ResourceNotFoundException", 404)

    wait_until(gone, timeout=10, interval=0.2, what="job expiry")
    with expect_error("ResourceNotFoundException", 404):
        job_output(c, "exp", job_id)
    assert c.list_jobs(accountId="-", vaultName="exp")["JobList"] == []
    # the archive itself is unaffected
    take_inventory(srv.endpoint, "exp")
    assert c.describe_vault(accountId="-", vaultName="exp")["NumberOfArchives"] == 1


def test_inventory_marker_archive_deleted_while_job_in_progress(fresh_server):
    """The Marker's archive exists when the job is initiated and is deleted before the job
    completes: the inventory lists the archives after it (it listed none)."""
    srv = fresh_server(args=("--job-delay", "standard=1h"))
    c = srv.client()
    c.create_vault(accountId="-", vaultName="inv")
    ids = [upload(c, "inv", blob(f"late{i}", 10 + i))["archiveId"] for i in range(4)]
    take_inventory(srv.endpoint, "inv")
    job_id = inventory_job(c, "inv", InventoryRetrievalParameters={"Marker": ids[1]})
    c.delete_archive(accountId="-", vaultName="inv", archiveId=ids[1])
    take_inventory(srv.endpoint, "inv")   # the next inventory no longer lists it
    assert complete_all(srv.endpoint)["completed"] == 1
    _, body = job_output(c, "inv", job_id)
    assert [x["ArchiveId"] for x in json.loads(body)["ArchiveList"]] == ids[2:]


def test_list_jobs_marker_of_job_that_left_the_listing(fresh_server):
    """ListJobs' marker is the ID of the first job of the next page. j3 (Expedited, 1 s) is
    that job; j1, j2, j4 and j5 stay InProgress (Standard, 1 h). j3 completing takes it out of
    the statuscode=InProgress listing, and expiring (2 s later) out of every listing: either
    way the next page starts after it (both were a 400)."""
    srv = fresh_server(args=("--job-delay", "standard=1h,expedited=1s", "--job-expiry", "2s"))
    c = srv.client()
    c.create_vault(accountId="-", vaultName="jobs")
    archive_id = upload(c, "jobs", b"retrieve me")["archiveId"]
    take_inventory(srv.endpoint, "jobs")
    j1, j2 = inventory_job(c, "jobs"), inventory_job(c, "jobs")
    j3 = retrieval_job(c, "jobs", archive_id, Tier="Expedited")
    j4, j5 = inventory_job(c, "jobs"), inventory_job(c, "jobs")

    def page(marker=None, limit="2", **kw):
        if marker is not None:
            kw["marker"] = marker
        resp = c.list_jobs(accountId="-", vaultName="jobs", limit=limit, **kw)
        return [j["JobId"] for j in resp["JobList"]], resp.get("Marker")

    assert page(statuscode="InProgress") == ([j1, j2], j3)
    assert page() == ([j1, j2], j3)
    wait_until(lambda: describe(c, "jobs", j3)["Completed"], timeout=10, interval=0.1, what="j3 completion")
    assert page(j3, statuscode="InProgress") == ([j4, j5], None)
    assert page(j3, statuscode="Succeeded") == ([j3], None)

    def deleted():
        return db_rows(srv.data_dir, "SELECT COUNT(*) FROM jobs WHERE id = ?", (j3,)) == [(0,)]

    wait_until(deleted, timeout=15, interval=0.2, what="j3 expiry and deletion")
    with expect_error("ResourceNotFoundException", 404):
        describe(c, "jobs", j3)
    assert page(j3) == ([j4, j5], None)
    assert page(j3, limit="1") == ([j4], j5)
    assert page(j3, statuscode="InProgress") == ([j4, j5], None)
    assert page() == ([j1, j2], j4)
    # A marker this server never issued, or a job of another vault, is still refused.
    c.create_vault(accountId="-", vaultName="other")
    upload(c, "other", b"elsewhere")
    take_inventory(srv.endpoint, "other")
    stranger = inventory_job(c, "other")
    for marker in ("no-such-job", stranger):
        with expect_error("InvalidParameterValueException", 400):
            page(marker)
