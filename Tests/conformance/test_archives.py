"""UploadArchive and DeleteArchive: responses, validation, vault counters, bytes on disk."""

from __future__ import annotations

from pathlib import Path

import pytest

from helpers import (
    DEFAULT_ACCOUNT, MIB, archive_bytes_from_disk, as_hex, assert_raw_error, blob,
    create_archive, db_rows, expect_error, raw, sha256_hex, take_inventory, tree_hash, upload,
)


def archive_headers(data: bytes, **extra) -> dict:
    h = {"x-amz-sha256-tree-hash": tree_hash(data), "x-amz-content-sha256": sha256_hex(data)}
    h.update(extra)
    return h


def vault_counters(client, vault):
    """The vault's counts after its next inventory (DescribeVault counts as of the last one)."""
    take_inventory(client.meta.endpoint_url, vault)
    d = client.describe_vault(accountId="-", vaultName=vault)
    return d["NumberOfArchives"], d["SizeInBytes"]


# ---------------------------------------------------------------- upload


@pytest.mark.parametrize("size", [1, 1000, MIB, MIB + 1, 3 * MIB + 12345])
def test_upload_archive_201_id_checksum_location(glacier, vault, size):
    data = blob(f"upload-{size}", size)
    resp = upload(glacier, vault, data, description="single upload")
    archive_id = resp["archiveId"]
    assert archive_id and "/" not in archive_id
    assert resp["checksum"] == tree_hash(data)
    assert resp["location"] == f"/{DEFAULT_ACCOUNT}/vaults/{vault}/archives/{archive_id}"
    headers = resp["ResponseMetadata"]["HTTPHeaders"]
    assert headers["x-amz-archive-id"] == archive_id
    assert headers["x-amz-sha256-tree-hash"] == tree_hash(data)


def test_upload_archive_raw_headers(endpoint, vault):
    data = blob("raw-upload", 5000)
    r = raw(endpoint, "POST", f"/-/vaults/{vault}/archives", headers=archive_headers(data), data=data)
    assert r.status_code == 201, r.text
    archive_id = r.headers["x-amz-archive-id"]
    assert r.headers["Location"] == f"/{DEFAULT_ACCOUNT}/vaults/{vault}/archives/{archive_id}"
    assert r.headers["x-amz-sha256-tree-hash"] == tree_hash(data)
    assert r.content == b""


def test_upload_archive_bytes_on_disk(glacier, vault, data_dir):
    data = blob("on-disk", 2 * MIB + 77)
    archive_id = upload(glacier, vault, data, description="disk check")["archiveId"]
    stored, row = archive_bytes_from_disk(data_dir, archive_id)
    assert stored == data
    _id, account, region, vault_name, size, th = row
    assert (account, region, vault_name, size) == (DEFAULT_ACCOUNT, "us-east-1", vault, len(data))
    assert as_hex(th) == tree_hash(data)
    segs = db_rows(data_dir, "SELECT seq, blob_id, length, tree_hash FROM archive_segments "
                             "WHERE archive_id = ? ORDER BY seq", (archive_id,))
    assert sum(s[2] for s in segs) == len(data)
    if len(segs) == 1:
        assert as_hex(segs[0][3]) == tree_hash(data)
    for _seq, blob_id, length, _th in segs:
        assert (Path(data_dir) / "blobs" / str(blob_id)).stat().st_size == length


def test_upload_updates_vault_counters_at_once(glacier, vault):
    assert vault_counters(glacier, vault) == (0, 0)
    a = upload(glacier, vault, blob("c1", 1000))["archiveId"]
    assert vault_counters(glacier, vault) == (1, 1000)
    b = upload(glacier, vault, blob("c2", MIB + 5))["archiveId"]
    assert vault_counters(glacier, vault) == (2, 1000 + MIB + 5)
    m = create_archive(glacier, vault, blob("c3", 2 * MIB + 1))["archiveId"]
    assert vault_counters(glacier, vault) == (3, 1000 + MIB + 5 + 2 * MIB + 1)
    glacier.delete_archive(accountId="-", vaultName=vault, archiveId=a)
    assert vault_counters(glacier, vault) == (2, MIB + 5 + 2 * MIB + 1)
    glacier.delete_archive(accountId="-", vaultName=vault, archiveId=m)
    assert vault_counters(glacier, vault) == (1, MIB + 5)
    glacier.delete_archive(accountId="-", vaultName=vault, archiveId=b)
    assert vault_counters(glacier, vault) == (0, 0)


