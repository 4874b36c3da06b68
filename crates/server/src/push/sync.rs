//! Read-sync to phones: when the agent reads (or snoozes, or marks unread) on any device,
//! each phone gets one background push with the new absolute badge and the keys of the
//! notifications it shows whose items are now all read, so the app can take them off the
//! screen (`to_clear`). Reads coalesce per phone until the push worker's next round: "mark
//! all read" is one push per phone, however many items it read.
//!
//! One `phone_sync` row per phone (migration 0017), written in the transaction that changed
//! the read state; the worker sends it (APNs: a `background` push with `content-available`;
//! FCM: a data message) and deletes it only if nothing was added meanwhile (`version`).

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use futures_util::StreamExt as _;
use herald_protocol::phone::MAX_CLEAR;
use herald_protocol::PhoneKey;
use sqlx::{AnyConnection, Row};
use uuid::Uuid;

use super::phone::SyncPush;
use super::{outbox::Verdict, subscriptions, Pusher};
use crate::db::{Db, RowExt, SqlTime};
use crate::error::AppError;

/// Most item ids one sync notes; beyond that it looks at everything sent ("all read").
const IDS_MAX: usize = 100;
/// Most answers written in one transaction.
const RECORD_CHUNK: usize = 64;
/// How many of the latest pushes sent to a phone a sync looks at for what to take away.
const SENT_LOOKED_AT: i64 = 500;

/// What changed.
#[derive(Debug, Clone, Copy)]
pub enum ReadChange<'a> {
    /// These items were read (or snoozed).
    Read(&'a [Uuid]),
    /// Everything up to now was read ("mark all read").
    AllRead,
    /// Only the counter changed (items marked unread, or back from a snooze).
    Counter,
}

/// Notes a read change for each of the agent's phones, inside the caller's transaction.
pub async fn note(
    tx: &mut AnyConnection,
    agent_id: Uuid,
    change: ReadChange<'_>,
    now: DateTime<Utc>,
) -> Result<(), sqlx::Error> {
    let phones: Vec<String> = sqlx::query_scalar(
        "SELECT id FROM push_subscriptions WHERE agent_id = $1 AND platform <> 'web'",
    )
    .bind(agent_id.to_string())
    .fetch_all(&mut *tx)
    .await?;
    for phone in phones {
        let existing =
            sqlx::query("SELECT read_ids, all_read FROM phone_sync WHERE subscription_id = $1")
                .bind(&phone)
                .fetch_optional(&mut *tx)
                .await?;
        let (mut ids, mut all): (Vec<Uuid>, bool) = match existing {
            Some(row) => (
                serde_json::from_str(&row.try_get::<String, _>("read_ids")?).unwrap_or_default(),
                row.flag("all_read")?,
            ),
            None => (Vec::new(), false),
        };
        match change {
            ReadChange::Read(read) => ids.extend_from_slice(read),
            ReadChange::AllRead => all = true,
            ReadChange::Counter => {}
        }
        ids.sort_unstable();
        ids.dedup();
        if all || ids.len() > IDS_MAX {
            all = true;
            ids.clear();
        }
        let ids = serde_json::to_string(&ids).map_err(|e| sqlx::Error::Encode(e.into()))?;
        sqlx::query(
            "INSERT INTO phone_sync (subscription_id, agent_id, read_ids, all_read, not_before) \
             VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (subscription_id) DO UPDATE SET read_ids = excluded.read_ids, \
             all_read = excluded.all_read, version = phone_sync.version + 1",
        )
        .bind(&phone)
        .bind(agent_id.to_string())
        .bind(ids)
        .bind(i64::from(all))
        .bind(SqlTime(now))
        .execute(&mut *tx)
        .await?;
    }
    Ok(())
}

/// A due sync.
struct Due {
    subscription: String,
    version: i64,
    attempts: i64,
    endpoint: String,
    platform: herald_protocol::PushPlatform,
    app_id: Option<String>,
    read: Vec<Uuid>,
    all_read: bool,
    badge: i64,
}

