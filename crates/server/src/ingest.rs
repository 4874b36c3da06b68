//! Ingest: validation, then the group-commit writer that turns events into inbox rows.
//!
//! Handlers queue a [`Job`] and wait for its answer; one writer task takes every job that is
//! waiting (up to [`MAX_BATCH`]) and runs them in one transaction, so one disk sync
//! acknowledges hundreds of events. An answer is sent only after the commit: an event
//! acknowledged to the platform is on disk. Live delivery to the hub happens after the
//! commit too, so a client never sees an item that could still be rolled back.

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::sync::Arc;

use chrono::{DateTime, Utc};
use herald_protocol::{
    decide, ActorRef, AgentContext, EventKind, FieldError, IngestResult, Notification,
    PlatformEvent, Preferences, ServerMessage,
};
use sha2::{Digest, Sha256};
use sqlx::{Row, SqliteConnection};
use tokio::sync::{mpsc, oneshot};
use uuid::Uuid;

use crate::db::Db;
use crate::error::AppError;
use crate::hub::Hub;
use crate::inbox;
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
    pub fn start(db: Db, hub: Arc<Hub>) -> (Ingest, tokio::task::JoinHandle<()>) {
        let (jobs, rx) = mpsc::channel(QUEUE);
        let task = tokio::spawn(writer(db, hub, rx));
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
    Ok(Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect())
}

/// What a committed batch must tell: answers, then live messages.
#[derive(Default)]
struct Outbox {
    answers: Vec<Box<dyn FnOnce() + Send>>,
    items: Vec<(Uuid, Notification)>,
    touched: BTreeSet<Uuid>,
}

async fn writer(db: Db, hub: Arc<Hub>, mut rx: mpsc::Receiver<Job>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while rx.recv_many(&mut batch, MAX_BATCH).await > 0 {
        let jobs = std::mem::take(&mut batch);
        let count = jobs.len();
        match run_batch(&db, jobs).await {
            Ok((outbox, unread)) => {
                for (agent_id, notification) in outbox.items {
                    hub.publish(
                        agent_id,
                        &ServerMessage::Item {
                            replay: false,
                            notification: Box::new(notification),
                        },
                    );
                }
                for (agent_id, unread) in unread {
                    hub.publish(agent_id, &ServerMessage::Unread { unread });
                }
                for answer in outbox.answers {
                    answer();
                }
                tracing::debug!(count, "batch committed");
            }
            Err((err, replies)) => {
                tracing::error!(error = %err, count, "batch failed; nothing of it was acknowledged");
                for reply in replies {
                    reply.fail();
                }
            }
        }
    }
    tracing::info!("ingest writer stopped after its last batch");
}

/// A job's reply channel, kept to answer with an error when the whole batch fails.
enum PendingReply {
    Event(oneshot::Sender<Result<IngestResult, AppError>>),
    Test(oneshot::Sender<Result<Notification, AppError>>),
}

impl PendingReply {
    fn fail(self) {
        let err = not_stored;
        match self {
            PendingReply::Event(tx) => drop(tx.send(Err(err()))),
            PendingReply::Test(tx) => drop(tx.send(Err(err()))),
        }
    }
}

type Unread = Vec<(Uuid, herald_protocol::UnreadCount)>;
type BatchResult = Result<(Outbox, Unread), (sqlx::Error, Vec<PendingReply>)>;

async fn run_batch(db: &Db, jobs: Vec<Job>) -> BatchResult {
    let mut work: VecDeque<Job> = jobs.into();
    let mut failed_reply = None;
    let result = run_jobs(db, &mut work, &mut failed_reply).await;
    result.map_err(|e| {
        // The job that hit the error and every job not reached yet get an answer too.
        let mut replies: Vec<PendingReply> = failed_reply.into_iter().collect();
        replies.extend(work.into_iter().map(|job| match job {
            Job::Event { reply, .. } => PendingReply::Event(reply),
            Job::Test { reply, .. } => PendingReply::Test(reply),
        }));
        (e, replies)
    })
}

