//! The test email ("did the relay accept it?") and the agent's email status for diagnostics.

use chrono::{DateTime, Utc};
use herald_protocol::{escape_markup, EmailFailure, EmailStatus, TestEmailResult};
use sqlx::Row;
use uuid::Uuid;

use crate::db::{Db, RowExt, SqlTime};
use crate::error::AppError;

use super::*;

/// Sends a test email now and says what the relay answered.
pub async fn send_test(
    db: &Db,
    mailer: &Mailer,
    agent_id: Uuid,
) -> Result<TestEmailResult, AppError> {
    let row = sqlx::query("SELECT name, email, prefs FROM agents WHERE id = $1")
        .bind(agent_id.to_string())
        .fetch_one(&db.reader)
        .await?;
    let (name, email): (String, String) = (row.try_get("name")?, row.try_get("email")?);
    let t = Texts(language_of(&row.try_get::<String, _>("prefs")?));
    let id = Uuid::now_v7();
    let [reach, spam] = t.test_lines(&email);
    let text = format!("{}\n\n{reach}\n{spam}\n", t.hello(&name));
    let html = format!(
        "<!doctype html><html><body style=\"font-family:sans-serif\"><p>{}</p><p>{}</p><p>{}</p></body></html>",
        escape_markup(&t.hello(&name)),
        escape_markup(&reach),
        escape_markup(&spam)
    );
    let message = build(
        mailer,
        id,
        recipient(&name, &email)?,
        t.test_subject(),
        text,
        html,
        None,
    )?;
    let (status, result, error) = match mailer.send(message).await {
        Ok(response) => {
            let result = TestEmailResult {
                accepted: true,
                code: u16::from(response.code()),
                message: reply_text(&response),
            };
            ("sent", result, None)
        }
        Err(err) => {
            let code = err.status().map_or(0, u16::from);
            let result = TestEmailResult {
                accepted: false,
                code,
                message: err.to_string(),
            };
            ("failed", result, Some(err.to_string()))
        }
    };
    let now = Utc::now();
    sqlx::query(
        "INSERT INTO outbox (id, agent_id, kind, dedupe_key, status, attempts, not_before, last_error, created_at, sent_at) \
         VALUES ($1, $2, 'test', $3, $4, 1, $5, $6, $5, $7)",
    )
    .bind(id.to_string())
    .bind(agent_id.to_string())
    .bind(format!("test:{id}"))
    .bind(status)
    .bind(SqlTime(now))
    .bind(error)
    .bind((status == "sent").then_some(SqlTime(now)))
    .execute(&db.writer)
    .await?;
    Ok(result)
}

/// The agent's email status for diagnostics.
pub async fn status(db: &Db, configured: bool, agent_id: Uuid) -> Result<EmailStatus, AppError> {
    let agent = agent_id.to_string();
    let to: String = sqlx::query("SELECT email FROM agents WHERE id = $1")
        .bind(&agent)
        .fetch_one(&db.reader)
        .await?
        .try_get("email")?;
    let pending: i64 =
        sqlx::query("SELECT COUNT(*) AS n FROM outbox WHERE agent_id = $1 AND status = 'pending'")
            .bind(&agent)
            .fetch_one(&db.reader)
            .await?
            .try_get("n")?;
    let failure = sqlx::query(
        "SELECT last_error, COALESCE(sent_at, created_at) AS at FROM outbox \
         WHERE agent_id = $1 AND status = 'failed' ORDER BY created_at DESC LIMIT 1",
    )
    .bind(&agent)
    .fetch_optional(&db.reader)
    .await?;
    let last_failure = match failure {
        Some(row) => Some(EmailFailure {
            at: row.time::<DateTime<Utc>>("at")?,
            error: row
                .try_get::<Option<String>, _>("last_error")?
                .unwrap_or_default(),
        }),
        None => None,
    };
    Ok(EmailStatus {
        configured,
        to,
        pending: u32::try_from(pending).unwrap_or(0),
        last_failure,
    })
}

/// What became of an item's alert email, as recorded: the relay's answer, a retry, or
/// still queued. `None` when the item has no alert email.
pub async fn test_outcome(
    db: &Db,
    item: Uuid,
) -> Result<Option<herald_protocol::TestEmail>, AppError> {
    use herald_protocol::TestEmail;
    let row = sqlx::query(
        "SELECT status, attempts, not_before, last_error, reply FROM outbox \
         WHERE notification_id = $1 AND kind = 'alert'",
    )
    .bind(item.to_string())
    .fetch_optional(&db.reader)
    .await?;
    let Some(row) = row else { return Ok(None) };
    let status: String = row.try_get("status")?;
    let attempts: i64 = row.try_get("attempts")?;
    let not_before: DateTime<Utc> = row.time("not_before")?;
    let error: Option<String> = row.try_get("last_error")?;
    let reply: Option<String> = row.try_get("reply")?;
    Ok(Some(match status.as_str() {
        "sent" => {
            let reply = reply.unwrap_or_default();
            let (code, words) = reply.split_once(' ').unwrap_or((&reply, ""));
            TestEmail::Accepted {
                code: code.parse().unwrap_or(250),
                reply: words.to_owned(),
            }
        }
        "failed" => TestEmail::Refused {
            error: error.unwrap_or_default(),
        },
        "pending" if attempts > 0 => TestEmail::Retrying {
            error: error.unwrap_or_default(),
            retry_at: not_before,
        },
        _ => TestEmail::Queued { due_at: not_before },
    }))
}
