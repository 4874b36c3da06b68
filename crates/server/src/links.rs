//! Signed, expiring links in emails: `agent.expiry.mac`, an HMAC-SHA256 of the agent and the
//! expiry under a key kept in the database. Used for one-click unsubscribe (RFC 8058).

use chrono::{DateTime, Duration, Utc};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use uuid::Uuid;

use crate::error::AppError;

/// How long an email's link stays valid.
pub const VALIDITY: Duration = Duration::days(30);

fn mac(key: &[u8], agent_id: Uuid, expires: i64) -> Option<Hmac<Sha256>> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).ok()?;
    mac.update(format!("unsubscribe:{agent_id}:{expires}").as_bytes());
    Some(mac)
}

/// A token for `agent_id`, valid until `expires`.
pub fn sign(key: &[u8], agent_id: Uuid, expires: DateTime<Utc>) -> String {
    let expires = expires.timestamp();
    let tag = mac(key, agent_id, expires)
        .map(|m| crate::token::hex(&m.finalize().into_bytes()))
        .unwrap_or_default();
    format!("{}.{expires}.{tag}", agent_id.simple())
}

/// The agent a token is for, if it is authentic and not expired.
pub fn verify(key: &[u8], token: &str, now: DateTime<Utc>) -> Result<Uuid, AppError> {
    let bad = || {
        AppError::Unauthorized(
            "this link is not valid (or has expired); change your email settings in Herald instead",
        )
    };
    let mut parts = token.split('.');
    let (Some(agent), Some(expires), Some(tag), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(bad());
    };
    let agent_id = Uuid::parse_str(agent).map_err(|_| bad())?;
    let expires: i64 = expires.parse().map_err(|_| bad())?;
    if expires < now.timestamp() {
        return Err(bad());
    }
    let tag: Vec<u8> = (0..tag.len())
        .step_by(2)
        .map(|i| {
            tag.get(i..i + 2)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        })
        .collect::<Option<Vec<u8>>>()
        .ok_or_else(bad)?;
    // Constant-time comparison.
    mac(key, agent_id, expires)
        .ok_or_else(bad)?
        .verify_slice(&tag)
        .map_err(|_| bad())?;
    Ok(agent_id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_authentic_unexpired_tokens_pass() {
        let key = b"k".repeat(32);
        let agent = Uuid::now_v7();
        let now = Utc::now();
        let token = sign(&key, agent, now + VALIDITY);
        assert_eq!(verify(&key, &token, now).expect("valid"), agent);
        assert!(
            verify(&key, &token, now + VALIDITY + Duration::seconds(1)).is_err(),
            "expired"
        );
        assert!(
            verify(b"another key", &token, now).is_err(),
            "another database's key"
        );
        let other = sign(&key, Uuid::now_v7(), now + VALIDITY);
        let forged = format!(
            "{}.{}",
            agent.simple(),
            other.split_once('.').map(|x| x.1).unwrap_or_default()
        );
        assert!(
            verify(&key, &forged, now).is_err(),
            "a tag moved to another agent"
        );
        for junk in ["", "a.b.c", "x.1.zz", &format!("{token}.extra")] {
            assert!(verify(&key, junk, now).is_err(), "{junk}");
        }
    }
}
