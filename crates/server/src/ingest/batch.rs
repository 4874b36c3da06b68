//! One transaction's worth of jobs, resolved in memory: idempotency, conversation state,
//! recipients, the policy per agent and their seqs. Safe because this writer is the only one
//! that writes events, conversations, inbox rows and seqs.

use std::borrow::Cow;
use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use herald_protocol::{
    decide, ActorRef, AgentContext, EventKind, FieldError, IngestResult, Notification,
    PlatformEvent, Preferences,
};
use sqlx::{AnyConnection, Row};
use uuid::Uuid;

use crate::db::Db;
use crate::error::AppError;
use crate::recipients::{context_for, plan, ConversationState};

use super::rows::*;
use super::*;

/// One transaction's worth of jobs, resolved in memory and written with bulk statements:
/// a handful of statements per batch instead of several per event. Safe because this
/// writer is the only one that writes events, conversations, inbox rows and seqs.
#[derive(Default)]
pub(super) struct Batch {
    /// The batch's time: every row it writes says it was made now.
    pub(super) now: DateTime<Utc>,
    /// This node's name, for the item hints (PostgreSQL).
    pub(super) node: Arc<str>,
    pub(super) agents: HashMap<Uuid, AgentRow>,
    pub(super) by_external: HashMap<(Uuid, String), Uuid>,
    /// Members of inbox / team groups and of whole workspaces, loaded on first use.
    pub(super) members: HashMap<(Uuid, String), Vec<Uuid>>,
    pub(super) conversations: HashMap<(Uuid, String), ConversationState>,
    pub(super) known_events: HashMap<(Uuid, String), KnownEvent>,
    pub(super) rows: Vec<InboxRow>,
    pub(super) events: Vec<EventRow>,
    pub(super) touched: BTreeSet<Uuid>,
    pub(super) alerts: Vec<AlertRow>,
    pub(super) pushes: Vec<PushRow>,
    /// Items that came back (see `returns`): moved to a new seq, unread.
    pub(super) moved: Vec<InboxRow>,
    /// Reminders to set (upserted by item and kind).
    pub(super) reminders: Vec<ReminderRow>,
    /// Reminders done (item, kind): deleted.
    pub(super) reminders_done: Vec<(Uuid, String)>,
    /// Agents whose quiet time held an item's push: (agent, when, the seq before it); the
    /// first one of a quiet time is kept.
    pub(super) quiet_begun: Vec<(Uuid, DateTime<Utc>, i64)>,
    /// Agents whose quiet summary was made (or was not needed).
    pub(super) quiet_done: Vec<Uuid>,
    /// Each workspace's declared link origins.
    pub(super) link_origins: HashMap<Uuid, Vec<String>>,
    /// When email is configured: how long alerts wait.
    pub(super) alert_delay: Option<chrono::Duration>,
}

impl Batch {
    /// Runs one batch in one transaction on the write connection: open it and preload, resolve
    /// every input in memory, write and commit. On an error nothing of it is kept.
    pub(super) async fn run(
        db: &Db,
        inputs: Vec<Input>,
        alert_delay: Option<std::time::Duration>,
        now: DateTime<Utc>,
        node: &Arc<str>,
    ) -> Result<Done, sqlx::Error> {
        let mut conn = db.writer.acquire().await?;
        let mut batch = Batch {
            now,
            node: Arc::clone(node),
            alert_delay: alert_delay.and_then(|d| chrono::Duration::from_std(d).ok()),
            ..Batch::default()
        };
        match batch.within(&mut conn, &inputs).await {
            Ok((answers, data)) => {
                let unread = batch.unread_after();
                let pushes = !batch.pushes.is_empty();
                let items = batch
                    .rows
                    .into_iter()
                    .chain(batch.moved)
                    .zip(data)
                    .map(|(row, data)| Committed {
                        id: row.notification.id,
                        agent_id: row.agent_id,
                        seq: row.notification.seq,
                        data,
                    })
                    .collect();
                Ok(Done {
                    answers,
                    items,
                    unread,
                    pushes,
                })
            }
            Err(err) => {
                rollback(&mut conn).await;
                Err(err)
            }
        }
    }

