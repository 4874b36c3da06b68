//! The inbox routes and the test notification.

use std::collections::HashSet;

use axum::extract::{Path, Query, State};
use axum::Json;
use herald_protocol::{
    AppOutcome, AppReceipt, InboxPage, MarkRequest, MarkResult, Notification, PushOutcome,
    SnoozeRequest, SnoozeResult, TestBell, TestEmail, TestNotificationResult, TestPush,
    UnreadCount,
};
use tokio::sync::broadcast;
use uuid::Uuid;

use super::{ApiJson, AppState};
use crate::auth::AgentSession;
use crate::error::AppError;
use crate::inbox::{self, ListQuery};

/// `GET /inbox?before=&limit=&unread=&all=`.
pub async fn list(
    State(state): State<AppState>,
    who: AgentSession,
    Query(q): Query<ListQuery>,
) -> Result<Json<InboxPage>, AppError> {
    Ok(Json(inbox::list(&state.db, who.agent_id, q).await?))
}

/// `GET /inbox/unread`.
pub async fn unread(
    State(state): State<AppState>,
    who: AgentSession,
) -> Result<Json<UnreadCount>, AppError> {
    let mut conn = state.db.reader.acquire().await?;
    Ok(Json(inbox::unread_count(&mut conn, who.agent_id).await?))
}

/// `GET /inbox/{id}`: one item with its decision ("why did / didn't I get this?").
pub async fn get_one(
    State(state): State<AppState>,
    who: AgentSession,
    Path(id): Path<Uuid>,
) -> Result<Json<Notification>, AppError> {
    Ok(Json(inbox::get(&state.db, who.agent_id, id).await?))
}

/// `POST /inbox/mark`.
pub async fn mark(
    State(state): State<AppState>,
    who: AgentSession,
    ApiJson(req): ApiJson<MarkRequest>,
) -> Result<Json<MarkResult>, AppError> {
    let (result, notices) = inbox::mark(&state.db, who.agent_id, &req, state.clock.now()).await?;
    for notice in &notices {
        state.fanout.notice(who.agent_id, notice).await;
    }
    state.pusher.wake(); // the phones' read-sync
    Ok(Json(result))
}

/// `POST /inbox/snooze`.
pub async fn snooze(
    State(state): State<AppState>,
    who: AgentSession,
    ApiJson(req): ApiJson<SnoozeRequest>,
) -> Result<Json<SnoozeResult>, AppError> {
    let (result, notices) =
        crate::snooze::snooze(&state.db, who.agent_id, &req, state.clock.now()).await?;
    for notice in &notices {
        state.fanout.notice(who.agent_id, notice).await;
    }
    state.pusher.wake(); // the phones' read-sync
    Ok(Json(result))
}

/// `?mention=true`: a test mention instead of the test event.
#[derive(Debug, Default, serde::Deserialize)]
pub struct TestQuery {
    #[serde(default)]
    mention: bool,
}

/// `POST /test-notification`: a real test event (or, with `?mention=true`, a test mention)
/// through the pipeline, policy included; the answer says per channel what was observed
/// (committed and handed to live streams, the email relay's and each push service's
/// answers), never only what the policy decided.
pub async fn test_notification(
    State(state): State<AppState>,
    who: AgentSession,
    Query(kind): Query<TestQuery>,
) -> Result<Json<TestNotificationResult>, AppError> {
    // Listening before the item exists: no answer can come before we listen.
    let answers = state.pusher.answers();
    let email_answers = state.mailer.as_ref().map(crate::email::Mailer::answers);
    let receipts = state.receipts.stored();
    let done = state.ingest.test(who.agent_id, kind.mention).await?;
    // The desktop apps it was just handed to live.
    let apps = state.hub.apps(who.agent_id);
    let decision = &done.notification.decision;
    let bell = if decision.dashboard.delivers() {
        TestBell::Stored {
            live_streams: done.live_streams,
        }
    } else {
        TestBell::Off
    };
    let item = done.notification.id;
    let email = async {
        match (email_answers, done.email_due) {
            (None, _) => Ok(TestEmail::NotConfigured),
            (Some(answers), Some(due_at)) => email_answer(&state, item, due_at, answers).await,
            (Some(_), None) => Ok(TestEmail::Off),
        }
    };
    let push = async {
        if decision.push.delivers() {
            test_push(&state, item, answers).await
        } else {
            Ok(TestPush::Off)
        }
    };
    let apps = async {
        if decision.push.delivers() {
            app_receipts(&state, who.agent_id, item, apps, receipts).await
        } else {
            Ok(Vec::new())
        }
    };
    // All three wait (a bounded time) for answers from outside: at once.
    let (email, push, apps) = tokio::join!(email, push, apps);
    let (email, push, apps) = (email?, push?, apps?);
    Ok(Json(TestNotificationResult {
        notification: done.notification,
        bell,
        email,
        push,
        apps,
    }))
}

