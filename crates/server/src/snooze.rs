//! Snoozing items and bringing them back on request (`POST /inbox/snooze`).
//!
//! A snoozed item is marked read, so the triggers of migration 0004 take it out of the
//! unread counter and the unread view, and a `snooze` row in `reminders` says when it comes
//! back. Coming back at that time is the ingest writer's work (`ingest::returns`), because
//! only the writer moves seqs. Bringing it back by hand (no `until`, or marking it unread)
//! only makes it unread again: the agent is looking at it, no notification is due.

use chrono::{DateTime, Utc};
use herald_protocol::{
    Preferences, ServerMessage, SnoozeRequest, SnoozeResult, SnoozeTarget, SnoozeUntil,
};
use sqlx::{AnyConnection, Row};
use uuid::Uuid;

use crate::db::{Backend, Db, SqlTime};
use crate::error::AppError;
use crate::inbox::unread_count;
use crate::push::sync::ReadChange;

/// Most items one request may name.
const IDS_MAX: usize = 500;

/// Snoozes (or brings back) the agent's items; returns the answer and what the agent's
/// streams must hear.
pub async fn snooze(
    db: &Db,
    agent_id: Uuid,
    request: &SnoozeRequest,
    now: DateTime<Utc>,
) -> Result<(SnoozeResult, Vec<ServerMessage>), AppError> {
    if let SnoozeTarget::Items { ids } = &request.target {
        if ids.is_empty() || ids.len() > IDS_MAX {
            return Err(AppError::invalid("snooze 1 to 500 items at once"));
        }
    }
    let until = match request.until {
        Some(choice) => Some(resolve(db, agent_id, choice, now).await?),
        None => None,
    };
    let agent = agent_id.to_string();
    let mut tx = db.write_tx().await?;
    let ids = targets(&mut tx, &agent, &request.target, until.is_some()).await?;
    for uuid in &ids {
        let id = uuid.to_string();
        match until {
            Some(until) => {
                sqlx::query(
                    "UPDATE notifications SET read_at = COALESCE(read_at, $1), snoozed_until = $2 \
                     WHERE id = $3",
                )
                .bind(SqlTime(now))
                .bind(SqlTime(until))
                .bind(&id)
                .execute(&mut *tx)
                .await?;
                sqlx::query(
                    "INSERT INTO reminders (notification_id, kind, agent_id, due_at) \
                     VALUES ($1, 'snooze', $2, $3) \
                     ON CONFLICT (notification_id, kind) DO UPDATE SET due_at = excluded.due_at",
                )
                .bind(&id)
                .bind(&agent)
                .bind(SqlTime(until))
                .execute(&mut *tx)
                .await?;
            }
            None => {
                bring_back(&mut tx, &agent, *uuid).await?;
            }
        }
    }
    if !ids.is_empty() {
        // Phones take snoozed items away like read ones, and show the new badge.
        let change = if until.is_some() {
            ReadChange::Read(&ids)
        } else {
            ReadChange::Counter
        };
        crate::push::sync::note(&mut tx, agent_id, change, now).await?;
    }
    let unread = unread_count(&mut tx, agent_id).await?;
    tx.commit().await?;
    let mut notices = Vec::new();
    if !ids.is_empty() {
        notices.push(ServerMessage::Snoozed {
            ids: ids.clone(),
            until,
        });
    }
    notices.push(ServerMessage::Unread { unread });
    Ok((SnoozeResult { ids, until, unread }, notices))
}

/// The instant a choice means for this agent now (tomorrow morning is in their zone).
async fn resolve(
    db: &Db,
    agent_id: Uuid,
    choice: SnoozeUntil,
    now: DateTime<Utc>,
) -> Result<DateTime<Utc>, AppError> {
    let row = sqlx::query("SELECT prefs FROM agents WHERE id = $1")
        .bind(agent_id.to_string())
        .fetch_one(&db.reader)
        .await?;
    let prefs: Preferences = serde_json::from_str(&row.try_get::<String, _>("prefs")?)?;
    choice.instant(&prefs, now).map_err(|e| AppError::Invalid {
        message: e.message.clone(),
        fields: vec![e],
    })
}

/// The agent's items the request names: on the bell; to snooze, any of them; to bring
/// back, only snoozed ones. A conversation means its unread items (to snooze) or its
/// snoozed ones (to bring back). Ids of other agents' items are simply not found.
async fn targets(
    tx: &mut AnyConnection,
    agent: &str,
    target: &SnoozeTarget,
    snoozing: bool,
) -> Result<Vec<Uuid>, AppError> {
    let rows = match target {
        SnoozeTarget::Items { ids } => {
            let ids: Vec<String> = ids.iter().map(Uuid::to_string).collect();
            let statement = match Backend::of(tx) {
                Backend::Sqlite => {
                    "SELECT n.id FROM json_each($1) AS j JOIN notifications AS n ON n.id = j.value \
                     WHERE n.agent_id = $2 AND n.on_bell = 1 AND ($3 OR n.snoozed_until IS NOT NULL)"
                }
                Backend::Postgres => {
                    "SELECT n.id FROM herald_texts($1::jsonb) AS j(value) \
                     JOIN notifications AS n ON n.id = j.value \
                     WHERE n.agent_id = $2 AND n.on_bell = 1 AND ($3 OR n.snoozed_until IS NOT NULL)"
                }
            };
            sqlx::query(statement)
                .bind(serde_json::to_string(&ids)?)
                .bind(agent)
                .bind(snoozing)
                .fetch_all(&mut *tx)
                .await?
        }
        SnoozeTarget::Conversation { conversation_id } => {
            sqlx::query(
                "SELECT id FROM notifications \
                 WHERE agent_id = $1 AND conversation_id = $2 AND on_bell = 1 \
                 AND (($3 AND read_at IS NULL) OR (NOT $3 AND snoozed_until IS NOT NULL))",
            )
            .bind(agent)
            .bind(conversation_id)
            .bind(snoozing)
            .fetch_all(&mut *tx)
            .await?
        }
    };
    let mut ids = Vec::with_capacity(rows.len());
    for row in rows {
        let id: String = row.try_get("id")?;
        ids.push(Uuid::parse_str(&id).map_err(|e| AppError::Internal(e.into()))?);
    }
    if ids.is_empty() && matches!(target, SnoozeTarget::Items { .. }) {
        return Err(AppError::NotFound(if snoozing {
            "no such notification on your bell"
        } else {
            "no such snoozed notification"
        }));
    }
    Ok(ids)
}

/// Makes one of the agent's items unread now, out of its snooze if it had one (its
/// reminder dropped): brought back by hand, from the bell's "Unsnooze" or "mark unread".
/// Whether it was read (or snoozed) before.
pub(crate) async fn bring_back(
    conn: &mut AnyConnection,
    agent: &str,
    id: Uuid,
) -> Result<bool, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE notifications SET read_at = NULL, snoozed_until = NULL \
         WHERE agent_id = $1 AND id = $2 AND read_at IS NOT NULL",
    )
    .bind(agent)
    .bind(id.to_string())
    .execute(&mut *conn)
    .await?;
    sqlx::query("DELETE FROM reminders WHERE notification_id = $1 AND kind = 'snooze'")
        .bind(id.to_string())
        .execute(&mut *conn)
        .await?;
    Ok(done.rows_affected() > 0)
}
