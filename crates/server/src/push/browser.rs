//! Web Push to a browser: the message encrypted for it (RFC 8291) and signed for its push
//! service (VAPID, RFC 8292), and the push service's answer read as an outbox verdict.

use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine as _;
use herald_protocol::Notification;
use reqwest::header::{AUTHORIZATION, CONTENT_ENCODING, CONTENT_TYPE};
use reqwest::StatusCode;
use uuid::Uuid;
use web_push_native::{p256, Auth};

use super::outbox::{retry_after, Due, Verdict};
use super::{endpoint, payload, Pusher};

impl Pusher {
    /// Whether a live stream of the browser's session says its window is in front (a
    /// phone's push follows the agent's computers instead: `held_for_computer`).
    pub(super) fn in_front(&self, due: &Due) -> bool {
        if due.platform != herald_protocol::PushPlatform::Web {
            return false;
        }
        let (Some(hub), Some(session)) = (&self.hub, &due.session_id) else {
            return false;
        };
        match (Uuid::parse_str(&due.agent_id), Uuid::parse_str(session)) {
            (Ok(agent), Ok(session)) => hub.in_front(agent, session),
            _ => false,
        }
    }

    /// The request: encrypted for the browser, signed for its push service.
    pub(super) async fn send(
        &self,
        due: &Due,
        notification: &Notification,
        ttl_seconds: i64,
    ) -> Result<Verdict, String> {
        let url = endpoint::check(&due.endpoint, self.config.allow_insecure_endpoints)
            .map_err(|e| e.to_string())?;
        let (public, auth) = browser_keys(&due.p256dh, &due.auth)?;
        let body = web_push_native::encrypt(payload::message(notification), &public, &auth)
            .map_err(|e| format!("cannot encrypt the message: {e}"))?;
        let authorization = self.key.authorization(
            &endpoint::origin(&url),
            &self.config.contact,
            self.clock.now(),
        );
        let mut request = self
            .client
            .post(url)
            .header("TTL", ttl_seconds.to_string())
            .header("Urgency", due.urgency.as_str())
            .header(CONTENT_ENCODING, "aes128gcm")
            .header(CONTENT_TYPE, "application/octet-stream")
            .header(AUTHORIZATION, authorization);
        if let Some(topic) = payload::topic(due.conversation.as_deref()) {
            request = request.header("Topic", topic);
        }
        let response = match request.body(body).send().await {
            Ok(response) => response,
            Err(e) => {
                // The endpoint is a capability URL: never in an error or a log.
                return Ok(Verdict::Retry {
                    status: None,
                    error: format!("no answer from the push service: {}", e.without_url()),
                    after: None,
                });
            }
        };
        let status = response.status();
        let after = retry_after(response.headers(), self.clock.now());
        let said = response.text().await.unwrap_or_default();
        Ok(classify(status, after, &said))
    }
}

/// The browser's key and auth secret, checked (a wrong-sized secret would panic the
/// encryption library).
pub(super) fn browser_keys(p256dh: &str, auth: &str) -> Result<(p256::PublicKey, Auth), String> {
    let public = B64
        .decode(p256dh.trim_end_matches('='))
        .ok()
        .and_then(|bytes| p256::PublicKey::from_sec1_bytes(&bytes).ok())
        .ok_or("the browser's p256dh key is not a P-256 public key")?;
    let auth = B64
        .decode(auth.trim_end_matches('='))
        .ok()
        .filter(|bytes| bytes.len() == 16)
        .map(|bytes| Auth::clone_from_slice(&bytes))
        .ok_or("the browser's auth secret is not 16 bytes")?;
    Ok((public, auth))
}

fn classify(status: StatusCode, after: Option<Duration>, said: &str) -> Verdict {
    let code = status.as_u16();
    let said: String = said
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(200)
        .collect();
    let detail = |what: &str| {
        if said.trim().is_empty() {
            format!("{what} ({code})")
        } else {
            format!("{what} ({code}): {}", said.trim())
        }
    };
    match code {
        200..=299 => Verdict::Accepted(code),
        404 | 410 => Verdict::Gone(code),
        429 => Verdict::Retry {
            status: Some(code),
            error: detail("the push service is rate limiting"),
            after,
        },
        500..=599 => Verdict::Retry {
            status: Some(code),
            error: detail("the push service failed"),
            after,
        },
        401 | 403 => Verdict::Failed {
            status: Some(code),
            error: detail("the push service refused the server's VAPID signature"),
        },
        413 => Verdict::Failed {
            status: Some(code),
            error: detail("the message is too large for the push service"),
        },
        _ => Verdict::Failed {
            status: Some(code),
            error: detail("the push service refused the message"),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_are_classified() {
        assert!(matches!(
            classify(StatusCode::CREATED, None, ""),
            Verdict::Accepted(201)
        ));
        assert!(matches!(
            classify(StatusCode::GONE, None, ""),
            Verdict::Gone(410)
        ));
        assert!(matches!(
            classify(StatusCode::NOT_FOUND, None, ""),
            Verdict::Gone(404)
        ));
        assert!(matches!(
            classify(StatusCode::TOO_MANY_REQUESTS, Some(Duration::from_secs(7)), ""),
            Verdict::Retry { status: Some(429), after: Some(d), .. } if d.as_secs() == 7
        ));
        assert!(matches!(
            classify(StatusCode::BAD_GATEWAY, None, ""),
            Verdict::Retry {
                status: Some(502),
                ..
            }
        ));
        match classify(StatusCode::FORBIDDEN, None, "bad\r\njwt") {
            Verdict::Failed { status, error } => {
                assert_eq!(status, Some(403));
                assert!(
                    error.contains("VAPID") && error.contains("bad  jwt"),
                    "{error}"
                );
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn browser_keys_are_checked() {
        let secret = p256::SecretKey::random(&mut rand_core::OsRng);
        use p256::elliptic_curve::sec1::ToEncodedPoint as _;
        let public = B64.encode(secret.public_key().to_encoded_point(false).as_bytes());
        assert!(browser_keys(&public, &B64.encode([7u8; 16])).is_ok());
        assert!(browser_keys(&public, &B64.encode([7u8; 15])).is_err());
        assert!(browser_keys("AAAA", &B64.encode([7u8; 16])).is_err());
    }
}
