//! The batch's SQL: two round trips to the SQLite worker per batch, with statements whose
//! text never changes, so each is prepared once per connection and reused.
//!
//! - [`PRELOAD`] opens the write transaction and reads everything the batch refers to (known
//!   events, conversations, and every agent they name) in one call;
//! - [`FLUSH`] writes the inbox rows, email alerts and pushes, events, conversations and
//!   seqs, and
//!   commits, in one call.
//!
//! The rows travel as one JSON array per table (`json_each`), so a batch of 1 or 1 000
//! events runs the same statements. Each round trip to sqlx's SQLite worker thread costs two
//! thread wake-ups; the batch used to make about a dozen. The unread counters are not read
//! back: they live on the agent's row (migration 0004); the batch counts its own bell rows
//! on the value it preloaded, as it does the seq, and writes both.
//!
//! These statements are SQLite's (`json_each`, `->>`); a PostgreSQL backend needs its own.

use serde::Serialize;
use sqlx::{Row, SqliteConnection};
use uuid::Uuid;

use crate::recipients::ConversationState;

use super::*;

// sqlx binds `?NNN` by number only within a statement whose numbers have no gaps, so these
// multi-statement texts use plain `?`, bound in the order they appear in the text.

/// Opens the transaction and reads what a batch refers to. Binds, in order: `[[workspace,
/// event id]]`, `[[workspace, conversation id]]`, `[[workspace, external id]]`, the
/// conversations twice more, `[agent id]` (test notifications), `[workspace id]`. Every
/// row starts with
/// `src`, saying which statement it comes from.
const PRELOAD: &str = "
BEGIN IMMEDIATE;
SELECT 'event' AS src, e.workspace_id, e.event_id, e.body_hash, e.recipients
  FROM json_each(?) AS j CROSS JOIN events AS e
    ON e.workspace_id = j.value ->> 0 AND e.event_id = j.value ->> 1;
SELECT 'conversation' AS src, c.workspace_id, c.conversation_id, c.assignee, c.participants,
       c.inbox_id, c.team_id
  FROM json_each(?) AS j CROSS JOIN conversations AS c
    ON c.workspace_id = j.value ->> 0 AND c.conversation_id = j.value ->> 1;
WITH wanted (ws, ext) AS (
    SELECT j.value ->> 0, j.value ->> 1 FROM json_each(?) AS j
  UNION
    SELECT c.workspace_id, p.value FROM json_each(?) AS j
      CROSS JOIN conversations AS c
        ON c.workspace_id = j.value ->> 0 AND c.conversation_id = j.value ->> 1
      CROSS JOIN json_each(c.participants) AS p
  UNION
    SELECT c.workspace_id, c.assignee FROM json_each(?) AS j
      CROSS JOIN conversations AS c
        ON c.workspace_id = j.value ->> 0 AND c.conversation_id = j.value ->> 1
      WHERE c.assignee IS NOT NULL
)
SELECT 'agent' AS src, a.id, a.workspace_id, a.external_id, a.prefs, a.last_seq, a.unread
  FROM wanted AS w CROSS JOIN agents AS a ON a.workspace_id = w.ws AND a.external_id = w.ext
  WHERE a.disabled_at IS NULL
UNION ALL
SELECT 'agent' AS src, a.id, a.workspace_id, a.external_id, a.prefs, a.last_seq, a.unread
  FROM json_each(?) AS t CROSS JOIN agents AS a ON a.id = t.value
  WHERE a.disabled_at IS NULL;
SELECT 'workspace' AS src, w.id AS workspace_id, w.link_origins
  FROM json_each(?) AS j CROSS JOIN workspaces AS w ON w.id = j.value;
";

/// Members of an inbox or team group (the group key, the workspace).
const GROUP_MEMBERS: &str = "
SELECT a.id, a.workspace_id, a.external_id, a.prefs, a.last_seq, a.unread
  FROM agent_groups AS g JOIN agents AS a ON a.id = g.agent_id
  WHERE g.group_key = ? AND a.workspace_id = ? AND a.disabled_at IS NULL";

/// Every agent of a workspace.
const WORKSPACE_MEMBERS: &str = "
SELECT id, workspace_id, external_id, prefs, last_seq, unread FROM agents
  WHERE workspace_id = ? AND disabled_at IS NULL";

/// Writes a batch and commits. Binds, in order: inbox rows, the batch's time and alerts, the
/// time twice and pushes (one outbox row per push and subscription of its agent), the
/// time and events, the time and conversations, the items that came back `[[id, seq,
/// data]]` (their unread triggers fire; the agents' counters written after them win), the
/// reminders to set and those done, the quiet digests done and begun, `[[agent id, last
/// seq, unread]]` (seq and
/// counter as the batch leaves them: the preloaded values plus its rows; this is the only
/// path that inserts inbox rows, and the triggers of migration 0004 keep the counter for
/// marks and deletions); the rows' fields
/// in the order of [`NotificationRow`], [`AlertJson`], [`PushJson`], [`EventJson`] and
/// [`ConversationJson`]. (`WHERE true` lets SQLite's parser tell the upsert's
/// `ON CONFLICT` from a join's `ON`.)
const FLUSH: &str = "
INSERT INTO notifications
    (id, agent_id, seq, event_id, kind, conversation_id, on_bell, created_at, data, read_at)
  SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4, value ->> 5,
         value ->> 6, value ->> 7, value ->> 8, value ->> 9
  FROM json_each(?);
