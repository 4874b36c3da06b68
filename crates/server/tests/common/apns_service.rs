//! Apple's push service on 127.0.0.1 for the tests (the real one is out of reach here). It
//! checks each request as strictly as Apple documents: HTTP/2 only, `POST /3/device/<hex
//! token>`, a provider JWT (`bearer`, ES256 signed by the team's key, `kid` the key id,
//! `iss` the team, `iat` within the last hour), `apns-topic`, `apns-push-type`
//! (`alert` | `background`), `apns-priority` (5 | 10), an `apns-expiration`, a collapse id of
//! at most 64 bytes, and a JSON body of at most 4096 bytes with an `aps` dictionary. A
//! request that breaks a rule is answered 400 with Apple's reason and recorded as a
//! violation (every test asserts there is none); a well-formed one is recorded and answered
//! what the test scripted (200 by default, with `apns-id`).

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::{StatusCode, Version};
use axum::response::{IntoResponse, Response};
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine as _;
use p256::ecdsa::signature::Verifier as _;
use p256::ecdsa::{Signature, SigningKey, VerifyingKey};
use p256::pkcs8::{EncodePrivateKey as _, LineEnding};

pub const KEY_ID: &str = "ABC123DEFG";
pub const TEAM_ID: &str = "DEF123GHIJ";
pub const TOPIC: &str = "dev.herald.app";

/// A push the service took as well-formed.
#[derive(Debug, Clone)]
pub struct Received {
    pub token: String,
    /// `alert` or `background`.
    pub push_type: String,
    pub body: serde_json::Value,
    pub priority: String,
    pub collapse_id: Option<String>,
    /// The provider token's `iat`.
    pub issued_at: i64,
    /// The whole provider token (to tell a reused one from a new one).
    pub jwt: String,
    pub answered: u16,
}

#[derive(Default)]
struct Inner {
    received: Vec<Received>,
    violations: Vec<String>,
    /// Answers for the next requests: status and Apple's reason.
    script: VecDeque<(u16, &'static str)>,
}

/// The running service.
pub struct ApnsService {
    pub url: String,
    /// The `.p8` key the server is given.
    pub key_file: std::path::PathBuf,
    inner: Arc<Mutex<Inner>>,
    _dir: tempfile::TempDir,
}

#[derive(Clone)]
struct Shared {
    inner: Arc<Mutex<Inner>>,
    verifying: VerifyingKey,
}

impl ApnsService {
    /// Makes the team's key (written as a .p8 file) and listens on a free port.
    pub async fn start() -> ApnsService {
        let secret = p256::SecretKey::random(&mut rand_core::OsRng);
        let pem = secret.to_pkcs8_pem(LineEnding::LF).expect("a PKCS#8 key");
        let signing = SigningKey::from(&secret);
        let dir = tempfile::tempdir().expect("a temporary folder");
        let key_file = dir.path().join(format!("AuthKey_{KEY_ID}.p8"));
        std::fs::write(&key_file, pem.as_bytes()).expect("the key file");
        let inner = Arc::new(Mutex::new(Inner::default()));
        let shared = Shared {
            inner: Arc::clone(&inner),
            verifying: *signing.verifying_key(),
        };
        let app = axum::Router::new().fallback(handle).with_state(shared);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a free port");
        let url = format!("http://{}", listener.local_addr().expect("an address"));
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        ApnsService {
            url,
            key_file,
            inner,
            _dir: dir,
        }
    }

    /// The server's APNs settings for this service.
    pub fn config(&self) -> herald_server::push::apns::ApnsConfig {
        herald_server::push::apns::ApnsConfig {
            key_file: self.key_file.clone(),
            key_id: KEY_ID.into(),
            team_id: TEAM_ID.into(),
            base_url: self.url.clone(),
        }
    }

