//! The batch's statements on PostgreSQL: the same reads and writes as `sql_sqlite`, over
//! `herald_rows` and `herald_texts` (`jsonb_array_elements` with a row estimate that keeps
//! every lookup on its index: see the migration), with the casts PostgreSQL's types ask
//! for. PostgreSQL prepares one statement per call, so the reads are one statement and
//! the common writes are data-modifying `WITH`s of two: a plain batch of new items costs
//! four round trips (begin with the lock, preload, rows, seqs with hints) and the
//! commit.

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Executor as _, Row};

use super::sql::{FlushArgs, PreloadArgs};
use crate::db::SqlTime;

/// Opens the transaction and waits for the ingest lock: one batch at a time across every
/// node on this database, so what a batch preloads (seqs, known events, conversations)
/// stays true until it commits, and one agent's seqs are committed in order with no holes.
/// Transaction-scoped: released by COMMIT or ROLLBACK, or when the connection dies. The
/// key is "Herald\0\1" as a big-endian integer. Sent as one simple query (one round trip,
/// nothing to bind) of two statements: the lock is a statement of its own, and a
/// statement's snapshot is taken as it starts, so the reads after it see what the batch
/// before committed.
const BEGIN_AND_LOCK: &str = "BEGIN; SELECT pg_advisory_xact_lock(5216701506134474753)";

/// Everything the batch refers to, in one statement (one round trip): known events
/// (binds `[[workspace, event id]]`), known conversations (`[[workspace, conversation
/// id]]`), every agent the batch names, directly or through a known conversation's
/// participants and assignee (`[[workspace, external id]]`), the agents of test
/// notifications (`[agent id]`), and the workspaces' link origins (`[workspace id]`). One
/// row per thing, its kind in `src`, the columns of the other kinds NULL.
const PRELOAD: &str = "
WITH known_events AS (
    SELECT e.workspace_id, e.event_id, e.body_hash, e.recipients
      FROM herald_rows($1::jsonb) AS j(value) JOIN events AS e
        ON e.workspace_id = j.value ->> 0 AND e.event_id = j.value ->> 1
), known AS (
    SELECT c.workspace_id, c.conversation_id, c.assignee, c.participants, c.inbox_id, c.team_id
      FROM herald_rows($2::jsonb) AS j(value) JOIN conversations AS c
        ON c.workspace_id = j.value ->> 0 AND c.conversation_id = j.value ->> 1
), wanted (ws, ext) AS (
    SELECT j.value ->> 0, j.value ->> 1 FROM herald_rows($3::jsonb) AS j(value)
  UNION
    SELECT k.workspace_id, p.value
      FROM known AS k CROSS JOIN herald_texts(k.participants::jsonb) AS p(value)
  UNION
    SELECT k.workspace_id, k.assignee FROM known AS k WHERE k.assignee IS NOT NULL
), named AS (
    SELECT a.id, a.workspace_id, a.external_id, a.prefs, a.last_seq, a.unread
      FROM wanted AS w JOIN agents AS a ON a.workspace_id = w.ws AND a.external_id = w.ext
      WHERE a.disabled_at IS NULL
  UNION ALL
    SELECT a.id, a.workspace_id, a.external_id, a.prefs, a.last_seq, a.unread
      FROM herald_texts($4::jsonb) AS t(value) JOIN agents AS a ON a.id = t.value
      WHERE a.disabled_at IS NULL
), origins AS (
    SELECT w.id, w.link_origins
      FROM herald_texts($5::jsonb) AS j(value) JOIN workspaces AS w ON w.id = j.value
)
SELECT 'event' AS src, workspace_id, event_id, body_hash, recipients,
       NULL::text AS conversation_id, NULL::text AS assignee, NULL::text AS participants,
       NULL::text AS inbox_id, NULL::text AS team_id, NULL::text AS id,
       NULL::text AS external_id, NULL::text AS prefs, NULL::bigint AS last_seq,
       NULL::bigint AS unread, NULL::text AS link_origins
  FROM known_events
UNION ALL
SELECT 'conversation', workspace_id, NULL, NULL, NULL, conversation_id, assignee,
       participants, inbox_id, team_id, NULL, NULL, NULL, NULL, NULL, NULL
  FROM known
UNION ALL
SELECT 'agent', workspace_id, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, id,
       external_id, prefs, last_seq, unread, NULL
  FROM named
UNION ALL
SELECT 'workspace', id, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
       NULL, NULL, link_origins
  FROM origins";

