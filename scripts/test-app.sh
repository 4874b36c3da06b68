#!/usr/bin/env bash
# The real-app tests: builds the app (debug, serving the built UI) and the server, then drives
# the app through WebDriver under Xvfb, inside a private session D-Bus (where dunst receives
# the notifications) and a kernel session keyring (where the token is kept).
# Called by scripts/test.sh (which installs what it needs); can be run alone after that.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

say "Real app: building the UI, the app and the server"
(cd ui && npm run --silent build >/dev/null)
cargo build --locked -p herald-app --features custom-protocol
cargo build --locked -p herald-server --bin herald-server

say "Real app: WebDriver under Xvfb with a session D-Bus and keyring"
export PATH="$HOME/.cargo/bin:$PATH"
(cd ui && xvfb-run -a -s "-screen 0 1280x800x24" \
  dbus-run-session -- keyctl session - node --test app-e2e/)
