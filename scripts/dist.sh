#!/usr/bin/env bash
# make dist: the release binary with the Swift runtime and Foundation linked in statically,
# packed as dist/glacier-mock-VERSION-linux-ARCH.tar.gz with its .sha256. It runs on a bare
# Debian 12 with libssl3 and libsqlite3-0 installed (make image-test checks that in a minbase
# chroot). Usage: scripts/dist.sh [OUTPUT_DIR]   (default dist/)
set -euo pipefail
cd "$(dirname "$0")/.."
SWIFT=${SWIFT:-swift}
out=${1:-dist}

version=$(sed -n 's/^public let glacierMockVersion = "\(.*\)"$/\1/p' Sources/GlacierHTTP/Version.swift)
[ -n "$version" ] || { echo "dist: no version in Sources/GlacierHTTP/Version.swift" >&2; exit 1; }
arch=$(uname -m)   # x86_64 or aarch64: the machine builds for itself
name="glacier-mock-$version-linux-$arch"

"$SWIFT" build -c release --static-swift-stdlib --product glacier-mock
bin="$("$SWIFT" build -c release --static-swift-stdlib --show-bin-path)/glacier-mock"
said=$("$bin" --version)
[ "$said" = "$version" ] || { echo "dist: the binary says $said, Version.swift says $version" >&2; exit 1; }

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/$name"
install -m 0755 "$bin" "$stage/$name/glacier-mock"
strip "$stage/$name/glacier-mock"
install -m 0644 README.md "$stage/$name/README.md"
# The licence goes in when the repository has one; today it has none, so none is shipped
# (and none is claimed: the image's licenses label says NOASSERTION).
for f in LICENSE LICENSE.md LICENSE.txt COPYING; do
  [ -f "$f" ] && install -m 0644 "$f" "$stage/$name/$f"
done
mkdir -p "$out"
# Owner, order and times fixed, so the same binary gives the same tarball.
mtime=$(git log -1 --format=%cI 2>/dev/null || echo 2026-01-01T00:00:00Z)
tar -C "$stage" --sort=name --owner=0 --group=0 --numeric-owner --mtime="$mtime" -cf - "$name" \
  | gzip -n -9 > "$out/$name.tar.gz"
(cd "$out" && sha256sum "$name.tar.gz" > "$name.tar.gz.sha256")
echo "$out/$name.tar.gz"