def test_upload_with_explicit_account_id(glacier, vault):
    data = b"explicit account"
    resp = upload(glacier, vault, data, account=DEFAULT_ACCOUNT)
    assert resp["location"] == f"/{DEFAULT_ACCOUNT}/vaults/{vault}/archives/{resp['archiveId']}"


def test_two_uploads_of_same_bytes_get_distinct_ids(glacier, vault):
    data = blob("same", 4096)
    a = upload(glacier, vault, data)["archiveId"]
    b = upload(glacier, vault, data)["archiveId"]
    assert a != b
    assert vault_counters(glacier, vault) == (2, 8192)


def test_upload_wrong_tree_hash_400(glacier, vault, data_dir):
    data = blob("wrong-tree", 3000)
    with expect_error("InvalidParameterValueException", 400):
        glacier.upload_archive(accountId="-", vaultName=vault, body=data,
                               checksum=tree_hash(data + b"x"))
    assert vault_counters(glacier, vault) == (0, 0)
    rows = db_rows(data_dir, "SELECT count(*) FROM archives WHERE vault_name = ?", (vault,))
    assert rows == [(0,)]


def test_upload_wrong_tree_hash_raw_message(endpoint, vault):
    data = blob("wrong-tree-raw", 3000)
    wrong = "0" * 64
    r = raw(endpoint, "POST", f"/-/vaults/{vault}/archives",
            headers=archive_headers(data, **{"x-amz-sha256-tree-hash": wrong}), data=data)
    body = assert_raw_error(r, "InvalidParameterValueException", 400)
    assert wrong in body["message"] and tree_hash(data) in body["message"], body


def test_upload_wrong_content_sha256_400(glacier, endpoint, vault):
    data = blob("wrong-linear", 3000)
    r = raw(endpoint, "POST", f"/-/vaults/{vault}/archives",
            headers=archive_headers(data, **{"x-amz-content-sha256": sha256_hex(b"other")}), data=data)
    body = assert_raw_error(r, "InvalidParameterValueException", 400)
    assert "x-amz-content-sha256" in body["message"], body
    assert vault_counters(glacier, vault) == (0, 0)


@pytest.mark.parametrize("header", ["x-amz-sha256-tree-hash", "x-amz-content-sha256"])
def test_upload_malformed_hash_header_400(endpoint, vault, header):
    data = b"malformed hash header"
    r = raw(endpoint, "POST", f"/-/vaults/{vault}/archives",
            headers=archive_headers(data, **{header: "not-a-hash"}), data=data)
    body = assert_raw_error(r, "InvalidParameterValueException", 400)
    assert header in body["message"], body


def test_upload_missing_tree_hash_header_400(endpoint, vault):
    data = b"no tree hash"
    r = raw(endpoint, "POST", f"/-/vaults/{vault}/archives",
            headers={"x-amz-content-sha256": sha256_hex(data)}, data=data)
    body = assert_raw_error(r, "MissingParameterValueException", 400)
    assert "x-amz-sha256-tree-hash" in body["message"], body


def test_upload_empty_archive_400(glacier, vault, data_dir):
    # Glacier stores no empty archive ("Invalid Content-Length: 0"); boto3 sends the hashes of
    # the empty string.
    with expect_error("InvalidParameterValueException", 400) as ei:
        glacier.upload_archive(accountId="-", vaultName=vault, body=b"")
    assert "Content-Length: 0" in ei.value.response["Error"]["Message"]
    assert vault_counters(glacier, vault) == (0, 0)
    assert db_rows(data_dir, "SELECT count(*) FROM archives WHERE vault_name = ?", (vault,)) == [(0,)]


