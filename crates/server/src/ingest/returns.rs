//! Items that come back: a snooze that ended, an unread assignment's reminder. Run by the
//! writer (the only one that moves seqs) inside a batch's transaction: each item due gets
//! the agent's next seq, comes back unread, and carries a fresh decision made with
//! `AgentContext::reminder`, so every stream replays it at the top of the bell and its push
//! goes through the push outbox like a new item's.
//!
//! Reminders are scheduled by `Batch::deliver` (an assignment, when the agent's escalation
//! is on) and by `crate::snooze` (the time the agent chose).

use chrono::{DateTime, Utc};
use herald_protocol::{
    decide, escalation_reminder, escalation_step, EscalationStep, Notification, Reminder,
};
use sqlx::{AnyConnection, Row};
use uuid::Uuid;

use super::rows::{InboxRow, PushRow, ReminderRow};
use super::*;
use crate::db::{RowExt, SqlTime};

/// Most reminders one job handles; the worker asks again while more are due.
pub const DUE_MAX: i64 = 500;

/// The reminders due, with their items and agents (agent columns as the batch's other
/// agent queries name them). Binds: now, the limit.
const DUE: &str = "
SELECT r.notification_id, r.kind, r.sent, n.data, n.read_at, n.snoozed_until, n.on_bell,
       a.id, a.workspace_id, a.external_id, a.prefs, a.last_seq, a.unread
  FROM reminders AS r
  JOIN notifications AS n ON n.id = r.notification_id
  JOIN agents AS a ON a.id = r.agent_id
  WHERE r.due_at <= $1 AND a.disabled_at IS NULL
  ORDER BY r.due_at, r.notification_id
  LIMIT $2";

/// Whether any reminder is due (the worker's cheap question before it asks the writer);
/// the same rows as [`DUE`] finds.
pub async fn any_due(db: &crate::db::Db, now: DateTime<Utc>) -> Result<bool, sqlx::Error> {
    let row = sqlx::query(
        "SELECT EXISTS (SELECT 1 FROM reminders AS r \
           JOIN notifications AS n ON n.id = r.notification_id \
           JOIN agents AS a ON a.id = r.agent_id \
           WHERE r.due_at <= $1 AND a.disabled_at IS NULL) AS due",
    )
    .bind(SqlTime(now))
    .fetch_one(&db.reader)
    .await?;
    row.flag("due")
}

impl Batch {
    /// Brings back what is due, and sums up the quiet times that are over; returns how many
    /// items came back or were made.
    pub(super) async fn returns(&mut self, conn: &mut AnyConnection) -> Result<usize, sqlx::Error> {
        // Reminders whose item is gone can never fire.
        sqlx::query(
            "DELETE FROM reminders WHERE due_at <= $1 \
             AND NOT EXISTS (SELECT 1 FROM notifications WHERE id = reminders.notification_id)",
        )
        .bind(SqlTime(self.now))
        .execute(&mut *conn)
        .await?;
        let rows = sqlx::query(DUE)
            .bind(SqlTime(self.now))
            .bind(DUE_MAX)
            .fetch_all(&mut *conn)
            .await?;
        self.remember(&rows)?;
        let mut back = 0;
        for row in &rows {
            let id = parse_uuid(row, "notification_id")?;
            let agent_id = parse_uuid(row, "id")?;
            let kind: String = row.try_get("kind")?;
            let data: String = row.try_get("data")?;
            let Ok(mut item) = serde_json::from_str::<Notification>(&data) else {
                tracing::error!(%id, "a reminded item's stored JSON is unreadable; dropping its reminder");
                self.reminders_done.push((id, kind));
                continue;
            };
            item.read_at = row.time("read_at")?;
            item.snoozed_until = row.time("snoozed_until")?;
            let on_bell = row.flag("on_bell")?;
            let came_back = match kind.as_str() {
                "snooze" => self.snooze_ended(agent_id, item, on_bell),
                "escalation" => {
                    let sent: i64 = row.try_get("sent")?;
                    self.escalate(agent_id, item, u8::try_from(sent).unwrap_or(u8::MAX))
                }
                _ => {
                    self.reminders_done.push((id, kind));
                    false
                }
            };
            back += usize::from(came_back);
        }
        Ok(back + self.quiet_summaries(conn).await?)
    }

    /// A snooze that ended: back unread, decided as a reminder. Brought back by hand
    /// meanwhile (not snoozed any more): nothing to do.
    fn snooze_ended(&mut self, agent_id: Uuid, item: Notification, on_bell: bool) -> bool {
        self.reminders_done.push((item.id, "snooze".into()));
        if item.snoozed_until.is_none() {
            return false;
        }
        self.bring_back(agent_id, item, Reminder::Snoozed, on_bell);
        true
    }

    /// An assignment's reminder: sent while it is unread (and not snoozed), waited out
    /// through pause and quiet hours, stopped once read or when the agent turned it off.
    fn escalate(&mut self, agent_id: Uuid, item: Notification, sent: u8) -> bool {
        let Some(agent) = self.agents.get(&agent_id) else {
            self.reminders_done.push((item.id, "escalation".into()));
            return false;
        };
        let prefs = &agent.prefs;
        let mut ctx = item.context;
        ctx.reminder = Some(escalation_reminder(prefs, sent));
        let decision = decide(&item.kind, &ctx, prefs, self.now);
        let unread = item.read_at.is_none() && item.snoozed_until.is_none();
        match escalation_step(prefs, sent, unread, &decision, self.now) {
            EscalationStep::Stop => {
                self.reminders_done.push((item.id, "escalation".into()));
                false
            }
            EscalationStep::Later(due) => {
                self.reminders.push(ReminderRow {
                    item: item.id,
                    kind: "escalation",
                    agent_id,
                    due,
                    sent,
                });
                false
            }
            EscalationStep::Send { reminder, next } => {
                match next {
                    Some(due) => self.reminders.push(ReminderRow {
                        item: item.id,
                        kind: "escalation",
                        agent_id,
                        due,
                        sent: sent.saturating_add(1),
                    }),
                    None => self.reminders_done.push((item.id, "escalation".into())),
                }
                self.bring_back(agent_id, item, reminder, true);
                true
            }
        }
    }

    /// Moves an item to the agent's next seq, unread, with the reminder's decision, and
    /// queues its push.
    fn bring_back(
        &mut self,
        agent_id: Uuid,
        mut item: Notification,
        reminder: Reminder,
        on_bell: bool,
    ) {
        let Some(agent) = self.agents.get_mut(&agent_id) else {
            return;
        };
        agent.last_seq += 1;
        if on_bell && item.read_at.is_some() {
            agent.unread += 1;
        }
        item.context.reminder = Some(reminder);
        item.decision = decide(&item.kind, &item.context, &agent.prefs, self.now);
        item.seq = u64::try_from(agent.last_seq).unwrap_or(0);
        item.read_at = None;
        item.snoozed_until = None;
        self.touched.insert(agent_id);
        self.note_quiet(agent_id, &item);
        if item.decision.push.delivers() {
            self.pushes.push(PushRow::for_item(agent_id, &item));
        }
        self.moved.push(InboxRow {
            agent_id,
            notification: item,
            on_bell,
        });
    }
}
