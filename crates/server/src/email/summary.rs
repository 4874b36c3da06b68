//! End-of-day summaries: queued once a day at each agent's local summary time (exactly once
//! across restarts), grouped by conversation.

use chrono::{DateTime, NaiveDate, Utc};
use futures_util::StreamExt;
use herald_protocol::{EmailMode, Notification, Outcome, Preferences};
use sqlx::Row;
use uuid::Uuid;

use crate::db::{Db, RowExt, SqlTime};
use crate::error::AppError;

use super::*;

/// Queues the end-of-day summary of every agent whose summary time has passed, once per
/// local day: the outbox's unique key makes this exactly once, across restarts too, and a
/// server that was down at that time catches up on its next round.
pub async fn schedule_summaries(db: &Db, now: DateTime<Utc>) -> Result<usize, AppError> {
    let agents = sqlx::query("SELECT id, prefs FROM agents WHERE disabled_at IS NULL")
        .fetch_all(&db.reader)
        .await?;
    let mut due = Vec::new();
    for row in agents {
        let prefs: String = row.try_get("prefs")?;
        let Ok(prefs) = serde_json::from_str::<Preferences>(&prefs) else {
            continue;
        };
        if prefs.email.mode != EmailMode::Summary {
            continue;
        }
        let (day, end, start) = prefs.last_summary_due(now);
        due.push((row.try_get::<String, _>("id")?, day, start, end));
    }
    let mut queued = 0;
    let mut tx = db.write_tx().await?;
    for (agent_id, day, start, end) in &due {
        let done = sqlx::query(
            "INSERT INTO outbox (id, agent_id, kind, dedupe_key, status, not_before, created_at, period_start, period_end) \
             VALUES ($1, $2, 'summary', $3, 'pending', $4, $4, $5, $6) ON CONFLICT (dedupe_key) DO NOTHING",
        )
        .bind(Uuid::now_v7().to_string())
        .bind(agent_id)
        .bind(format!("summary:{agent_id}:{day}"))
        .bind(SqlTime(now))
        .bind(SqlTime(*start))
        .bind(SqlTime(*end))
        .execute(&mut *tx)
        .await?;
        queued += done.rows_affected() as usize;
    }
    tx.commit().await?;
    Ok(queued)
}

pub(super) async fn send_summaries(
    db: &Db,
    mailer: &Mailer,
    now: DateTime<Utc>,
) -> Result<usize, AppError> {
    let rows = sqlx::query(
        "SELECT o.id, o.agent_id, o.attempts, o.period_start, o.period_end, o.dedupe_key, a.name, a.email, a.prefs FROM outbox o \
         JOIN agents a ON a.id = o.agent_id \
         WHERE o.status = 'pending' AND o.kind = 'summary' AND o.not_before <= $1 LIMIT 200",
    )
    .bind(SqlTime(now))
    .fetch_all(&db.reader)
    .await?;
    let results: Vec<Result<bool, AppError>> = futures_util::stream::iter(rows)
        .map(|row| send_summary(db, mailer, row, now))
        .buffer_unordered(SEND_CONCURRENCY)
        .collect()
        .await;
    let mut sent = 0;
    for result in results {
        if result? {
            sent += 1;
        }
    }
    Ok(sent)
}

/// Sends one summary; `Ok(true)` when the relay accepted it.
pub(super) async fn send_summary(
    db: &Db,
    mailer: &Mailer,
    row: sqlx::any::AnyRow,
    now: DateTime<Utc>,
) -> Result<bool, AppError> {
    let id: String = row.try_get("id")?;
    let agent_id: String = row.try_get("agent_id")?;
    let (start, end): (DateTime<Utc>, DateTime<Utc>) =
        (row.time("period_start")?, row.time("period_end")?);
    let (name, email): (String, String) = (row.try_get("name")?, row.try_get("email")?);
    let key: String = row.try_get("dedupe_key")?;
    let day = key
        .rsplit(':')
        .next()
        .and_then(|d| d.parse::<NaiveDate>().ok());
    let items: Vec<Notification> = sqlx::query(
        "SELECT data, read_at FROM notifications WHERE agent_id = $1 AND created_at > $2 AND created_at <= $3 ORDER BY seq",
    )
    .bind(&agent_id)
    .bind(SqlTime(start))
    .bind(SqlTime(end))
    .fetch_all(&db.reader)
    .await?
    .iter()
    .filter_map(|r| {
        let mut n: Notification = serde_json::from_str(&r.try_get::<String, _>("data").ok()?).ok()?;
        n.read_at = r.time("read_at").ok()?;
        Some(n)
    })
    .filter(|n| n.decision.email.outcome == Outcome::Summary)
    .collect();
    if items.is_empty() {
        // Nothing happened that day: no email, but the day counts as done.
        sqlx::query("UPDATE outbox SET status = 'skipped', sent_at = $1 WHERE id = $2")
            .bind(SqlTime(now))
            .bind(&id)
            .execute(&db.writer)
            .await?;
        return Ok(false);
    }
    let unread: i64 = sqlx::query_scalar("SELECT unread FROM agents WHERE id = $1")
        .bind(&agent_id)
        .fetch_one(&db.reader)
        .await?;
    let unsubscribe = mailer.unsubscribe_url(&agent_id);
    let (subject, text, html) = compose_summary(
        Texts(language_of(&row.try_get::<String, _>("prefs")?)),
        &name,
        day,
        &items,
        unread,
        unsubscribe.as_deref(),
    );
    let message_id = Uuid::parse_str(&id).unwrap_or_else(|_| Uuid::now_v7());
    let outcome = deliver(
        mailer,
        message_id,
        (&name, &email),
        &subject,
        (text, html),
        unsubscribe.as_deref(),
    )
    .await;
    record(
        db,
        mailer,
        std::slice::from_ref(&id),
        row.try_get("attempts")?,
        &outcome,
        now,
    )
    .await?;
    Ok(outcome.is_ok())
}
