"""The container files agree with each other and with the binary: docker/Dockerfile,
docker/compose.yaml, .github/workflows/image.yml and the YAML recipes in docs/ci.md (port,
health command, GLACIER_MOCK_* variable names, image name, platforms); and every target compiles
for arm64 as far as this machine can check (the C target, cross `-fsyntax-only`).
`make image-test` (Tests/container/image_test.py) builds and runs the image itself."""
from __future__ import annotations

import re
import shutil
import subprocess

import pytest
import yaml

from helpers import REPO, clean_env

DOCKERFILE = REPO / "docker" / "Dockerfile"
COMPOSE = REPO / "docker" / "compose.yaml"
IMAGE_WORKFLOW = REPO / ".github" / "workflows" / "image.yml"
CI_DOC = REPO / "docs" / "ci.md"
CONTAINER_DOC = REPO / "docs" / "container.md"


def dockerfile_instructions() -> list[tuple[str, str]]:
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            out.append((word.upper(), rest.strip()))
    return out


def runtime_stage() -> list[tuple[str, str]]:
    """The instructions after the last FROM (the image that ships)."""
    ins = dockerfile_instructions()
    last = max(i for i, (w, _) in enumerate(ins) if w == "FROM")
    return ins[last:]


def stage_env() -> dict[str, str]:
    env = {}
    for word, rest in runtime_stage():
        if word == "ENV":
            for key, value in re.findall(r"(\w+)=(\S+)", rest):
                env[key] = value
    return env


def exposed_port() -> int:
    [port] = [rest for word, rest in runtime_stage() if word == "EXPOSE"]
    return int(port)


def healthcheck_command() -> list[str]:
    [rest] = [rest for word, rest in runtime_stage() if word == "HEALTHCHECK"]
    cmd = rest[rest.index("CMD") + 3:].strip()
    return yaml.safe_load(cmd)  # the exec form is a JSON array


@pytest.fixture(scope="module")
def env_names(glacier_bin) -> set[str]:
    """Every GLACIER_MOCK_* variable the binary reads, from its own help."""
    names = set()
    for sub in ("serve", "health"):
        r = subprocess.run([str(glacier_bin), sub, "--help"], capture_output=True, text=True, env=clean_env())
        assert r.returncode == 0, r.stderr
        names |= set(re.findall(r"GLACIER_MOCK_[A-Z_]+[A-Z]", r.stdout))
    assert {"GLACIER_MOCK_HOST", "GLACIER_MOCK_PORT", "GLACIER_MOCK_DATA_DIR", "GLACIER_MOCK_SNS_ENDPOINT",
            "GLACIER_MOCK_ENDPOINT"} <= names, names
    return names


def yaml_blocks(doc) -> list:
    return [yaml.safe_load(b) for b in re.findall(r"```yaml\n(.*?)```", doc.read_text(), re.S)]


# ------------------------------------------------------------------------------ Dockerfile

def test_dockerfile_runtime_stage(env_names, glacier_bin):
    env = stage_env()
    assert env["GLACIER_MOCK_HOST"] == "0.0.0.0"
    assert int(env["GLACIER_MOCK_PORT"]) == exposed_port() == 9901
    assert set(env) <= env_names
    assert "GLACIER_MOCK_DATA_DIR" not in env  # ephemeral by default
    assert healthcheck_command() == ["glacier-mock", "health"]
    # The health command exists in the binary and, with the image's environment, asks the
    # image's own port (its default endpoint reads GLACIER_MOCK_PORT).
    r = subprocess.run([str(glacier_bin), "health", "--help"], capture_output=True, text=True, env=clean_env())
    assert r.returncode == 0 and "GLACIER_MOCK_PORT" in r.stdout
    users = [rest for word, rest in runtime_stage() if word == "USER"]
    assert users and users[-1].split(":")[0] not in ("root", "0")
    entry = [rest for word, rest in runtime_stage() if word == "ENTRYPOINT"]
    assert entry == ['["glacier-mock"]']


