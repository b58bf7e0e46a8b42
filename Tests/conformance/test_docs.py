"""The documentation stays true: every code block in README.md and docs/*.md is run here or says
why it cannot run on this project's machines, and every link between the pages resolves.

Each fenced block is preceded by a marker, an HTML comment GitHub does not show:

    <!-- run: KIND -->        run by test_block_runs against a server of its own (only the port
                              9901 is changed). KIND: python (boto3), boto2 (Debian's
                              /usr/bin/python3 with python3-boto), sh (bash, with the AWS CLI and
                              glacier-mock on PATH), ruby (Debian's /usr/bin/ruby), go-v1 / go-v2
                              (the lines are put inside main() and built against Debian's packaged
                              SDK, GOPATH mode, as test_go_sdk*.py build the client programs).
    <!-- example of: GET /_mock/requests -->
                              a JSON answer: the real answer to that request must have the same
                              keys, at the top and in its first list's entries.
    <!-- tested by: PATH -->  a test file that runs the block (it must exist and name the page).
    <!-- not run: REASON -->  cannot run here; the reason is stated on the page.

An sh block whose last line is a comment shows what its last command prints: `# {...}` a JSON
object with those keys, anything else the exact last line of output.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from helpers import REPO, client_env, make_client

PAGES = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]
LINKED_PAGES = PAGES + [REPO / "ARCHITECTURE.md", *sorted((REPO / "bench").glob("*.md"))]
MARKER = re.compile(r"^<!-- (run|example of|tested by|not run): (.+?) -->$")
RUN_KINDS = {"python", "boto2", "sh", "ruby", "go-v1", "go-v2"}
SDK_GOPATH = Path("/usr/share/gocode")


@dataclass
class Block:
    page: Path
    line: int           # 1-based line of the opening fence
    lang: str
    code: str
    kind: str | None    # run / example of / tested by / not run
    arg: str | None

    @property
    def id(self) -> str:
        return f"{self.page.relative_to(REPO)}:{self.line}"


def blocks_of(page: Path) -> list[Block]:
    lines = page.read_text().split("\n")
    found, i = [], 0
    while i < len(lines):
        m = re.match(r"^```(\S*)\s*$", lines[i])
        if not m:
            i += 1
            continue
        start = i
        j = i + 1
        while j < len(lines) and lines[j] != "```":
            j += 1
        marker = MARKER.match(lines[start - 1]) if start > 0 else None
        found.append(Block(page, start + 1, m.group(1), "\n".join(lines[start + 1:j]) + "\n",
                           marker.group(1) if marker else None, marker.group(2) if marker else None))
        i = j + 1
    return found


ALL_BLOCKS = [b for page in PAGES for b in blocks_of(page)]
RUN_BLOCKS = [b for b in ALL_BLOCKS if b.kind in ("run", "example of")]


def test_the_pages_have_blocks_to_check():
    # A parser that found nothing would make every test below pass vacuously.
    assert len(ALL_BLOCKS) >= 10, [b.id for b in ALL_BLOCKS]
    assert {b.arg for b in RUN_BLOCKS if b.kind == "run"} >= {"python", "sh", "boto2", "ruby", "go-v1", "go-v2"}


def test_every_block_says_how_it_is_run():
    problems = []
    for b in ALL_BLOCKS:
        if b.kind is None:
            problems.append(f"{b.id}: no <!-- run|example of|tested by|not run: … --> marker above the block")
        elif b.kind == "run" and b.arg not in RUN_KINDS:
            problems.append(f"{b.id}: unknown run kind {b.arg!r} (one of {sorted(RUN_KINDS)})")
        elif b.kind == "not run" and len(b.arg) < 20:
            problems.append(f"{b.id}: 'not run' needs a reason a reader can check, got {b.arg!r}")
        elif b.kind == "tested by":
            path = REPO / b.arg
            if not path.is_file():
                problems.append(f"{b.id}: tested by {b.arg}, which does not exist")
            elif b.page.name not in path.read_text():
                problems.append(f"{b.id}: {b.arg} never names {b.page.name}")
    assert not problems, "\n".join(problems)


# --------------------------------------------------------------------------
# running the blocks
# --------------------------------------------------------------------------

def with_port(code: str, port: int) -> str:
    return code.replace("9901", str(port))


def run(cmd, *, cwd, env=None, timeout=300, stdin=None) -> subprocess.CompletedProcess:
    p = subprocess.run(cmd, cwd=cwd, env=env, input=stdin, capture_output=True, text=True, timeout=timeout)
    assert p.returncode == 0, f"{cmd[0]} exited {p.returncode}\nstdout:\n{p.stdout}\nstderr:\n{p.stderr}"
    return p


GO_PROGRAMS = {
    "go-v1": ('''package main

import (
	"fmt"

	"github.com/aws/aws-sdk-go/aws"
	"github.com/aws/aws-sdk-go/aws/credentials"
	"github.com/aws/aws-sdk-go/aws/session"
	"github.com/aws/aws-sdk-go/service/glacier"
)

func main() {
%s
	out, err := client.CreateVault(&glacier.CreateVaultInput{AccountId: aws.String("-"), VaultName: aws.String("my-vault")})
	if err != nil {
		panic(err)
	}
	fmt.Println(*out.Location)
}
'''),
    "go-v2": ('''package main

import (
	"context"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/glacier"
)

func main() {
%s
	out, err := client.CreateVault(context.TODO(), &glacier.CreateVaultInput{AccountId: aws.String("-"), VaultName: aws.String("my-vault")})
	if err != nil {
		panic(err)
	}
	fmt.Println(*out.Location)
}
'''),
}


def run_go(block: Block, port: int, tmp: Path):
    go = shutil.which("go")
    assert go, "the Go toolchain is missing: scripts/install-deps.sh --with-tests installs golang-go"
    src = tmp / "src" / "docsnippet"
    src.mkdir(parents=True)
    body = "\n".join("\t" + l for l in with_port(block.code, port).splitlines())
    (src / "main.go").write_text(GO_PROGRAMS[block.arg] % body)
    env = {k: v for k, v in client_env().items() if not k.startswith("GO")}
    env.update(GO111MODULE="off", GOPATH=f"{tmp}:{SDK_GOPATH}", GOFLAGS="", GOPROXY="off", GOTOOLCHAIN="local",
               AWS_CONFIG_FILE=str(tmp / "no-config"), AWS_SHARED_CREDENTIALS_FILE=str(tmp / "no-credentials"),
               AWS_EC2_METADATA_DISABLED="true")
    if not (env.get("HOME") or env.get("XDG_CACHE_HOME")):
        env["GOCACHE"] = str(tmp / "gocache")
    run([go, "build", "-o", str(tmp / "snippet"), "docsnippet"], cwd=src, env=env, timeout=600)
    return run([str(tmp / "snippet")], cwd=tmp, env=env)


def check_printed_shapes(code: str, stdout: str):
    """The block's last line, when it is a comment, shows what the last command prints: a JSON
    object's keys (`# {...}`), or the exact text (`# 201`)."""
    last_line = code.rstrip("\n").splitlines()[-1]
    if not last_line.startswith("# "):
        return
    shown, printed = last_line[2:], stdout.strip().splitlines()[-1]
    if shown.startswith("{"):
        assert set(json.loads(printed)) == set(json.loads(shown)), f"printed {printed}, page shows {shown}"
    else:
        assert printed == shown, f"printed {printed!r}, page shows {shown!r}"


