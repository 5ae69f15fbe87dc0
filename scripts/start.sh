#!/usr/bin/env bash
# The start command: installs the build prerequisites if missing, then runs the
# standalone cluster — `cargo run --release --bin starling` with any flags given
# (--data-dir, --query-port, --http-port, --backends, --conf-dir).
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/starling/target}"
bash scripts/install-build-deps.sh
exec cargo run --release --bin starling -- "$@"
