"""Crash safety: the server is killed with SIGKILL at random moments while several threads
upload parts, complete uploads and upload archives, then restarted on the same data dir.

The test keeps a model of what the server acknowledged (a response was received) and of
what was in flight when the process died (may or may not have committed). After every
restart it checks, through the API and on disk:

- every acknowledged part is listed by ListParts with its tree hash, and every listed part
  is one the client sent (acknowledged or in flight) with that part's tree hash;
- every acknowledged archive is in the inventory with its size and tree hash, the vault's
  counters match, and archives acknowledged in this round read back byte for byte;
- nothing unacknowledged is visible: an in-flight Initiate/UploadArchive/Complete is either
  absent or present whole (found by its unique description); no other upload or archive;
- the vault's last inventory (taken by a thread that calls POST /_mock/inventory all along,
  each one a transaction that may be cut by the kill) is whole: DescribeVault's counts are
  exactly what its inventory job lists, and it lists only archives the client uploaded;
- `glacier-mock verify` exits 0 (it also checks every vault's counters and last inventory
  against its archives) (on even rounds on the crashed data dir before the
  restart, on odd rounds beside the restarted server, which then recovers the raw state);
- after the restart DATA/tmp is empty and blob files match the metadata exactly.
In-flight outcomes are then folded into the model, so each round starts from exact state.
At the end every interrupted upload is resumed (missing parts re-uploaded) and completed,
and every archive is retrieved and compared.

CRASH_KILLS (default 12) sets the number of kills, CRASH_SEED the RNG seed (printed; it
fixes the client's choices and kill delays, not the thread interleaving).
"""

from __future__ import annotations

import json
import os
import random
import socket
import threading
import time
from dataclasses import dataclass, field

import boto3
import botocore.config
import requests
from botocore.exceptions import BotoCoreError, ClientError

from helpers import (
    ACCESS_KEY, DEFAULT_REGION, MIB, SECRET_KEY, assert_blobs_match_metadata, assert_verify_ok,
    inventory, inventory_job, job_output, list_all_parts, list_all_uploads, retrieve, temporaries, tree_hash,
)

KILLS = int(os.environ.get("CRASH_KILLS", "12"))
THREADS = int(os.environ.get("CRASH_THREADS", "4"))
VAULT = "crash"


def one_shot_client(endpoint: str):
    """No retries at all: a request either got a response or is 'in flight' at the kill."""
    return boto3.session.Session().client(
        "glacier", endpoint_url=endpoint, region_name=DEFAULT_REGION,
        aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY,
        config=botocore.config.Config(retries={"total_max_attempts": 1, "mode": "standard"},
                                      connect_timeout=5, read_timeout=60))


@dataclass
class Upload:
    key: str                  # unique archive description: finds it when its ID was never received
    data: bytes
    owner: int
    part_size: int = MIB
    upload_id: str | None = None
    initiate_maybe: bool = False
    acked: dict = field(default_factory=dict)   # first byte -> tree hash, acknowledged
    maybe: set = field(default_factory=set)     # first bytes in flight at a kill
    complete: str = "no"      # "no" | "maybe" | "done"
    archive_id: str | None = None

    def chunks(self):
        return {f: self.data[f:f + self.part_size] for f in range(0, len(self.data), self.part_size)}


@dataclass
class Archive:
    key: str
    data: bytes
    archive_id: str | None = None
    maybe: bool = False


class Lost(Exception):
    """The connection failed: the request may or may not have been committed."""


class Model:
    def __init__(self):
        self.lock = threading.Lock()
        self.uploads: list[Upload] = []
        self.archives: list[Archive] = []   # UploadArchive only; completed uploads are in uploads
        self.unexpected: list[str] = []
        self.in_flight_at_kills = 0
        self.acked_ops = 0
        self.round_checked: set[str] = set()  # archive IDs already read back

    def all_archives(self) -> dict[str, tuple[str, bytes]]:
        """archive ID -> (description, bytes) of every archive that exists for sure."""
        out = {}
        for u in self.uploads:
            if u.complete == "done":
                out[u.archive_id] = (u.key, u.data)
        for a in self.archives:
            if a.archive_id is not None and not a.maybe:
                out[a.archive_id] = (a.key, a.data)
        return out


