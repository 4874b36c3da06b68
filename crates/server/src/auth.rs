//! Credentials: Argon2id passwords, the sign-in rate limiter, the callers a token or an
//! ingest key stands for ([`AgentSession`], [`IngestCaller`]) and the ingest-key cache. The
//! tokens themselves are made in [`crate::token`]; `http/extract.rs` turns an
//! `Authorization` header into these callers. Every query downstream is scoped by them.

use std::collections::{HashMap, VecDeque};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use rand_core::OsRng;
use sqlx::Row;
use uuid::Uuid;

use crate::error::AppError;
use crate::token::hash_token;

/// Hashes a password with Argon2id (the crate's defaults: 19 MiB, 2 passes).
pub fn hash_password(password: &str) -> Result<String, AppError> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| AppError::Internal(anyhow::anyhow!("hashing a password: {e}")))
}

/// Checks a password against a stored hash; a malformed hash never matches.
pub fn verify_password(password: &str, stored: &str) -> bool {
    match PasswordHash::new(stored) {
        Ok(parsed) => Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

/// A hash to verify against when the email is unknown, so that unknown and known emails
/// take the same time to refuse.
pub fn decoy_hash() -> &'static str {
    static DECOY: OnceLock<String> = OnceLock::new();
    DECOY.get_or_init(|| hash_password("decoy password that matches nothing").unwrap_or_default())
}

/// Sliding-window limiter for sign-in attempts, by email and by client address.
#[derive(Debug)]
pub struct RateLimiter {
    window: Duration,
    per_email: usize,
    per_address: usize,
    attempts: Mutex<HashMap<String, VecDeque<Instant>>>,
}

impl RateLimiter {
    /// At most `per_email` failed attempts per email and `per_address` per address in `window`.
    pub fn new(window: Duration, per_email: usize, per_address: usize) -> RateLimiter {
        RateLimiter {
            window,
            per_email,
            per_address,
            attempts: Mutex::new(HashMap::new()),
        }
    }

    /// Refuses when either key is over its limit; returns the seconds to wait.
    pub fn check(&self, email: &str, address: &str, now: Instant) -> Result<(), u64> {
        let mut map = self.attempts.lock().unwrap_or_else(|p| p.into_inner());
        let mut wait = None;
        for (key, limit) in [
            (format!("e:{email}"), self.per_email),
            (format!("a:{address}"), self.per_address),
        ] {
            if let Some(queue) = map.get_mut(&key) {
                while queue
                    .front()
                    .is_some_and(|t| now.duration_since(*t) >= self.window)
                {
                    queue.pop_front();
                }
                if queue.len() >= limit {
                    let oldest = queue.front().copied().unwrap_or(now);
                    let left = self.window.saturating_sub(now.duration_since(oldest));
                    wait = Some(left.as_secs().max(1));
                }
            }
        }
        // Forget idle keys so the map cannot grow without bound.
        if map.len() > 100_000 {
            map.retain(|_, q| {
                q.back()
                    .is_some_and(|t| now.duration_since(*t) < self.window)
            });
        }
        wait.map_or(Ok(()), Err)
    }

    /// Records a failed attempt.
    pub fn failed(&self, email: &str, address: &str, now: Instant) {
        let mut map = self.attempts.lock().unwrap_or_else(|p| p.into_inner());
        for key in [format!("e:{email}"), format!("a:{address}")] {
            map.entry(key).or_default().push_back(now);
        }
    }

    /// A successful sign-in clears the email's failures.
    pub fn succeeded(&self, email: &str) {
        let mut map = self.attempts.lock().unwrap_or_else(|p| p.into_inner());
        map.remove(&format!("e:{email}"));
    }
}

/// The caller, from a valid session token.
#[derive(Debug, Clone)]
pub struct AgentSession {
    /// The session.
    pub session_id: Uuid,
    /// Herald's agent id.
    pub agent_id: Uuid,
    /// The agent's workspace.
    pub workspace_id: Uuid,
}

pub(crate) fn parse_uuid(text: &str) -> Result<Uuid, AppError> {
    Uuid::parse_str(text).map_err(|e| AppError::Internal(e.into()))
}

/// Looks up an active session of an enabled agent by token.
pub async fn session_for_token(
    db: &crate::db::Db,
    token: &str,
) -> Result<Option<AgentSession>, AppError> {
    let row = sqlx::query(
        "SELECT s.id, s.agent_id, a.workspace_id FROM sessions s \
         JOIN agents a ON a.id = s.agent_id \
         WHERE s.token_hash = $1 AND s.revoked_at IS NULL AND a.disabled_at IS NULL",
    )
    .bind(hash_token(token))
    .fetch_optional(&db.reader)
    .await?;
    let Some(row) = row else { return Ok(None) };
    Ok(Some(AgentSession {
        session_id: parse_uuid(row.try_get("id")?)?,
        agent_id: parse_uuid(row.try_get("agent_id")?)?,
        workspace_id: parse_uuid(row.try_get("workspace_id")?)?,
    }))
}

/// Why a session can no longer stream, or `None` while it can. Streams re-check this on
/// every heartbeat, so a session revoked by another process (the admin CLI) is noticed too.
pub async fn session_ended(
    db: &crate::db::Db,
    session_id: Uuid,
) -> Result<Option<herald_protocol::CloseReason>, AppError> {
    use herald_protocol::CloseReason;
    let row = sqlx::query(
        "SELECT s.revoked_at IS NOT NULL AS revoked, a.disabled_at IS NOT NULL AS disabled \
         FROM sessions s JOIN agents a ON a.id = s.agent_id WHERE s.id = $1",
    )
    .bind(session_id.to_string())
    .fetch_optional(&db.reader)
    .await?;
    let Some(row) = row else {
        return Ok(Some(CloseReason::SessionRevoked));
    };
    Ok(if row.try_get::<bool, _>("disabled")? {
        Some(CloseReason::AgentDisabled)
    } else if row.try_get::<bool, _>("revoked")? {
        Some(CloseReason::SessionRevoked)
    } else {
        None
    })
}

/// Valid ingest keys seen lately, so that a burst of events does not look the key up once
/// per request. An entry lives `ttl`: a key revoked with the admin CLI (another process)
/// stops working on a running server within that time.
#[derive(Debug)]
pub struct KeyCache {
    ttl: Duration,
    entries: Mutex<HashMap<String, (Uuid, Instant)>>,
}

impl KeyCache {
    /// A cache whose entries live `ttl`.
    pub fn new(ttl: Duration) -> KeyCache {
        KeyCache {
            ttl,
            entries: Mutex::new(HashMap::new()),
        }
    }

    pub(crate) fn get(&self, hash: &str, now: Instant) -> Option<Uuid> {
        let entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        entries
            .get(hash)
            .filter(|(_, at)| now.duration_since(*at) < self.ttl)
            .map(|(ws, _)| *ws)
    }

    pub(crate) fn put(&self, hash: String, workspace_id: Uuid, now: Instant) {
        let mut entries = self.entries.lock().unwrap_or_else(|p| p.into_inner());
        if entries.len() > 10_000 {
            entries.retain(|_, (_, at)| now.duration_since(*at) < self.ttl);
        }
        entries.insert(hash, (workspace_id, now));
    }
}

/// A platform workspace, from a valid ingest key.
#[derive(Debug, Clone, Copy)]
pub struct IngestCaller {
    /// The workspace the key belongs to.
    pub workspace_id: Uuid,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_verify_only_themselves() {
        let hash = hash_password("correct horse").expect("hash");
        assert!(hash.starts_with("$argon2id$"), "Argon2id: {hash}");
        assert!(verify_password("correct horse", &hash));
        assert!(!verify_password("correct horse ", &hash));
        assert!(!verify_password("x", "not a hash"));
        assert!(!verify_password("decoy password", decoy_hash()));
    }

    #[test]
    fn limiter_counts_failures_per_email_and_address() {
        let limiter = RateLimiter::new(Duration::from_secs(60), 3, 5);
        let t0 = Instant::now();
        for _ in 0..3 {
            assert!(limiter.check("a@x", "1.1.1.1", t0).is_ok());
            limiter.failed("a@x", "1.1.1.1", t0);
        }
        let wait = limiter
            .check("a@x", "2.2.2.2", t0)
            .expect_err("email over limit");
        assert!((1..=60).contains(&wait));
        assert!(
            limiter.check("b@x", "2.2.2.2", t0).is_ok(),
            "other emails are fine"
        );
        limiter.failed("b@x", "1.1.1.1", t0);
        limiter.failed("c@x", "1.1.1.1", t0);
        assert!(
            limiter.check("d@x", "1.1.1.1", t0).is_err(),
            "address over limit"
        );
        assert!(
            limiter
                .check("a@x", "3.3.3.3", t0 + Duration::from_secs(61))
                .is_ok(),
            "the window slides"
        );
        limiter.succeeded("b@x");
    }
}
