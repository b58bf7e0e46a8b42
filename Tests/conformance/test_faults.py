"""Injected faults (POST /_mock/faults): a test arms Glacier errors that the next matching
requests get in place of the real work, so client retry and error handling can be tested
against the errors AWS sends under load (README, "Injected faults").

Each test uses its own server: armed rules are server-wide."""

from __future__ import annotations

import json
import time

import boto3
import botocore.config
import botocore.exceptions
import pytest

from helpers import (
    MIB, assert_raw_error, blob, expect_error, initiate, inventory, inventory_state, part_headers,
    raw, tree_hash, upload_path,
)


def arm(endpoint: str, **rule) -> dict:
    r = raw(endpoint, "POST", "/_mock/faults", {"Content-Type": "application/json"}, json.dumps(rule).encode(),
            version_header=False)
    assert r.status_code == 200, r.text
    return r.json()


def armed(endpoint: str) -> list[dict]:
    r = raw(endpoint, "GET", "/_mock/faults", version_header=False)
    assert r.status_code == 200, r.text
    return r.json()["Faults"]


def _with_retries(endpoint: str, attempts: int):
    """A boto3 client making at most `attempts` attempts per call (botocore's standard retry
    mode: it retries ThrottlingException, RequestTimeoutException and 5xx answers)."""
    return boto3.session.Session().client(
        "glacier", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="test",
        aws_secret_access_key="test",
        config=botocore.config.Config(retries={"total_max_attempts": attempts, "mode": "standard"}, read_timeout=60))


def test_armed_fault_answers_its_count_then_requests_pass(fresh_server):
    srv = fresh_server()
    ep = srv.endpoint
    srv.client().create_vault(accountId="-", vaultName="v")
    out = arm(ep, Operation="DescribeVault", Code="ThrottlingException", Count=2)
    assert out["status"] == "ok"
    assert out["Faults"] == [{"Operation": "DescribeVault", "VaultName": None, "Code": "ThrottlingException",
                              "DelayMilliseconds": 0,
                              "Message": "Injected by glacier-mock: ThrottlingException for DescribeVault "
                                         "(armed with POST /_mock/faults)", "Remaining": 2}]
    body = assert_raw_error(raw(ep, "GET", "/-/vaults/v"), "ThrottlingException", 400)
    assert "Injected" in body["message"]
    assert [f["Remaining"] for f in armed(ep)] == [1]
    # Another operation is not affected.
    assert raw(ep, "GET", "/-/vaults").status_code == 200
    assert_raw_error(raw(ep, "GET", "/-/vaults/v"), "ThrottlingException", 400)
    assert armed(ep) == []
    r = raw(ep, "GET", "/-/vaults/v")
    assert r.status_code == 200 and r.json()["VaultName"] == "v"


def test_faulted_request_changes_nothing(fresh_server):
    srv = fresh_server()
    c = _with_retries(srv.endpoint, 1)  # one attempt: no retries
    arm(srv.endpoint, Operation="CreateVault", Code="ServiceUnavailableException", Message="try later")
    with expect_error("ServiceUnavailableException", 500) as ei:
        c.create_vault(accountId="-", vaultName="never")
    assert ei.value.response["Error"]["Message"] == "try later"
    with expect_error("ResourceNotFoundException", 404):
        c.describe_vault(accountId="-", vaultName="never")
    assert c.create_vault(accountId="-", vaultName="never")["ResponseMetadata"]["HTTPStatusCode"] == 201


def test_boto3_retries_through_throttled_uploads(fresh_server):
    srv = fresh_server()
    ep = srv.endpoint
    c = _with_retries(ep, 5)
    c.create_vault(accountId="-", vaultName="v")
    arm(ep, Operation="UploadArchive", Code="ThrottlingException", Count=2)
    data = blob("retry", 3 * MIB + 17)
    resp = c.upload_archive(accountId="-", vaultName="v", body=data)
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert resp["ResponseMetadata"]["RetryAttempts"] == 2
    assert resp["checksum"] == tree_hash(data)
    assert armed(ep) == []
    # The two refused attempts stored nothing: one archive, the acknowledged one.
    archives = inventory(c, "v")
    assert [a["ArchiveId"] for a in archives] == [resp["archiveId"]]


