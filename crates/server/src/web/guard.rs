//! The web session's guards: the HttpOnly cookie that carries the session token, the CSRF
//! token derived from the session, and the check that a cookie request comes from this
//! server's own pages.

use axum::http::header::{COOKIE, HOST, ORIGIN};
use axum::http::{HeaderMap, Method};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use uuid::Uuid;

use super::WebSettings;

/// The session cookie's name.
pub const COOKIE_NAME: &str = "herald_session";
/// The header state-changing cookie requests carry the CSRF token in.
pub const CSRF_HEADER: &str = "x-herald-csrf";

/// The session token from the request's cookie, if any.
pub fn session_cookie(headers: &HeaderMap) -> Option<&str> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == COOKIE_NAME)
        .map(|(_, value)| value.trim())
        .filter(|v| !v.is_empty() && v.len() <= 256)
}

/// `Set-Cookie` for a new session: HttpOnly, SameSite=Strict, Secure over https, kept 30
/// days by the browser (signing out revokes the session on the server at once).
pub fn set_cookie(settings: &WebSettings, token: &str) -> String {
    let secure = if settings.secure_cookies {
        "; Secure"
    } else {
        ""
    };
    format!("{COOKIE_NAME}={token}; Path=/; HttpOnly; SameSite=Strict; Max-Age=2592000{secure}")
}

/// `Set-Cookie` that removes the session cookie.
pub fn clear_cookie(settings: &WebSettings) -> String {
    let secure = if settings.secure_cookies {
        "; Secure"
    } else {
        ""
    };
    format!("{COOKIE_NAME}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0{secure}")
}

/// The session's CSRF token: an HMAC of its id, so nothing more is stored.
pub fn csrf_token(settings: &WebSettings, session_id: Uuid) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(&settings.csrf_key)
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    mac.update(b"herald csrf v1:");
    mac.update(session_id.as_bytes());
    crate::token::hex(&mac.finalize().into_bytes())
}

/// Why a cookie request is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Sent by another site's page (or with no origin where one is required).
    CrossOrigin,
    /// A state-changing request without the session's CSRF token.
    NoCsrf,
}

/// Checks a request that authenticates with the cookie: its `Origin` (when the browser
/// sends one, and always for a WebSocket upgrade) must be this server's, and a request that
/// may change state must carry the CSRF token.
pub fn check(
    settings: &WebSettings,
    method: &Method,
    headers: &HeaderMap,
    session_id: Uuid,
) -> Result<(), Refusal> {
    let upgrade = headers.contains_key(axum::http::header::UPGRADE);
    match headers.get(ORIGIN).and_then(|o| o.to_str().ok()) {
        Some(origin) if !is_own_origin(settings, headers, origin) => {
            return Err(Refusal::CrossOrigin)
        }
        None if upgrade => return Err(Refusal::CrossOrigin),
        _ => {}
    }
    let safe = matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS);
    if !safe {
        // Exactly one token: a second header is not a second chance.
        let mut all = headers.get_all(CSRF_HEADER).iter();
        let sent = match (all.next(), all.next()) {
            (Some(one), None) => one.to_str().ok(),
            _ => None,
        };
        let expected = csrf_token(settings, session_id);
        if !sent.is_some_and(|s| constant_time_eq(s.as_bytes(), expected.as_bytes())) {
            return Err(Refusal::NoCsrf);
        }
    }
    Ok(())
}

/// Whether `origin` is this server: the public URL's origin, or (without one) the host the
/// browser connected to.
pub fn is_own_origin(settings: &WebSettings, headers: &HeaderMap, origin: &str) -> bool {
    if let Some(public) = &settings.public_origin {
        return origin == public;
    }
    let Some(host) = headers.get(HOST).and_then(|h| h.to_str().ok()) else {
        return false;
    };
    origin == format!("http://{host}") || origin == format!("https://{host}")
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(public: Option<&str>) -> WebSettings {
        WebSettings::new(public, b"key".to_vec())
    }

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.append(
                axum::http::HeaderName::from_bytes(k.as_bytes()).expect("name"),
                v.parse().expect("value"),
            );
        }
        h
    }

    #[test]
    fn the_cookie_is_found_among_others() {
        let h = headers(&[("cookie", "a=1; herald_session=hs_abc; b=2")]);
        assert_eq!(session_cookie(&h), Some("hs_abc"));
        assert_eq!(
            session_cookie(&headers(&[("cookie", "herald_session=")])),
            None
        );
    }

    #[test]
    fn cookies_are_secure_over_https_only() {
        assert!(set_cookie(&settings(Some("https://h.example")), "t").ends_with("; Secure"));
        let plain = set_cookie(&settings(None), "t");
        assert!(plain.contains("HttpOnly") && plain.contains("SameSite=Strict"));
        assert!(!plain.contains("Secure"));
    }

    #[test]
    fn other_origins_and_missing_tokens_are_refused() {
        let s = settings(None);
        let id = Uuid::now_v7();
        let token = csrf_token(&s, id);
        let own = headers(&[
            ("host", "127.0.0.1:7878"),
            ("origin", "http://127.0.0.1:7878"),
        ]);
        assert_eq!(check(&s, &Method::GET, &own, id), Ok(()));
        assert_eq!(check(&s, &Method::POST, &own, id), Err(Refusal::NoCsrf));
        let with_token = headers(&[
            ("host", "127.0.0.1:7878"),
            ("origin", "http://127.0.0.1:7878"),
            (CSRF_HEADER, &token),
        ]);
        assert_eq!(check(&s, &Method::POST, &with_token, id), Ok(()));
        let other_session = csrf_token(&s, Uuid::now_v7());
        let wrong = headers(&[("host", "127.0.0.1:7878"), (CSRF_HEADER, &other_session)]);
        assert_eq!(check(&s, &Method::DELETE, &wrong, id), Err(Refusal::NoCsrf));
        let evil = headers(&[
            ("host", "127.0.0.1:7878"),
            ("origin", "https://evil.example"),
            (CSRF_HEADER, &token),
        ]);
        assert_eq!(
            check(&s, &Method::POST, &evil, id),
            Err(Refusal::CrossOrigin)
        );
        let ws_without_origin = headers(&[("host", "127.0.0.1:7878"), ("upgrade", "websocket")]);
        assert_eq!(
            check(&s, &Method::GET, &ws_without_origin, id),
            Err(Refusal::CrossOrigin)
        );
        let public = settings(Some("https://herald.acme.example/"));
        let proxied = headers(&[
            ("host", "10.0.0.5:7878"),
            ("origin", "https://herald.acme.example"),
        ]);
        assert_eq!(check(&public, &Method::GET, &proxied, id), Ok(()));
    }
}
