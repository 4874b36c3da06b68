//! Apple's push service (APNs) over HTTP/2 with token authentication: a provider JWT
//! signed ES256 with the team's `.p8` key (refreshed before it is 50 minutes old; Apple
//! refuses tokens older than an hour and asks for no more than one every 20 minutes), one
//! `POST /3/device/<token>` per push with the topic (the app's bundle id), push type,
//! priority, expiration and a collapse id per conversation (the notification's key, which a
//! read-sync removes it by), the agent's absolute unread count as the badge, and the app's
//! fields beside `aps` (`herald_protocol::phone`).
//!
//! The base URL is configuration, so tests and staging point at a local server; the key is
//! read from its file once and never logged. Outcomes: 200 accepted; 410 `Unregistered` and
//! 400 `BadDeviceToken` remove the device; 403 `ExpiredProviderToken` makes a new token and
//! retries; 429 and 5xx retry with backoff; other answers fail for good, with Apple's
//! reason.

use std::path::PathBuf;
use std::sync::Mutex;

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine as _;
use chrono::{DateTime, Duration, Utc};
use futures_util::future::BoxFuture;
use herald_protocol::{PhoneItem, PhoneMessage, PhoneRead};
use p256::ecdsa::signature::Signer as _;
use p256::ecdsa::{Signature, SigningKey};
use p256::pkcs8::DecodePrivateKey as _;
use reqwest::StatusCode;

use super::outbox::Verdict;
use super::phone::{PhonePush, PhoneService, SyncPush};

/// Apple's production service.
pub const PRODUCTION: &str = "https://api.push.apple.com";
/// Apple's development (sandbox) service.
pub const SANDBOX: &str = "https://api.sandbox.push.apple.com";
/// A provider token is made again when it is this old.
const TOKEN_LIFE: Duration = Duration::minutes(50);
/// Largest payload APNs takes for an alert.
const MAX_PAYLOAD: usize = 4096;

/// How to reach APNs.
#[derive(Debug, Clone)]
pub struct ApnsConfig {
    /// The `.p8` key file from Apple's developer account (PKCS#8, P-256).
    pub key_file: PathBuf,
    /// The key's id (10 characters, shown with the key).
    pub key_id: String,
    /// The team id (the JWT's issuer).
    pub team_id: String,
    /// [`PRODUCTION`], [`SANDBOX`], or a local server in tests.
    pub base_url: String,
}

/// Why APNs cannot be set up.
#[derive(Debug, thiserror::Error)]
pub enum ApnsError {
    /// The key file cannot be read.
    #[error("cannot read the APNs key {0}: {1}")]
    Read(PathBuf, std::io::Error),
    /// The file is not a P-256 key in PKCS#8.
    #[error("the APNs key {0} is not a .p8 P-256 key: {1}")]
    Key(PathBuf, String),
    /// The base URL is not http(s).
    #[error("the APNs address {0:?} is not an http(s) URL")]
    Url(String),
}

/// The APNs client: the key, the cached provider token, an HTTP/2 client.
pub struct Apns {
    signing: SigningKey,
    key_id: String,
    team_id: String,
    base: String,
    client: reqwest::Client,
    token: Mutex<Option<(String, DateTime<Utc>)>>,
}

impl std::fmt::Debug for Apns {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Apns")
            .field("key_id", &self.key_id)
            .field("team_id", &self.team_id)
            .field("base", &self.base)
            .finish_non_exhaustive()
    }
}

