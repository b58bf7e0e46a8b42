-- wrk script: PUT one precomputed body over and over (an UploadMultipartPart re-sending the
-- same range, which is idempotent). bench/run.py writes the body to a file and passes its
-- path, range and hashes in the environment; wrk builds the request once and resends it.
local f = assert(io.open(os.getenv("BENCH_BODY"), "rb"))
wrk.method = "PUT"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Range"] = os.getenv("BENCH_RANGE")
wrk.headers["x-amz-sha256-tree-hash"] = os.getenv("BENCH_TREE")
wrk.headers["x-amz-content-sha256"] = os.getenv("BENCH_LINEAR")
wrk.headers["Content-Type"] = "application/octet-stream"
wrk.headers["x-amz-glacier-version"] = "2012-06-01"
