//! # herald-core
//!
//! The agent's client without Tauri: everything the app does, testable headless against a
//! real server. The shell talks to it through narrow ports ([`ports`]).
//!
//! # Layout
//!
//! - [`config`]: the server URL policy (https, or http to this machine only).
//! - [`error`]: one error type with a kind the UI branches on.
//! - [`sensitive`]: a wrapper that keeps secrets out of logs and serialisation.
//! - [`secret`]: the OS keychain behind a trait; fails closed, never a plain file.
//! - [`api`]: the REST client.
//! - [`state`]: what is kept between runs (position, cached page); no secrets.
//! - [`backoff`]: exponential reconnect delays with full jitter.
//! - [`bell`]: the bell model (dedupe by id, absolute counters, optimistic read marks).
//! - [`session`]: sign in / restore / sign out over the API, the keychain and the state.
//! - [`client`]: the connection state machine, resume, gap handling, OS notifications.
//! - [`prefsync`]: optimistic preference edits, saved with If-Match, kept offline.
//! - [`ports`]: what the shell provides (notifier, UI event sink) and the events it gets.
//!
//! Two fronts use it: the desktop app (`src-tauri`, through the ports) and `herald-watch`, the
//! headless one (`src/bin/herald-watch.rs`). `examples/bench.rs` measures its latency.

pub mod api;
pub mod backoff;
pub mod bell;
pub mod client;
pub mod config;
pub mod error;
pub mod ports;
pub mod prefsync;
pub mod secret;
pub mod sensitive;
pub mod session;
pub mod state;

pub use herald_protocol as protocol;