impl Apns {
    /// Reads the key and builds the client.
    pub fn new(config: &ApnsConfig, timeout: std::time::Duration) -> Result<Apns, ApnsError> {
        let pem = std::fs::read_to_string(&config.key_file)
            .map_err(|e| ApnsError::Read(config.key_file.clone(), e))?;
        let signing = SigningKey::from_pkcs8_pem(&pem)
            .map_err(|e| ApnsError::Key(config.key_file.clone(), e.to_string()))?;
        let base = config.base_url.trim_end_matches('/').to_owned();
        if !(base.starts_with("https://") || base.starts_with("http://")) {
            return Err(ApnsError::Url(base));
        }
        // APNs speaks HTTP/2 only: no HTTP/1.1 attempt first.
        let client = reqwest::Client::builder()
            .http2_prior_knowledge()
            .timeout(timeout)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| ApnsError::Url(e.to_string()))?;
        Ok(Apns {
            signing,
            key_id: config.key_id.clone(),
            team_id: config.team_id.clone(),
            base,
            client,
            token: Mutex::new(None),
        })
    }

    /// The provider token: the cached one while younger than [`TOKEN_LIFE`].
    fn provider_token(&self, now: DateTime<Utc>) -> String {
        let mut cached = self.token.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((token, made)) = cached.as_ref() {
            if now - *made < TOKEN_LIFE && now >= *made {
                return token.clone();
            }
        }
        let header = serde_json::json!({ "alg": "ES256", "kid": self.key_id });
        let claims = serde_json::json!({ "iss": self.team_id, "iat": now.timestamp() });
        let signed = format!(
            "{}.{}",
            B64.encode(header.to_string()),
            B64.encode(claims.to_string())
        );
        let signature: Signature = self.signing.sign(signed.as_bytes());
        let token = format!("{signed}.{}", B64.encode(signature.to_bytes()));
        *cached = Some((token.clone(), now));
        token
    }

    /// Forgets the provider token (APNs said it expired).
    fn drop_token(&self) {
        *self.token.lock().unwrap_or_else(|p| p.into_inner()) = None;
    }

    /// Sends one push; the verdict for the outbox.
    async fn alert(&self, push: &PhonePush<'_>, now: DateTime<Utc>) -> Verdict {
        let priority = if push.urgency == "high" { "10" } else { "5" };
        let request = self
            .request(push.token, push.topic, "alert", priority, push.expires, now)
            // iOS names the notification by it: a read-sync removes it by this key.
            .header("apns-collapse-id", push.key.as_str());
        self.answer(request.body(payload(push)), now).await
    }

    /// A `POST /3/device/<token>` with the provider token and the headers every push
    /// carries.
    fn request(
        &self,
        token: &str,
        topic: &str,
        push_type: &str,
        priority: &str,
        expires: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> reqwest::RequestBuilder {
        self.client
            .post(format!("{}/3/device/{token}", self.base))
            .header(
                "authorization",
                format!("bearer {}", self.provider_token(now)),
            )
            .header("apns-topic", topic)
            .header("apns-push-type", push_type)
            .header("apns-priority", priority)
            .header("apns-expiration", expires.timestamp().to_string())
            .header("content-type", "application/json")
    }

    /// A read-sync: a background push (priority 5, an `aps` of `content-available` alone, as
    /// Apple requires of one) whose fields carry the badge for the app to set and the keys of
    /// the notifications for it to take away.
    async fn read_sync(&self, push: &SyncPush<'_>, now: DateTime<Utc>) -> Verdict {
        let message = PhoneMessage::Read(PhoneRead {
            badge: push.badge,
            clear: push.clear.to_vec(),
        });
        let mut body = fields_json(&message);
        body["aps"] = serde_json::json!({ "content-available": 1 });
        let body = body.to_string();
        let expires = now + Duration::hours(1);
        let request = self.request(push.token, push.topic, "background", "5", expires, now);
        self.answer(request.body(body), now).await
    }

    /// Sends a request and reads APNs' answer.
    async fn answer(&self, request: reqwest::RequestBuilder, now: DateTime<Utc>) -> Verdict {
        let response = match request.send().await {
            Ok(response) => response,
            Err(e) => {
                return Verdict::Retry {
                    status: None,
                    error: format!("no answer from APNs: {}", e.without_url()),
                    after: None,
                }
            }
        };
        let status = response.status();
        let after = super::outbox::retry_after(response.headers(), now);
        let said = response.text().await.unwrap_or_default();
        let reason = serde_json::from_str::<serde_json::Value>(&said)
            .ok()
            .and_then(|v| v["reason"].as_str().map(str::to_owned))
            .unwrap_or_default();
        if status == StatusCode::FORBIDDEN && reason == "ExpiredProviderToken" {
            self.drop_token();
        }
        classify(status, &reason, after)
    }
}

