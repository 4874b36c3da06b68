//! Ingest: validation, then the group-commit writer that turns events into inbox rows.
//!
//! Handlers queue a [`Job`] and wait for its answer; one writer task takes every job that is
//! waiting (up to [`MAX_BATCH`]) and runs them in one transaction, so one disk sync
//! acknowledges hundreds of events. An answer is sent only after the commit: an event
//! acknowledged to the platform is on disk. Live delivery to the hub happens after the
//! commit too, so a client never sees an item that could still be rolled back.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use herald_protocol::{
    decide, ActorRef, AgentContext, EventKind, FieldError, IngestResult, Notification,
    PlatformEvent, Preferences, ServerMessage,
};
use sha2::{Digest, Sha256};
use sqlx::{QueryBuilder, Row, Sqlite, SqliteConnection};
use tokio::sync::{mpsc, oneshot};
use uuid::Uuid;

use crate::db::Db;
use crate::error::AppError;
use crate::hub::Hub;
use crate::recipients::{context_for, plan, ConversationState};

/// Most jobs in one transaction.
pub const MAX_BATCH: usize = 1024;
/// Jobs that may wait for the writer before handlers wait for room (backpressure).
const QUEUE: usize = 16 * 1024;

/// Longest title kept (characters).
const TITLE_MAX: usize = 300;
/// Longest body kept (characters).
const BODY_MAX: usize = 2000;

/// Work for the writer.
#[derive(Debug)]
pub enum Job {
    /// A platform event.
    Event {
        /// The workspace of the ingest key.
        workspace_id: Uuid,
        /// The validated event (boxed: jobs queue up by the thousand).
        event: Box<PlatformEvent>,
        /// Where the answer goes.
        reply: oneshot::Sender<Result<IngestResult, AppError>>,
    },
    /// A test notification for one agent.
    Test {
        /// The agent.
        agent_id: Uuid,
        /// Where the answer goes.
        reply: oneshot::Sender<Result<Notification, AppError>>,
    },
}

/// The handlers' side of the writer.
#[derive(Debug, Clone)]
pub struct Ingest {
    jobs: mpsc::Sender<Job>,
}

impl Ingest {
    /// Starts the writer. It ends, after committing every queued job, once every [`Ingest`]
    /// handle is dropped.
    /// `max_batch` bounds the jobs of one transaction (1 commits every event on its own);
    /// with `alert_delay`, email alerts are queued in the outbox, due after that delay.
    pub fn start(
        db: Db,
        hub: Arc<Hub>,
        max_batch: usize,
        alert_delay: Option<std::time::Duration>,
    ) -> (Ingest, tokio::task::JoinHandle<()>) {
        let (jobs, rx) = mpsc::channel(QUEUE);
        let task = tokio::spawn(writer(
            db,
            hub,
            rx,
            max_batch.clamp(1, MAX_BATCH),
            alert_delay,
        ));
        (Ingest { jobs }, task)
    }

    /// Ingests one validated event; returns after it is durable.
    pub async fn event(
        &self,
        workspace_id: Uuid,
        event: PlatformEvent,
    ) -> Result<IngestResult, AppError> {
        let (reply, answer) = oneshot::channel();
        self.submit(Job::Event {
            workspace_id,
            event: Box::new(event),
            reply,
        })
        .await?;
        answer.await.map_err(|_| not_stored())?
    }

    /// Sends a test notification through the whole pipeline to one agent.
    pub async fn test(&self, agent_id: Uuid) -> Result<Notification, AppError> {
        let (reply, answer) = oneshot::channel();
        self.submit(Job::Test { agent_id, reply }).await?;
        answer.await.map_err(|_| not_stored())?
    }

    async fn submit(&self, job: Job) -> Result<(), AppError> {
        self.jobs.send(job).await.map_err(|_| stopped())
    }
}

fn not_stored() -> AppError {
    AppError::Unavailable("storing failed; nothing was kept, send it again")
}

fn stopped() -> AppError {
    AppError::Unavailable("the server is shutting down; try again in a moment")
}

