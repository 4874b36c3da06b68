//! The batch's statements on PostgreSQL: the same reads and writes as `sql_sqlite`, one
//! statement each (PostgreSQL prepares one statement per call), over `herald_rows` and
//! `herald_texts` (`jsonb_array_elements` with a row estimate that keeps every lookup on its
//! index: see the migration), with the casts PostgreSQL's types ask for. A write with nothing to write is skipped, so a
//! plain batch of new items costs a handful of round trips.

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::sql::{FlushArgs, PreloadArgs};
use crate::db::SqlTime;

/// Waits for the ingest lock: one batch at a time across every
/// node on this database, so what a batch preloads (seqs, known events, conversations)
/// stays true until it commits, and one agent's seqs are committed in order with no holes.
/// Transaction-scoped: released by COMMIT or ROLLBACK, or when the connection dies. The
/// key is "Herald\0\1" as a big-endian integer. Its own statement: a statement's snapshot
/// is taken as it starts, so the reads after it see what the batch before committed.
const LOCK: &str = "SELECT pg_advisory_xact_lock(5216701506134474753)";

/// Known events. Binds `[[workspace, event id]]`.
const EVENTS: &str = "
SELECT 'event' AS src, e.workspace_id, e.event_id, e.body_hash, e.recipients
  FROM herald_rows($1::jsonb) AS j(value) JOIN events AS e
    ON e.workspace_id = j.value ->> 0 AND e.event_id = j.value ->> 1";

/// Known conversations. Binds `[[workspace, conversation id]]`.
const CONVERSATIONS: &str = "
SELECT 'conversation' AS src, c.workspace_id, c.conversation_id, c.assignee, c.participants,
       c.inbox_id, c.team_id
  FROM herald_rows($1::jsonb) AS j(value) JOIN conversations AS c
    ON c.workspace_id = j.value ->> 0 AND c.conversation_id = j.value ->> 1";

/// Every agent the batch names, directly or through a known conversation's participants
/// and assignee, and the agents of test notifications. Binds `[[workspace, external id]]`,
/// `[[workspace, conversation id]]`, `[agent id]`.
const AGENTS: &str = "
WITH known AS (
    SELECT c.workspace_id, c.participants, c.assignee
      FROM herald_rows($2::jsonb) AS j(value) JOIN conversations AS c
        ON c.workspace_id = j.value ->> 0 AND c.conversation_id = j.value ->> 1
), wanted (ws, ext) AS (
    SELECT j.value ->> 0, j.value ->> 1 FROM herald_rows($1::jsonb) AS j(value)
  UNION
    SELECT k.workspace_id, p.value
      FROM known AS k CROSS JOIN herald_texts(k.participants::jsonb) AS p(value)
  UNION
    SELECT k.workspace_id, k.assignee FROM known AS k WHERE k.assignee IS NOT NULL
)
SELECT 'agent' AS src, a.id, a.workspace_id, a.external_id, a.prefs, a.last_seq, a.unread
  FROM wanted AS w JOIN agents AS a ON a.workspace_id = w.ws AND a.external_id = w.ext
  WHERE a.disabled_at IS NULL
UNION ALL
SELECT 'agent' AS src, a.id, a.workspace_id, a.external_id, a.prefs, a.last_seq, a.unread
  FROM herald_texts($3::jsonb) AS t(value) JOIN agents AS a ON a.id = t.value
  WHERE a.disabled_at IS NULL";

/// The workspaces' link origins. Binds `[workspace id]`.
const WORKSPACES: &str = "
SELECT 'workspace' AS src, w.id AS workspace_id, w.link_origins
  FROM herald_texts($1::jsonb) AS j(value) JOIN workspaces AS w ON w.id = j.value";

const NOTIFICATIONS: &str = "
INSERT INTO notifications
    (id, agent_id, seq, event_id, kind, conversation_id, on_bell, created_at, data, read_at)
  SELECT value ->> 0, value ->> 1, (value ->> 2)::bigint, value ->> 3, value ->> 4,
         value ->> 5, (value ->> 6)::boolean::integer, value ->> 7, value ->> 8, value ->> 9
  FROM herald_rows($1::jsonb) AS t(value)";

/// Binds the time, the alerts.
const ALERTS: &str = "
INSERT INTO outbox
    (id, agent_id, kind, dedupe_key, notification_id, conversation_id, status, not_before,
     created_at)
  SELECT value ->> 0, value ->> 1, 'alert', 'alert:' || (value ->> 2), value ->> 2,
         value ->> 3, 'pending', value ->> 4, $1
  FROM herald_rows($2::jsonb) AS t(value)";

/// Binds the time, the pushes.
const PUSHES: &str = "
INSERT INTO push_outbox
    (subscription_id, agent_id, notification_id, conversation_id, urgency, status,
     not_before, created_at, device_name)
  SELECT s.id, s.agent_id, j.value ->> 0, j.value ->> 2, j.value ->> 3, 'pending', $1, $1,
         s.name
  FROM herald_rows($2::jsonb) AS j(value) JOIN push_subscriptions AS s
    ON s.agent_id = j.value ->> 1";

/// Binds the time, the events.
const NEW_EVENTS: &str = "
INSERT INTO events (workspace_id, event_id, body_hash, kind, recipients, received_at)
  SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3, (value ->> 4)::integer, $1
  FROM herald_rows($2::jsonb) AS t(value)";

/// Binds the time, the conversations.
const NEW_CONVERSATIONS: &str = "
INSERT INTO conversations
    (workspace_id, conversation_id, assignee, participants, inbox_id, team_id, updated_at)
  SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4, value ->> 5, $1
  FROM herald_rows($2::jsonb) AS t(value)
  ON CONFLICT (workspace_id, conversation_id) DO UPDATE SET
    assignee = excluded.assignee, participants = excluded.participants,
    inbox_id = excluded.inbox_id, team_id = excluded.team_id, updated_at = excluded.updated_at";