    /// The transaction's work; the caller rolls back on an error.
    async fn within(
        &mut self,
        conn: &mut AnyConnection,
        inputs: &[Input],
    ) -> Result<(Vec<Result<Answer, AppError>>, Vec<String>), sqlx::Error> {
        let t0 = std::time::Instant::now();
        self.begin_and_preload(conn, inputs).await?;
        let t1 = t0.elapsed();
        let mut answers = Vec::with_capacity(inputs.len());
        for input in inputs {
            answers.push(match input {
                Input::Event {
                    workspace_id,
                    event,
                } => self
                    .event(conn, *workspace_id, event, self.now)
                    .await?
                    .map(Answer::Event),
                Input::Test { agent_id, mention } => self
                    .test(*agent_id, *mention, self.now)
                    .map(|t| Answer::Test(Box::new(t))),
                Input::Returns => Ok(Answer::Returns(self.returns(conn).await?)),
            });
        }
        let t2 = t0.elapsed();
        let data = self.flush_and_commit(conn).await?;
        tracing::trace!(
            n = inputs.len(),
            preload_us = t1.as_micros() as u64,
            resolve_us = (t2 - t1).as_micros() as u64,
            write_and_commit_us = (t0.elapsed() - t2).as_micros() as u64,
            "batch phases"
        );
        Ok((answers, data))
    }

    /// Keeps agent rows; returns their ids.
    pub(super) fn remember(
        &mut self,
        rows: &[sqlx::any::AnyRow],
    ) -> Result<Vec<Uuid>, sqlx::Error> {
        let mut ids = Vec::with_capacity(rows.len());
        for row in rows {
            let id = parse_uuid(row, "id")?;
            ids.push(id);
            if self.agents.contains_key(&id) {
                continue; // this batch may already have moved its seq on
            }
            let workspace_id = parse_uuid(row, "workspace_id")?;
            let external_id: String = row.try_get("external_id")?;
            let prefs: String = row.try_get("prefs")?;
            // Stored preferences were validated on write; unreadable ones fall back to the
            // defaults rather than losing the notification.
            let prefs = serde_json::from_str(&prefs).unwrap_or_else(|e| {
                tracing::error!(agent_id = %id, error = %e, "stored preferences unreadable, using defaults");
                Preferences::default()
            });
            self.by_external
                .insert((workspace_id, external_id.clone()), id);
            self.agents.insert(
                id,
                AgentRow {
                    workspace_id,
                    external_id,
                    prefs,
                    last_seq: row.try_get("last_seq")?,
                    unread: row.try_get("unread")?,
                    added: 0,
                },
            );
        }
        Ok(ids)
    }

