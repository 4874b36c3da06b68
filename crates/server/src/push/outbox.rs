//! One round of the push worker: the due rows, each sent (in parallel) or skipped, and every
//! answer recorded in one write transaction.

use std::time::Duration;

use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use base64::Engine as _;
use chrono::{DateTime, Utc};
use futures_util::StreamExt as _;
use herald_protocol::{EventKind, Notification};
use reqwest::header::{HeaderMap, AUTHORIZATION, CONTENT_ENCODING, CONTENT_TYPE, RETRY_AFTER};
use reqwest::StatusCode;
use sqlx::Row;
use uuid::Uuid;
use web_push_native::{p256, Auth};

use super::{endpoint, payload, Answered, Pusher};
use crate::db::{Backend, Db, RowExt, SqlTime};
use crate::error::AppError;

/// Most rows one round takes.
pub(super) const ROUND: usize = 256;

/// Writes the answers `[[id, status, attempts, last status, last error, next try]]`, and
/// when they came (`RECORD_PG`: the same on PostgreSQL).
const RECORD: &str = "
UPDATE push_outbox SET status = j.value ->> 1, attempts = j.value ->> 2,
       last_status = j.value ->> 3, last_error = j.value ->> 4,
       not_before = COALESCE(j.value ->> 5, not_before), answered_at = $1
  FROM json_each($2) AS j WHERE push_outbox.id = j.value ->> 0";

const RECORD_PG: &str = "
UPDATE push_outbox SET status = j.value ->> 1, attempts = (j.value ->> 2)::integer,
       last_status = (j.value ->> 3)::integer, last_error = j.value ->> 4,
       not_before = COALESCE(j.value ->> 5, not_before), answered_at = $1
  FROM herald_rows($2::jsonb) AS j(value) WHERE push_outbox.id = (j.value ->> 0)::bigint";

/// The note a held push's row keeps (also once it is skipped: the item was read meanwhile).
pub(super) const HELD_NOTE: &str = "held: you were working at a computer";

/// Most answers written in one transaction.
const RECORD_CHUNK: usize = 64;

/// How long an answer waits for others to be written with.
const RECORD_EVERY: Duration = Duration::from_millis(20);

/// The rows due, with what sending them needs; the agent's language and phone delay read
/// from the preferences' JSON with each store's own function.
macro_rules! due {
    ($language:literal, $phone_delay:literal) => {
        concat!(
            "SELECT o.id, o.subscription_id, o.notification_id, o.attempts, o.created_at, ",
            "o.urgency, o.conversation_id, o.agent_id, o.status, s.session_id, n.data, ",
            "n.read_at IS NOT NULL AS read, s.endpoint, s.p256dh, s.auth, s.platform, s.app_id, ",
            "a.unread AS badge, ",
            $language,
            " AS language, ",
            $phone_delay,
            " AS phone_delay ",
            "FROM push_outbox AS o ",
            "JOIN notifications AS n ON n.id = o.notification_id ",
            "JOIN push_subscriptions AS s ON s.id = o.subscription_id ",
            "JOIN agents AS a ON a.id = o.agent_id ",
            "WHERE o.status IN ('pending', 'held') AND o.not_before <= $1 ",
            "ORDER BY o.not_before LIMIT $2"
        )
    };
}

const DUE: &str = due!(
    "json_extract(a.prefs, '$.language')",
    "json_extract(a.prefs, '$.phone_delay_secs')"
);

const DUE_PG: &str = due!(
    "a.prefs::json ->> 'language'",
    "(a.prefs::json ->> 'phone_delay_secs')::bigint"
);

/// A due row.
pub(super) struct Due {
    pub(super) id: i64,
    pub(super) subscription: String,
    pub(super) notification: String,
    pub(super) attempts: i64,
    pub(super) created_at: DateTime<Utc>,
    pub(super) urgency: String,
    pub(super) conversation: Option<String>,
    pub(super) agent_id: String,
    /// The session that registered the browser.
    pub(super) session_id: Option<String>,
    pub(super) data: String,
    pub(super) read: bool,
    /// It was held (a phone while the agent works at a computer).
    pub(super) held: bool,
    pub(super) endpoint: String,
    pub(super) p256dh: String,
    pub(super) auth: String,
    pub(super) platform: herald_protocol::PushPlatform,
    /// A phone's app (the APNs topic).
    pub(super) app_id: Option<String>,
    /// The agent's unread counter (a phone's badge).
    pub(super) badge: i64,
    /// The agent's language (a phone's alert heading).
    pub(super) language: Option<String>,
    /// How long the agent's phones wait while they work at a computer (seconds).
    pub(super) phone_delay: Option<i64>,
}

