#!/usr/bin/env bash
# Profiles the release server under one load with `perf record`, then prints where its time
# went (symbols demangled with `swift demangle`).
#
#   bench/profile.sh upload|archive|joboutput|describe|listparts [SECONDS] [-- load.py options]
#
# Environment: BIN (default .build/release/glacier-mock), CALLGRAPH (perf --call-graph mode:
# fp (default), dwarf for Swift frames without frame pointers, or none), PERF_EVENT
# (default cpu-clock: works in VMs without hardware counters).
# Output: bench/out/perf-MODE.data, bench/out/perf-MODE.txt (flat by symbol, then by DSO),
# and bench/out/perf-MODE-callers.txt (call graphs) when CALLGRAPH is not none.
set -euo pipefail
cd "$(dirname "$0")/.."
mode=${1:?usage: bench/profile.sh upload|archive|joboutput|describe|listparts [SECONDS] [-- load.py options]}
shift
seconds=10
if [ $# -gt 0 ] && [ "$1" != "--" ]; then seconds=$1; shift; fi
[ "${1:-}" = "--" ] && shift
bin=${BIN:-.build/release/glacier-mock}
callgraph=${CALLGRAPH:-fp}
event=${PERF_EVENT:-cpu-clock}
command -v perf >/dev/null || { echo "profile: perf is missing (apt-get install linux-perf)" >&2; exit 1; }
mkdir -p bench/out
data=$(mktemp -d bench/out/profile-data.XXXXXX)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')

"$bin" serve --host 127.0.0.1 --port "$port" --data-dir "$data" > bench/out/profile-server.log 2>&1 &
server=$!
load_pid=""
cleanup() {
  [ -n "$load_pid" ] && kill "$load_pid" 2>/dev/null || true
  kill "$server" 2>/dev/null || true
  wait "$server" 2>/dev/null || true
  rm -rf "$data"
}
trap cleanup EXIT
for _ in $(seq 500); do
  python3 -c "import socket,sys; s=socket.socket(); sys.exit(s.connect_ex(('127.0.0.1',$port)))" && break
  sleep 0.02
done

# The load prints "ready" once its setup (vault, upload, a 1 GiB archive...) is done; perf
# records only the measured part.
load_log=bench/out/profile-load.log
python3 bench/load.py "$mode" --port "$port" --seconds "$((seconds + 2))" "$@" > "$load_log" 2>&1 &
load_pid=$!
until grep -q ready "$load_log"; do
  kill -0 "$load_pid" 2>/dev/null || { cat "$load_log"; exit 1; }
  sleep 0.1
done
cg=()
[ "$callgraph" != none ] && cg=(--call-graph "$callgraph")
perf record -e "$event" -F 999 "${cg[@]}" -p "$server" -o "bench/out/perf-$mode.data" -- sleep "$seconds" 2> /dev/null
wait "$load_pid"; load_pid=""
cat "$load_log"

demangle() { if command -v swift >/dev/null; then swift demangle --simplified; else cat; fi; }
# Addresses perf cannot name (libcrypto exports no symbol for its SHA-NI block function,
# sha256_block_data_order_shaext) are summed per shared object instead of listed one by one.
collapse() {
  awk '/^ *[0-9.]+%/ { if ($4 ~ /^0x/) { pct = $1; sub("%", "", pct); un[$2] += pct; next } }
       { print }
       END { for (d in un) printf "%9.2f%%  %-28s [.] (unnamed addresses%s)\n", un[d], d, (d ~ /libcrypto/ ? ": SHA-256 block function, SHA-NI" : "") }' \
    | sort -t% -k1 -gr
}
{
  echo "# perf: glacier-mock under '$mode' for ${seconds}s ($(grep -v ready "$load_log" | tail -1))"
  echo "## by shared object"
  perf report -i "bench/out/perf-$mode.data" --stdio --no-children --sort dso -g none 2>/dev/null \
    | grep -v '^#' | grep -v '^$' | sed -E 's/ +$//'
  echo "## by symbol (self time, >= 0.3 %)"
  perf report -i "bench/out/perf-$mode.data" --stdio --no-children --sort dso,symbol -g none 2>/dev/null \
    | grep -v '^#' | grep -v '^$' | sed -E 's/ {2,}-? +-? *$//' | collapse | awk '{ p = $1; sub("%", "", p); if (p + 0 >= 0.3) print }'
} | demangle > "bench/out/perf-$mode.txt"
if [ "$callgraph" != none ]; then
  perf report -i "bench/out/perf-$mode.data" --stdio --no-children --sort symbol -g caller,0.5,callee --percent-limit 2 2>/dev/null \
    | demangle > "bench/out/perf-$mode-callers.txt"
fi
head -60 "bench/out/perf-$mode.txt"
echo "(full: bench/out/perf-$mode.txt${cg:+, call graphs: bench/out/perf-$mode-callers.txt})"