def test_dockerfile_base_images_are_build_arguments():
    ins = dockerfile_instructions()
    froms = [rest for word, rest in ins if word == "FROM"]
    assert froms == ["${BUILD_IMAGE} AS build", "${RUNTIME_IMAGE}"]
    args = dict(rest.split("=", 1) for word, rest in ins if word == "ARG" and "=" in rest)
    assert args["BUILD_IMAGE"] == "swift:6.3-bookworm"
    assert args["RUNTIME_IMAGE"] == "debian:bookworm-slim"
    build = " ".join(rest for word, rest in ins if word == "RUN")
    assert "swift build -c release --static-swift-stdlib --product glacier-mock" in build


def test_dockerfile_runtime_installs_only_the_two_libraries():
    runs = [rest for word, rest in runtime_stage() if word == "RUN"]
    installs = [re.search(r"apt-get install ([^&]*)", r) for r in runs]
    [packages] = [m.group(1).split() for m in installs if m]
    assert [p for p in packages if not p.startswith("-")] == ["libssl3", "libsqlite3-0"]
    assert "--no-install-recommends" in packages


def test_licence_label_matches_the_repository():
    labels = " ".join(rest for word, rest in runtime_stage() if word == "LABEL")
    licence = re.search(r'org\.opencontainers\.image\.licenses="([^"]*)"', labels).group(1)
    files = [f for f in ("LICENSE", "LICENSE.md", "LICENSE.txt", "COPYING") if (REPO / f).is_file()]
    if not files:
        assert licence == "NOASSERTION"  # no licence file: none claimed
    else:
        assert licence != "NOASSERTION", f"{files} exists: name its SPDX identifier in the label"
    assert 'org.opencontainers.image.version="${VERSION}"' in labels
    assert 'org.opencontainers.image.source="${SOURCE}"' in labels


def test_dockerignore_keeps_build_output_and_data_out():
    ignored = (REPO / ".dockerignore").read_text().split()
    for entry in (".build", ".build-*", "data", "**/*.sqlite", "**/__pycache__", ".git"):
        assert entry in ignored
    # ... but not what the manifest needs to resolve its targets.
    for needed in ("Sources", "Package.swift", "Tests/TreeHashTests"):
        assert needed not in ignored


# ------------------------------------------------------------------------------ compose

def test_compose_services_match_the_image(env_names):
    compose = yaml.safe_load(COMPOSE.read_text())
    services = compose["services"]
    glacier = {name: s for name, s in services.items() if name.startswith("glacier-mock")}
    assert set(glacier) == {"glacier-mock", "glacier-mock-persist", "glacier-mock-sns"}
    host_ports = set()
    for name, svc in glacier.items():
        assert svc["healthcheck"]["test"] == ["CMD", *healthcheck_command()], name
        assert svc["build"]["dockerfile"] == "docker/Dockerfile" and svc["build"]["context"] == ".."
        assert set(svc["build"]["args"]) == {"VERSION"}
        [mapping] = svc["ports"]
        host, container = mapping.split(":")
        assert int(container) == exposed_port(), name
        host_ports.add(host)
        assert set(svc.get("environment", {})) <= env_names, name
    assert len(host_ports) == 3  # the profiles can run together
    assert "profiles" not in glacier["glacier-mock"]
    persist = glacier["glacier-mock-persist"]
    assert persist["profiles"] == ["persist"]
    assert persist["environment"]["GLACIER_MOCK_DATA_DIR"] == "/data"
    assert persist["volumes"] == ["glacier-data:/data"] and "glacier-data" in compose["volumes"]
    sns = glacier["glacier-mock-sns"]
    assert sns["profiles"] == ["sns"] == services["moto"]["profiles"]
    assert sns["environment"]["GLACIER_MOCK_SNS_ENDPOINT"] == "http://moto:5000"
    assert services["moto"]["ports"] == ["5000:5000"]
    assert sns["depends_on"]["moto"]["condition"] == "service_healthy"


