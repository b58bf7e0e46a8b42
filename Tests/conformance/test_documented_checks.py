"""Request checks that the Amazon S3 Glacier Developer Guide's API reference (and botocore's
Glacier model, glacier/2012-06-01/service-2.json) documents, one test per rule.

Every test's docstring names its source and quotes the rule. Sources:

- Developer Guide pages, https://docs.aws.amazon.com/amazonglacier/latest/dev/<page>.html
  (text as in github.com/awsdocs/amazon-glacier-developer-guide, doc_source/<page>.md);
- botocore's model: the `documentation` string of an operation or member.

The file began as an audit (2026-12-01): every test not marked "(passes today)" failed
against glacier-mock then, each the evidence of a documented check it did not make, and each
was fixed (the commits after 4da5005 name the rules). Tests marked "(passes today)" pin
documented behaviour the server already had and no other test covered. Nothing here asserts
behaviour the documentation leaves open; those items are in the session's closing note.
"""

from __future__ import annotations

import json

import pytest

from helpers import (
    describe_after_inventory,
    DEFAULT_REGION, MIB, ERROR_STATUS, blob, check_glacier_error, complete, create_archive,
    expect_error, initiate, make_client, random_account, raw, retrieval_job, tree_hash, upload,
    upload_part,
)
from botocore.exceptions import ClientError


def own_client(endpoint: str):
    """A client for an account of its own: account-wide settings (data retrieval policy, the
    vault count) stay away from the session's default account."""
    return make_client(endpoint, access_key=random_account())


def tags_of(client, vault: str) -> dict:
    return client.list_tags_for_vault(accountId="-", vaultName=vault).get("Tags", {})


def client_error(fn) -> tuple[str, int]:
    """Runs `fn`, which must fail; returns (error code, HTTP status)."""
    with pytest.raises(ClientError) as ei:
        fn()
    resp = ei.value.response
    return resp["Error"].get("Code"), resp["ResponseMetadata"]["HTTPStatusCode"]


def deny_delete_policy(vault: str) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [{
        "Sid": "deny-deletes", "Effect": "Deny", "Principal": "*", "Action": "glacier:DeleteArchive",
        "Resource": f"arn:aws:glacier:{DEFAULT_REGION}:123456789012:vaults/{vault}"}]})


# ============================================================== common headers and errors


def test_missing_glacier_version_header_is_missing_parameter(endpoint):
    """Common Request Headers (api-common-request-headers): "x-amz-glacier-version | The Amazon
    Glacier API version to use. The current version is 2012-06-01. | Required: Yes".
    Error Responses (api-error-responses): "MissingParameterValueException | Returned if a
    required header or parameter is missing from the request. | 400 Bad Request"."""
    r = raw(endpoint, "GET", "/-/vaults", version_header=False)
    assert r.status_code == 400, f"a request without x-amz-glacier-version got {r.status_code}: {r.text[:300]}"
    assert check_glacier_error(r.status_code, r.content)["code"] == "MissingParameterValueException"


def test_unrecognized_client_is_400(fresh_server):
    """Error Responses (api-error-responses): "UnrecognizedClientException | Returned if the
    Access Key ID or security token is invalid. | 400 Bad Request | Client"."""
    srv = fresh_server(args=("--auth", "sigv4", "--credentials", "AKIDKNOWN:knownsecret:111122223333"))
    client = make_client(srv.endpoint, access_key="AKIDNOTKNOWN", secret="whatever")
    assert client_error(lambda: client.list_vaults(accountId="-")) == ("UnrecognizedClientException", 400)


# ============================================================== vaults


def test_create_vault_limit_is_1000_vaults_per_account(endpoint):
    """Create Vault (api-vault-put): "You can create up to 1,000 vaults per account."
    Error Responses: "LimitExceededException | Returned if the request results in one of the
    following limits being exceeded, a vault limit, ... | 400 Bad Request"; botocore lists
    LimitExceededException among CreateVault's errors."""
    c = own_client(endpoint)
    for i in range(1000):
        c.create_vault(accountId="-", vaultName=f"limit-{i:04d}")
    # re-creating an existing vault is idempotent and creates nothing
    c.create_vault(accountId="-", vaultName="limit-0000")
    with expect_error("LimitExceededException", 400):
        c.create_vault(accountId="-", vaultName="limit-1000")