/// The keys answered in the database so far.
type Recorded<'a> = std::pin::Pin<
    Box<dyn std::future::Future<Output = Result<HashSet<Uuid>, AppError>> + Send + 'a>,
>;

/// How often a test on several nodes looks at what is recorded.
const RECORDED_EVERY: std::time::Duration = std::time::Duration::from_millis(250);

/// Reads announcements until each of `waiting` was answered (`answered` says which one an
/// announcement answers, if it is this test's), the test's wait is over, or the sender is
/// gone. A receiver that lagged goes on: the callers read what is recorded afterwards.
/// On PostgreSQL another node may be the one that sends (it runs the background work) and
/// announces there: what is `recorded` (the keys answered in the database) is looked at
/// every [`RECORDED_EVERY`] too.
async fn wait_for_answers<'a, T: Clone>(
    state: &AppState,
    announcements: &mut broadcast::Receiver<T>,
    mut waiting: HashSet<Uuid>,
    answered: impl Fn(&T) -> Option<Uuid>,
    recorded: impl Fn() -> Recorded<'a>,
) -> Result<(), AppError> {
    let deadline = tokio::time::Instant::now() + state.pusher.config().test_wait;
    let several_nodes = state.db.backend() == crate::db::Backend::Postgres;
    let mut look = tokio::time::interval(RECORDED_EVERY);
    look.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut listening = true;
    while !waiting.is_empty() {
        tokio::select! {
            () = tokio::time::sleep_until(deadline) => break,
            heard = announcements.recv(), if listening => match heard {
                Ok(announcement) => {
                    if let Some(key) = answered(&announcement) {
                        waiting.remove(&key);
                    }
                }
                Err(broadcast::error::RecvError::Lagged(_)) => {}
                // With several nodes, the other one's answers are still looked for.
                Err(broadcast::error::RecvError::Closed) if several_nodes => listening = false,
                Err(broadcast::error::RecvError::Closed) => break,
            },
            _ = look.tick(), if several_nodes => {
                for key in recorded().await? {
                    waiting.remove(&key);
                }
            }
        }
    }
    Ok(())
}

/// Waits (a bounded time) for the relay's answer to the test's email, then reports it as
/// recorded; without an answer yet it is `queued`.
async fn email_answer(
    state: &AppState,
    item: Uuid,
    due_at: chrono::DateTime<chrono::Utc>,
    mut answers: broadcast::Receiver<Uuid>,
) -> Result<TestEmail, AppError> {
    // A test mention's email keeps the alert delay of the rules it follows: nothing to wait
    // for now.
    if due_at > state.clock.now() {
        return Ok(TestEmail::Queued { due_at });
    }
    if let Some(mailer) = &state.mailer {
        mailer.wake();
    }
    let recorded = || -> Recorded<'_> {
        Box::pin(async move {
            let outcome = crate::email::test_outcome(&state.db, item).await?;
            Ok(match outcome {
                None | Some(TestEmail::Queued { .. }) => HashSet::new(),
                Some(_) => HashSet::from([item]),
            })
        })
    };
    wait_for_answers(
        state,
        &mut answers,
        HashSet::from([item]),
        |answered| Some(*answered),
        recorded,
    )
    .await?;
    Ok(crate::email::test_outcome(&state.db, item)
        .await?
        .unwrap_or(TestEmail::Queued { due_at }))
}