async fn run_jobs(
    db: &Db,
    work: &mut VecDeque<Job>,
    failed_reply: &mut Option<PendingReply>,
) -> Result<(Outbox, Unread), sqlx::Error> {
    let mut tx = db.writer.begin().await?;
    let now = Utc::now();
    let mut outbox = Outbox::default();
    let mut prefs_cache: HashMap<Uuid, Preferences> = HashMap::new();
    while let Some(job) = work.pop_front() {
        match job {
            Job::Event {
                workspace_id,
                event,
                reply,
            } => {
                match ingest_one(
                    &mut tx,
                    &mut prefs_cache,
                    &mut outbox,
                    workspace_id,
                    &event,
                    now,
                )
                .await
                {
                    Ok(result) => outbox
                        .answers
                        .push(Box::new(move || drop(reply.send(Ok(result))))),
                    Err(Fatal::App(e)) => outbox
                        .answers
                        .push(Box::new(move || drop(reply.send(Err(e))))),
                    Err(Fatal::Sql(e)) => {
                        *failed_reply = Some(PendingReply::Event(reply));
                        return Err(e);
                    }
                }
            }
            Job::Test { agent_id, reply } => {
                match test_one(&mut tx, &mut prefs_cache, &mut outbox, agent_id, now).await {
                    Ok(n) => outbox
                        .answers
                        .push(Box::new(move || drop(reply.send(Ok(n))))),
                    Err(Fatal::App(e)) => outbox
                        .answers
                        .push(Box::new(move || drop(reply.send(Err(e))))),
                    Err(Fatal::Sql(e)) => {
                        *failed_reply = Some(PendingReply::Test(reply));
                        return Err(e);
                    }
                }
            }
        }
    }
    let mut unread = Vec::with_capacity(outbox.touched.len());
    for agent_id in &outbox.touched {
        unread.push((*agent_id, inbox::unread_count(&mut tx, *agent_id).await?));
    }
    tx.commit().await?;
    Ok((outbox, unread))
}

/// A job failed: for its own reason (answered, the batch goes on) or in the database
/// (the whole batch is rolled back).
enum Fatal {
    Sql(sqlx::Error),
    App(AppError),
}

impl From<sqlx::Error> for Fatal {
    fn from(e: sqlx::Error) -> Self {
        Fatal::Sql(e)
    }
}