/// The new rows of a batch, in one statement (one round trip; each part is a
/// data-modifying `WITH`, run whether or not anything reads it, on rows no other part
/// touches): inbox rows, email alerts, pushes (one outbox row per push and subscription of
/// its agent), events, conversations. Binds the time, then those five arrays.
const NEW_ROWS: &str = "
WITH notifications_added AS (
    INSERT INTO notifications
        (id, agent_id, seq, event_id, kind, conversation_id, on_bell, created_at, data,
         read_at)
      SELECT value ->> 0, value ->> 1, (value ->> 2)::bigint, value ->> 3, value ->> 4,
             value ->> 5, (value ->> 6)::boolean::integer, value ->> 7, value ->> 8,
             value ->> 9
      FROM herald_rows($2::jsonb) AS t(value)
), alerts_added AS (
    INSERT INTO outbox
        (id, agent_id, kind, dedupe_key, notification_id, conversation_id, status,
         not_before, created_at)
      SELECT value ->> 0, value ->> 1, 'alert', 'alert:' || (value ->> 2), value ->> 2,
             value ->> 3, 'pending', value ->> 4, $1
      FROM herald_rows($3::jsonb) AS t(value)
), pushes_added AS (
    INSERT INTO push_outbox
        (subscription_id, agent_id, notification_id, conversation_id, urgency, status,
         not_before, created_at, device_name)
      SELECT s.id, s.agent_id, j.value ->> 0, j.value ->> 2, j.value ->> 3, 'pending', $1,
             $1, s.name
      FROM herald_rows($4::jsonb) AS j(value) JOIN push_subscriptions AS s
        ON s.agent_id = j.value ->> 1
), events_added AS (
    INSERT INTO events (workspace_id, event_id, body_hash, kind, recipients, received_at)
      SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3, (value ->> 4)::integer, $1
      FROM herald_rows($5::jsonb) AS t(value)
), conversations_kept AS (
    INSERT INTO conversations
        (workspace_id, conversation_id, assignee, participants, inbox_id, team_id,
         updated_at)
      SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3, value ->> 4, value ->> 5, $1
      FROM herald_rows($6::jsonb) AS t(value)
      ON CONFLICT (workspace_id, conversation_id) DO UPDATE SET
        assignee = excluded.assignee, participants = excluded.participants,
        inbox_id = excluded.inbox_id, team_id = excluded.team_id,
        updated_at = excluded.updated_at
)
SELECT 1 AS done";

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

/// Seqs, and the new bell rows added to the counter (a mark on another node may have
/// changed it since the preload), and the hints to the other nodes (`fanout::hints`), sent
/// when the transaction commits; in one statement. Binds `[[agent, seq, unread, added]]`
/// and the hints' payloads. Answers the counters as they are now, as JSON
/// `[[agent, unread]]`.
const SEQS_AND_HINTS: &str = "
WITH counted AS (
    UPDATE agents SET last_seq = (j.value ->> 1)::bigint,
           unread = agents.unread + (j.value ->> 3)::bigint
      FROM herald_rows($1::jsonb) AS j(value) WHERE agents.id = j.value ->> 0
      RETURNING agents.id, agents.unread
)
SELECT (SELECT count(pg_notify('herald', t.value)) FROM herald_texts($2::jsonb) AS t(value)) AS hints,
       (SELECT COALESCE(json_agg(json_build_array(id, unread)), '[]'::json)::text
          FROM counted) AS counters";

/// Opens the transaction and reads what the batch refers to.
pub(super) async fn preload(
    conn: &mut AnyConnection,
    args: &PreloadArgs,
) -> Result<Vec<AnyRow>, sqlx::Error> {
    // A bare text has nothing to bind: sent as a simple query.
    conn.execute(BEGIN_AND_LOCK).await?;
    let rows = sqlx::query(PRELOAD)
        .bind(args.events.as_str())
        .bind(args.conversations.as_str())
        .bind(args.names.as_str())
        .bind(args.tests.as_str())
        .bind(args.workspaces.as_str())
        .fetch_all(&mut *conn)
        .await?;
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

/// Writes the batch, hints its items to the other nodes (`hints`, a JSON array of payloads)
/// and commits; answers the touched agents' unread counters as committed. The rows of a
/// plain batch of new items go in one statement, the seqs and hints in another; the rarer
/// writes (items back from a snooze, reminders, quiet summaries) in between, each only when
/// there is something to write (their triggers change the counters the last one answers).
pub(super) async fn flush(
    conn: &mut AnyConnection,
    args: &FlushArgs,
    hints: &str,
) -> Result<Vec<(uuid::Uuid, i64)>, sqlx::Error> {
    let new_rows = [
        &args.notifications,
        &args.alerts,
        &args.pushes,
        &args.events,
        &args.conversations,
    ];
    if new_rows.iter().any(|rows| has_rows(rows)) {
        let mut query = sqlx::query(NEW_ROWS).bind(SqlTime(args.now));
        for rows in new_rows {
            query = query.bind(rows.as_str());
        }
        query.execute(&mut *conn).await?;
    }
    write(conn, MOVED, None, &args.moved).await?;
    write(conn, REMINDERS, None, &args.reminders).await?;
    write(conn, REMINDERS_DONE, None, &args.reminders_done).await?;
    write(conn, QUIET_DONE, None, &args.quiet_done).await?;
    write(conn, QUIET_BEGUN, None, &args.quiet_begun).await?;
    let mut counters = Vec::new();
    if has_rows(&args.seqs) || has_rows(hints) {
        let row = sqlx::query(SEQS_AND_HINTS)
            .bind(args.seqs.as_str())
            .bind(hints)
            .fetch_one(&mut *conn)
            .await?;
        let answered: String = row.try_get("counters")?;
        let answered: Vec<(String, i64)> =
            serde_json::from_str(&answered).map_err(|e| sqlx::Error::Decode(e.into()))?;
        for (id, unread) in answered {
            let id = uuid::Uuid::parse_str(&id).map_err(|e| sqlx::Error::Decode(e.into()))?;
            counters.push((id, unread));
        }
    }
    sqlx::query("COMMIT").execute(&mut *conn).await?;
    Ok(counters)
}
