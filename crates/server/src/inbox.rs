//! Inbox queries. Every function takes the agent's id from the session, never from the
//! request, so one agent can never reach another's items.

use chrono::{DateTime, Utc};
use herald_protocol::{
    InboxPage, MarkRequest, MarkResult, Notification, ServerMessage, UnreadCount,
};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};
use uuid::Uuid;

use crate::db::{Db, RowExt, SqlTime};
use crate::error::AppError;
use crate::push::sync::ReadChange;

/// Largest page.
pub const PAGE_MAX: u32 = 200;
/// Most items a stream replays; further behind gets a gap signal.
pub const REPLAY_MAX: u64 = 1000;

fn from_row(row: &AnyRow) -> Result<Notification, AppError> {
    let data: String = row.try_get("data")?;
    let mut n: Notification = serde_json::from_str(&data)?;
    n.read_at = row.time::<Option<DateTime<Utc>>>("read_at")?;
    n.snoozed_until = row.time::<Option<DateTime<Utc>>>("snoozed_until")?;
    Ok(n)
}

/// The unread counter (items on the bell, not read), kept on the agent's row by triggers
/// (migration 0004).
pub async fn unread_count(
    conn: &mut AnyConnection,
    agent_id: Uuid,
) -> Result<UnreadCount, sqlx::Error> {
    let row = sqlx::query("SELECT unread AS n FROM agents WHERE id = $1")
        .bind(agent_id.to_string())
        .fetch_one(&mut *conn)
        .await?;
    let n: i64 = row.try_get("n")?;
    Ok(UnreadCount {
        total: u32::try_from(n).unwrap_or(u32::MAX),
    })
}

/// What to list.
#[derive(Debug, Clone, Copy, Default, serde::Deserialize)]
pub struct ListQuery {
    /// Items older than this seq (the previous page's `next_before`).
    pub before: Option<u64>,
    /// Page size (default 50, at most [`PAGE_MAX`]).
    pub limit: Option<u32>,
    /// Only unread items.
    #[serde(default)]
    pub unread: bool,
    /// Also items that did not go to the bell (for "why didn't I get this?").
    #[serde(default)]
    pub all: bool,
}

/// One page, newest first.
pub async fn list(db: &Db, agent_id: Uuid, q: ListQuery) -> Result<InboxPage, AppError> {
    let limit = q.limit.unwrap_or(50).clamp(1, PAGE_MAX);
    let before = q
        .before
        .map_or(i64::MAX, |b| i64::try_from(b).unwrap_or(i64::MAX));
    let rows = sqlx::query(
        "SELECT data, read_at, snoozed_until, seq FROM notifications \
         WHERE agent_id = $1 AND seq < $2 AND (on_bell = 1 OR $3) AND (read_at IS NULL OR NOT $4) \
         ORDER BY seq DESC LIMIT $5",
    )
    .bind(agent_id.to_string())
    .bind(before)
    .bind(q.all)
    .bind(q.unread)
    .bind(i64::from(limit) + 1)
    .fetch_all(&db.reader)
    .await?;
    let more = rows.len() > limit as usize;
    let items = rows
        .iter()
        .take(limit as usize)
        .map(from_row)
        .collect::<Result<Vec<_>, _>>()?;
    let next_before = if more {
        items.last().map(|n| n.seq)
    } else {
        None
    };
    let mut conn = db.reader.acquire().await?;
    Ok(InboxPage {
        items,
        next_before,
        unread: unread_count(&mut conn, agent_id).await?,
    })
}

/// One item.
pub async fn get(db: &Db, agent_id: Uuid, id: Uuid) -> Result<Notification, AppError> {
    let row = sqlx::query(
        "SELECT data, read_at, snoozed_until FROM notifications WHERE agent_id = $1 AND id = $2",
    )
    .bind(agent_id.to_string())
    .bind(id.to_string())
    .fetch_optional(&db.reader)
    .await?
    .ok_or(AppError::NotFound("no such notification"))?;
    from_row(&row)
}

/// Items after `after_seq`, oldest first, at most `limit`.
pub async fn after(
    db: &Db,
    agent_id: Uuid,
    after_seq: u64,
    limit: u64,
) -> Result<Vec<Notification>, AppError> {
    let rows = sqlx::query(
        "SELECT data, read_at, snoozed_until FROM notifications WHERE agent_id = $1 AND seq > $2 \
         ORDER BY seq LIMIT $3",
    )
    .bind(agent_id.to_string())
    .bind(i64::try_from(after_seq).unwrap_or(i64::MAX))
    .bind(i64::try_from(limit).unwrap_or(i64::MAX))
    .fetch_all(&db.reader)
    .await?;
    rows.iter().map(from_row).collect()
}

