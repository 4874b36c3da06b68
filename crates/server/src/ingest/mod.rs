//! Ingest: validation, then the group-commit writer that turns events into inbox rows.
//!
//! Handlers queue a [`Job`] and wait for its answer; one writer task takes every job that is
//! waiting (up to [`MAX_BATCH`]) and runs them in one transaction, so one disk sync
//! acknowledges hundreds of events. An answer is sent only after the commit: an event
//! acknowledged to the platform is on disk. Live delivery to the hub happens after the
//! commit too, so a client never sees an item that could still be rolled back.

//!
//! # Layout
//!
//! - this file: the queue handlers put jobs on, and the writer task that takes them in
//!   batches and answers after the commit.
//! - `validate`: what an event must look like, its idempotency fingerprint, and the texts
//!   kept (clipped titles and bodies).
//! - `link_check`: which conversation links an item may keep (https, declared origins).
//! - `rows`: what a batch queues for the write, and what a committed batch answers.
//! - `batch`: one transaction's worth of jobs resolved in memory: idempotency, conversation
//!   state, recipients, the policy per agent, seqs, unread counters.
//! - `returns`: items that come back (snoozes that ended, unanswered assignments'
//!   reminders): moved to the agent's next seq, unread, with a fresh decision.
//! - `quiet`: "while you were quiet": the start of an agent's quiet time noted, and one
//!   summary item once it is over.
//! - `sql`: the batch's two round trips to SQLite (open and preload; write and commit),
//!   with statements prepared once. The commit holds the inbox rows with their email
//!   alerts and push outbox rows.

use std::collections::HashMap;
use std::sync::Arc;

use herald_protocol::{IngestResult, Notification, PlatformEvent, ServerMessage};
use tokio::sync::{mpsc, oneshot};
use uuid::Uuid;

use crate::db::Db;
use crate::error::AppError;
use crate::hub::Hub;

mod batch;
pub mod link_check;
mod quiet;
mod returns;
mod rows;
mod sql;
mod sql_postgres;
mod sql_sqlite;
mod validate;

// Shared by the submodules (each reads its parent with `use super::*`).
use batch::Batch;
pub(crate) use quiet::any_quiet_over;
pub(crate) use returns::any_due;
use rows::KnownEvent;
use sql::{parse_uuid, rollback};
pub use validate::validate;
use validate::{clip, fingerprint, texts};

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
        /// A test *mention*, decided by the rules for mentions (else the test event, which
        /// goes to every channel some event uses).
        mention: bool,
        /// Where the answer goes.
        reply: oneshot::Sender<Result<TestDone, AppError>>,
    },
    /// Bring back every item whose reminder is due (at most [`returns::DUE_MAX`] per job).
    Returns {
        /// Where the answer goes: how many items came back.
        reply: oneshot::Sender<Result<usize, AppError>>,
    },
}