@pytest.mark.parametrize("hashes", ["of-empty-string", "empty-headers"])
def test_upload_empty_archive_raw_400_names_length(endpoint, glacier, vault, hashes):
    # The AWS SDK for Go (v1) sends empty hash headers with an empty body: the error still
    # names the empty body, not the headers.
    headers = archive_headers(b"") if hashes == "of-empty-string" else {
        "x-amz-sha256-tree-hash": "", "x-amz-content-sha256": ""}
    r = raw(endpoint, "POST", f"/-/vaults/{vault}/archives", headers=headers, data=b"")
    body = assert_raw_error(r, "InvalidParameterValueException", 400)
    assert "Invalid Content-Length: 0" in body["message"], body
    assert vault_counters(glacier, vault) == (0, 0)


def test_upload_to_missing_vault_404(glacier, vault_name):
    name = vault_name()
    with expect_error("ResourceNotFoundException", 404) as ei:
        glacier.upload_archive(accountId="-", vaultName=name, body=b"nowhere")
    assert name in ei.value.response["Error"]["Message"]


@pytest.mark.parametrize("desc", [
    # (leading/trailing blanks are HTTP optional whitespace, so they are not used)
    "", "a", "x" * 1024, "<" + "".join(chr(c) for c in range(32, 127)) + ">", "backup 2026-11-21 ~/data",
])
def test_upload_valid_descriptions(glacier, vault, data_dir, desc):
    archive_id = upload(glacier, vault, b"described", description=desc)["archiveId"]
    rows = db_rows(data_dir, "SELECT description FROM archives WHERE id = ?", (archive_id,))
    assert len(rows) == 1 and (rows[0][0] or "") == desc


# (other control characters are refused by the HTTP parser before Glacier's rules apply)
@pytest.mark.parametrize("desc", ["x" * 1025, "caf\u00e9", "tab\there", "\xff\xfe"])
def test_upload_invalid_descriptions_raw(endpoint, glacier, vault, desc):
    data = b"bad description"
    headers = archive_headers(data)
    r = raw(endpoint, "POST", f"/-/vaults/{vault}/archives",
            headers={**headers, "x-amz-archive-description": desc.encode("latin-1")}, data=data)
    assert_raw_error(r, "InvalidParameterValueException", 400)
    assert vault_counters(glacier, vault) == (0, 0)


def test_upload_description_too_long_boto3(glacier, vault):
    with expect_error("InvalidParameterValueException", 400):
        glacier.upload_archive(accountId="-", vaultName=vault, body=b"x",
                               archiveDescription="d" * 1025)


# ---------------------------------------------------------------- delete


def test_delete_archive_204_then_204_again(glacier, vault, data_dir):
    """Delete Archive: "This operation is idempotent. Attempting to delete an already-deleted
    archive does not result in an error." """
    data = blob("delete-me", MIB + 3)
    archive_id = upload(glacier, vault, data)["archiveId"]
    kept = upload(glacier, vault, b"kept")["archiveId"]
    blob_ids = [b for (b,) in db_rows(data_dir, "SELECT blob_id FROM archive_segments WHERE archive_id = ?",
                                      (archive_id,))]
    assert blob_ids
    resp = glacier.delete_archive(accountId="-", vaultName=vault, archiveId=archive_id)
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert db_rows(data_dir, "SELECT count(*) FROM archives WHERE id = ?", (archive_id,)) == [(0,)]
    assert db_rows(data_dir, "SELECT count(*) FROM archive_segments WHERE archive_id = ?",
                   (archive_id,)) == [(0,)]
    for b in blob_ids:
        assert not (Path(data_dir) / "blobs" / str(b)).exists(), f"blob {b} left behind"
    for _ in range(2):
        resp = glacier.delete_archive(accountId="-", vaultName=vault, archiveId=archive_id)
        assert resp["ResponseMetadata"]["HTTPStatusCode"] == 204
    # The repeats change nothing: counters, the other archive.
    assert vault_counters(glacier, vault) == (1, len(b"kept"))
    assert db_rows(data_dir, "SELECT id FROM archives WHERE vault_name = ?", (vault,)) == [(kept,)]


