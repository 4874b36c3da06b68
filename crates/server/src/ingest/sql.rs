//! The batch's SQL: what a batch reads before it decides and writes after, each as one
//! JSON array per table so a batch of 1 or 1 000 events runs the same statements, whose text
//! never changes (each is prepared once per connection and reused).
//!
//! - [`Batch::begin_and_preload`] opens the write transaction and reads everything the batch
//!   refers to (known events, conversations, and every agent they name);
//! - [`Batch::flush_and_commit`] writes the inbox rows, email alerts and pushes, events,
//!   conversations and seqs, and commits.
//!
//! The unread counters are not read back: they live on the agent's row (migration 0004);
//! the batch counts its own bell rows on the value it preloaded, as it does the seq, and
//! writes both. The statements themselves are each store's: `sql_sqlite` (two calls to
//! SQLite's worker thread per batch, multi-statement texts over `json_each`) and
//! `sql_postgres` (one statement per table over `herald_rows`, those with nothing to write
//! skipped).

use serde::Serialize;
use sqlx::{AnyConnection, Row};
use uuid::Uuid;

use crate::recipients::ConversationState;

use super::*;
use super::{sql_postgres, sql_sqlite};
use crate::db::Backend;

/// Members of an inbox or team group (the group key, the workspace).
const GROUP_MEMBERS: &str = "
SELECT a.id, a.workspace_id, a.external_id, a.prefs, a.last_seq, a.unread
  FROM agent_groups AS g JOIN agents AS a ON a.id = g.agent_id
  WHERE g.group_key = $1 AND a.workspace_id = $2 AND a.disabled_at IS NULL";

/// Every agent of a workspace.
const WORKSPACE_MEMBERS: &str = "
SELECT id, workspace_id, external_id, prefs, last_seq, unread FROM agents
  WHERE workspace_id = $1 AND disabled_at IS NULL";

/// An inbox row as the flush reads it.
type NotificationRow<'a> = (
    String,
    String,
    i64,
    &'a str,
    &'a str,
    Option<&'a str>,
    bool,
    String,
    &'a str,
    Option<String>,
);
/// An alert: id, agent, item, conversation, due.
type AlertJson<'a> = (String, String, String, Option<&'a str>, String);
/// A push: item, agent, conversation, urgency.
type PushJson<'a> = (String, String, Option<&'a str>, &'static str);
/// An event: workspace, id, body hash, kind, recipients.
type EventJson<'a> = (String, &'a str, &'a str, &'a str, i64);
/// A conversation: workspace, id, assignee, participants (JSON text), inbox, team.
type ConversationJson<'a> = (
    String,
    &'a str,
    Option<&'a str>,
    String,
    Option<&'a str>,
    Option<&'a str>,
);

pub(super) use crate::db::sql_time;

/// What the preload binds: JSON arrays of `[workspace, event id]`, `[workspace,
/// conversation id]`, `[workspace, external id]`, agent ids (test notifications) and
/// workspace ids. Every row it answers starts with `src`, saying which it is.
pub(super) struct PreloadArgs {
    pub(super) events: String,
    pub(super) conversations: String,
    pub(super) names: String,
    pub(super) tests: String,
    pub(super) workspaces: String,
}

/// What the flush binds, each a JSON array: the inbox rows, alerts, pushes (one outbox row
/// per push and subscription of its agent), events and conversations in the order of
/// [`NotificationRow`], [`AlertJson`], [`PushJson`], [`EventJson`] and [`ConversationJson`];
/// the items that came back `[[id, seq, data]]` (their unread triggers fire; the agents'
/// counters written after them win); the reminders to set and those done; the quiet digests
/// done and begun; `[[agent id, last seq, unread, added]]` (seq and counter as the batch
/// leaves them: the preloaded values plus its rows, and the new bell rows alone; this is
/// the only path that inserts inbox rows, and the triggers keep the counter for marks and
/// deletions). SQLite writes the counter, PostgreSQL adds `added` to it (another node's
/// marks may change it meanwhile). `now` is the batch's time.
pub(super) struct FlushArgs {
    pub(super) now: chrono::DateTime<chrono::Utc>,
    pub(super) notifications: String,
    pub(super) alerts: String,
    pub(super) pushes: String,
    pub(super) events: String,
    pub(super) conversations: String,
    pub(super) moved: String,
    pub(super) reminders: String,
    pub(super) reminders_done: String,
    pub(super) quiet_done: String,
    pub(super) quiet_begun: String,
    pub(super) seqs: String,
}

fn json<T: Serialize>(rows: &T) -> Result<String, sqlx::Error> {
    serde_json::to_string(rows).map_err(|e| sqlx::Error::Encode(e.into()))
}

