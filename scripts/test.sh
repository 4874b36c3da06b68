#!/usr/bin/env bash
# Runs every test of Herald, installing what it needs first. This is the README's test
# command and the only thing CI runs.
#
#   1. Tools: Rust (rustup if cargo is missing), Node.js + npm, Debian packages (webkit2gtk
#      to build the app; Xvfb, dunst, WebKitWebDriver, Chromium, xdotool, keyutils to test
#      it; PostgreSQL, nginx and systemd-analyze for the server's deployment), tauri-driver, a Python virtualenv with aiosmtpd (the email tests' SMTP server),
#      the UI's npm packages
#   2. cargo fmt --check; the UI's type check (svelte-check), unit and component tests
#      (Vitest) and build
#   3. cargo clippy -D warnings and cargo test for the whole workspace (the server, the core
#      against a real server, the shell), inside a kernel session keyring; then the server's
#      suite again on PostgreSQL, in a throwaway cluster this script starts (and removes)
#   4. the UI in Debian's Chromium against the fake backend (Playwright)
#   5. the real app under Xvfb through WebDriver against a real server (scripts/test-app.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

say "Checking the tools (installs what is missing)"
rust_ensure
node_ensure
apt_ensure "${APP_BUILD_PACKAGES[@]}" "${APP_TEST_PACKAGES[@]}"
tauri_driver_ensure
python_test_env
ui_deps_ensure
echo "cargo: $(cargo --version)  node: $(node --version)  npm: $(npm --version)"

say "Rust: formatting"
cargo fmt --all -- --check || die "code is not formatted: run cargo fmt --all"

say "UI: type check, unit and component tests, build"
(cd ui && npm run --silent check && npm run --silent test && npm run --silent build >/dev/null)

# The shell is built the way the tests run it: serving the built UI (custom-protocol), so
# clippy, the tests and the app build share one set of compiled dependencies.
FEATURES=(--features herald-app/custom-protocol)

say "Rust: clippy (warnings are errors)"
cargo clippy --workspace --all-targets --locked "${FEATURES[@]}" -- -D warnings

say "PostgreSQL: a throwaway cluster for the server's tests"
postgres_test_cluster
# The documented deployment is run by tests/behind_nginx.rs: nginx in front of two nodes,
# and systemd-analyze for the unit.
apt_ensure nginx systemd

say "Rust: tests (protocol, core, server on SQLite)"
keyctl session - cargo test --locked

say "Rust: the server's tests again, on PostgreSQL"
HERALD_TEST_STORE=postgres keyctl session - cargo test --locked -p herald-server --tests

# On its own: selected alone, the shell resolves the same dependency features as the app
# build of the real-app tests, so the two share every compiled dependency.
say "Rust: tests (shell)"
cargo test --locked -p herald-app -p tauri-plugin-herald-push --features herald-app/custom-protocol

say "UI in Chromium (Playwright, fake backend)"
(cd ui && npm run --silent e2e)

bash scripts/test-app.sh

say "All tests passed"
