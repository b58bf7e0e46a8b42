#!/usr/bin/env python3
"""make image-test: builds docker/Dockerfile without a Docker engine or a registry and runs
what it built.

1. `make dist` (static Swift stdlib release binary, tarball and .sha256).
2. A Debian 12 base from Debian's mirror (`debootstrap --variant=minbase bookworm`, cached as a
   tar in .build/image/ and `podman import`ed) stands in for debian:bookworm-slim.
3. `podman build --isolation chroot` of docker/Dockerfile with that base as RUNTIME_IMAGE and
   the tarball's binary as the build stage (`--build-context build=...`): the runtime stage's
   own steps (apt-get of libssl3 and libsqlite3-0, the user, the version check, labels) run.
4. The image's configuration is checked (non-root user, port, environment, health check,
   labels), then its filesystem is mounted (`podman image mount`) and, in a private network
   and mount namespace, its entrypoint is started with chroot as the image's user, with its
   environment, working directory and port, like `docker run` would: `glacier-mock health`,
   the HEALTHCHECK command, a boto3 workflow (Tests/container/workflow.py), the ephemeral
   default, and `-e GLACIER_MOCK_DATA_DIR=/data` with a volume across a restart.
5. The tarball is unpacked in a minbase Debian chroot holding only libssl3 and libsqlite3-0
   besides the base system, and serves a smaller boto3 workflow as an unprivileged user
   (the `make dist` and tarball blocks of docs/container.md, and docs/ci.md's no-Docker path).

Containers themselves are not started: in this project's sandbox crun and runc are refused
setrlimit. Needs root, podman, debootstrap, unshare (scripts/install-deps.sh --with-image).
"""
from __future__ import annotations

import argparse
import fcntl
import json
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tarfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
CACHE = ROOT / ".build" / "image"
BASE_TAR = CACHE / "debian-bookworm-minbase.tar"
BASE_TAG = "localhost/glacier-mock-base:bookworm-minbase"
IMAGE_TAG = "localhost/glacier-mock:image-test"
DIST_ROOT = CACHE / "dist-root"          # minbase + libssl3 + libsqlite3-0, for the tarball
MIRROR = os.environ.get("DEBIAN_MIRROR", "http://deb.debian.org/debian")
LIBRARIES = ["libssl3", "libsqlite3-0"]  # what the runtime may add to the base, nothing else

sys.path.insert(0, str(HERE))

T0 = time.monotonic()


def log(msg: str) -> None:
    print(f"[image-test {time.monotonic() - T0:6.1f}s] {msg}", flush=True)


def run(cmd, **kw) -> subprocess.CompletedProcess:
    kw.setdefault("check", True)
    return subprocess.run([str(c) for c in cmd], **kw)


def out(cmd, **kw) -> str:
    return run(cmd, capture_output=True, text=True, **kw).stdout


def fail(msg: str) -> None:
    print(f"image-test FAILED: {msg}", file=sys.stderr, flush=True)
    sys.exit(1)


def check(cond: bool, msg: str) -> None:
    if not cond:
        fail(msg)


# ------------------------------------------------------------------------------ preparation

def preflight() -> None:
    if os.geteuid() != 0:
        fail("needs root (podman build --isolation chroot, debootstrap, chroot, mount namespaces)")
    for tool in ("podman", "debootstrap", "unshare", "chroot"):
        if not shutil.which(tool):
            fail(f"{tool} is not installed (scripts/install-deps.sh --with-image installs it)")


def version() -> str:
    return out(["make", "-s", "--no-print-directory", "-C", ROOT, "version"]).strip()


def make_dist(ver: str) -> Path:
    log("make dist")
    run(["make", "-s", "--no-print-directory", "-C", ROOT, "dist"])
    arch = os.uname().machine
    tarball = ROOT / "dist" / f"glacier-mock-{ver}-linux-{arch}.tar.gz"
    check(tarball.is_file(), f"make dist made no {tarball}")
    run(["sha256sum", "-c", tarball.name + ".sha256"], cwd=tarball.parent, stdout=subprocess.DEVNULL)
    return tarball


