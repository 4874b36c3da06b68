#!/usr/bin/env bash
# Runs every test of Herald, installing what it needs first. This is the README's test
# command and the only thing CI runs.
#
#   1. Rust toolchain (rustup if cargo is missing), Node.js + npm, keyutils (Debian packages),
#      a Python virtualenv with aiosmtpd (the real SMTP server of the email tests)
#   2. cargo fmt --check, cargo clippy -D warnings, cargo test (the default workspace members),
#      inside a kernel session keyring so the OS keychain test exercises the real store
#   3. the UI: npm ci, then the TypeScript check of the generated protocol types
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

say "Checking the tools (installs what is missing)"
rust_ensure
node_ensure
apt_ensure keyutils
python_test_env
echo "cargo: $(cargo --version)  node: $(node --version)  npm: $(npm --version)"

say "Rust: formatting"
cargo fmt --all -- --check || die "code is not formatted: run cargo fmt --all"

say "Rust: clippy (warnings are errors)"
# src-tauri is a placeholder without Tauri today; once it links webkit it gets its own step.
cargo clippy --workspace --all-targets --locked -- -D warnings

say "Rust: tests (protocol, core, server)"
HERALD_EXPECT_KEYCHAIN=1 HERALD_REQUIRE_SMTP=1 keyctl session - cargo test --workspace --locked

say "UI: install and type-check"
(cd ui && npm ci --no-audit --no-fund --loglevel=error && npm run --silent check)

say "All tests passed"
