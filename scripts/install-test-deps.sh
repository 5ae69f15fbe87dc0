#!/usr/bin/env bash
# Installs what building and testing Starling needs, only where missing:
# Debian packages (clang/libclang for RocksDB's bindgen, protoc for the gRPC
# contract, the mariadb CLI, MariaDB Connector/J and a JDK for the JDBC test)
# and the Python drivers used by the client tests.
set -euo pipefail

sudo_if_needed() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

missing=()
for pkg in clang libclang-dev protobuf-compiler mariadb-client python3-pip libmariadb-java curl; do
  dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
# The JDBC test runs a single-file Java program, which needs a JDK (javac).
command -v javac >/dev/null 2>&1 || missing+=(openjdk-17-jdk-headless)
if [ "${#missing[@]}" -gt 0 ]; then
  echo "installing Debian packages: ${missing[*]}"
  sudo_if_needed apt-get update -qq
  sudo_if_needed env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if ! python3 -c "import pymysql, sqlalchemy" >/dev/null 2>&1; then
  echo "installing Python packages: pymysql sqlalchemy"
  python3 -m pip install -q pymysql sqlalchemy 2>/dev/null \
    || python3 -m pip install -q --break-system-packages pymysql sqlalchemy
fi
