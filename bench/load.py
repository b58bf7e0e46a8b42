#!/usr/bin/env python3
"""Drives one load against a running glacier-mock, for profiling (bench/profile.sh).

    python3 bench/load.py upload   --port P [--seconds 10] [--part-mib 8] [--conns 1]
    python3 bench/load.py archive  --port P [--seconds 10] [--part-mib 8]
    python3 bench/load.py joboutput --port P [--seconds 10] [--gib 1]
    python3 bench/load.py describe --port P [--seconds 10]     (wrk -t2 -c8: DescribeVault)
    python3 bench/load.py listparts --port P [--seconds 10]    (wrk -t2 -c8: ListParts of 50 parts)

Same client as bench/run.py: precomputed bodies and hashes, raw keep-alive sockets.
"""
import argparse
import os
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gmclient as g  # noqa: E402
from gmclient import MiB, Conn, Payload  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("mode", choices=["upload", "archive", "joboutput", "describe", "listparts"])
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--part-mib", type=int, default=8)
    ap.add_argument("--conns", type=int, default=1)
    ap.add_argument("--gib", type=int, default=1)
    a = ap.parse_args()
    c = Conn("127.0.0.1", a.port)
    g.create_vault(c)
    done = 0
    if a.mode in ("upload", "archive"):
        p = Payload(a.part_mib * MiB)
        if a.mode == "upload":
            uid = g.initiate_upload(c, p.size)
            conns = [Conn("127.0.0.1", a.port) for _ in range(a.conns)]
            import threading
            for i, cc in enumerate(conns):
                g.upload_part(cc, uid, p, i * p.size)
            print("ready", flush=True)

            def loop(i):
                nonlocal done
                end = time.perf_counter() + a.seconds
                while time.perf_counter() < end:
                    g.upload_part(conns[i], uid, p, i * p.size)
                    done += p.size
            t0 = time.perf_counter()
            ts = [threading.Thread(target=loop, args=(i,)) for i in range(a.conns)]
            [t.start() for t in ts]
            [t.join() for t in ts]
        else:
            print("ready", flush=True)
            t0 = time.perf_counter()
            while time.perf_counter() < t0 + a.seconds:
                aid = g.upload_archive(c, p)
                c.check(204, "DELETE", f"/-/vaults/{g.VAULT}/archives/{aid}")
                done += p.size
    elif a.mode == "joboutput":
        block = Payload(128 * MiB, unique=0)
        aid = g.multipart_archive(c, block, 8 * a.gib)
        path = g.job_output_path(g.initiate_retrieval(c, aid))
        print("ready", flush=True)
        t0 = time.perf_counter()
        while time.perf_counter() < t0 + a.seconds:
            done += c.check(200, "GET", path, discard=True).length
    else:
        path = f"/-/vaults/{g.VAULT}"
        if a.mode == "listparts":
            p1 = Payload(MiB)
            uid = g.initiate_upload(c, MiB)
            for i in range(50):
                g.upload_part(c, uid, p1, i * MiB)
            path += f"/multipart-uploads/{uid}"
        print("ready", flush=True)
        out = subprocess.run(["wrk", "-t2", "-c8", f"-d{int(a.seconds)}s", "--latency",
                              f"http://127.0.0.1:{a.port}{path}"], capture_output=True, text=True).stdout
        print(out)
        m = re.search(r"Requests/sec:\s+([\d.]+)", out)
        print(f"{a.mode}: {m.group(1) if m else '?'} requests/s")
        return
    dt = time.perf_counter() - t0
    print(f"{a.mode}: {done / 1e6:.0f} MB in {dt:.1f} s = {done / 1e6 / dt:.0f} MB/s")


if __name__ == "__main__":
    main()