# ------------------------------------------------------------------------------ the image workflow

def test_image_workflow_builds_both_architectures_and_pushes_on_tags():
    wf = yaml.safe_load(IMAGE_WORKFLOW.read_text())
    on = wf[True] if True in wf else wf["on"]  # YAML 1.1 reads the key `on` as true
    assert on["push"]["tags"] == ["v*"]
    steps = wf["jobs"]["image"]["steps"]
    uses = [s.get("uses", "") for s in steps]
    assert any(u.startswith("docker/setup-buildx-action") for u in uses)
    assert any(u.startswith("docker/setup-qemu-action") for u in uses)
    [build] = [s for s in steps if s.get("uses", "").startswith("docker/build-push-action")]
    w = build["with"]
    assert w["file"] == "docker/Dockerfile" and w["context"] == "."
    assert w["platforms"] == "linux/amd64,linux/arm64"
    assert w["push"] == "${{ startsWith(github.ref, 'refs/tags/v') }}"
    assert "VERSION=${{ steps.version.outputs.version }}" in w["build-args"]
    tags = w["tags"].strip().splitlines()
    assert len(tags) == 2 and all(t.strip().startswith("ghcr.io/${{ steps.version.outputs.owner }}/glacier-mock:") for t in tags)
    [login] = [s for s in steps if s.get("uses", "").startswith("docker/login-action")]
    assert login["if"] == "startsWith(github.ref, 'refs/tags/v')" and login["with"]["registry"] == "ghcr.io"
    version_step = next(s for s in steps if s.get("id") == "version")
    assert "make -s version" in version_step["run"]
    smoke = next(s for s in steps if s.get("name", "").startswith("Smoke-test"))
    assert f"-p {exposed_port()}:{exposed_port()}" in smoke["run"]
    assert "glacier-mock health --wait" in smoke["run"]


# ------------------------------------------------------------------------------ docs/ci.md recipes

def test_ci_doc_github_services_recipe(env_names):
    blocks = yaml_blocks(CI_DOC)
    services = [b for b in blocks if "jobs" in b and "services" in b["jobs"]["test"]]
    [svc] = [s for b in services for s in b["jobs"]["test"]["services"].values()]
    assert re.fullmatch(r"ghcr\.io/OWNER/glacier-mock:\d+\.\d+\.\d+", svc["image"])
    assert svc["ports"] == [f"{exposed_port()}:{exposed_port()}"]
    assert f'--health-cmd "{" ".join(healthcheck_command())}"' in svc["options"]


def test_ci_doc_docker_run_recipe():
    blocks = yaml_blocks(CI_DOC)
    runs = [s["run"] for b in blocks if "jobs" in b for s in b["jobs"]["test"]["steps"] if "run" in s]
    start = next(r for r in runs if "docker run" in r)
    assert f"-p {exposed_port()}:{exposed_port()}" in start
    assert "docker exec glacier glacier-mock health --wait 30" in start


def test_ci_doc_gitlab_recipe():
    [gitlab] = [b for b in yaml_blocks(CI_DOC) if "test" in b and "services" in b["test"]]
    [svc] = gitlab["test"]["services"]
    assert svc["alias"] == "glacier"
    assert gitlab["test"]["variables"]["GLACIER_ENDPOINT"] == f"http://glacier:{exposed_port()}"
    assert any(f"http://glacier:{exposed_port()}/_mock/health" in line for line in gitlab["test"]["script"])


def test_ci_doc_testcontainers_wait_on_health():
    text = CI_DOC.read_text()
    python = re.search(r"```python\n(.*?)```", text, re.S).group(1)
    assert f'HttpWaitStrategy({exposed_port()}, "/_mock/health")' in python
    java = re.search(r"```java\n(.*?)```", text, re.S).group(1)
    assert 'Wait.forHttp("/_mock/health")' in java and f".withExposedPorts({exposed_port()})" in java
    go = re.search(r"```go\n(.*?)```", text, re.S).group(1)
    assert f'wait.ForHTTP("/_mock/health").WithPort("{exposed_port()}/tcp")' in go