/// What became of one attempt, before retries are counted.
#[derive(Debug)]
pub(super) enum Verdict {
    Accepted(u16),
    Gone(u16),
    Retry {
        status: Option<u16>,
        error: String,
        after: Option<Duration>,
    },
    Failed {
        status: Option<u16>,
        error: String,
    },
    SkippedRead,
    Expired,
    InFront,
    /// A phone's push waits until then: the agent works at a computer.
    Held(DateTime<Utc>),
}

/// Sends every due push (up to [`ROUND`]); returns how many rows it answered.
pub async fn send_due(db: &Db, pusher: &Pusher) -> Result<usize, AppError> {
    let now = pusher.clock.now();
    let due = match db.backend() {
        Backend::Sqlite => DUE,
        Backend::Postgres => DUE_PG,
    };
    let rows = sqlx::query(due)
        .bind(SqlTime(now))
        .bind(ROUND as i64)
        .fetch_all(&db.reader)
        .await?;
    let mut due = Vec::with_capacity(rows.len());
    for row in rows {
        due.push(Due {
            id: row.try_get("id")?,
            subscription: row.try_get("subscription_id")?,
            notification: row.try_get("notification_id")?,
            attempts: row.try_get("attempts")?,
            created_at: row.time("created_at")?,
            urgency: row.try_get("urgency")?,
            conversation: row.try_get("conversation_id")?,
            agent_id: row.try_get("agent_id")?,
            session_id: row.try_get("session_id")?,
            data: row.try_get("data")?,
            read: row.flag("read")?,
            held: row.try_get::<String, _>("status")? == "held",
            endpoint: row.try_get("endpoint")?,
            p256dh: row.try_get("p256dh")?,
            auth: row.try_get("auth")?,
            platform: super::subscriptions::parse_platform(&row.try_get::<String, _>("platform")?),
            app_id: row.try_get("app_id")?,
            badge: row.try_get("badge")?,
            language: row.try_get("language")?,
            phone_delay: row.try_get("phone_delay")?,
        });
    }
    if due.is_empty() {
        return Ok(0);
    }
    // Answers are written as they come, in small groups (64, or what came within 20 ms),
    // not once for the whole round: a push the service took while its row still says
    // pending is sent again after a crash, so that window stays about the sends in flight.
    // Sending goes on while a group is written; the round ends once all are written (the
    // next one must not find an answered row still due).
    let (answered, mut answers) = tokio::sync::mpsc::unbounded_channel::<(Due, Verdict)>();
    let sending = async move {
        let mut sends = futures_util::stream::iter(due)
            .map(|due| async move {
                let verdict = pusher.attempt(&due, now).await;
                (due, verdict)
            })
            .buffer_unordered(pusher.config.concurrency.max(1));
        while let Some(answer) = sends.next().await {
            let _ = answered.send(answer);
        }
    };
    let writing = async {
        let mut group: Vec<(Due, Verdict)> = Vec::with_capacity(RECORD_CHUNK);
        let mut count = 0;
        while let Some(first) = answers.recv().await {
            group.push(first);
            let deadline = tokio::time::Instant::now() + RECORD_EVERY;
            while group.len() < RECORD_CHUNK {
                match tokio::time::timeout_at(deadline, answers.recv()).await {
                    Ok(Some(answer)) => group.push(answer),
                    Ok(None) | Err(_) => break,
                }
            }
            record(db, pusher, &group, now).await?;
            announce(pusher, &group);
            count += group.len();
            group.clear();
        }
        Ok::<usize, AppError>(count)
    };
    let ((), written) = tokio::join!(sending, writing);
    written
}

/// Tells whoever waits for these rows ("Save and test") that they are answered.
fn announce(pusher: &Pusher, answered: &[(Due, Verdict)]) {
    for (due, _) in answered {
        if let (Ok(notification), Ok(subscription)) = (
            Uuid::parse_str(&due.notification),
            Uuid::parse_str(&due.subscription),
        ) {
            let _ = pusher.answers.send(Answered {
                notification,
                subscription,
            });
        }
    }
}

impl Pusher {
    /// Sends one row's push, or says why not.
    async fn attempt(&self, due: &Due, now: DateTime<Utc>) -> Verdict {
        if due.read {
            return Verdict::SkippedRead;
        }
        let ttl = chrono::Duration::from_std(self.config.ttl).unwrap_or(chrono::Duration::MAX);
        let left = (due.created_at + ttl - now).num_seconds();
        if left <= 0 {
            return Verdict::Expired;
        }
        let notification: Notification = match serde_json::from_str(&due.data) {
            Ok(n) => n,
            Err(e) => {
                return Verdict::Failed {
                    status: None,
                    error: format!("unreadable item: {e}"),
                }
            }
        };
        // A Herald window of this browser in front of the agent shows the item itself. The
        // test still goes: it is there to check this very path.
        if notification.kind != EventKind::Test && self.in_front(due) {
            return Verdict::InFront;
        }
        if due.platform != herald_protocol::PushPlatform::Web {
            // The test goes at once: the agent checks the phone from the computer.
            let held = (notification.kind != EventKind::Test)
                .then(|| self.held_for_computer(due, now))
                .flatten();
            if let Some(until) = held {
                return Verdict::Held(until);
            }
            return self.send_phone(due, &notification, now, left).await;
        }
        match self.send(due, &notification, left).await {
            Ok(verdict) => verdict,
            Err(error) => Verdict::Failed {
                status: None,
                error,
            },
        }
    }

