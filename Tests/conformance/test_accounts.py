"""Accounts and regions: (account, region) namespaces, account ids in the URL."""

from __future__ import annotations

from helpers import (
    DEFAULT_ACCOUNT, MIB, assert_raw_error, blob, complete, create_archive, describe_after_inventory, expect_error,
    initiate, make_client, random_account, raw, tree_hash, upload_part,
)


def _listed(client, account="-"):
    return [v["VaultName"] for page in client.get_paginator("list_vaults").paginate(accountId=account)
            for v in page["VaultList"]]


# ---------------------------------------------------------------- regions

def test_region_isolation(endpoint, vault_name):
    east = make_client(endpoint, region="us-east-1")
    west = make_client(endpoint, region="us-west-2")
    name = vault_name()
    resp = west.create_vault(accountId="-", vaultName=name)
    assert resp["location"] == f"/{DEFAULT_ACCOUNT}/vaults/{name}"
    d = west.describe_vault(accountId="-", vaultName=name)
    assert d["VaultARN"] == f"arn:aws:glacier:us-west-2:{DEFAULT_ACCOUNT}:vaults/{name}"

    with expect_error("ResourceNotFoundException", 404) as ei:
        east.describe_vault(accountId="-", vaultName=name)
    assert f"arn:aws:glacier:us-east-1:{DEFAULT_ACCOUNT}:vaults/{name}" in ei.value.response["Error"]["Message"]
    assert name not in _listed(east)
    assert name in _listed(west)


def test_same_name_in_two_regions_is_two_vaults(endpoint, vault_name):
    east = make_client(endpoint, region="us-east-1")
    west = make_client(endpoint, region="us-west-2")
    name = vault_name()
    east.create_vault(accountId="-", vaultName=name)
    west.create_vault(accountId="-", vaultName=name)
    create_archive(west, name, blob("west", 100))
    assert describe_after_inventory(east, name)["NumberOfArchives"] == 0
    assert describe_after_inventory(west, name)["NumberOfArchives"] == 1
    # the east one was never written to so it can be deleted; the west one remains
    east.delete_vault(accountId="-", vaultName=name)
    assert west.describe_vault(accountId="-", vaultName=name)["SizeInBytes"] == 100
    with expect_error("InvalidParameterValueException", 400):
        west.delete_vault(accountId="-", vaultName=name)


def test_uploads_are_region_scoped(endpoint, vault_name):
    east = make_client(endpoint, region="us-east-1")
    west = make_client(endpoint, region="eu-central-1")
    name = vault_name()
    east.create_vault(accountId="-", vaultName=name)
    west.create_vault(accountId="-", vaultName=name)
    upload_id = initiate(west, name)
    with expect_error("ResourceNotFoundException", 404):
        east.list_parts(accountId="-", vaultName=name, uploadId=upload_id)
    with expect_error("ResourceNotFoundException", 404):
        upload_part(east, name, upload_id, 0, b"x")
    assert east.list_multipart_uploads(accountId="-", vaultName=name)["UploadsList"] == []
    up = west.list_parts(accountId="-", vaultName=name, uploadId=upload_id)
    assert up["VaultARN"] == f"arn:aws:glacier:eu-central-1:{DEFAULT_ACCOUNT}:vaults/{name}"


def test_unsigned_request_uses_default_region_and_account(endpoint, glacier, vault):
    r = raw(endpoint, "GET", f"/-/vaults/{vault}")
    assert r.status_code == 200, r.text
    assert r.json()["VaultARN"] == f"arn:aws:glacier:us-east-1:{DEFAULT_ACCOUNT}:vaults/{vault}"


def test_region_option(fresh_server):
    srv = fresh_server(args=("--region", "eu-west-1"))
    r = raw(srv.endpoint, "PUT", "/-/vaults/reg")
    assert r.status_code == 201, r.text
    r = raw(srv.endpoint, "GET", "/-/vaults/reg")
    assert r.json()["VaultARN"] == f"arn:aws:glacier:eu-west-1:{DEFAULT_ACCOUNT}:vaults/reg"
    # a signed request still uses its credential-scope region
    c = srv.client(region="us-east-1")
    with expect_error("ResourceNotFoundException", 404):
        c.describe_vault(accountId="-", vaultName="reg")
    c_eu = srv.client(region="eu-west-1")
    assert c_eu.describe_vault(accountId="-", vaultName="reg")["VaultName"] == "reg"


# ---------------------------------------------------------------- accounts

def test_twelve_digit_access_key_is_the_account(endpoint, vault_name):
    acct = random_account()
    c = make_client(endpoint, access_key=acct)
    name = vault_name()
    resp = c.create_vault(accountId="-", vaultName=name)
    assert resp["location"] == f"/{acct}/vaults/{name}"
    d = c.describe_vault(accountId="-", vaultName=name)
    assert d["VaultARN"] == f"arn:aws:glacier:us-east-1:{acct}:vaults/{name}"
    # invisible to the default account
    default = make_client(endpoint)
    with expect_error("ResourceNotFoundException", 404):
        default.describe_vault(accountId="-", vaultName=name)
    assert name not in _listed(default)
    assert name in _listed(c)


