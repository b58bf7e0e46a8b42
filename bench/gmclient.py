"""Small, fast HTTP/1.1 pieces for the glacier-mock benchmarks.

Everything here exists to keep the client out of the measured path:
- `Conn` speaks HTTP/1.1 over one raw keep-alive socket; a request body is a precomputed
  bytes object sent with `sendall` on a memoryview (one C loop, the GIL released), and a
  response body can be drained into one reusable buffer with `recv_into` (nothing kept).
- `Payload` holds a body with its linear SHA-256 and Glacier tree hash, computed once.
- `Server` starts and stops a glacier-mock (or moto) process and reads its CPU and memory
  from /proc.
"""
from __future__ import annotations

import hashlib
import os
import signal
import socket
import subprocess
import sys
import time

MiB = 1 << 20
GiB = 1 << 30

# moto routes a request by the service named in the SigV4 credential scope; the signature
# itself is not checked. glacier-mock reads the region from it and ignores the rest.
MOTO_AUTH = ("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/us-east-1/glacier/aws4_request, "
             "SignedHeaders=host, Signature=00")


# ---------------------------------------------------------------------------------------
# Hashes

def _combine(level: list[bytes]) -> bytes:
    while len(level) > 1:
        nxt = [hashlib.sha256(level[i] + level[i + 1]).digest() for i in range(0, len(level) - 1, 2)]
        if len(level) % 2:
            nxt.append(level[-1])
        level = nxt
    return level[0]


def tree_hash(data) -> bytes:
    """Glacier SHA-256 tree hash of `data` (bytes or memoryview)."""
    mv = memoryview(data)
    if len(mv) == 0:
        return hashlib.sha256(b"").digest()
    return _combine([hashlib.sha256(mv[i:i + MiB]).digest() for i in range(0, len(mv), MiB)])


def combine_hex(part_hashes_hex: list[str]) -> str:
    """Tree hash of an archive from the tree hashes of its parts (1 MiB × 2^n part sizes)."""
    return _combine([bytes.fromhex(h) for h in part_hashes_hex]).hex()


