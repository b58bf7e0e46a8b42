#!/usr/bin/env python3
"""The container figures of `make bench`: the image's uncompressed size, the time from exec of
its entrypoint to a healthy GET /_mock/health, and the `make dist` tarball's size. Writes its
section into bench/RESULTS.md between the markers below (bench/run.py calls it after writing
the rest; `make bench-container` runs it alone).

Needs root and the image `make image-test` built (localhost/glacier-mock:image-test): no Docker
engine runs on the project's machine, so the entrypoint is started the way image-test starts it,
with chroot in the mounted image filesystem, as the image's user, in a private network and
mount namespace. Without those, the section says what was not measured and why.
"""
from __future__ import annotations

import json
import os
import re
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT / "Tests" / "container"))

BEGIN, END = "<!-- container figures: begin (bench/container.py) -->", "<!-- container figures: end -->"
STARTS = int(os.environ.get("BENCH_CONTAINER_STARTS", "9"))

# Published elsewhere, found with the project's search tool, not measured here. Neither is a
# registry's size listing: each is a figure stated in the project's own issue tracker.
OTHERS = [
    ("LocalStack (`localstack/localstack:latest`)", "about 1.88 GB",
     "as reported by a user in localstack/localstack issue #12571 (2025-05-01)"),
    ("moto (`motoserver/moto`, arm64)", "523 MB (792 MB before)",
     "stated in getmoto/moto pull request #9066 (2025-07-16), which reduced it"),
]


def inside(mount: str, cfg_path: str) -> None:
    """In the namespaces: start the entrypoint STARTS times, each until healthy, and print JSON."""
    import image_test as it
    cfg = json.loads(Path(cfg_path).read_text())
    it.loopback_up()
    it.container_mounts(Path(mount))
    img = it.InImage(Path(mount), cfg)
    url = f"http://127.0.0.1:{cfg['env']['GLACIER_MOCK_PORT']}/_mock/health"
    times = []
    for _ in range(STARTS):
        t0 = time.monotonic()
        proc = img.start()
        while True:
            try:
                with urllib.request.urlopen(url, timeout=1) as r:
                    if r.status == 200 and json.loads(r.read()) == {"status": "ok"}:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() - t0 > 20:
                raise SystemExit(f"the entrypoint did not become healthy (exit {proc.poll()})")
            time.sleep(0.001)
        times.append((time.monotonic() - t0) * 1000)
        it.stop(proc)
    print(json.dumps(times))


def measure() -> tuple[dict, str | None]:
    import image_test as it
    if os.geteuid() != 0:
        return {}, "not root: the image's filesystem is mounted and chrooted into, which needs root"
    if subprocess.run(["podman", "image", "exists", it.IMAGE_TAG], capture_output=True).returncode != 0:
        return {}, f"no image {it.IMAGE_TAG}: run `make image-test` first"
    [info] = json.loads(subprocess.run(["podman", "image", "inspect", it.IMAGE_TAG], capture_output=True,
                                       text=True, check=True).stdout)
    [base] = json.loads(subprocess.run(["podman", "image", "inspect", it.BASE_TAG], capture_output=True,
                                       text=True, check=True).stdout)
    version = subprocess.run(["make", "-s", "--no-print-directory", "-C", str(ROOT), "version"],
                             capture_output=True, text=True).stdout.strip()
    cfg = it.image_config(version)
    cfg["version"] = version
    cfg_path = it.CACHE / "run" / "bench-config.json"
    cfg_path.parent.mkdir(parents=True, exist_ok=True)
    cfg_path.write_text(json.dumps(cfg))
    mount = subprocess.run(["podman", "image", "mount", it.IMAGE_TAG], capture_output=True, text=True,
                           check=True).stdout.strip()
    try:
        binary = Path(mount) / "usr/local/bin/glacier-mock"
        binary_size = binary.stat().st_size
        r = subprocess.run(["unshare", "--net", "--mount", "--propagation", "private", sys.executable,
                            __file__, "--inside", mount, str(cfg_path)], capture_output=True, text=True)
    finally:
        subprocess.run(["podman", "image", "unmount", it.IMAGE_TAG], capture_output=True)
    if r.returncode != 0:
        return {}, f"the entrypoint did not start: {r.stderr.strip()[-300:]}"
    times = json.loads(r.stdout.strip().splitlines()[-1])
    arch = os.uname().machine
    # What the binary's size is made of: ICU's data table, linked in with Foundation
    # (FoundationInternationalization), read from the unstripped release binary's symbols.
    icu = None
    unstripped = ROOT / ".build" / f"{arch}-unknown-linux-gnu" / "release" / "glacier-mock"
    if unstripped.is_file():
        nm = subprocess.run(["nm", "-S", str(unstripped)], capture_output=True, text=True).stdout
        sizes = [int(f[1], 16) for f in (l.split() for l in nm.splitlines())
                 if len(f) == 4 and re.fullmatch(r"icudt\d+_dat", f[3])]
        icu = sum(sizes) or None
    tarball = ROOT / "dist" / f"glacier-mock-{version}-linux-{arch}.tar.gz"
    return {
        "image": info["Size"], "base": base["Size"], "binary": binary_size,
        "starts": times, "tarball": tarball.stat().st_size if tarball.is_file() else None,
        "tarball_name": tarball.name, "icu": icu, "version": version, "created": info["Created"][:16],
    }, None


