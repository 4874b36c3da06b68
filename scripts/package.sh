#!/usr/bin/env bash
# Builds the installable app for this machine's OS: on Debian/Ubuntu a .deb in
# target/release/bundle/deb/ (install it with `sudo apt install ./Herald_*.deb`).
# Release build, serving the built UI; the first build takes several minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

rust_ensure
node_ensure
apt_ensure "${APP_BUILD_PACKAGES[@]}" file
ui_deps_ensure

say "Building the release app and its package (tauri build)"
# The Tauri CLI wants the configuration beside the crate: src-tauri/tauri.conf.json links
# to the one at the root. AppImage is left out: bundling it downloads linuxdeploy.
(cd ui && TAURI_APP_PATH=../src-tauri npx tauri build --bundles deb --ci)
ls -l target/release/bundle/deb/*.deb
