//! Receipts from Herald desktop apps: what each did with an item's OS notification.
//!
//! A stream task hands each receipt to [`Receipts::record`] without waiting; one writer task
//! stores them in batches (one transaction for whatever has queued up, so a burst of items
//! to a thousand apps is a few commits, not a thousand), then announces each stored receipt
//! to "Save and test", which waits for the apps it handed the test to. A receipt names an
//! item of the app's own agent or it is dropped: an app cannot write on another agent's
//! items. Receipts are a record, not a delivery: when the queue is full (the database is
//! far behind) a receipt is dropped with a log line, and the test then says `no_answer`.

use chrono::{DateTime, Utc};
use herald_protocol::{AppOutcome, AppReceipt};
use sqlx::Row;
use tokio::sync::{broadcast, mpsc};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::db::{Db, RowExt, SqlTime};
use crate::error::AppError;

/// Receipts that may wait for the writer.
const QUEUE: usize = 4096;
/// Most receipts in one transaction.
const BATCH: usize = 256;

/// One receipt on its way to the database.
#[derive(Debug, Clone)]
pub struct Receipt {
    /// The app's agent.
    pub agent_id: Uuid,
    /// The app's session.
    pub session_id: Uuid,
    /// The app's name.
    pub name: String,
    /// The item.
    pub notification: Uuid,
    /// What the app did (bounded already).
    pub outcome: AppOutcome,
    /// When it came.
    pub at: DateTime<Utc>,
}

/// A receipt is stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stored {
    /// The item.
    pub notification: Uuid,
    /// The app's session.
    pub session_id: Uuid,
}

/// The receipts' queue and announcements. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Receipts {
    queue: mpsc::Sender<Receipt>,
    stored: broadcast::Sender<Stored>,
}

impl Receipts {
    /// Starts the writer; it stops when `shutdown` is cancelled, storing what has queued.
    pub fn start(db: Db, shutdown: CancellationToken) -> (Receipts, JoinHandle<()>) {
        let (queue, rx) = mpsc::channel(QUEUE);
        let (stored, _) = broadcast::channel(1024);
        let task = tokio::spawn(writer(db, rx, stored.clone(), shutdown));
        (Receipts { queue, stored }, task)
    }

    /// Queues a receipt; never waits.
    pub fn record(&self, receipt: Receipt) {
        if let Err(err) = self.queue.try_send(receipt) {
            tracing::warn!(error = %err, "an app receipt was dropped: the writer is behind");
        }
    }

    /// Announcements of stored receipts (subscribe before the item exists).
    pub fn stored(&self) -> broadcast::Receiver<Stored> {
        self.stored.subscribe()
    }
}

async fn writer(
    db: Db,
    mut rx: mpsc::Receiver<Receipt>,
    stored: broadcast::Sender<Stored>,
    shutdown: CancellationToken,
) {
    let mut batch = Vec::with_capacity(BATCH);
    loop {
        let first = tokio::select! {
            first = rx.recv() => first,
            () = shutdown.cancelled() => None,
        };
        let Some(first) = first else {
            // Stopping: what already queued is still stored.
            while let Ok(receipt) = rx.try_recv() {
                batch.push(receipt);
                if batch.len() == BATCH {
                    store(&db, &mut batch, &stored).await;
                }
            }
            store(&db, &mut batch, &stored).await;
            return;
        };
        batch.push(first);
        while batch.len() < BATCH {
            match rx.try_recv() {
                Ok(receipt) => batch.push(receipt),
                Err(_) => break,
            }
        }
        store(&db, &mut batch, &stored).await;
    }
}

async fn store(db: &Db, batch: &mut Vec<Receipt>, stored: &broadcast::Sender<Stored>) {
    if batch.is_empty() {
        return;
    }
    match write(db, batch).await {
        Ok(()) => {
            for r in batch.iter() {
                let _ = stored.send(Stored {
                    notification: r.notification,
                    session_id: r.session_id,
                });
            }
        }
        Err(err) => {
            tracing::warn!(error = %err, count = batch.len(), "app receipts not stored")
        }
    }
    batch.clear();
}

async fn write(db: &Db, batch: &[Receipt]) -> Result<(), AppError> {
    let mut tx = db.write_tx().await?;
    for r in batch {
        let outcome = serde_json::to_string(&r.outcome)?;
        // Only an item of the app's own agent.
        sqlx::query(
            "INSERT INTO app_receipts (notification_id, session_id, agent_id, name, outcome, at) \
             SELECT $1, $2, $3, $4, $5, $6 WHERE EXISTS \
                 (SELECT 1 FROM notifications WHERE id = $1 AND agent_id = $3) \
             ON CONFLICT (notification_id, session_id) DO UPDATE SET \
                 name = excluded.name, outcome = excluded.outcome, at = excluded.at",
        )
        .bind(r.notification.to_string())
        .bind(r.session_id.to_string())
        .bind(r.agent_id.to_string())
        .bind(&r.name)
        .bind(outcome)
        .bind(SqlTime(r.at))
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

/// The receipts stored for an item of this agent: (session, receipt), oldest first.
pub async fn for_item(
    db: &Db,
    agent_id: Uuid,
    notification: Uuid,
) -> Result<Vec<(Uuid, AppReceipt)>, AppError> {
    let rows = sqlx::query(
        "SELECT session_id, name, outcome, at FROM app_receipts \
         WHERE notification_id = $1 AND agent_id = $2 ORDER BY at, session_id",
    )
    .bind(notification.to_string())
    .bind(agent_id.to_string())
    .fetch_all(&db.reader)
    .await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in rows {
        let session = crate::auth::parse_uuid(&row.try_get::<String, _>("session_id")?)?;
        let outcome: String = row.try_get("outcome")?;
        out.push((
            session,
            AppReceipt {
                name: row.try_get("name")?,
                outcome: serde_json::from_str(&outcome)?,
                at: Some(row.time("at")?),
            },
        ));
    }
    Ok(out)
}