async fn ingest_one(
    tx: &mut SqliteConnection,
    prefs_cache: &mut HashMap<Uuid, Preferences>,
    outbox: &mut Outbox,
    workspace_id: Uuid,
    event: &PlatformEvent,
    now: DateTime<Utc>,
) -> Result<IngestResult, Fatal> {
    let hash = fingerprint(event).map_err(Fatal::App)?;
    let ws = workspace_id.to_string();
    let seen = sqlx::query(
        "SELECT body_hash, recipients FROM events WHERE workspace_id = $1 AND event_id = $2",
    )
    .bind(&ws)
    .bind(&event.id)
    .fetch_optional(&mut *tx)
    .await?;
    if let Some(row) = seen {
        let stored: String = row.try_get("body_hash")?;
        if stored != hash {
            return Err(Fatal::App(AppError::Conflict(format!(
                "event {:?} was already received with a different body",
                clip(&event.id, 80)
            ))));
        }
        let recipients: i64 = row.try_get("recipients")?;
        return Ok(IngestResult {
            event_id: event.id.clone(),
            duplicate: true,
            recipients: u32::try_from(recipients).unwrap_or(0),
        });
    }

    let state = match &event.conversation {
        Some(c) => {
            let prior = load_conversation(tx, &ws, &c.id).await?;
            let state = prior.after(event);
            store_conversation(tx, &ws, &c.id, &state, now).await?;
            state
        }
        None => ConversationState::default().after(event),
    };
    let plan = plan(event, &state);
    let mut recipients: Vec<(Uuid, String)> = Vec::new();
    for external_id in &plan.named {
        if let Some(row) = sqlx::query(
            "SELECT id FROM agents WHERE workspace_id = $1 AND external_id = $2 AND disabled_at IS NULL",
        )
        .bind(&ws)
        .bind(external_id)
        .fetch_optional(&mut *tx)
        .await?
        {
            recipients.push((uuid_col(&row, "id")?, external_id.clone()));
        }
    }
    if !plan.groups.is_empty() || plan.whole_workspace_if_groups_empty {
        let mut members = Vec::new();
        for group in &plan.groups {
            let rows = sqlx::query(
                "SELECT a.id, a.external_id FROM agent_groups g JOIN agents a ON a.id = g.agent_id \
                 WHERE g.group_key = $1 AND a.workspace_id = $2 AND a.disabled_at IS NULL",
            )
            .bind(group)
            .bind(&ws)
            .fetch_all(&mut *tx)
            .await?;
            members.extend(rows);
        }
        if members.is_empty() && plan.whole_workspace_if_groups_empty {
            members = sqlx::query("SELECT id, external_id FROM agents WHERE workspace_id = $1 AND disabled_at IS NULL")
                .bind(&ws)
                .fetch_all(&mut *tx)
                .await?;
        }
        for row in members {
            let external_id: String = row.try_get("external_id")?;
            if Some(&external_id) != plan.actor.as_ref() {
                recipients.push((uuid_col(&row, "id")?, external_id));
            }
        }
    }
    recipients.sort();
    recipients.dedup();

    for (agent_id, external_id) in &recipients {
        let ctx = context_for(external_id, event, &state);
        deliver(tx, prefs_cache, outbox, *agent_id, event, ctx, now).await?;
    }
    let count = u32::try_from(recipients.len()).unwrap_or(u32::MAX);
    sqlx::query(
        "INSERT INTO events (workspace_id, event_id, body_hash, kind, recipients, received_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(&ws)
    .bind(&event.id)
    .bind(&hash)
    .bind(event.kind.as_str())
    .bind(i64::from(count))
    .bind(now)
    .execute(&mut *tx)
    .await?;
    Ok(IngestResult {
        event_id: event.id.clone(),
        duplicate: false,
        recipients: count,
    })
}

async fn test_one(
    tx: &mut SqliteConnection,
    prefs_cache: &mut HashMap<Uuid, Preferences>,
    outbox: &mut Outbox,
    agent_id: Uuid,
    now: DateTime<Utc>,
) -> Result<Notification, Fatal> {
    let row = sqlx::query("SELECT workspace_id FROM agents WHERE id = $1 AND disabled_at IS NULL")
        .bind(agent_id.to_string())
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(Fatal::App(AppError::NotFound("no such agent")))?;
    let workspace_id: String = row.try_get("workspace_id")?;
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
    let notification = deliver(tx, prefs_cache, outbox, agent_id, &event, ctx, now).await?;
    sqlx::query(
        "INSERT INTO events (workspace_id, event_id, body_hash, kind, recipients, received_at) \
         VALUES ($1, $2, '', 'test', 1, $3)",
    )
    .bind(workspace_id)
    .bind(&event.id)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    Ok(notification)
}

/// Applies the agent's preferences and writes the inbox row.
async fn deliver(
    tx: &mut SqliteConnection,
    prefs_cache: &mut HashMap<Uuid, Preferences>,
    outbox: &mut Outbox,
    agent_id: Uuid,
    event: &PlatformEvent,
    ctx: AgentContext,
    now: DateTime<Utc>,
) -> Result<Notification, Fatal> {
    let prefs = match prefs_cache.get(&agent_id) {
        Some(p) => p.clone(),
        None => {
            let row = sqlx::query("SELECT prefs FROM agents WHERE id = $1")
                .bind(agent_id.to_string())
                .fetch_one(&mut *tx)
                .await?;
            let json: String = row.try_get("prefs")?;
            // Stored preferences were validated on write; unreadable ones fall back to the
            // defaults rather than losing the notification.
            let prefs = serde_json::from_str(&json).unwrap_or_else(|e| {
                tracing::error!(%agent_id, error = %e, "stored preferences unreadable, using defaults");
                Preferences::default()
            });
            prefs_cache.insert(agent_id, prefs.clone());
            prefs
        }
    };
    let decision = decide(&event.kind, &ctx, &prefs, now);
    let seq_row =
        sqlx::query("UPDATE agents SET last_seq = last_seq + 1 WHERE id = $1 RETURNING last_seq")
            .bind(agent_id.to_string())
            .fetch_one(&mut *tx)
            .await?;
    let seq: i64 = seq_row.try_get("last_seq")?;
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
    };
    inbox::insert(tx, agent_id, &notification, on_bell).await?;
    outbox.touched.insert(agent_id);
    outbox.items.push((agent_id, notification.clone()));
    Ok(notification)
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

fn uuid_col(row: &sqlx::sqlite::SqliteRow, column: &str) -> Result<Uuid, Fatal> {
    let text: String = row.try_get(column)?;
    Uuid::parse_str(&text).map_err(|e| Fatal::Sql(sqlx::Error::Decode(e.into())))
}

async fn load_conversation(
    tx: &mut SqliteConnection,
    ws: &str,
    conversation_id: &str,
) -> Result<ConversationState, sqlx::Error> {
    let row = sqlx::query(
        "SELECT assignee, participants, inbox_id, team_id FROM conversations \
         WHERE workspace_id = $1 AND conversation_id = $2",
    )
    .bind(ws)
    .bind(conversation_id)
    .fetch_optional(&mut *tx)
    .await?;
    let Some(row) = row else {
        return Ok(ConversationState::default());
    };
    let participants: String = row.try_get("participants")?;
    Ok(ConversationState {
        assignee: row.try_get("assignee")?,
        participants: serde_json::from_str(&participants).unwrap_or_default(),
        inbox_id: row.try_get("inbox_id")?,
        team_id: row.try_get("team_id")?,
    })
}

async fn store_conversation(
    tx: &mut SqliteConnection,
    ws: &str,
    conversation_id: &str,
    state: &ConversationState,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    let participants =
        serde_json::to_string(&state.participants).map_err(|e| sqlx::Error::Encode(e.into()))?;
    sqlx::query(
        "INSERT INTO conversations (workspace_id, conversation_id, assignee, participants, inbox_id, team_id, updated_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) \
         ON CONFLICT (workspace_id, conversation_id) DO UPDATE SET \
         assignee = excluded.assignee, participants = excluded.participants, \
         inbox_id = excluded.inbox_id, team_id = excluded.team_id, updated_at = excluded.updated_at",
    )
    .bind(ws)
    .bind(conversation_id)
    .bind(&state.assignee)
    .bind(participants)
    .bind(&state.inbox_id)
    .bind(&state.team_id)
    .bind(now)
    .execute(&mut *tx)
    .await?;
    Ok(())
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
