//! Firebase Cloud Messaging (HTTP v1) for Android phones. The server signs an RS256
//! assertion with the service account's key, exchanges it at the account's `token_uri` for
//! an access token (kept until a minute before it expires, dropped at once on a 401), and
//! sends one `messages:send` per push: the notification (heading in the agent's language and
//! the item's text), a tag per conversation so a newer one replaces it (and a read-sync takes
//! it away), the unread count, the priority by kind and the item for the app to open
//! (`herald_protocol::phone`).
//!
//! The service account is read from its JSON file once and never logged; the FCM base URL
//! is configuration (tests point it, and the account's `token_uri`, at local servers).
//! Outcomes: 200 accepted; 404 `UNREGISTERED` removes the phone; 401 renews the token and
//! retries; 429 and 5xx retry with backoff; anything else fails with Google's status.

use std::path::PathBuf;

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine as _;
use chrono::{DateTime, Duration, Utc};
use futures_util::future::BoxFuture;
use rsa::pkcs1v15::SigningKey;
use rsa::pkcs8::DecodePrivateKey as _;
use rsa::signature::{SignatureEncoding as _, Signer as _};
use serde::Deserialize;
use tokio::sync::Mutex;

use herald_protocol::{PhoneItem, PhoneMessage, PhoneRead};

use super::outbox::Verdict;
use super::phone::{PhonePush, PhoneService, SyncPush};

/// Google's service.
pub const PRODUCTION: &str = "https://fcm.googleapis.com";
/// What the access token may do.
const SCOPE: &str = "https://www.googleapis.com/auth/firebase.messaging";

/// How to reach FCM.
#[derive(Debug, Clone)]
pub struct FcmConfig {
    /// The service account's JSON key file (from the Firebase console).
    pub service_account: PathBuf,
    /// [`PRODUCTION`], or a local server in tests.
    pub base_url: String,
}

/// Why FCM cannot be set up.
#[derive(Debug, thiserror::Error)]
pub enum FcmError {
    /// The file cannot be read.
    #[error("cannot read the FCM service account {0}: {1}")]
    Read(PathBuf, std::io::Error),
    /// Not a service account key.
    #[error("the FCM service account {0} is not usable: {1}")]
    Account(PathBuf, String),
}

/// The fields of a service account's JSON key that matter here.
#[derive(Deserialize)]
struct ServiceAccount {
    project_id: String,
    private_key: String,
    client_email: String,
    token_uri: String,
}

/// The FCM client.
pub struct Fcm {
    signing: SigningKey<sha2::Sha256>,
    project_id: String,
    client_email: String,
    token_uri: String,
    base: String,
    client: reqwest::Client,
    access: Mutex<Option<(String, DateTime<Utc>)>>,
}

impl std::fmt::Debug for Fcm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Fcm")
            .field("project_id", &self.project_id)
            .field("client_email", &self.client_email)
            .field("base", &self.base)
            .finish_non_exhaustive()
    }
}

/// The token endpoint's answer.
#[derive(Deserialize)]
struct AccessToken {
    access_token: String,
    expires_in: i64,
}