/// The newest seq of an agent's inbox.
pub async fn latest_seq(db: &Db, agent_id: Uuid) -> Result<u64, AppError> {
    let row = sqlx::query("SELECT last_seq FROM agents WHERE id = $1")
        .bind(agent_id.to_string())
        .fetch_one(&db.reader)
        .await?;
    let seq: i64 = row.try_get("last_seq")?;
    Ok(u64::try_from(seq).unwrap_or(0))
}

/// Marks items; returns the result and what the agent's other streams must hear.
pub async fn mark(
    db: &Db,
    agent_id: Uuid,
    request: &MarkRequest,
    now: DateTime<Utc>,
) -> Result<(MarkResult, Vec<ServerMessage>), AppError> {
    let agent = agent_id.to_string();
    let mut tx = db.write_tx().await?;
    let mut notices = Vec::new();
    let changed = match request {
        MarkRequest::Items { ids, read } => {
            if ids.len() > 500 {
                return Err(AppError::invalid("mark at most 500 items at once"));
            }
            let mut changed_ids = Vec::new();
            for id in ids {
                let done = if *read {
                    sqlx::query(
                        "UPDATE notifications SET read_at = $1 WHERE agent_id = $2 AND id = $3 AND read_at IS NULL",
                    )
                    .bind(SqlTime(now))
                    .bind(&agent)
                    .bind(id.to_string())
                    .execute(&mut *tx)
                    .await?
                    .rows_affected()
                        > 0
                } else {
                    // Unread by hand: a snoozed item is back now, its reminder dropped.
                    crate::snooze::bring_back(&mut tx, &agent, *id).await?
                };
                if done {
                    changed_ids.push(*id);
                }
            }
            let changed = changed_ids.len();
            if !changed_ids.is_empty() {
                let change = if *read {
                    ReadChange::Read(&changed_ids)
                } else {
                    ReadChange::Counter
                };
                crate::push::sync::note(&mut tx, agent_id, change, now).await?;
                notices.push(ServerMessage::ReadChanged {
                    ids: changed_ids,
                    read_at: read.then_some(now),
                });
            }
            changed as u64
        }
        MarkRequest::All | MarkRequest::Conversation { .. } => {
            let conversation = match request {
                MarkRequest::Conversation { conversation_id } => Some(conversation_id.as_str()),
                _ => None,
            };
            let row = sqlx::query("SELECT last_seq FROM agents WHERE id = $1")
                .bind(&agent)
                .fetch_one(&mut *tx)
                .await?;
            let up_to: i64 = row.try_get("last_seq")?;
            let changed: Vec<String> = sqlx::query_scalar(
                "UPDATE notifications SET read_at = $1 WHERE agent_id = $2 AND read_at IS NULL \
                 AND seq <= $3 AND ($4 IS NULL OR conversation_id = $4) RETURNING id",
            )
            .bind(SqlTime(now))
            .bind(&agent)
            .bind(up_to)
            .bind(conversation)
            .fetch_all(&mut *tx)
            .await?;
            if !changed.is_empty() {
                // A conversation's items by id, so phones take away that conversation's
                // notification only; everything else (or very many) as "all read".
                let ids: Vec<Uuid> = changed.iter().filter_map(|id| id.parse().ok()).collect();
                let change = match conversation {
                    Some(_) => ReadChange::Read(&ids),
                    None => ReadChange::AllRead,
                };
                crate::push::sync::note(&mut tx, agent_id, change, now).await?;
                notices.push(ServerMessage::AllRead {
                    up_to_seq: u64::try_from(up_to).unwrap_or(0),
                    conversation_id: conversation.map(str::to_owned),
                });
            }
            u64::try_from(changed.len()).unwrap_or(u64::MAX)
        }
    };
    let unread = unread_count(&mut tx, agent_id).await?;
    tx.commit().await?;
    notices.push(ServerMessage::Unread { unread });
    Ok((
        MarkResult {
            changed: u32::try_from(changed).unwrap_or(u32::MAX),
            unread,
        },
        notices,
    ))
}