/// Checks what serde cannot, with a message per field.
pub fn validate(event: &PlatformEvent) -> Result<(), AppError> {
    let mut fields = Vec::new();
    let mut bad = |field: &str, message: &str| {
        fields.push(FieldError {
            field: field.into(),
            message: message.into(),
        })
    };
    let id_ok = |s: &str| !s.trim().is_empty() && s.len() <= 200;
    if !id_ok(&event.id) {
        bad("id", "the event id must be 1 to 200 characters");
    }
    if event.kind == EventKind::Test {
        bad(
            "kind",
            "test events are made by Herald itself (POST /api/v1/test-notification)",
        );
    }
    let lists = [
        ("mentioned", &event.mentioned),
        ("participants", &event.participants),
        ("recipients", &event.recipients),
    ];
    for (name, list) in lists {
        if list.len() > 1000 {
            bad(name, "at most 1000 agents");
        }
        if !list.iter().all(|a| id_ok(a)) {
            bad(name, "agent ids must be 1 to 200 characters");
        }
    }
    if let Some(conversation) = &event.conversation {
        if !id_ok(&conversation.id) {
            bad(
                "conversation.id",
                "the conversation id must be 1 to 200 characters",
            );
        }
    }
    if event.kind == EventKind::Module {
        if event.module.is_none() {
            bad(
                "module",
                "a module event needs its module part (name, kind, title)",
            );
        }
        if event.recipients.is_empty() {
            bad("recipients", "a module event names its recipients");
        }
    }
    if fields.is_empty() {
        Ok(())
    } else {
        Err(AppError::Invalid {
            message: "the event is invalid".into(),
            fields,
        })
    }
}

/// The idempotency fingerprint of an event: a hash of its canonical JSON.
fn fingerprint(event: &PlatformEvent) -> Result<String, AppError> {
    let bytes = serde_json::to_vec(event)?;
    Ok(crate::token::hex(&Sha256::digest(&bytes)))
}

/// A job split into its input and where its answer goes.
enum Input {
    Event {
        workspace_id: Uuid,
        event: Box<PlatformEvent>,
    },
    Test {
        agent_id: Uuid,
    },
}

enum Answer {
    Event(IngestResult),
    Test(Box<Notification>),
}

enum Reply {
    Event(oneshot::Sender<Result<IngestResult, AppError>>),
    Test(oneshot::Sender<Result<Notification, AppError>>),
}

impl Reply {
    fn send(self, answer: Result<Answer, AppError>) {
        match (self, answer) {
            (Reply::Event(tx), Ok(Answer::Event(r))) => drop(tx.send(Ok(r))),
            (Reply::Test(tx), Ok(Answer::Test(n))) => drop(tx.send(Ok(*n))),
            (Reply::Event(tx), Err(e)) => drop(tx.send(Err(e))),
            (Reply::Test(tx), Err(e)) => drop(tx.send(Err(e))),
            // Answers are built from the input of the same job; a mismatch is a bug.
            (Reply::Event(_), Ok(Answer::Test(_))) | (Reply::Test(_), Ok(Answer::Event(_))) => {
                tracing::error!("an answer of the wrong kind; dropping it");
            }
        }
    }
}

async fn writer(
    db: Db,
    hub: Arc<Hub>,
    mut rx: mpsc::Receiver<Job>,
    max_batch: usize,
    alert_delay: Option<std::time::Duration>,
) {
    let mut jobs = Vec::with_capacity(max_batch);
    while rx.recv_many(&mut jobs, max_batch).await > 0 {
        let (inputs, replies): (Vec<Input>, Vec<Reply>) = jobs
            .drain(..)
            .map(|job| match job {
                Job::Event {
                    workspace_id,
                    event,
                    reply,
                } => (
                    Input::Event {
                        workspace_id,
                        event,
                    },
                    Reply::Event(reply),
                ),
                Job::Test { agent_id, reply } => (Input::Test { agent_id }, Reply::Test(reply)),
            })
            .unzip();
        let count = inputs.len();
        let started = std::time::Instant::now();
        match Batch::run(&db, inputs, alert_delay).await {
            Ok(done) => {
                let stored = started.elapsed();
                for (agent_id, notification) in done.items {
                    hub.publish(
                        agent_id,
                        &ServerMessage::Item {
                            replay: false,
                            notification: Box::new(notification),
                        },
                    );
                }
                for (agent_id, unread) in done.unread {
                    hub.publish(agent_id, &ServerMessage::Unread { unread });
                }
                for (reply, answer) in replies.into_iter().zip(done.answers) {
                    reply.send(answer);
                }
                tracing::debug!(
                    count,
                    stored_us = stored.as_micros() as u64,
                    "batch committed"
                );
                db.checkpoint_if_large().await;
            }
            Err(err) => {
                tracing::error!(error = %err, count, "batch failed; nothing of it was acknowledged");
                for reply in replies {
                    reply.send(Err(not_stored()));
                }
            }
        }
    }
    tracing::info!("ingest writer stopped after its last batch");
}

