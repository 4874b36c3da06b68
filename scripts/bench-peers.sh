#!/usr/bin/env bash
# herald-server under load beside a peer (prints numbers; not part of the tests): the release
# binary on a SQLite file and a socket.io 4.8 server doing the same fan-out without
# persistence or preferences, driven by one Node load generator in the same run
# (bench/peers/run.mjs): memory idle, during a burst of sign-ins and per live stream;
# acknowledged events per second, delivery p50 / p99 and server CPU per delivered event at
# fixed rates; throughput at saturation; and the ratios.
#
#   bash scripts/bench-peers.sh                  # 1000 agents, 1000 and 3000 events/s, 10 s each
#   BENCH_AGENTS=200 BENCH_RATES=2000 bash scripts/bench-peers.sh
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

rust_ensure
node_ensure
say "Installing the benchmark's npm packages (socket.io, socket.io-client, ws)"
(cd bench/peers && npm ci --no-audit --no-fund --loglevel=error)
say "Building herald-server and herald-bench (release)"
cargo build --release --locked -p herald-server --bin herald-server --bin herald-bench

say "Running the peers"
# The load generator holds thousands of sockets: allow them.
ulimit -n 65536 2>/dev/null || true
node bench/peers/run.mjs \
  --herald target/release/herald-server --bench target/release/herald-bench \
  --agents "${BENCH_AGENTS:-1000}" --rates "${BENCH_RATES:-1000,3000}" \
  --seconds "${BENCH_SECONDS:-10}" --burst "${BENCH_BURST:-1000}"
