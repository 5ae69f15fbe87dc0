#!/usr/bin/env bash
# Installs, where missing, the Debian packages building Starling needs:
# clang/libclang (bindgen for RocksDB's bundled C++) and protoc (the FE-BE gRPC
# contract). Used by start.sh and install-test-deps.sh.
set -euo pipefail

sudo_if_needed() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

missing=()
for pkg in "$@" clang libclang-dev protobuf-compiler; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "installing Debian packages: ${missing[*]}"
  sudo_if_needed apt-get update -qq
  sudo_if_needed env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
