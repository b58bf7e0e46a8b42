"""The request journal (GET /_mock/requests): the last answered Glacier requests, so a test
can check which calls the code under test made and how they were answered (docs/admin-api.md,
"Request journal"). Each test uses its own server: the journal is server-wide."""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from helpers import DEFAULT_ACCOUNT, DEFAULT_REGION, assert_raw_error, blob, expect_error, raw


def journal(endpoint: str, query: str = "") -> dict:
    r = raw(endpoint, "GET", "/_mock/requests" + query, version_header=False)
    assert r.status_code == 200, r.text
    return r.json()


def test_each_answered_request_is_recorded_in_order(fresh_server):
    srv = fresh_server()
    ep = srv.endpoint
    c = srv.client()
    created = c.create_vault(accountId="-", vaultName="v")
    up = c.upload_archive(accountId="-", vaultName="v", body=blob("j", 4096))
    with expect_error("ResourceNotFoundException", 404) as ei:
        c.describe_vault(accountId="-", vaultName="missing")
    got = journal(ep)
    assert got["Dropped"] == 0 and got["Capacity"] == 1000
    entries = got["Requests"]
    assert [(e["Operation"], e["Method"], e["Path"], e["VaultName"], e["Status"], e["ErrorCode"]) for e in entries] == [
        ("CreateVault", "PUT", "/-/vaults/v", "v", 201, None),
        ("UploadArchive", "POST", "/-/vaults/v/archives", "v", 201, None),
        ("DescribeVault", "GET", "/-/vaults/missing", "missing", 404, "ResourceNotFoundException"),
    ]
    assert [e["Sequence"] for e in entries] == [1, 2, 3]
    # Each entry carries the x-amzn-RequestId its response carried.
    assert [e["RequestId"] for e in entries] == [
        created["ResponseMetadata"]["RequestId"], up["ResponseMetadata"]["RequestId"],
        ei.value.response["ResponseMetadata"]["RequestId"]]
    assert {(e["AccountId"], e["Region"]) for e in entries} == {(DEFAULT_ACCOUNT, DEFAULT_REGION)}
    assert all(e["Time"].endswith("Z") for e in entries)


def test_admin_requests_are_not_recorded_and_unknown_paths_are(fresh_server):
    srv = fresh_server()
    ep = srv.endpoint
    assert raw(ep, "GET", "/_mock/health", version_header=False).status_code == 200
    assert_raw_error(raw(ep, "GET", "/-/vaults/v/nothing-here"), "UnknownOperationException", 404)
    assert_raw_error(raw(ep, "GET", "/-/vaults", version_header=False), "MissingParameterValueException", 400)
    entries = journal(ep)["Requests"]
    assert [(e["Operation"], e["Path"], e["Status"], e["ErrorCode"]) for e in entries] == [
        (None, "/-/vaults/v/nothing-here", 404, "UnknownOperationException"),
        ("ListVaults", "/-/vaults", 400, "MissingParameterValueException"),
    ]


def test_injected_faults_are_recorded(fresh_server):
    srv = fresh_server()
    ep = srv.endpoint
    rule = {"Operation": "ListVaults", "Code": "ThrottlingException"}
    assert raw(ep, "POST", "/_mock/faults", data=json.dumps(rule).encode(), version_header=False).status_code == 200
    assert_raw_error(raw(ep, "GET", "/-/vaults"), "ThrottlingException", 400)
    assert raw(ep, "GET", "/-/vaults").status_code == 200
    entries = journal(ep)["Requests"]
    assert [(e["Operation"], e["Status"], e["ErrorCode"]) for e in entries] == [
        ("ListVaults", 400, "ThrottlingException"), ("ListVaults", 200, None)]


def test_filters(fresh_server):
    srv = fresh_server()
    ep = srv.endpoint
    c = srv.client()
    for v in ("a", "b"):
        c.create_vault(accountId="-", vaultName=v)
        c.describe_vault(accountId="-", vaultName=v)
    c.list_vaults(accountId="-")
    ops = lambda q: [(e["Operation"], e["VaultName"]) for e in journal(ep, q)["Requests"]]
    assert ops("?operation=DescribeVault") == [("DescribeVault", "a"), ("DescribeVault", "b")]
    assert ops("?vault=b") == [("CreateVault", "b"), ("DescribeVault", "b")]
    assert ops("?operation=CreateVault&vault=a") == [("CreateVault", "a")]
    assert ops("?after=4") == [("ListVaults", None)]
    assert ops("?after=5") == []


