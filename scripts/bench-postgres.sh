#!/usr/bin/env bash
# herald-bench on every store and shape in one run: a SQLite file with synchronous = FULL,
# then a throwaway PostgreSQL cluster with PostgreSQL's default durability (fsync,
# synchronous_commit on) on this machine: one node, then two nodes on one database (clients
# and streams spread over both), then the rate at which PostgreSQL's notifications (the
# hints between nodes) saturate. Each with the same agents, events and streams; prints the
# numbers side by side with the ratios the goals are about. Extra arguments go to
# herald-bench (--agents, --events…).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

rust_ensure
say "PostgreSQL: a throwaway cluster with default durability"
postgres_test_cluster durable
say "Building herald-bench (release)"
cargo build --release --locked -p herald-server --bin herald-bench
say "herald-bench: SQLite, PostgreSQL on one node and on two, the hints"
target/release/herald-bench --postgres "$HERALD_TEST_POSTGRES" "$@"
