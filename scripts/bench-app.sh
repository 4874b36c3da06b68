#!/usr/bin/env bash
# The desktop app's benchmark (prints numbers; not part of the tests): idle memory with the
# window open and 1 000 items, in the tray, cold start and idle CPU, beside the stock Tauri
# template built the same way (release, the same Cargo profile, serving its built frontend)
# and measured in the same run.
#
#   bash scripts/bench-app.sh            # BENCH_RUNS=3 BENCH_ITEMS=1000 by default
#
# The template is generated with create-tauri-app (from the npm registry) into
# target/bench/tauri-template; nothing of it is committed. Both release builds take a
# while the first time (they share the target directory's compiled dependencies).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

rust_ensure
node_ensure
apt_ensure "${APP_BUILD_PACKAGES[@]}" "${APP_TEST_PACKAGES[@]}"
tauri_driver_ensure
ui_deps_ensure

template=target/bench/tauri-template
if [ ! -d "$template" ]; then
  say "Generating the stock Tauri template (create-tauri-app, vanilla)"
  mkdir -p target/bench
  (cd target/bench && npx --yes create-tauri-app@4.7.4 tauri-template --template vanilla \
    --manager npm --identifier dev.herald.benchtemplate --yes >/dev/null)
  # Keep it out of Herald's workspace.
  printf '\n[workspace]\n' >> "$template/src-tauri/Cargo.toml"
fi

# One release profile for both: Cargo's default (the template's own asks for fat LTO, which
# would take the comparison off the code and onto the build settings).
export CARGO_PROFILE_RELEASE_LTO=false CARGO_PROFILE_RELEASE_CODEGEN_UNITS=16 \
  CARGO_PROFILE_RELEASE_OPT_LEVEL=3 CARGO_PROFILE_RELEASE_STRIP=true CARGO_PROFILE_RELEASE_PANIC=unwind

say "Building Herald (release) and the template (release)"
(cd ui && npm run --silent build >/dev/null)
cargo build --release --locked -p herald-app --features custom-protocol
cargo build --release --locked -p herald-server --bin herald-server
CARGO_TARGET_DIR="$PWD/target" cargo build --release \
  --manifest-path "$template/src-tauri/Cargo.toml" --features tauri/custom-protocol

say "Measuring (under Xvfb, with a session D-Bus and keyring)"
export HERALD_APP="$PWD/target/release/herald" TEMPLATE_APP="$PWD/target/release/tauri-template" \
  HERALD_SERVER_BIN="$PWD/target/release/herald-server"
(cd ui && xvfb-run -a -s "-screen 0 1280x800x24" dbus-run-session -- keyctl session - node app-e2e/bench.mjs)