    pub(super) async fn event(
        &mut self,
        tx: &mut AnyConnection,
        ws: Uuid,
        event: &PlatformEvent,
        now: DateTime<Utc>,
    ) -> Result<Result<IngestResult, AppError>, sqlx::Error> {
        let hash = match fingerprint(event) {
            Ok(hash) => hash,
            Err(e) => return Ok(Err(e)),
        };
        let key = (ws, event.id.clone());
        if let Some(known) = self.known_events.get(&key) {
            if known.body_hash != hash {
                return Ok(Err(AppError::Conflict(format!(
                    "event {:?} was already received with a different body",
                    clip(&event.id, 80)
                ))));
            }
            return Ok(Ok(IngestResult {
                event_id: event.id.clone(),
                duplicate: true,
                recipients: u32::try_from(known.recipients).unwrap_or(0),
                dropped: vec![],
            }));
        }
        // The fingerprint is of the event as sent; what is stored has only links it may keep.
        let (event, withheld, dropped) = self.keep_safe_links(ws, event);
        let event = event.as_ref();
        let state = match &event.conversation {
            Some(c) => {
                let key = (ws, c.id.clone());
                let state = self
                    .conversations
                    .remove(&key)
                    .unwrap_or_default()
                    .after(event);
                self.conversations.insert(key, state.clone());
                state
            }
            None => ConversationState::default().after(event),
        };
        let plan = plan(event, &state);
        let mut recipients: Vec<Uuid> = plan
            .named
            .iter()
            .filter_map(|name| self.by_external.get(&(ws, name.clone())).copied())
            .collect();
        let mut in_named_teams = std::collections::HashSet::new();
        for team in &event.teams {
            in_named_teams.extend(self.members(tx, ws, &format!("team:{team}")).await?);
        }
        if !plan.groups.is_empty() || plan.whole_workspace_if_groups_empty {
            let mut members = Vec::new();
            for group in &plan.groups {
                members.extend(self.members(tx, ws, group).await?);
            }
            if members.is_empty() && plan.whole_workspace_if_groups_empty {
                members = self.members(tx, ws, "*").await?;
            }
            recipients.extend(members.into_iter().filter(|id| {
                self.agents.get(id).map(|a| Some(&a.external_id)) != Some(plan.actor.as_ref())
            }));
        }
        recipients.sort_unstable();
        recipients.dedup();
        for agent_id in &recipients {
            let Some(agent) = self.agents.get(agent_id) else {
                continue;
            };
            let in_team = in_named_teams.contains(agent_id);
            let mut ctx = context_for(&agent.external_id, event, &state, in_team);
            ctx.group_rule = agent
                .prefs
                .group_rule_for(state.inbox_id.as_deref(), state.team_id.as_deref());
            self.deliver(*agent_id, event, ctx, now, withheld.as_deref());
        }
        let count = u32::try_from(recipients.len()).unwrap_or(u32::MAX);
        self.events.push(EventRow {
            workspace_id: ws,
            event_id: event.id.clone(),
            body_hash: hash.clone(),
            kind: event.kind.as_str().to_owned(),
            recipients: i64::from(count),
        });
        let known = KnownEvent {
            body_hash: hash,
            recipients: i64::from(count),
        };
        self.known_events.insert(key, known);
        Ok(Ok(IngestResult {
            event_id: event.id.clone(),
            duplicate: false,
            recipients: count,
            dropped,
        }))
    }

