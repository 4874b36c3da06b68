//! The outbox worker: sends due emails, skips alerts read meanwhile, folds a conversation's
//! pending alerts into one email, retries temporary failures and records the outcome.

use std::time::Duration;

use chrono::{DateTime, Utc};
use herald_protocol::Notification;
use lettre::transport::smtp::response::Response;
use sqlx::Row;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::db::{Db, RowExt, SqlTime};
use crate::error::AppError;

use super::*;

/// Sends due emails until `stop`.
pub fn start_worker(
    db: Db,
    mailer: Mailer,
    stop: CancellationToken,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(mailer.config.poll);
        let mut last_schedule: Option<tokio::time::Instant> = None;
        loop {
            tokio::select! {
                () = stop.cancelled() => return,
                _ = ticks.tick() => {}
                () = mailer.wake.notified() => {}
            }
            if last_schedule.is_none_or(|t| t.elapsed() >= mailer.config.summary_poll) {
                last_schedule = Some(tokio::time::Instant::now());
                if let Err(err) = schedule_summaries(&db, mailer.clock.now()).await {
                    tracing::warn!(error = %err, "summary scheduling failed; will retry");
                }
            }
            if let Err(err) = send_due(&db, &mailer).await {
                tracing::warn!(error = %err, "email worker round failed; will retry");
            }
        }
    })
}

/// One round: every due alert, grouped per agent and conversation.
pub async fn send_due(db: &Db, mailer: &Mailer) -> Result<usize, AppError> {
    let now = mailer.clock.now();
    let mut sent = send_summaries(db, mailer, now).await?;
    let due = sqlx::query(
        "SELECT DISTINCT agent_id, conversation_id FROM outbox \
         WHERE status = 'pending' AND kind = 'alert' AND not_before <= $1 LIMIT 100",
    )
    .bind(SqlTime(now))
    .fetch_all(&db.reader)
    .await?;
    for group in due {
        let agent_id: String = group.try_get("agent_id")?;
        let conversation: Option<String> = group.try_get("conversation_id")?;
        sent += send_group(db, mailer, &agent_id, conversation.as_deref(), now).await?;
    }
    Ok(sent)
}

pub(super) async fn send_group(
    db: &Db,
    mailer: &Mailer,
    agent_id: &str,
    conversation: Option<&str>,
    now: DateTime<Utc>,
) -> Result<usize, AppError> {
    // Every pending alert of this conversation goes in one email once the first is due
    // (alerts without a conversation go one by one).
    let rows = sqlx::query(
        "SELECT o.id, o.attempts, n.id AS item, n.data, n.read_at FROM outbox o JOIN notifications n ON n.id = o.notification_id \
         WHERE o.agent_id = $1 AND o.status = 'pending' AND o.kind = 'alert' \
         AND (($2 IS NULL AND o.conversation_id IS NULL AND o.not_before <= $3) OR o.conversation_id = $2) \
         ORDER BY n.seq LIMIT 20",
    )
    .bind(agent_id)
    .bind(conversation)
    .bind(SqlTime(now))
    .fetch_all(&db.reader)
    .await?;
    let mut unread = Vec::new();
    let mut ids = Vec::new();
    let mut items = Vec::new();
    let mut attempts = 0i64;
    for row in &rows {
        let id: String = row.try_get("id")?;
        let read: Option<DateTime<Utc>> = row.time("read_at")?;
        if read.is_some() {
            // Read before the email went out: the agent already knows.
            sqlx::query("UPDATE outbox SET status = 'skipped', sent_at = $1 WHERE id = $2")
                .bind(SqlTime(now))
                .bind(&id)
                .execute(&db.writer)
                .await?;
            continue;
        }
        let data: String = row.try_get("data")?;
        unread.push(serde_json::from_str::<Notification>(&data)?);
        items.push(row.try_get::<String, _>("item")?);
        attempts = attempts.max(row.try_get::<i64, _>("attempts")?);
        ids.push(id);
    }
    if ids.is_empty() {
        return Ok(0);
    }
    let agent = sqlx::query("SELECT name, email, prefs FROM agents WHERE id = $1")
        .bind(agent_id)
        .fetch_one(&db.reader)
        .await?;
    let (name, email): (String, String) = (agent.try_get("name")?, agent.try_get("email")?);
    let t = Texts(language_of(&agent.try_get::<String, _>("prefs")?));
    let unsubscribe = mailer.unsubscribe_url(agent_id);
    let (subject, text, html) = compose_alert(t, &name, &unread, unsubscribe.as_deref());
    let message_id = Uuid::parse_str(&ids[0]).unwrap_or_else(|_| Uuid::now_v7());
    let outcome = deliver(
        mailer,
        message_id,
        (&name, &email),
        &subject,
        (text, html),
        unsubscribe.as_deref(),
    )
    .await;
    record(db, mailer, &ids, attempts, &outcome, now).await?;
    for item in items.iter().filter_map(|i| Uuid::parse_str(i).ok()) {
        let _ = mailer.answers.send(item);
    }
    match outcome {
        Ok(_) => {
            tracing::info!(count = ids.len(), "alert email sent");
            Ok(1)
        }
        Err((permanent, error)) => {
            tracing::warn!(permanent, error, "alert email not delivered");
            Ok(0)
        }
    }
}

