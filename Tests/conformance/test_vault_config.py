"""Vault configuration: tags, access policy, vault lock (and their enforcement),
data retrieval policy, provisioned capacity."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from helpers import (
    describe_after_inventory, take_inventory,
    DEFAULT_ACCOUNT, DEFAULT_REGION, ISO_RE, MIB, assert_raw_error, assert_recent, blob, create_archive,
    describe, expect_error, iso_to_datetime, make_client, random_account, raw, retrieval_job, upload,
)

ARN = f"arn:aws:glacier:{DEFAULT_REGION}:{DEFAULT_ACCOUNT}:vaults/"


def tags_of(client, vault):
    resp = client.list_tags_for_vault(accountId="-", vaultName=vault)
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 200
    return resp.get("Tags", {})


# ============================================================== tags


def test_tags_add_list_remove(glacier, vault):
    assert tags_of(glacier, vault) == {}
    resp = glacier.add_tags_to_vault(accountId="-", vaultName=vault, Tags={"env": "test", "team": "storage"})
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert tags_of(glacier, vault) == {"env": "test", "team": "storage"}
    glacier.add_tags_to_vault(accountId="-", vaultName=vault, Tags={"env": "prod", "empty": ""})
    assert tags_of(glacier, vault) == {"env": "prod", "team": "storage", "empty": ""}
    resp = glacier.remove_tags_from_vault(accountId="-", vaultName=vault, TagKeys=["team", "not-there"])
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert tags_of(glacier, vault) == {"env": "prod", "empty": ""}
    glacier.remove_tags_from_vault(accountId="-", vaultName=vault, TagKeys=["env", "empty"])
    assert tags_of(glacier, vault) == {}


def test_tags_raw_list_shape(endpoint, glacier, vault):
    glacier.add_tags_to_vault(accountId="-", vaultName=vault, Tags={"k": "v"})
    r = raw(endpoint, "GET", f"/-/vaults/{vault}/tags")
    assert r.status_code == 200, r.text
    assert r.json() == {"Tags": {"k": "v"}}


def test_tags_are_per_vault(glacier, vault, vault_name):
    other = vault_name()
    glacier.create_vault(accountId="-", vaultName=other)
    glacier.add_tags_to_vault(accountId="-", vaultName=vault, Tags={"only": "here"})
    assert tags_of(glacier, other) == {}


def add_in_batches(client, vault, tags: dict, size: int = 10):
    """AddTagsToVault takes at most 10 tags per request."""
    items = list(tags.items())
    for i in range(0, len(items), size):
        client.add_tags_to_vault(accountId="-", vaultName=vault, Tags=dict(items[i:i + size]))


def test_fifty_tags_ok_fifty_first_limit_exceeded(glacier, vault):
    fifty = {f"key{i:02d}": f"value{i}" for i in range(50)}
    add_in_batches(glacier, vault, fifty)
    assert tags_of(glacier, vault) == fifty
    with expect_error("LimitExceededException", 400):
        glacier.add_tags_to_vault(accountId="-", vaultName=vault, Tags={"key50": "one too many"})
    assert tags_of(glacier, vault) == fifty
    # overwriting existing keys does not add a tag
    glacier.add_tags_to_vault(accountId="-", vaultName=vault, Tags={f"key{i:02d}": "changed" for i in range(10)})
    assert tags_of(glacier, vault) == {**fifty, **{f"key{i:02d}": "changed" for i in range(10)}}


def test_request_past_fifty_tags_limit_exceeded_adds_nothing(glacier, vault):
    forty_five = {f"k{i}": "v" for i in range(45)}
    add_in_batches(glacier, vault, forty_five, size=9)
    with expect_error("LimitExceededException", 400) as ei:
        glacier.add_tags_to_vault(accountId="-", vaultName=vault, Tags={f"new{i}": "v" for i in range(6)})
    assert "at most 50 tags" in ei.value.response["Error"]["Message"]
    assert tags_of(glacier, vault) == forty_five


def test_ten_tags_per_add_request(glacier, vault):
    """Add Tags To Vault: "Tags ... Length constraints: Minimum length of 1. Maximum length 10." """
    ten = {f"key{i}": "v" for i in range(10)}
    glacier.add_tags_to_vault(accountId="-", vaultName=vault, Tags=ten)
    assert tags_of(glacier, vault) == ten
    with expect_error("InvalidParameterValueException", 400) as ei:
        glacier.add_tags_to_vault(accountId="-", vaultName=vault, Tags={f"other{i}": "v" for i in range(11)})
    assert ei.value.response["Error"]["Message"] == (
        "Tags: at most 10 tags per AddTagsToVault request; this one has 11")
    with expect_error("InvalidParameterValueException", 400) as ei:
        glacier.add_tags_to_vault(accountId="-", vaultName=vault, Tags={})
    assert "at least 1 tag per AddTagsToVault request" in ei.value.response["Error"]["Message"]
    assert tags_of(glacier, vault) == ten


def test_ten_keys_per_remove_request(glacier, vault):
    """Remove Tags From Vault: "TagKeys ... Minimum of 1 item in the list. Maximum of 10 items
    in the list." """
    tags = {f"key{i:02d}": "v" for i in range(12)}
    add_in_batches(glacier, vault, tags)
    with expect_error("InvalidParameterValueException", 400) as ei:
        glacier.remove_tags_from_vault(accountId="-", vaultName=vault, TagKeys=list(tags)[:11])
    assert ei.value.response["Error"]["Message"] == (
        "TagKeys: at most 10 keys per RemoveTagsFromVault request; this one has 11")
    with expect_error("InvalidParameterValueException", 400):
        glacier.remove_tags_from_vault(accountId="-", vaultName=vault, TagKeys=[])
    assert tags_of(glacier, vault) == tags
    glacier.remove_tags_from_vault(accountId="-", vaultName=vault, TagKeys=list(tags)[:10])
    assert tags_of(glacier, vault) == {"key10": "v", "key11": "v"}