/// Sends the due syncs (up to a round, `PushConfig::round`); returns how many.
pub async fn send_due(db: &Db, pusher: &Pusher) -> Result<usize, AppError> {
    let now = pusher.clock.now();
    let rows = sqlx::query(
        "SELECT p.subscription_id, p.version, p.attempts, p.read_ids, p.all_read, \
                s.endpoint, s.platform, s.app_id, a.unread \
         FROM phone_sync AS p \
         JOIN push_subscriptions AS s ON s.id = p.subscription_id \
         JOIN agents AS a ON a.id = p.agent_id \
         WHERE p.not_before <= $1 ORDER BY p.not_before LIMIT $2",
    )
    .bind(SqlTime(now))
    .bind(pusher.config.round_limit())
    .fetch_all(&db.reader)
    .await?;
    let mut due = Vec::with_capacity(rows.len());
    for row in rows {
        due.push(Due {
            subscription: row.try_get("subscription_id")?,
            version: row.try_get("version")?,
            attempts: row.try_get("attempts")?,
            endpoint: row.try_get("endpoint")?,
            platform: subscriptions::parse_platform(&row.try_get::<String, _>("platform")?),
            app_id: row.try_get("app_id")?,
            read: serde_json::from_str(&row.try_get::<String, _>("read_ids")?).unwrap_or_default(),
            all_read: row.flag("all_read")?,
            badge: row.try_get("unread")?,
        });
    }
    let count = due.len();
    // The phones' pushes go in parallel, as the outbox's do (one row per phone: no two in a
    // round are the same phone's).
    let mut sent = futures_util::stream::iter(due)
        .map(|sync| async move {
            let clear = to_clear(db, &sync).await?;
            let verdict = match pusher.phone_service(sync.platform) {
                Ok(service) => {
                    let push = SyncPush {
                        token: sync.endpoint.split_once(':').map_or("", |(_, t)| t),
                        topic: sync.app_id.as_deref().unwrap_or_default(),
                        badge: u32::try_from(sync.badge.max(0)).unwrap_or(u32::MAX),
                        clear: &clear,
                    };
                    service.send_sync(&push, now).await
                }
                Err(not_set_up) => not_set_up,
            };
            Ok::<_, AppError>((sync, verdict))
        })
        .buffer_unordered(pusher.config.concurrency.max(1));
    // Written in groups (as the outbox's answers are), while the sending goes on.
    let (answered, mut answers) = tokio::sync::mpsc::unbounded_channel::<(Due, Verdict)>();
    let sending = async move {
        while let Some(answer) = sent.next().await {
            let _ = answered.send(answer?);
        }
        Ok::<(), AppError>(())
    };
    let writing = async {
        let mut group = Vec::with_capacity(RECORD_CHUNK);
        while answers.recv_many(&mut group, RECORD_CHUNK).await > 0 {
            record(db, pusher, &group, now).await?;
            group.clear();
        }
        Ok::<(), AppError>(())
    };
    let (sent, written) = tokio::join!(sending, writing);
    sent?;
    written?;
    Ok(count)
}

