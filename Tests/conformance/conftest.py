"""Fixtures for the glacier-mock conformance suite.

- server:        one glacier-mock for the whole session (temp data dir)
- endpoint:      its base URL, e.g. http://127.0.0.1:PORT
- glacier:       boto3 Glacier client against it (us-east-1, AKIDEXAMPLE/secret, 1 attempt)
- vault_name:    function returning a fresh unique vault name
- vault:         a freshly created vault (name) on the session server
- fresh_server:  factory starting extra servers on their own data dir; each can
                 .stop() (SIGTERM) and .start()/.restart() on the same dir
- aws:           runs `aws glacier ...` against the session server, returns parsed JSON
"""

from __future__ import annotations

import itertools
import subprocess
import shutil
import os
import json
import sys
import uuid
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from helpers import GlacierServer, make_client, server_binary  # noqa: E402

_UNSET = object()


@pytest.fixture(scope="session")
def glacier_bin() -> Path:
    return server_binary()  # fails (not skips) with a clear message when missing


@pytest.fixture(scope="session")
def server(glacier_bin, tmp_path_factory):
    base = tmp_path_factory.mktemp("session-server")
    srv = GlacierServer(glacier_bin, base / "data", base / "server.log")
    srv.start()
    yield srv
    srv.close()


@pytest.fixture(scope="session")
def endpoint(server) -> str:
    return server.endpoint


@pytest.fixture(scope="session")
def data_dir(server) -> Path:
    return server.data_dir


@pytest.fixture(scope="session")
def glacier(endpoint):
    return make_client(endpoint)


@pytest.fixture
def vault_name(request):
    """Call it to get a unique, valid vault name (prefix from the test name)."""
    stem = "".join(c for c in request.node.name.split("[")[0] if c.isalnum())[-20:] or "v"

    def make(prefix: str | None = None) -> str:
        return f"{prefix or stem}-{uuid.uuid4().hex[:12]}"

    return make


@pytest.fixture
def vault(glacier, vault_name) -> str:
    name = vault_name()
    resp = glacier.create_vault(accountId="-", vaultName=name)
    assert resp["ResponseMetadata"]["HTTPStatusCode"] == 201
    return name


@pytest.fixture
def fresh_server(glacier_bin, tmp_path):
    """Factory: fresh_server(data_dir=..., args=(), env=None, use_data_dir=True, start=True).

    data_dir defaults to a new directory under tmp_path; use_data_dir=False
    starts the server without --data-dir. Returns a GlacierServer.
    """
    servers: list[GlacierServer] = []
    counter = itertools.count()

    def factory(data_dir=_UNSET, args=(), env=None, use_data_dir=True, start=True) -> GlacierServer:
        n = next(counter)
        if not use_data_dir:
            dd = None
        elif data_dir is _UNSET:
            dd = tmp_path / f"data-{n}"
        else:
            dd = Path(data_dir)
        srv = GlacierServer(glacier_bin, dd, tmp_path / f"server-{n}.log", args=args, env=env)
        servers.append(srv)
        if start:
            srv.start()
        return srv

    yield factory
    for srv in servers:
        srv.close()


# The AWS CLI, run against the session server with throwaway credentials.
@pytest.fixture(scope="module")
def aws_bin():
    path = shutil.which("aws")
    if path is None:
        pytest.fail("the AWS CLI (`aws`) is not on PATH; pip install -r requirements-test.txt",
                    pytrace=False)
    return path


@pytest.fixture
def aws(aws_bin, endpoint, tmp_path):
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("AWS_") and not k.startswith("GLACIER_MOCK_")}
    env.update({
        "AWS_ACCESS_KEY_ID": "AKIDEXAMPLE",
        "AWS_SECRET_ACCESS_KEY": "secret",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_CONFIG_FILE": str(tmp_path / "no-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "no-credentials"),
        "AWS_MAX_ATTEMPTS": "1",
        "AWS_RETRY_MODE": "standard",
    })

    def run(*args, check=True):
        cmd = [aws_bin, "--endpoint-url", endpoint, "--output", "json", "glacier", *args]
        p = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=120)
        if check:
            assert p.returncode == 0, f"{cmd} failed ({p.returncode}):\n{p.stderr}"
            return json.loads(p.stdout) if p.stdout.strip() else None
        return p

    return run