/// An agent as the writer needs it.
#[derive(Debug, Clone)]
struct AgentRow {
    workspace_id: Uuid,
    external_id: String,
    prefs: Preferences,
    last_seq: i64,
}

/// What a committed batch tells: one answer per input (in order), the new items, counters.
struct Done {
    answers: Vec<Result<Answer, AppError>>,
    items: Vec<(Uuid, Notification)>,
    unread: Vec<(Uuid, herald_protocol::UnreadCount)>,
}

/// One transaction's worth of jobs, resolved in memory and written with bulk statements:
/// a handful of statements per batch instead of several per event. Safe because this
/// writer is the only one that writes events, conversations, inbox rows and seqs.
#[derive(Default)]
struct Batch {
    agents: HashMap<Uuid, AgentRow>,
    by_external: HashMap<(Uuid, String), Uuid>,
    /// Members of inbox / team groups and of whole workspaces, loaded on first use.
    members: HashMap<(Uuid, String), Vec<Uuid>>,
    conversations: HashMap<(Uuid, String), ConversationState>,
    known_events: HashMap<(Uuid, String), (String, i64)>,
    rows: Vec<(Uuid, Notification, bool)>,
    events: Vec<(Uuid, String, String, String, i64)>,
    touched: BTreeSet<Uuid>,
    /// Email alerts to queue: (agent, item, due).
    alerts: Vec<(Uuid, Uuid, Option<String>, DateTime<Utc>)>,
    /// When email is configured: how long alerts wait.
    alert_delay: Option<chrono::Duration>,
}

/// Rows per multi-row statement (SQLite allows 32 766 bound values).
const CHUNK: usize = 500;

impl Batch {
    async fn run(
        db: &Db,
        inputs: Vec<Input>,
        alert_delay: Option<std::time::Duration>,
    ) -> Result<Done, sqlx::Error> {
        let now = Utc::now();
        let t0 = std::time::Instant::now();
        let mut tx = db.write_tx().await?;
        let mut batch = Batch {
            alert_delay: alert_delay.and_then(|d| chrono::Duration::from_std(d).ok()),
            ..Batch::default()
        };
        batch.preload(&mut tx, &inputs).await?;
        let t1 = t0.elapsed();
        let mut answers = Vec::with_capacity(inputs.len());
        for input in &inputs {
            answers.push(match input {
                Input::Event {
                    workspace_id,
                    event,
                } => batch
                    .event(&mut tx, *workspace_id, event, now)
                    .await?
                    .map(Answer::Event),
                Input::Test { agent_id } => batch
                    .test(*agent_id, now)
                    .map(|n| Answer::Test(Box::new(n))),
            });
        }
        let t2 = t0.elapsed();
        batch.flush(&mut tx).await?;
        let t3 = t0.elapsed();
        let unread = unread_counts(&mut tx, &batch.touched).await?;
        let t4 = t0.elapsed();
        tx.commit().await?;
        tracing::trace!(
            n = inputs.len(),
            preload_us = t1.as_micros() as u64,
            resolve_us = (t2 - t1).as_micros() as u64,
            flush_us = (t3 - t2).as_micros() as u64,
            unread_us = (t4 - t3).as_micros() as u64,
            commit_us = (t0.elapsed() - t4).as_micros() as u64,
            "batch phases"
        );
        Ok(Done {
            answers,
            items: batch.rows.into_iter().map(|(a, n, _)| (a, n)).collect(),
            unread,
        })
    }