def test_large_part_refused_before_its_body_then_retried(fresh_server):
    """The answer goes out before the 8 MiB body is read (the connection is then closed in
    stages); botocore retries RequestTimeoutException and re-sends the body."""
    srv = fresh_server()
    ep = srv.endpoint
    c = _with_retries(ep, 3)
    c.create_vault(accountId="-", vaultName="v")
    upload_id = initiate(c, "v", 8 * MIB)
    arm(ep, Operation="UploadMultipartPart", Code="RequestTimeoutException", VaultName="v")
    data = blob("part", 8 * MIB)
    resp = c.upload_multipart_part(accountId="-", vaultName="v", uploadId=upload_id, body=data,
                                   range=f"bytes 0-{8 * MIB - 1}/*", checksum=tree_hash(data))
    assert resp["ResponseMetadata"]["RetryAttempts"] == 1
    parts = c.list_parts(accountId="-", vaultName="v", uploadId=upload_id)["Parts"]
    assert parts == [{"RangeInBytes": f"0-{8 * MIB - 1}", "SHA256TreeHash": tree_hash(data)}]
    # Raw, without retries: the early answer arrives whole.
    arm(ep, Operation="UploadMultipartPart", Code="RequestTimeoutException")
    r = raw(ep, "PUT", upload_path("v", upload_id), part_headers(data, 0), data)
    assert_raw_error(r, "RequestTimeoutException", 408)


def test_delay_alone_serves_late_so_client_timeouts_can_be_tested(fresh_server):
    srv = fresh_server()
    ep = srv.endpoint
    out = arm(ep, Operation="ListVaults", DelayMilliseconds=3000)
    assert out["Faults"][0]["Code"] is None and out["Faults"][0]["DelayMilliseconds"] == 3000
    impatient = boto3.session.Session().client(
        "glacier", endpoint_url=ep, region_name="us-east-1", aws_access_key_id="test", aws_secret_access_key="test",
        config=botocore.config.Config(retries={"total_max_attempts": 1}, read_timeout=0.5, connect_timeout=5))
    with pytest.raises(botocore.exceptions.ReadTimeoutError):
        impatient.list_vaults(accountId="-")
    assert armed(ep) == []
    # The rule is used up: the same call is answered in time now.
    assert impatient.list_vaults(accountId="-")["VaultList"] == []


def test_upload_delayed_past_the_body_timeout_gets_408(fresh_server):
    """The body timeout runs while an upload waits, as it would for a stalled body."""
    srv = fresh_server(args=("--body-timeout", "1s"))
    c = _with_retries(srv.endpoint, 1)
    c.create_vault(accountId="-", vaultName="v")
    arm(srv.endpoint, Operation="UploadArchive", DelayMilliseconds=2500)
    with expect_error("RequestTimeoutException", 408):
        c.upload_archive(accountId="-", vaultName="v", body=blob("late", 8 * MIB))
    time.sleep(2.5)  # past the end of the delay: the request's task has run on by then
    # No archive, and not even a write: the vault has no inventory, and none is due.
    [state] = inventory_state(srv.endpoint, "v")
    assert (state["LiveNumberOfArchives"], state["WritesSinceInventory"], state["LastInventoryDate"]) == (0, 0, None)
    assert srv.client().list_vaults(accountId="-")["VaultList"][0]["NumberOfArchives"] == 0


def test_delay_then_error(fresh_server):
    srv = fresh_server()
    ep = srv.endpoint
    arm(ep, Operation="ListVaults", Code="ServiceUnavailableException", DelayMilliseconds=100)
    assert_raw_error(raw(ep, "GET", "/-/vaults"), "ServiceUnavailableException", 500)
    assert raw(ep, "GET", "/-/vaults").status_code == 200