def check_example_answer(block: Block, srv, endpoint: str):
    """An answer shown on a page has the keys of the real one (the same request is made first)."""
    method, path = block.arg.split(" ", 1)
    shown = json.loads(block.code)
    # What the pages' examples show: `my-vault` holding an archive, and a DescribeVault of a
    # vault that does not exist (the journal's example entry).
    glacier = make_client(endpoint)
    glacier.create_vault(vaultName="my-vault")
    glacier.upload_archive(vaultName="my-vault", body=b"backup bytes")
    with pytest.raises(glacier.exceptions.ResourceNotFoundException):
        glacier.describe_vault(vaultName="nope")
    real = requests.request(method, endpoint + path, timeout=30).json()
    assert set(real) == set(shown), (sorted(real), sorted(shown))
    for key, value in shown.items():
        if isinstance(value, list) and value:
            assert real[key], f"the real answer's {key} is empty"
            assert set(real[key][0]) == set(value[0]), (sorted(real[key][0]), sorted(value[0]))


@pytest.mark.parametrize("block", RUN_BLOCKS, ids=lambda b: b.id)
def test_block_runs(block: Block, fresh_server, tmp_path, glacier_bin):
    srv = fresh_server()
    port = srv.port
    code = with_port(block.code, port)
    if block.kind == "example of":
        check_example_answer(block, srv, srv.endpoint)
        return
    kind = block.arg
    env = client_env(AWS_CONFIG_FILE=str(tmp_path / "no-config"),
                     AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "no-credentials"),
                     PATH=f"{Path(glacier_bin).parent}:{os.environ['PATH']}")
    if kind == "python":
        run([sys.executable, "-c", code], cwd=tmp_path, env=env)
    elif kind == "boto2":
        run(["/usr/bin/python3", "-c", code], cwd=tmp_path, env=env)
    elif kind == "ruby":
        run(["/usr/bin/ruby", "-e", code], cwd=tmp_path, env=env)
    elif kind == "sh":
        p = run(["bash", "-e", "-o", "pipefail", "-c", code], cwd=tmp_path, env=env)
        check_printed_shapes(block.code, p.stdout)
    elif kind in ("go-v1", "go-v2"):
        run_go(block, port, tmp_path)
    # Every client snippet on the pages creates `my-vault`: the server must now hold it.
    if "my-vault" in block.code:
        make_client(srv.endpoint).describe_vault(vaultName="my-vault")