impl Batch {
    /// Opens the write transaction and loads, in one call, what the batch's inputs refer to.
    pub(super) async fn begin_and_preload(
        &mut self,
        conn: &mut AnyConnection,
        inputs: &[Input],
    ) -> Result<(), sqlx::Error> {
        let mut events = Vec::new();
        let mut conversations = Vec::new();
        let mut names = Vec::new();
        let mut tests = Vec::new();
        let mut workspaces = std::collections::BTreeSet::new();
        for input in inputs {
            match input {
                Input::Event {
                    workspace_id,
                    event: e,
                } => {
                    let ws = workspace_id.to_string();
                    workspaces.insert(ws.clone());
                    events.push((ws.clone(), e.id.as_str()));
                    if let Some(c) = &e.conversation {
                        conversations.push((ws.clone(), c.id.as_str()));
                    }
                    let named = e
                        .recipients
                        .iter()
                        .chain(&e.mentioned)
                        .chain(&e.participants)
                        .chain(e.assignee.iter());
                    names.extend(named.map(|n| (ws.clone(), n.as_str())));
                }
                Input::Test { agent_id, .. } => tests.push(agent_id.to_string()),
                // Loads its own rows, inside the transaction (see `returns`).
                Input::Returns => {}
            }
        }
        let args = PreloadArgs {
            events: json(&events)?,
            conversations: json(&conversations)?,
            names: json(&names)?,
            tests: json(&tests)?,
            workspaces: json(&workspaces)?,
        };
        let rows = match Backend::of(conn) {
            Backend::Sqlite => sql_sqlite::preload(conn, &args).await?,
            Backend::Postgres => sql_postgres::preload(conn, &args).await?,
        };
        let mut agents = Vec::new();
        for row in rows {
            let src: String = row.try_get("src")?;
            match src.as_str() {
                "event" => {
                    let key = (parse_uuid(&row, "workspace_id")?, row.try_get("event_id")?);
                    let known = KnownEvent {
                        body_hash: row.try_get("body_hash")?,
                        recipients: row.try_get("recipients")?,
                    };
                    self.known_events.insert(key, known);
                }
                "conversation" => {
                    let participants: String = row.try_get("participants")?;
                    let state = ConversationState {
                        assignee: row.try_get("assignee")?,
                        participants: serde_json::from_str(&participants).unwrap_or_default(),
                        inbox_id: row.try_get("inbox_id")?,
                        team_id: row.try_get("team_id")?,
                    };
                    let key = (
                        parse_uuid(&row, "workspace_id")?,
                        row.try_get("conversation_id")?,
                    );
                    self.conversations.insert(key, state);
                }
                "workspace" => {
                    let origins: String = row.try_get("link_origins")?;
                    // Written by `admin::set_link_origins` only; unreadable keeps no links.
                    let origins = serde_json::from_str(&origins).unwrap_or_default();
                    self.link_origins
                        .insert(parse_uuid(&row, "workspace_id")?, origins);
                }
                _ => agents.push(row),
            }
        }
        self.remember(&agents)?;
        Ok(())
    }

    /// Members of a group (`inbox:x` / `team:y`), or of the whole workspace (`*`); loaded
    /// once per batch.
    pub(super) async fn members(
        &mut self,
        conn: &mut AnyConnection,
        ws: Uuid,
        group: &str,
    ) -> Result<Vec<Uuid>, sqlx::Error> {
        let key = (ws, group.to_owned());
        if let Some(ids) = self.members.get(&key) {
            return Ok(ids.clone());
        }
        let rows = if group == "*" {
            sqlx::query(WORKSPACE_MEMBERS)
                .bind(ws.to_string())
                .fetch_all(&mut *conn)
                .await?
        } else {
            sqlx::query(GROUP_MEMBERS)
                .bind(group)
                .bind(ws.to_string())
                .fetch_all(&mut *conn)
                .await?
        };
        let ids = self.remember(&rows)?;
        self.members.insert(key, ids.clone());
        Ok(ids)
    }

