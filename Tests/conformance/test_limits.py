"""Limits that keep one misbehaving client from hurting the others (issue #5, hostile input):
header size, URI length, bodies larger than allowed or declared, idle and slow
connections, and the cap on concurrent connections. Each answers with a Glacier JSON
error (code, message naming the limit) and `Connection: close`, and the server keeps
serving everyone else."""

from __future__ import annotations

import json
import re
import socket
import time

import pytest

from helpers import give_inventory, wait_until

ZERO_HASH = "0" * 64


def connect(port: int, timeout: float = 10.0) -> socket.socket:
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    s.settimeout(timeout)
    return s


def read_response(s: socket.socket) -> tuple[int, dict, bytes]:
    """Reads one HTTP/1.1 response with a Content-Length body."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = s.recv(65536)
        if not chunk:
            raise ConnectionError(f"closed before a response head: {data!r}")
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        headers[k.strip().lower()] = v.strip()
    length = int(headers.get("content-length", "0"))
    while len(body) < length:
        chunk = s.recv(65536)
        if not chunk:
            break
        body += chunk
    return status, headers, body[:length]


class ResponseReader:
    """Reads consecutive responses from one socket, keeping bytes that arrive beyond the
    current response (pipelined responses often come in one segment)."""

    def __init__(self, s: socket.socket):
        self.s = s
        self.buffer = b""

    def _fill(self):
        chunk = self.s.recv(65536)
        if not chunk:
            raise ConnectionError(f"closed mid-response: {self.buffer!r}")
        self.buffer += chunk

    def status(self) -> int:
        while b"\r\n\r\n" not in self.buffer:
            self._fill()
        head, _, rest = self.buffer.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        length = 0
        for line in lines[1:]:
            k, _, v = line.partition(":")
            if k.strip().lower() == "content-length":
                length = int(v.strip())
        while len(rest) < length:
            self._fill()
            rest = self.buffer.partition(b"\r\n\r\n")[2]
        self.buffer = rest[length:]
        return int(lines[0].split()[1])


def closed_by_server(s: socket.socket, within: float = 5.0) -> bool:
    """True when the server closes the connection (EOF or reset) within `within` seconds."""
    s.settimeout(within)
    try:
        while True:
            chunk = s.recv(65536)
            if not chunk:
                return True
    except (ConnectionResetError, BrokenPipeError):
        return True
    except socket.timeout:
        return False


def glacier_error(body: bytes) -> dict:
    doc = json.loads(body)
    assert set(doc) == {"code", "message", "type"}, doc
    return doc


def still_serving(port: int) -> None:
    s = connect(port)
    s.sendall(b"GET /-/vaults HTTP/1.1\r\nHost: x\r\nx-amz-glacier-version: 2012-06-01\r\n\r\n")
    status, _, body = read_response(s)
    assert status == 200, body
    s.close()


@pytest.fixture
def limited(fresh_server):
    return fresh_server(args=("--max-connections", "4", "--idle-timeout", "2s", "--body-timeout", "1s"))


def test_header_block_over_limit_is_refused_with_a_glacier_error(server):
    s = connect(server.port)
    s.sendall(b"GET /-/vaults HTTP/1.1\r\nHost: x\r\nx-amz-glacier-version: 2012-06-01\r\nX-Big: " + b"a" * 40_000 + b"\r\n\r\n")
    status, headers, body = read_response(s)
    assert status == 400
    assert headers["connection"] == "close"
    err = glacier_error(body)
    assert err["code"] == "InvalidParameterValueException"
    assert "16384 bytes per header" in err["message"]
    assert closed_by_server(s)
    still_serving(server.port)


def test_too_many_header_fields_are_refused(server):
    s = connect(server.port)
    fields = b"".join(b"X-F%d: v\r\n" % i for i in range(150))
    s.sendall(b"GET /-/vaults HTTP/1.1\r\nHost: x\r\nx-amz-glacier-version: 2012-06-01\r\n" + fields + b"\r\n")
    status, _, body = read_response(s)
    assert status == 400
    assert "100 fields" in glacier_error(body)["message"]
    still_serving(server.port)


def test_uri_over_8_kib_is_refused(server):
    s = connect(server.port)
    s.sendall(b"GET /-/vaults/" + b"a" * 9000 + b" HTTP/1.1\r\nHost: x\r\nx-amz-glacier-version: 2012-06-01\r\n\r\n")
    status, headers, body = read_response(s)
    assert status == 400 and headers["connection"] == "close"
    err = glacier_error(body)
    assert err["code"] == "InvalidParameterValueException"
    assert "at most 8192" in err["message"]
    still_serving(server.port)


def test_malformed_request_line_gets_a_glacier_error(server):
    s = connect(server.port)
    s.sendall(b"\x00\x01\x02 not http\r\n\r\n")
    status, _, body = read_response(s)
    assert status == 400
    assert glacier_error(body)["code"] == "InvalidParameterValueException"
    assert closed_by_server(s)
    still_serving(server.port)


def test_json_body_declared_over_64_kib_is_refused_before_it_is_read(server, vault):
    """The server answers after the head alone and closes: it never waits for the 100 MB."""
    s = connect(server.port)
    s.sendall(
        f"POST /-/vaults/{vault}/jobs HTTP/1.1\r\nHost: x\r\nx-amz-glacier-version: 2012-06-01\r\nContent-Type: application/json\r\n"
        f"Content-Length: 100000000\r\n\r\n".encode())
    s.sendall(b"{" + b" " * 1000)  # a sliver of the 100 MB it declared
    status, headers, body = read_response(s)
    assert status == 400 and headers["connection"] == "close"
    err = glacier_error(body)
    assert "InitiateJob is 100000000 bytes; it may be at most 65536" in err["message"]
    assert closed_by_server(s)


def test_upload_body_longer_than_its_range_is_refused_before_the_end(server, vault, glacier):
    """Content-Length larger than Content-Range: refused on the head, the body is never drained."""
    init = glacier.initiate_multipart_upload(accountId="-", vaultName=vault, partSize=str(1 << 20))
    upload = init["uploadId"]
    s = connect(server.port)
    s.sendall(
        f"PUT /-/vaults/{vault}/multipart-uploads/{upload} HTTP/1.1\r\nHost: x\r\nx-amz-glacier-version: 2012-06-01\r\n"
        f"Content-Range: bytes 0-1048575/*\r\nx-amz-sha256-tree-hash: {ZERO_HASH}\r\n"
        f"x-amz-content-sha256: {ZERO_HASH}\r\nContent-Length: 4294967296\r\n\r\n".encode())
    s.sendall(b"x" * 65536)
    status, headers, body = read_response(s)
    assert status == 400 and headers["connection"] == "close"
    assert "Content-Length 4294967296 does not match" in glacier_error(body)["message"]
    assert closed_by_server(s)
    assert glacier.list_parts(accountId="-", vaultName=vault, uploadId=upload)["Parts"] == []


def test_chunked_upload_body_past_its_range_is_cut_off(server, vault, glacier):
    """Without Content-Length the body is refused as soon as it passes the declared range."""
    init = glacier.initiate_multipart_upload(accountId="-", vaultName=vault, partSize=str(1 << 20))
    upload = init["uploadId"]
    s = connect(server.port)
    s.sendall(
        f"PUT /-/vaults/{vault}/multipart-uploads/{upload} HTTP/1.1\r\nHost: x\r\nx-amz-glacier-version: 2012-06-01\r\n"
        f"Content-Range: bytes 0-1048575/*\r\nx-amz-sha256-tree-hash: {ZERO_HASH}\r\n"
        f"x-amz-content-sha256: {ZERO_HASH}\r\nTransfer-Encoding: chunked\r\n\r\n".encode())
    chunk = b"y" * (256 * 1024)
    sent = 0
    # Keep sending well past 1 MiB: the answer must come before we stop.
    s.settimeout(10)
    status = None
    try:
        while sent < 64 * (1 << 20):
            s.sendall(b"%x\r\n" % len(chunk) + chunk + b"\r\n")
            sent += len(chunk)
    except (BrokenPipeError, ConnectionResetError):
        pass
    try:
        status, headers, body = read_response(s)
    except (ConnectionError, ConnectionResetError):
        status = None
    assert sent < 64 * (1 << 20), "the server read 64 MiB for a 1 MiB part without stopping the client"
    if status is not None:
        assert status == 400
        assert "longer than the 1048576 bytes" in glacier_error(body)["message"]
    assert glacier.list_parts(accountId="-", vaultName=vault, uploadId=upload)["Parts"] == []


def test_stalled_body_gets_408_and_nothing_becomes_visible(limited):
    port = limited.port
    s = connect(port)
    s.sendall(b"PUT /-/vaults/slow HTTP/1.1\r\nHost: x\r\nx-amz-glacier-version: 2012-06-01\r\nContent-Length: 0\r\n\r\n")
    assert read_response(s)[0] == 201
    s.sendall(
        f"POST /-/vaults/slow/archives HTTP/1.1\r\nHost: x\r\nx-amz-glacier-version: 2012-06-01\r\nContent-Length: 100000\r\n"
        f"x-amz-sha256-tree-hash: {ZERO_HASH}\r\nx-amz-content-sha256: {ZERO_HASH}\r\n\r\nabc".encode())
    started = time.monotonic()
    status, headers, body = read_response(s)
    assert status == 408 and headers["connection"] == "close"
    err = glacier_error(body)
    assert err["code"] == "RequestTimeoutException"
    assert "arrived too slowly" in err["message"]
    assert time.monotonic() - started < 8
    assert closed_by_server(s)
    s.close()   # the server reads (and drops) what a closing connection still sends until then
    c = connect(port)
    c.sendall(b"GET /-/vaults/slow HTTP/1.1\r\nHost: x\r\nx-amz-glacier-version: 2012-06-01\r\n\r\n")
    status, _, body = read_response(c)
    assert status == 200 and json.loads(body)["NumberOfArchives"] == 0
    # the upload's task ends when its connection does
    wait_until(lambda: not list((limited.data_dir / "tmp").iterdir()), timeout=5,
               what="no half-received body left behind in tmp/")


def test_trickled_body_is_timed_out_even_though_bytes_keep_coming(limited):
    """A byte every 200 ms never stalls for the 1 s body timeout, but averages 5 B/s."""
    s = connect(limited.port)
    s.sendall(b"PUT /-/vaults/trickle HTTP/1.1\r\nHost: x\r\nx-amz-glacier-version: 2012-06-01\r\nContent-Length: 0\r\n\r\n")
    assert read_response(s)[0] == 201
    s.sendall(
        f"POST /-/vaults/trickle/archives HTTP/1.1\r\nHost: x\r\nx-amz-glacier-version: 2012-06-01\r\nContent-Length: 100000\r\n"
        f"x-amz-sha256-tree-hash: {ZERO_HASH}\r\nx-amz-content-sha256: {ZERO_HASH}\r\n\r\n".encode())
    deadline = time.monotonic() + 10
    s.setblocking(False)
    answer = b""
    while time.monotonic() < deadline and b"\r\n\r\n" not in answer:
        try:
            s.send(b"z")
        except (BlockingIOError, BrokenPipeError, ConnectionResetError):
            pass
        time.sleep(0.2)
        try:
            answer += s.recv(65536)
        except BlockingIOError:
            pass
    assert answer.startswith(b"HTTP/1.1 408"), answer
    assert b"RequestTimeoutException" in answer


def test_slow_header_connection_is_closed(limited):
    """Slowloris: a request head trickled a byte at a time never completes and is closed."""
    s = connect(limited.port)
    started = time.monotonic()
    closed = False
    for b in b"GET /-/vaults HTTP/1.1\r\nX-Slow: " + b"a" * 200:
        try:
            s.send(bytes([b]))
        except (BrokenPipeError, ConnectionResetError):
            closed = True
            break
        time.sleep(0.1)
        if time.monotonic() - started > 8:
            break
    assert closed or closed_by_server(s, within=3), "a trickled request head kept its connection open"
    assert time.monotonic() - started < 8
    still_serving(limited.port)


def test_idle_connection_is_closed(limited):
    s = connect(limited.port)
    started = time.monotonic()
    assert closed_by_server(s, within=6)
    assert 1.5 < time.monotonic() - started < 6


def test_connections_beyond_the_cap_get_a_glacier_error(limited):
    port = limited.port
    held = [connect(port) for _ in range(4)]
    # The four are accepted and counted before the fifth arrives.
    for s in held:
        s.sendall(b"GET /-/vaults HTTP/1.1\r\nHost: x\r\nx-amz-glacier-version: 2012-06-01\r\n\r\n")
        assert read_response(s)[0] == 200
    extra = connect(port)
    extra.sendall(b"GET /-/vaults HTTP/1.1\r\nHost: x\r\nx-amz-glacier-version: 2012-06-01\r\n\r\n")
    status, headers, body = read_response(extra)
    assert status == 500 and headers["connection"] == "close"
    err = glacier_error(body)
    assert err["code"] == "ServiceUnavailableException"
    assert "--max-connections" in err["message"] and "4 connections" in err["message"]
    assert closed_by_server(extra)
    # A slot frees up when one of the four leaves.
    held.pop().close()
    deadline = time.monotonic() + 5
    while True:
        s = connect(port)
        s.sendall(b"GET /-/vaults HTTP/1.1\r\nHost: x\r\nx-amz-glacier-version: 2012-06-01\r\n\r\n")
        status, _, _ = read_response(s)
        if status == 200 or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert status == 200
    for s in held:
        s.close()


@pytest.mark.parametrize("flag,value,message", [
    ("--max-connections", "0", "--max-connections must be a positive number"),
    ("--idle-timeout", "soon", "--idle-timeout must be a duration"),
    ("--body-timeout", "0s", "--body-timeout must be a duration"),
])
def test_bad_limit_options_are_refused_at_start(glacier_bin, flag, value, message):
    import subprocess
    p = subprocess.run([str(glacier_bin), "serve", "--port", "0", flag, value],
                       capture_output=True, text=True, timeout=30)
    assert p.returncode != 0
    assert message in p.stderr


def test_pipelined_requests_are_all_answered(server, glacier, vault):
    """A client may send its next request before the previous response has fully gone out
    (pipelining, or a fast keep-alive client). Closing 'responses sent before their request
    body was read' must count requests, not look at the latest one, or the next request is cut."""
    give_inventory(glacier, vault)   # the inventory jobs below need the vault's inventory
    body = json.dumps({"Type": "inventory-retrieval"}).encode()
    post_head = (f"POST /-/vaults/{vault}/jobs HTTP/1.1\r\nHost: x\r\nx-amz-glacier-version: 2012-06-01\r\nContent-Type: application/json\r\n"
                 f"Content-Length: {len(body)}\r\n\r\n").encode()
    get = f"GET /-/vaults/{vault} HTTP/1.1\r\nHost: x\r\nx-amz-glacier-version: 2012-06-01\r\n\r\n".encode()
    s = connect(server.port)
    responses = ResponseReader(s)
    for _ in range(3):
        # The next request's head is in before the GET is answered; its body comes later.
        s.sendall(get + post_head)
        assert responses.status() == 200
        s.sendall(body)
        assert responses.status() == 202
    s.sendall(get + post_head + body + get)
    assert [responses.status() for _ in range(3)] == [200, 202, 200]
    assert responses.buffer == b""
