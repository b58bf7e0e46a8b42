#!/usr/bin/env bash
# Installs what glacier-mock needs to build and test, only when it is missing:
#   - Debian packages: libssl-dev (libcrypto for SHA-256), libsqlite3-dev (GRDB), pkg-config, curl,
#     strace (the --fsync test traces the server's system calls)
#   - Python packages for the conformance tests: requirements-test.txt
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
pkg-config --exists libcrypto 2>/dev/null || missing+=(libssl-dev)
[ -f /usr/include/sqlite3.h ] || missing+=(libsqlite3-dev)
command -v pkg-config >/dev/null || missing+=(pkg-config)
command -v curl >/dev/null || missing+=(curl)
if [ "${1:-}" = "--with-tests" ]; then command -v strace >/dev/null || missing+=(strace); fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}"
fi

if [ "${1:-}" = "--with-tests" ]; then
  if ! python3 - <<'PY' 2>/dev/null
import importlib.util, shutil, sys
need = ["boto3", "botocore", "pytest", "moto", "hypothesis", "requests"]
sys.exit(0 if all(importlib.util.find_spec(m) for m in need) and shutil.which("aws") else 1)
PY
  then
    echo "install-deps: installing Python test requirements"
    python3 -m pip install -q -r requirements-test.txt
  fi
fi
