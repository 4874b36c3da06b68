//! # herald-server
//!
//! **Not built yet.** Placeholder that fixes the workspace layout; the service arrives with
//! the "herald-server" issue.

pub use herald_protocol as protocol;