# debian:bookworm-slim is a minbase debootstrap "slimified" by debuerreotype: these dpkg
# path excludes (its .slimify-excludes), applied to what is installed and to later installs.
SLIM_EXCLUDES = """path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/linda/*
path-exclude /usr/share/lintian/overrides/*
path-exclude /usr/share/locale/*
path-exclude /usr/share/man/*
"""


def slimify(rootfs: Path) -> None:
    (rootfs / "etc/dpkg/dpkg.cfg.d/docker-slim").write_text(SLIM_EXCLUDES)
    for sub in ("usr/share/groff", "usr/share/info", "usr/share/linda", "usr/share/lintian/overrides",
                "usr/share/locale", "usr/share/man"):
        for p in (rootfs / sub).glob("*"):
            shutil.rmtree(p) if p.is_dir() and not p.is_symlink() else p.unlink()
    for p in (rootfs / "usr/share/doc").glob("*/*"):
        if p.name != "copyright":
            shutil.rmtree(p) if p.is_dir() and not p.is_symlink() else p.unlink()
    # ... and the apt lists and caches.
    for sub in ("var/lib/apt/lists", "var/cache/apt/archives", "var/cache/apt"):
        for p in (rootfs / sub).glob("*"):
            if p.is_file():
                p.unlink()


def base_packages_tar() -> Path:
    """The minbase rootfs, slimmed like debian:bookworm-slim, as a tar: built from the mirror
    once and kept in .build/image/ (gitignored), so later runs skip debootstrap."""
    if BASE_TAR.is_file():
        return BASE_TAR
    CACHE.mkdir(parents=True, exist_ok=True)
    rootfs = CACHE / "minbase.tmp"
    shutil.rmtree(rootfs, ignore_errors=True)
    log(f"debootstrap --variant=minbase bookworm from {MIRROR} (once; cached in {BASE_TAR})")
    run(["debootstrap", "--variant=minbase", "bookworm", rootfs, MIRROR], stdout=subprocess.DEVNULL)
    slimify(rootfs)
    tmp = BASE_TAR.with_suffix(".tmp")
    run(["tar", "--numeric-owner", "--xattrs", "-C", rootfs, "-cf", tmp, "."])
    tmp.rename(BASE_TAR)
    shutil.rmtree(rootfs)
    return BASE_TAR


def ensure_base_image() -> None:
    if run(["podman", "image", "exists", BASE_TAG], check=False).returncode == 0:
        return
    tar = base_packages_tar()
    log(f"podman import {tar.name} as {BASE_TAG}")
    run(["podman", "import", "--change", "CMD [\"/bin/bash\"]", tar, BASE_TAG], stdout=subprocess.DEVNULL)


def build_image(ver: str, tarball: Path) -> None:
    stage = CACHE / "build-stage"
    shutil.rmtree(stage, ignore_errors=True)
    (stage / "out").mkdir(parents=True)
    with tarfile.open(tarball) as tf:
        member = tf.getmember(f"{tarball.name[:-len('.tar.gz')]}/glacier-mock")
        (stage / "out" / "glacier-mock").write_bytes(tf.extractfile(member).read())
    (stage / "out" / "glacier-mock").chmod(0o755)
    log(f"podman build --isolation chroot (RUNTIME_IMAGE={BASE_TAG}, build stage = the make dist binary)")
    # --format docker: the OCI image format has no HEALTHCHECK (podman would drop it).
    run(["podman", "build", "--isolation", "chroot", "--format", "docker", "-f", ROOT / "docker" / "Dockerfile",
         "--build-context", f"build={stage}",
         "--build-arg", f"RUNTIME_IMAGE={BASE_TAG}",
         "--build-arg", f"VERSION={ver}",
         "--build-arg", "SOURCE=https://example.invalid/image-test",
         "-t", IMAGE_TAG, ROOT])


# ------------------------------------------------------------------------------ the image's configuration

