//! Signed webhooks: `HMAC-SHA256(secret, "{timestamp}.{raw body}")`, hex, in a header as
//! `sha256=<hex>`, with the timestamp (Unix seconds) in another header. A delivery is
//! accepted only if the signature matches (compared in constant time) and the timestamp is
//! within [`WINDOW`] of the server's clock, so a captured request cannot be replayed later;
//! within the window, the delivery id makes a replay a duplicate.

use chrono::{DateTime, Utc};
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// How far a delivery's timestamp may be from the server's clock, either way.
pub const WINDOW: chrono::Duration = chrono::Duration::minutes(5);

/// Why a signed delivery was refused (the answer says which, never the expected value).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// No signature header, or not `sha256=<64 hex digits>`.
    #[error("the signature header is missing or not sha256=<hex>")]
    Malformed,
    /// No timestamp header, or not Unix seconds.
    #[error("the timestamp header is missing or not Unix seconds")]
    BadTimestamp,
    /// Too old or too far ahead.
    #[error("the timestamp is more than 5 minutes away from the server's clock")]
    Stale,
    /// It does not match.
    #[error("the signature does not match (check the webhook secret)")]
    Mismatch,
}

impl SignatureError {
    /// The reason, for the 401 answer.
    pub const fn message(self) -> &'static str {
        match self {
            SignatureError::Malformed => "the signature header is missing or not sha256=<hex>",
            SignatureError::BadTimestamp => "the timestamp header is missing or not Unix seconds",
            SignatureError::Stale => {
                "the timestamp is more than 5 minutes away from the server's clock"
            }
            SignatureError::Mismatch => "the signature does not match (check the webhook secret)",
        }
    }
}

/// The signature of `body` sent at `timestamp`, as the header carries it.
pub fn sign(secret: &[u8], timestamp: &str, body: &[u8]) -> String {
    format!(
        "sha256={}",
        crate::token::hex(&mac(secret, timestamp, body).finalize().into_bytes())
    )
}

fn mac(secret: &[u8], timestamp: &str, body: &[u8]) -> Hmac<Sha256> {
    // HMAC takes a key of any length.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret)
        .unwrap_or_else(|_| unreachable!("HMAC accepts keys of any length"));
    mac.update(timestamp.as_bytes());
    mac.update(b".");
    mac.update(body);
    mac
}

/// Checks a delivery's signature and timestamp headers against `body`.
pub fn verify(
    secret: &[u8],
    signature: Option<&str>,
    timestamp: Option<&str>,
    body: &[u8],
    now: DateTime<Utc>,
) -> Result<(), SignatureError> {
    let hex = signature
        .and_then(|s| s.trim().strip_prefix("sha256="))
        .filter(|h| h.len() == 64)
        .ok_or(SignatureError::Malformed)?;
    let expected = decode_hex(hex).ok_or(SignatureError::Malformed)?;
    let timestamp = timestamp
        .map(str::trim)
        .ok_or(SignatureError::BadTimestamp)?;
    let seconds: i64 = timestamp
        .parse()
        .map_err(|_| SignatureError::BadTimestamp)?;
    let sent = DateTime::from_timestamp(seconds, 0).ok_or(SignatureError::BadTimestamp)?;
    if (now - sent).abs() > WINDOW {
        return Err(SignatureError::Stale);
    }
    mac(secret, timestamp, body)
        .verify_slice(&expected)
        .map_err(|_| SignatureError::Mismatch)
}

fn decode_hex(hex: &str) -> Option<Vec<u8>> {
    (0..hex.len())
        .step_by(2)
        .map(|i| {
            hex.get(i..i + 2)
                .and_then(|b| u8::from_str_radix(b, 16).ok())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"whsec_test";

    fn now() -> DateTime<Utc> {
        DateTime::from_timestamp(1_767_000_000, 0).expect("a time")
    }

    #[test]
    fn a_signature_made_with_the_secret_verifies() {
        let body = br#"{"event":"message_created"}"#;
        let ts = "1767000000";
        let header = sign(SECRET, ts, body);
        assert!(header.starts_with("sha256=") && header.len() == 71);
        assert_eq!(verify(SECRET, Some(&header), Some(ts), body, now()), Ok(()));
        // Upper-case hex is the same bytes.
        let upper = format!("sha256={}", header[7..].to_uppercase());
        assert_eq!(verify(SECRET, Some(&upper), Some(ts), body, now()), Ok(()));
    }

    #[test]
    fn anything_else_is_refused_with_its_reason() {
        let body = br#"{"event":"message_created"}"#;
        let ts = "1767000000";
        let good = sign(SECRET, ts, body);
        let check = |sig: Option<&str>, ts: Option<&str>, body: &[u8], now| {
            verify(SECRET, sig, ts, body, now)
        };
        assert_eq!(
            check(None, Some(ts), body, now()),
            Err(SignatureError::Malformed)
        );
        assert_eq!(
            check(Some("md5=00"), Some(ts), body, now()),
            Err(SignatureError::Malformed)
        );
        assert_eq!(
            check(
                Some(&format!("sha256={}", "zz".repeat(32))),
                Some(ts),
                body,
                now()
            ),
            Err(SignatureError::Malformed)
        );
        assert_eq!(
            check(Some(&good), None, body, now()),
            Err(SignatureError::BadTimestamp)
        );
        assert_eq!(
            check(Some(&good), Some("soon"), body, now()),
            Err(SignatureError::BadTimestamp)
        );
        // The body changed, or another secret signed it, or the timestamp was moved.
        assert_eq!(
            check(Some(&good), Some(ts), b"{}", now()),
            Err(SignatureError::Mismatch)
        );
        let other = sign(b"another", ts, body);
        assert_eq!(
            check(Some(&other), Some(ts), body, now()),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            check(Some(&good), Some("1767000001"), body, now()),
            Err(SignatureError::Mismatch)
        );
        // Five minutes either way, and not a second more.
        let edge = now() + WINDOW;
        assert_eq!(check(Some(&good), Some(ts), body, edge), Ok(()));
        let late = edge + chrono::Duration::seconds(1);
        assert_eq!(
            check(Some(&good), Some(ts), body, late),
            Err(SignatureError::Stale)
        );
        let early = now() - WINDOW - chrono::Duration::seconds(1);
        assert_eq!(
            check(Some(&good), Some(ts), body, early),
            Err(SignatureError::Stale)
        );
    }
}