/// Waits (a bounded time) for every push service the test went to, then reports what each
/// answered, as recorded; a device without an answer yet is `pending`.
async fn test_push(
    state: &AppState,
    item: Uuid,
    mut answers: broadcast::Receiver<crate::push::Answered>,
) -> Result<TestPush, AppError> {
    let devices = crate::push::subscriptions::queued_for(&state.db, item).await?;
    if devices.is_empty() {
        return Ok(TestPush::NoDevices);
    }
    state.pusher.wake();
    let waiting = devices.iter().map(|(id, _)| *id).collect();
    let recorded = || -> Recorded<'_> {
        let devices = &devices;
        Box::pin(async move {
            let results = crate::push::subscriptions::results_for(&state.db, item, devices).await?;
            Ok(results
                .into_iter()
                .filter(|r| r.outcome != PushOutcome::Pending)
                .map(|r| r.device)
                .collect())
        })
    };
    wait_for_answers(
        state,
        &mut answers,
        waiting,
        |answer| (answer.notification == item).then_some(answer.subscription),
        recorded,
    )
    .await?;
    let devices = crate::push::subscriptions::results_for(&state.db, item, &devices).await?;
    Ok(TestPush::Sent { devices })
}

/// Waits (a bounded time) for a receipt from each desktop app the test was handed to, then
/// reports what each said, as stored; an app without a receipt yet is `no_answer`.
async fn app_receipts(
    state: &AppState,
    agent_id: Uuid,
    item: Uuid,
    apps: Vec<(Uuid, String)>,
    mut stored: broadcast::Receiver<crate::receipts::Stored>,
) -> Result<Vec<AppReceipt>, AppError> {
    if apps.is_empty() {
        return Ok(Vec::new());
    }
    let mut waiting: HashSet<Uuid> = apps.iter().map(|(s, _)| *s).collect();
    // Receipts stored before we looked are announced already: start from what is stored.
    for (session, _) in crate::receipts::for_item(&state.db, agent_id, item).await? {
        waiting.remove(&session);
    }
    let recorded = || -> Recorded<'_> {
        Box::pin(async move {
            let got = crate::receipts::for_item(&state.db, agent_id, item).await?;
            Ok(got.into_iter().map(|(session, _)| session).collect())
        })
    };
    wait_for_answers(
        state,
        &mut stored,
        waiting,
        |receipt| (receipt.notification == item).then_some(receipt.session_id),
        recorded,
    )
    .await?;
    let got = crate::receipts::for_item(&state.db, agent_id, item).await?;
    Ok(apps
        .into_iter()
        .map(|(session, name)| {
            got.iter()
                .find(|(s, _)| *s == session)
                .map(|(_, receipt)| receipt.clone())
                .unwrap_or(AppReceipt {
                    name,
                    outcome: AppOutcome::NoAnswer,
                    at: None,
                })
        })
        .collect())
}

/// `GET /email`: whether email is configured, where it goes, the last failure.
pub async fn email_status(
    State(state): State<AppState>,
    who: AgentSession,
) -> Result<Json<herald_protocol::EmailStatus>, AppError> {
    Ok(Json(
        crate::email::status(&state.db, state.mailer.is_some(), who.agent_id).await?,
    ))
}

/// `POST /email/test`: sends a test email now; says what the SMTP server answered.
pub async fn test_email(
    State(state): State<AppState>,
    who: AgentSession,
) -> Result<Json<herald_protocol::TestEmailResult>, AppError> {
    let mailer = state.mailer.as_ref().ok_or(AppError::Unavailable(
        "email is not configured on this server: ask your admin to set --smtp-url",
    ))?;
    Ok(Json(
        crate::email::send_test(&state.db, mailer, who.agent_id).await?,
    ))
}