def test_create_vault_body_must_be_empty(endpoint, vault_name):
    """Create Vault (api-vault-put), Request Body: "The request body for this operation must be
    empty (0 bytes)." (The documentation names no error code; any Glacier 400 will do.)"""
    name = vault_name()
    r = raw(endpoint, "PUT", f"/-/vaults/{name}", data=b"this body should not be here")
    assert r.status_code == 400, f"CreateVault with a body got {r.status_code}: {r.text[:300]}"
    check_glacier_error(r.status_code, r.content)
    assert raw(endpoint, "GET", f"/-/vaults/{name}").status_code == 404


def test_list_vaults_empty_marker_starts_at_first_vault(endpoint):
    """List Vaults (api-vaults-get), marker: "Specifying an empty value ("") for the marker
    returns a list of vaults starting from the first vault." """
    c = own_client(endpoint)
    for name in ("alpha", "bravo", "charlie"):
        c.create_vault(accountId="-", vaultName=name)
    resp = c.list_vaults(accountId="-", marker="", limit="2")
    assert [v["VaultName"] for v in resp["VaultList"]] == ["alpha", "bravo"]
    assert resp.get("Marker")


# ============================================================== archives and multipart uploads


def test_delete_archive_twice_is_not_an_error(glacier, vault):
    """Delete Archive (api-archive-delete): "This operation is idempotent. Attempting to delete
    an already-deleted archive does not result in an error." (botocore DeleteArchive says the
    same.)"""
    archive_id = upload(glacier, vault, b"delete me twice")["archiveId"]
    assert glacier.delete_archive(accountId="-", vaultName=vault, archiveId=archive_id)[
        "ResponseMetadata"]["HTTPStatusCode"] == 204
    resp = glacier.delete_archive(accountId="-", vaultName=vault, archiveId=archive_id)
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 204