def section(fig: dict, why: str | None) -> str:
    L = [BEGIN, "## Container image and release tarball", ""]
    if why:
        L += [f"Not measured in this run: {why}.", ""]
    else:
        med = statistics.median(fig["starts"])
        added = fig["image"] - fig["base"]
        L += [
            "| figure | goal | measured | met |",
            "|---|---|---|---|",
            f"| image size, uncompressed | ≤ 80 MB | {fig['image'] / 1e6:.1f} MB: the stand-in base "
            f"{fig['base'] / 1e6:.1f} MB + {added / 1e6:.1f} MB added by the runtime stage (the binary "
            f"{fig['binary'] / 1e6:.1f} MB, libssl3, libsqlite3-0, the user) | "
            f"{'yes' if fig['image'] <= 80e6 else 'no'} |",
            f"| exec of the entrypoint → healthy `/_mock/health` | ≤ 150 ms | {med:.0f} ms median of "
            f"{len(fig['starts'])} (min {min(fig['starts']):.0f}, max {max(fig['starts']):.0f}) | "
            f"{'yes' if med <= 150 else 'no'} |",
            f"| `make dist` tarball | — | "
            + (f"{fig['tarball'] / 1e6:.1f} MB (`{fig['tarball_name']}`)" if fig["tarball"] else "not built")
            + " | — |",
            "",
            ("Why the size goal is missed: the binary is "
             f"{fig['binary'] / 1e6:.1f} MB stripped, and {fig['icu'] / 1e6:.1f} MB of it is ICU's data "
             "table (`icudt*_dat`), which `--static-swift-stdlib` links in with Foundation's "
             "FoundationInternationalization, because the server's own modules import `Foundation` "
             "rather than `FoundationEssentials` alone (whether every package in the graph could do "
             "without it was not checked); moving to FoundationEssentials is a change of its own, "
             "not made here. And the stand-in base alone is "
             f"{fig['base'] / 1e6:.0f} MB: on a Debian slim base the goal is out of reach whatever the "
             "binary weighs (the real `debian:bookworm-slim` was not measured here)." if fig.get("icu") and fig["image"] > 80e6 else ""),
            "",
            f"How: `make image-test` builds the image (glacier-mock {fig['version']}, built {fig['created']}) with "
            "podman from docker/Dockerfile on a stand-in for `debian:bookworm-slim`: Debian 12 from "
            "`debootstrap --variant=minbase`, slimmed with the dpkg path excludes that image uses. The "
            "size is podman's uncompressed size of all layers; on the real `debian:bookworm-slim` it is "
            "that image's size plus the same added layers (not measured here: no registry). The start "
            "time runs from the exec of the entrypoint (chroot into the mounted image as uid 9901, "
            "`glacier-mock serve` with the image's environment, ephemeral state) until GET "
            "/_mock/health, polled every millisecond, answers `{\"status\":\"ok\"}`; a container "
            "engine adds its own start-up (namespaces, cgroups, network) on top, not measured here.",
            "",
        ]
    L += ["Published sizes of other emulators' images, for scale (not measured here):", ""]
    L += [f"- {name}: {size}, {src}." for name, size, src in OTHERS]
    L += ["", END, ""]
    return "\n".join(L)


def write(results: Path) -> None:
    fig, why = measure()
    text = results.read_text() if results.is_file() else ""
    block = section(fig, why)
    if BEGIN in text and END in text:
        head, rest = text.split(BEGIN, 1)
        text = head + block + rest.split(END, 1)[1].lstrip("\n")
    else:
        text = text.rstrip("\n") + "\n\n" + block
    results.write_text(text)
    print(block)


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--inside":
        inside(sys.argv[2], sys.argv[3])
    else:
        write(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE / "RESULTS.md")
