#!/usr/bin/env python3
"""Soak run: many concurrent clients, a fixed number of Glacier operations mixing all 33.

Each client (a thread with its own boto3 client) owns the archives and uploads it
creates, in vaults shared by 8 clients, plus a private vault for lock, policy and
notification configuration. Flows: multipart uploads (part size 1, 2 or 4 MiB, 1-3
parts, the last one partial), aborts, single-request archives, retrievals (whole, a
MiB-aligned RetrievalByteRange, GetJobOutput with tree-hash-aligned and unaligned
Range headers — every byte and every returned tree hash checked), inventories (JSON and
CSV, each listing every archive the client holds), listings and descriptions, tags,
deletes, vault lifecycle, vault configuration, retrieval policy and provisioned capacity.

Afterwards every surviving archive is downloaded through a retrieval job and compared
byte for byte with what was uploaded, and `glacier-mock verify` must exit 0.

Prints a Markdown summary: per operation count, p50/p90/p99/max latency and 5xx count;
throughput; peak RSS of the server (VmHWM). Exit status 1 on any 5xx, unexpected error,
byte mismatch or verify failure.

Environment: SOAK_OPS (20000), SOAK_CLIENTS (64), SOAK_SEED (random, printed),
SOAK_DATA_DIR (a temporary directory, removed afterwards unless given), SOAK_REPORT
(also write the Markdown there), GLACIER_MOCK_BIN (.build/debug/glacier-mock).
"""

from __future__ import annotations

import collections
import csv
import hashlib
import io
import itertools
import json
import os
import random
import shutil
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "Tests" / "conformance"))

import boto3  # noqa: E402
import botocore.config  # noqa: E402
from botocore.exceptions import BotoCoreError, ClientError  # noqa: E402

from helpers import (  # noqa: E402
    ACCESS_KEY, DEFAULT_REGION, MIB, SECRET_KEY, GlacierServer, run_verify, server_binary, take_inventory, tree_hash,
)

OPS = int(os.environ.get("SOAK_OPS", "20000"))
CLIENTS = int(os.environ.get("SOAK_CLIENTS", "64"))
SEED = int(os.environ.get("SOAK_SEED") or random.randrange(2 ** 32))
SHARED_VAULTS = 8


def client(endpoint: str):
    return boto3.session.Session().client(
        "glacier", endpoint_url=endpoint, region_name=DEFAULT_REGION,
        aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY,
        config=botocore.config.Config(retries={"total_max_attempts": 1, "mode": "standard"},
                                      connect_timeout=10, read_timeout=300, max_pool_connections=2))


def data_for(seed: str, size: int) -> bytes:
    return random.Random(seed).randbytes(size)


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.latency = collections.defaultdict(list)   # op -> seconds
        self.server_errors = collections.Counter()     # op -> 5xx count
        self.problems: list[str] = []
        self.ops = itertools.count()
        self.done = 0
        self.bytes_up = 0
        self.bytes_down = 0

    def record(self, op: str, seconds: float, status: int | None):
        with self.lock:
            self.latency[op].append(seconds)
            self.done += 1
            if status is not None and status >= 500:
                self.server_errors[op] += 1

    def moved(self, up: int = 0, down: int = 0):
        with self.lock:
            self.bytes_up += up
            self.bytes_down += down

    def problem(self, text: str):
        with self.lock:
            self.problems.append(text)
            print("PROBLEM:", text, file=sys.stderr, flush=True)


class Failed(Exception):
    pass