def test_make_run_starts_the_server(tmp_path):
    """README's first command: `make run ARGS=…` builds (a no-op after make test's build) and
    serves. Port 0 instead of 9901, so it cannot collide with a server the developer runs."""
    p = subprocess.Popen(["make", "run", "ARGS=--port 0"], cwd=REPO, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        deadline, seen = time.monotonic() + 900, []
        endpoint = None
        while time.monotonic() < deadline:
            line = p.stdout.readline()
            if not line:
                break
            seen.append(line)
            m = re.search(r"glacier-mock listening on (http://\S+)", line)
            if m:
                endpoint = m.group(1)
                break
        assert endpoint, "make run never printed 'listening on':\n" + "".join(seen[-40:])
        assert requests.get(endpoint + "/_mock/health", timeout=10).json() == {"status": "ok"}
    finally:
        os.killpg(p.pid, signal.SIGTERM)
        p.wait(timeout=60)


# --------------------------------------------------------------------------
# links
# --------------------------------------------------------------------------

def github_slug(heading: str) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading.strip().lower())
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def anchors_of(page: Path) -> set[str]:
    slugs, counts, infence = set(), {}, False
    for line in page.read_text().split("\n"):
        if line.startswith("```"):
            infence = not infence
        m = None if infence else re.match(r"^#{1,6} (.+)$", line)
        if m:
            slug = github_slug(m.group(1))
            n = counts.get(slug, 0)
            counts[slug] = n + 1
            slugs.add(slug if n == 0 else f"{slug}-{n}")
    return slugs


def links_of(page: Path):
    text = re.sub(r"```.*?```", "", page.read_text(), flags=re.S)
    for m in re.finditer(r"!?\[[^\]]*\]\(([^)\s]+)\)", text):
        yield m.group(1)
    for m in re.finditer(r'<img [^>]*src="([^"]+)"', text):
        yield m.group(1)


def test_github_slug_matches_githubs_rules():
    assert github_slug("Admin API (outside Glacier's paths)") == "admin-api-outside-glaciers-paths"
    assert github_slug("Where AWS is silent or contradicts itself: what glacier-mock chose") == \
        "where-aws-is-silent-or-contradicts-itself-what-glacier-mock-chose"
    assert github_slug("The server's clock") == "the-servers-clock"


def test_every_link_between_the_pages_resolves():
    problems, checked = [], 0
    for page in LINKED_PAGES:
        for target in links_of(page):
            if re.match(r"^[a-z]+:", target):
                continue   # http(s), mailto: outside this repository
            path_part, _, anchor = target.partition("#")
            dest = (page.parent / urllib.parse.unquote(path_part)).resolve() if path_part else page
            checked += 1
            if not dest.exists():
                problems.append(f"{page.relative_to(REPO)}: {target} — no such file")
            elif anchor and dest.suffix == ".md" and anchor not in anchors_of(dest):
                problems.append(f"{page.relative_to(REPO)}: {target} — no heading with anchor #{anchor}")
    assert checked >= 20, f"only {checked} links found: is the link pattern still right?"
    assert not problems, "\n".join(problems)


# --------------------------------------------------------------------------
# the options table
# --------------------------------------------------------------------------

def test_the_configuration_table_lists_every_option_of_serve(glacier_bin):
    """docs/configuration.md's table and `glacier-mock serve --help` name the same options, each
    with its GLACIER_MOCK_ variable, so an option added to the server cannot go undocumented."""
    page = (REPO / "docs" / "configuration.md").read_text()
    rows = dict(re.findall(r"^\| `(--[a-z-]+)` \| `(GLACIER_MOCK_[A-Z_]+)", page, re.M))
    help_text = subprocess.run([str(glacier_bin), "serve", "--help"], capture_output=True, text=True,
                               timeout=60).stdout
    options = set(re.findall(r"^  (--[a-z-]+)", help_text, re.M)) - {"--help", "--version"}
    assert len(options) >= 15, help_text
    assert set(rows) == options, f"only in the table: {set(rows) - options}; only in --help: {options - set(rows)}"
    flat_help = re.sub(r"\s+", "", help_text)
    for option, variable in rows.items():
        assert variable in flat_help, f"{option}: --help does not name {variable}"
