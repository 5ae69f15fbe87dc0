#!/usr/bin/env bash
# Installs what building and testing Starling needs, only where missing:
# the build prerequisites (install-build-deps.sh), the mariadb CLI, MariaDB
# Connector/J and a JDK for the JDBC test, curl for Stream Load tests, and the
# Python drivers used by the client tests, and moto's S3 server for the
# repository tests against S3.
set -euo pipefail
cd "$(dirname "$0")/.."

extra=(mariadb-client python3-pip libmariadb-java curl)
# The JDBC test runs a single-file Java program, which needs a JDK (javac).
command -v javac >/dev/null 2>&1 || extra+=(openjdk-17-jdk-headless)
bash scripts/install-build-deps.sh "${extra[@]}"

if ! python3 -c "import pymysql, sqlalchemy" >/dev/null 2>&1; then
  echo "installing Python packages: pymysql sqlalchemy"
  python3 -m pip install -q pymysql sqlalchemy 2>/dev/null \
    || python3 -m pip install -q --break-system-packages pymysql sqlalchemy
fi

if ! command -v moto_server >/dev/null 2>&1; then
  echo "installing Python package: moto[server] (local S3 server)"
  python3 -m pip install -q 'moto[server]' 2>/dev/null \
    || python3 -m pip install -q --break-system-packages 'moto[server]'
fi
