//! "While you were quiet", in the writer: an item whose push the agent's pause or quiet
//! hours held notes the start of a quiet time (`quiet_digests`, the first item only); once
//! the quiet time is over, the unread items since then are summed up in one item of kind
//! `quiet_summary`, made read (it counts nothing itself), on the bell and pushed like any
//! item. Run with the reminders (`Input::Returns`), when the worker sees one is due.

use chrono::{DateTime, Utc};
use herald_protocol::{
    decide, held_by_quiet, is_quiet, AgentContext, EventKind, KindCount, Notification, Preferences,
    QuietDigest,
};
use sqlx::{AnyConnection, Row};
use uuid::Uuid;

use super::rows::{InboxRow, PushRow};
use super::*;
use crate::db::RowExt;

/// Every noted quiet time with its agent (agent columns as the batch's other agent queries
/// name them).
const NOTED: &str = "
SELECT d.since, d.after_seq,
       a.id, a.workspace_id, a.external_id, a.prefs, a.last_seq, a.unread
  FROM quiet_digests AS d JOIN agents AS a ON a.id = d.agent_id
  WHERE a.disabled_at IS NULL";

/// The unread items of one agent after a seq, per kind. Binds: agent, seq.
const UNREAD_SINCE: &str = "
SELECT kind, COUNT(*) AS n, MAX(seq) AS top FROM notifications
  WHERE agent_id = $1 AND seq > $2 AND on_bell = 1 AND read_at IS NULL
    AND kind <> 'quiet_summary'
  GROUP BY kind";

/// Whether some agent's quiet time is over with its summary still to make (the worker's
/// question: the preferences decide, so they are read).
pub async fn any_quiet_over(db: &crate::db::Db, now: DateTime<Utc>) -> Result<bool, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT a.prefs FROM quiet_digests AS d JOIN agents AS a ON a.id = d.agent_id \
         WHERE a.disabled_at IS NULL",
    )
    .fetch_all(&db.reader)
    .await?;
    Ok(rows.iter().any(|row| {
        row.try_get::<String, _>("prefs")
            .ok()
            .and_then(|p| serde_json::from_str::<Preferences>(&p).ok())
            .is_some_and(|prefs| !is_quiet(&prefs, now))
    }))
}

impl Batch {
    /// Notes the start of a quiet time when the agent's pause or quiet hours held this
    /// item's push (and the agent wants the summary).
    pub(super) fn note_quiet(&mut self, agent_id: Uuid, item: &Notification) {
        let wants = self
            .agents
            .get(&agent_id)
            .is_some_and(|a| a.prefs.quiet_summary);
        if wants && item.decision.dashboard.delivers() && held_by_quiet(&item.decision) {
            let before = i64::try_from(item.seq).unwrap_or(i64::MAX) - 1;
            self.quiet_begun.push((agent_id, self.now, before));
        }
    }

    /// Sums up the quiet times that are over; returns how many summaries were made.
    pub(super) async fn quiet_summaries(
        &mut self,
        conn: &mut AnyConnection,
    ) -> Result<usize, sqlx::Error> {
        let rows = sqlx::query(NOTED).fetch_all(&mut *conn).await?;
        self.remember(&rows)?;
        let mut made = 0;
        for row in &rows {
            let agent_id = parse_uuid(row, "id")?;
            let Some(prefs) = self.agents.get(&agent_id).map(|a| a.prefs.clone()) else {
                continue;
            };
            if is_quiet(&prefs, self.now) {
                continue;
            }
            self.quiet_done.push(agent_id);
            if !prefs.quiet_summary {
                continue;
            }
            let after_seq: i64 = row.try_get("after_seq")?;
            let counts = sqlx::query(UNREAD_SINCE)
                .bind(agent_id.to_string())
                .bind(after_seq)
                .fetch_all(&mut *conn)
                .await?;
            let mut kinds = Vec::with_capacity(counts.len());
            let mut up_to_seq = 0i64;
            for count in &counts {
                let kind: String = count.try_get("kind")?;
                let n: i64 = count.try_get("n")?;
                up_to_seq = up_to_seq.max(count.try_get("top")?);
                kinds.push(KindCount {
                    kind: EventKind::parse(&kind),
                    count: u32::try_from(n).unwrap_or(u32::MAX),
                });
            }
            if kinds.is_empty() {
                continue; // everything was read meanwhile: nothing to sum up
            }
            kinds.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.kind.cmp(&b.kind)));
            let digest = QuietDigest {
                since: row.time("since")?,
                after_seq: u64::try_from(after_seq).unwrap_or(0),
                up_to_seq: u64::try_from(up_to_seq).unwrap_or(0),
                total: kinds.iter().map(|k| k.count).sum(),
                kinds,
            };
            self.summarise(agent_id, &prefs, digest);
            made += 1;
        }
        Ok(made)
    }

    /// The summary item: the agent's next seq, read, on the bell, pushed as decided.
    fn summarise(&mut self, agent_id: Uuid, prefs: &Preferences, digest: QuietDigest) {
        let Some(agent) = self.agents.get_mut(&agent_id) else {
            return;
        };
        agent.last_seq += 1;
        let seq = u64::try_from(agent.last_seq).unwrap_or(0);
        let id = Uuid::now_v7();
        let context = AgentContext::default();
        let kind = EventKind::QuietSummary;
        let decision = decide(&kind, &context, prefs, self.now);
        let item = Notification {
            id,
            seq,
            event_id: format!("quiet-summary-{id}"),
            title: digest.headline(prefs.language),
            body: String::new(),
            conversation: None,
            withheld_link: None,
            actor: None,
            severity: None,
            occurred_at: self.now,
            created_at: self.now,
            read_at: Some(self.now),
            snoozed_until: None,
            digest: Some(digest),
            decision,
            context,
            kind,
        };
        self.touched.insert(agent_id);
        if item.decision.push.delivers() {
            self.pushes.push(PushRow::for_item(agent_id, &item));
        }
        self.rows.push(InboxRow {
            agent_id,
            on_bell: item.decision.dashboard.delivers(),
            notification: item,
        });
    }
}
