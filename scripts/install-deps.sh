#!/usr/bin/env bash
# Installs what glacier-mock needs to build and test, only when it is missing:
#   - Debian packages: libssl-dev (libcrypto for SHA-256), libsqlite3-dev (GRDB), pkg-config, curl
#   - for the tests (--with-tests): strace (the --fsync and sendfile tests trace the server's
#     system calls), golang-go and golang-github-aws-aws-sdk-go-dev (Tests/conformance/test_go_sdk.py
#     builds Tests/clients/go against Debian's aws-sdk-go v1 sources in GOPATH mode),
#     golang-github-aws-aws-sdk-go-v2-dev (with golang-github-aws-smithy-go-dev, its dependency:
#     Tests/conformance/test_go_sdk_v2.py builds Tests/clients/go2 the same way), python3-boto
#     (boto 2 for Debian's /usr/bin/python3: Tests/conformance/test_boto2.py), ruby with
#     ruby-fog-aws and ruby-aws-sdk (fog and the AWS SDK for Ruby v1 for Debian's /usr/bin/ruby:
#     Tests/conformance/test_ruby_fog.py, test_ruby_aws_sdk_v1.py), chromium and chromium-driver
#     (the dashboard's browser tests, Tests/conformance/test_dashboard.py, drive them with
#     selenium) and the Python packages in requirements-test.txt
#   - for `make bench` (--with-bench): wrk, openssl, and moto's server (requirements-test.txt)
#   - for `make image-test` (--with-image): podman (builds docker/Dockerfile with --isolation
#     chroot; pulls in buildah's and crun's libraries), debootstrap (the Debian base image, from
#     Debian's mirror), binutils (strip, for make dist), util-linux (unshare, mount) and
#     coreutils (chroot); make test runs it as root (scripts/image-test-gate.sh)
set -euo pipefail
cd "$(dirname "$0")/.."

with_tests=0; with_bench=0; with_image=0
for arg in "$@"; do
  case "$arg" in
    --with-tests) with_tests=1 ;;
    --with-bench) with_bench=1 ;;
    --with-image) with_image=1 ;;
    *) echo "install-deps: unknown option $arg (use --with-tests, --with-bench, --with-image)" >&2; exit 2 ;;
  esac
done

missing=()
pkg-config --exists libcrypto 2>/dev/null || missing+=(libssl-dev)
[ -f /usr/include/sqlite3.h ] || missing+=(libsqlite3-dev)
command -v pkg-config >/dev/null || missing+=(pkg-config)
command -v curl >/dev/null || missing+=(curl)
if [ "$with_tests" = 1 ]; then
  command -v strace >/dev/null || missing+=(strace)
  command -v go >/dev/null || missing+=(golang-go)
  [ -f /usr/share/gocode/src/github.com/aws/aws-sdk-go/service/glacier/api.go ] \
    || missing+=(golang-github-aws-aws-sdk-go-dev)
  [ -f /usr/share/gocode/src/github.com/aws/aws-sdk-go-v2/service/glacier/api_client.go ] \
    || missing+=(golang-github-aws-aws-sdk-go-v2-dev)
  /usr/bin/python3 -c 'import boto.glacier.layer2' 2>/dev/null || missing+=(python3-boto)
  [ -x /usr/bin/ruby ] || missing+=(ruby)
  /usr/bin/ruby -e 'require "fog/aws"' 2>/dev/null || missing+=(ruby-fog-aws)
  /usr/bin/ruby -e 'require "aws-sdk"; AWS::Glacier' 2>/dev/null || missing+=(ruby-aws-sdk)
  command -v chromium >/dev/null || missing+=(chromium)
  command -v chromedriver >/dev/null || missing+=(chromium-driver)
fi
if [ "$with_bench" = 1 ]; then
  command -v wrk >/dev/null || missing+=(wrk)
  command -v openssl >/dev/null || missing+=(openssl)
fi
if [ "$with_image" = 1 ]; then
  command -v podman >/dev/null || missing+=(podman)
  command -v debootstrap >/dev/null || missing+=(debootstrap)
  command -v strip >/dev/null || missing+=(binutils)
  command -v unshare >/dev/null || missing+=(util-linux)
fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}"
fi

if [ "$with_tests" = 1 ]; then
  if ! python3 - <<'PY' 2>/dev/null
import importlib.util, shutil, sys
need = ["boto3", "botocore", "pytest", "moto", "hypothesis", "requests", "yaml", "selenium"]
sys.exit(0 if all(importlib.util.find_spec(m) for m in need) and shutil.which("aws") else 1)
PY
  then
    echo "install-deps: installing Python test requirements"
    python3 -m pip install -q -r requirements-test.txt
  fi
fi

if [ "$with_bench" = 1 ]; then
  # bench/run.py starts moto's server as `python3 -m moto.server` (needs moto[server]'s Flask).
  if ! python3 - <<'PY' 2>/dev/null
import importlib.util, sys
sys.exit(0 if all(importlib.util.find_spec(m) for m in ["moto", "flask", "flask_cors"]) else 1)
PY
  then
    echo "install-deps: installing Python requirements (moto's server, for the benchmarks)"
    python3 -m pip install -q -r requirements-test.txt
  fi
fi