class Payload:
    """A request body with its hashes, computed once, outside every measured loop.

    Bodies of more than `unique` bytes repeat a random 1 MiB block (so a 1 GiB body costs
    one 1 MiB random draw; its tree hash leaves are all equal and computed once)."""

    def __init__(self, size: int, unique: int = 64 * MiB, seed_block: bytes | None = None):
        self.size = size
        if size <= unique:
            self.data = os.urandom(size)
            self.tree = tree_hash(self.data).hex()
        else:
            assert size % MiB == 0
            block = seed_block or os.urandom(MiB)
            self.data = block * (size // MiB)
            leaf = hashlib.sha256(block).digest()
            self.tree = _combine([leaf] * (size // MiB)).hex()
        self.linear = hashlib.sha256(self.data).hexdigest()
        self.view = memoryview(self.data)


# ---------------------------------------------------------------------------------------
# HTTP

class HTTPError(Exception):
    pass


class Response:
    __slots__ = ("status", "headers", "body", "length")

    def __init__(self, status, headers, body, length):
        self.status, self.headers, self.body, self.length = status, headers, body, length

    def header(self, name: str, default=None):
        return self.headers.get(name.lower(), default)


class Conn:
    """One HTTP/1.1 connection. Reconnects by itself when the server closed the last one
    (moto's Werkzeug server answers every request with `Connection: close`)."""

    SINK_SIZE = 4 * MiB

    def __init__(self, host: str, port: int, extra_headers: dict | None = None, timeout: float = 120):
        self.host, self.port, self.timeout = host, port, timeout
        self.extra = dict(extra_headers or {})
        self.sock: socket.socket | None = None
        self.buf = bytearray()
        self.sink = bytearray(self.SINK_SIZE)
        self.sink_view = memoryview(self.sink)
        self.reconnects = 0

    def connect(self):
        self.close()
        s = socket.create_connection((self.host, self.port), timeout=self.timeout)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock = s
        self.buf = bytearray()
        self.reconnects += 1

    def close(self):
        if self.sock is not None:
            try:
                self.sock.close()
            finally:
                self.sock = None

    def head_bytes(self, method: str, path: str, headers: dict | None, body_len: int) -> bytes:
        # x-amz-glacier-version: every SDK sends it, and glacier-mock (like AWS) requires it.
        lines = [f"{method} {path} HTTP/1.1", f"Host: {self.host}:{self.port}", "x-amz-glacier-version: 2012-06-01"]
        for k, v in self.extra.items():
            lines.append(f"{k}: {v}")
        for k, v in (headers or {}).items():
            lines.append(f"{k}: {v}")
        if body_len or method in ("PUT", "POST"):
            lines.append(f"Content-Length: {body_len}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")

    def request(self, method: str, path: str, headers: dict | None = None, body=None,
                discard: bool = False) -> Response:
        """Sends one request and reads the whole response. With `discard`, the response body
        is drained into a reusable buffer and only its length is returned."""
        body_len = len(body) if body is not None else 0
        head = self.head_bytes(method, path, headers, body_len)
        if self.sock is None:
            self.connect()
        s = self.sock
        if body_len and body_len <= 64 * 1024:
            s.sendall(head + bytes(body))
        else:
            s.sendall(head)
            if body_len:
                s.sendall(body if isinstance(body, memoryview) else memoryview(body))
        return self._read_response(method, discard)

    def _fill(self):
        chunk = self.sock.recv(256 * 1024)
        if not chunk:
            raise HTTPError("connection closed by server")
        self.buf += chunk

    def _read_response(self, method: str, discard: bool) -> Response:
        while True:
            end = self.buf.find(b"\r\n\r\n")
            if end >= 0:
                break
            self._fill()
        head = bytes(self.buf[:end]).decode("latin-1")
        del self.buf[:end + 4]
        lines = head.split("\r\n")
        parts = lines[0].split(" ", 2)
        status = int(parts[1])
        headers: dict[str, str] = {}
        for line in lines[1:]:
            k, _, v = line.partition(":")
            headers[k.strip().lower()] = v.strip()
        if status == 100:  # interim response; the real one follows
            return self._read_response(method, discard)
        body = b""
        length = 0
        if method == "HEAD" or status in (204, 304):
            pass
        elif headers.get("transfer-encoding", "").lower() == "chunked":
            out = bytearray()
            while True:
                while b"\r\n" not in self.buf:
                    self._fill()
                i = self.buf.find(b"\r\n")
                size = int(bytes(self.buf[:i]).split(b";")[0], 16)
                del self.buf[:i + 2]
                while len(self.buf) < size + 2:
                    self._fill()
                if not discard:
                    out += self.buf[:size]
                length += size
                del self.buf[:size + 2]
                if size == 0:
                    break
            body = bytes(out)
        elif "content-length" in headers:
            n = int(headers["content-length"])
            length = n
            if discard:
                take = min(n, len(self.buf))
                del self.buf[:take]
                rest = n - take
                sock, view = self.sock, self.sink_view
                while rest > 0:
                    got = sock.recv_into(view, min(rest, self.SINK_SIZE))
                    if got == 0:
                        raise HTTPError("connection closed in the middle of a body")
                    rest -= got
            else:
                while len(self.buf) < n:
                    self._fill()
                body = bytes(self.buf[:n])
                del self.buf[:n]
        else:  # body until close
            out = bytearray(self.buf)
            self.buf = bytearray()
            while True:
                chunk = self.sock.recv(256 * 1024)
                if not chunk:
                    break
                out += chunk
            body = bytes(out)
            length = len(body)
            self.close()
        if headers.get("connection", "").lower() == "close" and self.sock is not None:
            self.close()
        return Response(status, headers, body, length)

    def check(self, expected: int | tuple, method: str, path: str, headers=None, body=None, discard=False) -> Response:
        r = self.request(method, path, headers, body, discard)
        ok = r.status in expected if isinstance(expected, tuple) else r.status == expected
        if not ok:
            raise HTTPError(f"{method} {path}: HTTP {r.status} {r.body[:300]!r}")
        return r


# ---------------------------------------------------------------------------------------
# Glacier operations used by the drivers

VAULT = "bench"


def create_vault(c: Conn, vault: str = VAULT):
    c.check(201, "PUT", f"/-/vaults/{vault}")


def initiate_upload(c: Conn, part_size: int, vault: str = VAULT) -> str:
    r = c.check(201, "POST", f"/-/vaults/{vault}/multipart-uploads", {"x-amz-part-size": str(part_size)})
    return r.header("x-amz-multipart-upload-id")


def part_headers(p: Payload, start: int) -> dict:
    return {
        "Content-Range": f"bytes {start}-{start + p.size - 1}/*",
        "x-amz-sha256-tree-hash": p.tree,
        "x-amz-content-sha256": p.linear,
        "Content-Type": "application/octet-stream",
    }


def upload_part(c: Conn, upload_id: str, p: Payload, start: int, vault: str = VAULT):
    c.check(204, "PUT", f"/-/vaults/{vault}/multipart-uploads/{upload_id}", part_headers(p, start), p.view)


def complete_upload(c: Conn, upload_id: str, size: int, tree_hex: str, vault: str = VAULT) -> str:
    r = c.check(201, "POST", f"/-/vaults/{vault}/multipart-uploads/{upload_id}",
                {"x-amz-sha256-tree-hash": tree_hex, "x-amz-archive-size": str(size)})
    return r.header("x-amz-archive-id")


def archive_headers(p: Payload) -> dict:
    return {
        "x-amz-sha256-tree-hash": p.tree,
        "x-amz-content-sha256": p.linear,
        "Content-Type": "application/octet-stream",
    }


def upload_archive(c: Conn, p: Payload, vault: str = VAULT) -> str:
    r = c.check(201, "POST", f"/-/vaults/{vault}/archives", archive_headers(p), p.view)
    return r.header("x-amz-archive-id")


def initiate_retrieval(c: Conn, archive_id: str, vault: str = VAULT) -> str:
    body = ('{"Type":"archive-retrieval","ArchiveId":"%s","Tier":"Expedited"}' % archive_id).encode()
    r = c.check(202, "POST", f"/-/vaults/{vault}/jobs", {"Content-Type": "application/json"}, body)
    return r.header("x-amz-job-id")


def job_output_path(job_id: str, vault: str = VAULT) -> str:
    return f"/-/vaults/{vault}/jobs/{job_id}/output"


def multipart_archive(c: Conn, block: Payload, parts: int, vault: str = VAULT) -> str:
    """An archive of `parts` × block.size bytes built by a multipart upload; returns its ID."""
    uid = initiate_upload(c, block.size, vault)
    for i in range(parts):
        upload_part(c, uid, block, i * block.size, vault)
    return complete_upload(c, uid, parts * block.size, combine_hex([block.tree] * parts), vault)


# ---------------------------------------------------------------------------------------
# Processes

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def try_connect(port: int, host: str = "127.0.0.1") -> bool:
    s = socket.socket()
    try:
        s.connect((host, port))
        return True
    except OSError:
        return False
    finally:
        s.close()


def proc_cpu_seconds(pid: int) -> float:
    """utime + stime of a process (all its threads), in seconds."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def proc_status_kib(pid: int, key: str) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    raise KeyError(key)


class Server:
    """A glacier-mock (or moto) server process on 127.0.0.1."""

    def __init__(self, argv: list[str], port: int, log_path: str, env: dict | None = None):
        self.argv, self.port, self.log_path = argv, port, log_path
        self.env = env
        self.proc: subprocess.Popen | None = None
        self.startup_connect = None  # seconds from exec to the first accepted TCP connect
        self.startup_line = None     # seconds from exec to the "listening" line (glacier-mock)

    @classmethod
    def glacier_mock(cls, binary: str, data_dir: str, log_path: str, port: int | None = None, args=()):
        port = port or free_port()
        argv = [binary, "serve", "--host", "127.0.0.1", "--port", str(port), "--data-dir", data_dir, *args]
        return cls(argv, port, log_path)

    @classmethod
    def moto(cls, log_path: str, port: int | None = None):
        port = port or free_port()
        return cls([sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)], port, log_path)

    @property
    def pid(self) -> int:
        return self.proc.pid

    def start(self, timeout: float = 60, watch_line: bool = False):
        """Starts the process and waits until a TCP connect to its port succeeds, timing it.
        Attempts are 0.5 ms apart: close enough for a millisecond figure, and they leave the
        second core to the starting server instead of spinning on it."""
        log = open(self.log_path, "ab")
        t0 = time.perf_counter()
        self.proc = subprocess.Popen(self.argv, stdout=subprocess.PIPE if watch_line else log,
                                     stderr=log, env=self.env, start_new_session=True)
        log.close()
        deadline = t0 + timeout
        while not try_connect(self.port):
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.argv[0]} exited with {self.proc.returncode}; see {self.log_path}")
            if time.perf_counter() > deadline:
                self.stop()
                raise RuntimeError(f"{self.argv[0]} did not accept connections within {timeout} s")
            time.sleep(0.0005)
        self.startup_connect = time.perf_counter() - t0
        if watch_line:
            line = self.proc.stdout.readline()
            self.startup_line = time.perf_counter() - t0
            if b"listening" not in line:
                raise RuntimeError(f"unexpected first line {line!r}")
        return self

    def stop(self):
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if self.proc.stdout:
            self.proc.stdout.close()
        self.proc = None

    def cpu(self) -> float:
        return proc_cpu_seconds(self.pid)

    def rss_kib(self) -> int:
        return proc_status_kib(self.pid, "VmRSS")

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