def image_config(ver: str) -> dict:
    [info] = json.loads(out(["podman", "image", "inspect", IMAGE_TAG]))
    cfg = info["Config"]
    env = dict(e.split("=", 1) for e in cfg.get("Env", []))
    labels = cfg.get("Labels") or {}
    check(cfg.get("User") not in (None, "", "root", "0", "0:0"), f"the image runs as root: User={cfg.get('User')!r}")
    check(list(cfg.get("ExposedPorts", {})) == ["9901/tcp"], f"ExposedPorts: {cfg.get('ExposedPorts')}")
    check(env.get("GLACIER_MOCK_HOST") == "0.0.0.0", f"GLACIER_MOCK_HOST: {env.get('GLACIER_MOCK_HOST')}")
    check("GLACIER_MOCK_DATA_DIR" not in env, "GLACIER_MOCK_DATA_DIR is set: the default must be ephemeral")
    check(cfg.get("Entrypoint") == ["glacier-mock"] and cfg.get("Cmd") == ["serve"],
          f"Entrypoint/Cmd: {cfg.get('Entrypoint')} {cfg.get('Cmd')}")
    health = info.get("Healthcheck") or cfg.get("Healthcheck") or {}
    check(health.get("Test") == ["CMD", "glacier-mock", "health"], f"HEALTHCHECK: {health}")
    check(labels.get("org.opencontainers.image.version") == ver, f"version label: {labels}")
    check(labels.get("org.opencontainers.image.source") == "https://example.invalid/image-test", f"source label: {labels}")
    has_licence = any((ROOT / f).is_file() for f in ("LICENSE", "LICENSE.md", "LICENSE.txt", "COPYING"))
    check(has_licence or labels.get("org.opencontainers.image.licenses") == "NOASSERTION",
          f"no LICENSE file, yet the licenses label claims {labels.get('org.opencontainers.image.licenses')!r}")
    files_agree_with_image(health["Test"], list(cfg["ExposedPorts"]), env)
    log(f"image config ok: User={cfg['User']} WorkingDir={cfg.get('WorkingDir')} ports={list(cfg['ExposedPorts'])} "
        f"labels version={ver}, licenses={labels.get('org.opencontainers.image.licenses')}; size {info['Size'] / 1e6:.1f} MB")
    return {"user": cfg["User"], "env": env, "workdir": cfg.get("WorkingDir") or "/",
            "entrypoint": cfg["Entrypoint"], "cmd": cfg["Cmd"], "health": health["Test"][1:],
            "size": info["Size"]}


def files_agree_with_image(health_test: list, ports: list, env: dict) -> None:
    """docker/compose.yaml and the image workflow against the built image (not only against
    the Dockerfile's text, which Tests/conformance/test_container_files.py checks)."""
    import yaml
    [port] = [int(p.split("/")[0]) for p in ports]
    compose = yaml.safe_load((ROOT / "docker" / "compose.yaml").read_text())
    for name, svc in compose["services"].items():
        if not name.startswith("glacier-mock"):
            continue
        check(svc["healthcheck"]["test"] == health_test, f"compose {name}: healthcheck {svc['healthcheck']['test']} != image {health_test}")
        check([int(m.split(":")[1]) for m in svc["ports"]] == [port], f"compose {name}: ports {svc['ports']} vs image {port}")
        for var in svc.get("environment", {}):
            check(var.startswith("GLACIER_MOCK_"), f"compose {name}: {var}")
    workflow = (ROOT / ".github" / "workflows" / "image.yml").read_text()
    check(f"-p {port}:{port}" in workflow and "glacier-mock health --wait" in workflow,
          "image.yml's smoke test does not use the image's port and health command")
    check(env.get("GLACIER_MOCK_PORT") == str(port), f"GLACIER_MOCK_PORT={env.get('GLACIER_MOCK_PORT')} but EXPOSE {port}")


# ------------------------------------------------------------------------------ inside the namespaces