/// What an APNs answer means for the outbox.
fn classify(status: StatusCode, reason: &str, after: Option<std::time::Duration>) -> Verdict {
    let code = status.as_u16();
    let reason: String = reason
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .take(64)
        .collect();
    let said = |what: &str| {
        if reason.is_empty() {
            format!("{what} ({code})")
        } else {
            format!("{what} ({code} {reason})")
        }
    };
    match (code, reason.as_str()) {
        (200, _) => Verdict::Accepted(code),
        (410, _) | (400, "BadDeviceToken") => Verdict::Gone(code),
        (403, "ExpiredProviderToken") | (429, _) | (500..=599, _) => Verdict::Retry {
            status: Some(code),
            error: said("APNs asks to try again"),
            after,
        },
        (403, _) => Verdict::Failed {
            status: Some(code),
            error: said("APNs refused the server's key"),
        },
        _ => Verdict::Failed {
            status: Some(code),
            error: said("APNs refused the push"),
        },
    }
}

/// The app's fields (`herald_protocol::phone`) as top-level keys of a JSON object.
fn fields_json(message: &PhoneMessage) -> serde_json::Value {
    serde_json::Value::Object(
        message
            .to_fields()
            .into_iter()
            .map(|(k, v)| (k.to_owned(), serde_json::Value::String(v)))
            .collect(),
    )
}

impl PhoneService for Apns {
    fn send<'a>(&'a self, push: &'a PhonePush<'_>, now: DateTime<Utc>) -> BoxFuture<'a, Verdict> {
        Box::pin(self.alert(push, now))
    }

    fn send_sync<'a>(
        &'a self,
        push: &'a SyncPush<'_>,
        now: DateTime<Utc>,
    ) -> BoxFuture<'a, Verdict> {
        Box::pin(self.read_sync(push, now))
    }
}

/// The JSON body: the alert (heading and text, trimmed to fit), the badge, a thread per
/// conversation, and beside `aps` the app's fields (the item to open on a tap).
fn payload(push: &PhonePush<'_>) -> String {
    let item = push.item;
    let title: String = item.headline(push.language).chars().take(200).collect();
    let mut body: String = item.body.chars().take(1000).collect();
    let fields = fields_json(&PhoneMessage::Item(PhoneItem {
        id: item.id,
        seq: item.seq,
        kind: item.kind.clone(),
        key: push.key.clone(),
    }));
    loop {
        let mut json = fields.clone();
        json["aps"] = serde_json::json!({
            "alert": { "title": title, "body": body },
            "badge": push.badge,
            "sound": "default",
            // Grouped per conversation (of this account) in the notification centre.
            "thread-id": push.key.as_str(),
        });
        let json = json.to_string();
        if json.len() <= MAX_PAYLOAD || body.is_empty() {
            return json;
        }
        let keep = body
            .chars()
            .count()
            .saturating_sub((json.len() - MAX_PAYLOAD) + 16);
        body = body.chars().take(keep).collect();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_map_to_outbox_verdicts() {
        let verdict = |code: u16, reason: &str| {
            classify(StatusCode::from_u16(code).expect("a status"), reason, None)
        };
        assert!(matches!(verdict(200, ""), Verdict::Accepted(200)));
        assert!(matches!(verdict(410, "Unregistered"), Verdict::Gone(410)));
        assert!(matches!(verdict(400, "BadDeviceToken"), Verdict::Gone(400)));
        assert!(matches!(verdict(400, "BadTopic"), Verdict::Failed { .. }));
        assert!(matches!(
            verdict(403, "ExpiredProviderToken"),
            Verdict::Retry { .. }
        ));
        assert!(matches!(
            verdict(403, "InvalidProviderToken"),
            Verdict::Failed { .. }
        ));
        assert!(matches!(
            verdict(429, "TooManyRequests"),
            Verdict::Retry { .. }
        ));
        assert!(matches!(
            verdict(503, "ServiceUnavailable"),
            Verdict::Retry { .. }
        ));
        match verdict(400, "Bad<script>Topic") {
            Verdict::Failed { error, .. } => {
                assert!(error.ends_with("(400 BadscriptTopic)"), "{error}")
            }
            other => panic!("{other:?}"),
        }
    }
}
