"""Read-only responses are answered from memory until the next write (README, Performance).
Each test first polls an operation so its response is remembered, then changes state through
another operation, and expects the very next poll to show the change."""

from __future__ import annotations

import json

from helpers import (
    DEFAULT_ACCOUNT, MIB, blob, complete, create_archive, expect_error, initiate, make_client,
    random_account, take_inventory, tree_hash, upload_part,
)


def _poll(fn, times=3):
    """Calls fn a few times and checks it answers the same each time; returns the answer."""
    answers = [fn() for _ in range(times)]
    answers = [{k: v for k, v in a.items() if k != "ResponseMetadata"} if isinstance(a, dict) else a
               for a in answers]
    assert all(a == answers[0] for a in answers)
    return answers[0]


def test_describe_vault_follows_archives(glacier, vault):
    before = _poll(lambda: glacier.describe_vault(accountId="-", vaultName=vault)["NumberOfArchives"])
    assert before == 0
    created = create_archive(glacier, vault, blob("rc", 3 * MIB))
    # Counted as of the last inventory (Describe Vault): the upload alone changes nothing,
    # the inventory that follows it does, on the first read after it.
    assert _poll(lambda: glacier.describe_vault(accountId="-", vaultName=vault)["NumberOfArchives"]) == 0
    take_inventory(glacier.meta.endpoint_url, vault)
    d = glacier.describe_vault(accountId="-", vaultName=vault)
    assert (d["NumberOfArchives"], d["SizeInBytes"]) == (1, 3 * MIB)
    _poll(lambda: glacier.describe_vault(accountId="-", vaultName=vault)["NumberOfArchives"])
    glacier.delete_archive(accountId="-", vaultName=vault, archiveId=created["archiveId"])
    assert glacier.describe_vault(accountId="-", vaultName=vault)["NumberOfArchives"] == 1
    take_inventory(glacier.meta.endpoint_url, vault)
    assert glacier.describe_vault(accountId="-", vaultName=vault)["NumberOfArchives"] == 0


def test_list_parts_follows_part_uploads(glacier, vault):
    upload_id = initiate(glacier, vault, part_size=MIB)
    listed = lambda: [p["RangeInBytes"] for p in
                      glacier.list_parts(accountId="-", vaultName=vault, uploadId=upload_id)["Parts"]]
    assert _poll(listed) == []
    data = blob("lp", 2 * MIB)
    upload_part(glacier, vault, upload_id, 0, data[:MIB])
    assert _poll(listed) == [f"0-{MIB - 1}"]
    upload_part(glacier, vault, upload_id, MIB, data[MIB:])
    assert listed() == [f"0-{MIB - 1}", f"{MIB}-{2 * MIB - 1}"]
    # A re-upload of a range shows its new tree hash at once.
    other = blob("lp2", MIB)
    upload_part(glacier, vault, upload_id, 0, other)
    parts = glacier.list_parts(accountId="-", vaultName=vault, uploadId=upload_id)["Parts"]
    assert parts[0]["SHA256TreeHash"] == tree_hash(other)
    complete(glacier, vault, upload_id, 2 * MIB, tree_hash(other + data[MIB:]))
    with expect_error("ResourceNotFoundException", 404):
        glacier.list_parts(accountId="-", vaultName=vault, uploadId=upload_id)


def test_list_vaults_and_uploads_follow_create_and_delete(glacier, vault_name):
    name = vault_name()
    names = lambda: [v["VaultName"] for page in glacier.get_paginator("list_vaults").paginate(accountId="-")
                     for v in page["VaultList"]]
    assert name not in _poll(names)
    glacier.create_vault(accountId="-", vaultName=name)
    assert name in names()
    uploads = lambda: [u["MultipartUploadId"] for u in
                       glacier.list_multipart_uploads(accountId="-", vaultName=name)["UploadsList"]]
    assert _poll(uploads) == []
    upload_id = initiate(glacier, name)
    assert uploads() == [upload_id]
    glacier.abort_multipart_upload(accountId="-", vaultName=name, uploadId=upload_id)
    assert uploads() == []
    glacier.delete_vault(accountId="-", vaultName=name)
    assert name not in names()
    with expect_error("ResourceNotFoundException", 404):
        glacier.describe_vault(accountId="-", vaultName=name)


def test_remembered_responses_are_per_caller(endpoint, vault_name):
    """The same URI from two accounts and two regions names four different vaults."""
    name = vault_name()
    other = random_account()
    clients = {
        (DEFAULT_ACCOUNT, "us-east-1"): make_client(endpoint, region="us-east-1"),
        (DEFAULT_ACCOUNT, "eu-west-1"): make_client(endpoint, region="eu-west-1"),
        (other, "us-east-1"): make_client(endpoint, region="us-east-1", access_key=other),
    }
    for (account, region), client in clients.items():
        client.create_vault(accountId="-", vaultName=name)
    create_archive(clients[(other, "us-east-1")], name, blob("pc", 100))
    take_inventory(endpoint, name)
    for (account, region), client in clients.items():
        d = _poll(lambda: client.describe_vault(accountId="-", vaultName=name))
        assert d["VaultARN"] == f"arn:aws:glacier:{region}:{account}:vaults/{name}"
        assert d["NumberOfArchives"] == (1 if account == other else 0)


def test_policy_still_applies_to_a_remembered_response(glacier, vault):
    """The access policy is checked on every request, not remembered with the response."""
    _poll(lambda: glacier.describe_vault(accountId="-", vaultName=vault))
    arn = glacier.describe_vault(accountId="-", vaultName=vault)["VaultARN"]
    policy = {"Version": "2012-10-17", "Statement": [{
        "Sid": "no-describe", "Effect": "Deny", "Principal": "*",
        "Action": "glacier:DescribeVault", "Resource": arn}]}
    glacier.set_vault_access_policy(accountId="-", vaultName=vault, policy={"Policy": json.dumps(policy)})
    with expect_error("AccessDeniedException", 403):
        glacier.describe_vault(accountId="-", vaultName=vault)
    glacier.delete_vault_access_policy(accountId="-", vaultName=vault)
    assert glacier.describe_vault(accountId="-", vaultName=vault)["VaultARN"] == arn