    /// Whether a live stream of the browser's session says its window is in front (phones
    /// have no window: their routing by presence is not built yet).
    fn in_front(&self, due: &Due) -> bool {
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
    async fn send(
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

/// `Retry-After`: seconds, or an HTTP date.
pub(super) fn retry_after(headers: &HeaderMap, now: DateTime<Utc>) -> Option<Duration> {
    let value = headers.get(RETRY_AFTER)?.to_str().ok()?.trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let at = DateTime::parse_from_rfc2822(value).ok()?;
    (at.with_timezone(&Utc) - now).to_std().ok()
}

/// Longest wait between attempts.
const MAX_BACKOFF: Duration = Duration::from_secs(3600);

/// Records a round's answers in one transaction.
async fn record(
    db: &Db,
    pusher: &Pusher,
    answered: &[(Due, Verdict)],
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let mut gone = Vec::new();
    let mut rows = Vec::with_capacity(answered.len());
    for (due, verdict) in answered {
        let attempts = due.attempts + 1;
        let (state, status, error, next): (&str, Option<u16>, Option<&str>, Option<DateTime<Utc>>) =
            match verdict {
                Verdict::Accepted(code) => ("sent", Some(*code), None, None),
                Verdict::Gone(code) => {
                    gone.push(due.subscription.as_str());
                    ("gone", Some(*code), None, None)
                }
                Verdict::Retry {
                    status,
                    error,
                    after,
                } if attempts < i64::from(pusher.config.max_attempts) => {
                    let backoff = pusher
                        .config
                        .retry_base
                        .saturating_mul(1u32 << attempts.clamp(0, 20))
                        .min(MAX_BACKOFF);
                    let wait = after.map_or(backoff, |a| a.max(backoff).min(MAX_BACKOFF * 24));
                    let next = now
                        + chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::hours(1));
                    ("pending", *status, Some(error.as_str()), Some(next))
                }
                Verdict::Retry { status, error, .. } | Verdict::Failed { status, error } => {
                    ("failed", *status, Some(error.as_str()), None)
                }
                // A held push skipped keeps its note: "Why?" says it was held, then read.
                Verdict::SkippedRead => ("skipped", None, due.held.then_some(HELD_NOTE), None),
                Verdict::Expired => ("expired", None, None, None),
                Verdict::InFront => ("in_front", None, None, None),
                Verdict::Held(until) => ("held", None, Some(HELD_NOTE), Some(*until)),
            };
        let counted = !matches!(
            verdict,
            Verdict::SkippedRead | Verdict::Expired | Verdict::InFront | Verdict::Held(_)
        );
        rows.push((
            due.id,
            state,
            if counted { attempts } else { due.attempts },
            status,
            error,
            next.as_ref().map(crate::db::sql_time),
        ));
    }
    let rows = serde_json::to_string(&rows).map_err(|e| AppError::Internal(e.into()))?;
    let mut tx = db.write_tx().await?;
    // One statement for the whole group rather than one per row (each a round trip to
    // SQLite's thread while the single writer is held).
    let record = match db.backend() {
        Backend::Sqlite => RECORD,
        Backend::Postgres => RECORD_PG,
    };
    sqlx::query(record)
        .bind(SqlTime(now))
        .bind(rows)
        .execute(&mut *tx)
        .await?;
    for subscription in gone {
        super::subscriptions::forget(&mut tx, super::subscriptions::Whose::Id(subscription), now)
            .await?;
        tracing::info!("a push subscription is gone (404/410); removed");
    }
    tx.commit().await?;
    Ok(())
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
    fn retry_after_reads_seconds_and_dates() {
        let now: DateTime<Utc> = "2026-12-02T10:00:00Z".parse().expect("time");
        let mut headers = HeaderMap::new();
        headers.insert(RETRY_AFTER, "120".parse().expect("header"));
        assert_eq!(retry_after(&headers, now), Some(Duration::from_secs(120)));
        headers.insert(
            RETRY_AFTER,
            "Wed, 02 Dec 2026 10:01:30 GMT".parse().expect("header"),
        );
        assert_eq!(retry_after(&headers, now), Some(Duration::from_secs(90)));
        headers.insert(RETRY_AFTER, "soon".parse().expect("header"));
        assert_eq!(retry_after(&headers, now), None);
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
