"""`glacier-mock health [--endpoint URL] [--wait SECONDS]` (the container image's HEALTHCHECK
and the CI recipes' readiness check: docs/container.md, docs/ci.md), `glacier-mock --version` (the one version,
Sources/GlacierHTTP/Version.swift, which the Makefile, the tarball name and the image label
read) and `--sns-endpoint`'s URL check now that SNS delivery goes over SwiftNIO."""
import http.server
import re
import socket
import subprocess
import threading

from helpers import REPO, clean_env


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def health(glacier_bin, *args, env=None, timeout=60):
    return subprocess.run([str(glacier_bin), "health", *args], capture_output=True, text=True,
                          env=clean_env(env), timeout=timeout)


def one_line(text: str) -> str:
    lines = text.strip().splitlines()
    assert len(lines) == 1, f"expected one line, got {lines!r}"
    return lines[0]


def test_health_exits_0_when_the_server_answers_ok(server, glacier_bin):
    r = health(glacier_bin, "--endpoint", server.endpoint)
    assert r.returncode == 0, r.stderr
    assert r.stderr == ""
    assert one_line(r.stdout) == f"ok: {server.endpoint}/_mock/health answered {{\"status\":\"ok\"}}"


def test_health_default_endpoint_uses_glacier_mock_port(server, glacier_bin):
    # Inside the image GLACIER_MOCK_PORT is set and --endpoint is not given (HEALTHCHECK).
    r = health(glacier_bin, env={"GLACIER_MOCK_PORT": str(server.port)})
    assert r.returncode == 0, r.stderr
    r = health(glacier_bin, env={"GLACIER_MOCK_ENDPOINT": server.endpoint})
    assert r.returncode == 0, r.stderr


def test_health_exits_1_with_one_line_when_nothing_listens(glacier_bin):
    port = free_port()
    r = health(glacier_bin, "--endpoint", f"http://127.0.0.1:{port}")
    assert r.returncode == 1
    assert r.stdout == ""
    line = one_line(r.stderr)
    assert line.startswith(f"glacier-mock health: http://127.0.0.1:{port}/_mock/health: cannot connect to 127.0.0.1:{port}"), line
    assert line.endswith(": Connection refused"), line


def test_health_wait_gives_up_after_the_wait_with_the_last_reason(glacier_bin):
    port = free_port()
    r = health(glacier_bin, "--endpoint", f"http://127.0.0.1:{port}", "--wait", "0.5")
    assert r.returncode == 1
    line = one_line(r.stderr)
    assert re.match(r"glacier-mock health: not healthy after 0\.\d s: http://127\.0\.0\.1:\d+/_mock/health: cannot connect", line), line


def test_health_wait_polls_until_the_server_is_up(fresh_server, glacier_bin):
    port = free_port()
    waiting = subprocess.Popen([str(glacier_bin), "health", "--endpoint", f"http://127.0.0.1:{port}", "--wait", "30"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=clean_env())
    try:
        # Still polling: nothing listens on the port yet.
        try:
            waiting.wait(timeout=1.0)
            raise AssertionError(f"health --wait returned before the server started: {waiting.returncode} {waiting.stderr.read()}")
        except subprocess.TimeoutExpired:
            pass
        fresh_server(args=("--port", str(port)))
        out, err = waiting.communicate(timeout=30)
    finally:
        if waiting.poll() is None:
            waiting.kill()
    assert waiting.returncode == 0, err
    assert one_line(out).startswith(f"ok: http://127.0.0.1:{port}/_mock/health")


class _Answer(http.server.BaseHTTPRequestHandler):
    status, body = 200, b""

    def do_GET(self):
        self.send_response(self.status)
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *args):
        pass


def _serving(status: int, body: bytes):
    handler = type("H", (_Answer,), {"status": status, "body": body})
    srv = http.server.HTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv


def test_health_exits_1_when_the_answer_is_not_ok(glacier_bin):
    for status, body, expect in [
        (503, b"starting\nplease wait", "answered HTTP 503: starting please wait"),
        (200, b'{"status":"degraded"}', 'answered HTTP 200: {"status":"degraded"}'),
        (200, b"<html>some other server</html>", "answered HTTP 200: <html>some other server</html>"),
    ]:
        srv = _serving(status, body)
        try:
            r = health(glacier_bin, "--endpoint", f"http://127.0.0.1:{srv.server_port}")
        finally:
            srv.shutdown()
            srv.server_close()
        assert r.returncode == 1, (status, body)
        assert one_line(r.stderr).endswith(expect), r.stderr


def test_health_rejects_what_it_cannot_ask(glacier_bin):
    r = health(glacier_bin, "--endpoint", "https://127.0.0.1:9901")
    assert r.returncode == 1
    assert one_line(r.stderr) == ("glacier-mock health: --endpoint must be an http:// URL such as "
                                  "http://127.0.0.1:9901; got https://127.0.0.1:9901")
    r = health(glacier_bin, "--wait=-1")
    assert r.returncode == 1
    assert one_line(r.stderr) == "glacier-mock health: --wait must be 0 to 86400 seconds; got -1.0"


def test_version_is_the_one_in_version_swift(glacier_bin):
    source = (REPO / "Sources/GlacierHTTP/Version.swift").read_text()
    [declared] = re.findall(r'^public let glacierMockVersion = "([^"]+)"$', source, re.M)
    assert re.fullmatch(r"\d+\.\d+\.\d+", declared)
    r = subprocess.run([str(glacier_bin), "--version"], capture_output=True, text=True, env=clean_env())
    assert (r.returncode, r.stdout) == (0, declared + "\n")
    make = subprocess.run(["make", "-s", "--no-print-directory", "-C", str(REPO), "version"], capture_output=True, text=True)
    assert (make.returncode, make.stdout) == (0, declared + "\n")


def test_sns_endpoint_must_be_plain_http(glacier_bin, tmp_path):
    # SNS delivery goes over SwiftNIO without TLS (ARCHITECTURE.md): an https endpoint is
    # refused at start-up rather than failing every delivery later.
    r = subprocess.run([str(glacier_bin), "serve", "--port", "0", "--data-dir", str(tmp_path),
                        "--sns-endpoint", "https://sns.example:4566"],
                       capture_output=True, text=True, env=clean_env(), timeout=30)
    assert r.returncode != 0
    assert ("--sns-endpoint must be an http:// URL such as http://127.0.0.1:5000 (moto's or LocalStack's "
            "server; https is not supported); got https://sns.example:4566") in r.stderr