def test_ci_doc_tarball_recipe_names_what_make_dist_makes():
    [dist] = [b for b in yaml_blocks(CI_DOC) if "jobs" in b and any(
        "tar -xzf" in s.get("run", "") for s in b["jobs"]["test"]["steps"])]
    run = next(s["run"] for s in dist["jobs"]["test"]["steps"] if "tar -xzf" in s.get("run", ""))
    version = subprocess.run(["make", "-s", "--no-print-directory", "-C", str(REPO), "version"],
                             capture_output=True, text=True).stdout.strip()
    name = f"glacier-mock-{version}-linux-x86_64"
    assert f"tar -xzf {name}.tar.gz" in run and f"sha256sum -c {name}.tar.gz.sha256" in run
    assert "libssl3 libsqlite3-0" in run and f"./{name}/glacier-mock health --wait 30" in run
    assert f"glacier-mock-{version}-linux-$arch" in (REPO / "scripts/dist.sh").read_text().replace(
        "$version", version)


def test_docs_name_only_variables_the_binary_reads(env_names):
    for doc in (CI_DOC, CONTAINER_DOC):
        used = set(re.findall(r"GLACIER_MOCK_[A-Z_]+[A-Z]", doc.read_text())) - {"GLACIER_MOCK_IMAGE", "GLACIER_MOCK_VERSION"}
        assert used <= env_names, (doc.name, used - env_names)
    # GLACIER_MOCK_IMAGE and GLACIER_MOCK_VERSION are compose's own, not the server's.
    compose = COMPOSE.read_text()
    assert "${GLACIER_MOCK_IMAGE:-glacier-mock:latest}" in compose and "${GLACIER_MOCK_VERSION:-}" in compose


# ------------------------------------------------------------------------------ arm64

def _clang() -> str:
    clang = shutil.which("clang")
    assert clang, "clang (from the Swift toolchain) is not on PATH"
    return clang


@pytest.mark.parametrize("target", ["aarch64-linux-gnu", "x86_64-linux-gnu"])
def test_c_target_compiles_for(target):
    src = REPO / "Sources/CSHA256Pair/sha256_pair.c"
    include = REPO / "Sources/CSHA256Pair/include"
    # -ffreestanding: clang's own stddef.h/stdint.h, so no aarch64 sysroot is needed; the
    # x86 branch includes <cpuid.h> and <immintrin.h>, which clang ships for both.
    r = subprocess.run([_clang(), f"--target={target}", "-ffreestanding", "-fsyntax-only", "-Wall", "-Werror",
                        "-std=c11", f"-I{include}", str(src)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    pre = subprocess.run([_clang(), f"--target={target}", "-ffreestanding", "-E", "-P", f"-I{include}", str(src)],
                         capture_output=True, text=True, check=True).stdout
    if target.startswith("aarch64"):
        # arm64 takes the portable C code for the pair, so TreeHash splits an upload's two
        # hashes over libcrypto (ARCHITECTURE.md, "Two hashes, one pass").
        assert re.search(r"int gm_sha256_accelerated\(void\) \{\s*return 0;\s*\}", pre)
        assert "_mm_sha256rnds2_epu32" not in pre
    else:
        assert "_mm_sha256rnds2_epu32" in pre and "__get_cpuid" in pre


def test_swift_sources_have_no_architecture_conditions():
    # The Swift targets were not cross-compiled (no aarch64 Swift SDK here); what keeps them
    # portable is that none of them branches on the architecture.
    found = [str(p.relative_to(REPO)) for p in (REPO / "Sources").rglob("*.swift")
             if re.search(r"#if\s+.*\barch\(", p.read_text())]
    assert found == []