def loopback_up() -> None:
    """`ip link set lo up` without iproute2: the new network namespace's lo starts down."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    ifr = struct.pack("16sH14s", b"lo", 0, b"")
    flags = struct.unpack("16sH", fcntl.ioctl(s, 0x8913, ifr)[:18])[1]      # SIOCGIFFLAGS
    fcntl.ioctl(s, 0x8914, struct.pack("16sH14s", b"lo", flags | 1, b""))   # SIOCSIFFLAGS, IFF_UP
    s.close()


def container_mounts(root: Path, data: Path | None = None) -> None:
    """What a container engine gives the process: /proc, /dev, a writable /tmp, the volume.
    We are in a private mount namespace, so all of it goes away with this process."""
    run(["mount", "-t", "proc", "proc", root / "proc"])
    run(["mount", "--bind", "/dev", root / "dev"])
    run(["mount", "-t", "tmpfs", "-o", "mode=1777", "tmpfs", root / "tmp"])
    if data is not None:
        run(["mount", "--bind", data, root / "data"])


def numeric_user(root: Path, user: str) -> tuple[int, int]:
    name, _, group = user.partition(":")
    passwd = {l.split(":")[0]: l.split(":") for l in (root / "etc/passwd").read_text().splitlines() if l}
    groups = {l.split(":")[0]: l.split(":") for l in (root / "etc/group").read_text().splitlines() if l}
    uid = int(name) if name.isdigit() else int(passwd[name][2])
    gid = int(group) if group.isdigit() else int(groups[group][2]) if group else int(passwd[name][3])
    return uid, gid


class InImage:
    """Runs commands in the image's filesystem the way `docker run`/`docker exec` would."""

    def __init__(self, root: Path, cfg: dict):
        self.root, self.cfg = root, cfg
        self.uid, self.gid = numeric_user(root, cfg["user"])

    def argv(self, args: list[str], env: dict | None = None) -> list[str]:
        merged = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", **self.cfg["env"], **(env or {})}
        return ["chroot", f"--userspec={self.uid}:{self.gid}", "--groups=", str(self.root),
                "/usr/bin/env", "-i", f"--chdir={self.cfg['workdir']}",
                *[f"{k}={v}" for k, v in merged.items()], *args]

    def start(self, env: dict | None = None, log_path: Path | None = None) -> subprocess.Popen:
        """The entrypoint with the image's default command, e.g. `docker run IMAGE`."""
        logf = open(log_path or os.devnull, "ab")
        return subprocess.Popen(self.argv(self.cfg["entrypoint"] + self.cfg["cmd"], env),
                                stdin=subprocess.DEVNULL, stdout=logf, stderr=subprocess.STDOUT)

    def exec(self, args: list[str], env: dict | None = None, timeout: float = 60) -> subprocess.CompletedProcess:
        """`docker exec CONTAINER args`."""
        return subprocess.run(self.argv(args, env), capture_output=True, text=True, timeout=timeout)


def stop(proc: subprocess.Popen) -> int:
    proc.send_signal(signal.SIGTERM)   # what `docker stop` sends first
    try:
        return proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        fail("the server did not stop within 20 s of SIGTERM")