    /// Loads, in a few queries, what the batch's events refer to.
    async fn preload(
        &mut self,
        tx: &mut SqliteConnection,
        inputs: &[Input],
    ) -> Result<(), sqlx::Error> {
        let events: Vec<(Uuid, &PlatformEvent)> = inputs
            .iter()
            .filter_map(|i| match i {
                Input::Event {
                    workspace_id,
                    event,
                } => Some((*workspace_id, event.as_ref())),
                Input::Test { .. } => None,
            })
            .collect();
        // Events seen before (idempotency).
        for chunk in events.chunks(CHUNK) {
            let mut q = QueryBuilder::<Sqlite>::new(
                "SELECT workspace_id, event_id, body_hash, recipients FROM events WHERE (workspace_id, event_id) IN (VALUES ",
            );
            push_pairs(
                &mut q,
                chunk.iter().map(|(ws, e)| (ws.to_string(), e.id.clone())),
            );
            q.push(")");
            for row in q.build().fetch_all(&mut *tx).await? {
                let key = (parse_uuid(&row, "workspace_id")?, row.try_get("event_id")?);
                self.known_events
                    .insert(key, (row.try_get("body_hash")?, row.try_get("recipients")?));
            }
        }
        // Conversations' earlier state.
        let conversations: BTreeSet<(Uuid, String)> = events
            .iter()
            .filter_map(|(ws, e)| e.conversation.as_ref().map(|c| (*ws, c.id.clone())))
            .collect();
        let conversations: Vec<_> = conversations.into_iter().collect();
        for chunk in conversations.chunks(CHUNK) {
            let mut q = QueryBuilder::<Sqlite>::new(
                "SELECT workspace_id, conversation_id, assignee, participants, inbox_id, team_id FROM conversations \
                 WHERE (workspace_id, conversation_id) IN (VALUES ",
            );
            push_pairs(
                &mut q,
                chunk.iter().map(|(ws, id)| (ws.to_string(), id.clone())),
            );
            q.push(")");
            for row in q.build().fetch_all(&mut *tx).await? {
                let participants: String = row.try_get("participants")?;
                let state = ConversationState {
                    assignee: row.try_get("assignee")?,
                    participants: serde_json::from_str(&participants).unwrap_or_default(),
                    inbox_id: row.try_get("inbox_id")?,
                    team_id: row.try_get("team_id")?,
                };
                self.conversations.insert(
                    (
                        parse_uuid(&row, "workspace_id")?,
                        row.try_get("conversation_id")?,
                    ),
                    state,
                );
            }
        }
        // Every agent the events or those conversations name.
        let mut names: BTreeSet<(Uuid, String)> = BTreeSet::new();
        for (ws, e) in &events {
            let direct = e
                .recipients
                .iter()
                .chain(&e.mentioned)
                .chain(&e.participants)
                .chain(e.assignee.iter());
            names.extend(direct.map(|n| (*ws, n.clone())));
        }
        for ((ws, _), state) in &self.conversations {
            let known = state.participants.iter().chain(state.assignee.iter());
            names.extend(known.map(|n| (*ws, n.clone())));
        }
        let names: Vec<_> = names.into_iter().collect();
        for chunk in names.chunks(CHUNK) {
            let mut q = QueryBuilder::<Sqlite>::new(
                "SELECT id, workspace_id, external_id, prefs, last_seq FROM agents \
                 WHERE disabled_at IS NULL AND (workspace_id, external_id) IN (VALUES ",
            );
            push_pairs(
                &mut q,
                chunk
                    .iter()
                    .map(|(ws, name)| (ws.to_string(), name.clone())),
            );
            q.push(")");
            let rows = q.build().fetch_all(&mut *tx).await?;
            self.remember(&rows)?;
        }
        let tests: Vec<Uuid> = inputs
            .iter()
            .filter_map(|i| match i {
                Input::Test { agent_id } => Some(*agent_id),
                Input::Event { .. } => None,
            })
            .collect();
        for chunk in tests.chunks(CHUNK) {
            let mut q = QueryBuilder::<Sqlite>::new(
                "SELECT id, workspace_id, external_id, prefs, last_seq FROM agents WHERE disabled_at IS NULL AND id IN (",
            );
            let mut list = q.separated(", ");
            for id in chunk {
                list.push_bind(id.to_string());
            }
            q.push(")");
            let rows = q.build().fetch_all(&mut *tx).await?;
            self.remember(&rows)?;
        }
        Ok(())
    }