const MOVED: &str = "
UPDATE notifications SET seq = (j.value ->> 1)::bigint, data = j.value ->> 2, read_at = NULL,
       snoozed_until = NULL
  FROM herald_rows($1::jsonb) AS j(value) WHERE notifications.id = j.value ->> 0";

const REMINDERS: &str = "
INSERT INTO reminders (notification_id, kind, agent_id, due_at, sent)
  SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3, (value ->> 4)::integer
  FROM herald_rows($1::jsonb) AS t(value)
  ON CONFLICT (notification_id, kind) DO UPDATE SET
    due_at = excluded.due_at, sent = excluded.sent";

const REMINDERS_DONE: &str = "
DELETE FROM reminders WHERE (notification_id, kind) IN
  (SELECT value ->> 0, value ->> 1 FROM herald_rows($1::jsonb) AS t(value))";

const QUIET_DONE: &str = "
DELETE FROM quiet_digests WHERE agent_id IN
  (SELECT value FROM herald_texts($1::jsonb) AS t(value))";

const QUIET_BEGUN: &str = "
INSERT INTO quiet_digests (agent_id, since, after_seq)
  SELECT value ->> 0, value ->> 1, (value ->> 2)::bigint FROM herald_rows($1::jsonb) AS t(value)
  ON CONFLICT (agent_id) DO NOTHING";

/// Seqs, and the new bell rows added to the counter: a mark on another node may have
/// changed it since the preload. Answers the counters as they are now.
const SEQS: &str = "
UPDATE agents SET last_seq = (j.value ->> 1)::bigint,
       unread = agents.unread + (j.value ->> 3)::bigint
  FROM herald_rows($1::jsonb) AS j(value) WHERE agents.id = j.value ->> 0
  RETURNING agents.id, agents.unread";

/// Opens the transaction and reads what the batch refers to.
pub(super) async fn preload(
    conn: &mut AnyConnection,
    args: &PreloadArgs,
) -> Result<Vec<AnyRow>, sqlx::Error> {
    sqlx::query("BEGIN").execute(&mut *conn).await?;
    sqlx::query(LOCK).execute(&mut *conn).await?;
    let mut rows = sqlx::query(EVENTS)
        .bind(args.events.as_str())
        .fetch_all(&mut *conn)
        .await?;
    if has_rows(&args.conversations) {
        rows.extend(
            sqlx::query(CONVERSATIONS)
                .bind(args.conversations.as_str())
                .fetch_all(&mut *conn)
                .await?,
        );
    }
    rows.extend(
        sqlx::query(AGENTS)
            .bind(args.names.as_str())
            .bind(args.conversations.as_str())
            .bind(args.tests.as_str())
            .fetch_all(&mut *conn)
            .await?,
    );
    rows.extend(
        sqlx::query(WORKSPACES)
            .bind(args.workspaces.as_str())
            .fetch_all(&mut *conn)
            .await?,
    );
    Ok(rows)
}

/// Whether a JSON array has an element (the arrays are made by `serde_json`: `[]` when
/// empty).
fn has_rows(json: &str) -> bool {
    json != "[]"
}

/// Runs `statement` over `rows` (bound after `now`, if given) unless there are none.
async fn write(
    conn: &mut AnyConnection,
    statement: &'static str,
    now: Option<SqlTime>,
    rows: &str,
) -> Result<(), sqlx::Error> {
    if !has_rows(rows) {
        return Ok(());
    }
    let query = sqlx::query(statement);
    let query = match now {
        Some(now) => query.bind(now),
        None => query,
    };
    query.bind(rows).execute(&mut *conn).await?;
    Ok(())
}

/// Hints to the other nodes (`fanout::hints`), sent when the transaction commits. Binds the
/// payloads.
const HINTS: &str = "
SELECT count(pg_notify('herald', value)) AS n FROM herald_texts($1::jsonb) AS t(value)";

/// Writes the batch, hints its items to the other nodes (`hints`, a JSON array of payloads)
/// and commits; answers the touched agents' unread counters as committed.
pub(super) async fn flush(
    conn: &mut AnyConnection,
    args: &FlushArgs,
    hints: &str,
) -> Result<Vec<(uuid::Uuid, i64)>, sqlx::Error> {
    let now = Some(SqlTime(args.now));
    write(conn, NOTIFICATIONS, None, &args.notifications).await?;
    write(conn, ALERTS, now, &args.alerts).await?;
    write(conn, PUSHES, now, &args.pushes).await?;
    write(conn, NEW_EVENTS, now, &args.events).await?;
    write(conn, NEW_CONVERSATIONS, now, &args.conversations).await?;
    write(conn, MOVED, None, &args.moved).await?;
    write(conn, REMINDERS, None, &args.reminders).await?;
    write(conn, REMINDERS_DONE, None, &args.reminders_done).await?;
    write(conn, QUIET_DONE, None, &args.quiet_done).await?;
    write(conn, QUIET_BEGUN, None, &args.quiet_begun).await?;
    let mut counters = Vec::new();
    if has_rows(&args.seqs) {
        for row in sqlx::query(SEQS)
            .bind(args.seqs.as_str())
            .fetch_all(&mut *conn)
            .await?
        {
            counters.push((super::sql::parse_uuid(&row, "id")?, row.try_get("unread")?));
        }
    }
    if has_rows(hints) {
        sqlx::query(HINTS).bind(hints).fetch_one(&mut *conn).await?;
    }
    sqlx::query("COMMIT").execute(&mut *conn).await?;
    Ok(counters)
}
