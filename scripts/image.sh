#!/usr/bin/env bash
# make image: builds docker/Dockerfile as glacier-mock:VERSION and glacier-mock:latest with
# docker when its engine answers, otherwise with podman. Extra `build` arguments can be given
# in IMAGE_BUILD_ARGS (e.g. IMAGE_BUILD_ARGS="--isolation chroot" for podman in a sandbox,
# or "--build-arg RUNTIME_IMAGE=... --build-arg BUILD_IMAGE=..." for local base images).
set -euo pipefail
cd "$(dirname "$0")/.."

version=$(sed -n 's/^public let glacierMockVersion = "\(.*\)"$/\1/p' Sources/GlacierHTTP/Version.swift)
source_url=$(git remote get-url origin 2>/dev/null || true)
case "$source_url" in
  git@github.com:*) source_url="https://github.com/${source_url#git@github.com:}"; source_url=${source_url%.git} ;;
  *://*@*) source_url="" ;;   # never put credentials in a label
esac

if command -v docker >/dev/null && docker info >/dev/null 2>&1; then
  engine=docker
elif command -v podman >/dev/null; then
  engine=podman
else
  echo "make image: neither a docker engine (docker info failed or docker is missing) nor podman is available" >&2
  exit 1
fi
echo "make image: building with $engine"
# podman writes OCI images by default, and the OCI format has no HEALTHCHECK.
[ "$engine" = podman ] && IMAGE_BUILD_ARGS="--format docker ${IMAGE_BUILD_ARGS:-}"
# shellcheck disable=SC2086
exec "$engine" build -f docker/Dockerfile \
  --build-arg "VERSION=$version" --build-arg "SOURCE=$source_url" \
  -t "glacier-mock:$version" -t glacier-mock:latest ${IMAGE_BUILD_ARGS:-} .
