"""Multipart uploads: initiate, upload part, complete, abort, list parts/uploads."""

from __future__ import annotations

import random
import re
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from botocore.exceptions import ClientError
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from helpers import (
    DEFAULT_ACCOUNT, DEFAULT_REGION, HEX64_RE, ISO_RE, MIB, archive_bytes_from_disk, as_hex,
    assert_raw_error, assert_recent, blob, complete, create_archive, db_rows, describe_after_inventory, expect_error,
    initiate, make_client, part_headers, raw, sha256_hex, tree_hash, upload_part, upload_path,
)

ARN_PREFIX = f"arn:aws:glacier:{DEFAULT_REGION}:{DEFAULT_ACCOUNT}:vaults/"
GIB = 1024 * MIB


def list_all_parts(client, vault, upload_id):
    pages = client.get_paginator("list_parts").paginate(
        accountId="-", vaultName=vault, uploadId=upload_id)
    return [p for page in pages for p in page["Parts"]]


# ============================================================== initiate

def test_initiate_201_location_and_upload_id(glacier, vault):
    resp = glacier.initiate_multipart_upload(accountId="-", vaultName=vault, partSize=str(MIB))
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 201
    upload_id = resp["uploadId"]
    assert upload_id
    assert resp["location"] == f"/{DEFAULT_ACCOUNT}/vaults/{vault}/multipart-uploads/{upload_id}"
    headers = resp["ResponseMetadata"]["HTTPHeaders"]
    assert headers["x-amz-multipart-upload-id"] == upload_id


def test_initiate_ids_are_unique(glacier, vault):
    ids = {initiate(glacier, vault) for _ in range(5)}
    assert len(ids) == 5


@pytest.mark.parametrize("part_size", [MIB, 2 * MIB, 8 * MIB, 64 * MIB, GIB, 2 * GIB, 4 * GIB])
def test_initiate_valid_part_sizes(glacier, vault, part_size):
    upload_id = initiate(glacier, vault, part_size)
    resp = glacier.list_parts(accountId="-", vaultName=vault, uploadId=upload_id)
    assert resp["PartSizeInBytes"] == part_size


@pytest.mark.parametrize("part_size", [
    "0", "1", "1024", str(MIB - 1), str(MIB + 1), str(3 * MIB), str(6 * MIB), str(MIB * 1000),
    str(8 * GIB), str(-MIB), "abc", "1.5", "1048576.0", "0x100000",
])
def test_initiate_invalid_part_size(endpoint, vault, part_size):
    r = raw(endpoint, "POST", f"/-/vaults/{vault}/multipart-uploads",
            headers={"x-amz-part-size": part_size})
    assert_raw_error(r, "InvalidParameterValueException", 400)


def test_initiate_empty_part_size(endpoint, vault):
    r = raw(endpoint, "POST", f"/-/vaults/{vault}/multipart-uploads",
            headers={"x-amz-part-size": ""})
    assert r.status_code == 400, r.text
    assert r.json()["code"] in ("MissingParameterValueException", "InvalidParameterValueException")


def test_initiate_invalid_part_size_boto3(glacier, vault):
    with expect_error("InvalidParameterValueException", 400):
        glacier.initiate_multipart_upload(accountId="-", vaultName=vault, partSize=str(3 * MIB))


def test_initiate_missing_part_size(endpoint, vault):
    r = raw(endpoint, "POST", f"/-/vaults/{vault}/multipart-uploads")
    assert_raw_error(r, "MissingParameterValueException", 400)


def test_initiate_missing_part_size_boto3(glacier, vault):
    with expect_error("MissingParameterValueException", 400):
        glacier.initiate_multipart_upload(accountId="-", vaultName=vault)


def test_initiate_missing_vault_404(glacier, vault_name):
    with expect_error("ResourceNotFoundException", 404):
        glacier.initiate_multipart_upload(accountId="-", vaultName=vault_name(), partSize=str(MIB))


@pytest.mark.parametrize("desc", [
    # (leading/trailing blanks are HTTP optional whitespace, so they are not used)
    "",
    "a b",
    "simple description",
    "<" + "".join(chr(c) for c in range(32, 127)) + ">",
    "d" * 1024,
])
def test_initiate_valid_descriptions(glacier, vault, desc):
    upload_id = initiate(glacier, vault, description=desc)
    resp = glacier.list_parts(accountId="-", vaultName=vault, uploadId=upload_id)
    assert resp.get("ArchiveDescription", "") == desc


@pytest.mark.parametrize("desc", [
    "d" * 1025,
    "tab\there",
    "caf\xe9",
    "\xff\xfe",
])
def test_initiate_invalid_descriptions(endpoint, vault, desc):
    r = raw(endpoint, "POST", f"/-/vaults/{vault}/multipart-uploads",
            headers={"x-amz-part-size": str(MIB), "x-amz-archive-description": desc})
    assert_raw_error(r, "InvalidParameterValueException", 400)


def test_initiate_invalid_description_boto3(glacier, vault):
    with expect_error("InvalidParameterValueException", 400):
        glacier.initiate_multipart_upload(accountId="-", vaultName=vault, partSize=str(MIB),
                                          archiveDescription="x" * 1025)


# ============================================================== upload part

def test_upload_part_204_returns_tree_hash(glacier, vault):
    upload_id = initiate(glacier, vault)
    data = blob("part0", MIB)
    resp = upload_part(glacier, vault, upload_id, 0, data)
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert resp["checksum"] == tree_hash(data)


def test_upload_part_multi_mib_part_uses_tree_hash(glacier, vault):
    upload_id = initiate(glacier, vault, 4 * MIB)
    data = blob("4mib", 3 * MIB + 123)
    resp = upload_part(glacier, vault, upload_id, 0, data)
    assert resp["checksum"] == tree_hash(data)
    assert resp["checksum"] != sha256_hex(data)
    parts = glacier.list_parts(accountId="-", vaultName=vault, uploadId=upload_id)["Parts"]
    assert parts == [{"RangeInBytes": f"0-{len(data) - 1}", "SHA256TreeHash": tree_hash(data)}]


def test_upload_part_raw_success(endpoint, glacier, vault):
    upload_id = initiate(glacier, vault)
    data = blob("raw-ok", MIB)
    r = raw(endpoint, "PUT", upload_path(vault, upload_id), headers=part_headers(data, 0), data=data)
    assert r.status_code == 204, r.text
    assert r.headers.get("x-amz-sha256-tree-hash") == tree_hash(data)