def test_vault_filter_and_wildcard(fresh_server):
    srv = fresh_server()
    ep = srv.endpoint
    c = srv.client()
    for v in ("a", "b"):
        c.create_vault(accountId="-", vaultName=v)
    arm(ep, Operation="DescribeVault", Code="ResourceNotFoundException", VaultName="a")
    assert raw(ep, "GET", "/-/vaults/b").status_code == 200
    assert_raw_error(raw(ep, "GET", "/-/vaults/a"), "ResourceNotFoundException", 404)
    arm(ep, Operation="*", Code="InsufficientCapacityException")
    assert_raw_error(raw(ep, "GET", "/-/vaults"), "InsufficientCapacityException", 400)
    assert raw(ep, "GET", "/-/vaults").status_code == 200


@pytest.mark.parametrize("body, code, words", [
    (b'{"Operation": "Upload", "Code": "ThrottlingException"}', "InvalidParameterValueException", "33 operations"),
    (b'{"Operation": "UploadArchive", "Code": "Throttled"}', "InvalidParameterValueException", "ThrottlingException"),
    (b'{"Operation": "UploadArchive", "Code": "NotImplemented"}', "InvalidParameterValueException", "not a Glacier error code"),
    (b'{"Operation": "UploadArchive", "Code": "ThrottlingException", "Count": 0}', "InvalidParameterValueException", "Count"),
    (b'{"Operation": "UploadArchive", "Code": "ThrottlingException", "Count": 1.5}', "InvalidParameterValueException", "Count"),
    (b'{"Operation": "UploadArchive", "Code": "ThrottlingException", "Count": "2"}', "InvalidParameterValueException", "Count"),
    (b'{"Operation": "UploadArchive", "Code": "ThrottlingException", "VaultName": "no spaces"}', "InvalidParameterValueException", "vault"),
    (b'{"Operation": "UploadArchive", "Code": "ThrottlingException", "Message": ""}', "InvalidParameterValueException", "Message"),
    (b'{"Operation": "UploadArchive", "Code": "ThrottlingException", "Times": 2}', "InvalidParameterValueException", "Times"),
    (b'{"Code": "ThrottlingException"}', "MissingParameterValueException", "Operation"),
    (b'{"Operation": "UploadArchive"}', "MissingParameterValueException", "Code or DelayMilliseconds"),
    (b'{"Operation": "UploadArchive", "DelayMilliseconds": 0}', "InvalidParameterValueException", "DelayMilliseconds"),
    (b'{"Operation": "UploadArchive", "DelayMilliseconds": 60001}', "InvalidParameterValueException", "DelayMilliseconds"),
    (b'not json', "SerializationException", "JSON"),
    (b'', "SerializationException", "empty"),
])
def test_bad_rules_are_refused_and_arm_nothing(fresh_server, body, code, words):
    srv = fresh_server()
    r = raw(srv.endpoint, "POST", "/_mock/faults", {"Content-Type": "application/json"}, body, version_header=False)
    err = assert_raw_error(r, code, 400)
    assert words.lower() in err["message"].lower(), err
    assert armed(srv.endpoint) == []


def test_delete_and_reset_disarm(fresh_server):
    srv = fresh_server()
    ep = srv.endpoint
    arm(ep, Operation="ListVaults", Code="ThrottlingException", Count=3)
    arm(ep, Operation="CreateVault", Code="ThrottlingException")
    r = raw(ep, "DELETE", "/_mock/faults", version_header=False)
    assert r.status_code == 200 and r.json() == {"status": "ok", "cleared": 2}
    assert raw(ep, "GET", "/-/vaults").status_code == 200
    arm(ep, Operation="ListVaults", Code="ThrottlingException")
    assert raw(ep, "POST", "/_mock/reset", version_header=False).status_code == 200
    assert armed(ep) == []
    assert raw(ep, "GET", "/-/vaults").status_code == 200
