//! # herald-app
//!
//! **Not built yet.** The Tauri shell arrives with the "desktop app" issue. It stays out of
//! the workspace's `default-members` because it needs webkit2gtk to build.