def test_complete_multipart_upload_again_returns_same_archive(glacier, vault):
    """Complete Multipart Upload (api-multipart-complete-upload): "Complete Multipart Upload is an
    idempotent operation. After your first successful complete multipart upload, if you call the
    operation again within a short period, the operation will succeed and return the same archive
    ID." (botocore CompleteMultipartUpload says the same.)"""
    data = blob("complete-again", MIB + 17)
    upload_id = initiate(glacier, vault)
    upload_part(glacier, vault, upload_id, 0, data[:MIB])
    upload_part(glacier, vault, upload_id, MIB, data[MIB:])
    first = complete(glacier, vault, upload_id, len(data), tree_hash(data))
    assert first["ResponseMetadata"]["HTTPStatusCode"] == 201
    again = complete(glacier, vault, upload_id, len(data), tree_hash(data))
    assert again["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert again["archiveId"] == first["archiveId"]
    assert describe_after_inventory(glacier, vault)["NumberOfArchives"] == 1


def test_abort_already_aborted_upload_succeeds(glacier, vault):
    """Abort Multipart Upload (api-multipart-abort-upload): "Aborting a completed multipart
    upload fails. However, aborting an already-aborted upload will succeed, for a short time.
    This operation is idempotent." (botocore AbortMultipartUpload says the same.)"""
    upload_id = initiate(glacier, vault)
    upload_part(glacier, vault, upload_id, 0, b"aborted")
    for _ in range(2):
        resp = glacier.abort_multipart_upload(accountId="-", vaultName=vault, uploadId=upload_id)
        assert resp["ResponseMetadata"]["HTTPStatusCode"] == 204


def test_abort_completed_upload_fails(glacier, vault):
    """(passes today) Abort Multipart Upload (api-multipart-abort-upload): "Aborting a completed
    multipart upload fails." """
    upload_id = initiate(glacier, vault)
    upload_part(glacier, vault, upload_id, 0, b"done")
    complete(glacier, vault, upload_id, 4, tree_hash(b"done"))
    code, status = client_error(
        lambda: glacier.abort_multipart_upload(accountId="-", vaultName=vault, uploadId=upload_id))
    assert status >= 400 and ERROR_STATUS.get(code) == status, (code, status)
    assert describe_after_inventory(glacier, vault)["NumberOfArchives"] == 1


# ============================================================== jobs


def _job_count(client, vault: str) -> int:
    return len(client.list_jobs(accountId="-", vaultName=vault)["JobList"])


def test_inventory_job_with_archive_id_is_an_error(glacier, vault):
    """jobParameters (api-jobParameters), ArchiveId: "An error occurs if you specify this field
    for an inventory retrieval job request." (botocore JobParameters.ArchiveId: "An error occurs
    if you specify this request parameter for an inventory retrieval job request.")"""
    archive_id = upload(glacier, vault, b"not for an inventory")["archiveId"]
    code, status = client_error(lambda: glacier.initiate_job(
        accountId="-", vaultName=vault,
        jobParameters={"Type": "inventory-retrieval", "ArchiveId": archive_id}))
    assert status == 400 and ERROR_STATUS.get(code) == 400, (code, status)
    assert _job_count(glacier, vault) == 0


def test_inventory_job_with_retrieval_byte_range_is_an_error(glacier, vault):
    """jobParameters (api-jobParameters), RetrievalByteRange: "An error occurs if you specify this
    field for an inventory-retrieval or select job request." (botocore JobParameters
    .RetrievalByteRange: "An error occurs if you specify this field for an inventory retrieval
    job request.")"""
    code, status = client_error(lambda: glacier.initiate_job(
        accountId="-", vaultName=vault,
        jobParameters={"Type": "inventory-retrieval", "RetrievalByteRange": f"0-{MIB - 1}"}))
    assert status == 400 and ERROR_STATUS.get(code) == 400, (code, status)
    assert _job_count(glacier, vault) == 0


@pytest.mark.parametrize("tier", ["Expedited", "Bulk"])
def test_data_retrieval_policy_applies_only_to_standard_retrievals(endpoint, vault_name, tier):
    """S3 Glacier Data Retrieval Policies (data-retrieval-policy): "A data retrieval policy
    applies only to Standard retrievals". Retrieving S3 Glacier Archives
    (downloading-an-archive-two-steps): "For Standard retrievals only, a data retrieval policy
    can cause your Initiate Job request to fail with a PolicyEnforcedException exception." """
    c = own_client(endpoint)
    vault = vault_name()
    c.create_vault(accountId="-", vaultName=vault)
    archive_id = create_archive(c, vault, blob("tiers", 2 * MIB))["archiveId"]
    c.set_data_retrieval_policy(accountId="-", Policy={"Rules": [{"Strategy": "BytesPerHour", "BytesPerHour": MIB}]})
    # the policy does apply to a Standard retrieval of the same archive
    with expect_error("PolicyEnforcedException", 400):
        retrieval_job(c, vault, archive_id, Tier="Standard")
    retrieval_job(c, vault, archive_id, Tier=tier)  # asserts 202


# ============================================================== data retrieval policy


@pytest.mark.parametrize("bytes_per_hour", [2 ** 63 - 1, 9_200_000_000_000_000_000])
def test_bytes_per_hour_accepts_up_to_2_63_minus_1(endpoint, bytes_per_hour):
    """Set Data Retrieval Policy (api-SetDataRetrievalPolicy), BytesPerHour: "Valid Values:
    Minimum integer value of 1. Maximum integer value of 2^63 - 1 inclusive." """
    c = own_client(endpoint)
    rule = {"Strategy": "BytesPerHour", "BytesPerHour": bytes_per_hour}
    resp = c.set_data_retrieval_policy(accountId="-", Policy={"Rules": [rule]})
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert c.get_data_retrieval_policy(accountId="-")["Policy"] == {"Rules": [rule]}


def test_bytes_per_hour_above_2_63_minus_1_rejected(endpoint):
    """(passes today) Set Data Retrieval Policy (api-SetDataRetrievalPolicy), BytesPerHour:
    "Maximum integer value of 2^63 - 1 inclusive." """
    c = own_client(endpoint)
    with expect_error("InvalidParameterValueException", 400):
        c.set_data_retrieval_policy(accountId="-", Policy={"Rules": [
            {"Strategy": "BytesPerHour", "BytesPerHour": 2 ** 63}]})


@pytest.mark.parametrize("policy", [
    {},                                                   # Rules missing
    {"Rules": [{}]},                                      # Strategy missing
    {"Rules": [{"BytesPerHour": MIB}]},                   # Strategy missing
    {"Rules": [{"Strategy": "BytesPerHour"}]},            # BytesPerHour missing for its strategy
], ids=["no-rules", "no-strategy", "bytes-but-no-strategy", "no-bytes-per-hour"])
def test_missing_required_policy_member_is_missing_parameter(endpoint, policy):
    """Set Data Retrieval Policy (api-SetDataRetrievalPolicy), Request Body: "Rules ... Required:
    Yes"; "Strategy ... Required: Yes"; "BytesPerHour ... Required: Yes, if the Strategy field is
    set to BytesPerHour". Error Responses: "MissingParameterValueException | Returned if a
    required header or parameter is missing from the request. | 400 Bad Request"."""
    c = own_client(endpoint)
    with expect_error("MissingParameterValueException", 400):
        c.set_data_retrieval_policy(accountId="-", Policy=policy)


# ============================================================== tags


def test_add_tags_needs_at_least_one_tag(glacier, vault):
    """Add Tags To Vault (api-AddTagsToVault), Request Body: "Tags ... Length constraints:
    Minimum length of 1. Maximum length 10. Required: Yes". An empty map is below the minimum
    (a parameter "incorrectly specified": InvalidParameterValueException, or a missing one)."""
    code, status = client_error(lambda: glacier.add_tags_to_vault(accountId="-", vaultName=vault, Tags={}))
    assert (code, status) in {("InvalidParameterValueException", 400), ("MissingParameterValueException", 400)}


def test_add_tags_at_most_ten_per_request(glacier, vault):
    """Add Tags To Vault (api-AddTagsToVault): "Tags ... Length constraints: Minimum length of 1.
    Maximum length 10." (botocore AddTagsToVault: "Each vault can have up to 10 tags. If your
    request would cause the tag limit for the vault to be exceeded, the operation throws the
    LimitExceededException error.") Both readings refuse eleven tags in one request."""
    eleven = {f"key{i:02d}": "v" for i in range(11)}
    code, status = client_error(lambda: glacier.add_tags_to_vault(accountId="-", vaultName=vault, Tags=eleven))
    assert (code, status) in {("InvalidParameterValueException", 400), ("LimitExceededException", 400)}
    assert tags_of(glacier, vault) == {}


def test_remove_tags_needs_at_least_one_key(glacier, vault):
    """Remove Tags From Vault (api-RemoveTagsFromVault): "TagKeys ... Length constraint: Minimum of
    1 item in the list. Maximum of 10 items in the list. Required: Yes"."""
    glacier.add_tags_to_vault(accountId="-", vaultName=vault, Tags={"keep": "me"})
    code, status = client_error(lambda: glacier.remove_tags_from_vault(accountId="-", vaultName=vault, TagKeys=[]))
    assert (code, status) in {("InvalidParameterValueException", 400), ("MissingParameterValueException", 400)}


def test_remove_tags_at_most_ten_keys(glacier, vault):
    """Remove Tags From Vault (api-RemoveTagsFromVault): "TagKeys ... Maximum of 10 items in the
    list." """
    tags = {f"key{i:02d}": "v" for i in range(11)}
    for batch in (dict(list(tags.items())[:6]), dict(list(tags.items())[6:])):
        glacier.add_tags_to_vault(accountId="-", vaultName=vault, Tags=batch)
    with expect_error("InvalidParameterValueException", 400):
        glacier.remove_tags_from_vault(accountId="-", vaultName=vault, TagKeys=list(tags))
    assert tags_of(glacier, vault) == tags


@pytest.mark.parametrize("key", ["bad*key", "hash#tag", "bang!", "a<b", "50%", "semi;colon"])
def test_tag_key_characters(glacier, vault, key):
    """Tagging Amazon S3 Glacier Resources (tagging), Tag Restrictions: "Tag keys must consist of
    the following characters: Unicode letters, digits, spaces, and the following special
    characters: _ . / = + - @"."""
    with expect_error("InvalidParameterValueException", 400):
        glacier.add_tags_to_vault(accountId="-", vaultName=vault, Tags={key: "value"})
    assert tags_of(glacier, vault) == {}


@pytest.mark.parametrize("value", ["a<b", "50%", "semi;colon", "star*", "hash#"])
def test_tag_value_characters(glacier, vault, value):
    """Tagging Amazon S3 Glacier Resources (tagging), Tag Restrictions: "Tag values can be blank.
    Otherwise, they must consist of the following characters: Unicode letters, digits, spaces,
    and any of the following special characters: _ . / = + - @"."""
    with expect_error("InvalidParameterValueException", 400):
        glacier.add_tags_to_vault(accountId="-", vaultName=vault, Tags={"key": value})
    assert tags_of(glacier, vault) == {}


def test_tag_value_at_most_255_characters(glacier, vault):
    """Tagging Amazon S3 Glacier Resources (tagging), Tag Restrictions: "Tag values must be from
    0 to 255 Unicode characters in length." """
    glacier.add_tags_to_vault(accountId="-", vaultName=vault, Tags={"max": "v" * 255, "blank": ""})
    with expect_error("InvalidParameterValueException", 400):
        glacier.add_tags_to_vault(accountId="-", vaultName=vault, Tags={"over": "v" * 256})
    assert tags_of(glacier, vault) == {"max": "v" * 255, "blank": ""}


def test_tag_allowed_characters_accepted(glacier, vault):
    """(passes today) Tagging Amazon S3 Glacier Resources (tagging): keys and values of "Unicode
    letters, digits, spaces, and ... _ . / = + - @" are allowed; "Tag keys and values are
    case-sensitive." """
    tags = {"Owner Name_1.2/3=4+5-6@7": "Größe 42 _./=+-@", "owner name_1.2/3=4+5-6@7": "Ünïcödé"}
    glacier.add_tags_to_vault(accountId="-", vaultName=vault, Tags=tags)
    assert tags_of(glacier, vault) == tags


# ============================================================== vault lock


def test_initiate_vault_lock_while_in_progress_is_access_denied(glacier, vault):
    """Initiate Vault Lock (api-InitiateVaultLock): "If this operation is called when the vault
    lock is in the InProgress state, the operation returns an AccessDeniedException error."
    (botocore InitiateVaultLock says the same.) AccessDeniedException is 403 (Error
    Responses)."""
    policy = deny_delete_policy(vault)
    glacier.initiate_vault_lock(accountId="-", vaultName=vault, policy={"Policy": policy})
    with expect_error("AccessDeniedException", 403):
        glacier.initiate_vault_lock(accountId="-", vaultName=vault, policy={"Policy": policy})
    assert glacier.get_vault_lock(accountId="-", vaultName=vault)["State"] == "InProgress"


def test_complete_vault_lock_wrong_id_when_locked_is_access_denied(glacier, vault):
    """Complete Vault Lock (api-CompleteVaultLock): "If an invalid lock ID is passed in the
    request when the vault lock is in the Locked state, the operation returns an
    AccessDeniedException error." (botocore CompleteVaultLock says the same.)"""
    lock_id = glacier.initiate_vault_lock(accountId="-", vaultName=vault,
                                          policy={"Policy": deny_delete_policy(vault)})["lockId"]
    glacier.complete_vault_lock(accountId="-", vaultName=vault, lockId=lock_id)
    with expect_error("AccessDeniedException", 403):
        glacier.complete_vault_lock(accountId="-", vaultName=vault, lockId="not-the-lock-id")
    assert glacier.get_vault_lock(accountId="-", vaultName=vault)["State"] == "Locked"


def test_complete_vault_lock_again_with_its_id_succeeds(glacier, vault):
    """(passes today) Complete Vault Lock (api-CompleteVaultLock): "This operation is idempotent.
    This request is always successful if the vault lock is in the Locked state and the provided
    lock ID matches the lock ID originally used to lock the vault." """
    lock_id = glacier.initiate_vault_lock(accountId="-", vaultName=vault,
                                          policy={"Policy": deny_delete_policy(vault)})["lockId"]
    for _ in range(2):
        resp = glacier.complete_vault_lock(accountId="-", vaultName=vault, lockId=lock_id)
        assert resp["ResponseMetadata"]["HTTPStatusCode"] == 204


def test_abort_vault_lock_without_lock_is_idempotent(glacier, vault):
    """(passes today) Abort Vault Lock (api-AbortVaultLock): "This operation is idempotent. You
    can successfully invoke this operation multiple times, if the vault lock is in the
    InProgress state or if there is no policy associated with the vault." """
    for _ in range(2):
        resp = glacier.abort_vault_lock(accountId="-", vaultName=vault)
        assert resp["ResponseMetadata"]["HTTPStatusCode"] == 204
    glacier.initiate_vault_lock(accountId="-", vaultName=vault, policy={"Policy": deny_delete_policy(vault)})
    for _ in range(2):
        resp = glacier.abort_vault_lock(accountId="-", vaultName=vault)
        assert resp["ResponseMetadata"]["HTTPStatusCode"] == 204
