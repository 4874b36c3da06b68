//! The batch's statements on SQLite: two calls to sqlx's SQLite worker thread per batch,
//! [`PRELOAD`] and [`FLUSH`]. Each call costs two thread wake-ups; the batch used to make
//! about a dozen.

use sqlx::AnyConnection;

use super::sql::{FlushArgs, PreloadArgs};
use crate::db::SqlTime;

// sqlx binds `?NNN` by number only within a statement whose numbers have no gaps, so these
// multi-statement texts use plain `?`, bound in the order they appear in the text.

/// Opens the transaction and reads what a batch refers to. Binds, in order: `[[workspace,
/// event id]]`, `[[workspace, conversation id]]`, `[[workspace, external id]]`, the
/// conversations twice more, `[agent id]` (test notifications), `[workspace id]`. Every
/// row starts with
/// `src`, saying which statement it comes from.
pub(super) const PRELOAD: &str = "
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
pub(super) const FLUSH: &str = "
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

// The arrays are bound as `&str`: a `&String` would be copied into the query's arguments,
// and they are the batch's whole payload.

/// Opens the transaction and reads what the batch refers to, in one call.
pub(super) async fn preload(
    conn: &mut AnyConnection,
    args: &PreloadArgs,
) -> Result<Vec<sqlx::any::AnyRow>, sqlx::Error> {
    sqlx::query(PRELOAD)
        .bind(args.events.as_str())
        .bind(args.conversations.as_str())
        .bind(args.names.as_str())
        .bind(args.conversations.as_str())
        .bind(args.conversations.as_str())
        .bind(args.tests.as_str())
        .bind(args.workspaces.as_str())
        .fetch_all(&mut *conn)
        .await
}

/// Writes the batch and commits, in one call.
pub(super) async fn flush(conn: &mut AnyConnection, args: &FlushArgs) -> Result<(), sqlx::Error> {
    let now = SqlTime(args.now);
    sqlx::query(FLUSH)
        .bind(args.notifications.as_str())
        .bind(now)
        .bind(args.alerts.as_str())
        .bind(now)
        .bind(now)
        .bind(args.pushes.as_str())
        .bind(now)
        .bind(args.events.as_str())
        .bind(now)
        .bind(args.conversations.as_str())
        .bind(args.moved.as_str())
        .bind(args.reminders.as_str())
        .bind(args.reminders_done.as_str())
        .bind(args.quiet_done.as_str())
        .bind(args.quiet_begun.as_str())
        .bind(args.seqs.as_str())
        .execute(&mut *conn)
        .await?;
    Ok(())
}
