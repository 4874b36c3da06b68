#!/usr/bin/env bash
# Runs Herald, installing what it needs first.
#
# With a display: the desktop app against the embedded demo server (its own SQLite database,
# a seeded workspace with three agents, simulated traffic through the real ingest API). The
# sign-in form is prefilled; the password is printed below. Closing the window keeps Herald
# in the tray; "Quit Herald" in the tray menu (or Ctrl+C here) ends both.
# Without a display (a server, CI): the demo server alone. Either way the demo server also
# serves the web app: open http://127.0.0.1:7878 in a browser.
#
#   bash scripts/run.sh                 # demo on http://127.0.0.1:7878, 0.5 events/s
#   bash scripts/run.sh --rate 5        # any `herald-server demo` option
#   HERALD_NO_APP=1 bash scripts/run.sh # the server alone even with a display
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

with_app=1
if [ -z "${DISPLAY:-}${WAYLAND_DISPLAY:-}" ] || [ -n "${HERALD_NO_APP:-}" ]; then with_app=0; fi

say "Checking the tools (installs what is missing)"
rust_ensure
if [ "$with_app" = 1 ]; then
  node_ensure
  ui_deps_ensure
  apt_ensure "${APP_BUILD_PACKAGES[@]}" dunst curl
fi

say "Building the web UI and herald-server (the first build takes a few minutes)"
if [ "$with_app" = 1 ]; then
  (cd ui && npm run --silent build >/dev/null)
elif ! (node_ensure && ui_deps_ensure && cd ui && npm run --silent build >/dev/null); then
  # The server alone needs no Node.js: it runs, and its / page says how to build the web app.
  echo "warning: the web app could not be built (it needs Node.js 20 or newer); the server runs without it"
fi
cargo build --locked -p herald-server --bin herald-server

if [ "$with_app" = 0 ]; then
  say "Starting the demo server (Ctrl+C stops it)"
  echo "No display here: the desktop app is not started."
  echo "The web app: open http://127.0.0.1:7878 in a browser (through an SSH tunnel from elsewhere:"
  echo "ssh -L 7878:127.0.0.1:7878 this-host) and sign in as ana@demo.herald.test / herald-demo."
  exec ./target/debug/herald-server demo "$@"
fi

say "Building the desktop app (the first build takes a few minutes)"
cargo build --locked -p herald-app --features custom-protocol

say "Starting the demo server and the app"
./target/debug/herald-server demo "$@" &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 1 50); do
  curl -fsS http://127.0.0.1:7878/api/v1/health >/dev/null 2>&1 && break
  sleep 0.2
done
echo "Sign in as ana@demo.herald.test with the password herald-demo (prefilled but the password)."
echo "The web app is at http://127.0.0.1:7878 too (the same account)."
HERALD_SERVER=http://127.0.0.1:7878 HERALD_EMAIL=ana@demo.herald.test ./target/debug/herald
