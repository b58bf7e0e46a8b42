"""Shared helpers for the glacier-mock conformance suite.

Everything here is plain Python (no fixtures): server process management,
boto3 client construction, hashing, raw HTTP helpers, error assertions and
read access to the server's on-disk data (DATA_DIR/glacier.sqlite + blobs/).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import io
import json
import os
import queue
import random
import re
import signal
import sqlite3
import subprocess
import threading
import time
from pathlib import Path

import boto3
import botocore.config
import pytest
import requests
from botocore.exceptions import ClientError
from botocore.utils import calculate_tree_hash

MIB = 1024 * 1024
REPO = Path(__file__).resolve().parents[2]
DEFAULT_BIN = REPO / ".build" / "debug" / "glacier-mock"
FIXTURES = REPO / "fixtures"

DEFAULT_ACCOUNT = "123456789012"
DEFAULT_REGION = "us-east-1"
ACCESS_KEY = "AKIDEXAMPLE"
SECRET_KEY = "secret"

ISO_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
LISTEN_RE = re.compile(r"^glacier-mock listening on http://127\.0\.0\.1:(\d+)$")
HEX64_RE = re.compile(r"^[0-9a-f]{64}$")

STARTUP_TIMEOUT = 20.0
STOP_TIMEOUT = 15.0
HTTP_TIMEOUT = 30.0


# --------------------------------------------------------------------------
# binary / server process
# --------------------------------------------------------------------------

def server_binary() -> Path:
    path = Path(os.environ.get("GLACIER_MOCK_BIN", str(DEFAULT_BIN)))
    if not path.is_file() or not os.access(path, os.X_OK):
        pytest.fail(
            f"glacier-mock binary not found or not executable at {path}. "
            "Build it first (swift build) or point GLACIER_MOCK_BIN at it.",
            pytrace=False,
        )
    return path


def clean_env(extra: dict | None = None) -> dict:
    """The test process environment without any GLACIER_MOCK_* option, plus `extra`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GLACIER_MOCK_")}
    if extra:
        env.update(extra)
    return env


