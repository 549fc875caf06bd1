#!/usr/bin/env bash
# Build golive's image with podman where no registry is reachable (Debian's podman, buildah, runc):
# the base image is made from Debian's own packages with debootstrap, once, and kept in podman's storage
# (and as .cache/golive-base.tar, for reruns after a storage reset).
#   scripts/build-image.sh [TAG]          default localhost/golive:sandbox
# With a registry at hand, plain `podman build -t golive .` uses python:3.11-slim.
set -euo pipefail
cd "$(dirname "$0")/.."
tag="${1:-localhost/golive:sandbox}"
base="${GOLIVE_BASE_IMAGE:-localhost/golive-base:bookworm}"
# Flags this kind of machine needs (no Docker engine, no systemd, rlimits capped).
podman=(podman --storage-driver vfs --runtime runc --cgroup-manager cgroupfs)
limits=(--ulimit nofile=1024:1024 --ulimit nproc=1024:1024)
if ! "${podman[@]}" image exists "$base"; then
  cache=.cache/golive-base.tar
  if [ ! -s "$cache" ]; then
    root="$(mktemp -d)" && chmod 755 "$root"  # the image's / : mktemp makes it 0700
    echo "build-image: debootstrap bookworm (python3, python3-venv) into $root"
    debootstrap --variant=minbase --include=python3,python3-venv bookworm "$root" >/dev/null
    mkdir -p .cache
    tar -C "$root" -cf "$cache.part" . && mv "$cache.part" "$cache"
    rm -rf "$root"
  fi
  "${podman[@]}" import "$cache" "$base" >/dev/null
fi
# The host's CA bundle: pip inside the build reaches PyPI as the host does (its trust may add a local CA).
"${podman[@]}" build --network host "${limits[@]}" --build-arg BASE="$base" \
  -v /etc/ssl/certs/ca-certificates.crt:/etc/ssl/certs/ca-certificates.crt:ro \
  -f Containerfile -t "$tag" . >&2
echo "$tag"