def test_twelve_digit_account_multipart_locations(endpoint, vault_name):
    acct = random_account()
    c = make_client(endpoint, access_key=acct)
    name = vault_name()
    c.create_vault(accountId="-", vaultName=name)
    resp = c.initiate_multipart_upload(accountId="-", vaultName=name, partSize=str(MIB))
    upload_id = resp["uploadId"]
    assert resp["location"] == f"/{acct}/vaults/{name}/multipart-uploads/{upload_id}"
    parts = c.list_parts(accountId="-", vaultName=name, uploadId=upload_id)
    assert parts["VaultARN"] == f"arn:aws:glacier:us-east-1:{acct}:vaults/{name}"
    upload_part(c, name, upload_id, 0, b"acct")
    done = complete(c, name, upload_id, 4, tree_hash(b"acct"))
    assert done["location"] == f"/{acct}/vaults/{name}/archives/{done['archiveId']}"


def test_other_account_cannot_see_uploads(endpoint, vault_name):
    a = make_client(endpoint, access_key=random_account())
    b = make_client(endpoint, access_key=random_account())
    name = vault_name()
    a.create_vault(accountId="-", vaultName=name)
    b.create_vault(accountId="-", vaultName=name)
    upload_id = initiate(a, name)
    with expect_error("ResourceNotFoundException", 404):
        b.list_parts(accountId="-", vaultName=name, uploadId=upload_id)
    with expect_error("ResourceNotFoundException", 404):
        b.abort_multipart_upload(accountId="-", vaultName=name, uploadId=upload_id)
    assert a.list_parts(accountId="-", vaultName=name, uploadId=upload_id)["Parts"] == []


def test_non_twelve_digit_keys_use_default_account(endpoint, vault_name):
    for key in ("12345678901", "1234567890123", "AKIA12345678", "12345678901a"):
        c = make_client(endpoint, access_key=key)
        name = vault_name()
        resp = c.create_vault(accountId="-", vaultName=name)
        assert resp["location"] == f"/{DEFAULT_ACCOUNT}/vaults/{name}", key


def test_explicit_account_equal_to_caller_works(endpoint, vault_name):
    acct = random_account()
    c = make_client(endpoint, access_key=acct)
    name = vault_name()
    resp = c.create_vault(accountId=acct, vaultName=name)
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert resp["location"] == f"/{acct}/vaults/{name}"
    assert c.describe_vault(accountId=acct, vaultName=name)["VaultName"] == name
    assert c.describe_vault(accountId="-", vaultName=name)["VaultName"] == name
    assert name in _listed(c, account=acct)
    upload_id = initiate(c, name, account=acct)
    upload_part(c, name, upload_id, 0, b"explicit", account=acct)
    assert c.list_parts(accountId=acct, vaultName=name, uploadId=upload_id)["Parts"][0][
        "SHA256TreeHash"] == tree_hash(b"explicit")
    done = complete(c, name, upload_id, 8, tree_hash(b"explicit"), account=acct)
    assert done["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert describe_after_inventory(c, name, account=acct)["NumberOfArchives"] == 1


def test_explicit_default_account_works(glacier, vault):
    d = glacier.describe_vault(accountId=DEFAULT_ACCOUNT, vaultName=vault)
    assert d["VaultName"] == vault


def test_explicit_other_account_403(glacier, vault):
    other = random_account()
    with expect_error("AccessDeniedException", 403):
        glacier.describe_vault(accountId=other, vaultName=vault)
    with expect_error("AccessDeniedException", 403):
        glacier.create_vault(accountId=other, vaultName=vault + "-x")
    with expect_error("AccessDeniedException", 403):
        glacier.list_vaults(accountId=other)
    with expect_error("AccessDeniedException", 403):
        glacier.delete_vault(accountId=other, vaultName=vault)
    with expect_error("AccessDeniedException", 403):
        glacier.initiate_multipart_upload(accountId=other, vaultName=vault, partSize=str(MIB))
    with expect_error("AccessDeniedException", 403):
        glacier.list_multipart_uploads(accountId=other, vaultName=vault)
    # nothing happened
    assert glacier.describe_vault(accountId="-", vaultName=vault)["VaultName"] == vault
    assert glacier.list_multipart_uploads(accountId="-", vaultName=vault)["UploadsList"] == []


def test_explicit_other_account_403_on_upload_ops(glacier, vault):
    other = random_account()
    upload_id = initiate(glacier, vault)
    with expect_error("AccessDeniedException", 403):
        upload_part(glacier, vault, upload_id, 0, b"x", account=other)
    with expect_error("AccessDeniedException", 403):
        glacier.list_parts(accountId=other, vaultName=vault, uploadId=upload_id)
    with expect_error("AccessDeniedException", 403):
        complete(glacier, vault, upload_id, 1, tree_hash(b"x"), account=other)
    with expect_error("AccessDeniedException", 403):
        glacier.abort_multipart_upload(accountId=other, vaultName=vault, uploadId=upload_id)
    assert glacier.list_parts(accountId="-", vaultName=vault, uploadId=upload_id)["Parts"] == []


def test_explicit_other_account_403_raw(endpoint, vault):
    r = raw(endpoint, "GET", f"/{random_account()}/vaults/{vault}")
    assert_raw_error(r, "AccessDeniedException", 403)


def test_account_id_option(fresh_server):
    srv = fresh_server(args=("--account-id", "111122223333"))
    c = srv.client()  # AKIDEXAMPLE is not 12 digits -> server's account
    resp = c.create_vault(accountId="-", vaultName="acct")
    assert resp["location"] == "/111122223333/vaults/acct"
    assert c.describe_vault(accountId="111122223333", vaultName="acct")["VaultARN"] == \
        "arn:aws:glacier:us-east-1:111122223333:vaults/acct"
    with expect_error("AccessDeniedException", 403):
        c.describe_vault(accountId=DEFAULT_ACCOUNT, vaultName="acct")