@pytest.mark.parametrize("tags", [
    {"k" * 129: "v"},
    {"key": "v" * 256},
    {"aws:reserved": "v"},
    {"": "v"},
    {"bad*key": "v"},
    {"tab\tkey": "v"},
    {"colon:key": "v"},
    {"key": "50%"},
    {"key": "new\nline"},
    {"good": "v", "bad#": "v"},
], ids=["key-129", "value-256", "aws-prefix", "empty-key", "key-star", "key-tab", "key-colon", "value-percent",
        "value-newline", "one-bad-of-two"])
def test_invalid_tags_400(glacier, vault, tags):
    """Tag Restrictions (tagging): keys 1 to 128 and values 0 to 255 Unicode characters, of
    "Unicode letters, digits, spaces, and the following special characters: _ . / = + - @";
    no key may start with the reserved aws:."""
    with expect_error("InvalidParameterValueException", 400):
        glacier.add_tags_to_vault(accountId="-", vaultName=vault, Tags=tags)
    assert tags_of(glacier, vault) == {}


def test_tag_length_limits_inclusive(glacier, vault):
    tags = {"k" * 128: "v" * 255, "ß" * 128: "語" * 255, "blank": ""}
    glacier.add_tags_to_vault(accountId="-", vaultName=vault, Tags=tags)
    assert tags_of(glacier, vault) == tags


def test_tag_allowed_characters(glacier, vault):
    tags = {"Owner Name_1.2/3=4+5-6@7": "Größe 42 _./=+-@", "日本語 ٣": "Ελληνικά", "e\u0301te": "Ünïcödé"}
    glacier.add_tags_to_vault(accountId="-", vaultName=vault, Tags=tags)
    assert tags_of(glacier, vault) == tags


@pytest.mark.parametrize("op", ["add", "remove", "list"])
def test_tags_missing_vault_404(glacier, vault_name, op):
    name = vault_name()
    with expect_error("ResourceNotFoundException", 404):
        if op == "add":
            glacier.add_tags_to_vault(accountId="-", vaultName=name, Tags={"a": "b"})
        elif op == "remove":
            glacier.remove_tags_from_vault(accountId="-", vaultName=name, TagKeys=["a"])
        else:
            glacier.list_tags_for_vault(accountId="-", vaultName=name)


