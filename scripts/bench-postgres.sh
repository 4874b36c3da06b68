#!/usr/bin/env bash
# herald-bench on both stores in one run: a throwaway PostgreSQL cluster with PostgreSQL's
# default durability (fsync, synchronous_commit on) on this machine, and a SQLite file with
# synchronous = FULL, each with the same agents, events and streams. Prints each store's
# numbers and PostgreSQL / SQLite. Extra arguments go to herald-bench (--agents, --events…).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

rust_ensure
say "PostgreSQL: a throwaway cluster with default durability"
postgres_test_cluster durable
say "Building herald-bench (release)"
cargo build --release --locked -p herald-server --bin herald-bench
say "herald-bench on SQLite, then on PostgreSQL"
target/release/herald-bench --postgres "$HERALD_TEST_POSTGRES" "$@"