@pytest.mark.parametrize("query, words", [
    ("?operation=Describe", "33 operations"),
    ("?after=-1", "after"),
    ("?after=x", "after"),
    ("?limit=3", "limit"),
])
def test_bad_filters_are_refused(fresh_server, query, words):
    srv = fresh_server()
    err = assert_raw_error(raw(srv.endpoint, "GET", "/_mock/requests" + query, version_header=False),
                           "InvalidParameterValueException", 400)
    assert words in err["message"]


def test_capacity_drops_the_oldest(fresh_server):
    srv = fresh_server(args=("--request-journal", "3"))
    ep = srv.endpoint
    for i in range(5):
        raw(ep, "PUT", f"/-/vaults/v{i}")
    got = journal(ep)
    assert got["Capacity"] == 3 and got["Dropped"] == 2
    assert [(e["Sequence"], e["VaultName"]) for e in got["Requests"]] == [(3, "v2"), (4, "v3"), (5, "v4")]


def test_journal_off(fresh_server):
    srv = fresh_server(env={"GLACIER_MOCK_REQUEST_JOURNAL": "0"})
    raw(srv.endpoint, "PUT", "/-/vaults/v")
    assert journal(srv.endpoint) == {"Requests": [], "Dropped": 0, "Capacity": 0}


def test_delete_and_reset_clear_and_sequences_go_on(fresh_server):
    srv = fresh_server()
    ep = srv.endpoint
    raw(ep, "PUT", "/-/vaults/v")
    raw(ep, "GET", "/-/vaults/v")
    r = raw(ep, "DELETE", "/_mock/requests", version_header=False)
    assert r.status_code == 200 and r.json() == {"status": "ok", "cleared": 2}
    assert journal(ep)["Requests"] == []
    raw(ep, "GET", "/-/vaults")
    assert [e["Sequence"] for e in journal(ep)["Requests"]] == [3]
    assert raw(ep, "POST", "/_mock/reset", version_header=False).status_code == 200
    assert journal(ep)["Requests"] == []


@pytest.mark.parametrize("args, env, words", [
    (["--request-journal=-1"], {}, "--request-journal must be a whole number from 0 to 1000000"),
    (["--request-journal", "1000001"], {}, "--request-journal must be a whole number from 0 to 1000000"),
    (["--request-journal", "many"], {}, "'many' is invalid for '--request-journal"),
    ([], {"GLACIER_MOCK_REQUEST_JOURNAL": "many"}, "--request-journal must be a whole number from 0 to 1000000"),
])
def test_bad_journal_option_is_refused_at_start(glacier_bin, args, env, words):
    p = subprocess.run([str(glacier_bin), "serve", "--port", "0", *args], capture_output=True, text=True, timeout=30,
                       env={**os.environ, **env})
    assert p.returncode != 0
    assert words in p.stderr


def test_refused_signatures_are_recorded_with_the_answer_the_client_got(fresh_server):
    key, secret, account = "AKIAJOURNAL", "journal-secret", "210987654321"
    srv = fresh_server(args=("--auth", "sigv4", "--credentials", f"{key}:{secret}:{account}"))
    ep = srv.endpoint
    good = srv.client(access_key=key, secret=secret)
    good.create_vault(accountId="-", vaultName="signed")
    with expect_error("InvalidSignatureException", 403):
        srv.client(access_key=key, secret="wrong").describe_vault(accountId="-", vaultName="signed")
    with expect_error("UnrecognizedClientException", 400):
        srv.client(access_key="AKIANOBODY", secret="x").list_vaults(accountId="-")
    entries = journal(ep)["Requests"]
    assert [(e["Operation"], e["AccountId"], e["Path"], e["Status"], e["ErrorCode"]) for e in entries] == [
        ("CreateVault", account, "/-/vaults/signed", 201, None),
        (None, None, "/-/vaults/signed", 403, "InvalidSignatureException"),
        (None, None, "/-/vaults", 400, "UnrecognizedClientException"),
    ]
