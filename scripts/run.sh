#!/usr/bin/env bash
# Runs Herald: the app against an embedded demo server, or the server alone where there is no
# display. Installs what it needs first.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

cat <<'MSG'
Herald cannot run yet.

What exists today is the foundation: the wire contract, the preference model and the
notification policy (crates/protocol), with their tests (scripts/test.sh).
The notification server (`herald-server demo`) and the desktop app come next; this command
will start them as soon as they exist. See the status table in README.md.
MSG
exit 1
