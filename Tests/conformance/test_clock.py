"""The server's clock (POST /_mock/clock): moved forward so that what happens with time can be
tested without waiting: jobs completing and expiring, an InProgress vault lock expiring, the
24-hour window of a repeated CompleteMultipartUpload (docs/admin-api.md, "The server's clock").
Each test uses its own server: the clock is server-wide."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from helpers import (
    MIB, assert_raw_error, blob, complete, create_archive, describe, expect_error, initiate,
    iso_to_datetime, job_output, raw, retrieval_job, tree_hash, upload_part,
)

DAY = 86_400


def advance(endpoint: str, seconds) -> dict:
    r = raw(endpoint, "POST", "/_mock/clock", data=json.dumps({"AdvanceSeconds": seconds}).encode(),
            version_header=False)
    assert r.status_code == 200, r.text
    return r.json()


def clock(endpoint: str) -> dict:
    r = raw(endpoint, "GET", "/_mock/clock", version_header=False)
    assert r.status_code == 200, r.text
    return r.json()


def wall() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def assert_near(when: str, expected: dt.datetime, slack_seconds: float = 120):
    got = iso_to_datetime(when)
    assert abs((got - expected).total_seconds()) <= slack_seconds, f"{when} is not near {expected.isoformat()}"


def test_advance_moves_the_dates_the_server_gives(fresh_server):
    srv = fresh_server()
    ep = srv.endpoint
    c = srv.client()
    now = clock(ep)
    assert now["OffsetSeconds"] == 0
    assert_near(now["Now"], wall())
    c.create_vault(accountId="-", vaultName="before")
    out = advance(ep, 2 * DAY)
    assert out["status"] == "ok" and out["OffsetSeconds"] == 2 * DAY
    assert_near(out["Now"], wall() + dt.timedelta(days=2))
    out = advance(ep, 3600)
    assert out["OffsetSeconds"] == 2 * DAY + 3600
    c.create_vault(accountId="-", vaultName="after")
    dates = {v["VaultName"]: v["CreationDate"] for v in c.list_vaults(accountId="-")["VaultList"]}
    assert_near(dates["before"], wall())
    assert_near(dates["after"], wall() + dt.timedelta(days=2, hours=1))


def test_a_delayed_job_completes_once_its_time_has_come(fresh_server):
    srv = fresh_server(args=("--job-delay", "standard=5h"))
    ep = srv.endpoint
    c = srv.client()
    c.create_vault(accountId="-", vaultName="v")
    data = blob("clock-job", 3 * MIB)
    archive_id = create_archive(c, "v", data)["archiveId"]
    job_id = retrieval_job(c, "v", archive_id, Tier="Standard")
    assert describe(c, "v", job_id)["StatusCode"] == "InProgress"
    advance(ep, 4 * 3600)
    assert describe(c, "v", job_id)["StatusCode"] == "InProgress"
    advance(ep, 3600)
    job = describe(c, "v", job_id)
    assert job["StatusCode"] == "Succeeded" and job["Completed"] is True
    assert_near(job["CompletionDate"], wall() + dt.timedelta(hours=5))
    _, body = job_output(c, "v", job_id)
    assert body == data


def test_a_completed_job_expires_after_its_day(fresh_server):
    srv = fresh_server()
    ep = srv.endpoint
    c = srv.client()
    c.create_vault(accountId="-", vaultName="v")
    archive_id = create_archive(c, "v", blob("clock-expiry", 1000))["archiveId"]
    job_id = retrieval_job(c, "v", archive_id)
    assert describe(c, "v", job_id)["StatusCode"] == "Succeeded"
    advance(ep, DAY - 60)
    assert describe(c, "v", job_id)["StatusCode"] == "Succeeded"
    advance(ep, 120)
    with expect_error("ResourceNotFoundException", 404):
        c.describe_job(accountId="-", vaultName="v", jobId=job_id)
    assert c.list_jobs(accountId="-", vaultName="v")["JobList"] == []


def test_an_in_progress_vault_lock_expires_after_24_hours(fresh_server):
    srv = fresh_server()
    ep = srv.endpoint
    c = srv.client()
    c.create_vault(accountId="-", vaultName="v")
    policy = json.dumps({"Version": "2012-10-17", "Statement": [{
        "Sid": "deny-deletes", "Principal": "*", "Effect": "Deny", "Action": "glacier:DeleteArchive",
        "Resource": "arn:aws:glacier:us-east-1:123456789012:vaults/v"}]})
    lock_id = c.initiate_vault_lock(accountId="-", vaultName="v", policy={"Policy": policy})["lockId"]
    advance(ep, DAY - 60)
    assert c.get_vault_lock(accountId="-", vaultName="v")["State"] == "InProgress"
    advance(ep, 120)
    with expect_error("ResourceNotFoundException", 404):
        c.get_vault_lock(accountId="-", vaultName="v")
    with expect_error("InvalidParameterValueException", 400) as ei:
        c.complete_vault_lock(accountId="-", vaultName="v", lockId=lock_id)
    assert "expired" in ei.value.response["Error"]["Message"]


def test_a_repeated_complete_is_answered_within_24_hours_only(fresh_server):
    srv = fresh_server()
    ep = srv.endpoint
    c = srv.client()
    c.create_vault(accountId="-", vaultName="v")
    data = blob("clock-complete", MIB)
    upload_id = initiate(c, "v", MIB)
    upload_part(c, "v", upload_id, 0, data)
    first = complete(c, "v", upload_id, MIB, tree_hash(data))
    advance(ep, DAY - 60)
    assert complete(c, "v", upload_id, MIB, tree_hash(data))["archiveId"] == first["archiveId"]
    advance(ep, 120)
    with expect_error("ResourceNotFoundException", 404):
        complete(c, "v", upload_id, MIB, tree_hash(data))


def test_the_clock_survives_a_restart_and_reset_returns_it(fresh_server):
    srv = fresh_server()
    ep = srv.endpoint
    advance(ep, 7 * DAY)
    srv.restart()
    ep = srv.endpoint
    assert clock(ep)["OffsetSeconds"] == 7 * DAY
    assert raw(ep, "POST", "/_mock/reset", version_header=False).status_code == 200
    now = clock(ep)
    assert now["OffsetSeconds"] == 0
    assert_near(now["Now"], wall())


def test_signatures_are_checked_against_the_wall_clock(fresh_server):
    """Clients sign with their own (wall) clock: an advanced server clock must not make
    every signature look 15 minutes stale."""
    key, secret, account = "AKIACLOCKTEST", "clock-secret", "210987654321"
    srv = fresh_server(args=("--auth", "sigv4", "--credentials", f"{key}:{secret}:{account}"))
    advance(srv.endpoint, 30 * DAY)
    c = srv.client(access_key=key, secret=secret)
    assert c.create_vault(accountId="-", vaultName="signed")["ResponseMetadata"]["HTTPStatusCode"] == 201
    desc = c.describe_vault(accountId="-", vaultName="signed")
    assert_near(desc["CreationDate"], wall() + dt.timedelta(days=30))


@pytest.mark.parametrize("body, code, words", [
    (b'{"AdvanceSeconds": 0}', "InvalidParameterValueException", "AdvanceSeconds"),
    (b'{"AdvanceSeconds": -5}', "InvalidParameterValueException", "AdvanceSeconds"),
    (b'{"AdvanceSeconds": 1.5}', "InvalidParameterValueException", "AdvanceSeconds"),
    (b'{"AdvanceSeconds": "60"}', "InvalidParameterValueException", "AdvanceSeconds"),
    (b'{"AdvanceSeconds": 315360001}', "InvalidParameterValueException", "AdvanceSeconds"),
    (b'{"BackSeconds": 60}', "InvalidParameterValueException", "BackSeconds"),
    (b'{}', "MissingParameterValueException", "AdvanceSeconds"),
    (b'soon', "SerializationException", "JSON"),
])
def test_bad_moves_are_refused_and_change_nothing(fresh_server, body, code, words):
    srv = fresh_server()
    r = raw(srv.endpoint, "POST", "/_mock/clock", data=body, version_header=False)
    err = assert_raw_error(r, code, 400)
    assert words in err["message"]
    assert clock(srv.endpoint)["OffsetSeconds"] == 0