    /// The event without a conversation link it may not keep (see `link_check`), the
    /// refused link as text, and the answer's note of it.
    fn keep_safe_links<'e>(
        &self,
        ws: Uuid,
        event: &'e PlatformEvent,
    ) -> (Cow<'e, PlatformEvent>, Option<String>, Vec<FieldError>) {
        let Some(link) = event.conversation.as_ref().and_then(|c| c.url.as_deref()) else {
            return (Cow::Borrowed(event), None, vec![]);
        };
        let origins = self.link_origins.get(&ws).map_or(&[][..], Vec::as_slice);
        let Some(reason) = link_check::refuse(link, origins) else {
            return (Cow::Borrowed(event), None, vec![]);
        };
        let withheld = link_check::as_text(link);
        let mut kept = event.clone();
        if let Some(conversation) = kept.conversation.as_mut() {
            conversation.url = None;
        }
        let dropped = FieldError {
            field: "conversation.url".into(),
            message: reason,
        };
        (Cow::Owned(kept), Some(withheld), vec![dropped])
    }

    /// A test event for one agent (its row was preloaded): the test kind, which goes to
    /// every channel some event uses, or a mention, decided by the rules for mentions.
    pub(super) fn test(
        &mut self,
        agent_id: Uuid,
        mention: bool,
        now: DateTime<Utc>,
    ) -> Result<TestDone, AppError> {
        let Some(agent) = self.agents.get(&agent_id) else {
            return Err(AppError::NotFound("no such agent"));
        };
        let ws = agent.workspace_id;
        let (kind, text) = if mention {
            (
                EventKind::Mention,
                "A test mention from Herald: it followed your rules for mentions (Why? says what each channel decided).",
            )
        } else {
            (
                EventKind::Test,
                "If you can read this, notifications reach you here.",
            )
        };
        let event = PlatformEvent {
            id: format!("test-{}", Uuid::now_v7()),
            kind,
            occurred_at: now,
            conversation: None,
            actor: Some(ActorRef {
                agent_id: None,
                name: "Herald".into(),
            }),
            assignee: None,
            mentioned: vec![],
            participants: vec![],
            text: Some(text.into()),
            module: None,
            recipients: vec![],
            teams: vec![],
        };
        let ctx = AgentContext {
            directly_addressed: true,
            mentioned: mention,
            ..AgentContext::default()
        };
        let notification = self.deliver(agent_id, &event, ctx, now, None);
        self.events.push(EventRow {
            workspace_id: ws,
            event_id: event.id,
            body_hash: String::new(),
            kind: "test".into(),
            recipients: 1,
        });
        let email_due = self
            .alerts
            .iter()
            .find(|a| a.item == notification.id)
            .map(|a| a.due);
        Ok(TestDone {
            notification,
            live_streams: 0, // counted by the writer once it publishes, after the commit
            email_due,
        })
    }

    /// Applies the agent's preferences and queues the inbox row.
    pub(super) fn deliver(
        &mut self,
        agent_id: Uuid,
        event: &PlatformEvent,
        ctx: AgentContext,
        now: DateTime<Utc>,
        withheld_link: Option<&str>,
    ) -> Notification {
        let (decision, seq) = match self.agents.get_mut(&agent_id) {
            Some(agent) => {
                agent.last_seq += 1;
                let decision = decide(&event.kind, &ctx, &agent.prefs, now);
                if decision.dashboard.delivers() {
                    agent.unread += 1;
                    agent.added += 1;
                }
                (decision, agent.last_seq)
            }
            None => (decide(&event.kind, &ctx, &Preferences::default(), now), 0),
        };
        let on_bell = decision.dashboard.delivers();
        let (title, body) = texts(event);
        let notification = Notification {
            id: Uuid::now_v7(),
            seq: u64::try_from(seq).unwrap_or(0),
            event_id: event.id.clone(),
            kind: event.kind.clone(),
            title,
            body,
            conversation: event.conversation.clone(),
            withheld_link: withheld_link.map(str::to_owned),
            actor: event.actor.clone(),
            severity: event.module.as_ref().map(|m| m.severity),
            occurred_at: event.occurred_at,
            created_at: now,
            read_at: None,
            snoozed_until: None,
            digest: None,
            decision,
            context: ctx,
        };
        self.touched.insert(agent_id);
        if let (Some(delay), true) = (self.alert_delay, notification.decision.email.delivers()) {
            let conversation = notification.conversation.as_ref().map(|c| c.id.clone());
            // "Save and test" waits for the relay's answer: its email goes at once.
            let delay = if event.kind == EventKind::Test {
                chrono::Duration::zero()
            } else {
                delay
            };
            self.alerts.push(AlertRow {
                agent_id,
                item: notification.id,
                conversation,
                due: now + delay,
            });
        }
        self.note_quiet(agent_id, &notification);
        let escalation = match self.agents.get(&agent_id) {
            Some(agent) if event.kind == EventKind::Assignment && ctx.assigned_to_me && on_bell => {
                agent.prefs.escalation.first_due(now)
            }
            _ => None,
        };
        if let Some(due) = escalation {
            self.reminders.push(ReminderRow {
                item: notification.id,
                kind: "escalation",
                agent_id,
                due,
                sent: 0,
            });
        }
        if notification.decision.push.delivers() {
            self.pushes.push(PushRow::for_item(agent_id, &notification));
        }
        self.rows.push(InboxRow {
            agent_id,
            notification: notification.clone(),
            on_bell,
        });
        notification
    }
}

impl Batch {
    /// The unread counters the batch leaves, for the touched agents' streams.
    pub(super) fn unread_after(&self) -> Vec<(Uuid, herald_protocol::UnreadCount)> {
        self.touched
            .iter()
            .filter_map(|id| {
                let agent = self.agents.get(id)?;
                Some((
                    *id,
                    herald_protocol::UnreadCount {
                        total: u32::try_from(agent.unread.max(0)).unwrap_or(u32::MAX),
                    },
                ))
            })
            .collect()
    }
}
