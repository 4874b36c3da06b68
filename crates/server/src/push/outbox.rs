//! One round of the push worker: the due rows, each sent (in parallel) or skipped, and every
//! answer recorded in one write transaction.

use std::time::Duration;

use chrono::{DateTime, Utc};
use futures_util::StreamExt as _;
use herald_protocol::{EventKind, Notification};
use reqwest::header::{HeaderMap, RETRY_AFTER};
use sqlx::Row;
use uuid::Uuid;

use super::{Answered, Pusher};
use crate::db::{Backend, Db, RowExt, SqlTime};
use crate::error::AppError;

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
/// from the preferences' JSON with each store's own function. The status condition is the
/// partial index `push_outbox_waiting`'s word for word (SQLite uses a partial index only
/// for a query whose WHERE holds its condition): the round walks the waiting rows in due
/// order and stops at its size.
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

/// Sends every due push (up to a round, `PushConfig::round`); returns how many rows it
/// answered.
pub async fn send_due(db: &Db, pusher: &Pusher) -> Result<usize, AppError> {
    let now = pusher.clock.now();
    let due = match db.backend() {
        Backend::Sqlite => DUE,
        Backend::Postgres => DUE_PG,
    };
    let rows = sqlx::query(due)
        .bind(SqlTime(now))
        .bind(pusher.config.round_limit())
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

    /// The round walks the waiting rows in due order and stops at its size: no sort of
    /// every due row (migration 0018). Only SQLite's plan is fixed without statistics;
    /// PostgreSQL's depends on the table's size.
    #[tokio::test]
    async fn the_due_rows_come_off_an_index_in_order() {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = crate::db::DatabaseUrl::Sqlite(dir.path().join("plan.db"));
        let db = Db::open(&url).await.expect("database");
        let plan: Vec<String> = sqlx::query(&format!("EXPLAIN QUERY PLAN {DUE}"))
            .bind("2026-12-04T00:00:00Z")
            .bind(crate::push::PushConfig::default().round_limit())
            .fetch_all(&db.reader)
            .await
            .expect("plan")
            .iter()
            .map(|row| row.try_get::<String, _>("detail").expect("detail"))
            .collect();
        assert!(
            plan.iter().any(|step| step.contains("push_outbox_waiting")),
            "{plan:?}"
        );
        assert!(
            !plan.iter().any(|step| step.contains("TEMP B-TREE")),
            "{plan:?}"
        );
        db.close().await;
    }
}