/// What the writer observed of a test notification: committed, then handed to live streams.
#[derive(Debug, Clone)]
pub struct TestDone {
    /// The item, as stored.
    pub notification: Notification,
    /// How many of the agent's live streams it was handed to.
    pub live_streams: u32,
    /// When its email alert goes out, if one was queued.
    pub email_due: Option<chrono::DateTime<chrono::Utc>>,
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
    /// with `alert_delay`, email alerts are queued in the outbox, due after that delay;
    /// `push_worker` is woken after a commit that queued pushes.
    pub fn start(
        db: Db,
        hub: Arc<Hub>,
        max_batch: usize,
        alert_delay: Option<std::time::Duration>,
        push_worker: Arc<tokio::sync::Notify>,
        clock: herald_protocol::Clock,
        metrics: Arc<crate::metrics::Metrics>,
    ) -> (Ingest, tokio::task::JoinHandle<()>) {
        let (jobs, rx) = mpsc::channel(QUEUE);
        let task = tokio::spawn(writer(
            db,
            hub,
            rx,
            Settings {
                max_batch: max_batch.clamp(1, MAX_BATCH),
                alert_delay,
                push_worker,
                metrics,
            },
            clock,
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

    /// Sends a test notification (or a test mention) through the whole pipeline to one
    /// agent.
    pub async fn test(&self, agent_id: Uuid, mention: bool) -> Result<TestDone, AppError> {
        let (reply, answer) = oneshot::channel();
        self.submit(Job::Test {
            agent_id,
            mention,
            reply,
        })
        .await?;
        answer.await.map_err(|_| not_stored())?
    }

    /// Brings back the items whose snooze ended or whose assignment reminder is due;
    /// returns how many came back, after the commit.
    pub async fn returns(&self) -> Result<usize, AppError> {
        let (reply, answer) = oneshot::channel();
        self.submit(Job::Returns { reply }).await?;
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

/// A job split into its input and where its answer goes.
enum Input {
    Event {
        workspace_id: Uuid,
        event: Box<PlatformEvent>,
    },
    Test {
        agent_id: Uuid,
        mention: bool,
    },
    Returns,
}

enum Answer {
    Event(IngestResult),
    Test(Box<TestDone>),
    Returns(usize),
}

enum Reply {
    Event(oneshot::Sender<Result<IngestResult, AppError>>),
    Test(oneshot::Sender<Result<TestDone, AppError>>),
    Returns(oneshot::Sender<Result<usize, AppError>>),
}

impl Reply {
    fn send(self, answer: Result<Answer, AppError>) {
        match (self, answer) {
            (Reply::Event(tx), Ok(Answer::Event(r))) => drop(tx.send(Ok(r))),
            (Reply::Test(tx), Ok(Answer::Test(n))) => drop(tx.send(Ok(*n))),
            (Reply::Returns(tx), Ok(Answer::Returns(n))) => drop(tx.send(Ok(n))),
            (Reply::Event(tx), Err(e)) => drop(tx.send(Err(e))),
            (Reply::Test(tx), Err(e)) => drop(tx.send(Err(e))),
            (Reply::Returns(tx), Err(e)) => drop(tx.send(Err(e))),
            // Answers are built from the input of the same job; a mismatch is a bug.
            (Reply::Event(_) | Reply::Test(_) | Reply::Returns(_), Ok(_)) => {
                tracing::error!("an answer of the wrong kind; dropping it");
            }
        }
    }
}

/// The writer's settings.
struct Settings {
    max_batch: usize,
    alert_delay: Option<std::time::Duration>,
    push_worker: Arc<tokio::sync::Notify>,
    metrics: Arc<crate::metrics::Metrics>,
}

async fn writer(
    db: Db,
    hub: Arc<Hub>,
    mut rx: mpsc::Receiver<Job>,
    settings: Settings,
    clock: herald_protocol::Clock,
) {
    let Settings {
        max_batch,
        alert_delay,
        push_worker,
        metrics,
    } = settings;
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
                Job::Test {
                    agent_id,
                    mention,
                    reply,
                } => (Input::Test { agent_id, mention }, Reply::Test(reply)),
                Job::Returns { reply } => (Input::Returns, Reply::Returns(reply)),
            })
            .unzip();
        let count = inputs.len();
        let events = inputs
            .iter()
            .filter(|i| matches!(i, Input::Event { .. }))
            .count();
        let started = std::time::Instant::now();
        match Batch::run(&db, inputs, alert_delay, clock.now(), hub.node()).await {
            Ok(done) => {
                let stored = started.elapsed();
                metrics.batch(count, events, stored.as_micros() as u64);
                if done.pushes {
                    push_worker.notify_one();
                }
                let handed = publish(&hub, done.items);
                for (agent_id, unread) in done.unread {
                    hub.publish(agent_id, &ServerMessage::Unread { unread });
                }
                for (reply, mut answer) in replies.into_iter().zip(done.answers) {
                    if let Ok(Answer::Test(test)) = &mut answer {
                        let streams = handed.get(&test.notification.id).copied().unwrap_or(0);
                        test.live_streams = u32::try_from(streams).unwrap_or(u32::MAX);
                    }
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
                metrics
                    .batches_failed
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                tracing::error!(error = %err, count, "batch failed; nothing of it was acknowledged");
                for reply in replies {
                    reply.send(Err(not_stored()));
                }
            }
        }
    }
    tracing::info!("ingest writer stopped after its last batch");
}

/// Hands a batch's items to the live streams, each agent's in seq order (new items and
/// items that came back are numbered in the order of the batch's inputs, not listed in
/// it). Returns how many streams took each item.
fn publish(hub: &Hub, mut items: Vec<rows::Committed>) -> HashMap<Uuid, usize> {
    items.sort_by_key(|item| (item.agent_id, item.seq));
    let mut handed = HashMap::with_capacity(items.len());
    for run in items.chunk_by(|a, b| a.agent_id == b.agent_id) {
        let frames: Vec<(u64, &str)> = run.iter().map(|i| (i.seq, i.data.as_str())).collect();
        let taken = hub.publish_committed(run[0].agent_id, &frames);
        for (item, streams) in run.iter().zip(taken) {
            handed.insert(item.id, streams);
        }
    }
    handed
}
