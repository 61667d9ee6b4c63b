#!/usr/bin/env bash
# Sets up and runs the main job: sonde read on the bundled capture of the lab's
# HTTP request (handshake, GET, response, close), then its frame 4 explained.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -p sonde
./target/release/sonde read samples/lab-http.pcapng
echo
./target/release/sonde explain samples/lab-http.pcapng 4 | head -40