    /// Keeps agent rows; returns their ids.
    fn remember(&mut self, rows: &[sqlx::sqlite::SqliteRow]) -> Result<Vec<Uuid>, sqlx::Error> {
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
                },
            );
        }
        Ok(ids)
    }

    /// Members of a group (`inbox:x` / `team:y`), or of the whole workspace (`*`).
    async fn members(
        &mut self,
        tx: &mut SqliteConnection,
        ws: Uuid,
        group: &str,
    ) -> Result<Vec<Uuid>, sqlx::Error> {
        let key = (ws, group.to_owned());
        if let Some(ids) = self.members.get(&key) {
            return Ok(ids.clone());
        }
        let rows = if group == "*" {
            sqlx::query(
                "SELECT id, workspace_id, external_id, prefs, last_seq FROM agents \
                 WHERE workspace_id = $1 AND disabled_at IS NULL",
            )
            .bind(ws.to_string())
            .fetch_all(&mut *tx)
            .await?
        } else {
            sqlx::query(
                "SELECT a.id, a.workspace_id, a.external_id, a.prefs, a.last_seq FROM agent_groups g \
                 JOIN agents a ON a.id = g.agent_id \
                 WHERE g.group_key = $1 AND a.workspace_id = $2 AND a.disabled_at IS NULL",
            )
            .bind(group)
            .bind(ws.to_string())
            .fetch_all(&mut *tx)
            .await?
        };
        let ids = self.remember(&rows)?;
        self.members.insert(key, ids.clone());
        Ok(ids)
    }

    async fn event(
        &mut self,
        tx: &mut SqliteConnection,
        ws: Uuid,
        event: &PlatformEvent,
        now: DateTime<Utc>,
    ) -> Result<Result<IngestResult, AppError>, sqlx::Error> {
        let hash = match fingerprint(event) {
            Ok(hash) => hash,
            Err(e) => return Ok(Err(e)),
        };
        let key = (ws, event.id.clone());
        if let Some((stored, recipients)) = self.known_events.get(&key) {
            if *stored != hash {
                return Ok(Err(AppError::Conflict(format!(
                    "event {:?} was already received with a different body",
                    clip(&event.id, 80)
                ))));
            }
            return Ok(Ok(IngestResult {
                event_id: event.id.clone(),
                duplicate: true,
                recipients: u32::try_from(*recipients).unwrap_or(0),
            }));
        }
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
            let ctx = context_for(&agent.external_id, event, &state);
            self.deliver(*agent_id, event, ctx, now);
        }
        let count = u32::try_from(recipients.len()).unwrap_or(u32::MAX);
        self.events.push((
            ws,
            event.id.clone(),
            hash.clone(),
            event.kind.as_str().to_owned(),
            i64::from(count),
        ));
        self.known_events.insert(key, (hash, i64::from(count)));
        Ok(Ok(IngestResult {
            event_id: event.id.clone(),
            duplicate: false,
            recipients: count,
        }))
    }

    /// A test event for one agent (its row was preloaded).
    fn test(&mut self, agent_id: Uuid, now: DateTime<Utc>) -> Result<Notification, AppError> {
        let Some(agent) = self.agents.get(&agent_id) else {
            return Err(AppError::NotFound("no such agent"));
        };
        let ws = agent.workspace_id;
        let event = PlatformEvent {
            id: format!("test-{}", Uuid::now_v7()),
            kind: EventKind::Test,
            occurred_at: now,
            conversation: None,
            actor: Some(ActorRef {
                agent_id: None,
                name: "Herald".into(),
            }),
            assignee: None,
            mentioned: vec![],
            participants: vec![],
            text: Some("If you can read this, notifications reach you here.".into()),
            module: None,
            recipients: vec![],
        };
        let ctx = AgentContext {
            directly_addressed: true,
            ..AgentContext::default()
        };
        let notification = self.deliver(agent_id, &event, ctx, now);
        self.events
            .push((ws, event.id, String::new(), "test".into(), 1));
        Ok(notification)
    }

    /// Applies the agent's preferences and queues the inbox row.
    fn deliver(
        &mut self,
        agent_id: Uuid,
        event: &PlatformEvent,
        ctx: AgentContext,
        now: DateTime<Utc>,
    ) -> Notification {
        let (decision, seq) = match self.agents.get_mut(&agent_id) {
            Some(agent) => {
                agent.last_seq += 1;
                (decide(&event.kind, &ctx, &agent.prefs, now), agent.last_seq)
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
            actor: event.actor.clone(),
            severity: event.module.as_ref().map(|m| m.severity),
            occurred_at: event.occurred_at,
            created_at: now,
            read_at: None,
            decision,
            context: ctx,
        };
        self.touched.insert(agent_id);
        if let (Some(delay), true) = (self.alert_delay, notification.decision.email.delivers()) {
            let conversation = notification.conversation.as_ref().map(|c| c.id.clone());
            self.alerts
                .push((agent_id, notification.id, conversation, now + delay));
        }
        self.rows.push((agent_id, notification.clone(), on_bell));
        notification
    }

    /// Writes everything with multi-row statements.
    async fn flush(&self, tx: &mut SqliteConnection) -> Result<(), sqlx::Error> {
        for chunk in self.rows.chunks(CHUNK) {
            let mut q = QueryBuilder::<Sqlite>::new(
                "INSERT INTO notifications (id, agent_id, seq, event_id, kind, conversation_id, on_bell, created_at, data) ",
            );
            let mut encoded = Vec::with_capacity(chunk.len());
            for (_, n, _) in chunk {
                encoded.push(serde_json::to_string(n).map_err(|e| sqlx::Error::Encode(e.into()))?);
            }
            q.push_values(
                chunk.iter().zip(encoded),
                |mut b, ((agent_id, n, on_bell), data)| {
                    b.push_bind(n.id.to_string())
                        .push_bind(agent_id.to_string())
                        .push_bind(i64::try_from(n.seq).unwrap_or(i64::MAX))
                        .push_bind(n.event_id.clone())
                        .push_bind(n.kind.as_str().to_owned())
                        .push_bind(n.conversation.as_ref().map(|c| c.id.clone()))
                        .push_bind(*on_bell)
                        .push_bind(n.created_at)
                        .push_bind(data);
                },
            );
            q.build().execute(&mut *tx).await?;
        }
        let now = Utc::now();
        for chunk in self.alerts.chunks(CHUNK) {
            let mut q = QueryBuilder::<Sqlite>::new(
                "INSERT INTO outbox (id, agent_id, kind, dedupe_key, notification_id, conversation_id, status, not_before, created_at) ",
            );
            q.push_values(chunk, |mut b, (agent_id, item, conversation, due)| {
                b.push_bind(Uuid::now_v7().to_string())
                    .push_bind(agent_id.to_string())
                    .push_bind("alert")
                    .push_bind(format!("alert:{item}"))
                    .push_bind(item.to_string())
                    .push_bind(conversation.clone())
                    .push_bind("pending")
                    .push_bind(*due)
                    .push_bind(now);
            });
            q.build().execute(&mut *tx).await?;
        }
        for chunk in self.events.chunks(CHUNK) {
            let mut q = QueryBuilder::<Sqlite>::new(
                "INSERT INTO events (workspace_id, event_id, body_hash, kind, recipients, received_at) ",
            );
            q.push_values(chunk, |mut b, (ws, id, hash, kind, recipients)| {
                b.push_bind(ws.to_string())
                    .push_bind(id.clone())
                    .push_bind(hash.clone())
                    .push_bind(kind.clone())
                    .push_bind(*recipients)
                    .push_bind(now);
            });
            q.build().execute(&mut *tx).await?;
        }
        let conversations: Vec<_> = self.conversations.iter().collect();
        for chunk in conversations.chunks(CHUNK) {
            let mut q = QueryBuilder::<Sqlite>::new(
                "INSERT INTO conversations (workspace_id, conversation_id, assignee, participants, inbox_id, team_id, updated_at) ",
            );
            let mut encoded = Vec::with_capacity(chunk.len());
            for (_, state) in chunk {
                encoded.push(
                    serde_json::to_string(&state.participants)
                        .map_err(|e| sqlx::Error::Encode(e.into()))?,
                );
            }
            q.push_values(
                chunk.iter().zip(encoded),
                |mut b, (((ws, id), state), participants)| {
                    b.push_bind(ws.to_string())
                        .push_bind(id.clone())
                        .push_bind(state.assignee.clone())
                        .push_bind(participants)
                        .push_bind(state.inbox_id.clone())
                        .push_bind(state.team_id.clone())
                        .push_bind(now);
                },
            );
            q.push(
                " ON CONFLICT (workspace_id, conversation_id) DO UPDATE SET \
                 assignee = excluded.assignee, participants = excluded.participants, \
                 inbox_id = excluded.inbox_id, team_id = excluded.team_id, updated_at = excluded.updated_at",
            );
            q.build().execute(&mut *tx).await?;
        }
        let seqs: Vec<(Uuid, i64)> = self
            .touched
            .iter()
            .filter_map(|id| self.agents.get(id).map(|a| (*id, a.last_seq)))
            .collect();
        for chunk in seqs.chunks(CHUNK) {
            let mut q =
                QueryBuilder::<Sqlite>::new("UPDATE agents SET last_seq = v.column2 FROM (VALUES ");
            push_pairs(&mut q, chunk.iter().map(|(id, seq)| (id.to_string(), *seq)));
            q.push(") AS v WHERE agents.id = v.column1");
            q.build().execute(&mut *tx).await?;
        }
        Ok(())
    }
}

