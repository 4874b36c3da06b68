//! Google's token service and FCM HTTP v1 on 127.0.0.1 for the tests (the real ones are
//! out of reach here). The token service takes only an RS256 assertion (RFC 7523) signed by
//! the service account's key (a fixed test key, `fixtures/fcm-test-key.pem`) with the
//! account as `iss`, this service as `aud`, the messaging scope and at most an hour of
//! validity; FCM takes only a bearer token the token service issued and not revoked, the
//! project of the account, and a message with a token, a notification, Android options
//! (`HIGH` | `NORMAL`, a `…s` TTL) and string data values. A request that breaks a rule is
//! answered as Google would (401, 400) and recorded as a violation; a good one is recorded
//! and answered what the test scripted (200 by default).

use std::collections::{HashSet, VecDeque};
use std::sync::{Arc, Mutex};

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Form, Json};
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine as _;
use rsa::pkcs1v15::{Signature, VerifyingKey};
use rsa::pkcs8::DecodePrivateKey as _;
use rsa::signature::Verifier as _;

pub const PROJECT: &str = "herald-test";
pub const CLIENT_EMAIL: &str = "herald@herald-test.iam.gserviceaccount.com";
const SCOPE: &str = "https://www.googleapis.com/auth/firebase.messaging";
const KEY: &str = include_str!("../fixtures/fcm-test-key.pem");

/// A message FCM took as well-formed.
#[derive(Debug, Clone)]
pub struct Received {
    pub message: serde_json::Value,
    pub access_token: String,
    pub answered: u16,
}

#[derive(Default)]
struct Inner {
    issued: Vec<String>,
    revoked: HashSet<String>,
    received: Vec<Received>,
    violations: Vec<String>,
    script: VecDeque<(u16, &'static str)>,
}

#[derive(Clone)]
struct Shared {
    inner: Arc<Mutex<Inner>>,
    verifying: VerifyingKey<sha2::Sha256>,
    token_uri: String,
}

/// The running services.
pub struct FcmService {
    pub url: String,
    pub account_file: std::path::PathBuf,
    inner: Arc<Mutex<Inner>>,
    _dir: tempfile::TempDir,
}

impl FcmService {
    pub async fn start() -> FcmService {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a free port");
        let url = format!("http://{}", listener.local_addr().expect("an address"));
        let token_uri = format!("{url}/token");
        let key = rsa::RsaPrivateKey::from_pkcs8_pem(KEY).expect("the test key");
        let inner = Arc::new(Mutex::new(Inner::default()));
        let shared = Shared {
            inner: Arc::clone(&inner),
            verifying: VerifyingKey::<sha2::Sha256>::new(key.to_public_key()),
            token_uri: token_uri.clone(),
        };
        let app = axum::Router::new()
            .route("/token", axum::routing::post(token))
            .route("/v1/projects/{project}/{action}", axum::routing::post(send))
            .with_state(shared);
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        let dir = tempfile::tempdir().expect("a temporary folder");
        let account_file = dir.path().join("service-account.json");
        let account = serde_json::json!({
            "type": "service_account",
            "project_id": PROJECT,
            "private_key_id": "0123456789abcdef",
            "private_key": KEY,
            "client_email": CLIENT_EMAIL,
            "token_uri": token_uri,
        });
        std::fs::write(&account_file, account.to_string()).expect("the account file");
        FcmService {
            url,
            account_file,
            inner,
            _dir: dir,
        }
    }

    pub fn config(&self) -> herald_server::push::fcm::FcmConfig {
        herald_server::push::fcm::FcmConfig {
            service_account: self.account_file.clone(),
            base_url: self.url.clone(),
        }
    }

    /// The next answers to messages (then 200 again); a 401 also revokes the token used.
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

    pub fn tokens_issued(&self) -> usize {
        self.inner.lock().unwrap().issued.len()
    }