class Client:
    """One simulated user: its own boto3 client, archives and uploads."""

    def __init__(self, n: int, endpoint: str, stats: Stats):
        self.n = n
        self.c = client(endpoint)
        self.stats = stats
        self.rng = random.Random(f"{SEED}-{n}")
        self.vault = f"soak-{n % SHARED_VAULTS}"
        self.private = f"soak-private-{n}"
        self.archives: dict[str, tuple[str, str, int]] = {}   # id -> (vault, data seed, size)
        self.locked = False
        self.seq = 0

    def call(self, op: str, **kw):
        method = getattr(self.c, op)
        t0 = time.perf_counter()
        try:
            resp = method(**kw)
            if "body" in resp and hasattr(resp["body"], "read"):
                resp["body"] = resp["body"].read()
        except ClientError as e:
            status = e.response["ResponseMetadata"].get("HTTPStatusCode")
            self.stats.record(op, time.perf_counter() - t0, status)
            self.stats.problem(f"client {self.n} {op}: HTTP {status} {e.response.get('Error')}")
            raise Failed() from e
        except BotoCoreError as e:
            self.stats.record(op, time.perf_counter() - t0, None)
            self.stats.problem(f"client {self.n} {op}: {e!r}")
            raise Failed() from e
        self.stats.record(op, time.perf_counter() - t0, resp["ResponseMetadata"]["HTTPStatusCode"])
        return resp

    def check(self, ok: bool, text: str):
        if not ok:
            self.stats.problem(f"client {self.n}: {text}")
            raise Failed()

    def new_seed(self) -> str:
        self.seq += 1
        return f"{SEED}-{self.n}-{self.seq}"

    # -- flows ---------------------------------------------------------------
    def multipart(self, abort=False):
        ps = self.rng.choice([1, 2, 4]) * MIB
        nparts = 1 if abort else self.rng.randint(1, 3)
        size = (nparts - 1) * ps + self.rng.randint(1, ps)
        seed = self.new_seed()
        data = data_for(seed, size)
        upload_id = self.call("initiate_multipart_upload", accountId="-", vaultName=self.vault,
                              partSize=str(ps), archiveDescription=f"soak {seed}")["uploadId"]
        firsts = list(range(0, size, ps))
        self.rng.shuffle(firsts)
        for first in firsts:
            chunk = data[first:first + ps]
            r = self.call("upload_multipart_part", accountId="-", vaultName=self.vault, uploadId=upload_id,
                          range=f"bytes {first}-{first + len(chunk) - 1}/*", body=chunk, checksum=tree_hash(chunk))
            self.check(r["checksum"] == tree_hash(chunk), "part tree hash echoed wrong")
            self.stats.moved(up=len(chunk))
        if abort or self.rng.random() < 0.3:
            parts = self.call("list_parts", accountId="-", vaultName=self.vault, uploadId=upload_id)["Parts"]
            self.check(len(parts) == len(firsts), f"ListParts shows {len(parts)} of {len(firsts)} parts")
        if abort:
            ups = self.call("list_multipart_uploads", accountId="-", vaultName=self.vault, limit="1000")
            self.check(upload_id in {u["MultipartUploadId"] for u in ups["UploadsList"]} or ups.get("Marker"),
                       "own upload not listed")
            self.call("abort_multipart_upload", accountId="-", vaultName=self.vault, uploadId=upload_id)
            return
        r = self.call("complete_multipart_upload", accountId="-", vaultName=self.vault, uploadId=upload_id,
                      archiveSize=str(size), checksum=tree_hash(data))
        self.archives[r["archiveId"]] = (self.vault, seed, size)

    def upload_archive(self):
        size = self.rng.randint(1, 256 * 1024) if self.rng.random() < 0.7 else self.rng.randint(256 * 1024, 2 * MIB)
        seed = self.new_seed()
        data = data_for(seed, size)
        r = self.call("upload_archive", accountId="-", vaultName=self.vault, body=data,
                      checksum=tree_hash(data), archiveDescription=f"soak {seed}")
        self.stats.moved(up=size)
        self.archives[r["archiveId"]] = (self.vault, seed, size)

    def retrieve(self):
        if not self.archives:
            return self.upload_archive()
        archive_id = self.rng.choice(sorted(self.archives))
        vault, seed, size = self.archives[archive_id]
        data = data_for(seed, size)
        params = {"Type": "archive-retrieval", "ArchiveId": archive_id,
                  "Tier": self.rng.choice(["Expedited", "Standard", "Bulk"])}
        base, length = 0, size
        if size > MIB and self.rng.random() < 0.5:
            start = self.rng.randrange(0, size // MIB) * MIB
            end = self.rng.choice([min(size, start + MIB), size]) - 1
            params["RetrievalByteRange"] = f"{start}-{end}"
            base, length = start, end - start + 1
        job_id = self.call("initiate_job", accountId="-", vaultName=vault, jobParameters=params)["jobId"]
        d = self.call("describe_job", accountId="-", vaultName=vault, jobId=job_id)
        self.check(d["StatusCode"] == "Succeeded", f"job {job_id} is {d['StatusCode']}")
        expected = data[base:base + length]
        kind = self.rng.choice(["whole", "aligned", "unaligned"])
        kw = {}
        if kind == "aligned" and length > MIB:
            a = self.rng.randrange(0, length // MIB) * MIB
            kw["range"] = f"bytes={a}-{min(a + MIB, length) - 1}"
            part = expected[a:min(a + MIB, length)]
        elif kind == "unaligned" and length > 2:
            a = self.rng.randrange(0, length - 1)
            b = self.rng.randrange(a, length)
            kw["range"] = f"bytes={a}-{b}"
            part = expected[a:b + 1]
        else:
            part = expected
        r = self.call("get_job_output", accountId="-", vaultName=vault, jobId=job_id, **kw)
        self.stats.moved(down=len(r["body"]))
        self.check(r["body"] == part, f"retrieval of {archive_id} {params.get('RetrievalByteRange')} {kw} differs")
        if r.get("checksum"):
            self.check(r["checksum"] == tree_hash(part), f"wrong output tree hash for {kw}")

    def inventory(self):
        fmt = self.rng.choice(["JSON", "CSV"])
        mine = {a for a, (v, _, _) in self.archives.items() if v == self.vault}
        # The job returns the vault's last inventory: take it now (Glacier: about once a day),
        # or a vault never written to has none.
        states = take_inventory(self.c.meta.endpoint_url, self.vault)
        if all(st["LastInventoryDate"] is None for st in states):
            return   # no archive ever written to the vault: no inventory to download
        job_id = self.call("initiate_job", accountId="-", vaultName=self.vault,
                           jobParameters={"Type": "inventory-retrieval", "Format": fmt})["jobId"]
        body = self.call("get_job_output", accountId="-", vaultName=self.vault, jobId=job_id)["body"]
        if fmt == "JSON":
            listed = {a["ArchiveId"] for a in json.loads(body)["ArchiveList"]}
        else:
            listed = {row["ArchiveId"] for row in csv.DictReader(io.StringIO(body.decode()))}
        self.check(mine <= listed, f"inventory misses {len(mine - listed)} of the client's archives")

    def listings(self):
        op = self.rng.choice(["list_vaults", "describe_vault", "list_jobs", "list_multipart_uploads",
                              "list_provisioned_capacity", "get_data_retrieval_policy"])
        kw = {"accountId": "-"}
        if op in ("describe_vault", "list_jobs", "list_multipart_uploads"):
            kw["vaultName"] = self.vault
        if op == "list_jobs":
            kw.update(self.rng.choice([{}, {"completed": "true"}, {"statuscode": "Succeeded"}, {"limit": "5"}]))
        self.call(op, **kw)

    def tags(self):
        key = f"c{self.n}"
        self.call("add_tags_to_vault", accountId="-", vaultName=self.vault, Tags={key: str(self.seq)})
        tags = self.call("list_tags_for_vault", accountId="-", vaultName=self.vault)["Tags"]
        self.check(tags.get(key) == str(self.seq), f"tag {key} not listed")
        self.call("remove_tags_from_vault", accountId="-", vaultName=self.vault, TagKeys=[key])

    def delete_archive(self):
        if not self.archives:
            return self.upload_archive()
        archive_id = self.rng.choice(sorted(self.archives))
        vault, _, _ = self.archives.pop(archive_id)
        self.call("delete_archive", accountId="-", vaultName=vault, archiveId=archive_id)

    def vault_config(self):
        v = self.private
        policy = json.dumps({"Version": "2012-10-17", "Statement": [{
            "Sid": "soak", "Effect": "Allow", "Principal": "*", "Action": "glacier:ListJobs",
            "Resource": f"arn:aws:glacier:{DEFAULT_REGION}:123456789012:vaults/{v}"}]})
        which = self.rng.choice(["policy", "notifications", "lock"])
        if which == "policy":
            self.call("set_vault_access_policy", accountId="-", vaultName=v, policy={"Policy": policy})
            self.call("get_vault_access_policy", accountId="-", vaultName=v)
            self.call("delete_vault_access_policy", accountId="-", vaultName=v)
        elif which == "notifications":
            self.call("set_vault_notifications", accountId="-", vaultName=v, vaultNotificationConfig={
                "SNSTopic": f"arn:aws:sns:{DEFAULT_REGION}:123456789012:soak-{self.n}",
                "Events": ["ArchiveRetrievalCompleted", "InventoryRetrievalCompleted"]})
            self.call("get_vault_notifications", accountId="-", vaultName=v)
            self.call("delete_vault_notifications", accountId="-", vaultName=v)
        elif self.locked:
            self.call("get_vault_lock", accountId="-", vaultName=v)
        else:
            lock_id = self.call("initiate_vault_lock", accountId="-", vaultName=v, policy={"Policy": policy})["lockId"]
            self.call("get_vault_lock", accountId="-", vaultName=v)
            if self.rng.random() < 0.3:
                self.call("complete_vault_lock", accountId="-", vaultName=v, lockId=lock_id)
                self.locked = True
            else:
                self.call("abort_vault_lock", accountId="-", vaultName=v)

    def vault_lifecycle(self):
        v = f"soak-tmp-{self.n}-{self.seq}"
        self.seq += 1
        self.call("create_vault", accountId="-", vaultName=v)
        self.call("describe_vault", accountId="-", vaultName=v)
        self.call("delete_vault", accountId="-", vaultName=v)

    def retrieval_policy(self):
        self.call("set_data_retrieval_policy", accountId="-", Policy={"Rules": [{"Strategy": "None"}]})
        self.call("get_data_retrieval_policy", accountId="-")

    FLOWS = [("multipart", 12), ("abort", 3), ("upload_archive", 12), ("retrieve", 12), ("inventory", 3),
             ("listings", 10), ("tags", 5), ("delete_archive", 6), ("vault_config", 4),
             ("vault_lifecycle", 2), ("retrieval_policy", 1)]

    def run(self, stop_at: int):
        self.call("create_vault", accountId="-", vaultName=self.private)
        if self.n < 2:   # two provisioned capacity units per account
            self.call("purchase_provisioned_capacity", accountId="-")
        names = [f for f, _ in self.FLOWS]
        weights = [w for _, w in self.FLOWS]
        while self.stats.done < stop_at:
            flow = self.rng.choices(names, weights)[0]
            try:
                if flow == "abort":
                    self.multipart(abort=True)
                else:
                    getattr(self, flow)()
            except Failed:
                pass


def percentile(values: list[float], p: float) -> float:
    if not values:
        return 0.0
    s = sorted(values)
    return s[min(len(s) - 1, int(round(p / 100 * (len(s) - 1))))]


def main() -> int:
    binary = server_binary() if os.environ.get("GLACIER_MOCK_BIN") else REPO / ".build" / "debug" / "glacier-mock"
    given_dir = os.environ.get("SOAK_DATA_DIR")
    base = Path(given_dir) if given_dir else Path(tempfile.mkdtemp(prefix="glacier-soak-"))
    print(f"soak: {OPS} operations, {CLIENTS} clients, SOAK_SEED={SEED}, data in {base}", flush=True)
    srv = GlacierServer(binary, base / "data", base / "server.log", env={"GLACIER_MOCK_LOG_LEVEL": "warning"})
    srv.start()
    stats = Stats()
    admin = client(srv.endpoint)
    for v in range(SHARED_VAULTS):
        admin.create_vault(accountId="-", vaultName=f"soak-{v}")

    rss_peak = [0]
    sampling = threading.Event()

    def sample():
        while not sampling.is_set():
            try:
                rss_peak[0] = max(rss_peak[0], srv.memory_kib("VmRSS"))
            except (AssertionError, FileNotFoundError):
                return
            sampling.wait(0.25)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    clients = [Client(n, srv.endpoint, stats) for n in range(CLIENTS)]
    t0 = time.perf_counter()
    with ThreadPoolExecutor(CLIENTS) as pool:
        futures = [pool.submit(c.run, OPS) for c in clients]
        last = time.perf_counter()
        while not all(f.done() for f in futures):
            time.sleep(1)
            if time.perf_counter() - last > 30:
                last = time.perf_counter()
                print(f"  {stats.done} operations, {time.perf_counter() - t0:.0f} s", flush=True)
        for f in futures:
            f.result()
    elapsed = time.perf_counter() - t0
    main_ops = stats.done
    main_latency = {op: list(v) for op, v in stats.latency.items()}
    main_5xx = sum(stats.server_errors.values())

    # Every surviving archive, byte for byte, through retrieval jobs.
    survivors = [(c, a) for c in clients for a in c.archives]
    mismatches = []

    def reread(item):
        cl, archive_id = item
        vault, seed, size = cl.archives[archive_id]
        c = cl.c
        job = c.initiate_job(accountId="-", vaultName=vault,
                             jobParameters={"Type": "archive-retrieval", "ArchiveId": archive_id})["jobId"]
        body = c.get_job_output(accountId="-", vaultName=vault, jobId=job)["body"].read()
        if hashlib.sha256(body).digest() != hashlib.sha256(data_for(seed, size)).digest():
            mismatches.append(archive_id)

    t1 = time.perf_counter()
    with ThreadPoolExecutor(16) as pool:
        list(pool.map(reread, survivors))
    reread_s = time.perf_counter() - t1
    sampling.set()
    sampler.join(timeout=5)
    hwm = srv.memory_kib("VmHWM")
    rss_end = srv.memory_kib("VmRSS")
    rc = srv.stop()
    t2 = time.perf_counter()
    verify = run_verify(srv.data_dir, binary)
    verify_s = time.perf_counter() - t2

    lines = [
        f"### Soak: {main_ops} operations, {CLIENTS} concurrent clients (seed {SEED})", "",
        "| operation | count | p50 ms | p90 ms | p99 ms | max ms | 5xx |", "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for op in sorted(main_latency):
        v = main_latency[op]
        lines.append(f"| {op} | {len(v)} | {percentile(v, 50) * 1000:.1f} | {percentile(v, 90) * 1000:.1f} | "
                     f"{percentile(v, 99) * 1000:.1f} | {max(v) * 1000:.1f} | {stats.server_errors.get(op, 0)} |")
    all_lat = [x for v in main_latency.values() for x in v]
    lines.append(f"| **all** | {len(all_lat)} | {percentile(all_lat, 50) * 1000:.1f} | "
                 f"{percentile(all_lat, 90) * 1000:.1f} | {percentile(all_lat, 99) * 1000:.1f} | "
                 f"{max(all_lat) * 1000:.1f} | {main_5xx} |")
    lines += [
        "",
        "| figure | value |", "|---|---|",
        f"| duration | {elapsed:.1f} s |",
        f"| throughput | {main_ops / elapsed:.0f} ops/s; {stats.bytes_up / MIB / elapsed:.1f} MiB/s up, "
        f"{stats.bytes_down / MIB / elapsed:.1f} MiB/s down |",
        f"| data | {stats.bytes_up / MIB:.0f} MiB uploaded, {stats.bytes_down / MIB:.0f} MiB retrieved |",
        f"| 5xx answers | {main_5xx} |",
        f"| other problems | {len(stats.problems)} |",
        f"| surviving archives re-read | {len(survivors)} in {reread_s:.1f} s, {len(mismatches)} differ |",
        f"| server peak RSS (VmHWM) | {hwm / 1024:.1f} MiB (sampled max VmRSS {rss_peak[0] / 1024:.1f} MiB, "
        f"{rss_end / 1024:.1f} MiB at the end) |",
        f"| `glacier-mock verify` | exit {verify.returncode} in {verify_s:.1f} s: {verify.stdout.strip().splitlines()[-1] if verify.stdout.strip() else verify.stderr.strip()} |",
        f"| server exit on SIGTERM | {rc} |",
    ]
    report = "\n".join(lines)
    print(report)
    if os.environ.get("SOAK_REPORT"):
        Path(os.environ["SOAK_REPORT"]).write_text(report + "\n")
    for p in stats.problems[:30]:
        print("problem:", p)
    failed = bool(main_5xx or stats.problems or mismatches or verify.returncode != 0 or rc != 0)
    if not given_dir and not failed:
        shutil.rmtree(base, ignore_errors=True)
    elif failed:
        print(f"data and server log kept in {base}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
