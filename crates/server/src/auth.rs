//! Credentials: the sign-in rate limiter, the callers a token or an ingest key stands for
//! ([`AgentSession`], [`IngestCaller`]) and the ingest-key cache. The tokens themselves are
//! made in [`crate::token`]; `http/extract.rs` turns an `Authorization` header into these
//! callers; passwords are [`crate::passwords`]. Every query downstream is scoped by them.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use sqlx::Row;
use uuid::Uuid;

use crate::db::RowExt;
use crate::error::AppError;
use crate::token::hash_token;

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

    /// Counts a sign-in attempt before anything costly runs, or refuses it when the email or
    /// the address is over its limit (returns the seconds to wait). A burst from one address
    /// or for one email is refused here, before any password is hashed.
    pub fn attempt(&self, email: &str, address: &str, now: Instant) -> Result<(), u64> {
        let mut map = self.attempts.lock().unwrap_or_else(|p| p.into_inner());
        let keys = [
            (format!("e:{email}"), self.per_email),
            (format!("a:{address}"), self.per_address),
        ];
        let mut wait = None;
        for (key, limit) in &keys {
            if let Some(queue) = map.get_mut(key) {
                while queue
                    .front()
                    .is_some_and(|t| now.duration_since(*t) >= self.window)
                {
                    queue.pop_front();
                }
                if queue.len() >= *limit {
                    let oldest = queue.front().copied().unwrap_or(now);
                    let left = self.window.saturating_sub(now.duration_since(oldest));
                    wait = Some(wait.unwrap_or(0).max(left.as_secs().max(1)));
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
        if let Some(wait) = wait {
            return Err(wait);
        }
        for (key, _) in keys {
            map.entry(key).or_default().push_back(now);
        }
        Ok(())
    }

    /// The attempt succeeded: the email's failures are forgotten, and this attempt no longer
    /// counts against the address (many agents behind one office address sign in at 9:00).
    pub fn succeeded(&self, email: &str, address: &str) {
        let mut map = self.attempts.lock().unwrap_or_else(|p| p.into_inner());
        map.remove(&format!("e:{email}"));
        if let Some(queue) = map.get_mut(&format!("a:{address}")) {
            queue.pop_back();
        }
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
    Ok(if row.flag("disabled")? {
        Some(CloseReason::AgentDisabled)
    } else if row.flag("revoked")? {
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
    fn the_limiter_counts_attempts_before_they_run_per_email_and_address() {
        let limiter = RateLimiter::new(Duration::from_secs(60), 3, 5);
        let t0 = Instant::now();
        for _ in 0..3 {
            assert!(limiter.attempt("a@x", "1.1.1.1", t0).is_ok());
        }
        let wait = limiter
            .attempt("a@x", "2.2.2.2", t0)
            .expect_err("the email is over its limit, from any address");
        assert!((1..=60).contains(&wait));
        assert!(
            limiter.attempt("b@x", "2.2.2.2", t0).is_ok(),
            "other emails are fine"
        );
        assert!(limiter.attempt("c@x", "1.1.1.1", t0).is_ok());
        assert!(limiter.attempt("d@x", "1.1.1.1", t0).is_ok());
        assert!(
            limiter.attempt("e@x", "1.1.1.1", t0).is_err(),
            "the address is over its limit (5, refused ones not counted)"
        );
        assert!(
            limiter
                .attempt("a@x", "3.3.3.3", t0 + Duration::from_secs(61))
                .is_ok(),
            "the window slides"
        );
    }

    #[test]
    fn a_successful_sign_in_does_not_count_against_its_address() {
        let limiter = RateLimiter::new(Duration::from_secs(60), 3, 2);
        let t0 = Instant::now();
        for agent in ["a@x", "b@x", "c@x", "d@x"] {
            assert!(
                limiter.attempt(agent, "10.0.0.1", t0).is_ok(),
                "{agent}: a whole office signs in from one address"
            );
            limiter.succeeded(agent, "10.0.0.1");
        }
    }
}