def process_uid(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("Uid:"):
            return int(line.split()[1])
    raise AssertionError("no Uid line")


def inside_image(mount: Path, cfg_path: Path) -> None:
    import workflow
    cfg = json.loads(cfg_path.read_text())
    loopback_up()
    volume = CACHE / "run" / "volume"
    shutil.rmtree(volume, ignore_errors=True)
    volume.mkdir(parents=True)
    img = InImage(mount, cfg)
    # A named volume takes the ownership of the image's /data (docs/container.md); a bind
    # mount must be made writable for the image's user: here the directory is chowned.
    st = (mount / "data").stat()
    check((st.st_uid, st.st_gid) == (img.uid, img.gid), f"/data is owned by {st.st_uid}:{st.st_gid}, not the image's user")
    os.chown(volume, img.uid, img.gid)
    container_mounts(mount, volume)
    port = int(cfg["env"]["GLACIER_MOCK_PORT"])
    endpoint = f"http://127.0.0.1:{port}"
    logs = CACHE / "run"

    # Nothing listens yet: the health command says why, on one line, and exits 1.
    r = img.exec(["glacier-mock", "health"])
    check(r.returncode == 1 and len(r.stderr.strip().splitlines()) == 1 and r.stdout == "",
          f"health before start: rc={r.returncode} stdout={r.stdout!r} stderr={r.stderr!r}")
    log(f"health with no server: exit 1, {r.stderr.strip()!r}")

    # `docker run IMAGE` (ephemeral), then `glacier-mock health --wait` as a CI script would.
    t = time.monotonic()
    server = img.start(log_path=logs / "server-ephemeral.log")
    r = img.exec(["glacier-mock", "health", "--wait", "20"])
    check(r.returncode == 0, f"health --wait: rc={r.returncode} {r.stderr.strip()}\n{(logs / 'server-ephemeral.log').read_text()}")
    log(f"entrypoint healthy after {1000 * (time.monotonic() - t):.0f} ms: {r.stdout.strip()}")
    check(process_uid(server.pid) == img.uid != 0, f"the server runs as uid {process_uid(server.pid)}")
    r = img.exec(cfg["health"])                       # the HEALTHCHECK command, as the engine runs it
    check(r.returncode == 0, f"HEALTHCHECK {cfg['health']}: rc={r.returncode} {r.stderr}")
    r = img.exec(["glacier-mock", "--version"])
    check(r.stdout.strip() == cfg["version"], f"--version in the image: {r.stdout!r}")
    # Listening on every interface (GLACIER_MOCK_HOST=0.0.0.0): reached by a non-loopback route too.
    check("listening on http://0.0.0.0:9901" in (logs / "server-ephemeral.log").read_text(),
          (logs / "server-ephemeral.log").read_text())
    workflow.full_workflow(endpoint)
    log("boto3 workflow (vault, multipart upload, archive retrieval, inventory) passed")
    temp = [p.name for p in (mount / "tmp").iterdir()]
    check(any(n.startswith("glacier-mock-") for n in temp), f"no temporary data directory in /tmp: {temp}")
    check(not any((volume).iterdir()), "the ephemeral server wrote into /data")
    rc = stop(server)
    check(rc == 0, f"SIGTERM: exit {rc}")
    check(not any(p.name.startswith("glacier-mock-") for p in (mount / "tmp").iterdir()),
          "the temporary data directory is left after stop")
    r = img.exec(["glacier-mock", "health"])
    check(r.returncode == 1, "health answers 0 after the server stopped")
    log("ephemeral default: state in /tmp, removed on stop; health exits 1 afterwards")

    # `docker run -e GLACIER_MOCK_DATA_DIR=/data -v VOLUME:/data IMAGE`, twice.
    server = img.start({"GLACIER_MOCK_DATA_DIR": "/data"}, logs / "server-persist.log")
    check(img.exec(["glacier-mock", "health", "--wait", "20"]).returncode == 0, (logs / "server-persist.log").read_text())
    kept = workflow.full_workflow(endpoint, vault="persisted")
    check(stop(server) == 0, "SIGTERM with a data directory")
    owners = {(p.stat().st_uid, p.stat().st_gid) for p in volume.rglob("*")}
    check((volume / "glacier.sqlite").is_file() and owners == {(img.uid, img.gid)},
          f"volume contents/owners: {sorted(p.name for p in volume.iterdir())} {owners}")
    server = img.start({"GLACIER_MOCK_DATA_DIR": "/data"}, logs / "server-persist.log")
    check(img.exec(["glacier-mock", "health", "--wait", "20"]).returncode == 0, (logs / "server-persist.log").read_text())
    workflow.still_there(endpoint, kept)
    check(stop(server) == 0, "SIGTERM after the restart")
    log("GLACIER_MOCK_DATA_DIR=/data with a volume: state kept across a restart, files owned by the image's user")


def inside_dist(root: Path, tarball_dir: str) -> None:
    import workflow
    loopback_up()
    run(["mount", "-t", "proc", "proc", root / "proc"])
    run(["mount", "--bind", "/dev", root / "dev"])
    binary = f"/opt/{tarball_dir}/glacier-mock"
    nobody = ["chroot", "--userspec=65534:65534", "--groups=", str(root), "/usr/bin/env", "-i",
              "PATH=/usr/bin:/bin", "TMPDIR=/tmp"]
    r = subprocess.run(nobody + [binary, "--version"], capture_output=True, text=True)
    check(r.returncode == 0, f"the tarball's binary does not run on bare Debian: {r.stderr}")
    server = subprocess.Popen(nobody + [binary, "serve"], stdin=subprocess.DEVNULL,
                              stdout=open(CACHE / "run" / "server-dist.log", "wb"), stderr=subprocess.STDOUT)
    r = subprocess.run(nobody + [binary, "health", "--wait", "20"], capture_output=True, text=True)
    check(r.returncode == 0, f"dist health: {r.stderr}\n{(CACHE / 'run' / 'server-dist.log').read_text()}")
    workflow.small_workflow("http://127.0.0.1:9901")
    check(stop(server) == 0, "dist server: SIGTERM")


# ------------------------------------------------------------------------------ the tarball's chroot

def dist_root() -> Path:
    """minbase + libssl3 + libsqlite3-0, made once from the cached base tar and the mirror."""
    marker = DIST_ROOT / ".glacier-mock-dist-root"
    if marker.is_file():
        return DIST_ROOT
    shutil.rmtree(DIST_ROOT, ignore_errors=True)
    DIST_ROOT.mkdir(parents=True)
    run(["tar", "--numeric-owner", "-C", DIST_ROOT, "-xf", base_packages_tar()])
    before = set(out(["chroot", DIST_ROOT, "dpkg-query", "-W", "-f", "${Package}\\n"]).split())
    shutil.copy("/etc/resolv.conf", DIST_ROOT / "etc/resolv.conf")
    log(f"bare Debian chroot for the tarball: apt-get install {' '.join(LIBRARIES)}")
    script = ("mount -t proc proc {r}/proc && chroot {r} sh -c 'apt-get update -qq && "
              "DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends {libs} >/dev/null && "
              "apt-get clean && rm -rf /var/lib/apt/lists/*'").format(r=DIST_ROOT, libs=" ".join(LIBRARIES))
    run(["unshare", "--mount", "--propagation", "private", "sh", "-c", script])
    after = set(out(["chroot", DIST_ROOT, "dpkg-query", "-W", "-f", "${Package}\\n"]).split())
    check(after - before == set(LIBRARIES), f"installing {LIBRARIES} added {sorted(after - before)}")
    marker.write_text(" ".join(LIBRARIES) + "\n")
    return DIST_ROOT


def test_dist(tarball: Path) -> None:
    root = dist_root()
    name = tarball.name[:-len(".tar.gz")]
    shutil.rmtree(root / "opt" / name, ignore_errors=True)
    run(["tar", "-C", root / "opt", "-xzf", tarball])
    listing = sorted(p.name for p in (root / "opt" / name).iterdir())
    check("glacier-mock" in listing and "README.md" in listing, f"tarball contents: {listing}")
    r = run(["chroot", root, "ldd", f"/opt/{name}/glacier-mock"], capture_output=True, text=True, check=False)
    libs = sorted(l.split()[0] for l in r.stdout.splitlines() if "=>" in l)
    check("not found" not in r.stdout, f"missing libraries in bare Debian: {r.stdout}")
    check(not any("swift" in l.lower() or "Foundation" in l for l in libs), f"Swift runtime linked dynamically: {libs}")
    log(f"tarball {tarball.name} ({tarball.stat().st_size / 1e6:.1f} MB): {listing}; loads {', '.join(libs)}")
    run(["unshare", "--net", "--mount", "--propagation", "private", sys.executable, __file__, "--inside-dist", root, name])
    log("the tarball's binary serves a boto3 workflow as nobody in bare Debian + libssl3 + libsqlite3-0")


# ------------------------------------------------------------------------------ main

def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--inside-image", nargs=2, metavar=("MOUNT", "CONFIG"))
    ap.add_argument("--inside-dist", nargs=2, metavar=("ROOT", "NAME"))
    args = ap.parse_args()
    if args.inside_image:
        return inside_image(Path(args.inside_image[0]), Path(args.inside_image[1]))
    if args.inside_dist:
        return inside_dist(Path(args.inside_dist[0]), args.inside_dist[1])

    preflight()
    ver = version()
    tarball = make_dist(ver)
    ensure_base_image()
    build_image(ver, tarball)
    cfg = image_config(ver)
    cfg["version"] = ver
    (CACHE / "run").mkdir(parents=True, exist_ok=True)
    cfg_path = CACHE / "run" / "image-config.json"
    cfg_path.write_text(json.dumps(cfg))
    mount = Path(out(["podman", "image", "mount", IMAGE_TAG]).strip())
    try:
        run(["unshare", "--net", "--mount", "--propagation", "private",
             sys.executable, __file__, "--inside-image", mount, cfg_path])
    finally:
        run(["podman", "image", "unmount", IMAGE_TAG], check=False, stdout=subprocess.DEVNULL)
    test_dist(tarball)
    log(f"passed: image {IMAGE_TAG} ({cfg['size'] / 1e6:.1f} MB uncompressed), tarball {tarball.name}")


if __name__ == "__main__":
    main()