class GlacierServer:
    """One glacier-mock process; can be stopped and restarted on the same data dir."""

    def __init__(self, binary: Path, data_dir: Path | None, log_path: Path,
                 args: tuple = (), env: dict | None = None):
        self.binary = Path(binary)
        self.data_dir = Path(data_dir) if data_dir is not None else None
        self.log_path = Path(log_path)
        self.args = tuple(args)
        self.env = env  # extra env vars (GLACIER_MOCK_* stripped from the inherited env)
        self.proc: subprocess.Popen | None = None
        self.port: int | None = None
        self.listen_line: str | None = None
        self.other_stdout: list[str] = []  # stdout lines besides the listening line
        self._lines: queue.Queue = queue.Queue()
        self._reader: threading.Thread | None = None
        self.exit_codes: list[int] = []

    # -- lifecycle ---------------------------------------------------------
    def command(self) -> list[str]:
        cmd = [str(self.binary), "serve"]
        if "--port" not in self.args:
            cmd += ["--port", "0"]
        if self.data_dir is not None:
            cmd += ["--data-dir", str(self.data_dir)]
        cmd += list(self.args)
        return cmd

    def start(self, command: list[str] | None = None) -> "GlacierServer":
        assert self.proc is None or self.proc.poll() is not None, "already running"
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = open(self.log_path, "ab")
        self.port = None
        self.listen_line = None
        self._lines = queue.Queue()
        self.proc = subprocess.Popen(
            command or self.command(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=log,
            env=clean_env(self.env),
        )
        log.close()
        proc, lines = self.proc, self._lines

        def reader():
            for raw in iter(proc.stdout.readline, b""):
                lines.put(raw.decode("utf-8", "replace").rstrip("\r\n"))
            lines.put(None)

        self._reader = threading.Thread(target=reader, daemon=True)
        self._reader.start()

        deadline = time.monotonic() + STARTUP_TIMEOUT
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self._kill()
                pytest.fail(f"glacier-mock did not print its listening line within "
                            f"{STARTUP_TIMEOUT}s\ncommand: {self.command()}\nlog:\n{self.log_text()}",
                            pytrace=False)
            try:
                line = lines.get(timeout=remaining)
            except queue.Empty:
                continue
            if line is None:
                rc = proc.wait(timeout=5)
                pytest.fail(f"glacier-mock exited (rc={rc}) before listening\n"
                            f"command: {self.command()}\nstdout: {self.other_stdout}\n"
                            f"log:\n{self.log_text()}", pytrace=False)
            m = LISTEN_RE.match(line)
            if m:
                self.listen_line = line
                self.port = int(m.group(1))
                return self
            self.other_stdout.append(line)

    def stop(self, sig: int = signal.SIGTERM, timeout: float = STOP_TIMEOUT) -> int:
        """Send `sig`, wait for exit, return the exit code (negative = killed by signal)."""
        if self.proc is None:
            raise AssertionError("server never started")
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self._kill()
                raise AssertionError(f"glacier-mock did not exit within {timeout}s of signal {sig}")
        rc = self.proc.returncode
        self._drain_stdout()
        self.exit_codes.append(rc)
        return rc

    def kill(self) -> int:
        """SIGKILL (a crash: no clean-up runs), wait for the exit; returns the exit code."""
        return self.stop(signal.SIGKILL)

    @property
    def pid(self) -> int:
        assert self.running(), "server not running"
        return self.proc.pid

    def memory_kib(self, field: str = "VmRSS") -> int:
        """A /proc/PID/status memory figure of the running server (VmRSS, VmHWM...), in KiB."""
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
        raise AssertionError(f"no {field} in /proc/{self.pid}/status")

    def restart(self) -> "GlacierServer":
        rc = self.stop()
        assert rc == 0, f"glacier-mock exited with {rc} on SIGTERM\nlog:\n{self.log_text()}"
        return self.start()

    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def _kill(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)

    def _drain_stdout(self):
        if self._reader is not None:
            self._reader.join(timeout=5)
        while True:
            try:
                line = self._lines.get_nowait()
            except queue.Empty:
                break
            if line is not None:
                self.other_stdout.append(line)

    def close(self):
        """Teardown: stop if still running (SIGTERM, then kill)."""
        if self.running():
            try:
                self.stop()
            except AssertionError:
                self._kill()

    # -- conveniences --------------------------------------------------------
    @property
    def endpoint(self) -> str:
        assert self.port is not None, "server not started"
        return f"http://127.0.0.1:{self.port}"

    def client(self, **kw):
        return make_client(self.endpoint, **kw)

    def log_text(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except FileNotFoundError:
            return ""


# --------------------------------------------------------------------------
# clients and raw HTTP
# --------------------------------------------------------------------------

def make_client(endpoint: str, region: str = DEFAULT_REGION, access_key: str = ACCESS_KEY,
                secret: str = SECRET_KEY):
    session = boto3.session.Session()
    return session.client(
        "glacier",
        endpoint_url=endpoint,
        region_name=region,
        aws_access_key_id=access_key,
        aws_secret_access_key=secret,
        config=botocore.config.Config(
            retries={"max_attempts": 1},
            connect_timeout=5,
            read_timeout=60,
            max_pool_connections=32,
        ),
    )


def raw(endpoint: str, method: str, path: str, headers: dict | None = None,
        data: bytes | None = None, version_header: bool = True) -> requests.Response:
    """An unsigned HTTP request (so: default region and account of the server)."""
    h = {"x-amz-glacier-version": "2012-06-01"} if version_header else {}
    h.update(headers or {})
    return requests.request(method, endpoint + path, headers=h, data=data, timeout=HTTP_TIMEOUT)


def random_account(exclude: str = DEFAULT_ACCOUNT) -> str:
    while True:
        acct = str(random.randrange(10 ** 11, 10 ** 12))
        if acct != exclude:
            return acct


# --------------------------------------------------------------------------
# hashing and data
# --------------------------------------------------------------------------

def tree_hash(data: bytes) -> str:
    return calculate_tree_hash(io.BytesIO(data))


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def blob(seed, size: int) -> bytes:
    """Deterministic pseudo-random bytes."""
    return random.Random(f"{seed}").randbytes(size)


def content_bytes(size: int) -> bytes:
    """The fixtures content: byte i = (i*7 + (i >> 20)) mod 256."""
    block0 = bytes((j * 7) % 256 for j in range(256)) * (MIB // 256)
    full, rest = divmod(size, MIB)
    out = []
    for k in range(full + (1 if rest else 0)):
        table = bytes((b + k) % 256 for b in range(256))
        out.append(block0.translate(table))
    return b"".join(out)[:size]


def part_headers(data: bytes, first: int) -> dict:
    return {
        "Content-Range": f"bytes {first}-{first + len(data) - 1}/*",
        "x-amz-sha256-tree-hash": tree_hash(data),
        "x-amz-content-sha256": sha256_hex(data),
    }


def upload_path(vault: str, upload_id: str, account: str = "-") -> str:
    return f"/{account}/vaults/{vault}/multipart-uploads/{upload_id}"


def iso_to_datetime(s: str) -> dt.datetime:
    assert ISO_RE.match(s), f"not an ISO-8601 UTC millisecond timestamp: {s!r}"
    return dt.datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=dt.timezone.utc)


def assert_recent(s: str, slack_seconds: float = 300):
    when = iso_to_datetime(s)
    now = dt.datetime.now(dt.timezone.utc)
    assert abs((now - when).total_seconds()) < slack_seconds, f"{s} is not close to now ({now})"


# --------------------------------------------------------------------------
# error assertions
# --------------------------------------------------------------------------

@contextlib.contextmanager
def expect_error(code: str, status: int):
    """`with expect_error("ResourceNotFoundException", 404): client.op(...)`"""
    with pytest.raises(ClientError) as ei:
        yield ei
    resp = ei.value.response
    got = (resp["Error"].get("Code"), resp["ResponseMetadata"].get("HTTPStatusCode"))
    assert got == (code, status), f"expected {(code, status)}, got {got}: {resp.get('Error')}"


def assert_raw_error(resp: requests.Response, code: str, status: int) -> dict:
    assert resp.status_code == status, (
        f"expected HTTP {status} {code}, got {resp.status_code}: {resp.text[:500]}")
    try:
        body = resp.json()
    except ValueError:
        raise AssertionError(f"error body is not JSON: {resp.text[:500]!r}")
    assert body.get("code") == code, f"expected code {code}, got body {body}"
    assert isinstance(body.get("message"), str), body
    assert body.get("type") == ("Client" if status < 500 else "Server"), body
    return body


# --------------------------------------------------------------------------
# multipart conveniences (boto3)
# --------------------------------------------------------------------------

def initiate(client, vault: str, part_size: int = MIB, description: str | None = None,
             account: str = "-") -> str:
    kw = {"accountId": account, "vaultName": vault, "partSize": str(part_size)}
    if description is not None:
        kw["archiveDescription"] = description
    resp = client.initiate_multipart_upload(**kw)
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 201
    return resp["uploadId"]


def upload_part(client, vault: str, upload_id: str, first: int, data: bytes,
                account: str = "-", **kw) -> dict:
    return client.upload_multipart_part(
        accountId=account, vaultName=vault, uploadId=upload_id,
        range=f"bytes {first}-{first + len(data) - 1}/*", body=data, **kw)


def complete(client, vault: str, upload_id: str, size: int, checksum: str,
             account: str = "-") -> dict:
    return client.complete_multipart_upload(
        accountId=account, vaultName=vault, uploadId=upload_id,
        archiveSize=str(size), checksum=checksum)


def create_archive(client, vault: str, data: bytes, part_size: int = MIB,
                   description: str | None = None, account: str = "-") -> dict:
    upload_id = initiate(client, vault, part_size, description, account=account)
    for first in range(0, len(data), part_size):
        r = upload_part(client, vault, upload_id, first, data[first:first + part_size], account=account)
        assert r["ResponseMetadata"]["HTTPStatusCode"] == 204
    resp = complete(client, vault, upload_id, len(data), tree_hash(data), account=account)
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 201
    resp["uploadId"] = upload_id
    return resp


# --------------------------------------------------------------------------
# on-disk data
# --------------------------------------------------------------------------

def db_connect(data_dir: Path) -> sqlite3.Connection:
    path = Path(data_dir) / "glacier.sqlite"
    assert path.is_file(), f"{path} does not exist"
    return sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)


def db_rows(data_dir: Path, sql: str, params: tuple = ()) -> list[tuple]:
    con = db_connect(data_dir)
    try:
        return con.execute(sql, params).fetchall()
    finally:
        con.close()


def as_hex(value) -> str:
    if isinstance(value, (bytes, bytearray)):
        return bytes(value).hex() if len(value) == 32 else bytes(value).decode().lower()
    return str(value).lower()


def archive_bytes_from_disk(data_dir: Path, archive_id: str) -> tuple[bytes, tuple]:
    """Concatenate an archive's segment blobs (seq order); returns (bytes, archives row)."""
    rows = db_rows(data_dir,
                   "SELECT id, account_id, region, vault_name, size, tree_hash "
                   "FROM archives WHERE id = ?", (archive_id,))
    assert len(rows) == 1, f"archives rows for {archive_id}: {rows}"
    segs = db_rows(data_dir,
                   "SELECT seq, blob_id, length FROM archive_segments "
                   "WHERE archive_id = ? ORDER BY seq", (archive_id,))
    assert segs, f"no archive_segments for {archive_id}"
    chunks = []
    for seq, blob_id, length in segs:
        b = (Path(data_dir) / "blobs" / str(blob_id)).read_bytes()
        assert len(b) == length, f"segment {seq}: blob {blob_id} has {len(b)} bytes, row says {length}"
        chunks.append(b)
    return b"".join(chunks), rows[0]


# --------------------------------------------------------------------------
# single-request archives, jobs, polling, notifications
# --------------------------------------------------------------------------

def upload(client, vault: str, data: bytes, description: str | None = None,
           account: str = "-") -> dict:
    """UploadArchive (one request); asserts 201 and returns the response."""
    kw = {"accountId": account, "vaultName": vault, "body": data}
    if description is not None:
        kw["archiveDescription"] = description
    resp = client.upload_archive(**kw)
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 201, resp["ResponseMetadata"]
    return resp


def start_job(client, vault: str, params: dict, account: str = "-") -> str:
    """InitiateJob; asserts 202 and returns the job ID."""
    resp = client.initiate_job(accountId=account, vaultName=vault, jobParameters=params)
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 202, resp["ResponseMetadata"]
    return resp["jobId"]


def retrieval_job(client, vault: str, archive_id: str, account: str = "-", **params) -> str:
    return start_job(client, vault, {"Type": "archive-retrieval", "ArchiveId": archive_id, **params},
                     account=account)


def inventory_job(client, vault: str, account: str = "-", **params) -> str:
    return start_job(client, vault, {"Type": "inventory-retrieval", **params}, account=account)


def describe(client, vault: str, job_id: str, account: str = "-") -> dict:
    return client.describe_job(accountId=account, vaultName=vault, jobId=job_id)


def job_output(client, vault: str, job_id: str, range: str | None = None,
               account: str = "-") -> tuple[dict, bytes]:
    """GetJobOutput; returns (response without the stream, body bytes)."""
    kw = {"accountId": account, "vaultName": vault, "jobId": job_id}
    if range is not None:
        kw["range"] = range
    resp = client.get_job_output(**kw)
    body = resp.pop("body").read()
    return resp, body


def wait_until(predicate, timeout: float, interval: float = 0.1, what: str = "condition"):
    """Poll `predicate()` until it returns a truthy value (returned) or `timeout` passes."""
    deadline = time.monotonic() + timeout
    last = None
    while True:
        last = predicate()
        if last:
            return last
        if time.monotonic() >= deadline:
            raise AssertionError(f"{what} not reached within {timeout}s (last value: {last!r})")
        time.sleep(interval)


def mock_notifications(endpoint: str) -> list[dict]:
    r = requests.get(endpoint + "/_mock/notifications", timeout=HTTP_TIMEOUT)
    assert r.status_code == 200, r.text
    body = r.json()
    assert set(body) == {"Notifications"}, body
    return body["Notifications"]


def notifications_for_job(endpoint: str, job_id: str) -> list[dict]:
    return [n for n in mock_notifications(endpoint) if json.loads(n["Message"]).get("JobId") == job_id]


# --------------------------------------------------------------------------
# reliability: on-disk consistency, verify, whole-vault reads
# --------------------------------------------------------------------------

ALL_BLOBS_SQL = ("SELECT blob_id FROM parts UNION SELECT blob_id FROM archive_segments "
                 "UNION SELECT blob_id FROM job_segments")


def run_verify(data_dir: Path, binary: Path | None = None) -> subprocess.CompletedProcess:
    """`glacier-mock verify --data-dir DATA_DIR` (exit 1 when a stored hash differs)."""
    return subprocess.run([str(binary or server_binary()), "verify", "--data-dir", str(data_dir)],
                          capture_output=True, text=True, timeout=120)


def assert_verify_ok(data_dir: Path):
    result = run_verify(data_dir)
    assert result.returncode == 0, f"verify exited {result.returncode}:\n{result.stdout}{result.stderr}"
    return result


def assert_blobs_match_metadata(data_dir: Path):
    """Every blob file is referenced by the metadata and every referenced blob file exists."""
    on_disk = {p.name for p in (Path(data_dir) / "blobs").iterdir()}
    referenced = {row[0] for row in db_rows(data_dir, ALL_BLOBS_SQL)}
    assert not (referenced - on_disk), f"metadata refers to missing blob files: {sorted(referenced - on_disk)}"
    assert not (on_disk - referenced), f"blob files nothing refers to: {sorted(on_disk - referenced)}"


def temporaries(data_dir: Path) -> list[str]:
    tmp = Path(data_dir) / "tmp"
    return sorted(p.name for p in tmp.iterdir()) if tmp.is_dir() else []


def take_inventory(endpoint: str, vault: str | None = None) -> list[dict]:
    """POST /_mock/inventory: the inventory Glacier takes about once a day, taken now (of the
    vaults named `vault` in every account, or of every vault). Returns the vaults' inventories."""
    body = {} if vault is None else {"VaultName": vault}
    r = requests.post(endpoint + "/_mock/inventory", json=body, timeout=HTTP_TIMEOUT)
    assert r.status_code == 200, r.text
    doc = r.json()
    assert doc["status"] == "ok", doc
    return doc["Inventories"]


def inventory_state(endpoint: str, vault: str) -> list[dict]:
    """GET /_mock/inventory?vault=NAME: the last inventory of each vault of that name."""
    r = requests.get(endpoint + "/_mock/inventory", params={"vault": vault}, timeout=HTTP_TIMEOUT)
    assert r.status_code == 200, r.text
    return r.json()["Inventories"]


def give_inventory(client, vault: str) -> str:
    """Gives the vault an inventory to download ("A vault inventory must exist for you to be
    able to download it"; Glacier creates none before a vault's first archive): uploads a small
    archive and takes the inventory. Returns the archive's ID."""
    archive_id = upload(client, vault, b"inventoried")["archiveId"]
    take_inventory(client.meta.endpoint_url, vault)
    return archive_id


def describe_after_inventory(client, vault: str, account: str = "-") -> dict:
    """DescribeVault after the vault's next inventory: Glacier counts archives as of the last
    inventory (Describe Vault), so a test that means "the archives it holds now" takes one."""
    take_inventory(client.meta.endpoint_url, vault)
    return client.describe_vault(accountId=account, vaultName=vault)


def inventory(client, vault: str) -> list[dict]:
    """The vault's archives now: takes its inventory (as Glacier does once a day; POST
    /_mock/inventory), then reads it through an inventory-retrieval job (jobs complete at once)."""
    take_inventory(client.meta.endpoint_url, vault)
    job_id = inventory_job(client, vault)
    _, body = job_output(client, vault, job_id)
    return json.loads(body)["ArchiveList"]


def retrieve(client, vault: str, archive_id: str) -> bytes:
    """An archive's bytes through an archive-retrieval job and GetJobOutput."""
    job_id = retrieval_job(client, vault, archive_id)
    _, body = job_output(client, vault, job_id)
    return body


def list_all_uploads(client, vault: str) -> list[dict]:
    pages = client.get_paginator("list_multipart_uploads").paginate(accountId="-", vaultName=vault)
    return [u for page in pages for u in page["UploadsList"]]


def list_all_parts(client, vault: str, upload_id: str) -> list[dict]:
    pages = client.get_paginator("list_parts").paginate(accountId="-", vaultName=vault, uploadId=upload_id)
    return [p for page in pages for p in page["Parts"]]


def raw_http(port: int, request: bytes, timeout: float = HTTP_TIMEOUT):
    """Sends `request` bytes as they are (no client normalisation) on a fresh connection and
    reads until the server closes it. Returns (status, headers, body), or None when the
    server closed the connection without answering."""
    import socket
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(request)
        try:
            s.shutdown(socket.SHUT_WR)
        except OSError:
            pass
        chunks = []
        while True:
            try:
                b = s.recv(65536)
            except ConnectionResetError:
                break
            if not b:
                break
            chunks.append(b)
    data = b"".join(chunks)
    if not data:
        return None
    head, _, body = data.partition(b"\r\n\r\n")
    while re.match(rb"HTTP/1\.\d 1\d\d ", head):   # interim answers (100 Continue)
        head, _, body = body.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status_line = lines[0].split(b" ", 2)
    assert status_line[0].startswith(b"HTTP/1."), f"not an HTTP response: {data[:200]!r}"
    headers = {}
    for line in lines[1:]:
        k, _, v = line.partition(b":")
        headers[k.strip().lower().decode("latin-1")] = v.strip().decode("latin-1")
    if headers.get("transfer-encoding", "").lower() == "chunked":
        out, rest = [], body
        while rest:
            size_line, _, rest = rest.partition(b"\r\n")
            n = int(size_line.split(b";")[0], 16)
            if n == 0:
                break
            out.append(rest[:n])
            rest = rest[n + 2:]
        body = b"".join(out)
    return int(status_line[1]), headers, body


def raw_request_bytes(method: bytes, target: bytes, headers: dict | None = None, body: bytes = b"") -> bytes:
    """An HTTP/1.1 request with `Connection: close`, the target sent byte for byte."""
    h = {"Host": "127.0.0.1", "x-amz-glacier-version": "2012-06-01", "Connection": "close",
         "Content-Length": str(len(body))}
    h.update(headers or {})
    head = b"".join(f"{k}: {v}\r\n".encode("utf-8") for k, v in h.items())
    return method + b" " + target + b" HTTP/1.1\r\n" + head + b"\r\n" + body


# Glacier's error codes and their documented HTTP status (GlacierError.Code in the server).
ERROR_STATUS = {
    "AccessDeniedException": 403, "BadRequest": 400, "ExpiredTokenException": 403,
    "InsufficientCapacityException": 400, "InvalidParameterValueException": 400,
    "InvalidSignatureException": 403, "LimitExceededException": 400,
    "MissingAuthenticationTokenException": 400, "MissingParameterValueException": 400,
    "NoLongerSupportedException": 400, "PolicyEnforcedException": 400, "RequestTimeoutException": 408,
    "ResourceNotFoundException": 404, "SerializationException": 400,
    "ServiceUnavailableException": 500, "ThrottlingException": 400,
    "UnrecognizedClientException": 400, "UnknownOperationException": 404, "NotImplemented": 501,
}


def check_glacier_error(status: int, body: bytes, context: str = "") -> dict:
    """A Glacier JSON error: code, message and type, with the code's documented status."""
    try:
        doc = json.loads(body)
    except ValueError:
        raise AssertionError(f"{context}: HTTP {status} error body is not JSON: {body[:300]!r}")
    assert isinstance(doc, dict), f"{context}: {doc!r}"
    code = doc.get("code")
    assert code in ERROR_STATUS, f"{context}: unknown error code in {doc}"
    assert ERROR_STATUS[code] == status, f"{context}: {code} with HTTP {status} (documented {ERROR_STATUS[code]})"
    assert isinstance(doc.get("message"), str) and doc["message"], f"{context}: {doc}"
    assert doc.get("type") == ("Client" if status < 500 else "Server"), f"{context}: {doc}"
    return doc


# The 33 operations' HTTP method and path template.
OPERATION_PATHS = {
    # operation: (method, path template, fixed query) — botocore's Glacier model
    "AbortMultipartUpload": ("DELETE", "/{accountId}/vaults/{vaultName}/multipart-uploads/{uploadId}", ""),
    "AbortVaultLock": ("DELETE", "/{accountId}/vaults/{vaultName}/lock-policy", ""),
    "AddTagsToVault": ("POST", "/{accountId}/vaults/{vaultName}/tags", "?operation=add"),
    "CompleteMultipartUpload": ("POST", "/{accountId}/vaults/{vaultName}/multipart-uploads/{uploadId}", ""),
    "CompleteVaultLock": ("POST", "/{accountId}/vaults/{vaultName}/lock-policy/{lockId}", ""),
    "CreateVault": ("PUT", "/{accountId}/vaults/{vaultName}", ""),
    "DeleteArchive": ("DELETE", "/{accountId}/vaults/{vaultName}/archives/{archiveId}", ""),
    "DeleteVault": ("DELETE", "/{accountId}/vaults/{vaultName}", ""),
    "DeleteVaultAccessPolicy": ("DELETE", "/{accountId}/vaults/{vaultName}/access-policy", ""),
    "DeleteVaultNotifications": ("DELETE", "/{accountId}/vaults/{vaultName}/notification-configuration", ""),
    "DescribeJob": ("GET", "/{accountId}/vaults/{vaultName}/jobs/{jobId}", ""),
    "DescribeVault": ("GET", "/{accountId}/vaults/{vaultName}", ""),
    "GetDataRetrievalPolicy": ("GET", "/{accountId}/policies/data-retrieval", ""),
    "GetJobOutput": ("GET", "/{accountId}/vaults/{vaultName}/jobs/{jobId}/output", ""),
    "GetVaultAccessPolicy": ("GET", "/{accountId}/vaults/{vaultName}/access-policy", ""),
    "GetVaultLock": ("GET", "/{accountId}/vaults/{vaultName}/lock-policy", ""),
    "GetVaultNotifications": ("GET", "/{accountId}/vaults/{vaultName}/notification-configuration", ""),
    "InitiateJob": ("POST", "/{accountId}/vaults/{vaultName}/jobs", ""),
    "InitiateMultipartUpload": ("POST", "/{accountId}/vaults/{vaultName}/multipart-uploads", ""),
    "InitiateVaultLock": ("POST", "/{accountId}/vaults/{vaultName}/lock-policy", ""),
    "ListJobs": ("GET", "/{accountId}/vaults/{vaultName}/jobs", ""),
    "ListMultipartUploads": ("GET", "/{accountId}/vaults/{vaultName}/multipart-uploads", ""),
    "ListParts": ("GET", "/{accountId}/vaults/{vaultName}/multipart-uploads/{uploadId}", ""),
    "ListProvisionedCapacity": ("GET", "/{accountId}/provisioned-capacity", ""),
    "ListTagsForVault": ("GET", "/{accountId}/vaults/{vaultName}/tags", ""),
    "ListVaults": ("GET", "/{accountId}/vaults", ""),
    "PurchaseProvisionedCapacity": ("POST", "/{accountId}/provisioned-capacity", ""),
    "RemoveTagsFromVault": ("POST", "/{accountId}/vaults/{vaultName}/tags", "?operation=remove"),
    "SetDataRetrievalPolicy": ("PUT", "/{accountId}/policies/data-retrieval", ""),
    "SetVaultAccessPolicy": ("PUT", "/{accountId}/vaults/{vaultName}/access-policy", ""),
    "SetVaultNotifications": ("PUT", "/{accountId}/vaults/{vaultName}/notification-configuration", ""),
    "UploadArchive": ("POST", "/{accountId}/vaults/{vaultName}/archives", ""),
    "UploadMultipartPart": ("PUT", "/{accountId}/vaults/{vaultName}/multipart-uploads/{uploadId}", ""),
}
assert len(OPERATION_PATHS) == 33


# --------------------------------------------------------------------------
# real-client programs (Tests/clients/*): they print one JSON line per step
# --------------------------------------------------------------------------

def client_env(**extra: str) -> dict:
    """The environment without AWS_ or GLACIER_MOCK_ variables, plus `extra`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "GLACIER_MOCK_"))}
    env.update(extra)
    return env


def run_client_program(cmd: list[str], name: str, expected_steps: list[str], env: dict,
                       timeout: float = 180) -> dict[str, list[dict]]:
    """Runs a client program, checks it exited 0 and printed exactly `expected_steps` (JSON
    lines with a "step"), and returns the lines grouped by step, in order."""
    p = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout)
    where = f"{name} exited {p.returncode}\nstdout:\n{p.stdout}\nstderr:\n{p.stderr}"
    try:
        lines = [json.loads(line) for line in p.stdout.splitlines() if line.strip()]
    except ValueError as e:
        raise AssertionError(f"{name} printed a line that is not JSON ({e})\n{where}")
    assert p.returncode == 0, where
    assert [ln["step"] for ln in lines] == expected_steps, where
    steps: dict[str, list[dict]] = {}
    for ln in lines:
        steps.setdefault(ln["step"], []).append(ln)
    return steps