impl Fcm {
    /// Reads the service account and builds the client.
    pub fn new(config: &FcmConfig, timeout: std::time::Duration) -> Result<Fcm, FcmError> {
        let path = &config.service_account;
        let text = std::fs::read_to_string(path).map_err(|e| FcmError::Read(path.clone(), e))?;
        let account: ServiceAccount = serde_json::from_str(&text)
            .map_err(|e| FcmError::Account(path.clone(), e.to_string()))?;
        let key = rsa::RsaPrivateKey::from_pkcs8_pem(&account.private_key)
            .map_err(|e| FcmError::Account(path.clone(), format!("private_key: {e}")))?;
        let client = reqwest::Client::builder()
            .timeout(timeout)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| FcmError::Account(path.clone(), e.to_string()))?;
        Ok(Fcm {
            signing: SigningKey::<sha2::Sha256>::new(key),
            project_id: account.project_id,
            client_email: account.client_email,
            token_uri: account.token_uri,
            base: config.base_url.trim_end_matches('/').to_owned(),
            client,
            access: Mutex::new(None),
        })
    }

    /// The assertion the token endpoint exchanges (RFC 7523), valid for an hour.
    fn assertion(&self, now: DateTime<Utc>) -> String {
        let header = serde_json::json!({ "alg": "RS256", "typ": "JWT" });
        let claims = serde_json::json!({
            "iss": self.client_email,
            "scope": SCOPE,
            "aud": self.token_uri,
            "iat": now.timestamp(),
            "exp": (now + Duration::hours(1)).timestamp(),
        });
        let signed = format!(
            "{}.{}",
            B64.encode(header.to_string()),
            B64.encode(claims.to_string())
        );
        let signature = self.signing.sign(signed.as_bytes());
        format!("{signed}.{}", B64.encode(signature.to_bytes()))
    }

    /// An access token: the cached one until a minute before it expires.
    async fn access_token(&self, now: DateTime<Utc>) -> Result<String, Verdict> {
        let mut cached = self.access.lock().await;
        if let Some((token, until)) = cached.as_ref() {
            if now < *until {
                return Ok(token.clone());
            }
        }
        let answer = self
            .client
            .post(&self.token_uri)
            .form(&[
                ("grant_type", "urn:ietf:params:oauth:grant-type:jwt-bearer"),
                ("assertion", self.assertion(now).as_str()),
            ])
            .send()
            .await
            .map_err(|e| Verdict::Retry {
                status: None,
                error: format!("no answer from Google's token service: {}", e.without_url()),
                after: None,
            })?;
        let status = answer.status();
        if !status.is_success() {
            let code = status.as_u16();
            let error = format!("Google's token service refused the service account ({code})");
            return Err(if status.is_server_error() || code == 429 {
                Verdict::Retry {
                    status: Some(code),
                    error,
                    after: None,
                }
            } else {
                Verdict::Failed {
                    status: Some(code),
                    error,
                }
            });
        }
        let token: AccessToken = answer.json().await.map_err(|e| Verdict::Failed {
            status: Some(status.as_u16()),
            error: format!("Google's token service answered something else: {e}"),
        })?;
        let until = now + Duration::seconds(token.expires_in.max(120) - 60);
        *cached = Some((token.access_token.clone(), until));
        Ok(token.access_token)
    }

    /// Sends one push; the verdict for the outbox. It lives on Google's side as long as it
    /// is worth showing.
    async fn alert(&self, push: &PhonePush<'_>, now: DateTime<Utc>) -> Verdict {
        let ttl_seconds = (push.expires - now).num_seconds();
        self.post(&message(push, ttl_seconds), now).await
    }

    /// A read-sync: a data message (no notification) with the badge and the keys (tags)
    /// of the notifications for the app to take away.
    async fn read_sync(&self, push: &SyncPush<'_>, now: DateTime<Utc>) -> Verdict {
        let data = PhoneMessage::Read(PhoneRead {
            badge: push.badge,
            clear: push.clear.to_vec(),
        })
        .to_fields();
        let message = serde_json::json!({
            "message": {
                "token": push.token,
                "android": { "priority": "NORMAL", "ttl": "3600s" },
                "data": data,
            }
        });
        self.post(&message, now).await
    }

    /// Posts a message with a valid access token and reads FCM's answer.
    async fn post(&self, message: &serde_json::Value, now: DateTime<Utc>) -> Verdict {
        let access = match self.access_token(now).await {
            Ok(access) => access,
            Err(verdict) => return verdict,
        };
        let response = self
            .client
            .post(format!(
                "{}/v1/projects/{}/messages:send",
                self.base, self.project_id
            ))
            .bearer_auth(&access)
            .json(message)
            .send()
            .await;
        let response = match response {
            Ok(response) => response,
            Err(e) => {
                return Verdict::Retry {
                    status: None,
                    error: format!("no answer from FCM: {}", e.without_url()),
                    after: None,
                }
            }
        };
        let status = response.status().as_u16();
        let after = super::outbox::retry_after(response.headers(), now);
        let said: serde_json::Value = response.json().await.unwrap_or_default();
        let reason: String = said["error"]["status"]
            .as_str()
            .unwrap_or_default()
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
            .take(64)
            .collect();
        if status == 401 {
            *self.access.lock().await = None;
        }
        classify(status, &reason, after)
    }
}

/// What an FCM answer means for the outbox.
fn classify(code: u16, reason: &str, after: Option<std::time::Duration>) -> Verdict {
    let said = |what: &str| {
        if reason.is_empty() {
            format!("{what} ({code})")
        } else {
            format!("{what} ({code} {reason})")
        }
    };
    match code {
        200..=299 => Verdict::Accepted(code),
        404 => Verdict::Gone(code),
        401 | 429 | 500..=599 => Verdict::Retry {
            status: Some(code),
            error: said("FCM asks to try again"),
            after,
        },
        _ => Verdict::Failed {
            status: Some(code),
            error: said("FCM refused the push"),
        },
    }
}

impl PhoneService for Fcm {
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

/// The `messages:send` body.
fn message(push: &PhonePush<'_>, ttl_seconds: i64) -> serde_json::Value {
    let item = push.item;
    let title: String = item.headline(push.language).chars().take(200).collect();
    let body: String = item.body.chars().take(1000).collect();
    let data = PhoneMessage::Item(PhoneItem {
        id: item.id,
        seq: item.seq,
        kind: item.kind.clone(),
        key: push.key.clone(),
    })
    .to_fields();
    serde_json::json!({
        "message": {
            "token": push.token,
            "notification": { "title": title, "body": body },
            "android": {
                "priority": if push.urgency == "high" { "HIGH" } else { "NORMAL" },
                "ttl": format!("{}s", ttl_seconds.max(0)),
                // No collapse key: FCM keeps only four per device, so an offline phone
                // would lose whole conversations. The tag makes a newer item replace its
                // conversation's notification on screen, and a read-sync cancels it by it.
                "notification": { "tag": push.key.as_str(), "notification_count": push.badge },
            },
            "data": data,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_map_to_outbox_verdicts() {
        assert!(matches!(classify(200, "", None), Verdict::Accepted(200)));
        assert!(matches!(
            classify(404, "NOT_FOUND", None),
            Verdict::Gone(404)
        ));
        assert!(matches!(
            classify(401, "UNAUTHENTICATED", None),
            Verdict::Retry { .. }
        ));
        assert!(matches!(
            classify(429, "RESOURCE_EXHAUSTED", None),
            Verdict::Retry { .. }
        ));
        assert!(matches!(
            classify(503, "UNAVAILABLE", None),
            Verdict::Retry { .. }
        ));
        assert!(matches!(
            classify(403, "PERMISSION_DENIED", None),
            Verdict::Failed { .. }
        ));
        assert!(matches!(
            classify(400, "INVALID_ARGUMENT", None),
            Verdict::Failed { .. }
        ));
    }
}