/// The notifications to take off a phone, decided when the sync is sent (so it sees every
/// read up to then): among the items the phone was sent (its [`SENT_LOOKED_AT`] latest),
/// each key (`PhoneKey::of`: a conversation of the agent, or an item) that one of the
/// items just read was shown under — any key after an "all read" or a conversation's
/// "read" — and whose items sent to the phone are all read now. A key with an item still
/// unread stays on the screen: its notification still stands for something to do. Most
/// recent first, at most [`MAX_CLEAR`].
async fn to_clear(db: &Db, sync: &Due) -> Result<Vec<PhoneKey>, AppError> {
    let rows = sqlx::query(
        "SELECT o.agent_id, o.notification_id, o.conversation_id, \
                CASE WHEN n.read_at IS NULL THEN 1 ELSE 0 END AS unread \
         FROM push_outbox AS o JOIN notifications AS n ON n.id = o.notification_id \
         WHERE o.subscription_id = $1 AND o.status = 'sent' \
         ORDER BY o.id DESC LIMIT $2",
    )
    .bind(&sync.subscription)
    .bind(SENT_LOOKED_AT)
    .fetch_all(&db.reader)
    .await?;
    let read: HashSet<String> = sync.read.iter().map(ToString::to_string).collect();
    // (key, to clear if all read, something under it unread), in first-seen order.
    let mut keys: Vec<(PhoneKey, bool, bool)> = Vec::new();
    let mut at: HashMap<PhoneKey, usize> = HashMap::new();
    for row in rows {
        let item: String = row.try_get("notification_id")?;
        let key = PhoneKey::of(
            &row.try_get::<String, _>("agent_id")?,
            row.try_get::<Option<String>, _>("conversation_id")?
                .as_deref(),
            &item,
        );
        let asked = sync.all_read || read.contains(&item);
        let unread = row.flag("unread")?;
        let i = *at.entry(key.clone()).or_insert_with(|| {
            keys.push((key, false, false));
            keys.len() - 1
        });
        keys[i].1 |= asked;
        keys[i].2 |= unread;
    }
    Ok(keys
        .into_iter()
        .filter(|(_, asked, unread)| *asked && !unread)
        .map(|(key, _, _)| key)
        .take(MAX_CLEAR)
        .collect())
}

/// Done (deleted, unless reads came in meanwhile), retried later, or the phone is gone.
async fn record(
    db: &Db,
    pusher: &Pusher,
    answered: &[(Due, Verdict)],
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    let mut tx = db.write_tx().await?;
    for (sync, verdict) in answered {
        record_one(&mut tx, pusher, sync, verdict, now).await?;
    }
    tx.commit().await?;
    Ok(())
}

/// One phone's answer, in the group's transaction.
async fn record_one(
    tx: &mut sqlx::Transaction<'static, sqlx::Any>,
    pusher: &Pusher,
    sync: &Due,
    verdict: &Verdict,
    now: DateTime<Utc>,
) -> Result<(), AppError> {
    match verdict {
        Verdict::Gone(_) => {
            subscriptions::forget(tx, subscriptions::Whose::Id(&sync.subscription), now).await?;
            sqlx::query("DELETE FROM phone_sync WHERE subscription_id = $1")
                .bind(&sync.subscription)
                .execute(&mut **tx)
                .await?;
        }
        Verdict::Retry { error, .. }
            if sync.attempts + 1 < i64::from(pusher.config.max_attempts) =>
        {
            let wait = pusher
                .config
                .retry_base
                .saturating_mul(1u32 << (sync.attempts + 1).clamp(0, 20))
                .min(std::time::Duration::from_secs(3600));
            let next = now + chrono::Duration::from_std(wait).unwrap_or(chrono::Duration::hours(1));
            tracing::debug!(error = %error, "a phone's read-sync will be tried again");
            sqlx::query(
                "UPDATE phone_sync SET attempts = attempts + 1, not_before = $1 \
                 WHERE subscription_id = $2",
            )
            .bind(SqlTime(next))
            .bind(&sync.subscription)
            .execute(&mut **tx)
            .await?;
        }
        other => {
            if let Verdict::Failed { error, .. } | Verdict::Retry { error, .. } = other {
                tracing::info!(error = %error, "a phone's read-sync was given up");
            }
            // Sent (or given up): done, unless more reads came in since it was read.
            sqlx::query("DELETE FROM phone_sync WHERE subscription_id = $1 AND version = $2")
                .bind(&sync.subscription)
                .bind(sync.version)
                .execute(&mut **tx)
                .await?;
        }
    }
    Ok(())
}
