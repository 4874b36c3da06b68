//! The security headers of every response: a strict Content-Security-Policy (the page runs
//! only this server's own scripts, connects only to this server, cannot be framed), no
//! MIME sniffing, no referrer, its own browsing context group, and HSTS over https.

use axum::extract::Request;
use axum::http::{HeaderName, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;

/// The policy (the desktop app's, in `tauri.conf.json`, is as strict): scripts, styles,
/// connections, images, workers and forms are this origin's only; nothing inline.
pub const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
img-src 'self' data:; font-src 'self'; connect-src 'self'; worker-src 'self'; \
manifest-src 'self'; media-src 'self' data:; form-action 'self'; base-uri 'none'; \
frame-ancestors 'none'; object-src 'none'";

/// Adds the headers (keeping any a handler set itself).
pub async fn secure(hsts: bool, request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    let mut set = |name: &'static str, value: &'static str| {
        headers
            .entry(HeaderName::from_static(name))
            .or_insert(HeaderValue::from_static(value));
    };
    set("content-security-policy", CSP);
    set("x-content-type-options", "nosniff");
    set("referrer-policy", "no-referrer");
    set("x-frame-options", "DENY");
    set("cross-origin-opener-policy", "same-origin");
    set("cross-origin-resource-policy", "same-origin");
    set(
        "permissions-policy",
        "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
    );
    if hsts {
        set("strict-transport-security", "max-age=31536000");
    }
    response
}
