# Shared helpers for scripts/run.sh and scripts/test.sh. Sourced, not run.

say() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
die() { printf '\n\033[31merror:\033[0m %s\n' "$*" >&2; exit 1; }

# Installs Debian packages that are missing. The machine image deletes downloaded packages
# between dpkg runs, so a large first install can fail near the end: retry once.
apt_ensure() {
  local missing=()
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  command -v apt-get >/dev/null || die "missing system packages (${missing[*]}) and no apt-get: install them by hand"
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  say "Installing system packages: ${missing[*]}"
  $sudo apt-get update -qq || true
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" \
    || DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" \
    || die "could not install ${missing[*]}"
}

# Rust: the project needs a current stable toolchain (see rust-version in Cargo.toml).
rust_ensure() {
  if ! command -v cargo >/dev/null; then
    [ -x "$HOME/.cargo/bin/cargo" ] && export PATH="$HOME/.cargo/bin:$PATH"
  fi
  if ! command -v cargo >/dev/null; then
    apt_ensure curl ca-certificates build-essential
    say "Installing the Rust toolchain with rustup (https://rustup.rs)"
    curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal \
      --component rustfmt,clippy || die "could not install Rust; install it from https://rustup.rs"
    export PATH="$HOME/.cargo/bin:$PATH"
  fi
  if command -v rustup >/dev/null; then
    for component in rustfmt clippy; do
      rustup component list --installed 2>/dev/null | grep -q "^$component" \
        || rustup component add "$component" >/dev/null 2>&1 || true
    done
  fi
  command -v cc >/dev/null || apt_ensure build-essential
}

# Node.js 20+ and npm for the UI.
node_ensure() {
  if ! command -v npm >/dev/null; then
    apt_ensure nodejs npm
  fi
  local major
  major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
  [ "$major" -ge 20 ] || die "Node.js 20 or newer is needed (found $(node --version 2>/dev/null || echo none))"
}

# A virtualenv with the Python test helpers (aiosmtpd, the SMTP server of the email tests).
python_test_env() {
  command -v python3 >/dev/null || apt_ensure python3
  python3 -m venv --help >/dev/null 2>&1 || apt_ensure python3-venv
  if [ ! -x .venv-test/bin/python ] || ! .venv-test/bin/python -c 'import aiosmtpd' 2>/dev/null; then
    say "Installing the Python test helpers (aiosmtpd) into .venv-test"
    rm -rf .venv-test
    python3 -m venv .venv-test || { apt_ensure python3-venv; python3 -m venv .venv-test; }
    .venv-test/bin/pip install --quiet --disable-pip-version-check aiosmtpd==1.4.6
  fi
  export HERALD_TEST_PYTHON="$PWD/.venv-test/bin/python"
}

# What building the desktop app needs (webkit2gtk brings gtk, soup, javascriptcore, libdbus;
# appindicator is the tray icon).
APP_BUILD_PACKAGES=(libwebkit2gtk-4.1-dev libayatana-appindicator3-dev)
# What testing the UI and the real app needs: a virtual display, a notification service on
# D-Bus, WebKit's WebDriver, Debian's Chromium (never a downloaded browser), focus control.
APP_TEST_PACKAGES=(xvfb xauth x11-utils dbus dbus-x11 dunst webkit2gtk-driver chromium xdotool keyutils)

# tauri-driver (WebDriver for Tauri apps), pinned to 2: the registry also serves 3.0 alphas.
tauri_driver_ensure() {
  export PATH="$HOME/.cargo/bin:$PATH"
  if ! command -v tauri-driver >/dev/null; then
    say "Installing tauri-driver 2 (cargo install, about a minute)"
    cargo install tauri-driver --version '^2' --locked --quiet || die "could not install tauri-driver"
  fi
}

# The UI's npm packages, exactly as locked.
ui_deps_ensure() {
  (cd ui && npm ci --no-audit --no-fund --loglevel=error)
}

# A throwaway PostgreSQL cluster for the tests, in a temporary folder on a free port, run by
# an unprivileged system user when this runs as root (the server refuses root), by the
# calling user otherwise. Exports HERALD_TEST_POSTGRES (the cluster's `postgres` database as
# user `herald`, trusted on loopback; HERALD_TEST_PG_BIN, and HERALD_TEST_PG_USER when
# root, let a test make a cluster of its own) and stops and removes the cluster when the
# calling script exits. Durability is off (fsync, synchronous_commit): the tests kill
# herald-server, never PostgreSQL's host, and each test makes a database.
# `postgres_test_cluster durable` keeps PostgreSQL's defaults (for benchmarks).
postgres_test_cluster() {
  local speed="-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
  [ "${1:-}" = durable ] && speed=""
  apt_ensure postgresql
  local bin
  bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
  [ -x "$bin/initdb" ] || die "PostgreSQL's server programs are missing (apt-get install postgresql)"
  PG_TEST_DIR=$(mktemp -d /tmp/herald-pg.XXXXXX)
  PG_TEST_BIN=$bin
  PG_TEST_AS=()
  if [ "$(id -u)" -eq 0 ]; then
    local user=herald-pg
    id "$user" >/dev/null 2>&1 || useradd -r -M -s /usr/sbin/nologin "$user" \
      || die "could not make the system user $user that runs the test cluster"
    chown "$user" "$PG_TEST_DIR"
    PG_TEST_AS=(runuser -u "$user" --)
    export HERALD_TEST_PG_USER="$user"
  fi
  local port
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  "${PG_TEST_AS[@]}" "$bin/initdb" -D "$PG_TEST_DIR/data" -A trust -U herald >"$PG_TEST_DIR/initdb.log" 2>&1 \
    || { cat "$PG_TEST_DIR/initdb.log"; die "initdb failed"; }
  "${PG_TEST_AS[@]}" "$bin/pg_ctl" -D "$PG_TEST_DIR/data" -l "$PG_TEST_DIR/log" -w -o \
    "-p $port -k $PG_TEST_DIR -c listen_addresses=127.0.0.1 -c max_connections=400 $speed" \
    start >/dev/null || { cat "$PG_TEST_DIR/log"; die "PostgreSQL did not start"; }
  export HERALD_TEST_POSTGRES="postgres://herald@127.0.0.1:$port/postgres"
  export HERALD_TEST_PG_BIN="$bin"
  trap postgres_test_cluster_stop EXIT
  echo "PostgreSQL $("$bin/postgres" --version | awk '{print $3}') test cluster on 127.0.0.1:$port ($PG_TEST_DIR)"
}

postgres_test_cluster_stop() {
  [ -n "${PG_TEST_DIR:-}" ] || return 0
  "${PG_TEST_AS[@]}" "$PG_TEST_BIN/pg_ctl" -D "$PG_TEST_DIR/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$PG_TEST_DIR"
  PG_TEST_DIR=""
}
