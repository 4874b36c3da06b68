//! # herald-core
//!
//! The agent's client without Tauri: session, API client, event stream, bell model,
//! preference sync and delivery decisions, talking to the shell through narrow ports.
//!
//! **Not built yet.** This crate is a placeholder in the workspace so that the layout is
//! fixed; its contents arrive with the "herald-core" issue. It only re-exports the protocol.

pub use herald_protocol as protocol;