def test_delete_archive_again_404_after_vault_recreated(glacier, vault):
    """Deleting a vault forgets the IDs of the archives deleted from it."""
    archive_id = upload(glacier, vault, b"short-lived")["archiveId"]
    glacier.delete_archive(accountId="-", vaultName=vault, archiveId=archive_id)
    take_inventory(glacier.meta.endpoint_url, vault)   # deletable once an inventory lists nothing
    glacier.delete_vault(accountId="-", vaultName=vault)
    glacier.create_vault(accountId="-", vaultName=vault)
    with expect_error("ResourceNotFoundException", 404) as ei:
        glacier.delete_archive(accountId="-", vaultName=vault, archiveId=archive_id)
    assert archive_id in ei.value.response["Error"]["Message"]


def test_delete_archive_raw_204_empty_body(endpoint, glacier, vault):
    archive_id = upload(glacier, vault, b"raw delete")["archiveId"]
    r = raw(endpoint, "DELETE", f"/-/vaults/{vault}/archives/{archive_id}")
    assert r.status_code == 204, r.text
    assert r.content == b""


def test_delete_unknown_archive_404(glacier, vault):
    with expect_error("ResourceNotFoundException", 404):
        glacier.delete_archive(accountId="-", vaultName=vault, archiveId="no-such-archive")


def test_delete_archive_in_missing_vault_404(glacier, vault, vault_name):
    archive_id = upload(glacier, vault, b"elsewhere")["archiveId"]
    other = vault_name()
    with expect_error("ResourceNotFoundException", 404) as ei:
        glacier.delete_archive(accountId="-", vaultName=other, archiveId=archive_id)
    assert other in ei.value.response["Error"]["Message"]
    assert vault_counters(glacier, vault) == (1, len(b"elsewhere"))


def test_delete_archive_of_other_vault_404(glacier, vault, vault_name):
    other = vault_name()
    glacier.create_vault(accountId="-", vaultName=other)
    archive_id = upload(glacier, vault, b"belongs to the first vault")["archiveId"]
    with expect_error("ResourceNotFoundException", 404):
        glacier.delete_archive(accountId="-", vaultName=other, archiveId=archive_id)
    assert vault_counters(glacier, vault) == (1, len(b"belongs to the first vault"))
    # once deleted from its own vault, still unknown in the other one
    glacier.delete_archive(accountId="-", vaultName=vault, archiveId=archive_id)
    with expect_error("ResourceNotFoundException", 404):
        glacier.delete_archive(accountId="-", vaultName=other, archiveId=archive_id)


def test_vault_with_deleted_archives_can_be_deleted(glacier, vault):
    archive_id = upload(glacier, vault, b"temporary")["archiveId"]
    with expect_error("InvalidParameterValueException", 400):
        glacier.delete_vault(accountId="-", vaultName=vault)
    glacier.delete_archive(accountId="-", vaultName=vault, archiveId=archive_id)
    # "no writes to the vault since the last inventory" (Deleting a Vault): not yet.
    with expect_error("InvalidParameterValueException", 400):
        glacier.delete_vault(accountId="-", vaultName=vault)
    take_inventory(glacier.meta.endpoint_url, vault)
    resp = glacier.delete_vault(accountId="-", vaultName=vault)
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 204


def test_delete_multipart_archive_removes_all_segments(glacier, vault, data_dir):
    data = blob("mp-delete", 3 * MIB + 10)
    archive_id = create_archive(glacier, vault, data)["archiveId"]
    segs = db_rows(data_dir, "SELECT blob_id, length FROM archive_segments WHERE archive_id = ? ORDER BY seq",
                   (archive_id,))
    assert [length for _, length in segs] == [MIB, MIB, MIB, 10]
    glacier.delete_archive(accountId="-", vaultName=vault, archiveId=archive_id)
    for blob_id, _ in segs:
        assert not (Path(data_dir) / "blobs" / str(blob_id)).exists()
