#!/usr/bin/env python3
"""glacier-mock benchmark suite: measures the release build against its performance targets
and writes bench/RESULTS.md.

    python3 bench/run.py [--bin .build/release/glacier-mock] [--out bench/RESULTS.md]

Environment: BENCH_RUNS (default 5; 2 with BENCH_QUICK), BENCH_QUICK=1 (shorter measurements,
fewer repetitions), BENCH_ONLY=name,name (run only these drivers; see DRIVERS).

One *run* measures everything once, references included (the SHA-256 rate of this machine,
moto's server), so every ratio is computed from figures taken in the same run. RESULTS.md
reports the median of the runs with min–max. Scratch data goes to bench/out/ (removed as it
goes); the 100,000-archive data directory for the start-up test is seeded once through the
API and cached in bench/.cache/, keyed by the schema the binary creates.
"""
from __future__ import annotations

import argparse
import datetime
import hashlib
import json
import os
import platform
import re
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import threading
import time
import traceback

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gmclient as g  # noqa: E402
from gmclient import MiB, GiB, Conn, Payload, Server  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
OUT = os.path.join(HERE, "out")
CACHE = os.path.join(HERE, ".cache")
MB = 1e6  # throughput figures are decimal, like openssl speed's (its "k" is 1000 bytes)

QUICK = os.environ.get("BENCH_QUICK", "") not in ("", "0")
RUNS = int(os.environ.get("BENCH_RUNS") or (2 if QUICK else 5))
ONLY = {s for s in os.environ.get("BENCH_ONLY", "").split(",") if s}



def set_mode(quick: bool):
    global QUICK, SECONDS, WRK_SECONDS, SSL_SECONDS, STARTS, COMPLETES, SETTLE_SECONDS
    QUICK = quick
    SECONDS = 2.0 if quick else 5.0     # each throughput loop
    WRK_SECONDS = 3 if quick else 10    # each wrk measurement
    SSL_SECONDS = 1 if quick else 3     # openssl speed in each run
    STARTS = 3 if quick else 7          # start-ups per data directory per run
    COMPLETES = 1 if quick else 3       # 1000-part uploads completed per run (100-part: always 3)
    SETTLE_SECONDS = 3 if quick else 10  # pause after the kept-archive loop (see drv_gm)


set_mode(QUICK)
SEED_ARCHIVES = 100_000


def log(msg: str):
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", flush=True)


# ---------------------------------------------------------------------------------------
# Machine

def cpu_model() -> str:
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def machine_busy_fraction(seconds: float = 1.0) -> float:
    """Share of all CPU time that was busy over `seconds` while the suite does nothing."""
    def snap():
        with open("/proc/stat") as f:
            v = [int(x) for x in f.readline().split()[1:]]
        idle = v[3] + v[4]
        return sum(v[:8]), idle
    t0, i0 = snap()
    time.sleep(seconds)
    t1, i1 = snap()
    return 1 - (i1 - i0) / max(1, t1 - t0)


def openssl_sha256(multi: int | None) -> tuple[float, str]:
    """SHA-256 MB/s on 1 MiB blocks, from `openssl speed`, and the line it printed."""
    cmd = ["openssl", "speed"] + (["-multi", str(multi)] if multi else []) + \
          ["-evp", "sha256", "-bytes", "1048576", "-seconds", str(SSL_SECONDS)]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    lines = [ln for ln in out.splitlines() if re.match(r"^\s*(evp|sha256)\s+[\d.]+k\s*$", ln)]
    if not lines:
        raise RuntimeError(f"cannot read `{' '.join(cmd)}` output:\n{out}")
    kb = float(lines[-1].split()[-1].rstrip("k"))
    return kb * 1000 / MB, lines[-1].strip()


# ---------------------------------------------------------------------------------------
# Helpers

class CPUWatch:
    """Server and client CPU over a measured interval, as a fraction of one core."""

    def __init__(self, server: Server | None):
        self.server = server

    def __enter__(self):
        self.t0 = time.perf_counter()
        self.s0 = self.server.cpu() if self.server else 0.0
        self.c0 = time.process_time()
        ch = resource.getrusage(resource.RUSAGE_CHILDREN)
        self.k0 = ch.ru_utime + ch.ru_stime
        return self

    def __exit__(self, *exc):
        self.wall = time.perf_counter() - self.t0
        self.server_cpu = ((self.server.cpu() if self.server else 0.0) - self.s0) / self.wall
        ch = resource.getrusage(resource.RUSAGE_CHILDREN)
        self.client_cpu = (time.process_time() - self.c0 + ch.ru_utime + ch.ru_stime - self.k0) / self.wall


def timed_loop(fn, seconds: float) -> tuple[int, float]:
    """Calls fn() until `seconds` have passed; returns (calls, elapsed)."""
    n = 0
    t0 = time.perf_counter()
    end = t0 + seconds
    while True:
        fn()
        n += 1
        now = time.perf_counter()
        if now >= end:
            return n, now - t0