    pub fn violations(&self) -> Vec<String> {
        self.inner.lock().unwrap().violations.clone()
    }
}

fn error(status: u16, google_status: &str) -> Response {
    let code = StatusCode::from_u16(status).expect("a status");
    let body = serde_json::json!({
        "error": { "code": status, "status": google_status, "message": google_status }
    });
    (code, Json(body)).into_response()
}

fn refuse(shared: &Shared, status: u16, google_status: &str, why: String) -> Response {
    shared.inner.lock().unwrap().violations.push(why);
    error(status, google_status)
}

#[derive(serde::Deserialize)]
struct TokenForm {
    grant_type: String,
    assertion: String,
}

async fn token(State(shared): State<Shared>, Form(form): Form<TokenForm>) -> Response {
    if form.grant_type != "urn:ietf:params:oauth:grant-type:jwt-bearer" {
        return refuse(&shared, 400, "unsupported_grant_type", form.grant_type);
    }
    let claims = match verify(&shared.verifying, &form.assertion) {
        Ok(claims) => claims,
        Err(why) => return refuse(&shared, 400, "invalid_grant", why),
    };
    let now = chrono::Utc::now().timestamp();
    let iat = claims["iat"].as_i64().unwrap_or_default();
    let exp = claims["exp"].as_i64().unwrap_or_default();
    let good = claims["iss"] == CLIENT_EMAIL
        && claims["aud"] == shared.token_uri.as_str()
        && claims["scope"] == SCOPE
        && (now - 3600..=now + 60).contains(&iat)
        && exp > iat
        && exp - iat <= 3600;
    if !good {
        return refuse(&shared, 400, "invalid_grant", format!("claims {claims}"));
    }
    let access = format!("ya29.test-{}", uuid::Uuid::new_v4().simple());
    shared.inner.lock().unwrap().issued.push(access.clone());
    Json(serde_json::json!({ "access_token": access, "expires_in": 3599, "token_type": "Bearer" }))
        .into_response()
}

async fn send(
    State(shared): State<Shared>,
    Path((project, action)): Path<(String, String)>,
    headers: HeaderMap,
    Json(body): Json<serde_json::Value>,
) -> Response {
    if project != PROJECT || action != "messages:send" {
        return refuse(&shared, 404, "NOT_FOUND", format!("{project}/{action}"));
    }
    let bearer = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default()
        .to_owned();
    {
        let inner = shared.inner.lock().unwrap();
        if !inner.issued.contains(&bearer) || inner.revoked.contains(&bearer) {
            drop(inner);
            return refuse(
                &shared,
                401,
                "UNAUTHENTICATED",
                "not an issued token".into(),
            );
        }
    }
    let message = &body["message"];
    let android = &message["android"];
    // Values are strings; keys are no reserved words ("from", "message_type", or anything
    // starting with "google" or "gcm").
    let data_ok = message["data"].as_object().is_some_and(|d| {
        d.values().all(serde_json::Value::is_string)
            && d.keys().all(|k| {
                let k = k.to_ascii_lowercase();
                k != "from"
                    && k != "message_type"
                    && !k.starts_with("google")
                    && !k.starts_with("gcm")
            })
    });
    let ttl_ok = android["ttl"]
        .as_str()
        .and_then(|t| t.strip_suffix('s'))
        .is_some_and(|n| n.parse::<u64>().is_ok());
    // A notification message, or a data message (Herald's read-sync) with nothing to show.
    let shown =
        message["notification"]["title"].is_string() && message["notification"]["body"].is_string();
    let data_only = message.get("notification").is_none() && message["data"]["herald"] == "read";
    let good = message["token"].as_str().is_some_and(|t| !t.is_empty())
        && (shown || data_only)
        && matches!(android["priority"].as_str(), Some("HIGH" | "NORMAL"))
        && ttl_ok
        && data_ok;
    if !good {
        return refuse(
            &shared,
            400,
            "INVALID_ARGUMENT",
            format!("message {message}"),
        );
    }
    let mut inner = shared.inner.lock().unwrap();
    let (status, google_status) = inner.script.pop_front().unwrap_or((200, ""));
    if status == 401 {
        inner.revoked.insert(bearer.clone());
    }
    inner.received.push(Received {
        message: message.clone(),
        access_token: bearer,
        answered: status,
    });
    drop(inner);
    if status == 200 {
        return Json(serde_json::json!({ "name": format!("projects/{PROJECT}/messages/1") }))
            .into_response();
    }
    error(status, google_status)
}

fn verify(key: &VerifyingKey<sha2::Sha256>, jwt: &str) -> Result<serde_json::Value, String> {
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
    if decode(header)?["alg"] != "RS256" {
        return Err("not RS256".into());
    }
    let signature = B64
        .decode(signature)
        .ok()
        .and_then(|s| Signature::try_from(s.as_slice()).ok())
        .ok_or("signature encoding")?;
    key.verify(format!("{header}.{claims}").as_bytes(), &signature)
        .map_err(|_| "bad signature".to_owned())?;
    decode(claims)
}

/// What the app is handed: the message's `data` (strings, as the stand-in checked).
pub fn data_fields(message: &serde_json::Value) -> Vec<(&str, &str)> {
    message["data"]
        .as_object()
        .into_iter()
        .flatten()
        .filter_map(|(k, v)| Some((k.as_str(), v.as_str()?)))
        .collect()
}
