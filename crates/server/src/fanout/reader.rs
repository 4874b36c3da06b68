//! The reader: hands on, in seq order, the items the hub could not hand on from memory
//! (committed by another node, or after a gap), read from the database, then the agent's
//! unread counter as it is now.

use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use super::{Fanout, FanoutStats};
use crate::db::Db;
use crate::error::AppError;
use crate::hub::Hub;
use crate::inbox;
use herald_protocol::ServerMessage;

/// Most items read for one agent at a time (then read on).
const PAGE: u64 = 200;

/// How long to wait after the database failed a read before trying again.
const RETRY: Duration = Duration::from_secs(1);

pub(super) async fn run(
    db: Db,
    hub: Arc<Hub>,
    stats: Arc<FanoutStats>,
    shutdown: CancellationToken,
) {
    let wake = hub.reads();
    loop {
        tokio::select! {
            () = shutdown.cancelled() => return,
            () = wake.notified() => {}
        }
        loop {
            let work = hub.start_reads();
            if work.is_empty() {
                break;
            }
            let mut failed = false;
            for (agent_id, after) in work {
                Fanout::count(&stats.reads);
                if let Err(err) = read(&db, &hub, agent_id, after).await {
                    // The agent stays pending: read again after a pause.
                    tracing::warn!(error = %err, %agent_id, "could not read new items for a stream");
                    failed = true;
                }
            }
            if failed {
                tokio::select! {
                    () = shutdown.cancelled() => return,
                    () = tokio::time::sleep(RETRY) => {}
                }
            }
        }
    }
}

async fn read(db: &Db, hub: &Hub, agent_id: Uuid, after: u64) -> Result<(), AppError> {
    let items = inbox::after(db, agent_id, after, PAGE).await?;
    let complete = (items.len() as u64) < PAGE;
    let mut frames = Vec::with_capacity(items.len());
    for item in &items {
        frames.push((item.seq, serde_json::to_string(item)?));
    }
    if hub.read_done(agent_id, &frames, complete) {
        return Ok(()); // read on: the next round takes it
    }
    let mut conn = db.reader.acquire().await?;
    let unread = inbox::unread_count(&mut conn, agent_id).await?;
    hub.publish(agent_id, &ServerMessage::Unread { unread });
    Ok(())
}