@pytest.mark.parametrize("drop", ["x-amz-sha256-tree-hash", "x-amz-content-sha256", "Content-Range"])
def test_upload_part_missing_header(endpoint, glacier, vault, drop):
    upload_id = initiate(glacier, vault)
    data = blob("missing", MIB)
    headers = part_headers(data, 0)
    del headers[drop]
    r = raw(endpoint, "PUT", upload_path(vault, upload_id), headers=headers, data=data)
    assert_raw_error(r, "MissingParameterValueException", 400)
    assert glacier.list_parts(accountId="-", vaultName=vault, uploadId=upload_id)["Parts"] == []


def test_upload_part_tree_hash_mismatch(endpoint, glacier, vault):
    upload_id = initiate(glacier, vault)
    data = blob("th-mismatch", MIB)
    headers = part_headers(data, 0)
    headers["x-amz-sha256-tree-hash"] = tree_hash(b"other")
    r = raw(endpoint, "PUT", upload_path(vault, upload_id), headers=headers, data=data)
    assert_raw_error(r, "InvalidParameterValueException", 400)
    assert glacier.list_parts(accountId="-", vaultName=vault, uploadId=upload_id)["Parts"] == []


def test_upload_part_tree_hash_mismatch_boto3(glacier, vault):
    upload_id = initiate(glacier, vault)
    with expect_error("InvalidParameterValueException", 400):
        upload_part(glacier, vault, upload_id, 0, blob("x", MIB), checksum="0" * 64)


def test_upload_part_linear_hash_mismatch(endpoint, glacier, vault):
    upload_id = initiate(glacier, vault)
    data = blob("lin-mismatch", MIB)
    headers = part_headers(data, 0)
    headers["x-amz-content-sha256"] = sha256_hex(b"other")
    r = raw(endpoint, "PUT", upload_path(vault, upload_id), headers=headers, data=data)
    body = assert_raw_error(r, "InvalidParameterValueException", 400)
    assert "x-amz-content-sha256" in body["message"]
    assert glacier.list_parts(accountId="-", vaultName=vault, uploadId=upload_id)["Parts"] == []


def test_upload_part_linear_hash_mismatch_small_part(endpoint, glacier, vault):
    # For a part <= 1 MiB the tree hash equals the linear hash; the linear
    # header must still be checked on its own.
    upload_id = initiate(glacier, vault)
    data = blob("lin-small", 1000)
    headers = part_headers(data, 0)
    headers["x-amz-content-sha256"] = "f" * 64
    r = raw(endpoint, "PUT", upload_path(vault, upload_id), headers=headers, data=data)
    body = assert_raw_error(r, "InvalidParameterValueException", 400)
    assert "x-amz-content-sha256" in body["message"]


@pytest.mark.parametrize("content_range", [
    "bytes 0-1048575",
    "bytes=0-1048575/*",
    "0-1048575/*",
    "bytes 0-1048575/1048576",
    "bytes  0-1048575/*",
    "bytes 0 -1048575/*",
    "bytes 0- 1048575/*",
    "bytes -0-1048575/*",
    "bytes +0-1048575/*",
    "bytes 0-+1048575/*",
    "bytes 0x0-1048575/*",
    "bytes a-b/*",
    "bytes 0-1048575/**",
    "bytes 0-1048575/*x",
    "bytes 0-1048575,0-1048575/*",
    "BYTES 0-1048575/*",
    "items 0-1048575/*",
    "bytes */*",
    "bytes 1048575-0/*",
    "bytes 0-99999999999999999999999999/*",
    "bytes 0--1048575/*",
    "bytes 0-1048575.0/*",
    "bytes\t0-1048575/*",
])
def test_upload_part_malformed_content_range(endpoint, glacier, vault, content_range):
    upload_id = initiate(glacier, vault)
    data = blob("range", MIB)
    headers = part_headers(data, 0)
    headers["Content-Range"] = content_range
    r = raw(endpoint, "PUT", upload_path(vault, upload_id), headers=headers, data=data)
    assert_raw_error(r, "InvalidParameterValueException", 400)
    assert glacier.list_parts(accountId="-", vaultName=vault, uploadId=upload_id)["Parts"] == []


def test_upload_part_empty_content_range(endpoint, glacier, vault):
    upload_id = initiate(glacier, vault)
    data = blob("range-empty", 100)
    headers = part_headers(data, 0)
    headers["Content-Range"] = ""
    r = raw(endpoint, "PUT", upload_path(vault, upload_id), headers=headers, data=data)
    assert r.status_code == 400, r.text
    assert r.json()["code"] in ("MissingParameterValueException", "InvalidParameterValueException")


@st.composite
def _bad_ranges(draw):
    text = draw(st.text(alphabet="bytes0123456789-/* ,=x", min_size=1, max_size=30))
    return text.strip()


@settings(max_examples=60, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.filter_too_much])
@given(content_range=_bad_ranges())
def test_upload_part_fuzzed_content_range(endpoint, glacier, vault, content_range):
    assume(content_range)
    assume(not re.fullmatch(r"bytes \d+-\d+/\*", content_range))
    upload_id = initiate(glacier, vault)
    data = b"0123456789"
    headers = part_headers(data, 0)
    headers["Content-Range"] = content_range
    r = raw(endpoint, "PUT", upload_path(vault, upload_id), headers=headers, data=data)
    assert_raw_error(r, "InvalidParameterValueException", 400)