def test_tags_body_not_json_400(endpoint, vault):
    r = raw(endpoint, "POST", f"/-/vaults/{vault}/tags?operation=add", data=b"tags please")
    assert_raw_error(r, "SerializationException", 400)


# ============================================================== access policy


def deny_policy(vault: str, action: str = "glacier:DeleteArchive", **extra) -> str:
    statement = {"Sid": "no-deletes", "Effect": "Deny", "Principal": "*", "Action": action,
                 "Resource": f"{ARN}{vault}", **extra}
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def test_access_policy_set_get_delete(glacier, vault):
    with expect_error("ResourceNotFoundException", 404):
        glacier.get_vault_access_policy(accountId="-", vaultName=vault)
    text = ('{ "Version": "2012-10-17",\n  "Statement": [ {"Sid": "read", "Effect": "Allow", '
            '"Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "glacier:DescribeVault", '
            f'"Resource": "{ARN}{vault}"}} ] }}')
    resp = glacier.set_vault_access_policy(accountId="-", vaultName=vault, policy={"Policy": text})
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 204
    got = glacier.get_vault_access_policy(accountId="-", vaultName=vault)
    assert got["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert got["policy"]["Policy"] == text
    # replaced, not merged
    glacier.set_vault_access_policy(accountId="-", vaultName=vault, policy={"Policy": "{}"})
    assert glacier.get_vault_access_policy(accountId="-", vaultName=vault)["policy"]["Policy"] == "{}"
    resp = glacier.delete_vault_access_policy(accountId="-", vaultName=vault)
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 204
    with expect_error("ResourceNotFoundException", 404):
        glacier.get_vault_access_policy(accountId="-", vaultName=vault)


@pytest.mark.parametrize("text", ["not json", "{", "[1, 2]", '"a string"', "42", ""])
def test_access_policy_invalid_json_400(glacier, vault, text):
    with expect_error("InvalidParameterValueException", 400):
        glacier.set_vault_access_policy(accountId="-", vaultName=vault, policy={"Policy": text})
    with expect_error("ResourceNotFoundException", 404):
        glacier.get_vault_access_policy(accountId="-", vaultName=vault)


def test_access_policy_body_not_json_400(endpoint, vault):
    r = raw(endpoint, "PUT", f"/-/vaults/{vault}/access-policy", data=b"<Policy/>")
    assert_raw_error(r, "SerializationException", 400)


def test_access_policy_missing_vault_404(glacier, vault_name):
    name = vault_name()
    with expect_error("ResourceNotFoundException", 404):
        glacier.set_vault_access_policy(accountId="-", vaultName=name, policy={"Policy": "{}"})
    with expect_error("ResourceNotFoundException", 404):
        glacier.get_vault_access_policy(accountId="-", vaultName=name)


def test_access_policy_deny_delete_archive(glacier, vault):
    archive_id = upload(glacier, vault, b"protected")["archiveId"]
    glacier.set_vault_access_policy(accountId="-", vaultName=vault, policy={"Policy": deny_policy(vault)})
    with expect_error("AccessDeniedException", 403) as ei:
        glacier.delete_archive(accountId="-", vaultName=vault, archiveId=archive_id)
    msg = ei.value.response["Error"]["Message"]
    assert "access policy" in msg, msg
    assert describe_after_inventory(glacier, vault)["NumberOfArchives"] == 1
    # other operations are not denied
    job_id = retrieval_job(glacier, vault, archive_id)
    assert describe(glacier, vault, job_id)["Completed"] is True

    glacier.delete_vault_access_policy(accountId="-", vaultName=vault)
    resp = glacier.delete_archive(accountId="-", vaultName=vault, archiveId=archive_id)
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 204


def test_access_policy_deny_raw_error_shape(endpoint, glacier, vault):
    archive_id = upload(glacier, vault, b"protected raw")["archiveId"]
    glacier.set_vault_access_policy(accountId="-", vaultName=vault, policy={"Policy": deny_policy(vault)})
    r = raw(endpoint, "DELETE", f"/-/vaults/{vault}/archives/{archive_id}")
    body = assert_raw_error(r, "AccessDeniedException", 403)
    assert "access policy" in body["message"]


def test_access_policy_for_other_vault_arn_does_not_deny(glacier, vault):
    archive_id = upload(glacier, vault, b"not targeted")["archiveId"]
    glacier.set_vault_access_policy(accountId="-", vaultName=vault,
                                    policy={"Policy": deny_policy(vault + "-other")})
    resp = glacier.delete_archive(accountId="-", vaultName=vault, archiveId=archive_id)
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 204


def test_access_policy_allow_statement_does_not_deny(glacier, vault):
    archive_id = upload(glacier, vault, b"allowed")["archiveId"]
    policy = json.loads(deny_policy(vault))
    policy["Statement"][0]["Effect"] = "Allow"
    glacier.set_vault_access_policy(accountId="-", vaultName=vault, policy={"Policy": json.dumps(policy)})
    glacier.delete_archive(accountId="-", vaultName=vault, archiveId=archive_id)
    assert describe_after_inventory(glacier, vault)["NumberOfArchives"] == 0


def test_access_policy_deny_initiate_job(glacier, vault):
    archive_id = upload(glacier, vault, b"no jobs")["archiveId"]
    glacier.set_vault_access_policy(accountId="-", vaultName=vault,
                                    policy={"Policy": deny_policy(vault, action=["glacier:InitiateJob"])})
    with expect_error("AccessDeniedException", 403):
        retrieval_job(glacier, vault, archive_id)
    # the policy itself stays manageable
    assert "InitiateJob" in glacier.get_vault_access_policy(accountId="-", vaultName=vault)["policy"]["Policy"]
    glacier.delete_vault_access_policy(accountId="-", vaultName=vault)
    retrieval_job(glacier, vault, archive_id)


# ============================================================== vault lock


def lock_policy(vault: str, action="glacier:Delete*", days="365") -> str:
    statement = {"Sid": "keep-a-year", "Effect": "Deny", "Principal": "*", "Action": action,
                 "Resource": f"{ARN}{vault}"}
    if days is not None:
        statement["Condition"] = {"NumericLessThan": {"glacier:ArchiveAgeInDays": days}}
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def test_vault_lock_lifecycle(glacier, vault):
    with expect_error("ResourceNotFoundException", 404):
        glacier.get_vault_lock(accountId="-", vaultName=vault)
    text = lock_policy(vault)
    resp = glacier.initiate_vault_lock(accountId="-", vaultName=vault, policy={"Policy": text})
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 201
    lock_id = resp["lockId"]
    assert lock_id and resp["ResponseMetadata"]["HTTPHeaders"]["x-amz-lock-id"] == lock_id

    got = glacier.get_vault_lock(accountId="-", vaultName=vault)
    assert got["State"] == "InProgress"
    assert got["Policy"] == text
    assert ISO_RE.match(got["CreationDate"]) and ISO_RE.match(got["ExpirationDate"])
    assert_recent(got["CreationDate"])
    assert iso_to_datetime(got["ExpirationDate"]) - iso_to_datetime(got["CreationDate"]) == dt.timedelta(hours=24)

    # "If this operation is called when the vault lock is in the InProgress state, the
    # operation returns an AccessDeniedException error" (InitiateVaultLock)
    with expect_error("AccessDeniedException", 403) as ei:
        glacier.initiate_vault_lock(accountId="-", vaultName=vault, policy={"Policy": text})
    assert "InProgress" in ei.value.response["Error"]["Message"]
    # "If an invalid lock ID is passed in the request when the vault lock is in the InProgress
    # state, the operation throws an InvalidParameter error" (CompleteVaultLock)
    with expect_error("InvalidParameterValueException", 400):
        glacier.complete_vault_lock(accountId="-", vaultName=vault, lockId="wrong-lock-id")
    assert glacier.get_vault_lock(accountId="-", vaultName=vault)["State"] == "InProgress"

    resp = glacier.complete_vault_lock(accountId="-", vaultName=vault, lockId=lock_id)
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 204
    got = glacier.get_vault_lock(accountId="-", vaultName=vault)
    assert got["State"] == "Locked"
    assert got["Policy"] == text
    assert "ExpirationDate" not in got
    assert ISO_RE.match(got["CreationDate"])

    # idempotent with its own lock ID; "If an invalid lock ID is passed in the request when the
    # vault lock is in the Locked state, the operation returns an AccessDeniedException error"
    resp = glacier.complete_vault_lock(accountId="-", vaultName=vault, lockId=lock_id)
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 204
    with expect_error("AccessDeniedException", 403) as ei:
        glacier.complete_vault_lock(accountId="-", vaultName=vault, lockId="wrong-lock-id")
    assert "Locked" in ei.value.response["Error"]["Message"]
    with expect_error("AccessDeniedException", 403):
        glacier.abort_vault_lock(accountId="-", vaultName=vault)
    # "After a vault lock is in the Locked state, you cannot initiate a new vault lock" (no code
    # documented for this one)
    with expect_error("InvalidParameterValueException", 400):
        glacier.initiate_vault_lock(accountId="-", vaultName=vault, policy={"Policy": lock_policy(vault, days="1")})
    got = glacier.get_vault_lock(accountId="-", vaultName=vault)
    assert (got["State"], got["Policy"]) == ("Locked", text)


def test_vault_lock_abort_in_progress(glacier, vault):
    glacier.initiate_vault_lock(accountId="-", vaultName=vault, policy={"Policy": lock_policy(vault)})
    resp = glacier.abort_vault_lock(accountId="-", vaultName=vault)
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 204
    with expect_error("ResourceNotFoundException", 404):
        glacier.get_vault_lock(accountId="-", vaultName=vault)
    # a new lock can be initiated, and the old lock id is no longer good
    lock_id = glacier.initiate_vault_lock(accountId="-", vaultName=vault,
                                          policy={"Policy": lock_policy(vault)})["lockId"]
    assert glacier.get_vault_lock(accountId="-", vaultName=vault)["State"] == "InProgress"
    glacier.complete_vault_lock(accountId="-", vaultName=vault, lockId=lock_id)


def test_complete_vault_lock_without_lock_400(glacier, vault):
    with expect_error("InvalidParameterValueException", 400):
        glacier.complete_vault_lock(accountId="-", vaultName=vault, lockId="nothing-to-complete")


@pytest.mark.parametrize("text", ["nope", "[]", ""])
def test_vault_lock_invalid_policy_400(glacier, vault, text):
    with expect_error("InvalidParameterValueException", 400):
        glacier.initiate_vault_lock(accountId="-", vaultName=vault, policy={"Policy": text})
    with expect_error("ResourceNotFoundException", 404):
        glacier.get_vault_lock(accountId="-", vaultName=vault)


def test_vault_lock_missing_vault_404(glacier, vault_name):
    name = vault_name()
    with expect_error("ResourceNotFoundException", 404):
        glacier.initiate_vault_lock(accountId="-", vaultName=name, policy={"Policy": "{}"})
    with expect_error("ResourceNotFoundException", 404):
        glacier.get_vault_lock(accountId="-", vaultName=name)


@pytest.mark.parametrize("complete_it", [False, True], ids=["in-progress", "locked"])
def test_vault_lock_denies_young_archive_delete(glacier, vault, complete_it):
    archive_id = upload(glacier, vault, b"retained")["archiveId"]
    lock_id = glacier.initiate_vault_lock(accountId="-", vaultName=vault,
                                          policy={"Policy": lock_policy(vault)})["lockId"]
    if complete_it:
        glacier.complete_vault_lock(accountId="-", vaultName=vault, lockId=lock_id)
    with expect_error("AccessDeniedException", 403) as ei:
        glacier.delete_archive(accountId="-", vaultName=vault, archiveId=archive_id)
    msg = ei.value.response["Error"]["Message"]
    assert "vault lock policy" in msg, msg
    assert describe_after_inventory(glacier, vault)["NumberOfArchives"] == 1
    # Delete* is not glacier:InitiateJob
    job_id = retrieval_job(glacier, vault, archive_id)
    assert describe(glacier, vault, job_id)["Completed"] is True
    if not complete_it:
        glacier.abort_vault_lock(accountId="-", vaultName=vault)
        glacier.delete_archive(accountId="-", vaultName=vault, archiveId=archive_id)
        assert describe_after_inventory(glacier, vault)["NumberOfArchives"] == 0


def test_vault_lock_wildcard_denies_initiate_job(glacier, vault):
    archive_id = upload(glacier, vault, b"frozen")["archiveId"]
    text = lock_policy(vault, action="glacier:*", days=None)
    lock_id = glacier.initiate_vault_lock(accountId="-", vaultName=vault, policy={"Policy": text})["lockId"]
    glacier.complete_vault_lock(accountId="-", vaultName=vault, lockId=lock_id)
    with expect_error("AccessDeniedException", 403) as ei:
        retrieval_job(glacier, vault, archive_id)
    assert "vault lock policy" in ei.value.response["Error"]["Message"]
    with expect_error("AccessDeniedException", 403):
        glacier.delete_archive(accountId="-", vaultName=vault, archiveId=archive_id)
    # the lock itself can still be read
    assert glacier.get_vault_lock(accountId="-", vaultName=vault)["Policy"] == text


def test_vault_lock_condition_never_true_allows_delete(glacier, vault):
    archive_id = upload(glacier, vault, b"deletable")["archiveId"]
    lock_id = glacier.initiate_vault_lock(accountId="-", vaultName=vault,
                                          policy={"Policy": lock_policy(vault, days="0")})["lockId"]
    glacier.complete_vault_lock(accountId="-", vaultName=vault, lockId=lock_id)
    resp = glacier.delete_archive(accountId="-", vaultName=vault, archiveId=archive_id)
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert describe_after_inventory(glacier, vault)["NumberOfArchives"] == 0


def test_vault_lock_and_access_policy_are_separate(glacier, vault):
    glacier.set_vault_access_policy(accountId="-", vaultName=vault, policy={"Policy": "{}"})
    text = lock_policy(vault)
    glacier.initiate_vault_lock(accountId="-", vaultName=vault, policy={"Policy": text})
    assert glacier.get_vault_access_policy(accountId="-", vaultName=vault)["policy"]["Policy"] == "{}"
    glacier.delete_vault_access_policy(accountId="-", vaultName=vault)
    assert glacier.get_vault_lock(accountId="-", vaultName=vault)["Policy"] == text


# ============================================================== data retrieval policy


@pytest.fixture
def own_account(endpoint):
    """A client for a fresh account: the data retrieval policy and provisioned capacity are
    account-wide, so these tests keep them away from the shared default account."""
    return make_client(endpoint, access_key=random_account())


def test_data_retrieval_policy_default(own_account):
    resp = own_account.get_data_retrieval_policy(accountId="-")
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert resp["Policy"] == {"Rules": [{"Strategy": "None"}]}


@pytest.mark.parametrize("rule", [
    {"Strategy": "BytesPerHour", "BytesPerHour": MIB},
    {"Strategy": "FreeTier"},
    {"Strategy": "None"},
])
def test_data_retrieval_policy_set_get(own_account, rule):
    resp = own_account.set_data_retrieval_policy(accountId="-", Policy={"Rules": [rule]})
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert own_account.get_data_retrieval_policy(accountId="-")["Policy"] == {"Rules": [rule]}


@pytest.mark.parametrize("rules", [
    [{"Strategy": "FreeTier", "BytesPerHour": MIB}],
    [{"Strategy": "None", "BytesPerHour": MIB}],
    [{"Strategy": "Foo"}],
    [{"Strategy": "BytesPerHour", "BytesPerHour": 0}],
    [{"Strategy": "BytesPerHour", "BytesPerHour": 2 ** 63}],
    [],
    [{"Strategy": "None"}, {"Strategy": "FreeTier"}],
])
def test_data_retrieval_policy_invalid_400(own_account, rules):
    with expect_error("InvalidParameterValueException", 400):
        own_account.set_data_retrieval_policy(accountId="-", Policy={"Rules": rules})
    assert own_account.get_data_retrieval_policy(accountId="-")["Policy"] == {"Rules": [{"Strategy": "None"}]}


@pytest.mark.parametrize("policy", [
    {},
    {"Rules": [{}]},
    {"Rules": [{"BytesPerHour": MIB}]},
    {"Rules": [{"Strategy": "BytesPerHour"}]},
], ids=["no-rules", "no-strategy", "bytes-but-no-strategy", "no-bytes-per-hour"])
def test_data_retrieval_policy_missing_member_400(own_account, policy):
    """Rules and Strategy are "Required: Yes"; BytesPerHour "Required: Yes, if the Strategy
    field is set to BytesPerHour" (api-SetDataRetrievalPolicy)."""
    with expect_error("MissingParameterValueException", 400) as ei:
        own_account.set_data_retrieval_policy(accountId="-", Policy=policy)
    assert "missing" in ei.value.response["Error"]["Message"]
    assert own_account.get_data_retrieval_policy(accountId="-")["Policy"] == {"Rules": [{"Strategy": "None"}]}


@pytest.mark.parametrize("bytes_per_hour", [1, 9_200_000_000_000_000_000, 2 ** 63 - 2, 2 ** 63 - 1])
def test_data_retrieval_policy_bytes_per_hour_exact_up_to_2_63_minus_1(own_account, bytes_per_hour):
    """BytesPerHour: "Minimum integer value of 1. Maximum integer value of 2^63 - 1 inclusive";
    read as an exact 64-bit integer (through a Double, values from about 9.2e18 were refused
    and 2^63 - 2 would not survive)."""
    rule = {"Strategy": "BytesPerHour", "BytesPerHour": bytes_per_hour}
    own_account.set_data_retrieval_policy(accountId="-", Policy={"Rules": [rule]})
    assert own_account.get_data_retrieval_policy(accountId="-")["Policy"] == {"Rules": [rule]}


@pytest.mark.parametrize("value", ["1.5", "1.0", "1e3", "true", '"1048576"', "18446744073709551616", "-1"])
def test_data_retrieval_policy_bytes_per_hour_must_be_an_integer(endpoint, value):
    """Only a JSON integer literal is an "integer value": a fraction, an exponent, a boolean or a
    string is refused (raw requests: boto3 would not send these)."""
    body = '{"Policy": {"Rules": [{"Strategy": "BytesPerHour", "BytesPerHour": %s}]}}' % value
    r = raw(endpoint, "PUT", "/-/policies/data-retrieval", data=body.encode())
    msg = assert_raw_error(r, "InvalidParameterValueException", 400)["message"]
    assert "BytesPerHour must be an integer from 1 to 2^63-1" in msg, msg


def test_data_retrieval_policy_enforced(own_account, vault_name):
    c = own_account
    vault = vault_name()
    c.create_vault(accountId="-", vaultName=vault)
    data = blob("policy", 3 * MIB)
    archive_id = create_archive(c, vault, data)["archiveId"]
    c.set_data_retrieval_policy(accountId="-", Policy={"Rules": [{"Strategy": "BytesPerHour", "BytesPerHour": 2 * MIB}]})
    assert c.get_data_retrieval_policy(accountId="-")["Policy"] == {
        "Rules": [{"Strategy": "BytesPerHour", "BytesPerHour": 2 * MIB}]}
    with expect_error("PolicyEnforcedException", 400):
        retrieval_job(c, vault, archive_id)
    # ranged retrievals count against the hourly budget
    retrieval_job(c, vault, archive_id, RetrievalByteRange=f"0-{MIB - 1}")
    retrieval_job(c, vault, archive_id, RetrievalByteRange=f"{MIB}-{2 * MIB - 1}")
    with expect_error("PolicyEnforcedException", 400):
        retrieval_job(c, vault, archive_id, RetrievalByteRange=f"{2 * MIB}-{3 * MIB - 1}")
    # inventories are not retrievals of archive data
    take_inventory(c.meta.endpoint_url, vault)
    inv = c.initiate_job(accountId="-", vaultName=vault, jobParameters={"Type": "inventory-retrieval"})
    assert inv["ResponseMetadata"]["HTTPStatusCode"] == 202
    # lifting the policy lifts the limit
    c.set_data_retrieval_policy(accountId="-", Policy={"Rules": [{"Strategy": "None"}]})
    retrieval_job(c, vault, archive_id)


@pytest.mark.parametrize("tier", ["Expedited", "Bulk"])
def test_data_retrieval_policy_governs_only_standard_retrievals(own_account, vault_name, tier):
    """"A data retrieval policy applies only to Standard retrievals" (data-retrieval-policy):
    Expedited and Bulk retrievals are not refused by it, and their bytes do not use up the
    hourly budget of Standard retrievals."""
    c = own_account
    vault = vault_name()
    c.create_vault(accountId="-", vaultName=vault)
    archive_id = create_archive(c, vault, blob("tiers", 2 * MIB))["archiveId"]
    c.set_data_retrieval_policy(accountId="-", Policy={"Rules": [{"Strategy": "BytesPerHour", "BytesPerHour": MIB}]})
    with expect_error("PolicyEnforcedException", 400):
        retrieval_job(c, vault, archive_id, Tier="Standard")
    with expect_error("PolicyEnforcedException", 400):
        retrieval_job(c, vault, archive_id)  # no Tier: Standard
    for _ in range(2):
        job_id = retrieval_job(c, vault, archive_id, Tier=tier)
        assert describe(c, vault, job_id)["Tier"] == tier
    # the whole budget is still there for a Standard retrieval, and then it is spent
    retrieval_job(c, vault, archive_id, Tier="Standard", RetrievalByteRange=f"0-{MIB - 1}")
    with expect_error("PolicyEnforcedException", 400):
        retrieval_job(c, vault, archive_id, Tier="Standard", RetrievalByteRange=f"{MIB}-{2 * MIB - 1}")
    retrieval_job(c, vault, archive_id, Tier=tier)


def test_data_retrieval_policy_is_per_account(own_account, glacier):
    own_account.set_data_retrieval_policy(accountId="-", Policy={"Rules": [{"Strategy": "FreeTier"}]})
    other = make_client(glacier.meta.endpoint_url, access_key=random_account())
    assert other.get_data_retrieval_policy(accountId="-")["Policy"] == {"Rules": [{"Strategy": "None"}]}


# ============================================================== provisioned capacity


def _one_month_later(t: dt.datetime) -> dt.datetime:
    import calendar
    year, month = (t.year + 1, 1) if t.month == 12 else (t.year, t.month + 1)
    day = min(t.day, calendar.monthrange(year, month)[1])
    return t.replace(year=year, month=month, day=day)


def test_provisioned_capacity_purchase_and_limit(own_account):
    c = own_account
    assert c.list_provisioned_capacity(accountId="-")["ProvisionedCapacityList"] == []
    ids = []
    for _ in range(2):
        resp = c.purchase_provisioned_capacity(accountId="-")
        assert resp["ResponseMetadata"]["HTTPStatusCode"] == 201
        assert resp["capacityId"] and resp["ResponseMetadata"]["HTTPHeaders"]["x-amz-capacity-id"] == resp["capacityId"]
        ids.append(resp["capacityId"])
    assert ids[0] != ids[1]
    with expect_error("LimitExceededException", 400):
        c.purchase_provisioned_capacity(accountId="-")
    units = c.list_provisioned_capacity(accountId="-")["ProvisionedCapacityList"]
    assert sorted(u["CapacityId"] for u in units) == sorted(ids)
    for u in units:
        assert set(u) == {"CapacityId", "StartDate", "ExpirationDate"}
        assert_recent(u["StartDate"])
        start, end = iso_to_datetime(u["StartDate"]), iso_to_datetime(u["ExpirationDate"])
        assert end == _one_month_later(start), (u["StartDate"], u["ExpirationDate"])


def test_provisioned_capacity_is_per_account(own_account, endpoint):
    own_account.purchase_provisioned_capacity(accountId="-")
    other = make_client(endpoint, access_key=random_account())
    assert other.list_provisioned_capacity(accountId="-")["ProvisionedCapacityList"] == []
    assert len(own_account.list_provisioned_capacity(accountId="-")["ProvisionedCapacityList"]) == 1
