//! A browser push service on 127.0.0.1 for the tests (the real ones are Google's, Mozilla's,
//! Apple's and Microsoft's, out of reach here). It checks each request as strictly as they
//! do: the `aes128gcm` encoding, TTL, Urgency, Topic, the 4096-byte limit, and the VAPID
//! JWT (ES256 signature against the server's announced key, `aud` = this origin, `exp` within
//! 24 hours, a `mailto:` or `https:` `sub`). It then decrypts the message with the browser's
//! private key and auth secret (RFC 8291, real cryptography end to end), records it, and
//! answers what the test scripted (201 by default). A request that breaks a rule is answered
//! 400 and recorded as a violation, which every test asserts is empty.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine as _;
use herald_protocol::{PushSubscriptionKeys, PushSubscriptionRequest};
use p256::ecdsa::signature::Verifier as _;
use p256::ecdsa::{Signature, VerifyingKey};
use p256::elliptic_curve::sec1::ToEncodedPoint as _;

/// A scripted answer.
#[derive(Debug, Clone)]
pub struct Reply {
    pub status: u16,
    pub retry_after: Option<String>,
}

impl Reply {
    pub fn status(status: u16) -> Reply {
        Reply {
            status,
            retry_after: None,
        }
    }
}

/// A request the service accepted as well-formed and decrypted.
#[derive(Debug, Clone)]
pub struct Received {
    /// The browser (the endpoint's last path segment).
    pub browser: String,
    /// The decrypted message.
    pub message: serde_json::Value,
    pub ttl: u64,
    pub urgency: Option<String>,
    pub topic: Option<String>,
    /// What the service answered.
    pub answered: u16,
}

struct Browser {
    secret: p256::SecretKey,
    auth: [u8; 16],
}

#[derive(Default)]
struct Inner {
    server_key: Option<String>,
    browsers: HashMap<String, Browser>,
    script: HashMap<String, VecDeque<Reply>>,
    received: Vec<Received>,
    violations: Vec<String>,
}

/// The running service.
#[derive(Clone)]
pub struct PushService {
    pub origin: String,
    inner: Arc<Mutex<Inner>>,
}

impl PushService {
    /// Starts on a free port; `server_key` is the VAPID key the server announced.
    pub async fn start(server_key: &str) -> PushService {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let origin = format!("http://{}", listener.local_addr().unwrap());
        let inner = Arc::new(Mutex::new(Inner {
            server_key: Some(server_key.to_owned()),
            ..Inner::default()
        }));
        let service = PushService { origin, inner };
        let app = axum::Router::new()
            .route("/push/{browser}", axum::routing::post(receive))
            .with_state(service.clone());
        tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        service
    }

    /// A new browser: its key pair and auth secret, and the subscription it would register.
    pub fn browser(&self, name: &str) -> PushSubscriptionRequest {
        let secret = p256::SecretKey::random(&mut rand_core::OsRng);
        let mut auth = [0u8; 16];
        rand_core::RngCore::fill_bytes(&mut rand_core::OsRng, &mut auth);
        let request = PushSubscriptionRequest {
            endpoint: format!("{}/push/{name}", self.origin),
            keys: PushSubscriptionKeys {
                p256dh: B64.encode(secret.public_key().to_encoded_point(false).as_bytes()),
                auth: B64.encode(auth),
            },
            device_name: Some(format!("{name}'s browser")),
        };
        self.inner
            .lock()
            .unwrap()
            .browsers
            .insert(name.to_owned(), Browser { secret, auth });
        request
    }

    /// The next answers for a browser, in order (then 201).
    pub fn script(&self, browser: &str, replies: Vec<Reply>) {
        self.inner
            .lock()
            .unwrap()
            .script
            .insert(browser.to_owned(), replies.into());
    }

    pub fn received(&self) -> Vec<Received> {
        self.inner.lock().unwrap().received.clone()
    }

    pub fn received_by(&self, browser: &str) -> Vec<Received> {
        self.received()
            .into_iter()
            .filter(|r| r.browser == browser)
            .collect()
    }

    /// Requests that broke a rule (each answered 400).
    pub fn violations(&self) -> Vec<String> {
        self.inner.lock().unwrap().violations.clone()
    }
}

