#!/usr/bin/env bash
# The test command: installs what the tests need, builds, and runs every test
# (unit, golden, catalog, and end-to-end tests against the real binaries).
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/starling/target}"

bash scripts/install-test-deps.sh

if cargo nextest --version >/dev/null 2>&1; then
  cargo nextest run --workspace --no-fail-fast
else
  cargo test --workspace --no-fail-fast
fi
