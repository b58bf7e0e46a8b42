#!/usr/bin/env python3
"""Copy every archive of an Amazon Glacier vault into an S3 bucket, and check every byte.

Glacier's vault API takes no new customers, and AWS recommends moving vault archives to the
S3 Glacier storage classes. This program does that for one vault, in the steps of the AWS
Guidance "Data Transfer from Amazon S3 Glacier Vaults to Amazon S3" (inventory, retrieval
jobs, ranged downloads uploaded as multipart parts with their checksums), without the cloud
machinery around it:

1. Inventory. An inventory-retrieval job lists the vault's archives, as Glacier's last
   inventory of the vault shows them (Glacier takes one about once a day, so an archive
   uploaded since is not listed, and one deleted since may still be).
2. Retrieval. An archive-retrieval job per archive. Jobs take hours on AWS (Bulk: 5-12,
   Standard: 3-5), so the program starts up to --max-jobs of them and polls DescribeJob
   every --poll-interval seconds. A job's output stays available for 24 hours after the
   job completes.
3. Copy. The output is downloaded in ranges of --part-size MiB (a power of two, so each range
   is "tree-hash aligned" and GetJobOutput answers it with its SHA-256 tree hash). Each
   range's tree hash is checked, the range is uploaded as one part of an S3 multipart upload
   with its SHA-256 checksum (ChecksumAlgorithm SHA256), and the ranges' tree hashes are
   combined into the archive's, which must equal the inventory's before the upload is
   completed. The S3 object is then read back (HeadObject) to check its size and checksum.
   Its key is PREFIX + archive ID (descriptions need not be unique); the description,
   tree hash, archive ID and creation date go into the object's metadata.
4. Report. What was copied, what was skipped (copied by an earlier run, or deleted from the
   vault after the inventory) and what failed, with the reason. The exit code is 1 when
   anything failed, else 0.

Progress is kept in a JSON state file (--state), rewritten atomically after every step: the
inventory, each archive's job ID, its S3 upload ID and the parts already uploaded. A run that
is stopped (Ctrl-C, kill, a reboot) and started again with the same --state goes on where it
stopped: it takes no new inventory, reuses the jobs it started (unless they expired), does
not download or upload again a part already uploaded, and skips archives already copied.
Archives that failed are tried again.

Example (against glacier-mock and moto's server; docs/migration.md walks through it):

    python3 examples/migrate-to-s3/migrate.py \\
        --glacier-endpoint http://127.0.0.1:9901 --vault photos \\
        --s3-endpoint http://127.0.0.1:5000 --bucket photos-archive \\
        --state photos.state.json --region us-east-1 --poll-interval 1

Needs boto3. Credentials come from boto3's usual places (environment, ~/.aws, roles).
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import json
import os
import sys
import tempfile
import time
from pathlib import Path

import boto3
import botocore.config
from botocore.exceptions import BotoCoreError, ClientError

MIB = 1024 * 1024

# S3 multipart limits (Amazon S3 User Guide, "Amazon S3 multipart upload limits"): at most
# 10,000 parts of 5 MiB (except the last) to 5 GiB each; an object of at most 5 TiB. (A Glacier
# archive may be up to 40 TiB: a larger one than 5 TiB cannot become one S3 object.)
S3_MAX_PARTS = 10_000
S3_MAX_OBJECT_SIZE = 5 * 1024 ** 4

# botocore's "standard" retry mode retries throttling errors (ThrottlingException,
# RequestLimitExceeded, SlowDown...) and transient 5xx answers with exponential backoff.
RETRIES = {"mode": "standard", "max_attempts": 10}

STATE_VERSION = 1


# ---------------------------------------------------------------------------------------------
# Glacier's SHA-256 tree hash (Developer Guide, "Computing Checksums"): hash every 1 MiB of
# data (the last piece may be shorter), then hash adjacent pairs of hashes level by level
# (an odd hash out goes up unchanged) until one is left.
# ---------------------------------------------------------------------------------------------

def combine_tree_hashes(hashes: list[bytes]) -> bytes:
    """The root of a tree hash whose lowest level is `hashes` (binary digests, in order).

    The lowest level can be the 1 MiB leaves, or the tree hashes of consecutive ranges whose
    size is the same power of two of 1 MiB (all but the last, which may be shorter): Glacier
    builds its trees so that such a range is exactly one node.
    """
    if not hashes:
        raise ValueError("a tree hash needs at least one hash")
    level = list(hashes)
    while len(level) > 1:
        paired = [hashlib.sha256(level[i] + level[i + 1]).digest() for i in range(0, len(level) - 1, 2)]
        if len(level) % 2 == 1:
            paired.append(level[-1])
        level = paired
    return level[0]


# ---------------------------------------------------------------------------------------------
# The state file
# ---------------------------------------------------------------------------------------------

class State:
    """The migration's progress, saved as JSON after every change.

    Layout:
        {"version": 1, "vault": ..., "bucket": ..., "prefix": ...,
         "inventory_job_id": "...",          # while the inventory job runs
         "inventory": {"InventoryDate": ..., "ArchiveList": [...]},   # once it is read
         "archives": {ARCHIVE_ID: {"status": "pending" | "copied" | "skipped" | "failed",
                                   "reason": "...", "job_id": "...", "upload_id": "...",
                                   "part_size": N, "parts": [{"PartNumber", "ETag",
                                   "ChecksumSHA256", "TreeHash"}], "key": "...", "etag": "..."}}}
    """

    def __init__(self, path: Path, data: dict):
        self.path = path
        self.data = data

    @classmethod
    def open(cls, path: Path, vault: str, bucket: str, prefix: str) -> "State":
        """Loads the state file, or starts a new one; refuses a file of another migration."""
        if path.exists():
            data = json.loads(path.read_text())
            if data.get("version") != STATE_VERSION:
                raise SystemExit(f"{path}: state file version {data.get('version')!r}, expected {STATE_VERSION}")
            mine = {"vault": vault, "bucket": bucket, "prefix": prefix}
            theirs = {key: data.get(key) for key in mine}
            if mine != theirs:
                raise SystemExit(f"{path} belongs to another migration ({theirs}); "
                                 f"use another --state file for {mine}")
            return cls(path, data)
        state = cls(path, {"version": STATE_VERSION, "vault": vault, "bucket": bucket, "prefix": prefix,
                           "inventory_job_id": None, "inventory": None, "archives": {}})
        state.save()
        return state

    def save(self) -> None:
        """Writes the whole state to a temporary file beside it, then renames it over the old
        one: a crash leaves either the old state or the new one, never half of one. The file
        and then its directory are synced, so the new state also survives a power cut."""
        directory = self.path.parent
        directory.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=self.path.name + ".", suffix=".tmp")
        try:
            with os.fdopen(fd, "w") as f:
                json.dump(self.data, f, indent=1, sort_keys=True)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        dir_fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)

    def archive(self, archive_id: str) -> dict:
        """The progress record of one archive (created as pending)."""
        return self.data["archives"].setdefault(archive_id, {"status": "pending"})


# ---------------------------------------------------------------------------------------------
# The migration
# ---------------------------------------------------------------------------------------------

class ArchiveFailed(Exception):
    """This archive cannot be copied in this run; the message says why."""


class JobExpired(Exception):
    """The archive's retrieval job is gone (its output expired); a new one is needed."""