/// Appends `(a1, b1), (a2, b2), …` as bound values: the rows of a `VALUES` list.
fn push_pairs<'q, B>(q: &mut QueryBuilder<'q, Sqlite>, pairs: impl IntoIterator<Item = (String, B)>)
where
    B: 'q + sqlx::Encode<'q, Sqlite> + sqlx::Type<Sqlite> + Send,
{
    let mut list = q.separated(", ");
    for (a, b) in pairs {
        list.push("(");
        list.push_bind_unseparated(a);
        list.push_unseparated(", ");
        list.push_bind_unseparated(b);
        list.push_unseparated(")");
    }
}

/// Unread counters of the agents a batch touched, in one grouped query per chunk.
async fn unread_counts(
    tx: &mut SqliteConnection,
    agents: &BTreeSet<Uuid>,
) -> Result<Vec<(Uuid, herald_protocol::UnreadCount)>, sqlx::Error> {
    let agents: Vec<Uuid> = agents.iter().copied().collect();
    let mut out: HashMap<Uuid, u32> = agents.iter().map(|a| (*a, 0)).collect();
    for chunk in agents.chunks(CHUNK) {
        let mut q = QueryBuilder::<Sqlite>::new(
            "SELECT agent_id, COUNT(*) AS n FROM notifications WHERE on_bell = 1 AND read_at IS NULL AND agent_id IN (",
        );
        let mut list = q.separated(", ");
        for id in chunk {
            list.push_bind(id.to_string());
        }
        q.push(") GROUP BY agent_id");
        for row in q.build().fetch_all(&mut *tx).await? {
            let n: i64 = row.try_get("n")?;
            out.insert(
                parse_uuid(&row, "agent_id")?,
                u32::try_from(n).unwrap_or(u32::MAX),
            );
        }
    }
    Ok(out
        .into_iter()
        .map(|(a, total)| (a, herald_protocol::UnreadCount { total }))
        .collect())
}

fn parse_uuid(row: &sqlx::sqlite::SqliteRow, column: &str) -> Result<Uuid, sqlx::Error> {
    let text: String = row.try_get(column)?;
    Uuid::parse_str(&text).map_err(|e| sqlx::Error::Decode(e.into()))
}

/// The item's own text: subject or module title, and the message or module body.
fn texts(event: &PlatformEvent) -> (String, String) {
    let title = event
        .conversation
        .as_ref()
        .and_then(|c| c.subject.clone())
        .or_else(|| event.module.as_ref().map(|m| m.title.clone()))
        .unwrap_or_default();
    let body = event
        .text
        .clone()
        .or_else(|| event.module.as_ref().and_then(|m| m.body.clone()))
        .unwrap_or_default();
    (clip(&title, TITLE_MAX), clip(&body, BODY_MAX))
}

fn clip(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clip_counts_characters_not_bytes() {
        assert_eq!(clip("ação", 3), "açã…");
        assert_eq!(clip("abc", 3), "abc");
        assert_eq!(clip("👩‍👩‍👧", 1), "👩…");
    }
}