INSERT INTO outbox
    (id, agent_id, kind, dedupe_key, notification_id, conversation_id, status, not_before,
     created_at)
  SELECT value ->> 0, value ->> 1, 'alert', 'alert:' || (value ->> 2), value ->> 2,
         value ->> 3, 'pending', value ->> 4, ?
  FROM json_each(?);
INSERT INTO push_outbox
    (subscription_id, agent_id, notification_id, conversation_id, urgency, status,
     not_before, created_at, device_name)
  SELECT s.id, s.agent_id, j.value ->> 0, j.value ->> 2, j.value ->> 3, 'pending', ?, ?, s.name
  FROM json_each(?) AS j CROSS JOIN push_subscriptions AS s ON s.agent_id = j.value ->> 1;
INSERT INTO events (workspace_id, event_id, body_hash, kind, recipients, received_at)
  SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4, ?
  FROM json_each(?);
INSERT INTO conversations
    (workspace_id, conversation_id, assignee, participants, inbox_id, team_id, updated_at)
  SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4, value ->> 5, ?
  FROM json_each(?) WHERE true
  ON CONFLICT (workspace_id, conversation_id) DO UPDATE SET
    assignee = excluded.assignee, participants = excluded.participants,
    inbox_id = excluded.inbox_id, team_id = excluded.team_id, updated_at = excluded.updated_at;
UPDATE notifications SET seq = j.value ->> 1, data = j.value ->> 2, read_at = NULL,
       snoozed_until = NULL
  FROM json_each(?) AS j WHERE notifications.id = j.value ->> 0;
INSERT INTO reminders (notification_id, kind, agent_id, due_at, sent)
  SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4
  FROM json_each(?) WHERE true
  ON CONFLICT (notification_id, kind) DO UPDATE SET
    due_at = excluded.due_at, sent = excluded.sent;
DELETE FROM reminders WHERE (notification_id, kind) IN
  (SELECT value ->> 0, value ->> 1 FROM json_each(?));
DELETE FROM quiet_digests WHERE agent_id IN (SELECT value FROM json_each(?));
INSERT INTO quiet_digests (agent_id, since, after_seq)
  SELECT value ->> 0, value ->> 1, value ->> 2 FROM json_each(?) WHERE true
  ON CONFLICT (agent_id) DO NOTHING;
UPDATE agents SET last_seq = j.value ->> 1, unread = j.value ->> 2
  FROM json_each(?) AS j WHERE agents.id = j.value ->> 0;
COMMIT;
";

/// An inbox row as [`FLUSH`] reads it.
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

fn json<T: Serialize>(rows: &T) -> Result<String, sqlx::Error> {
    serde_json::to_string(rows).map_err(|e| sqlx::Error::Encode(e.into()))
}

impl Batch {
    /// Opens the write transaction and loads, in one call, what the batch's inputs refer to.
    pub(super) async fn begin_and_preload(
        &mut self,
        conn: &mut SqliteConnection,
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
        let conversations = json(&conversations)?;
        let rows = sqlx::query(PRELOAD)
            .bind(json(&events)?)
            .bind(conversations.clone())
            .bind(json(&names)?)
            .bind(conversations.clone())
            .bind(conversations)
            .bind(json(&tests)?)
            .bind(json(&workspaces)?)
            .fetch_all(&mut *conn)
            .await?;
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
        conn: &mut SqliteConnection,
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
        &self,
        conn: &mut SqliteConnection,
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
        let seqs: Vec<(String, i64, i64)> = self
            .touched
            .iter()
            .filter_map(|id| {
                let agent = self.agents.get(id)?;
                Some((id.to_string(), agent.last_seq, agent.unread))
            })
            .collect();
        sqlx::query(FLUSH)
            .bind(json(&notifications)?)
            .bind(self.now)
            .bind(json(&alerts)?)
            .bind(self.now)
            .bind(self.now)
            .bind(json(&pushes)?)
            .bind(self.now)
            .bind(json(&events)?)
            .bind(self.now)
            .bind(json(&conversations)?)
            .bind(json(&moved)?)
            .bind(json(&reminders)?)
            .bind(json(&reminders_done)?)
            .bind(json(&quiet_done)?)
            .bind(json(&quiet_begun)?)
            .bind(json(&seqs)?)
            .execute(&mut *conn)
            .await?;
        Ok(data)
    }
}

/// Ends a failed batch's transaction. A connection whose state is unknown (the rollback
/// failed for another reason than there being no transaction) is closed, so the pool opens
/// a fresh one instead of handing on a connection inside a transaction.
pub(super) async fn rollback(conn: &mut sqlx::pool::PoolConnection<sqlx::Sqlite>) {
    match sqlx::query("ROLLBACK").execute(&mut **conn).await {
        Ok(_) => {}
        Err(e) if e.to_string().contains("no transaction is active") => {}
        Err(e) => {
            tracing::error!(error = %e, "rollback failed; closing the write connection");
            conn.close_on_drop();
        }
    }
}

pub(super) fn parse_uuid(row: &sqlx::sqlite::SqliteRow, column: &str) -> Result<Uuid, sqlx::Error> {
    let text: String = row.try_get(column)?;
    Uuid::parse_str(&text).map_err(|e| sqlx::Error::Decode(e.into()))
}
