#!/usr/bin/env bash
# Sets up and runs every test: unit, golden, differential against tshark,
# corpus robustness, and the network-namespace integration tests (as root).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
cargo build --workspace --all-targets
cargo test --workspace -- --test-threads 2
