//! The web app: the same Svelte UI as the desktop app, served at `/` for agents who never
//! install anything, and the browser's side of sessions.
//!
//! A browser never holds the session token: it lives in an HttpOnly cookie (`Secure` when
//! the public URL is https, `SameSite=Strict`). Requests that authenticate with the cookie
//! must come from this server's own origin (`Origin` checked, so no other site can drive an
//! agent's session, and no other site can open its stream: no cross-site WebSocket
//! hijacking), and every state-changing one carries the session's CSRF token. Every response
//! carries a strict CSP and the usual security headers.
//!
//! # Layout
//!
//! - this file: the settings every request needs ([`WebSettings`]).
//! - `assets`: the built UI, read into memory at start, and the page shown when it is not
//!   built.
//! - `guard`: the cookie, the CSRF token and the origin check.
//! - `headers`: the security headers of every response.

use std::path::PathBuf;

pub mod assets;
pub mod guard;
pub mod headers;

pub use assets::WebAssets;

/// Where the built UI is looked for when no folder is configured: the source tree this
/// server was built from (`ui/dist`, made by `npm run build` in `ui/`).
pub fn default_dir() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../ui/dist"))
}

/// What the browser-facing parts need to know.
#[derive(Debug, Clone)]
pub struct WebSettings {
    /// This server's origin as browsers see it (`https://herald.acme.example`), from the
    /// public URL; without one, a browser's `Origin` must name the `Host` it connected to.
    pub public_origin: Option<String>,
    /// The public URL as configured (no trailing slash), for links this server hands out.
    pub public_url: Option<String>,
    /// Whether session cookies are `Secure` (the public URL is https).
    pub secure_cookies: bool,
    /// The key CSRF tokens are derived with (the database's link key).
    pub csrf_key: Vec<u8>,
}

impl WebSettings {
    /// Settings for a public URL (or none) and the database's secret.
    pub fn new(public_url: Option<&str>, csrf_key: Vec<u8>) -> WebSettings {
        let origin = public_url
            .and_then(|u| url::Url::parse(u).ok())
            .map(|u| u.origin().ascii_serialization())
            .filter(|o| o != "null");
        WebSettings {
            secure_cookies: origin.as_deref().is_some_and(|o| o.starts_with("https://")),
            public_url: origin
                .as_ref()
                .and(public_url)
                .map(|u| u.trim_end_matches('/').to_owned()),
            public_origin: origin,
            csrf_key,
        }
    }
}