    /// Writes everything and commits, in one call. Returns each inbox row's wire JSON (in
    /// the order of `rows`), which the live streams reuse instead of serialising it again.
    pub(super) async fn flush_and_commit(
        &mut self,
        conn: &mut AnyConnection,
    ) -> Result<Vec<String>, sqlx::Error> {
        let mut data = Vec::with_capacity(self.rows.len() + self.moved.len());
        for row in self.rows.iter().chain(&self.moved) {
            data.push(json(&row.notification)?);
        }
        let moved: Vec<(String, i64, &str)> = self
            .moved
            .iter()
            .zip(&data[self.rows.len()..])
            .map(|(row, data)| {
                let n = &row.notification;
                (
                    n.id.to_string(),
                    i64::try_from(n.seq).unwrap_or(i64::MAX),
                    data.as_str(),
                )
            })
            .collect();
        let reminders: Vec<(String, &str, String, String, u8)> = self
            .reminders
            .iter()
            .map(|r| {
                (
                    r.item.to_string(),
                    r.kind,
                    r.agent_id.to_string(),
                    sql_time(&r.due),
                    r.sent,
                )
            })
            .collect();
        let quiet_done: Vec<String> = self.quiet_done.iter().map(Uuid::to_string).collect();
        let quiet_begun: Vec<(String, String, i64)> = self
            .quiet_begun
            .iter()
            .map(|(agent, since, after)| (agent.to_string(), sql_time(since), *after))
            .collect();
        let reminders_done: Vec<(String, &str)> = self
            .reminders_done
            .iter()
            .map(|(item, kind)| (item.to_string(), kind.as_str()))
            .collect();
        let notifications: Vec<NotificationRow> = self
            .rows
            .iter()
            .zip(&data)
            .map(|(row, data)| {
                let n = &row.notification;
                (
                    n.id.to_string(),
                    row.agent_id.to_string(),
                    i64::try_from(n.seq).unwrap_or(i64::MAX),
                    n.event_id.as_str(),
                    n.kind.as_str(),
                    n.conversation.as_ref().map(|c| c.id.as_str()),
                    row.on_bell,
                    sql_time(&n.created_at),
                    data.as_str(),
                    n.read_at.as_ref().map(sql_time),
                )
            })
            .collect();
        let alerts: Vec<AlertJson> = self
            .alerts
            .iter()
            .map(|a| {
                (
                    Uuid::now_v7().to_string(),
                    a.agent_id.to_string(),
                    a.item.to_string(),
                    a.conversation.as_deref(),
                    sql_time(&a.due),
                )
            })
            .collect();
        let pushes: Vec<PushJson> = self
            .pushes
            .iter()
            .map(|p| {
                (
                    p.item.to_string(),
                    p.agent_id.to_string(),
                    p.conversation.as_deref(),
                    p.urgency,
                )
            })
            .collect();
        let events: Vec<EventJson> = self
            .events
            .iter()
            .map(|e| {
                (
                    e.workspace_id.to_string(),
                    e.event_id.as_str(),
                    e.body_hash.as_str(),
                    e.kind.as_str(),
                    e.recipients,
                )
            })
            .collect();
        let mut conversations: Vec<ConversationJson> = Vec::with_capacity(self.conversations.len());
        for ((ws, id), state) in &self.conversations {
            conversations.push((
                ws.to_string(),
                id.as_str(),
                state.assignee.as_deref(),
                json(&state.participants)?,
                state.inbox_id.as_deref(),
                state.team_id.as_deref(),
            ));
        }
        let seqs: Vec<(String, i64, i64, i64)> = self
            .touched
            .iter()
            .filter_map(|id| {
                let agent = self.agents.get(id)?;
                Some((id.to_string(), agent.last_seq, agent.unread, agent.added))
            })
            .collect();
        let args = FlushArgs {
            now: self.now,
            notifications: json(&notifications)?,
            alerts: json(&alerts)?,
            pushes: json(&pushes)?,
            events: json(&events)?,
            conversations: json(&conversations)?,
            moved: json(&moved)?,
            reminders: json(&reminders)?,
            reminders_done: json(&reminders_done)?,
            quiet_done: json(&quiet_done)?,
            quiet_begun: json(&quiet_begun)?,
            seqs: json(&seqs)?,
        };
        match Backend::of(conn) {
            Backend::Sqlite => sql_sqlite::flush(conn, &args).await?,
            Backend::Postgres => {
                // Other nodes hear of the new items from the commit itself.
                let seqs = self.touched.iter().filter_map(|id| {
                    let seq = u64::try_from(self.agents.get(id)?.last_seq).ok()?;
                    Some((*id, seq))
                });
                let hints = crate::fanout::hints::items(&self.node, self.now, seqs);
                // The counters as committed, for the streams.
                for (id, unread) in sql_postgres::flush(conn, &args, &json(&hints)?).await? {
                    if let Some(agent) = self.agents.get_mut(&id) {
                        agent.unread = unread;
                    }
                }
            }
        }
        Ok(data)
    }
}

/// Ends a failed batch's transaction. A connection whose state is unknown (the rollback
/// failed for another reason than there being no transaction) is closed, so the pool opens
/// a fresh one instead of handing on a connection inside a transaction.
pub(super) async fn rollback(conn: &mut sqlx::pool::PoolConnection<sqlx::Any>) {
    match sqlx::query("ROLLBACK").execute(&mut **conn).await {
        Ok(_) => {}
        Err(e) if e.to_string().contains("no transaction is active") => {}
        Err(e) => {
            tracing::error!(error = %e, "rollback failed; closing the write connection");
            conn.close_on_drop();
        }
    }
}

pub(super) fn parse_uuid(row: &sqlx::any::AnyRow, column: &str) -> Result<Uuid, sqlx::Error> {
    let text: String = row.try_get(column)?;
    Uuid::parse_str(&text).map_err(|e| sqlx::Error::Decode(e.into()))
}
