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
//! - [`client`]: the connection state machine, resume, gap handling, OS notifications, the
//!   decision trail.
//! - [`prefsync`]: optimistic preference edits, saved with If-Match, kept offline.
//! - [`agent`]: one signed-in session: its client, preference sync and debounced saves.
//! - [`account`]: the account on this device: the session's slot and its transitions
//!   (restore, sign in, sign out, ended on the server), the device context, the indicators,
//!   and every answer the UI asks for.
//! - [`accounts`]: every account the app follows: one bell over several servers or
//!   workspaces, the shown account, signing out of one. **Start here**: the shell's commands
//!   call it.
//! - [`links`]: `herald://` links, read strictly (anything else opens nothing).
//! - [`views`]: what the UI is sent when it asks (session, bell, preferences, pause choices).
//! - [`diagnostics`]: the troubleshooting facts and the verdict of each card.
//! - [`web`]: the web app's diagnostics: the browser's facts, the server's verdicts.
//! - [`ports`]: what the shell provides (notifier, UI event sink) and [`ports::UiEvent`],
//!   every event the UI is pushed.
//! - [`ts`]: the TypeScript module generated for the UI from all of the above.
//!
//! Two fronts use it: the desktop app (`src-tauri`, through [`accounts::Accounts`] and the
//! ports) and `herald-watch`, the headless one (`src/bin/herald-watch.rs`).
//! `examples/bench.rs` measures its latency.

pub mod account;
pub mod accounts;
pub mod agent;
pub mod api;
pub mod backoff;
pub mod bell;
pub mod client;
pub mod config;
pub mod diagnostics;
pub mod error;
pub mod links;
pub mod ports;
pub mod prefsync;
pub mod secret;
pub mod sensitive;
pub mod session;
pub mod state;
pub mod ts;
pub mod views;
pub mod web;

pub use herald_protocol as protocol;