def call(model: Model, fn, **kw):
    try:
        resp = fn(**kw)
    except ClientError as e:
        with model.lock:
            model.unexpected.append(f"{fn.__name__}: {e.response.get('Error')} "
                                    f"HTTP {e.response['ResponseMetadata'].get('HTTPStatusCode')}")
        raise Lost() from e
    except BotoCoreError as e:
        raise Lost() from e
    with model.lock:
        model.acked_ops += 1
    return resp


def worker(model: Model, client, rng: random.Random, t: int, rnd: int, stop: threading.Event):
    n = 0
    while not stop.is_set():
        n += 1
        key = f"crash-r{rnd}-t{t}-{n}"
        with model.lock:
            mine = [u for u in model.uploads if u.owner == t and u.complete == "no" and u.upload_id]
        choice = rng.random()
        try:
            if mine and choice < 0.5:
                drive_upload(model, client, rng.choice(mine), rng)
            elif choice < 0.8:
                u = Upload(key=key, data=rng.randbytes(rng.randrange(1, 7 * MIB // 2)), owner=t)
                with model.lock:
                    model.uploads.append(u)
                u.initiate_maybe = True
                resp = call(model, client.initiate_multipart_upload, accountId="-", vaultName=VAULT,
                            partSize=str(u.part_size), archiveDescription=u.key)
                u.upload_id, u.initiate_maybe = resp["uploadId"], False
                drive_upload(model, client, u, rng)
            else:
                a = Archive(key=key, data=rng.randbytes(rng.randrange(1, 700 * 1024)), maybe=True)
                with model.lock:
                    model.archives.append(a)
                resp = call(model, client.upload_archive, accountId="-", vaultName=VAULT,
                            archiveDescription=a.key, body=a.data, checksum=tree_hash(a.data))
                assert resp["checksum"] == tree_hash(a.data)
                a.archive_id, a.maybe = resp["archiveId"], False
        except Lost:
            return


def inventory_taker(endpoint: str, rng: random.Random, stop: threading.Event):
    """Takes the vault's inventory again and again (POST /_mock/inventory) until the kill."""
    while not stop.is_set():
        try:
            requests.post(endpoint + "/_mock/inventory", json={"VaultName": VAULT}, timeout=30)
        except requests.RequestException:
            return
        stop.wait(rng.uniform(0.0, 0.05))


def check_last_inventory(model: Model, client):
    """The last inventory survived the kill whole: its counts are what it lists, and it lists
    only archives the client uploaded (acknowledged or in flight)."""
    d = client.describe_vault(accountId="-", vaultName=VAULT)
    if d.get("LastInventoryDate") is None:
        assert (d["NumberOfArchives"], d["SizeInBytes"]) == (0, 0), d
        return
    _, body = job_output(client, VAULT, inventory_job(client, VAULT))
    listed = json.loads(body)["ArchiveList"]
    assert (len(listed), sum(a["Size"] for a in listed)) == (d["NumberOfArchives"], d["SizeInBytes"]), (
        "the last inventory's counts differ from what it lists")
    known = {u.key for u in model.uploads} | {a.key for a in model.archives}
    assert {a["ArchiveDescription"] for a in listed} <= known, "the last inventory lists archives nobody uploaded"


def drive_upload(model: Model, client, u: Upload, rng: random.Random):
    """Uploads the missing parts of `u` in random order, then completes it."""
    chunks = u.chunks()
    todo = [f for f in chunks if f not in u.acked]
    rng.shuffle(todo)
    for first in todo:
        data = chunks[first]
        u.maybe.add(first)
        resp = call(model, client.upload_multipart_part, accountId="-", vaultName=VAULT,
                    uploadId=u.upload_id, range=f"bytes {first}-{first + len(data) - 1}/*",
                    body=data, checksum=tree_hash(data))
        assert resp["checksum"] == tree_hash(data)
        u.maybe.discard(first)
        u.acked[first] = tree_hash(data)
    u.complete = "maybe"
    resp = call(model, client.complete_multipart_upload, accountId="-", vaultName=VAULT,
                uploadId=u.upload_id, archiveSize=str(len(u.data)), checksum=tree_hash(u.data))
    assert resp["checksum"] == tree_hash(u.data)
    u.archive_id, u.complete = resp["archiveId"], "done"


def reconcile(model: Model, client):
    """Checks the restarted server against the model; folds in-flight outcomes into it."""
    listed_uploads = {u["MultipartUploadId"]: u for u in list_all_uploads(client, VAULT)}
    archives = {a["ArchiveId"]: a for a in inventory(client, VAULT)}
    by_description = {a["ArchiveDescription"]: a for a in archives.values()}
    uploads_by_description = {u.get("ArchiveDescription"): u for u in listed_uploads.values()}
    accounted_uploads: set[str] = set()
    accounted_archives: set[str] = set()

    def archive_matches(found: dict, key: str, data: bytes):
        assert found["ArchiveDescription"] == key
        assert found["Size"] == len(data), (key, found)
        assert found["SHA256TreeHash"] == tree_hash(data), (key, found)

    for u in list(model.uploads):
        if u.upload_id is None:
            assert u.initiate_maybe
            found = uploads_by_description.get(u.key)
            if found is None:           # the Initiate never committed: forget it
                model.uploads.remove(u)
                continue
            u.upload_id, u.initiate_maybe = found["MultipartUploadId"], False
        if u.complete == "maybe":
            if u.upload_id in listed_uploads:
                u.complete = "no"       # the Complete did not commit; the upload is intact
            else:
                found = by_description.get(u.key)
                assert found is not None, (
                    f"upload {u.key} ({u.upload_id}) vanished: neither listed nor an archive")
                archive_matches(found, u.key, u.data)
                u.archive_id, u.complete = found["ArchiveId"], "done"
        if u.complete == "done":
            assert u.upload_id not in listed_uploads, f"completed upload {u.key} is still listed"
            assert u.archive_id in archives, f"acknowledged archive of {u.key} is missing"
            archive_matches(archives[u.archive_id], u.key, u.data)
            accounted_archives.add(u.archive_id)
            continue
        # an open upload: every acknowledged part, nothing that was never sent
        assert u.upload_id in listed_uploads, f"acknowledged upload {u.key} ({u.upload_id}) is not listed"
        accounted_uploads.add(u.upload_id)
        chunks = u.chunks()
        parts = {int(p["RangeInBytes"].split("-")[0]): p for p in list_all_parts(client, VAULT, u.upload_id)}
        for first, h in u.acked.items():
            assert first in parts, f"acknowledged part {first} of {u.key} is missing"
        for first, p in parts.items():
            assert first in u.acked or first in u.maybe, f"part {first} of {u.key} was never sent"
            data = chunks[first]
            assert p["RangeInBytes"] == f"{first}-{first + len(data) - 1}", p
            assert p["SHA256TreeHash"] == tree_hash(data), (u.key, first, p)
        for first in list(u.maybe):
            if first in parts:
                u.acked[first] = tree_hash(chunks[first])
        u.maybe.clear()

    for a in list(model.archives):
        if a.maybe:
            found = by_description.get(a.key)
            if found is None:           # UploadArchive never committed
                model.archives.remove(a)
                continue
            a.archive_id, a.maybe = found["ArchiveId"], False
        assert a.archive_id in archives, f"acknowledged archive {a.key} ({a.archive_id}) is missing"
        archive_matches(archives[a.archive_id], a.key, a.data)
        accounted_archives.add(a.archive_id)

    assert set(listed_uploads) == accounted_uploads, (
        f"uploads nobody initiated are visible: {set(listed_uploads) - accounted_uploads}")
    assert set(archives) == accounted_archives, (
        f"archives nobody uploaded are visible: {set(archives) - accounted_archives}")
    d = client.describe_vault(accountId="-", vaultName=VAULT)
    expected = model.all_archives()
    assert (d["NumberOfArchives"], d["SizeInBytes"]) == (
        len(expected), sum(len(b) for _, b in expected.values()))


def read_back_new(model: Model, client):
    for archive_id, (key, data) in model.all_archives().items():
        if archive_id not in model.round_checked:
            assert retrieve(client, VAULT, archive_id) == data, f"archive {key} reads back different bytes"
            model.round_checked.add(archive_id)


def test_sigkill_at_random_moments_loses_nothing_acknowledged(fresh_server):
    seed = int(os.environ.get("CRASH_SEED") or random.randrange(2 ** 32))
    print(f"crash test seed: CRASH_SEED={seed} ({KILLS} kills, {THREADS} threads)")
    rng = random.Random(seed)
    # One port for every restart, so the clients (slow to create) live across the kills.
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    srv = fresh_server(args=("--port", str(port)))
    clients = [one_shot_client(srv.endpoint) for _ in range(THREADS)]
    clients[0].create_vault(accountId="-", vaultName=VAULT)
    model = Model()

    for rnd in range(KILLS):
        stop = threading.Event()
        threads = [threading.Thread(target=worker, daemon=True,
                                    args=(model, clients[t], random.Random(f"{seed}-{rnd}-{t}"), t, rnd, stop))
                   for t in range(THREADS)]
        threads.append(threading.Thread(target=inventory_taker, daemon=True,
                                        args=(srv.endpoint, random.Random(f"{seed}-{rnd}-inventory"), stop)))
        for th in threads:
            th.start()
        # The kill moment: not a wait for a condition, the randomness under test.
        stop.wait(rng.uniform(0.05, 0.6))
        assert srv.running(), f"the server died on its own (seed {seed}):\n{srv.log_text()[-3000:]}"
        assert srv.kill() == -9
        stop.set()
        for th in threads:
            th.join(timeout=60)
            assert not th.is_alive(), "a client thread hung after the kill"
        assert not model.unexpected, f"error responses (seed {seed}): {model.unexpected}"
        model.in_flight_at_kills += (
            sum(len(u.maybe) + u.initiate_maybe + (u.complete == "maybe") for u in model.uploads)
            + sum(a.maybe for a in model.archives))

        t_check = time.monotonic()
        # verify opens the database itself, which recovers the WAL; on odd rounds the
        # restarted server meets the raw crashed state and verify runs beside it.
        if rnd % 2 == 0:
            assert_verify_ok(srv.data_dir)      # the crashed state, before serve recovers it
        srv.start()
        assert srv.port == port
        if rnd % 2 == 1:
            assert_verify_ok(srv.data_dir)
        assert temporaries(srv.data_dir) == [], "start-up left DATA/tmp leftovers"
        assert_blobs_match_metadata(srv.data_dir)
        client = clients[0]
        check_last_inventory(model, client)
        reconcile(model, client)
        read_back_new(model, client)
        print(f"round {rnd}: {model.acked_ops} acknowledged, {model.in_flight_at_kills} in flight at kills, "
              f"{len(model.all_archives())} archives; recovery and checks {time.monotonic() - t_check:.1f} s")

    print(f"acknowledged requests: {model.acked_ops}; in flight at the kills: {model.in_flight_at_kills}")
    assert model.acked_ops > 0 and model.in_flight_at_kills > 0, "the kills never hit a request"

    # Every interrupted upload can be resumed and completed.
    client = clients[0]
    rng_final = random.Random(f"{seed}-final")
    for u in model.uploads:
        if u.complete == "no":
            drive_upload(model, client, u, rng_final)
    assert not model.unexpected, model.unexpected
    assert list_all_uploads(client, VAULT) == []
    reconcile(model, client)
    expected = model.all_archives()
    assert len(expected) > 0
    for archive_id, (key, data) in expected.items():
        assert retrieve(client, VAULT, archive_id) == data, f"archive {key} reads back different bytes"
    assert_verify_ok(srv.data_dir)
    assert_blobs_match_metadata(srv.data_dir)
