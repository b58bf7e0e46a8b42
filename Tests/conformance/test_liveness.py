"""Liveness under mixed concurrent load: requests whose reads run on GRDB's reader pool
(ListVaults, ListJobs, DescribeJob, ListMultipartUploads) beside requests whose reads run
synchronously on the event loops (the vault and policy lookups of every request, uncached
because writes keep invalidating the read cache).

An asynchronous read holds its pool reader until its task resumes on an event loop; when the
synchronous reads waited for a pool reader too, both event loops could block while the
readers' tasks waited for them, and the server stopped answering for good (the soak test hung
with 64 clients). Every request here must be answered; a hang fails on the client timeout.
"""

from __future__ import annotations

import threading

import requests

from helpers import give_inventory, raw

THREADS = 48
REQUESTS_PER_THREAD = 40
TIMEOUT = 30


def test_mixed_pool_and_event_loop_reads_never_stall(fresh_server):
    srv = fresh_server()
    for i in range(4):
        assert raw(srv.endpoint, "PUT", f"/-/vaults/live-{i}").status_code == 201
    give_inventory(srv.client(), "live-0")   # an inventory job needs the vault's inventory
    job = raw(srv.endpoint, "POST", "/-/vaults/live-0/jobs", data=b'{"Type":"inventory-retrieval"}',
              headers={"Content-Type": "application/json"})
    assert job.status_code == 202, job.text
    job_id = job.headers["x-amz-job-id"]

    def requests_of(n):
        v = f"live-{n % 4}"
        if n % 4 == 0:  # writes: every one invalidates the read cache
            return ("POST", f"/-/vaults/{v}/tags?operation=add", b'{"Tags":{"k":"%d"}}' % n, 204)
        return [
            ("GET", "/-/vaults", None, 200),
            ("GET", f"/-/vaults/{v}/jobs", None, 200),
            ("GET", f"/-/vaults/live-0/jobs/{job_id}", None, 200),
        ][n % 3]

    failures = []

    def worker(t):
        session = requests.Session()
        for k in range(REQUESTS_PER_THREAD):
            method, path, body, status = requests_of(t * REQUESTS_PER_THREAD + k)
            try:
                r = session.request(method, srv.endpoint + path, data=body, timeout=TIMEOUT,
                                    headers={"x-amz-glacier-version": "2012-06-01"})
            except requests.RequestException as e:
                failures.append(f"{method} {path}: {e!r}")
                return
            if r.status_code != status:
                failures.append(f"{method} {path}: HTTP {r.status_code} {r.text[:200]}")

    threads = [threading.Thread(target=worker, args=(t,), daemon=True) for t in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(TIMEOUT * REQUESTS_PER_THREAD)
    assert not failures, failures[:5]
    assert not any(t.is_alive() for t in threads)
    # Still answering afterwards.
    assert raw(srv.endpoint, "GET", "/-/vaults/live-1").status_code == 200