    /// The next answers, in order (then 200 again).
    pub fn script(&self, answers: &[(u16, &'static str)]) {
        self.inner
            .lock()
            .unwrap()
            .script
            .extend(answers.iter().copied());
    }

    pub fn received(&self) -> Vec<Received> {
        self.inner.lock().unwrap().received.clone()
    }

    pub fn violations(&self) -> Vec<String> {
        self.inner.lock().unwrap().violations.clone()
    }
}

fn refuse(shared: &Shared, status: u16, reason: &str, why: String) -> Response {
    shared.inner.lock().unwrap().violations.push(why);
    answer(status, reason)
}

fn answer(status: u16, reason: &str) -> Response {
    let status = StatusCode::from_u16(status).expect("a status");
    if status == StatusCode::OK {
        return (status, [("apns-id", uuid::Uuid::new_v4().to_string())]).into_response();
    }
    (status, axum::Json(serde_json::json!({ "reason": reason }))).into_response()
}

async fn handle(State(shared): State<Shared>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    if parts.version != Version::HTTP_2 {
        return refuse(
            &shared,
            400,
            "BadRequest",
            format!("not HTTP/2: {:?}", parts.version),
        );
    }
    let Some(token) = parts.uri.path().strip_prefix("/3/device/") else {
        return refuse(
            &shared,
            404,
            "BadPath",
            format!("path {}", parts.uri.path()),
        );
    };
    if parts.method != axum::http::Method::POST {
        return refuse(
            &shared,
            405,
            "MethodNotAllowed",
            format!("method {}", parts.method),
        );
    }
    if token.len() < 64 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
        return refuse(&shared, 400, "BadDeviceToken", format!("token {token:?}"));
    }
    let header = |name: &str| {
        parts
            .headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    // The provider token.
    let Some(jwt) =
        header("authorization").and_then(|a| a.strip_prefix("bearer ").map(str::to_owned))
    else {
        return refuse(
            &shared,
            403,
            "MissingProviderToken",
            "no bearer token".into(),
        );
    };
    let claims = match verify(&shared.verifying, &jwt) {
        Ok(claims) => claims,
        Err(why) => return refuse(&shared, 403, "InvalidProviderToken", why),
    };
    let issued_at = claims["iat"].as_i64().unwrap_or_default();
    let now = chrono::Utc::now().timestamp();
    if claims["iss"] != TEAM_ID || !(now - 3600..=now + 60).contains(&issued_at) {
        return refuse(
            &shared,
            403,
            "InvalidProviderToken",
            format!("claims {claims}"),
        );
    }
    // The headers.
    if header("apns-topic").as_deref() != Some(TOPIC) {
        return refuse(
            &shared,
            400,
            "BadTopic",
            format!("topic {:?}", header("apns-topic")),
        );
    }
    let push_type = header("apns-push-type").unwrap_or_default();
    if !matches!(push_type.as_str(), "alert" | "background") {
        return refuse(&shared, 400, "InvalidPushType", "push type".into());
    }
    let priority = header("apns-priority").unwrap_or_default();
    if !matches!(priority.as_str(), "5" | "10") {
        return refuse(
            &shared,
            400,
            "BadPriority",
            format!("priority {priority:?}"),
        );
    }
    // Apple: a background push has priority 5.
    if push_type == "background" && priority != "5" {
        return refuse(
            &shared,
            400,
            "BadPriority",
            "a background push at 10".into(),
        );
    }
    if header("apns-expiration")
        .and_then(|e| e.parse::<i64>().ok())
        .is_none()
    {
        return refuse(&shared, 400, "BadExpirationDate", "expiration".into());
    }
    let collapse_id = header("apns-collapse-id");
    if collapse_id.as_ref().is_some_and(|c| c.len() > 64) {
        return refuse(&shared, 400, "BadCollapseId", "collapse id".into());
    }
    // The body.
    let body: Bytes = match axum::body::to_bytes(body, 64 * 1024).await {
        Ok(body) => body,
        Err(e) => return refuse(&shared, 400, "BadRequest", e.to_string()),
    };
    if body.len() > 4096 {
        return refuse(
            &shared,
            413,
            "PayloadTooLarge",
            format!("{} bytes", body.len()),
        );
    }
    let json: serde_json::Value = match serde_json::from_slice(&body) {
        Ok(json) => json,
        Err(e) => return refuse(&shared, 400, "BadRequest", format!("body: {e}")),
    };
    if !json["aps"].is_object() {
        return refuse(&shared, 400, "PayloadEmpty", "no aps".into());
    }
    // Apple: a background push's aps holds content-available alone (no alert, sound or
    // badge); it wakes the app, which does the rest.
    let background_ok = json["aps"] == serde_json::json!({ "content-available": 1 });
    if push_type == "background" && !background_ok {
        return refuse(
            &shared,
            400,
            "BadPayload",
            format!("background body {json}"),
        );
    }
    let mut inner = shared.inner.lock().unwrap();
    let (status, reason) = inner.script.pop_front().unwrap_or((200, ""));
    inner.received.push(Received {
        token: token.to_owned(),
        push_type,
        body: json,
        priority,
        collapse_id,
        issued_at,
        jwt,
        answered: status,
    });
    drop(inner);
    answer(status, reason)
}

/// The provider token's claims, if its ES256 signature is the team key's and its header
/// names the key.
fn verify(key: &VerifyingKey, jwt: &str) -> Result<serde_json::Value, String> {
    let mut parts = jwt.split('.');
    let (Some(header), Some(claims), Some(signature), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err("not three parts".into());
    };
    let decode = |part: &str| -> Result<serde_json::Value, String> {
        let bytes = B64.decode(part).map_err(|e| e.to_string())?;
        serde_json::from_slice(&bytes).map_err(|e| e.to_string())
    };
    let head = decode(header)?;
    if head["alg"] != "ES256" || head["kid"] != KEY_ID {
        return Err(format!("header {head}"));
    }
    let signature = B64
        .decode(signature)
        .ok()
        .and_then(|s| Signature::from_slice(&s).ok())
        .ok_or("signature encoding")?;
    key.verify(format!("{header}.{claims}").as_bytes(), &signature)
        .map_err(|_| "bad signature".to_owned())?;
    decode(claims)
}

/// What the app is handed beside `aps`: the body's top-level string fields (the Tauri
/// plugins hand on a notification's string extras).
pub fn app_fields(body: &serde_json::Value) -> Vec<(&str, &str)> {
    body.as_object()
        .into_iter()
        .flatten()
        .filter(|(k, _)| k.as_str() != "aps")
        .filter_map(|(k, v)| Some((k.as_str(), v.as_str()?)))
        .collect()
}
