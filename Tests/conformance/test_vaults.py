"""Vault operations: create / describe / list / delete, names, counters."""

from __future__ import annotations

import random

import pytest

from helpers import (
    DEFAULT_ACCOUNT, DEFAULT_REGION, MIB, ISO_RE, assert_raw_error, assert_recent,
    blob, create_archive, db_rows, expect_error, iso_to_datetime, raw, take_inventory,
)

ARN_PREFIX = f"arn:aws:glacier:{DEFAULT_REGION}:{DEFAULT_ACCOUNT}:vaults/"


def test_create_vault_201_with_location(glacier, vault_name):
    name = vault_name()
    resp = glacier.create_vault(accountId="-", vaultName=name)
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert resp["location"] == f"/{DEFAULT_ACCOUNT}/vaults/{name}"


def test_create_vault_is_idempotent(glacier, vault_name):
    name = vault_name()
    first = glacier.create_vault(accountId="-", vaultName=name)
    before = glacier.describe_vault(accountId="-", vaultName=name)
    second = glacier.create_vault(accountId="-", vaultName=name)
    assert second["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert second["location"] == first["location"]
    after = glacier.describe_vault(accountId="-", vaultName=name)
    assert after["CreationDate"] == before["CreationDate"]
    names = [v["VaultName"] for page in glacier.get_paginator("list_vaults").paginate(accountId="-")
             for v in page["VaultList"]]
    assert names.count(name) == 1


def test_create_vault_keeps_archives_when_recreated(glacier, vault):
    data = blob("recreate", 1000)
    create_archive(glacier, vault, data)
    glacier.create_vault(accountId="-", vaultName=vault)
    take_inventory(glacier.meta.endpoint_url, vault)   # counts are as of the last inventory
    d = glacier.describe_vault(accountId="-", vaultName=vault)
    assert (d["NumberOfArchives"], d["SizeInBytes"]) == (1, 1000)


def test_describe_vault_fields(glacier, vault):
    d = glacier.describe_vault(accountId="-", vaultName=vault)
    assert d["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert d["VaultARN"] == ARN_PREFIX + vault
    assert d["VaultName"] == vault
    assert ISO_RE.match(d["CreationDate"]), d["CreationDate"]
    assert_recent(d["CreationDate"])
    assert d.get("LastInventoryDate") is None
    assert d["NumberOfArchives"] == 0
    assert d["SizeInBytes"] == 0


def test_describe_vault_raw_json(endpoint, vault):
    r = raw(endpoint, "GET", f"/-/vaults/{vault}")
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["VaultARN"] == ARN_PREFIX + vault
    assert body["VaultName"] == vault
    assert body["NumberOfArchives"] == 0 and body["SizeInBytes"] == 0
    assert body.get("LastInventoryDate") is None
    assert ISO_RE.match(body["CreationDate"])


def test_creation_date_matches_database(glacier, vault, data_dir):
    d = glacier.describe_vault(accountId="-", vaultName=vault)
    rows = db_rows(data_dir,
                   "SELECT creation_date, last_inventory_date, number_of_archives, size_in_bytes "
                   "FROM vaults WHERE account_id = ? AND region = ? AND name = ?",
                   (DEFAULT_ACCOUNT, DEFAULT_REGION, vault))
    assert len(rows) == 1, rows
    creation_ms, last_inv, n, size = rows[0]
    assert isinstance(creation_ms, int)
    assert int(iso_to_datetime(d["CreationDate"]).timestamp() * 1000 + 0.5) == creation_ms
    assert last_inv is None
    assert (n, size) == (0, 0)


def test_describe_missing_vault_404(glacier, vault_name):
    name = vault_name()
    with expect_error("ResourceNotFoundException", 404) as ei:
        glacier.describe_vault(accountId="-", vaultName=name)
    assert ARN_PREFIX + name in ei.value.response["Error"]["Message"]


def test_delete_vault_204_then_gone(glacier, vault):
    resp = glacier.delete_vault(accountId="-", vaultName=vault)
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 204
    with expect_error("ResourceNotFoundException", 404):
        glacier.describe_vault(accountId="-", vaultName=vault)
    listed = [v["VaultName"] for page in glacier.get_paginator("list_vaults").paginate(accountId="-")
              for v in page["VaultList"]]
    assert vault not in listed


def test_delete_missing_vault_404_mentions_arn(glacier, vault_name):
    name = vault_name()
    with expect_error("ResourceNotFoundException", 404) as ei:
        glacier.delete_vault(accountId="-", vaultName=name)
    assert ARN_PREFIX + name in ei.value.response["Error"]["Message"]


def test_delete_vault_twice(glacier, vault):
    glacier.delete_vault(accountId="-", vaultName=vault)
    with expect_error("ResourceNotFoundException", 404):
        glacier.delete_vault(accountId="-", vaultName=vault)


def test_delete_vault_with_archive_fails(glacier, vault):
    create_archive(glacier, vault, blob("delete-nonempty", MIB + 5))
    with expect_error("InvalidParameterValueException", 400):   # written since the last inventory
        glacier.delete_vault(accountId="-", vaultName=vault)
    take_inventory(glacier.meta.endpoint_url, vault)
    with expect_error("InvalidParameterValueException", 400):   # not empty as of the last inventory
        glacier.delete_vault(accountId="-", vaultName=vault)
    d = glacier.describe_vault(accountId="-", vaultName=vault)
    assert d["NumberOfArchives"] == 1 and d["SizeInBytes"] == MIB + 5


def test_vault_can_be_recreated_after_delete(glacier, vault):
    glacier.delete_vault(accountId="-", vaultName=vault)
    resp = glacier.create_vault(accountId="-", vaultName=vault)
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 201
    d = glacier.describe_vault(accountId="-", vaultName=vault)
    assert d["NumberOfArchives"] == 0


# ---------------------------------------------------------------- names

@pytest.mark.parametrize("suffix", ["A", "z", "Z9", "a_b-c.d", "x" * 200])
def test_valid_vault_names(glacier, suffix):
    name = (suffix + "-" + format(random.getrandbits(40), "x"))[:255]
    resp = glacier.create_vault(accountId="-", vaultName=name)
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert glacier.describe_vault(accountId="-", vaultName=name)["VaultName"] == name


def test_vault_name_255_chars_ok(glacier):
    name = format(random.getrandbits(64), "016x") + "a" * 239
    assert len(name) == 255
    resp = glacier.create_vault(accountId="-", vaultName=name)
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert glacier.describe_vault(accountId="-", vaultName=name)["VaultARN"] == ARN_PREFIX + name


def test_single_char_vault_name_raw(endpoint):
    r = raw(endpoint, "PUT", "/-/vaults/Q")
    assert r.status_code == 201, r.text
    assert r.headers.get("Location") == f"/{DEFAULT_ACCOUNT}/vaults/Q"


@pytest.mark.parametrize("path_name", [
    "bad%20name",
    "a" * 256,
    "bad*name",
    "bad:name",
    "bad@name",
    "bad%2Bname",
    "caf%C3%A9",
    "bad~name",
    "bad%21",
])
def test_invalid_vault_names_rejected(endpoint, path_name):
    r = raw(endpoint, "PUT", f"/-/vaults/{path_name}")
    assert_raw_error(r, "InvalidParameterValueException", 400)


def test_invalid_vault_name_boto3(glacier):
    with expect_error("InvalidParameterValueException", 400):
        glacier.create_vault(accountId="-", vaultName="has space")


# ---------------------------------------------------------------- listing
# Listing tests use their own server so that the vault set is exactly known.

def _names(resp):
    return [v["VaultName"] for v in resp["VaultList"]]


def test_list_vaults_sorted_default_limit_and_marker(fresh_server):
    srv = fresh_server()
    c = srv.client()
    names = [f"vault-{i:02d}-{random.getrandbits(16):04x}" for i in range(13)]
    for n in random.sample(names, len(names)):
        c.create_vault(accountId="-", vaultName=n)
    expected = sorted(names)

    page1 = c.list_vaults(accountId="-")
    assert page1["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert _names(page1) == expected[:10]
    marker = page1.get("Marker")
    assert marker, "a truncated listing must return a Marker"
    assert marker.startswith(f"arn:aws:glacier:{DEFAULT_REGION}:{DEFAULT_ACCOUNT}:vaults/"), marker

    page2 = c.list_vaults(accountId="-", marker=marker)
    assert _names(page2) == expected[10:]
    assert page2.get("Marker") is None


def test_list_vaults_entries_have_all_fields(fresh_server):
    srv = fresh_server()
    c = srv.client()
    c.create_vault(accountId="-", vaultName="only")
    resp = c.list_vaults(accountId="-")
    assert len(resp["VaultList"]) == 1
    v = resp["VaultList"][0]
    assert v["VaultARN"] == ARN_PREFIX + "only"
    assert v["VaultName"] == "only"
    assert ISO_RE.match(v["CreationDate"])
    assert v["NumberOfArchives"] == 0 and v["SizeInBytes"] == 0
    assert v.get("LastInventoryDate") is None
    assert resp.get("Marker") is None
    assert v["CreationDate"] == c.describe_vault(accountId="-", vaultName="only")["CreationDate"]


def test_list_vaults_empty(fresh_server):
    c = fresh_server().client()
    resp = c.list_vaults(accountId="-")
    assert resp["VaultList"] == []
    assert resp.get("Marker") is None


@pytest.mark.parametrize("limit", [1, 2, 3, 5])
def test_list_vaults_manual_pagination(fresh_server, limit):
    c = fresh_server().client()
    names = sorted(f"p{i}-{random.getrandbits(20):05x}" for i in range(7))
    for n in names:
        c.create_vault(accountId="-", vaultName=n)
    seen, marker, pages = [], None, 0
    while True:
        kw = {"accountId": "-", "limit": str(limit)}
        if marker:
            kw["marker"] = marker
        resp = c.list_vaults(**kw)
        pages += 1
        assert len(resp["VaultList"]) <= limit
        seen += _names(resp)
        marker = resp.get("Marker")
        if not marker:
            break
        assert pages < 20, "pagination does not terminate"
    assert seen == names


def test_list_vaults_paginator(fresh_server):
    c = fresh_server().client()
    names = sorted(f"pg-{i:02d}" for i in range(11))
    for n in reversed(names):
        c.create_vault(accountId="-", vaultName=n)
    pages = list(c.get_paginator("list_vaults").paginate(
        accountId="-", PaginationConfig={"PageSize": 2}))
    assert len(pages) == 6
    assert [n for p in pages for n in _names(p)] == names
    full = c.get_paginator("list_vaults").paginate(accountId="-").build_full_result()
    assert [v["VaultName"] for v in full["VaultList"]] == names


def test_list_vaults_reflects_deletes(fresh_server):
    c = fresh_server().client()
    for n in ("a1", "b2", "c3"):
        c.create_vault(accountId="-", vaultName=n)
    c.delete_vault(accountId="-", vaultName="b2")
    assert _names(c.list_vaults(accountId="-")) == ["a1", "c3"]


@pytest.mark.parametrize("limit", ["0", "-1", "abc", "1.5", "1e3", "0x10"])
def test_list_vaults_bad_limit(glacier, limit):
    with expect_error("InvalidParameterValueException", 400):
        glacier.list_vaults(accountId="-", limit=limit)


@pytest.mark.parametrize("marker", ["not-a-marker", "zzzz", "arn:aws:glacier:nowhere"])
def test_list_vaults_unknown_marker(glacier, marker):
    with expect_error("InvalidParameterValueException", 400):
        glacier.list_vaults(accountId="-", marker=marker)