class Migration:
    """Copies the archives of one vault into one bucket, keeping its progress in `state`."""

    def __init__(self, args: argparse.Namespace, glacier, s3, state: State):
        self.args = args
        self.glacier = glacier
        self.s3 = s3
        self.state = state
        self.copied: list[dict] = []
        self.skipped: list[dict] = []
        self.failed: list[dict] = []

    def log(self, message: str) -> None:
        print(message, flush=True)

    # -- the whole run ---------------------------------------------------------------------------

    def run(self) -> int:
        """The whole migration; returns the exit code."""
        self.glacier.describe_vault(accountId=self.args.account_id, vaultName=self.args.vault)
        self.s3.head_bucket(Bucket=self.args.bucket)
        archives = self.inventory()
        if self.args.inventory_only:
            for entry in archives:
                self.log(f"listed {entry['ArchiveId']} ({entry['Size']} bytes) "
                         f"{entry['ArchiveDescription']!r}")
            return 0

        waiting: list[dict] = []   # inventory entries not finished yet, in inventory order
        for entry in archives:
            record = self.state.archive(entry["ArchiveId"])
            if record["status"] == "copied":
                self.skipped.append({"ArchiveId": entry["ArchiveId"], "Key": record["key"],
                                     "Reason": "copied by an earlier run"})
            elif record["status"] == "skipped":
                self.skipped.append({"ArchiveId": entry["ArchiveId"], "Reason": record["reason"]})
            else:
                record["status"] = "pending"    # failed in an earlier run: try again
                waiting.append(entry)
        self.state.save()

        # Until no archive is left waiting: keep up to --max-jobs retrieval jobs running, copy
        # each archive whose job has succeeded, and sleep when there is nothing to do.
        while waiting:
            self.start_jobs(waiting)
            ready = [entry for entry in waiting if self.done_waiting(entry)]
            for entry in ready:
                waiting.remove(entry)
                if self.state.archive(entry["ArchiveId"])["status"] == "pending":
                    self.copy(entry)
            if waiting and not ready:
                running = sum(1 for e in waiting if self.state.archive(e["ArchiveId"]).get("job_id"))
                self.log(f"waiting for {running} retrieval jobs ({len(waiting)} archives to go)")
                time.sleep(self.args.poll_interval)
        return self.report()

    # -- 1. inventory ---------------------------------------------------------------------------

    def inventory(self) -> list[dict]:
        """The vault's archives, from the state file or from a (new or resumed) inventory job."""
        if self.state.data["inventory"] is not None:
            return self.state.data["inventory"]["ArchiveList"]
        job_id = self.state.data["inventory_job_id"]
        if job_id is not None:
            try:
                self.wait_for_inventory_job(job_id)
            except JobExpired:
                self.log(f"inventory job {job_id} has expired; starting a new one")
                job_id = None
        if job_id is None:
            try:
                job_id = self.glacier.initiate_job(
                    accountId=self.args.account_id, vaultName=self.args.vault,
                    jobParameters={"Type": "inventory-retrieval", "Format": "JSON",
                                   "Description": "migrate-to-s3 inventory"})["jobId"]
            except ClientError as e:
                if error_code(e) == "ResourceNotFoundException":
                    # "A vault inventory must exist for you to be able to download it"
                    # (Developer Guide, "Working with Vaults").
                    raise SystemExit(f"vault {self.args.vault} has no inventory yet ({error_message(e)}); "
                                     "Glacier takes the first about a day after the first upload: run again later")
                raise
            self.state.data["inventory_job_id"] = job_id
            self.state.save()
            self.log(f"started inventory job {job_id}")
            self.wait_for_inventory_job(job_id)
        output = self.glacier.get_job_output(accountId=self.args.account_id, vaultName=self.args.vault,
                                             jobId=job_id)
        inventory = json.loads(output["body"].read())
        self.state.data["inventory"] = {"InventoryDate": inventory["InventoryDate"],
                                        "ArchiveList": inventory["ArchiveList"]}
        self.state.data["inventory_job_id"] = None
        self.state.save()
        archives = inventory["ArchiveList"]
        self.log(f"inventory of {inventory['InventoryDate']}: {len(archives)} archives, "
                 f"{sum(a['Size'] for a in archives)} bytes")
        return archives

    def wait_for_inventory_job(self, job_id: str) -> None:
        """Polls DescribeJob until the inventory job has succeeded."""
        while True:
            job = self.describe_job(job_id)
            if job["Completed"] and job["StatusCode"] == "Succeeded":
                return
            if job["Completed"]:
                self.state.data["inventory_job_id"] = None    # the next run starts a new one
                self.state.save()
                raise SystemExit(f"the inventory job {job_id} failed: {job.get('StatusMessage')}")
            self.log(f"waiting for the inventory job ({job['StatusCode']})")
            time.sleep(self.args.poll_interval)

    def describe_job(self, job_id: str) -> dict:
        try:
            return self.glacier.describe_job(accountId=self.args.account_id, vaultName=self.args.vault,
                                             jobId=job_id)
        except ClientError as e:
            if error_code(e) == "ResourceNotFoundException":
                raise JobExpired(job_id) from e
            raise

    # -- 2. retrieval jobs ----------------------------------------------------------------------

    def start_jobs(self, waiting: list[dict]) -> None:
        """Starts retrieval jobs for the next archives, up to --max-jobs running at once.

        An archive the vault no longer holds (deleted after the inventory) is skipped."""
        running = sum(1 for e in waiting if self.state.archive(e["ArchiveId"]).get("job_id"))
        for entry in waiting:
            if running >= self.args.max_jobs:
                return
            record = self.state.archive(entry["ArchiveId"])
            if record.get("job_id") or record["status"] != "pending":
                continue
            try:
                record["job_id"] = self.glacier.initiate_job(
                    accountId=self.args.account_id, vaultName=self.args.vault,
                    jobParameters={"Type": "archive-retrieval", "ArchiveId": entry["ArchiveId"],
                                   "Tier": self.args.tier,
                                   "Description": "migrate-to-s3 " + entry["ArchiveId"][:40]})["jobId"]
                running += 1
                self.log(f"started retrieval job for {entry['ArchiveId']}")
            except ClientError as e:
                if error_code(e) == "ResourceNotFoundException":
                    # The vault exists (checked at the start), so the archive is gone.
                    self.skip(entry, "not in the vault any more: deleted after the inventory was taken "
                                     f"({error_message(e)})")
                else:
                    self.fail(entry, f"InitiateJob: {describe_error(e)}")
            self.state.save()

    def done_waiting(self, entry: dict) -> bool:
        """True when the archive waits no longer: its retrieval job has succeeded (it can be
        copied now), or it was skipped or failed. False while its job has not been started
        (--max-jobs are running) or is still running."""
        record = self.state.archive(entry["ArchiveId"])
        if record["status"] != "pending":
            return True
        if not record.get("job_id"):
            return False
        try:
            job = self.describe_job(record["job_id"])
        except JobExpired:
            self.log(f"retrieval job for {entry['ArchiveId']} has expired; starting a new one")
            record["job_id"] = None
            self.state.save()
            return False
        except ClientError as e:
            self.fail(entry, f"DescribeJob: {describe_error(e)}")
            return True
        if not job["Completed"]:
            return False
        if job["StatusCode"] != "Succeeded":
            self.fail(entry, f"retrieval job {record['job_id']} failed: {job.get('StatusMessage')}")
        return True

    # -- 3. copy --------------------------------------------------------------------------------

    def copy(self, entry: dict) -> None:
        """Copies one archive whose retrieval job has succeeded; records the outcome."""
        archive_id = entry["ArchiveId"]
        record = self.state.archive(archive_id)
        try:
            self.copy_parts(entry, record)
        except JobExpired:
            record["job_id"] = None
            self.fail(entry, "the retrieval job's output expired before it was copied; the next run "
                             "starts a new job")
        except ArchiveFailed as e:
            self.fail(entry, str(e))
        except ClientError as e:
            if error_code(e) == "NoSuchUpload":    # aborted meanwhile, e.g. by a lifecycle rule
                record.update(upload_id=None, parts=[])
                self.fail(entry, f"the S3 multipart upload is gone; the next run starts a new one "
                                 f"({describe_error(e)})")
            else:
                self.fail(entry, describe_error(e))
        except (BotoCoreError, OSError) as e:
            self.fail(entry, describe_error(e))

    def copy_parts(self, entry: dict, record: dict) -> None:
        archive_id, size = entry["ArchiveId"], entry["Size"]
        if size > S3_MAX_OBJECT_SIZE:
            raise ArchiveFailed(f"{size} bytes: larger than S3's largest object ({S3_MAX_OBJECT_SIZE} bytes)")
        if record.get("upload_id") is None:
            record["part_size"] = part_size_for(size, self.args.part_size * MIB)
            record["key"] = self.args.prefix + archive_id
            record["upload_id"] = self.s3.create_multipart_upload(
                Bucket=self.args.bucket, Key=record["key"], ChecksumAlgorithm="SHA256",
                StorageClass=self.args.storage_class, Metadata=object_metadata(entry, self.args.vault),
            )["UploadId"]
            record["parts"] = []
            self.state.save()
        part_size = record["part_size"]
        part_count = -(-size // part_size)    # rounded up; Glacier has no empty archives
        for number in range(len(record["parts"]) + 1, part_count + 1):
            first = (number - 1) * part_size
            last = min(first + part_size, size) - 1
            record["parts"].append(self.copy_part(record, number, first, last))
            self.state.save()
            self.log(f"  part {number}/{part_count} of {archive_id[:20]}… copied (bytes {first}-{last})")

        # The ranges' tree hashes make the archive's; it must be the inventory's.
        tree_hash = combine_tree_hashes([bytes.fromhex(p["TreeHash"]) for p in record["parts"]]).hex()
        if tree_hash != entry["SHA256TreeHash"]:
            self.abort_upload(record)
            raise ArchiveFailed(f"the downloaded archive's tree hash {tree_hash} is not the inventory's "
                                f"{entry['SHA256TreeHash']}; the parts are downloaded again by the next run")
        parts = [{key: p[key] for key in ("PartNumber", "ETag", "ChecksumSHA256")} for p in record["parts"]]
        done = self.s3.complete_multipart_upload(Bucket=self.args.bucket, Key=record["key"],
                                                 UploadId=record["upload_id"], MultipartUpload={"Parts": parts})
        self.check_object(record, size)
        record.update(status="copied", etag=done["ETag"], upload_id=None, job_id=None)
        self.state.save()
        self.copied.append({"ArchiveId": archive_id, "Key": record["key"], "Size": size, "TreeHash": tree_hash})
        self.log(f"copied s3://{self.args.bucket}/{record['key']} ({size} bytes)")

    def copy_part(self, record: dict, number: int, first: int, last: int) -> dict:
        """Downloads bytes first..last of the job output, checks their tree hash, and uploads
        them as part `number`. Returns the part's record. The bytes go through a temporary
        file, so a part of any size takes little memory."""
        try:
            output = self.glacier.get_job_output(accountId=self.args.account_id, vaultName=self.args.vault,
                                                 jobId=record["job_id"], range=f"bytes={first}-{last}")
        except ClientError as e:
            if error_code(e) == "ResourceNotFoundException":
                raise JobExpired(record["job_id"]) from e
            raise
        with tempfile.TemporaryFile() as spool:
            leaves, linear, length = [], hashlib.sha256(), 0
            body = output["body"]
            while True:
                block = read_exactly(body, MIB)
                if not block:
                    break
                leaves.append(hashlib.sha256(block).digest())
                linear.update(block)
                spool.write(block)
                length += len(block)
            if length != last - first + 1:
                raise ArchiveFailed(f"GetJobOutput bytes {first}-{last} gave {length} bytes, "
                                    f"expected {last - first + 1}")
            tree_hash = combine_tree_hashes(leaves).hex()
            if output.get("checksum") != tree_hash:
                raise ArchiveFailed(f"bytes {first}-{last}: tree hash {tree_hash}, Glacier sent "
                                    f"{output.get('checksum')!r} (x-amz-sha256-tree-hash)")
            checksum = base64.b64encode(linear.digest()).decode()
            spool.seek(0)
            answer = self.s3.upload_part(Bucket=self.args.bucket, Key=record["key"], UploadId=record["upload_id"],
                                         PartNumber=number, Body=spool, ContentLength=length,
                                         ChecksumSHA256=checksum)
        return {"PartNumber": number, "ETag": answer["ETag"], "ChecksumSHA256": checksum, "TreeHash": tree_hash}

    def check_object(self, record: dict, size: int) -> None:
        """Reads back the new object's size and SHA-256 checksum. S3 keeps a multipart object's
        checksum as the SHA-256 of its parts' SHA-256 digests, followed by -PARTCOUNT."""
        head = self.s3.head_object(Bucket=self.args.bucket, Key=record["key"], ChecksumMode="ENABLED")
        digests = b"".join(base64.b64decode(p["ChecksumSHA256"]) for p in record["parts"])
        expected = base64.b64encode(hashlib.sha256(digests).digest()).decode()
        stored = (head.get("ChecksumSHA256") or "").split("-")[0]   # base64 has no "-"
        if head["ContentLength"] != size or stored != expected:
            raise ArchiveFailed(f"s3://{self.args.bucket}/{record['key']} has {head['ContentLength']} bytes "
                                f"and checksum {head.get('ChecksumSHA256')!r}; expected {size} bytes and {expected}")

    def abort_upload(self, record: dict) -> None:
        """Abandons the archive's multipart upload, so the next run starts it afresh."""
        try:
            self.s3.abort_multipart_upload(Bucket=self.args.bucket, Key=record["key"], UploadId=record["upload_id"])
        except ClientError as e:
            self.log(f"could not abort upload {record['upload_id']}: {describe_error(e)}")
        record.update(upload_id=None, parts=[])

    # -- 4. outcomes and the report ----------------------------------------------------------------

    def skip(self, entry: dict, reason: str) -> None:
        record = self.state.archive(entry["ArchiveId"])
        record.update(status="skipped", reason=reason)
        self.state.save()
        self.skipped.append({"ArchiveId": entry["ArchiveId"], "Reason": reason})
        self.log(f"skipped {entry['ArchiveId']}: {reason}")

    def fail(self, entry: dict, reason: str) -> None:
        record = self.state.archive(entry["ArchiveId"])
        record.update(status="failed", reason=reason)
        self.state.save()
        self.failed.append({"ArchiveId": entry["ArchiveId"], "Reason": reason})
        self.log(f"FAILED {entry['ArchiveId']}: {reason}")

    def report(self) -> int:
        """Prints the summary, writes --report, returns the exit code."""
        copied_bytes = sum(c["Size"] for c in self.copied)
        self.log(f"done: {len(self.copied)} copied ({copied_bytes} bytes), {len(self.skipped)} skipped, "
                 f"{len(self.failed)} failed")
        for item in self.failed:
            self.log(f"  failed {item['ArchiveId']}: {item['Reason']}")
        if self.failed:
            self.log(f"run again with --state {self.state.path} to retry the failed archives")
        if self.args.report:
            report = {"Vault": self.args.vault, "Bucket": self.args.bucket,
                      "Copied": self.copied, "Skipped": self.skipped, "Failed": self.failed}
            Path(self.args.report).write_text(json.dumps(report, indent=1) + "\n")
        return 1 if self.failed else 0


# ---------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------

def part_size_for(archive_size: int, minimum: int) -> int:
    """The part size for an archive: `minimum` (a power of two of 1 MiB), doubled until the
    archive fits in S3's 10,000 parts. Doubling keeps every range tree-hash aligned."""
    size = minimum
    while size * S3_MAX_PARTS < archive_size:
        size *= 2
    return size


def object_metadata(entry: dict, vault: str) -> dict:
    """The S3 user metadata that keeps what Glacier knew about the archive. A description is
    printable ASCII and reached Glacier in a header, as S3 metadata does, so it is kept as is."""
    return {"glacier-vault": vault,
            "glacier-archive-id": entry["ArchiveId"],
            "glacier-description": entry["ArchiveDescription"],
            "glacier-sha256-tree-hash": entry["SHA256TreeHash"],
            "glacier-creation-date": entry["CreationDate"]}


def read_exactly(stream, size: int) -> bytes:
    """Up to `size` bytes from a stream: fewer only at its end."""
    chunks, remaining = [], size
    while remaining > 0:
        chunk = stream.read(remaining)
        if not chunk:
            break
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def error_code(error: ClientError) -> str:
    return error.response.get("Error", {}).get("Code", "")


def error_message(error: ClientError) -> str:
    return error.response.get("Error", {}).get("Message", "")


def describe_error(error: Exception) -> str:
    if isinstance(error, ClientError):
        return f"{error_code(error)}: {error_message(error)} ({error.operation_name})"
    return f"{type(error).__name__}: {error}"


def power_of_two_mib(text: str) -> int:
    """argparse type of --part-size: a power of two from 8 to 4096 (MiB)."""
    value = int(text)
    if not 8 <= value <= 4096 or value & (value - 1):
        raise argparse.ArgumentTypeError(
            f"{text}: the part size must be a power of two from 8 to 4096 (MiB): a power of two so that "
            "every range is tree-hash aligned, and S3 parts are at least 5 MiB and at most 5 GiB")
    return value


def positive_number(text: str) -> float:
    value = float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{text}: must be more than 0")
    return value


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Copy the archives of a Glacier vault into an S3 bucket, resumably, checking every byte.")
    parser.add_argument("--vault", required=True, help="the vault to copy")
    parser.add_argument("--bucket", required=True, help="the S3 bucket to copy into (it must exist)")
    parser.add_argument("--state", default=None,
                        help="the progress file (default: VAULT.migrate-state.json); run again with the same "
                             "file to resume")
    parser.add_argument("--glacier-endpoint", default=None, help="Glacier endpoint URL (default: AWS's)")
    parser.add_argument("--s3-endpoint", default=None, help="S3 endpoint URL (default: AWS's)")
    parser.add_argument("--region", default=None, help="AWS region (default: boto3's configuration)")
    parser.add_argument("--account-id", default="-", help="the vault's account ID (default: -, the caller's)")
    parser.add_argument("--prefix", default=None,
                        help="S3 key prefix (default: VAULT/); an object's key is PREFIX + archive ID")
    parser.add_argument("--storage-class", default="GLACIER",
                        help="S3 storage class of the objects (default: GLACIER, S3 Glacier Flexible "
                             "Retrieval, whose retrieval tiers are the vault's; DEEP_ARCHIVE costs less)")
    parser.add_argument("--tier", default="Bulk", choices=["Bulk", "Standard", "Expedited"],
                        help="retrieval tier of the archive jobs (default: Bulk, the cheapest)")
    parser.add_argument("--part-size", type=power_of_two_mib, default=16,
                        help="MiB per downloaded range and S3 part: a power of two from 8 to 4096 (default: 16); "
                             "doubled for an archive that would need more than 10,000 parts")
    parser.add_argument("--max-jobs", type=int, default=100,
                        help="retrieval jobs running at once (default: 100); a job's output expires 24 hours "
                             "after it completes, so keep this to what can be copied in a day")
    parser.add_argument("--poll-interval", type=positive_number, default=600.0,
                        help="seconds between DescribeJob polls (default: 600)")
    parser.add_argument("--inventory-only", action="store_true",
                        help="take the inventory, save it in the state file, list it and stop")
    parser.add_argument("--report", default=None, help="also write the report as JSON to this file")
    args = parser.parse_args(argv)
    if args.max_jobs < 1:
        parser.error("--max-jobs must be at least 1")
    if args.prefix is None:
        args.prefix = args.vault + "/"
    if args.state is None:
        args.state = args.vault + ".migrate-state.json"
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    config = botocore.config.Config(retries=RETRIES)
    glacier = boto3.client("glacier", endpoint_url=args.glacier_endpoint, region_name=args.region, config=config)
    s3 = boto3.client("s3", endpoint_url=args.s3_endpoint, region_name=args.region, config=config)
    state = State.open(Path(args.state), args.vault, args.bucket, args.prefix)
    try:
        return Migration(args, glacier, s3, state).run()
    except (ClientError, BotoCoreError) as e:
        # Errors outside one archive's copy (the vault, the bucket, the inventory) stop the run.
        print(f"migrate-to-s3: {describe_error(e)}", file=sys.stderr)
        print(f"progress is kept in {args.state}; run again to resume", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
