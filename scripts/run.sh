#!/usr/bin/env bash
# Runs Herald, installing what it needs first.
#
# Today that is the notification server with its embedded demo: its own SQLite database, a
# seeded workspace with three agents (their passwords are printed) and simulated traffic
# through the real ingest API. The desktop app is not built yet; when it is, this command
# starts it against the demo where there is a display.
#
#   bash scripts/run.sh                 # demo on http://127.0.0.1:7878, 0.5 events/s
#   bash scripts/run.sh --rate 5        # any `herald-server demo` option
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

say "Checking the tools (installs what is missing)"
rust_ensure

say "Building herald-server (release; the first build takes a few minutes)"
cargo build --release --locked -p herald-server --bin herald-server

say "Starting the demo server (Ctrl+C stops it)"
echo "The desktop app is not built yet: sign in through the REST API (see README.md, 'Try it')."
exec ./target/release/herald-server demo "$@"