def parallel(fns):
    """Runs each fn in its own thread, started together; returns their results."""
    results = [None] * len(fns)
    errors = []
    barrier = threading.Barrier(len(fns))

    def wrap(i, fn):
        try:
            barrier.wait()
            results[i] = fn()
        except BaseException as e:  # noqa: BLE001
            errors.append(e)

    threads = [threading.Thread(target=wrap, args=(i, fn)) for i, fn in enumerate(fns)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
    return results


def wrk(url: str, seconds: int, connections: int = 8, threads: int = 2, headers: dict | None = None,
        script: str | None = None, env: dict | None = None) -> dict:
    cmd = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "10s"]
    # Every Glacier request names the API version, as the SDKs send it (glacier-mock, like AWS,
    # refuses one without it); moto ignores it.
    for k, v in {"x-amz-glacier-version": "2012-06-01", **(headers or {})}.items():
        cmd += ["-H", f"{k}: {v}"]
    if script:
        cmd += ["-s", script]
    cmd.append(url)
    out = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, **(env or {})}).stdout
    m = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if not m:
        raise RuntimeError(f"wrk printed no rate:\n{out}")
    res = {"rps": float(m.group(1))}
    m = re.search(r"(\d+) requests in ([\d.]+)(m?s|m|h)", out)
    if m:
        unit = {"ms": 1e-3, "s": 1, "m": 60, "h": 3600}[m.group(3)]
        res["requests"], res["seconds"] = int(m.group(1)), float(m.group(2)) * unit
    for pct in ("50", "99"):
        m = re.search(rf"^\s+{pct}%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
        if m:
            res[f"p{pct}_ms"] = float(m.group(1)) * {"us": 1e-3, "ms": 1, "s": 1e3}[m.group(2)]
    m = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    res["non2xx"] = int(m.group(1)) if m else 0
    m = re.search(r"Socket errors: (.*)", out)
    res["socket_errors"] = m.group(1).strip() if m else ""
    if res["non2xx"]:
        raise RuntimeError(f"wrk saw {res['non2xx']} error responses from {url}:\n{out}")
    return res


def start_gm(binary: str, data_dir: str, name: str, args=()) -> Server:
    os.makedirs(data_dir, exist_ok=True)
    return Server.glacier_mock(binary, data_dir, os.path.join(OUT, f"{name}.log"), args=args).start()


def schema_key(binary: str) -> str:
    """A digest of the SQLite schema this binary creates (tables, indexes, migrations): the
    seeded data directory is reused only by a binary that creates the same schema."""
    import hashlib
    d = os.path.join(OUT, "schema-probe")
    shutil.rmtree(d, ignore_errors=True)
    srv = start_gm(binary, d, "schema-probe")
    srv.stop()
    db = sqlite3.connect(os.path.join(d, "glacier.sqlite"))
    rows = db.execute("SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name").fetchall()
    try:
        rows += db.execute("SELECT identifier FROM grdb_migrations ORDER BY identifier").fetchall()
    except sqlite3.Error:
        pass
    db.close()
    shutil.rmtree(d, ignore_errors=True)
    return hashlib.sha256(repr(rows).encode()).hexdigest()[:16]


def seeded_data_dir(binary: str) -> str:
    """bench/.cache/seed-KEY-100000/data: 100,000 archives uploaded through the API."""
    key = schema_key(binary)
    final = os.path.join(CACHE, f"seed-{key}-{SEED_ARCHIVES}")
    if os.path.exists(os.path.join(final, "complete")):
        return os.path.join(final, "data")
    tmp = final + ".partial"
    shutil.rmtree(tmp, ignore_errors=True)
    os.makedirs(tmp)
    log(f"seeding {SEED_ARCHIVES} archives through UploadArchive (once; cached in {os.path.relpath(final, ROOT)})")
    srv = start_gm(binary, os.path.join(tmp, "data"), "seed")
    try:
        c = Conn("127.0.0.1", srv.port)
        g.create_vault(c)
        p = Payload(64)
        conns = 4
        per = SEED_ARCHIVES // conns
        t0 = time.perf_counter()

        def worker():
            cc = Conn("127.0.0.1", srv.port)
            for _ in range(per):
                g.upload_archive(cc, p)
            cc.close()

        parallel([worker] * conns)
        c.close()
        c = Conn("127.0.0.1", srv.port)  # the first one sat idle past --idle-timeout
        # DescribeVault counts archives as of the vault's last inventory: take it now.
        c.check(200, "POST", "/_mock/inventory", body=json.dumps({"VaultName": g.VAULT}).encode())
        r = c.check(200, "GET", f"/-/vaults/{g.VAULT}")
        n = json.loads(r.body)["NumberOfArchives"]
        if n != SEED_ARCHIVES:
            raise RuntimeError(f"seeded {n} archives, expected {SEED_ARCHIVES}")
        log(f"seeded {n} archives in {time.perf_counter() - t0:.1f} s")
    finally:
        srv.stop()
    with open(os.path.join(tmp, "complete"), "w") as f:
        f.write(f"{SEED_ARCHIVES} archives of 64 bytes in vault {g.VAULT}; schema {key}\n")
    os.rename(tmp, final)
    return os.path.join(final, "data")


def copy_data_dir(src: str, dst: str):
    """SQLite files copied, blob files hard-linked (start-up never changes a blob)."""
    shutil.rmtree(dst, ignore_errors=True)
    os.makedirs(dst)
    for name in os.listdir(src):
        s, d = os.path.join(src, name), os.path.join(dst, name)
        if os.path.isdir(s):
            shutil.copytree(s, d, copy_function=os.link)
        else:
            shutil.copy2(s, d)


# ---------------------------------------------------------------------------------------
# Drivers. Each takes the run context and returns a dict of figures.

class Run:
    def __init__(self, binary: str, index: int, seed_dir: str | None):
        self.binary, self.index, self.seed_dir = binary, index, seed_dir
        self.dir = os.path.join(OUT, f"run-{index}")
        shutil.rmtree(self.dir, ignore_errors=True)
        os.makedirs(self.dir)
        self.payloads: dict[int, Payload] = {}

    def payload(self, size: int) -> Payload:
        if size not in self.payloads:
            self.payloads[size] = Payload(size)
        return self.payloads[size]


def drv_sha256(run: Run) -> dict:
    one, line1 = openssl_sha256(None)
    two, line2 = openssl_sha256(2)
    return {"sha256_1core_MBps": one, "sha256_2core_MBps": two, "openssl_line_1": line1, "openssl_line_2": line2}


def upload_rate(srv: Server, p: Payload, conns: int, seconds: float) -> dict:
    """UploadMultipartPart of `p` re-sent over `conns` keep-alive connections (each its own
    range of one upload) for `seconds`; MB/s in aggregate."""
    c = Conn("127.0.0.1", srv.port)
    uid = g.initiate_upload(c, p.size)
    cs = [Conn("127.0.0.1", srv.port) for _ in range(conns)]
    for i, cc in enumerate(cs):  # warm-up: one request each (also creates the parts)
        g.upload_part(cc, uid, p, i * p.size)

    def loop(i):
        cc = cs[i]
        return timed_loop(lambda: g.upload_part(cc, uid, p, i * p.size), seconds)

    with CPUWatch(srv) as w:
        res = parallel([lambda i=i: loop(i) for i in range(conns)])
    total = sum(n for n, _ in res) * p.size
    for cc in cs:
        cc.close()
    c.check(204, "DELETE", f"/-/vaults/{g.VAULT}/multipart-uploads/{uid}")
    c.close()
    return {"MBps": total / w.wall / MB, "requests": sum(n for n, _ in res),
            "server_cpu": w.server_cpu, "client_cpu": w.client_cpu}


def upload_rate_wrk(srv: Server, p: Payload, seconds: int, scratch: str) -> dict:
    """The same as upload_rate with one connection, with wrk as the client (bench/wrk/put.lua)."""
    c = Conn("127.0.0.1", srv.port)
    uid = g.initiate_upload(c, p.size)
    body = os.path.join(scratch, f"body-{p.size}")
    with open(body, "wb") as f:
        f.write(p.data)
    env = {"BENCH_BODY": body, "BENCH_RANGE": f"bytes 0-{p.size - 1}/*", "BENCH_TREE": p.tree, "BENCH_LINEAR": p.linear}
    with CPUWatch(srv) as w:
        r = wrk(f"http://127.0.0.1:{srv.port}/-/vaults/{g.VAULT}/multipart-uploads/{uid}", seconds,
                connections=1, threads=1, script=os.path.join(HERE, "wrk", "put.lua"), env=env)
    os.unlink(body)
    c.check(204, "DELETE", f"/-/vaults/{g.VAULT}/multipart-uploads/{uid}")
    c.close()
    return {"MBps": r["requests"] * p.size / r["seconds"] / MB, "server_cpu": w.server_cpu, "client_cpu": w.client_cpu}


def drv_gm(run: Run) -> dict:
    """Everything measured on one glacier-mock server: uploads (1), UploadArchive (2),
    DescribeVault / ListParts under wrk (3), CompleteMultipartUpload (4), GetJobOutput (5)."""
    out: dict = {}
    srv = start_gm(run.binary, os.path.join(run.dir, "gm-data"), f"gm-run{run.index}")
    try:
        c = Conn("127.0.0.1", srv.port)
        g.create_vault(c)

        # 1. UploadMultipartPart
        for size, key in ((MiB, "1m"), (8 * MiB, "8m"), (64 * MiB, "64m")):
            r = upload_rate(srv, run.payload(size), 1, SECONDS)
            out[f"upload_{key}_1c"] = r
            log(f"  upload {size // MiB} MiB parts, 1 conn: {r['MBps']:.0f} MB/s "
                f"(server {r['server_cpu']:.0%} CPU, client {r['client_cpu']:.0%})")
        r = upload_rate(srv, run.payload(8 * MiB), 2, SECONDS)
        out["upload_8m_2c"] = r
        log(f"  upload 8 MiB parts, 2 conns: {r['MBps']:.0f} MB/s (server {r['server_cpu']:.0%}, client {r['client_cpu']:.0%})")
        r = upload_rate_wrk(srv, run.payload(8 * MiB), max(2, int(SECONDS)), run.dir)
        out["upload_8m_1c_wrk"] = r
        log(f"  upload 8 MiB parts, 1 conn, wrk client: {r['MBps']:.0f} MB/s (server {r['server_cpu']:.0%}, wrk {r['client_cpu']:.0%})")

        # 2. UploadArchive 8 MiB. The target's figure: each archive deleted right after it is
        # acknowledged (the DELETE inside the timed loop), so the store stays one archive large,
        # as moto's does (it keys archives by MD5). Then, for context, archives kept: the store
        # grows by GBs and the page cache with it (see "How each figure is taken", 2).
        p = run.payload(8 * MiB)
        g.upload_archive(c, p)

        def upload_and_delete():
            a = g.upload_archive(c, p)
            c.check(204, "DELETE", f"/-/vaults/{g.VAULT}/archives/{a}")
        with CPUWatch(srv) as w:
            n, dt = timed_loop(upload_and_delete, SECONDS)
        out["upload_archive_8m"] = {"MBps": n * p.size / dt / MB, "server_cpu": w.server_cpu, "client_cpu": w.client_cpu}
        log(f"  UploadArchive 8 MiB (each deleted after): {n * p.size / dt / MB:.0f} MB/s (server {w.server_cpu:.0%} CPU)")
        ids = []
        with CPUWatch(srv) as w:
            n, dt = timed_loop(lambda: ids.append(g.upload_archive(c, p)), SECONDS)
        out["upload_archive_8m_keep"] = {"MBps": n * p.size / dt / MB, "server_cpu": w.server_cpu,
                                         "client_cpu": w.client_cpu, "stored_gb": n * p.size / 1e9}
        log(f"  UploadArchive 8 MiB (all kept, {n * p.size / 1e9:.1f} GB): {n * p.size / dt / MB:.0f} MB/s "
            f"(server {w.server_cpu:.0%} CPU)")
        for a in ids:
            c.check(204, "DELETE", f"/-/vaults/{g.VAULT}/archives/{a}")
        # Storing and deleting those GBs leaves the VM's host busy for a few seconds after the
        # guest is idle: DescribeVault's p99 measured right after was 3.8-11.6 ms, 3.6 ms after 5 s
        # and 3.1 ms after 15 s (bench/GAPS.md). Let it settle before the latency figures.
        os.sync()
        time.sleep(SETTLE_SECONDS)

        # 3. DescribeVault and ListParts (an upload holding 50 parts)
        uid = g.initiate_upload(c, MiB)
        p1 = run.payload(MiB)
        for i in range(50):
            g.upload_part(c, uid, p1, i * MiB)
        r = c.check(200, "GET", f"/-/vaults/{g.VAULT}/multipart-uploads/{uid}")
        assert len(json.loads(r.body)["Parts"]) == 50
        base = f"http://127.0.0.1:{srv.port}"
        with CPUWatch(srv) as w:
            out["describe_vault"] = wrk(f"{base}/-/vaults/{g.VAULT}", WRK_SECONDS)
        out["describe_vault"]["server_cpu"] = w.server_cpu
        with CPUWatch(srv) as w:
            out["list_parts"] = wrk(f"{base}/-/vaults/{g.VAULT}/multipart-uploads/{uid}", WRK_SECONDS)
        out["list_parts"]["server_cpu"] = w.server_cpu
        log(f"  DescribeVault {out['describe_vault']['rps']:.0f} req/s p99 {out['describe_vault'].get('p99_ms', 0):.2f} ms; "
            f"ListParts {out['list_parts']['rps']:.0f} req/s p99 {out['list_parts'].get('p99_ms', 0):.2f} ms")
        c.check(204, "DELETE", f"/-/vaults/{g.VAULT}/multipart-uploads/{uid}")

        # 4. CompleteMultipartUpload of 100 and 1000 × 1 MiB parts
        def complete(parts: int) -> tuple[float, float]:
            u = g.initiate_upload(c, MiB)
            t0 = time.perf_counter()
            for i in range(parts):
                g.upload_part(c, u, p1, i * MiB)
            t_parts = time.perf_counter() - t0
            tree = g.combine_hex([p1.tree] * parts)
            t0 = time.perf_counter()
            a = g.complete_upload(c, u, parts * MiB, tree)
            t_complete = time.perf_counter() - t0
            c.check(204, "DELETE", f"/-/vaults/{g.VAULT}/archives/{a}")
            return t_parts, t_complete
        c100 = [complete(100)[1] for _ in range(3)]
        c1000 = [complete(1000) for _ in range(COMPLETES)]
        t_parts = statistics.median(t for t, _ in c1000)
        t_complete = statistics.median(t for _, t in c1000)
        out["complete"] = {"parts_1000_s": t_parts, "complete_1000_ms": t_complete * 1e3,
                           "complete_100_ms": statistics.median(c100) * 1e3,
                           "all_1000_ms": [t * 1e3 for _, t in c1000], "all_100_ms": [t * 1e3 for t in c100]}
        log(f"  Complete: 1000 parts uploaded in {t_parts:.2f} s, completed in {t_complete * 1e3:.1f} ms "
            f"({', '.join(f'{t * 1e3:.0f}' for _, t in c1000)}); 100 parts completed in {statistics.median(c100) * 1e3:.1f} ms")

        # 5. GetJobOutput of a 1 GiB archive (8 × 128 MiB parts, as it is in page cache)
        block = Payload(128 * MiB, unique=0)
        aid = g.multipart_archive(c, block, 8)
        job = g.initiate_retrieval(c, aid)
        path = g.job_output_path(job)
        rates = []
        for _ in range(2):
            with CPUWatch(srv) as w:
                r = c.check(200, "GET", path, discard=True)
            assert r.length == GiB, r.length
            rates.append((GiB / w.wall / 1e9, w.server_cpu, w.client_cpu))
        best = max(rates)
        out["job_output_1g"] = {"GBps": best[0], "server_cpu": best[1], "client_cpu": best[2]}
        log(f"  GetJobOutput 1 GiB: {best[0]:.2f} GB/s (server {best[1]:.0%}, client {best[2]:.0%})")
        c.check(204, "DELETE", f"/-/vaults/{g.VAULT}/archives/{aid}")
        c.close()
    finally:
        srv.stop()
        shutil.rmtree(os.path.join(run.dir, "gm-data"), ignore_errors=True)
    return out


def drv_moto(run: Run) -> dict:
    """The references from moto's server: UploadArchive 8 MiB and DescribeVault."""
    out: dict = {}
    srv = Server.moto(os.path.join(OUT, f"moto-run{run.index}.log")).start()
    try:
        c = Conn("127.0.0.1", srv.port, {"Authorization": g.MOTO_AUTH})
        g.create_vault(c)
        p = run.payload(8 * MiB)
        g.upload_archive(c, p)
        with CPUWatch(srv) as w:
            # moto keys archives by the MD5 of their bytes: the same body overwrites one archive.
            n, dt = timed_loop(lambda: g.upload_archive(c, p), SECONDS)
        out["upload_archive_8m"] = {"MBps": n * p.size / dt / MB, "server_cpu": w.server_cpu, "rss_mib": srv.rss_kib() / 1024}
        log(f"  moto UploadArchive 8 MiB: {n * p.size / dt / MB:.1f} MB/s ({c.reconnects} connections: moto closes each)")
        c.close()
        with CPUWatch(srv) as w:
            out["describe_vault"] = wrk(f"http://127.0.0.1:{srv.port}/-/vaults/{g.VAULT}", WRK_SECONDS,
                                        headers={"Authorization": g.MOTO_AUTH})
        out["describe_vault"]["server_cpu"] = w.server_cpu
        log(f"  moto DescribeVault {out['describe_vault']['rps']:.0f} req/s")
    finally:
        srv.stop()
    return out


def drv_floor(run: Run) -> dict:
    """The HTTP stack alone (bench/floor/main.swift, built beside glacier-mock): Hummingbird and
    SwiftNIO answering a constant DescribeVault-shaped response, under the same wrk load."""
    binary = os.path.join(os.path.dirname(run.binary), "bench-floor")
    if not os.access(binary, os.X_OK):
        raise RuntimeError(f"no {binary}; `swift build -c release` builds it")
    port = g.free_port()
    srv = g.Server([binary, "--port", str(port)], port, os.path.join(OUT, f"floor-run{run.index}.log")).start()
    try:
        with CPUWatch(srv) as w:
            out = wrk(f"http://127.0.0.1:{port}/-/vaults/{g.VAULT}", WRK_SECONDS)
        out["server_cpu"] = w.server_cpu
        log(f"  HTTP stack alone (bench-floor): {out['rps']:.0f} req/s")
    finally:
        srv.stop()
    return {"describe_vault": out}


def drv_memory(run: Run) -> dict:
    """Peak RSS while a 1 GiB part uploads and a 1 GiB job output downloads at once, minus the
    RSS of the idle server (freshly restarted on the prepared data directory)."""
    data = os.path.join(run.dir, "mem-data")
    srv = start_gm(run.binary, data, f"mem-run{run.index}")
    block = Payload(128 * MiB, unique=0)
    try:
        c = Conn("127.0.0.1", srv.port)
        g.create_vault(c)
        aid = g.multipart_archive(c, block, 8)
        job = g.initiate_retrieval(c, aid)
        uid = g.initiate_upload(c, GiB)
        c.close()
    finally:
        srv.stop()
    big = Payload(GiB, unique=0, seed_block=block.data[:MiB])
    srv = start_gm(run.binary, data, f"mem-run{run.index}")
    try:
        c = Conn("127.0.0.1", srv.port)
        c.check(200, "GET", "/_mock/health")
        time.sleep(0.5)
        idle = srv.rss_kib()
        hwm_reset = True
        try:
            with open(f"/proc/{srv.pid}/clear_refs", "w") as f:
                f.write("5")
        except OSError:
            hwm_reset = False
        samples = []
        stop = threading.Event()

        def sampler():
            while not stop.is_set():
                try:
                    samples.append(srv.rss_kib())
                except (OSError, KeyError):
                    return
                time.sleep(0.01)

        th = threading.Thread(target=sampler)
        th.start()
        up = Conn("127.0.0.1", srv.port)
        down = Conn("127.0.0.1", srv.port)
        t0 = time.perf_counter()
        try:
            parallel([lambda: g.upload_part(up, uid, big, 0),
                      lambda: down.check(200, "GET", g.job_output_path(job), discard=True)])
        finally:
            stop.set()
            th.join()
        dt = time.perf_counter() - t0
        hwm = srv_hwm = g.proc_status_kib(srv.pid, "VmHWM") if hwm_reset else 0
        peak = max(max(samples, default=0), srv_hwm)
        up.close()
        down.close()
        c.close()
        res = {"idle_mib": idle / 1024, "peak_mib": peak / 1024, "delta_mib": (peak - idle) / 1024,
               "sampled_peak_mib": max(samples, default=0) / 1024, "hwm_mib": hwm / 1024, "seconds": dt,
               "samples": len(samples)}
        log(f"  memory: idle {res['idle_mib']:.1f} MiB, peak {res['peak_mib']:.1f} MiB "
            f"(+{res['delta_mib']:.1f}) during 1 GiB up + 1 GiB down ({dt:.1f} s)")
        return res
    finally:
        srv.stop()
        shutil.rmtree(data, ignore_errors=True)
        del big


def drv_startup(run: Run) -> dict:
    """Exec to the first accepted TCP connection: empty data directory, and 100,000 archives."""
    out: dict = {}
    empty = []
    for i in range(STARTS):
        d = os.path.join(run.dir, f"empty-{i}")
        srv = Server.glacier_mock(run.binary, d, os.path.join(OUT, "startup.log"))
        os.makedirs(d)
        srv.start(watch_line=True)
        srv.stop()
        empty.append((srv.startup_connect, srv.startup_line))
        shutil.rmtree(d, ignore_errors=True)
    out["empty_ms"] = statistics.median(t for t, _ in empty) * 1e3
    out["empty_line_ms"] = statistics.median(t for _, t in empty) * 1e3
    if run.seed_dir:
        d = os.path.join(run.dir, "seeded")
        copy_data_dir(run.seed_dir, d)
        full = []
        for i in range(STARTS):
            srv = Server.glacier_mock(run.binary, d, os.path.join(OUT, "startup.log"))
            srv.start(watch_line=True)
            if i == 0:
                r = Conn("127.0.0.1", srv.port).check(200, "GET", f"/-/vaults/{g.VAULT}")
                assert json.loads(r.body)["NumberOfArchives"] == SEED_ARCHIVES
            srv.stop()
            full.append((srv.startup_connect, srv.startup_line))
        shutil.rmtree(d, ignore_errors=True)
        out["seeded_ms"] = statistics.median(t for t, _ in full) * 1e3
        out["seeded_line_ms"] = statistics.median(t for _, t in full) * 1e3
    log(f"  start-up: empty {out['empty_ms']:.1f} ms, 100k archives {out.get('seeded_ms', float('nan')):.1f} ms")
    return out


def drv_ceiling(run: Run) -> dict:
    """What the Python client and loopback do with no server work: a sink that discards an
    8 MiB PUT body and a source that sends 1 GiB, both Python with recv_into/sendall."""
    import socket
    p = run.payload(8 * MiB)
    ls = socket.socket()
    ls.bind(("127.0.0.1", 0))
    ls.listen(4)
    port = ls.getsockname()[1]
    src = memoryview(b"\0" * (64 * MiB))

    def serve():
        s, _ = ls.accept()
        buf = bytearray(4 * MiB)
        view = memoryview(buf)
        pending = b""
        while True:
            while b"\r\n\r\n" not in pending:
                d = s.recv(65536)
                if not d:
                    s.close()
                    return
                pending += d
            head, _, pending = pending.partition(b"\r\n\r\n")
            m = re.search(rb"Content-Length: (\d+)", head, re.I)
            rest = int(m.group(1)) - len(pending) if m else 0
            pending = b""
            while rest > 0:
                rest -= s.recv_into(view, min(rest, len(buf)))
            if head.startswith(b"GET"):
                s.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % GiB)
                for _ in range(GiB // len(src)):
                    s.sendall(src)
            else:
                s.sendall(b"HTTP/1.1 204 No Content\r\n\r\n")

    th = threading.Thread(target=serve, daemon=True)
    th.start()
    c = Conn("127.0.0.1", port)
    hdr = g.part_headers(p, 0)
    n, dt = timed_loop(lambda: c.check(204, "PUT", "/x", hdr, p.view), SECONDS)
    t0 = time.perf_counter()
    c.check(200, "GET", "/y", discard=True)
    down = GiB / (time.perf_counter() - t0) / 1e9
    c.close()
    th.join(5)
    ls.close()
    out = {"put_MBps": n * p.size / dt / MB, "get_GBps": down}
    log(f"  client ceiling (Python sink/source): PUT {out['put_MBps']:.0f} MB/s, GET {down:.2f} GB/s")
    return out


def drv_nospare(run: Run) -> dict:
    """Context for targets 1 and 2: their loops replace or delete what they upload, so with the
    default spare files each body overwrites the file of the one before. The same loops on a
    server that unlinks those files at once (`--spare-files 0`) show what that is worth."""
    out: dict = {}
    srv = start_gm(run.binary, os.path.join(run.dir, "nospare-data"), f"nospare-run{run.index}", args=("--spare-files", "0"))
    try:
        c = Conn("127.0.0.1", srv.port)
        g.create_vault(c)
        p = run.payload(8 * MiB)
        for conns in (1, 2):
            r = upload_rate(srv, p, conns, SECONDS)
            out[f"upload_8m_{conns}c"] = r
            log(f"  --spare-files 0: upload 8 MiB parts, {conns} conn(s): {r['MBps']:.0f} MB/s (server {r['server_cpu']:.0%} CPU)")

        def upload_and_delete():
            a = g.upload_archive(c, p)
            c.check(204, "DELETE", f"/-/vaults/{g.VAULT}/archives/{a}")
        with CPUWatch(srv) as w:
            n, dt = timed_loop(upload_and_delete, SECONDS)
        out["upload_archive_8m"] = {"MBps": n * p.size / dt / MB, "server_cpu": w.server_cpu}
        log(f"  --spare-files 0: UploadArchive 8 MiB (each deleted after): {n * p.size / dt / MB:.0f} MB/s")
        c.close()
    finally:
        srv.stop()
    return out


INVENTORY_ARCHIVES = 1_000_000


def seed_inventory_vault(binary: str, data: str, n: int) -> int:
    """A data directory whose vault `g.VAULT` holds `n` archives, written straight into SQLite
    (metadata only: no blob files, no segments; an inventory reads only the archive rows).
    Uploading a million archives through the API would take tens of minutes on this machine
    and a million blob files. Returns the archives' total size."""
    srv = start_gm(binary, data, "inventory-seed")
    try:
        c = Conn("127.0.0.1", srv.port)
        g.create_vault(c)
        g.create_vault(c, "small")
        c.close()
    finally:
        srv.stop()
    import random
    rng = random.Random(20)
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    db = sqlite3.connect(os.path.join(data, "glacier.sqlite"))
    base = 1_780_000_000_000
    total = 0

    def rows():
        nonlocal total
        for i in range(n):
            size = 1024 + (i % 4096)
            total += size
            aid = "".join(rng.choices(alphabet, k=138))
            yield (i + 1, aid, "123456789012", "us-east-1", g.VAULT, f"backup {i:07d}", base + i * 1000,
                   size, "%064x" % rng.getrandbits(256))

    with db:
        db.executemany("INSERT INTO archives (rowid, id, account_id, region, vault_name, description, creation_date, "
                       "size, tree_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", rows())
        db.execute("UPDATE vaults SET number_of_archives = ?, size_in_bytes = ?, inventory_writes = ? WHERE name = ?",
                   (n, total, n, g.VAULT))
    db.close()
    return total


def describe_latencies(port: int, vault: str, count: int) -> list[float]:
    c = Conn("127.0.0.1", port)
    out = []
    for _ in range(count):
        t0 = time.perf_counter()
        c.check(200, "GET", f"/-/vaults/{vault}")
        out.append(time.perf_counter() - t0)
    c.close()
    return out


def p99(values: list[float]) -> float:
    v = sorted(values)
    return v[min(len(v) - 1, int(len(v) * 0.99))] if v else float("nan")


def drv_inventory(run: Run) -> dict:
    """A vault of 1,000,000 archives: taking its inventory (POST /_mock/inventory), the
    inventory job (JSON; InitiateJob completes it at once, writing the document) and its
    download (GetJobOutput: time to first byte, throughput), the peak RSS above idle over all
    of it, and DescribeVault's p99 with that vault present against an empty server, and while
    the inventory is taken and the job's document written."""
    import socket
    n = INVENTORY_ARCHIVES
    count = 2000 if QUICK else 10000
    out: dict = {"archives": n}
    # DescribeVault on a server without the big vault (the same binary, same machine state).
    base_dir = os.path.join(run.dir, "inv-empty")
    srv = start_gm(run.binary, base_dir, f"inv-empty-run{run.index}")
    try:
        c = Conn("127.0.0.1", srv.port)
        g.create_vault(c, "small")
        c.close()
        describe_latencies(srv.port, "small", 200)
        out["describe_p99_empty_ms"] = p99(describe_latencies(srv.port, "small", count)) * 1e3
    finally:
        srv.stop()
        shutil.rmtree(base_dir, ignore_errors=True)

    data = os.path.join(run.dir, "inv-data")
    t0 = time.perf_counter()
    seed_inventory_vault(run.binary, data, n)
    out["seed_seconds"] = time.perf_counter() - t0
    srv = start_gm(run.binary, data, f"inventory-run{run.index}")
    try:
        c = Conn("127.0.0.1", srv.port)
        c.check(200, "GET", "/_mock/health")
        describe_latencies(srv.port, "small", 200)
        out["describe_p99_full_ms"] = p99(describe_latencies(srv.port, "small", count)) * 1e3
        out["describe_big_p99_ms"] = p99(describe_latencies(srv.port, g.VAULT, count)) * 1e3
        time.sleep(0.5)
        idle = srv.rss_kib()
        try:
            with open(f"/proc/{srv.pid}/clear_refs", "w") as f:
                f.write("5")
            hwm_reset = True
        except OSError:
            hwm_reset = False
        samples: list[int] = []
        during: list[float] = []
        stop = threading.Event()

        def sampler():
            while not stop.is_set():
                try:
                    samples.append(srv.rss_kib())
                except (OSError, KeyError):
                    return
                time.sleep(0.01)

        def prober():
            pc = Conn("127.0.0.1", srv.port)
            while not stop.is_set():
                t = time.perf_counter()
                pc.check(200, "GET", "/-/vaults/small")
                during.append(time.perf_counter() - t)
                time.sleep(0.005)
            pc.close()

        threads = [threading.Thread(target=sampler), threading.Thread(target=prober)]
        for th in threads:
            th.start()
        try:
            t0 = time.perf_counter()
            r = c.check(200, "POST", "/_mock/inventory", body=json.dumps({"VaultName": g.VAULT}).encode())
            out["take_seconds"] = time.perf_counter() - t0
            assert json.loads(r.body)["Inventories"][0]["NumberOfArchives"] == n
            cpu0 = g.proc_cpu_seconds(srv.pid)
            t0 = time.perf_counter()
            r = c.check(202, "POST", f"/-/vaults/{g.VAULT}/jobs",
                        body=json.dumps({"Type": "inventory-retrieval", "Format": "JSON"}).encode())
            job = r.header("x-amz-job-id")
            out["job_seconds"] = time.perf_counter() - t0
            # The server's CPU time for the job (its other threads idle meanwhile, but for the
            # prober's DescribeVaults): on a shared machine the wall time also holds the waits
            # for a core.
            out["job_cpu_seconds"] = g.proc_cpu_seconds(srv.pid) - cpu0
            # GetJobOutput on a raw socket: first byte, then the rest read and dropped.
            s = socket.create_connection(("127.0.0.1", srv.port))
            s.sendall(f"GET {g.job_output_path(job)} HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                      f"x-amz-glacier-version: 2012-06-01\r\n\r\n".encode())
            t_req = time.perf_counter()
            buf = bytearray(1 << 20)
            got = s.recv_into(buf)
            out["ttfb_ms"] = (time.perf_counter() - t_req) * 1e3
            head_end = bytes(buf[:got]).find(b"\r\n\r\n")
            head = bytes(buf[:head_end]).decode("latin-1").lower()
            assert head.startswith("http/1.1 200"), head[:200]
            length = int(re.search(r"content-length:\s*(\d+)", head).group(1))
            received = got - head_end - 4
            first_body = bytes(buf[head_end + 4:got])[:20]
            while received < length:
                k = s.recv_into(buf)
                if not k:
                    raise RuntimeError("connection closed before the whole inventory arrived")
                if len(first_body) < 20:
                    first_body += bytes(buf[:k])[:20 - len(first_body)]
                received += k
            t_end = time.perf_counter()
            s.close()
            assert first_body.startswith(b'{"VaultARN":'), first_body
            out["output_bytes"] = length
            out["download_MBps"] = length / (t_end - t_req) / MB
            out["job_to_last_byte_MBps"] = length / (t_end - t_req + out["job_seconds"]) / MB
            out["generate_MBps"] = length / out["job_seconds"] / MB
            out["generate_MBps_per_cpu_s"] = length / max(out["job_cpu_seconds"], 1e-9) / MB
        finally:
            stop.set()
            for th in threads:
                th.join()
        hwm = g.proc_status_kib(srv.pid, "VmHWM") if hwm_reset else 0
        peak = max(max(samples, default=0), hwm)
        out["idle_mib"] = idle / 1024
        out["peak_delta_mib"] = (peak - idle) / 1024
        out["describe_during_p99_ms"] = p99(during) * 1e3
        out["describe_during_max_ms"] = max(during, default=float("nan")) * 1e3
        out["describe_during_count"] = len(during)
        c.close()
        log(f"  inventory of {n} archives: take {out['take_seconds']:.2f} s, job {out['job_seconds']:.2f} s "
            f"({out['output_bytes'] / MB:.0f} MB, {out['generate_MBps']:.0f} MB/s written, server CPU {out['job_cpu_seconds']:.2f} s), TTFB {out['ttfb_ms']:.1f} ms, "
            f"download {out['download_MBps']:.0f} MB/s, peak RSS +{out['peak_delta_mib']:.1f} MiB, "
            f"DescribeVault p99 {out['describe_p99_empty_ms']:.2f} ms empty / {out['describe_p99_full_ms']:.2f} ms with the vault / "
            f"{out['describe_during_p99_ms']:.2f} ms (max {out['describe_during_max_ms']:.1f}) during")
        return out
    finally:
        srv.stop()
        shutil.rmtree(data, ignore_errors=True)


# ---------------------------------------------------------------------------------------
# Seeds and snapshots (docs/seeds-and-snapshots.md)

SNAP_ARCHIVES = 10_000
SNAP_BYTES = GiB
SEED_START_ARCHIVES = 1_000


def write_seed(path: str, archives: int, size: int, vault: str = "bench") -> str:
    """A seed document with `archives` generated archives of `size` bytes in one vault."""
    doc = {"Accounts": [{"AccountId": "123456789012", "Regions": [{"Region": "us-east-1", "Vaults": [
        {"VaultName": vault, "InventoryTaken": True,  # DescribeVault counts as of the last inventory
         "Archives": [{"Generated": {"Size": size, "Seed": i}, "Description": f"a{i}"} for i in range(archives)]}]}]}]}
    with open(path, "w") as f:
        json.dump(doc, f)
    return path


def du_bytes(path: str) -> int:
    """Bytes of disk blocks used by the files under `path` (hard links counted once)."""
    seen, total = set(), 0
    for root, _, files in os.walk(path):
        for name in files:
            st = os.lstat(os.path.join(root, name))
            if (st.st_dev, st.st_ino) not in seen:
                seen.add((st.st_dev, st.st_ino))
                total += st.st_blocks * 512
    return total


def drv_snapshots(run: Run) -> dict:
    """Save and restore of a state holding 10,000 archives and 1 GiB (and, to show that the
    bytes do not matter, of 10,000 one-byte archives), the disk a snapshot adds beyond its
    metadata, and start-up with a seed of 1,000 generated archives."""
    out: dict = {}
    reps = 5 if QUICK else 15

    def post(srv, path, body=None):
        t0 = time.perf_counter()
        r = Conn("127.0.0.1", srv.port).check(200, "POST", path, body=json.dumps(body).encode() if body else b"")
        return time.perf_counter() - t0, r

    for label, size in (("1g", SNAP_BYTES // SNAP_ARCHIVES), ("tiny", 1)):
        d = os.path.join(run.dir, f"snap-{label}")
        seed = write_seed(os.path.join(run.dir, f"snap-{label}.json"), SNAP_ARCHIVES, size)
        srv = start_gm(run.binary, d, f"snapshots-{label}", args=("--seed", seed))
        r = Conn("127.0.0.1", srv.port).check(200, "GET", "/-/vaults/bench")
        assert json.loads(r.body)["NumberOfArchives"] == SNAP_ARCHIVES
        blobs_before = du_bytes(os.path.join(d, "blobs"))
        saves = [post(srv, "/_mock/snapshots", {"Name": "s"})[0] for _ in range(reps)]
        blobs_after = du_bytes(os.path.join(d, "blobs"))
        listed = json.loads(Conn("127.0.0.1", srv.port).check(200, "GET", "/_mock/snapshots").body)["Snapshots"][0]
        restores = []
        for i in range(reps):
            # A change to undo each time: one archive more, so the restore has work to do.
            Conn("127.0.0.1", srv.port).check(
                201, "POST", "/-/vaults/bench/archives", body=b"x",
                headers={"x-amz-sha256-tree-hash": hashlib.sha256(b"x").hexdigest(),
                         "x-amz-content-sha256": hashlib.sha256(b"x").hexdigest()})
            restores.append(post(srv, "/_mock/snapshots/s/restore")[0])
        r = Conn("127.0.0.1", srv.port).check(200, "GET", "/-/vaults/bench")
        assert json.loads(r.body)["NumberOfArchives"] == SNAP_ARCHIVES
        srv.stop()
        out[f"{label}_save_ms"] = statistics.median(saves) * 1e3
        out[f"{label}_restore_ms"] = statistics.median(restores) * 1e3
        out[f"{label}_metadata_bytes"] = listed["MetadataBytes"]
        out[f"{label}_shared_bytes"] = listed["SharedBlobBytes"]
        out[f"{label}_blob_bytes_added"] = blobs_after - blobs_before
        shutil.rmtree(d, ignore_errors=True)

    seed = write_seed(os.path.join(run.dir, "start.json"), SEED_START_ARCHIVES, 4096)
    starts = []
    for i in range(STARTS):
        d = os.path.join(run.dir, f"seed-start-{i}")
        srv = Server.glacier_mock(run.binary, d, os.path.join(OUT, "seed-start.log"), args=("--seed", seed))
        os.makedirs(d)
        srv.start(watch_line=True)
        if i == 0:
            r = Conn("127.0.0.1", srv.port).check(200, "GET", "/-/vaults/bench")
            assert json.loads(r.body)["NumberOfArchives"] == SEED_START_ARCHIVES
        srv.stop()
        starts.append(srv.startup_connect)
        shutil.rmtree(d, ignore_errors=True)
    out["seed_start_ms"] = statistics.median(starts) * 1e3
    log(f"  snapshots: 1 GiB save {out['1g_save_ms']:.1f} ms, restore {out['1g_restore_ms']:.1f} ms; "
        f"1-byte archives save {out['tiny_save_ms']:.1f} ms, restore {out['tiny_restore_ms']:.1f} ms; "
        f"seed start-up {out['seed_start_ms']:.0f} ms")
    return out


def snapshot_section(runs: list[dict], meta: dict) -> list[str]:
    """The "Seeds and snapshots" section of RESULTS.md."""
    L = ["## Seeds and snapshots", ""]
    if not any("snapshots" in r for r in runs):
        return L + ["Not measured in this run (BENCH_ONLY=snapshots measures it).", ""]
    busy = meta.get("busy") or [0]
    loaded = max(busy) > 0.2
    L.append(f"Measured {meta['date']}, {len(runs)} run(s){' in QUICK mode' if QUICK else ''}, on {meta['cores']} "
             f"cores, the client's and the server's ({fmt(min(busy) * 100)}–{fmt(max(busy) * 100)} % of the CPU time was used by "
             f"other processes in the second before each run{', so these figures are high and noisy' if loaded else ''}) "
             f"(median, min–max). A state of {SNAP_ARCHIVES:,} archives holding 1 GiB "
             f"(generated by a seed, {SNAP_BYTES // SNAP_ARCHIVES:,} bytes each), and the same {SNAP_ARCHIVES:,} archives "
             f"of 1 byte each; save = `POST /_mock/snapshots` and restore = `POST /_mock/snapshots/s/restore`, timed by "
             f"the client (HTTP included), each restore undoing one UploadArchive.")
    L.append("")
    L.append("| measurement | figure | goal |")
    L.append("|---|---|---|")
    L.append(f"| restore, 10,000 archives, 1 GiB | {figure(runs, ('snapshots', '1g_restore_ms'), 1, ' ms')} | ≤ 50 ms |")
    L.append(f"| restore, 10,000 archives of 1 byte | {figure(runs, ('snapshots', 'tiny_restore_ms'), 1, ' ms')} | the same: independent of the bytes |")
    L.append(f"| save, 10,000 archives, 1 GiB | {figure(runs, ('snapshots', '1g_save_ms'), 1, ' ms')} | ≤ 100 ms |")
    L.append(f"| save, 10,000 archives of 1 byte | {figure(runs, ('snapshots', 'tiny_save_ms'), 1, ' ms')} | |")
    L.append(f"| blob bytes a snapshot adds on disk (1 GiB state) | {figure(runs, ('snapshots', '1g_blob_bytes_added'), 0, ' B')} | ≈ 0 |")
    L.append(f"| its metadata file | {figure(runs, ('snapshots', '1g_metadata_bytes'), 0, ' B')} | |")
    L.append(f"| bytes it shares with the live state | {figure(runs, ('snapshots', '1g_shared_bytes'), 0, ' B')} | |")
    L.append(f"| start-up with a seed of {SEED_START_ARCHIVES:,} generated archives (4 KiB each) | "
             f"{figure(runs, ('snapshots', 'seed_start_ms'), 0, ' ms')} | ≤ 1,000 ms |")
    L.append("")
    L.append("Start-up is exec to the first accepted TCP connection, the seed checked, built in a staging directory and "
             "adopted in one transaction before the server listens.")
    L.append("")
    L.append("Save and restore copy the whole metadata file page by page with SQLite's backup API (about 1 KB per "
             "archive: its 138-character ID is stored in the archive row, its index, its segment row and the segment "
             "index), so their time grows with the number of archives, uploads and jobs and not with the bytes: the "
             "1 GiB and 1-byte rows copy the same metadata. A restore writes the pages to the WAL and leaves the "
             "checkpoint to a background connection; the old and new sets of blob IDs are read in the same transaction.")
    L.append("")
    return L


def update_snapshot_section(path: str, runs: list[dict], meta: dict):
    """BENCH_ONLY=snapshots: replaces only the Seeds and snapshots section of an existing report."""
    text = open(path).read() if os.path.exists(path) else ""
    section = "\n".join(snapshot_section(runs, meta))
    start = text.find("## Seeds and snapshots")
    if start < 0:
        anchor = text.find("## How each figure is taken")
        text = (text[:anchor] + section + "\n" + text[anchor:]) if anchor >= 0 else (text + "\n" + section)
    else:
        end = text.find("\n## ", start + 1)
        text = text[:start] + section + ("\n" + text[end + 1:] if end >= 0 else "")
    with open(path, "w") as f:
        f.write(text)


DASHBOARD_PAGES = [("date_first", "sort=date&dir=desc"), ("date_middle", "sort=date&dir=desc&page=1000"),
                   ("date_last", "sort=date&dir=desc&page=2000"), ("size_first", "sort=size&dir=desc"),
                   ("size_last", "sort=size&dir=asc&page=2000")]
DASHBOARD_REQUESTS = 10 if QUICK else 30


def drv_dashboard(run: Run) -> dict:
    """The dashboard's vault page over the 100,000-archive vault (50 archives a page, so 2,000
    pages): first, middle and last page by date, first and last by size. Each page is fetched
    DASHBOARD_REQUESTS times on one keep-alive connection; the figure is each page's median
    round trip (request sent to whole page read), and the slowest of those medians."""
    if not run.seed_dir:
        raise RuntimeError("the dashboard figure needs the seeded 100,000-archive data directory")
    d = os.path.join(run.dir, "dashboard")
    copy_data_dir(run.seed_dir, d)
    srv = start_gm(run.binary, d, "dashboard")
    out: dict = {}
    try:
        c = Conn("127.0.0.1", srv.port)
        base = f"/_mock/ui/vault?account=123456789012&region=us-east-1&name={g.VAULT}&"
        for name, query in DASHBOARD_PAGES:
            r = c.check(200, "GET", base + query)
            if b"Page " not in r.body or b'data-archive="' not in r.body:
                raise RuntimeError(f"dashboard page {name} does not list archives")
            times = []
            for _ in range(DASHBOARD_REQUESTS):
                t0 = time.perf_counter()
                c.check(200, "GET", base + query, discard=True)
                times.append((time.perf_counter() - t0) * 1e3)
            out[f"{name}_ms"] = statistics.median(times)
        out["slowest_ms"] = max(out[f"{n}_ms"] for n, _ in DASHBOARD_PAGES)
        out["page_bytes"] = len(c.check(200, "GET", base + DASHBOARD_PAGES[0][1]).body)
    finally:
        srv.stop()
        shutil.rmtree(d, ignore_errors=True)
    log("  dashboard: " + ", ".join(f"{n} {out[n + '_ms']:.1f} ms" for n, _ in DASHBOARD_PAGES))
    return out


DRIVERS = [("sha256", drv_sha256), ("ceiling", drv_ceiling), ("gm", drv_gm), ("nospare", drv_nospare), ("moto", drv_moto),
           ("floor", drv_floor), ("memory", drv_memory), ("startup", drv_startup), ("inventory", drv_inventory),
           ("snapshots", drv_snapshots), ("dashboard", drv_dashboard)]


# ---------------------------------------------------------------------------------------
# Report

def med(vals):
    vals = [v for v in vals if v is not None]
    if not vals:
        return None, None, None
    return statistics.median(vals), min(vals), max(vals)


def get(run: dict, *keys):
    for k in keys:
        if not isinstance(run, dict) or k not in run:
            return None
        run = run[k]
    return run


def fmt(v, digits=0):
    if v is None:
        return "–"
    return f"{v:,.{digits}f}"


def figure(runs, keys, digits=0, unit=""):
    m, lo, hi = med([get(r, *keys) for r in runs])
    if m is None:
        return "not measured"
    if len(runs) == 1 or lo == hi:
        return f"{fmt(m, digits)}{unit}"
    return f"{fmt(m, digits)}{unit} ({fmt(lo, digits)}–{fmt(hi, digits)})"


def ratio_values(runs, num, den, scale=1.0):
    out = []
    for r in runs:
        a, b = get(r, *num), get(r, *den)
        out.append(a / (b * scale) if a is not None and b else None)
    return out


def write_report(path: str, runs: list[dict], meta: dict):
    L = []
    add = L.append
    n = len(runs)
    add("# glacier-mock benchmark results")
    add("")
    add(f"Generated by `make bench` (bench/run.py) on {meta['date']}; {n} run(s)"
        f"{', QUICK mode (short measurements: indicative only)' if QUICK else ''}. "
        f"Each figure is the median of the runs, with min–max in parentheses; each ratio is computed "
        f"within a run (from figures taken in that run) and then its median taken. MB = 10⁶ bytes, "
        f"GB = 10⁹ bytes (as `openssl speed`), MiB/GiB are powers of two.")
    add("")
    busy = max(meta["busy"]) if meta["busy"] else 0
    if busy > 0.10:
        span = fmt(busy * 100) if round(min(meta["busy"]) * 100) == round(busy * 100) else \
            f"{fmt(min(meta['busy']) * 100)}–{fmt(busy * 100)}"
        add(f"**The machine was busy during this run**: in the second before each run, {span} % of its CPU "
            f"time was used by other processes (load average "
            f"{meta['loadavg_start']} at the start, {meta.get('loadavg_end', '?')} at the end). "
            f"Figures are noisy and low; a quiet re-run is needed before judging a target.")
    else:
        add(f"The machine was quiet: at most {fmt(busy * 100, 1)} % of CPU time used by other processes "
            f"just before each run (load average {meta['loadavg_start']} at the start).")
    add("")
    add("## Machine")
    add("")
    add(f"- CPU: {meta['cpu']}, {meta['cores']} cores; {meta['mem_gib']:.0f} GiB RAM")
    add(f"- Kernel: {meta['kernel']}; {meta['openssl']}")
    add(f"- glacier-mock: `{meta['binary']}` built from commit {meta['commit']} (last change to Sources/: {meta['sources_commit']})")
    add(f"- `openssl speed -evp sha256 -bytes 1048576 -seconds {SSL_SECONDS}` (one core): "
        f"{figure(runs, ('sha256', 'sha256_1core_MBps'), 0, ' MB/s')} (run 1 printed `{get(runs[0], 'sha256', 'openssl_line_1')}`)")
    add(f"- `openssl speed -multi 2 -evp sha256 -bytes 1048576 -seconds {SSL_SECONDS}` (two cores): "
        f"{figure(runs, ('sha256', 'sha256_2core_MBps'), 0, ' MB/s')} (run 1 printed `{get(runs[0], 'sha256', 'openssl_line_2')}`)")
    add(f"- Client ceiling (the bench's Python client against a Python sink/source, no server work): "
        f"PUT 8 MiB {figure(runs, ('ceiling', 'put_MBps'), 0, ' MB/s')}, "
        f"GET 1 GiB {figure(runs, ('ceiling', 'get_GBps'), 2, ' GB/s')}")
    add("")
    add("The client runs on the same two cores as the server, so a client core is taken from the "
        "server: the CPU columns show how much each used (1.00 = one core busy all the time).")
    add("")

    rows = []

    def target(name, fig, tgt, ratio_vals, ok, note=""):
        rm, rlo, rhi = med(ratio_vals) if ratio_vals is not None else (None, None, None)
        if ratio_vals is None:
            ratio = "–"
        elif rm is None:
            ratio = "not measured"
        else:
            ratio = f"{rm:.2f}" + (f" ({rlo:.2f}–{rhi:.2f})" if n > 1 and rlo != rhi else "")
        verdict = "–" if ok is None else ("**met**" if ok else "**not met**")
        rows.append(f"| {name} | {fig} | {tgt} | {ratio} | {verdict} |{(' ' + note + ' |') if note else ' |'}")

    def check(vals, pred):
        m = med(vals)[0]
        return None if m is None else pred(m)

    # 1. uploads
    r1 = ratio_values(runs, ("gm", "upload_8m_1c", "MBps"), ("sha256", "sha256_1core_MBps"), 0.5)
    target("1. UploadMultipartPart 8 MiB, 1 connection", figure(runs, ("gm", "upload_8m_1c", "MBps"), 0, " MB/s"),
           "≥ 0.75 × (1-core SHA-256 ÷ 2)", r1, check(r1, lambda m: m >= 0.75),
           f"server CPU {figure(runs, ('gm', 'upload_8m_1c', 'server_cpu'), 2)}, client {figure(runs, ('gm', 'upload_8m_1c', 'client_cpu'), 2)}")
    r2 = ratio_values(runs, ("gm", "upload_8m_2c", "MBps"), ("sha256", "sha256_2core_MBps"), 0.5)
    target("1. UploadMultipartPart 8 MiB, 2 connections", figure(runs, ("gm", "upload_8m_2c", "MBps"), 0, " MB/s"),
           "≥ 0.75 × (2-core SHA-256 ÷ 2)", r2, check(r2, lambda m: m >= 0.75),
           f"server CPU {figure(runs, ('gm', 'upload_8m_2c', 'server_cpu'), 2)}, client {figure(runs, ('gm', 'upload_8m_2c', 'client_cpu'), 2)}")
    for key, label in (("1m", "1 MiB"), ("64m", "64 MiB")):
        rv = ratio_values(runs, ("gm", f"upload_{key}_1c", "MBps"), ("sha256", "sha256_1core_MBps"), 0.5)
        target(f"1. UploadMultipartPart {label}, 1 connection", figure(runs, ("gm", f"upload_{key}_1c", "MBps"), 0, " MB/s"),
               "(reported; same reference)", rv, None,
               f"server CPU {figure(runs, ('gm', f'upload_{key}_1c', 'server_cpu'), 2)}, client {figure(runs, ('gm', f'upload_{key}_1c', 'client_cpu'), 2)}")
    for conns, ref in ((1, "sha256_1core_MBps"), (2, "sha256_2core_MBps")):
        rv = ratio_values(runs, ("nospare", f"upload_8m_{conns}c", "MBps"), ("sha256", ref), 0.5)
        target(f"1. (context) 8 MiB, {conns} connection{'s' if conns > 1 else ''}, `--spare-files 0`",
               figure(runs, ("nospare", f"upload_8m_{conns}c", "MBps"), 0, " MB/s"), "(reported; same reference)", rv, None,
               "each replaced part's file unlinked, the next part written to a new file; "
               f"server CPU {figure(runs, ('nospare', f'upload_8m_{conns}c', 'server_cpu'), 2)}")
    rw = ratio_values(runs, ("gm", "upload_8m_1c_wrk", "MBps"), ("sha256", "sha256_1core_MBps"), 0.5)
    target("1. (client check) 8 MiB, 1 connection, wrk as client", figure(runs, ("gm", "upload_8m_1c_wrk", "MBps"), 0, " MB/s"),
           "(reported)", rw, None,
           f"server CPU {figure(runs, ('gm', 'upload_8m_1c_wrk', 'server_cpu'), 2)}, wrk {figure(runs, ('gm', 'upload_8m_1c_wrk', 'client_cpu'), 2)}")
    # 2. UploadArchive vs moto
    r = ratio_values(runs, ("gm", "upload_archive_8m", "MBps"), ("moto", "upload_archive_8m", "MBps"))
    target("2. UploadArchive 8 MiB, 1 connection", f"{figure(runs, ('gm', 'upload_archive_8m', 'MBps'), 0, ' MB/s')}; "
           f"moto {figure(runs, ('moto', 'upload_archive_8m', 'MBps'), 1, ' MB/s')}", "≥ 4 × moto", r,
           check(r, lambda m: m >= 4), f"each archive deleted after it is acknowledged (DELETE timed); server CPU "
           f"{figure(runs, ('gm', 'upload_archive_8m', 'server_cpu'), 2)}; moto closes the connection after each response")
    rn = ratio_values(runs, ("nospare", "upload_archive_8m", "MBps"), ("moto", "upload_archive_8m", "MBps"))
    target("2. (context) the same loop, `--spare-files 0`", figure(runs, ("nospare", "upload_archive_8m", "MBps"), 0, " MB/s"),
           "(reported; ratio to moto)", rn, None,
           f"each deleted archive's file unlinked; server CPU {figure(runs, ('nospare', 'upload_archive_8m', 'server_cpu'), 2)}")
    rk = ratio_values(runs, ("gm", "upload_archive_8m_keep", "MBps"), ("moto", "upload_archive_8m", "MBps"))
    target("2. (context) UploadArchive 8 MiB, every archive kept", figure(runs, ("gm", "upload_archive_8m_keep", "MBps"), 0, " MB/s"),
           "(reported; ratio to moto)", rk, None,
           f"{figure(runs, ('gm', 'upload_archive_8m_keep', 'stored_gb'), 1, ' GB')} stored in the loop; "
           f"server CPU {figure(runs, ('gm', 'upload_archive_8m_keep', 'server_cpu'), 2)}")
    # 3. wrk
    r = ratio_values(runs, ("gm", "describe_vault", "rps"), ("moto", "describe_vault", "rps"))
    target("3. DescribeVault, wrk 8 conns / 2 threads", f"{figure(runs, ('gm', 'describe_vault', 'rps'), 0, ' req/s')}; "
           f"moto {figure(runs, ('moto', 'describe_vault', 'rps'), 0, ' req/s')}", "≥ 50 × moto", r, check(r, lambda m: m >= 50),
           f"server CPU {figure(runs, ('gm', 'describe_vault', 'server_cpu'), 2)}")
    p = [get(x, "gm", "describe_vault", "p99_ms") for x in runs]
    target("3. DescribeVault p99 latency", figure(runs, ("gm", "describe_vault", "p99_ms"), 2, " ms"), "≤ 5 ms", None,
           check(p, lambda m: m <= 5), f"p50 {figure(runs, ('gm', 'describe_vault', 'p50_ms'), 2, ' ms')}")
    r = ratio_values(runs, ("gm", "describe_vault", "rps"), ("floor", "describe_vault", "rps"))
    fm = med(ratio_values(runs, ("floor", "describe_vault", "rps"), ("moto", "describe_vault", "rps")))
    target("3. (context) the HTTP stack alone: bench-floor, same wrk load", figure(runs, ("floor", "describe_vault", "rps"), 0, " req/s"),
           "(reported; ratio = glacier-mock's DescribeVault ÷ this)", r, None,
           (f"{fm[0]:.1f}× moto" + (f" ({fm[1]:.1f}–{fm[2]:.1f})" if fm[1] != fm[2] else "") + "; " if fm[0] is not None else "")
           + f"server CPU {figure(runs, ('floor', 'describe_vault', 'server_cpu'), 2)}")
    r = ratio_values(runs, ("gm", "list_parts", "rps"), ("moto", "describe_vault", "rps"))
    target("3. ListParts (50 parts), wrk 8 conns / 2 threads", figure(runs, ("gm", "list_parts", "rps"), 0, " req/s"),
           "≥ 50 × moto's DescribeVault (moto has no ListParts)", r, check(r, lambda m: m >= 50),
           f"server CPU {figure(runs, ('gm', 'list_parts', 'server_cpu'), 2)}")
    p = [get(x, "gm", "list_parts", "p99_ms") for x in runs]
    target("3. ListParts p99 latency", figure(runs, ("gm", "list_parts", "p99_ms"), 2, " ms"), "≤ 5 ms", None,
           check(p, lambda m: m <= 5), f"p50 {figure(runs, ('gm', 'list_parts', 'p50_ms'), 2, ' ms')}")
    # 4. Complete
    r = ratio_values(runs, ("gm", "complete", "complete_1000_ms"), ("gm", "complete", "parts_1000_s"), 1000 / 100)
    target("4. CompleteMultipartUpload, 1000 × 1 MiB parts", f"{figure(runs, ('gm', 'complete', 'complete_1000_ms'), 1, ' ms')}; "
           f"parts took {figure(runs, ('gm', 'complete', 'parts_1000_s'), 2, ' s')}", "≤ 5 % of the parts' upload time (ratio in %)", r,
           check(r, lambda m: m <= 5))
    r = ratio_values(runs, ("gm", "complete", "complete_1000_ms"), ("gm", "complete", "complete_100_ms"))
    target("4. Complete 1000 parts ÷ Complete 100 parts", f"{figure(runs, ('gm', 'complete', 'complete_1000_ms'), 1, ' ms')} ÷ "
           f"{figure(runs, ('gm', 'complete', 'complete_100_ms'), 1, ' ms')}", "≈ 10 × (linear; ≤ 12 ×)", r, check(r, lambda m: m <= 12))
    # 5. GetJobOutput
    v = [get(x, "gm", "job_output_1g", "GBps") for x in runs]
    target("5. GetJobOutput 1 GiB, 1 connection", figure(runs, ("gm", "job_output_1g", "GBps"), 2, " GB/s"), "≥ 1.5 GB/s", None,
           check(v, lambda m: m >= 1.5),
           f"server CPU {figure(runs, ('gm', 'job_output_1g', 'server_cpu'), 2)}, client {figure(runs, ('gm', 'job_output_1g', 'client_cpu'), 2)}")
    # 6. Memory
    v = [get(x, "memory", "delta_mib") for x in runs]
    target("6. Peak RSS − idle RSS, 1 GiB part up + 1 GiB output down", figure(runs, ("memory", "delta_mib"), 1, " MiB"),
           "≤ 64 MiB", None, check(v, lambda m: m <= 64),
           f"idle {figure(runs, ('memory', 'idle_mib'), 1, ' MiB')}, peak {figure(runs, ('memory', 'peak_mib'), 1, ' MiB')}")
    # 7. Start-up
    v = [get(x, "startup", "empty_ms") for x in runs]
    target("7. Start-up, empty data dir (exec → TCP connect)", figure(runs, ("startup", "empty_ms"), 1, " ms"), "≤ 150 ms", None,
           check(v, lambda m: m <= 150), f"listening line {figure(runs, ('startup', 'empty_line_ms'), 1, ' ms')}")
    v = [get(x, "startup", "seeded_ms") for x in runs]
    target("7. Start-up, 100,000 archives", figure(runs, ("startup", "seeded_ms"), 1, " ms"), "≤ 1,000 ms", None,
           check(v, lambda m: m <= 1000), f"listening line {figure(runs, ('startup', 'seeded_line_ms'), 1, ' ms')}")
    I = "inventory"
    target("8. Take the inventory of a vault of 1,000,000 archives (POST /_mock/inventory)",
           figure(runs, (I, "take_seconds"), 3, " s"), "≤ 2 s", None, check([get(x, I, "take_seconds") for x in runs], lambda m: m <= 2),
           "one transaction: the vault row and the deletions since the last inventory; no archive row is read")
    target("8. Inventory job output, JSON, 1,000,000 archives: written (InitiateJob, jobs complete at once)",
           figure(runs, (I, "generate_MBps"), 0, " MB/s"), "≥ 100 MB/s", None,
           check([get(x, I, "generate_MBps") for x in runs], lambda m: m >= 100),
           f"{figure(runs, (I, 'job_seconds'), 2, ' s')} for {figure(runs, (I, 'output_bytes'), 0, ' bytes')}, "
           "streamed from one read transaction through a 1 MiB buffer into the output file; server CPU "
           f"{figure(runs, (I, 'job_cpu_seconds'), 2, ' s')}, i.e. {figure(runs, (I, 'generate_MBps_per_cpu_s'), 0, ' MB')} "
           "per CPU-second")
    target("8. Inventory job output: GetJobOutput time to first byte", figure(runs, (I, "ttfb_ms"), 2, " ms"), "(reported)", None, None)
    target("8. Inventory job output: GetJobOutput throughput", figure(runs, (I, "download_MBps"), 0, " MB/s"), "≥ 100 MB/s", None,
           check([get(x, I, "download_MBps") for x in runs], lambda m: m >= 100),
           f"InitiateJob to the last byte: {figure(runs, (I, 'job_to_last_byte_MBps'), 0, ' MB/s')}")
    target("8. Peak RSS − idle RSS while the inventory is taken, written and downloaded",
           figure(runs, (I, "peak_delta_mib"), 1, " MiB"), "≤ 64 MiB", None,
           check([get(x, I, "peak_delta_mib") for x in runs], lambda m: m <= 64), f"idle {figure(runs, (I, 'idle_mib'), 1, ' MiB')}")
    target("8. DescribeVault p99 (another vault), the 1,000,000-archive vault present",
           figure(runs, (I, "describe_p99_full_ms"), 3, " ms"), "unchanged", None, None,
           f"without that vault: {figure(runs, (I, 'describe_p99_empty_ms'), 3, ' ms')}; the big vault itself: "
           f"{figure(runs, (I, 'describe_big_p99_ms'), 3, ' ms')}; while its inventory is taken, written and downloaded: "
           f"{figure(runs, (I, 'describe_during_p99_ms'), 2, ' ms')} (max {figure(runs, (I, 'describe_during_max_ms'), 1, ' ms')})")
    # 9. Dashboard
    v = [get(x, "dashboard", "slowest_ms") for x in runs]
    target("9. Dashboard vault page, 100,000 archives, slowest of 5 pages", figure(runs, ("dashboard", "slowest_ms"), 1, " ms"),
           "< 100 ms per page", None, check(v, lambda m: m < 100),
           "by date: first " + figure(runs, ("dashboard", "date_first_ms"), 1, " ms") + ", page 1,001 "
           + figure(runs, ("dashboard", "date_middle_ms"), 1, " ms") + ", last " + figure(runs, ("dashboard", "date_last_ms"), 1, " ms")
           + "; by size: first " + figure(runs, ("dashboard", "size_first_ms"), 1, " ms") + ", last "
           + figure(runs, ("dashboard", "size_last_ms"), 1, " ms") + f"; {figure(runs, ('dashboard', 'page_bytes'), 0, ' bytes')} a page")

    add("## Targets")
    add("")
    add("| measurement | figure | target | ratio | verdict | notes |")
    add("|---|---|---|---|---|---|")
    L.extend(rows)
    add("")
    errs = [(i, k, e) for i, r in enumerate(runs) for k, e in r.get("errors", {}).items()]
    if errs:
        add("## Errors")
        add("")
        for i, k, e in errs:
            add(f"- run {i + 1}, {k}: `{e}`")
        add("")
    L.extend(snapshot_section(runs, meta))
    add("## How each figure is taken")
    add("")
    add(f"- **1.** One keep-alive connection re-sends one precomputed part (body, linear SHA-256 and tree hash computed "
        f"before timing; re-uploading a range is idempotent) for {SECONDS:g} s; MB/s = bytes acknowledged ÷ wall time. "
        f"Two connections: two threads, each its own range of one upload, started together. The reference is "
        f"SHA-256 ÷ 2 because the server hashes every byte twice (linear and tree hash). Each re-sent part replaces "
        f"the one before, whose file the server keeps as a spare (`--spare-files`, 4 by default) and overwrites with "
        f"the next part: cached pages rewritten instead of new ones allocated and old ones freed. An upload of distinct "
        f"parts writes new files; the `--spare-files 0` rows (a second server, same loops) show that cost.")
    add(f"- **2.** The same loop with UploadArchive. moto's server gets the same request (with a SigV4-shaped Authorization "
        f"header so it routes it to Glacier); it stores the body in memory, keyed by its MD5, so the store does not grow. "
        f"glacier-mock's store is kept from growing too: each archive is deleted (a timed DELETE in the same loop) once "
        f"acknowledged, so its bytes were written to a file and renamed into `blobs/` like any other; the deleted "
        f"archive's file is the spare the next one overwrites (`--spare-files 0`: unlinked instead). The context row keeps "
        f"every archive instead: GBs of new files in the page cache, whose cost on this VM is mostly the kernel's, not the "
        f"server's (bench/GAPS.md says how much). After it the archives are deleted, and the bench syncs and waits "
        f"{SETTLE_SECONDS} s before the next figure: the VM's host goes on working for seconds after such a loop, "
        f"which showed in target 3's p99.")
    add(f"- **3.** `wrk -t2 -c8 -d{WRK_SECONDS}s --latency`; moto has no multipart uploads, so ListParts is compared with "
        f"moto's DescribeVault. The context row runs the same wrk against `bench-floor` (bench/floor/main.swift, built with "
        f"glacier-mock): Hummingbird and SwiftNIO with the same executor set-up answering a constant response with the same "
        f"headers and a body of the same length, so its figure is what the HTTP stack allows here before any Glacier work.")
    add(f"- **4.** 1000 parts of 1 MiB uploaded one after the other on one connection, then one Complete, timed "
        f"separately; median of {COMPLETES} such uploads per run (the 100-part figure: median of three). The Complete "
        f"time includes whatever SQLite does in that commit (a WAL checkpoint may fall into it).")
    add("- **5.** An archive of 8 × 128 MiB parts, one retrieval job, its output read whole with `recv_into` into one "
        "reusable 4 MiB buffer; best of two reads (the blob files are in the page cache).")
    add("- **6.** The server is restarted on a data directory holding the 1 GiB archive, its job and an upload with "
        "1 GiB part size; idle RSS is read 0.5 s after a health request; VmHWM is reset (`clear_refs` 5) and VmRSS "
        "sampled every 10 ms while the 1 GiB part and the 1 GiB output stream at once; peak = max(VmHWM, samples).")
    add(f"- **7.** Time from `Popen` to the first accepted TCP connect (tried every 0.5 ms), median of "
        f"{STARTS} starts per run; the 100,000 archives were uploaded through UploadArchive once and are cached in "
        f"bench/.cache/ (keyed by the binary's SQLite schema).")
    add("- **8.** The 1,000,000 archive rows are written straight into SQLite (metadata only: an inventory reads no "
        "blob), as archives added since the vault's last inventory; the server is then started on that directory. "
        "Take: one POST /_mock/inventory of the vault. Job: one InitiateJob (JSON), which completes the job before "
        "answering (no `--job-delay`), i.e. the whole document written; then GetJobOutput on a raw socket: time from "
        "sending the request to the first byte received, and bytes ÷ time to the last byte. RSS as in 6 over all three "
        "steps. DescribeVault p99: "
        f"{'2,000' if QUICK else '10,000'} sequential requests on one connection, against a server without the big vault "
        "and one with it; and a probe every 5 ms while the three steps run.")
    add(f"- **9.** The 100,000 archives, served by `/_mock/ui/vault` 50 to a page (2,000 pages): the first, "
        f"1,001st and last page by date, the first and last by size; each fetched {DASHBOARD_REQUESTS} times on one "
        f"keep-alive connection, round trip from request to last byte; the figure is the slowest page's median. "
        f"Both orders are read from an index, so a page costs the index entries it skips and the 50 rows it shows.")
    add("")
    # The reading of the gaps (what limits each missed target) is written by hand from
    # profiles, in bench/GAPS.md; it is carried into every report so a re-run keeps it.
    gaps = os.path.join(HERE, "GAPS.md")
    if os.path.exists(gaps):
        with open(gaps) as g:
            add(g.read().rstrip())
            add("")
    with open(path, "w") as f:
        f.write("\n".join(L))


# ---------------------------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bin", default=os.path.join(ROOT, ".build", "release", "glacier-mock"))
    ap.add_argument("--out", default=os.path.join(HERE, "RESULTS.md"))
    ap.add_argument("--report-only", action="store_true",
                    help="rewrite the report from bench/out/results.json (the last run) without measuring")
    args = ap.parse_args()
    if args.report_only:
        with open(os.path.join(OUT, "results.json")) as f:
            saved = json.load(f)
        set_mode(saved["meta"]["quick"])
        kept = ""  # the container section (bench/container.py) is not in results.json: keep it
        if os.path.exists(args.out):
            m = re.search(r"<!-- container figures: begin.*?<!-- container figures: end -->\n", open(args.out).read(), re.S)
            kept = m.group(0) if m else ""
        write_report(args.out, saved["runs"], saved["meta"])
        if kept:
            with open(args.out, "a") as f:
                f.write("\n" + kept)
        log(f"wrote {os.path.relpath(args.out, os.getcwd())} from {len(saved['runs'])} saved run(s)")
        return
    binary = os.path.abspath(args.bin)
    if not os.access(binary, os.X_OK):
        sys.exit(f"bench: no binary at {binary}; run `swift build -c release` first")
    for tool in ("wrk", "openssl"):
        if not shutil.which(tool):
            sys.exit(f"bench: `{tool}` is missing; run scripts/install-deps.sh --with-bench")
    os.makedirs(OUT, exist_ok=True)
    meta = {
        "date": datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"),
        "cpu": cpu_model(), "cores": os.cpu_count(), "kernel": platform.release(),
        "mem_gib": os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / GiB,
        "openssl": subprocess.run(["openssl", "version"], capture_output=True, text=True).stdout.strip(),
        "binary": os.path.relpath(binary, ROOT),
        "commit": subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip(),
        "sources_commit": subprocess.run(["git", "-C", ROOT, "log", "-1", "--format=%h %s", "--", "Sources", "Package.swift"],
                                         capture_output=True, text=True).stdout.strip(),
        "loadavg_start": " ".join(open("/proc/loadavg").read().split()[:3]),
        "busy": [], "quick": QUICK, "runs": RUNS,
    }
    log(f"{RUNS} run(s){' (quick)' if QUICK else ''}; binary {meta['binary']}")
    seed = None
    if not ONLY or "startup" in ONLY or "dashboard" in ONLY:
        seed = seeded_data_dir(binary)
    runs = []
    for i in range(RUNS):
        busy = machine_busy_fraction()
        meta["busy"].append(busy)
        log(f"run {i + 1}/{RUNS} (machine {busy:.0%} busy before it)")
        run = Run(binary, i, seed)
        res: dict = {"errors": {}}
        for name, fn in DRIVERS:
            if ONLY and name not in ONLY:
                continue
            try:
                res[name] = fn(run)
                if name == "sha256":
                    log(f"  SHA-256: {res[name]['sha256_1core_MBps']:.0f} MB/s one core, {res[name]['sha256_2core_MBps']:.0f} MB/s two")
            except Exception as e:  # noqa: BLE001 — one broken driver must not hide the others
                traceback.print_exc()
                res["errors"][name] = f"{type(e).__name__}: {e}"[:500]
        shutil.rmtree(run.dir, ignore_errors=True)
        runs.append(res)
        with open(os.path.join(OUT, "results.json"), "w") as f:
            json.dump({"meta": meta, "runs": runs}, f, indent=1)
    meta["loadavg_end"] = " ".join(open("/proc/loadavg").read().split()[:3])
    if ONLY == {"snapshots"} and any("snapshots" in r for r in runs):
        update_snapshot_section(args.out, runs, meta)  # the other figures stay as last measured
        log(f"updated the Seeds and snapshots section of {os.path.relpath(args.out, os.getcwd())}")
        return
    write_report(args.out, runs, meta)
    # The container figures (image size, entrypoint start to healthy, tarball): their own
    # section, measured on the image `make image-test` built (bench/container.py).
    subprocess.run([sys.executable, os.path.join(HERE, "container.py"), args.out], check=False)
    log(f"wrote {os.path.relpath(args.out, os.getcwd())}")


if __name__ == "__main__":
    main()