async fn receive(
    State(service): State<PushService>,
    Path(browser): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let checked = check(&service, &browser, &headers, &body);
    let mut inner = service.inner.lock().unwrap();
    let (message, ttl, urgency, topic) = match checked {
        Ok(fine) => fine,
        Err(violation) => {
            inner.violations.push(violation.clone());
            return (StatusCode::BAD_REQUEST, violation).into_response();
        }
    };
    let reply = inner
        .script
        .get_mut(&browser)
        .and_then(VecDeque::pop_front)
        .unwrap_or(Reply::status(201));
    inner.received.push(Received {
        browser,
        message,
        ttl,
        urgency,
        topic,
        answered: reply.status,
    });
    let mut response = StatusCode::from_u16(reply.status).unwrap().into_response();
    if let Some(after) = reply.retry_after {
        response
            .headers_mut()
            .insert("retry-after", after.parse().unwrap());
    }
    if reply.status == 201 {
        response
            .headers_mut()
            .insert("location", "/message/1".parse().unwrap());
    }
    response
}

type Checked = (serde_json::Value, u64, Option<String>, Option<String>);

fn header<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

fn check(
    service: &PushService,
    browser: &str,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<Checked, String> {
    if header(headers, "content-encoding") != Some("aes128gcm") {
        return Err("Content-Encoding must be aes128gcm".into());
    }
    let ttl: u64 = header(headers, "ttl")
        .and_then(|t| t.parse().ok())
        .ok_or("TTL must be a number of seconds")?;
    let urgency = header(headers, "urgency").map(str::to_owned);
    if let Some(u) = &urgency {
        if !["very-low", "low", "normal", "high"].contains(&u.as_str()) {
            return Err(format!("bad Urgency {u:?}"));
        }
    }
    let topic = header(headers, "topic").map(str::to_owned);
    if let Some(t) = &topic {
        let url_safe = t
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if t.len() > 32 || !url_safe {
            return Err(format!("bad Topic {t:?}"));
        }
    }
    if body.len() > 4096 {
        return Err(format!("message of {} bytes is over 4096", body.len()));
    }
    let server_key = service
        .inner
        .lock()
        .unwrap()
        .server_key
        .clone()
        .unwrap_or_default();
    check_vapid(
        header(headers, "authorization"),
        &service.origin,
        &server_key,
    )?;
    let inner = service.inner.lock().unwrap();
    let keys = inner.browsers.get(browser).ok_or("unknown subscription")?;
    let auth = web_push_native::Auth::clone_from_slice(&keys.auth);
    let plain = web_push_native::decrypt(body.to_vec(), &keys.secret, &auth)
        .map_err(|e| format!("cannot decrypt: {e}"))?;
    let message = serde_json::from_slice(&plain).map_err(|e| format!("not JSON: {e}"))?;
    Ok((message, ttl, urgency, topic))
}

fn check_vapid(value: Option<&str>, origin: &str, server_key: &str) -> Result<(), String> {
    let value = value.ok_or("no Authorization header")?;
    let rest = value
        .strip_prefix("vapid t=")
        .ok_or("Authorization is not vapid t=…, k=…")?;
    let (jwt, k) = rest.split_once(", k=").ok_or("no k= parameter")?;
    if k != server_key {
        return Err("k is not the key the server announced".into());
    }
    let mut parts = jwt.split('.');
    let (Some(head), Some(claims), Some(signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err("the JWT does not have three parts".into());
    };
    let decode = |part: &str| {
        B64.decode(part)
            .map_err(|e| format!("JWT part not base64url: {e}"))
    };
    let head: serde_json::Value =
        serde_json::from_slice(&decode(head)?).map_err(|e| e.to_string())?;
    if head["alg"] != "ES256" {
        return Err(format!("JWT alg must be ES256, got {}", head["alg"]));
    }
    let public = VerifyingKey::from_sec1_bytes(&decode(k)?).map_err(|e| e.to_string())?;
    let signature = Signature::from_slice(&decode(signature)?).map_err(|e| e.to_string())?;
    let signed = &jwt[..jwt.rfind('.').unwrap()];
    public
        .verify(signed.as_bytes(), &signature)
        .map_err(|_| "the JWT's signature does not verify")?;
    let claims: serde_json::Value =
        serde_json::from_slice(&decode(claims)?).map_err(|e| e.to_string())?;
    if claims["aud"] != origin {
        return Err(format!("aud {} is not {origin}", claims["aud"]));
    }
    let exp = claims["exp"].as_i64().ok_or("no exp")?;
    let now = chrono::Utc::now().timestamp();
    if exp <= now || exp > now + 24 * 3600 {
        return Err(format!("exp {exp} is not within 24 h of {now}"));
    }
    let sub = claims["sub"].as_str().unwrap_or("");
    if !(sub.starts_with("mailto:") || sub.starts_with("https://")) {
        return Err(format!("sub {sub:?} is not mailto: or https:"));
    }
    Ok(())
}