def test_upload_part_first_not_multiple_of_part_size(endpoint, glacier, vault):
    upload_id = initiate(glacier, vault)
    data = blob("misaligned", 1000)
    r = raw(endpoint, "PUT", upload_path(vault, upload_id), headers=part_headers(data, 1), data=data)
    assert_raw_error(r, "InvalidParameterValueException", 400)
    with expect_error("InvalidParameterValueException", 400):
        upload_part(glacier, vault, upload_id, MIB // 2, data)
    with expect_error("InvalidParameterValueException", 400):
        upload_part(glacier, vault, upload_id, MIB + 1, data)


def test_upload_part_misaligned_for_bigger_part_size(glacier, vault):
    upload_id = initiate(glacier, vault, 2 * MIB)
    with expect_error("InvalidParameterValueException", 400):
        upload_part(glacier, vault, upload_id, MIB, blob("mis2", 100))
    ok = upload_part(glacier, vault, upload_id, 2 * MIB, blob("mis2", 100))
    assert ok["ResponseMetadata"]["HTTPStatusCode"] == 204


def test_upload_part_longer_than_part_size(glacier, vault):
    upload_id = initiate(glacier, vault)
    with expect_error("InvalidParameterValueException", 400):
        upload_part(glacier, vault, upload_id, 0, blob("toolong", MIB + 1))
    assert glacier.list_parts(accountId="-", vaultName=vault, uploadId=upload_id)["Parts"] == []


@pytest.mark.parametrize("body_len, range_len", [(1000, MIB), (MIB, 1000), (999, 1000), (1001, 1000)])
def test_upload_part_range_length_differs_from_body(endpoint, glacier, vault, body_len, range_len):
    upload_id = initiate(glacier, vault)
    data = blob("lenmismatch", body_len)
    headers = part_headers(data, 0)
    headers["Content-Range"] = f"bytes 0-{range_len - 1}/*"
    r = raw(endpoint, "PUT", upload_path(vault, upload_id), headers=headers, data=data)
    assert_raw_error(r, "InvalidParameterValueException", 400)
    assert glacier.list_parts(accountId="-", vaultName=vault, uploadId=upload_id)["Parts"] == []


def test_upload_part_index_limit(glacier, vault):
    upload_id = initiate(glacier, vault)
    last_ok = 9999 * MIB
    resp = upload_part(glacier, vault, upload_id, last_ok, b"z")
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 204
    with expect_error("InvalidParameterValueException", 400):
        upload_part(glacier, vault, upload_id, 10000 * MIB, b"z")
    with expect_error("InvalidParameterValueException", 400):
        upload_part(glacier, vault, upload_id, 12345 * MIB, b"z")
    parts = glacier.list_parts(accountId="-", vaultName=vault, uploadId=upload_id)["Parts"]
    assert parts == [{"RangeInBytes": f"{last_ok}-{last_ok}", "SHA256TreeHash": tree_hash(b"z")}]


def test_upload_part_index_limit_scales_with_part_size(glacier, vault):
    upload_id = initiate(glacier, vault, 2 * MIB)
    resp = upload_part(glacier, vault, upload_id, 9999 * 2 * MIB, b"y")
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 204
    with expect_error("InvalidParameterValueException", 400):
        upload_part(glacier, vault, upload_id, 10000 * 2 * MIB, b"y")


def test_short_non_last_part_accepted_but_complete_fails(glacier, vault):
    upload_id = initiate(glacier, vault)
    short = blob("short", 1000)
    full = blob("full", MIB)
    r0 = upload_part(glacier, vault, upload_id, 0, short)
    assert r0["ResponseMetadata"]["HTTPStatusCode"] == 204
    r1 = upload_part(glacier, vault, upload_id, MIB, full)
    assert r1["ResponseMetadata"]["HTTPStatusCode"] == 204
    with expect_error("InvalidParameterValueException", 400):
        complete(glacier, vault, upload_id, len(short) + len(full), tree_hash(short + full))
    # The upload stays usable: replace part 0 by a full part and complete.
    fixed = blob("fixed", MIB)
    upload_part(glacier, vault, upload_id, 0, fixed)
    resp = complete(glacier, vault, upload_id, 2 * MIB, tree_hash(fixed + full))
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert resp["checksum"] == tree_hash(fixed + full)


def test_parallel_out_of_order_uploads(glacier, vault, data_dir):
    n = 9
    data = blob("parallel", n * MIB - 4321)
    upload_id = initiate(glacier, vault)
    offsets = list(range(0, len(data), MIB))
    random.shuffle(offsets)
    barrier = threading.Barrier(len(offsets))

    def send(first):
        barrier.wait(timeout=30)
        return first, upload_part(glacier, vault, upload_id, first, data[first:first + MIB])

    with ThreadPoolExecutor(max_workers=len(offsets)) as pool:
        results = list(pool.map(send, offsets))
    for first, resp in results:
        assert resp["ResponseMetadata"]["HTTPStatusCode"] == 204
        assert resp["checksum"] == tree_hash(data[first:first + MIB])

    parts = list_all_parts(glacier, vault, upload_id)
    expected = [{"RangeInBytes": f"{f}-{min(f + MIB, len(data)) - 1}",
                 "SHA256TreeHash": tree_hash(data[f:f + MIB])} for f in range(0, len(data), MIB)]
    assert parts == expected

    resp = complete(glacier, vault, upload_id, len(data), tree_hash(data))
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert resp["checksum"] == tree_hash(data)
    on_disk, row = archive_bytes_from_disk(data_dir, resp["archiveId"])
    assert on_disk == data


def test_reupload_same_range_replaces(glacier, vault, data_dir):
    upload_id = initiate(glacier, vault)
    a, b, tail = blob("A", MIB), blob("B", MIB), blob("tail", 77)
    upload_part(glacier, vault, upload_id, 0, a)
    upload_part(glacier, vault, upload_id, MIB, tail)
    resp = upload_part(glacier, vault, upload_id, 0, b)
    assert resp["checksum"] == tree_hash(b)
    parts = glacier.list_parts(accountId="-", vaultName=vault, uploadId=upload_id)["Parts"]
    assert parts == [
        {"RangeInBytes": f"0-{MIB - 1}", "SHA256TreeHash": tree_hash(b)},
        {"RangeInBytes": f"{MIB}-{MIB + 76}", "SHA256TreeHash": tree_hash(tail)},
    ]
    with expect_error("InvalidParameterValueException", 400):
        complete(glacier, vault, upload_id, MIB + 77, tree_hash(a + tail))
    done = complete(glacier, vault, upload_id, MIB + 77, tree_hash(b + tail))
    assert done["ResponseMetadata"]["HTTPStatusCode"] == 201
    on_disk, _ = archive_bytes_from_disk(data_dir, done["archiveId"])
    assert on_disk == b + tail


def test_reupload_with_different_length_replaces(glacier, vault):
    upload_id = initiate(glacier, vault)
    short, full = blob("s", 10), blob("f", MIB)
    upload_part(glacier, vault, upload_id, 0, short)
    upload_part(glacier, vault, upload_id, 0, full)
    parts = glacier.list_parts(accountId="-", vaultName=vault, uploadId=upload_id)["Parts"]
    assert parts == [{"RangeInBytes": f"0-{MIB - 1}", "SHA256TreeHash": tree_hash(full)}]


def test_failed_reupload_leaves_earlier_part(endpoint, glacier, vault, data_dir):
    upload_id = initiate(glacier, vault)
    a, b = blob("keep-A", MIB), blob("evil-B", MIB)
    upload_part(glacier, vault, upload_id, 0, a)
    path = upload_path(vault, upload_id)

    bad_tree = part_headers(b, 0)
    bad_tree["x-amz-sha256-tree-hash"] = tree_hash(a)  # wrong for body b
    assert_raw_error(raw(endpoint, "PUT", path, headers=bad_tree, data=b),
                     "InvalidParameterValueException", 400)

    bad_linear = part_headers(b, 0)
    bad_linear["x-amz-content-sha256"] = sha256_hex(a)
    assert_raw_error(raw(endpoint, "PUT", path, headers=bad_linear, data=b),
                     "InvalidParameterValueException", 400)

    bad_len = part_headers(b, 0)
    bad_len["Content-Range"] = f"bytes 0-{MIB - 2}/*"
    assert_raw_error(raw(endpoint, "PUT", path, headers=bad_len, data=b),
                     "InvalidParameterValueException", 400)

    missing = part_headers(b, 0)
    del missing["x-amz-content-sha256"]
    assert_raw_error(raw(endpoint, "PUT", path, headers=missing, data=b),
                     "MissingParameterValueException", 400)

    parts = glacier.list_parts(accountId="-", vaultName=vault, uploadId=upload_id)["Parts"]
    assert parts == [{"RangeInBytes": f"0-{MIB - 1}", "SHA256TreeHash": tree_hash(a)}]
    done = complete(glacier, vault, upload_id, MIB, tree_hash(a))
    assert done["checksum"] == tree_hash(a)
    on_disk, _ = archive_bytes_from_disk(data_dir, done["archiveId"])
    assert on_disk == a


def test_unknown_upload_id_404(glacier, vault):
    bogus = "NOSUCHUPLOAD" + "x" * 80
    with expect_error("ResourceNotFoundException", 404):
        upload_part(glacier, vault, bogus, 0, b"abc")
    with expect_error("ResourceNotFoundException", 404):
        glacier.list_parts(accountId="-", vaultName=vault, uploadId=bogus)
    with expect_error("ResourceNotFoundException", 404):
        complete(glacier, vault, bogus, 3, tree_hash(b"abc"))
    with expect_error("ResourceNotFoundException", 404):
        glacier.abort_multipart_upload(accountId="-", vaultName=vault, uploadId=bogus)


def test_upload_id_under_other_vault_404(glacier, vault, vault_name):
    other = vault_name()
    glacier.create_vault(accountId="-", vaultName=other)
    upload_id = initiate(glacier, vault)
    data = blob("other-vault", 500)
    upload_part(glacier, vault, upload_id, 0, data)
    with expect_error("ResourceNotFoundException", 404):
        upload_part(glacier, other, upload_id, 0, data)
    with expect_error("ResourceNotFoundException", 404):
        glacier.list_parts(accountId="-", vaultName=other, uploadId=upload_id)
    with expect_error("ResourceNotFoundException", 404):
        complete(glacier, other, upload_id, 500, tree_hash(data))
    with expect_error("ResourceNotFoundException", 404):
        glacier.abort_multipart_upload(accountId="-", vaultName=other, uploadId=upload_id)
    # untouched in its own vault
    assert describe_after_inventory(glacier, other)["NumberOfArchives"] == 0
    done = complete(glacier, vault, upload_id, 500, tree_hash(data))
    assert done["ResponseMetadata"]["HTTPStatusCode"] == 201


def test_upload_id_under_missing_vault_404(glacier, vault, vault_name):
    upload_id = initiate(glacier, vault)
    with expect_error("ResourceNotFoundException", 404):
        upload_part(glacier, vault_name(), upload_id, 0, b"abc")


# ============================================================== complete

def test_complete_success(glacier, vault, data_dir):
    data = blob("complete", 2 * MIB + MIB // 2)
    upload_id = initiate(glacier, vault, description="my archive")
    for first in range(0, len(data), MIB):
        upload_part(glacier, vault, upload_id, first, data[first:first + MIB])
    resp = complete(glacier, vault, upload_id, len(data), tree_hash(data))
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 201
    archive_id = resp["archiveId"]
    assert archive_id
    assert resp["location"] == f"/{DEFAULT_ACCOUNT}/vaults/{vault}/archives/{archive_id}"
    assert resp["checksum"] == tree_hash(data)
    headers = resp["ResponseMetadata"]["HTTPHeaders"]
    assert headers["x-amz-archive-id"] == archive_id

    with expect_error("ResourceNotFoundException", 404):
        glacier.list_parts(accountId="-", vaultName=vault, uploadId=upload_id)
    uploads = glacier.list_multipart_uploads(accountId="-", vaultName=vault)["UploadsList"]
    assert upload_id not in [u["MultipartUploadId"] for u in uploads]

    d = describe_after_inventory(glacier, vault)
    assert (d["NumberOfArchives"], d["SizeInBytes"]) == (1, len(data))
    listed = [v for page in glacier.get_paginator("list_vaults").paginate(accountId="-")
              for v in page["VaultList"] if v["VaultName"] == vault]
    assert [(v["NumberOfArchives"], v["SizeInBytes"]) for v in listed] == [(1, len(data))]

    with expect_error("InvalidParameterValueException", 400):
        glacier.delete_vault(accountId="-", vaultName=vault)


def test_complete_archive_bytes_on_disk(glacier, vault, data_dir):
    data = blob("disk", 3 * MIB + 17)
    resp = create_archive(glacier, vault, data, description="on disk")
    archive_id = resp["archiveId"]
    on_disk, row = archive_bytes_from_disk(data_dir, archive_id)
    _id, account, region, vault_name, size, th = row
    assert (account, region, vault_name, size) == (DEFAULT_ACCOUNT, DEFAULT_REGION, vault, len(data))
    assert as_hex(th) == tree_hash(data)
    assert on_disk == data
    assert tree_hash(on_disk) == resp["checksum"]
    desc = db_rows(data_dir, "SELECT description FROM archives WHERE id = ?", (archive_id,))
    assert desc == [("on disk",)]
    vrow = db_rows(data_dir, "SELECT number_of_archives, size_in_bytes FROM vaults "
                   "WHERE account_id = ? AND region = ? AND name = ?",
                   (DEFAULT_ACCOUNT, DEFAULT_REGION, vault))
    assert vrow == [(1, len(data))]
    # the upload and its parts are gone from the database
    assert db_rows(data_dir, "SELECT count(*) FROM uploads WHERE id = ?", (resp["uploadId"],)) == [(0,)]
    assert db_rows(data_dir, "SELECT count(*) FROM parts WHERE upload_id = ?", (resp["uploadId"],)) == [(0,)]


def test_complete_counters_accumulate(glacier, vault):
    sizes = [1, MIB, MIB + 1]
    for i, size in enumerate(sizes):
        create_archive(glacier, vault, blob(f"acc{i}", size))
    d = describe_after_inventory(glacier, vault)
    assert (d["NumberOfArchives"], d["SizeInBytes"]) == (3, sum(sizes))


def test_complete_single_byte_archive(glacier, vault):
    resp = create_archive(glacier, vault, b"\x00")
    assert resp["checksum"] == sha256_hex(b"\x00")


def test_complete_with_bigger_part_size(glacier, vault, data_dir):
    data = blob("big-parts", 5 * MIB + 3)
    resp = create_archive(glacier, vault, data, part_size=2 * MIB)
    assert resp["checksum"] == tree_hash(data)
    assert archive_bytes_from_disk(data_dir, resp["archiveId"])[0] == data


@pytest.mark.parametrize("drop", ["x-amz-archive-size", "x-amz-sha256-tree-hash"])
def test_complete_missing_header(endpoint, glacier, vault, drop):
    data = blob("cm", 100)
    upload_id = initiate(glacier, vault)
    upload_part(glacier, vault, upload_id, 0, data)
    headers = {"x-amz-archive-size": "100", "x-amz-sha256-tree-hash": tree_hash(data)}
    del headers[drop]
    r = raw(endpoint, "POST", upload_path(vault, upload_id), headers=headers)
    assert_raw_error(r, "MissingParameterValueException", 400)
    # still usable
    r = raw(endpoint, "POST", upload_path(vault, upload_id),
            headers={"x-amz-archive-size": "100", "x-amz-sha256-tree-hash": tree_hash(data)})
    assert r.status_code == 201, r.text
    assert r.headers["x-amz-sha256-tree-hash"] == tree_hash(data)
    archive_id = r.headers["x-amz-archive-id"]
    assert r.headers["Location"] == f"/{DEFAULT_ACCOUNT}/vaults/{vault}/archives/{archive_id}"


def test_complete_wrong_tree_hash_then_fix(glacier, vault):
    data = blob("wth", MIB + 10)
    upload_id = initiate(glacier, vault)
    upload_part(glacier, vault, upload_id, 0, data[:MIB])
    upload_part(glacier, vault, upload_id, MIB, data[MIB:])
    with expect_error("InvalidParameterValueException", 400):
        complete(glacier, vault, upload_id, len(data), sha256_hex(data))  # linear, not tree
    with expect_error("InvalidParameterValueException", 400):
        complete(glacier, vault, upload_id, len(data), "0" * 64)
    assert len(list_all_parts(glacier, vault, upload_id)) == 2
    assert describe_after_inventory(glacier, vault)["NumberOfArchives"] == 0
    resp = complete(glacier, vault, upload_id, len(data), tree_hash(data))
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 201


@pytest.mark.parametrize("size_delta", [-1, 1, -MIB, MIB])
def test_complete_wrong_size_then_fix(glacier, vault, size_delta):
    data = blob("wsz", 2 * MIB)
    upload_id = initiate(glacier, vault)
    upload_part(glacier, vault, upload_id, 0, data[:MIB])
    upload_part(glacier, vault, upload_id, MIB, data[MIB:])
    with expect_error("InvalidParameterValueException", 400):
        complete(glacier, vault, upload_id, len(data) + size_delta, tree_hash(data))
    resp = complete(glacier, vault, upload_id, len(data), tree_hash(data))
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 201


@pytest.mark.parametrize("size", ["abc", "-5", "1.0", ""])
def test_complete_malformed_size(endpoint, glacier, vault, size):
    data = blob("msz", 10)
    upload_id = initiate(glacier, vault)
    upload_part(glacier, vault, upload_id, 0, data)
    r = raw(endpoint, "POST", upload_path(vault, upload_id),
            headers={"x-amz-archive-size": size, "x-amz-sha256-tree-hash": tree_hash(data)})
    assert r.status_code == 400, r.text
    expected = ("InvalidParameterValueException",) if size else \
        ("InvalidParameterValueException", "MissingParameterValueException")
    assert r.json()["code"] in expected


def test_complete_gap_then_fill(glacier, vault):
    data = blob("gap", 3 * MIB)
    upload_id = initiate(glacier, vault)
    upload_part(glacier, vault, upload_id, 0, data[:MIB])
    upload_part(glacier, vault, upload_id, 2 * MIB, data[2 * MIB:])
    with expect_error("InvalidParameterValueException", 400):
        complete(glacier, vault, upload_id, len(data), tree_hash(data))
    # a size that matches the parts present is still not contiguous
    with expect_error("InvalidParameterValueException", 400):
        complete(glacier, vault, upload_id, 2 * MIB, tree_hash(data[:MIB] + data[2 * MIB:]))
    upload_part(glacier, vault, upload_id, MIB, data[MIB:2 * MIB])
    resp = complete(glacier, vault, upload_id, len(data), tree_hash(data))
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 201
    assert resp["checksum"] == tree_hash(data)


def test_complete_missing_first_part(glacier, vault):
    data = blob("nofirst", 2 * MIB)
    upload_id = initiate(glacier, vault)
    upload_part(glacier, vault, upload_id, MIB, data[MIB:])
    with expect_error("InvalidParameterValueException", 400):
        complete(glacier, vault, upload_id, MIB, tree_hash(data[MIB:]))


def test_complete_with_extra_trailing_part_beyond_size(glacier, vault):
    data = blob("extra", 2 * MIB)
    upload_id = initiate(glacier, vault)
    upload_part(glacier, vault, upload_id, 0, data[:MIB])
    upload_part(glacier, vault, upload_id, MIB, data[MIB:])
    with expect_error("InvalidParameterValueException", 400):
        complete(glacier, vault, upload_id, MIB, tree_hash(data[:MIB]))


def test_complete_no_parts(glacier, vault):
    upload_id = initiate(glacier, vault)
    with expect_error("InvalidParameterValueException", 400):
        complete(glacier, vault, upload_id, 1, sha256_hex(b"x"))


def test_complete_twice_returns_same_archive(endpoint, glacier, vault, data_dir):
    """Complete Multipart Upload: "Complete Multipart Upload is an idempotent operation. After
    your first successful complete multipart upload, if you call the operation again within a
    short period, the operation will succeed and return the same archive ID." (glacier-mock:
    24 hours, with the same x-amz-archive-size and x-amz-sha256-tree-hash.)"""
    data = blob("twice", 10)
    upload_id = initiate(glacier, vault)
    upload_part(glacier, vault, upload_id, 0, data)
    headers = {"x-amz-archive-size": "10", "x-amz-sha256-tree-hash": tree_hash(data)}
    first = raw(endpoint, "POST", upload_path(vault, upload_id), headers=headers)
    assert first.status_code == 201, first.text
    for again in (raw(endpoint, "POST", upload_path(vault, upload_id), headers=headers),
                  raw(endpoint, "POST", upload_path(vault, upload_id),
                      headers={**headers, "x-amz-sha256-tree-hash": tree_hash(data).upper()})):
        assert again.status_code == 201, again.text
        assert again.content == b""
        for name in ("Location", "x-amz-archive-id", "x-amz-sha256-tree-hash"):
            assert again.headers[name] == first.headers[name], name
    archive_id = first.headers["x-amz-archive-id"]
    resp = complete(glacier, vault, upload_id, 10, tree_hash(data))
    assert (resp["archiveId"], resp["checksum"]) == (archive_id, tree_hash(data))
    # Another size or tree hash is not a repeat: 404, as for any upload no longer in progress.
    with expect_error("ResourceNotFoundException", 404) as ei:
        complete(glacier, vault, upload_id, 11, tree_hash(data))
    assert upload_id in ei.value.response["Error"]["Message"]
    with expect_error("ResourceNotFoundException", 404):
        complete(glacier, vault, upload_id, 10, tree_hash(b"something else"))
    # The upload is not in progress any more.
    with expect_error("ResourceNotFoundException", 404):
        upload_part(glacier, vault, upload_id, 0, data)
    with expect_error("ResourceNotFoundException", 404):
        glacier.list_parts(accountId="-", vaultName=vault, uploadId=upload_id)
    # Nothing was created by the repeats.
    assert describe_after_inventory(glacier, vault)["NumberOfArchives"] == 1
    assert db_rows(data_dir, "SELECT id FROM archives WHERE vault_name = ?", (vault,)) == [(archive_id,)]


def test_complete_again_after_archive_deleted_returns_same_archive(glacier, vault):
    """The repeat answers what the first Complete answered, even when that archive is gone
    since (the rule is about the upload, and DeleteArchive of it again is 204 too)."""
    data = blob("then-deleted", 100)
    upload_id = initiate(glacier, vault)
    upload_part(glacier, vault, upload_id, 0, data)
    archive_id = complete(glacier, vault, upload_id, 100, tree_hash(data))["archiveId"]
    glacier.delete_archive(accountId="-", vaultName=vault, archiveId=archive_id)
    assert complete(glacier, vault, upload_id, 100, tree_hash(data))["archiveId"] == archive_id
    assert describe_after_inventory(glacier, vault)["NumberOfArchives"] == 0


def test_concurrent_completes_make_one_archive(endpoint, vault):
    rounds = 6
    clients = [make_client(endpoint), make_client(endpoint)]
    for rnd in range(rounds):
        data = blob(f"race{rnd}", MIB + 1 + rnd)
        upload_id = initiate(clients[0], vault)
        upload_part(clients[0], vault, upload_id, 0, data[:MIB])
        upload_part(clients[0], vault, upload_id, MIB, data[MIB:])
        barrier = threading.Barrier(2)

        def go(c):
            barrier.wait(timeout=30)
            try:
                resp = complete(c, vault, upload_id, len(data), tree_hash(data))
                return resp["ResponseMetadata"]["HTTPStatusCode"], resp["archiveId"]
            except ClientError as e:
                return e.response["ResponseMetadata"]["HTTPStatusCode"], None

        with ThreadPoolExecutor(max_workers=2) as pool:
            results = list(pool.map(go, clients))
        # The later one finds the first one's completion: both succeed, with the same archive.
        assert [status for status, _ in results] == [201, 201], f"round {rnd}: {results}"
        assert results[0][1] == results[1][1], f"round {rnd}: {results}"
    d = describe_after_inventory(clients[0], vault)
    assert d["NumberOfArchives"] == rounds


@settings(max_examples=12, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(size=st.integers(min_value=1, max_value=2 * MIB + 5), seed=st.integers(0, 2 ** 32))
def test_complete_any_size_tree_hash(glacier, vault, size, seed):
    data = random.Random(seed).randbytes(size)
    resp = create_archive(glacier, vault, data)
    assert resp["checksum"] == tree_hash(data)


# ============================================================== abort

def test_abort_204_then_gone(glacier, vault):
    """Abort Multipart Upload: "After the Abort Multipart Upload request succeeds, you cannot
    upload any more parts to the multipart upload or complete the multipart upload. ...
    aborting an already-aborted upload will succeed, for a short time." (glacier-mock: 24 hours.)"""
    upload_id = initiate(glacier, vault)
    upload_part(glacier, vault, upload_id, 0, blob("abort", 100))
    resp = glacier.abort_multipart_upload(accountId="-", vaultName=vault, uploadId=upload_id)
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 204
    with expect_error("ResourceNotFoundException", 404):
        glacier.list_parts(accountId="-", vaultName=vault, uploadId=upload_id)
    with expect_error("ResourceNotFoundException", 404):
        upload_part(glacier, vault, upload_id, 0, b"x")
    with expect_error("ResourceNotFoundException", 404):
        complete(glacier, vault, upload_id, 100, tree_hash(blob("abort", 100)))
    resp = glacier.abort_multipart_upload(accountId="-", vaultName=vault, uploadId=upload_id)
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 204
    uploads = glacier.list_multipart_uploads(accountId="-", vaultName=vault)["UploadsList"]
    assert uploads == []
    d = describe_after_inventory(glacier, vault)
    assert (d["NumberOfArchives"], d["SizeInBytes"]) == (0, 0)


def test_abort_again_only_in_its_own_vault(glacier, vault, vault_name):
    other = vault_name()
    glacier.create_vault(accountId="-", vaultName=other)
    upload_id = initiate(glacier, vault)
    glacier.abort_multipart_upload(accountId="-", vaultName=vault, uploadId=upload_id)
    with expect_error("ResourceNotFoundException", 404):
        glacier.abort_multipart_upload(accountId="-", vaultName=other, uploadId=upload_id)


def test_abort_completed_upload_404(glacier, vault):
    """Abort Multipart Upload: "Aborting a completed multipart upload fails." """
    upload_id = initiate(glacier, vault)
    upload_part(glacier, vault, upload_id, 0, b"done")
    archive_id = complete(glacier, vault, upload_id, 4, tree_hash(b"done"))["archiveId"]
    with expect_error("ResourceNotFoundException", 404):
        glacier.abort_multipart_upload(accountId="-", vaultName=vault, uploadId=upload_id)
    # the archive is untouched, and a repeated Complete still finds it
    assert complete(glacier, vault, upload_id, 4, tree_hash(b"done"))["archiveId"] == archive_id
    assert describe_after_inventory(glacier, vault)["NumberOfArchives"] == 1


def test_abort_leaves_other_uploads(glacier, vault):
    keep = initiate(glacier, vault)
    drop = initiate(glacier, vault)
    upload_part(glacier, vault, keep, 0, b"keep")
    upload_part(glacier, vault, drop, 0, b"drop")
    glacier.abort_multipart_upload(accountId="-", vaultName=vault, uploadId=drop)
    ids = [u["MultipartUploadId"] for u in
           glacier.list_multipart_uploads(accountId="-", vaultName=vault)["UploadsList"]]
    assert ids == [keep]
    assert glacier.list_parts(accountId="-", vaultName=vault, uploadId=keep)["Parts"][0][
        "SHA256TreeHash"] == tree_hash(b"keep")


def test_abort_removes_database_rows(glacier, vault, data_dir):
    upload_id = initiate(glacier, vault)
    upload_part(glacier, vault, upload_id, 0, b"rows")
    assert db_rows(data_dir, "SELECT count(*) FROM parts WHERE upload_id = ?", (upload_id,)) == [(1,)]
    glacier.abort_multipart_upload(accountId="-", vaultName=vault, uploadId=upload_id)
    assert db_rows(data_dir, "SELECT count(*) FROM uploads WHERE id = ?", (upload_id,)) == [(0,)]
    assert db_rows(data_dir, "SELECT count(*) FROM parts WHERE upload_id = ?", (upload_id,)) == [(0,)]


# ============================================================== list parts

def test_list_parts_fields(glacier, vault):
    upload_id = initiate(glacier, vault, description="listing parts")
    d0, d1 = blob("lp0", MIB), blob("lp1", 12345)
    upload_part(glacier, vault, upload_id, MIB, d1)
    upload_part(glacier, vault, upload_id, 0, d0)
    resp = glacier.list_parts(accountId="-", vaultName=vault, uploadId=upload_id)
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert resp["ArchiveDescription"] == "listing parts"
    assert ISO_RE.match(resp["CreationDate"]), resp["CreationDate"]
    assert_recent(resp["CreationDate"])
    assert resp["MultipartUploadId"] == upload_id
    assert resp["PartSizeInBytes"] == MIB
    assert resp["VaultARN"] == ARN_PREFIX + vault
    assert resp["Parts"] == [
        {"RangeInBytes": "0-1048575", "SHA256TreeHash": tree_hash(d0)},
        {"RangeInBytes": f"{MIB}-{MIB + 12344}", "SHA256TreeHash": tree_hash(d1)},
    ]
    assert resp.get("Marker") is None
    for p in resp["Parts"]:
        assert HEX64_RE.match(p["SHA256TreeHash"])


def test_list_parts_empty(glacier, vault):
    upload_id = initiate(glacier, vault)
    resp = glacier.list_parts(accountId="-", vaultName=vault, uploadId=upload_id)
    assert resp["Parts"] == []
    assert resp.get("Marker") is None


def _upload_tiny_parts(client, vault, upload_id, indexes):
    def send(i):
        return upload_part(client, vault, upload_id, i * MIB, bytes([i % 256]))
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(send, indexes))


def _tiny_expected(indexes):
    return [{"RangeInBytes": f"{i * MIB}-{i * MIB}", "SHA256TreeHash": sha256_hex(bytes([i % 256]))}
            for i in sorted(indexes)]


def test_list_parts_default_limit_50(glacier, vault):
    upload_id = initiate(glacier, vault)
    idx = list(range(55))
    random.shuffle(idx)
    _upload_tiny_parts(glacier, vault, upload_id, idx)
    page1 = glacier.list_parts(accountId="-", vaultName=vault, uploadId=upload_id)
    assert len(page1["Parts"]) == 50
    assert page1["Parts"] == _tiny_expected(range(50))
    assert page1.get("Marker")
    page2 = glacier.list_parts(accountId="-", vaultName=vault, uploadId=upload_id,
                               marker=page1["Marker"])
    assert page2["Parts"] == _tiny_expected(range(50, 55))
    assert page2.get("Marker") is None


@pytest.mark.parametrize("limit", [1, 2, 4])
def test_list_parts_manual_pagination(glacier, vault, limit):
    upload_id = initiate(glacier, vault)
    idx = [0, 3, 7, 8, 9, 20, 21, 500, 9999]
    _upload_tiny_parts(glacier, vault, upload_id, idx)
    seen, marker, pages = [], None, 0
    while True:
        kw = {"accountId": "-", "vaultName": vault, "uploadId": upload_id, "limit": str(limit)}
        if marker:
            kw["marker"] = marker
        resp = glacier.list_parts(**kw)
        pages += 1
        assert len(resp["Parts"]) <= limit
        seen += resp["Parts"]
        marker = resp.get("Marker")
        if not marker:
            break
        assert pages < 50
    assert seen == _tiny_expected(idx)


def test_list_parts_paginator(glacier, vault):
    upload_id = initiate(glacier, vault)
    idx = list(range(13))
    _upload_tiny_parts(glacier, vault, upload_id, idx)
    pages = list(glacier.get_paginator("list_parts").paginate(
        accountId="-", vaultName=vault, uploadId=upload_id, PaginationConfig={"PageSize": 3}))
    assert len(pages) == 5
    assert [p for page in pages for p in page["Parts"]] == _tiny_expected(idx)


def test_list_parts_marker_stable_after_reupload(glacier, vault):
    upload_id = initiate(glacier, vault)
    _upload_tiny_parts(glacier, vault, upload_id, range(4))
    page1 = glacier.list_parts(accountId="-", vaultName=vault, uploadId=upload_id, limit="2")
    upload_part(glacier, vault, upload_id, 0, b"replaced")
    page2 = glacier.list_parts(accountId="-", vaultName=vault, uploadId=upload_id, limit="2",
                               marker=page1["Marker"])
    assert page2["Parts"] == _tiny_expected([2, 3])


@pytest.mark.parametrize("limit", ["0", "-3", "abc", "2.5"])
def test_list_parts_bad_limit(glacier, vault, limit):
    upload_id = initiate(glacier, vault)
    with expect_error("InvalidParameterValueException", 400):
        glacier.list_parts(accountId="-", vaultName=vault, uploadId=upload_id, limit=limit)


@pytest.mark.parametrize("marker", ["bogus-marker", "!!!", "arn:aws:glacier:x"])
def test_list_parts_unknown_marker(glacier, vault, marker):
    upload_id = initiate(glacier, vault)
    _upload_tiny_parts(glacier, vault, upload_id, range(3))
    with expect_error("InvalidParameterValueException", 400):
        glacier.list_parts(accountId="-", vaultName=vault, uploadId=upload_id, marker=marker)


# ============================================================== list uploads

def test_list_multipart_uploads_fields(glacier, vault):
    upload_id = initiate(glacier, vault, 2 * MIB, description="upload listing")
    resp = glacier.list_multipart_uploads(accountId="-", vaultName=vault)
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert resp["UploadsList"] == [{
        "ArchiveDescription": "upload listing",
        "CreationDate": resp["UploadsList"][0]["CreationDate"],
        "MultipartUploadId": upload_id,
        "PartSizeInBytes": 2 * MIB,
        "VaultARN": ARN_PREFIX + vault,
    }]
    created = resp["UploadsList"][0]["CreationDate"]
    assert ISO_RE.match(created)
    assert_recent(created)
    assert created == glacier.list_parts(accountId="-", vaultName=vault,
                                         uploadId=upload_id)["CreationDate"]
    assert resp.get("Marker") is None


def test_list_multipart_uploads_empty_and_scoped_to_vault(glacier, vault, vault_name):
    other = vault_name()
    glacier.create_vault(accountId="-", vaultName=other)
    initiate(glacier, other)
    resp = glacier.list_multipart_uploads(accountId="-", vaultName=vault)
    assert resp["UploadsList"] == []
    assert resp.get("Marker") is None


def test_list_multipart_uploads_missing_vault(glacier, vault_name):
    with expect_error("ResourceNotFoundException", 404):
        glacier.list_multipart_uploads(accountId="-", vaultName=vault_name())


def test_list_multipart_uploads_default_limit_50(glacier, vault):
    with ThreadPoolExecutor(max_workers=8) as pool:
        ids = set(pool.map(lambda _: initiate(glacier, vault), range(53)))
    assert len(ids) == 53
    page1 = glacier.list_multipart_uploads(accountId="-", vaultName=vault)
    assert len(page1["UploadsList"]) == 50
    assert page1.get("Marker")
    page2 = glacier.list_multipart_uploads(accountId="-", vaultName=vault, marker=page1["Marker"])
    assert len(page2["UploadsList"]) == 3
    assert page2.get("Marker") is None
    got = [u["MultipartUploadId"] for u in page1["UploadsList"] + page2["UploadsList"]]
    assert len(got) == len(set(got)) and set(got) == ids


@pytest.mark.parametrize("limit", [1, 2, 3])
def test_list_multipart_uploads_manual_pagination(glacier, vault, limit):
    ids = {initiate(glacier, vault) for _ in range(5)}
    seen, marker, pages = [], None, 0
    while True:
        kw = {"accountId": "-", "vaultName": vault, "limit": str(limit)}
        if marker:
            kw["marker"] = marker
        resp = glacier.list_multipart_uploads(**kw)
        pages += 1
        assert len(resp["UploadsList"]) <= limit
        seen += [u["MultipartUploadId"] for u in resp["UploadsList"]]
        marker = resp.get("Marker")
        if not marker:
            break
        assert pages < 20
    assert len(seen) == len(set(seen)) and set(seen) == ids


def test_list_multipart_uploads_paginator(glacier, vault):
    ids = {initiate(glacier, vault) for _ in range(7)}
    pages = list(glacier.get_paginator("list_multipart_uploads").paginate(
        accountId="-", vaultName=vault, PaginationConfig={"PageSize": 2}))
    assert len(pages) == 4
    got = [u["MultipartUploadId"] for p in pages for u in p["UploadsList"]]
    assert len(got) == 7 and set(got) == ids


def test_list_multipart_uploads_drops_completed_and_aborted(glacier, vault):
    a, b, c = (initiate(glacier, vault) for _ in range(3))
    upload_part(glacier, vault, a, 0, b"done")
    complete(glacier, vault, a, 4, tree_hash(b"done"))
    glacier.abort_multipart_upload(accountId="-", vaultName=vault, uploadId=b)
    ids = [u["MultipartUploadId"] for u in
           glacier.list_multipart_uploads(accountId="-", vaultName=vault)["UploadsList"]]
    assert ids == [c]


@pytest.mark.parametrize("limit", ["0", "-1", "x", "3.0"])
def test_list_multipart_uploads_bad_limit(glacier, vault, limit):
    with expect_error("InvalidParameterValueException", 400):
        glacier.list_multipart_uploads(accountId="-", vaultName=vault, limit=limit)


@pytest.mark.parametrize("marker", ["bogus-marker", "NOSUCHUPLOADID"])
def test_list_multipart_uploads_unknown_marker(glacier, vault, marker):
    for _ in range(3):
        initiate(glacier, vault)
    with expect_error("InvalidParameterValueException", 400):
        glacier.list_multipart_uploads(accountId="-", vaultName=vault, marker=marker)


def finish_upload(client, vault, upload_id, how):
    if how == "complete":
        upload_part(client, vault, upload_id, 0, b"done")
        complete(client, vault, upload_id, 4, tree_hash(b"done"))
    else:
        client.abort_multipart_upload(accountId="-", vaultName=vault, uploadId=upload_id)


def upload_page(client, vault, marker=None, limit="2"):
    kw = {"accountId": "-", "vaultName": vault, "limit": limit}
    if marker is not None:
        kw["marker"] = marker
    resp = client.list_multipart_uploads(**kw)
    return [u["MultipartUploadId"] for u in resp["UploadsList"]], resp.get("Marker")


@pytest.mark.parametrize("how", ["complete", "abort"])
def test_list_multipart_uploads_marker_of_upload_finished_since(glacier, vault, how):
    """The marker is the ID of the first upload of the next page. That upload completed or
    aborted before the next page is asked for: the next page starts after it (it was a 400)."""
    ids = [initiate(glacier, vault) for _ in range(6)]
    page1, marker = upload_page(glacier, vault)
    assert (page1, marker) == (ids[0:2], ids[2]), "the marker stays the next upload's ID"
    finish_upload(glacier, vault, marker, how)
    page2, marker2 = upload_page(glacier, vault, marker)
    assert (page2, marker2) == (ids[3:5], ids[5])
    page3, marker3 = upload_page(glacier, vault, marker2)
    assert (page3, marker3) == ([ids[5]], None)
    # The same page again gives the same answer; the upload finished is never listed.
    assert upload_page(glacier, vault, marker) == (page2, marker2)
    assert upload_page(glacier, vault, marker, limit="50") == (ids[3:6], None)


def test_list_multipart_uploads_paging_while_marked_uploads_finish(glacier, vault):
    """Every page's marker names an upload that is completed or aborted before the next page
    is asked for: the pages hold every other upload once, in creation order."""
    ids = [initiate(glacier, vault) for _ in range(9)]
    seen, finished, marker = [], [], None
    for turn in range(10):
        page, marker = upload_page(glacier, vault, marker)
        seen += page
        if marker is None:
            break
        assert marker == [i for i in ids if i not in finished][len(seen)]
        finish_upload(glacier, vault, marker, ("complete", "abort")[turn % 2])
        finished.append(marker)
    assert marker is None
    assert len(finished) == 3
    assert seen == [i for i in ids if i not in finished]


def test_list_multipart_uploads_marker_of_upload_finished_elsewhere_400(glacier, vault, vault_name):
    """A marker places the listing only in the vault whose upload it named."""
    other = vault_name()
    glacier.create_vault(accountId="-", vaultName=other)
    stranger = initiate(glacier, other)
    glacier.abort_multipart_upload(accountId="-", vaultName=other, uploadId=stranger)
    initiate(glacier, vault)
    with expect_error("InvalidParameterValueException", 400):
        glacier.list_multipart_uploads(accountId="-", vaultName=vault, marker=stranger)
    assert upload_page(glacier, other, stranger) == ([], None)
