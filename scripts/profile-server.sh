#!/usr/bin/env bash
# Where herald-server's CPU goes per delivered event (prints a breakdown; not a test): the
# peer benchmark's load against the release binary alone, `perf record` with call stacks
# through each fixed rate, and bench/profile/breakdown.py sorting the samples into the
# parts of the path (HTTP, the ingest writer, SQLite statements, the WAL's writes and fsync,
# the live streams, thread wake-ups).
#
#   bash scripts/profile-server.sh                       # 1000 agents, 1000 and 3000 events/s
#   BENCH_RATES=8000 bash scripts/profile-server.sh      # past saturation
#   DETAIL=SQLite bash scripts/profile-server.sh         # and the functions of one part
#
# perf comes from Debian's linux-perf; it needs root or kernel.perf_event_paranoid <= 1.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

rust_ensure
node_ensure
command -v perf >/dev/null || apt_ensure linux-perf
perf record -q -e cpu-clock -o /dev/null -- true 2>/dev/null \
  || die "perf cannot record here: run as root or set kernel.perf_event_paranoid to 1"
say "Installing the benchmark's npm packages"
(cd bench/peers && npm ci --no-audit --no-fund --loglevel=error)
say "Building herald-server and herald-bench (release)"
cargo build --release --locked -p herald-server --bin herald-server --bin herald-bench

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
say "Profiling herald-server under load"
ulimit -n 65536 2>/dev/null || true
node bench/peers/run.mjs \
  --herald target/release/herald-server --bench target/release/herald-bench \
  --agents "${BENCH_AGENTS:-1000}" --rates "${BENCH_RATES:-1000,3000}" \
  --seconds "${BENCH_SECONDS:-10}" --burst 10 --profile "$out"
for data in "$out"/rate-*.data; do
  rate=$(basename "$data" .data)
  say "Where the CPU went at ${rate#rate-} events/s"
  perf script -i "$data" 2>/dev/null | python3 bench/profile/breakdown.py ${DETAIL:+"$DETAIL"}
done