/// What the relay said: accepted, or (permanent?, the error).
pub(super) type SendOutcome = Result<Response, (bool, String)>;

/// Addresses, builds and sends one email. An address or message that cannot be built is a
/// permanent failure: retrying would not change it.
pub(super) async fn deliver(
    mailer: &Mailer,
    id: Uuid,
    (name, email): (&str, &str),
    subject: &str,
    (text, html): (String, String),
    unsubscribe: Option<&str>,
) -> SendOutcome {
    let to = recipient(name, email).map_err(|e| (true, e.to_string()))?;
    let message = build(mailer, id, to, subject, text, html, unsubscribe)
        .map_err(|e| (true, e.to_string()))?;
    mailer
        .send(message)
        .await
        .map_err(|e| (e.is_permanent(), e.to_string()))
}

/// Records what happened to the outbox rows of one email: sent; failed for good (a
/// permanent refusal, or the last attempt); or due again after a backoff.
pub(super) async fn record(
    db: &Db,
    mailer: &Mailer,
    ids: &[String],
    attempts: i64,
    outcome: &SendOutcome,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let mut tx = db.write_tx().await?;
    let attempts = attempts + 1;
    for id in ids {
        let query = match outcome {
            Ok(response) => sqlx::query("UPDATE outbox SET status = 'sent', attempts = $1, sent_at = $2, last_error = NULL, reply = $3 WHERE id = $4")
                .bind(attempts)
                .bind(SqlTime(now))
                .bind(format!("{} {}", u16::from(response.code()), reply_text(response)))
                .bind(id),
            Err((permanent, error)) if *permanent || attempts >= i64::from(mailer.config.max_attempts) => {
                sqlx::query("UPDATE outbox SET status = 'failed', attempts = $1, sent_at = $2, last_error = $3 WHERE id = $4")
                    .bind(attempts)
                    .bind(SqlTime(now))
                    .bind(error.clone())
                    .bind(id)
            }
            Err((_, error)) => {
                let backoff = mailer.config.retry_base.saturating_mul(1u32 << attempts.clamp(0, 7)).min(Duration::from_secs(3600));
                let next = now + chrono::Duration::from_std(backoff).unwrap_or_else(|_| chrono::Duration::hours(1));
                sqlx::query("UPDATE outbox SET attempts = $1, not_before = $2, last_error = $3 WHERE id = $4")
                    .bind(attempts)
                    .bind(SqlTime(next))
                    .bind(error.clone())
                    .bind(id)
            }
        };
        query.execute(&mut *tx).await?;
    }
    tx.commit().await?;
    Ok(())
}
