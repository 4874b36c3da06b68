//! Tells the other nodes which sessions have streams on this node (how many, of what kind,
//! a window in front or not): each change as it happens (batched with any that came
//! meanwhile), and every session with a stream again every [`REFRESH`], so a node that
//! missed a hint, or that started later, knows within that time, and one whose peer died
//! forgets that peer's sessions (`hub::presence`).

use tokio::sync::mpsc::UnboundedReceiver;
use tokio::time::{interval, MissedTickBehavior};
use tokio_util::sync::CancellationToken;

use super::{hints, Fanout};
use crate::hub::presence::{Change, REFRESH};

/// Sends this node's presence hints until shutdown.
pub(super) async fn run(
    fanout: Fanout,
    mut changes: UnboundedReceiver<Change>,
    shutdown: CancellationToken,
) {
    let mut refresh = interval(REFRESH);
    refresh.set_missed_tick_behavior(MissedTickBehavior::Delay);
    loop {
        let batch: Vec<Change> = tokio::select! {
            () = shutdown.cancelled() => return,
            change = changes.recv() => {
                let Some(first) = change else { return };
                let mut batch = vec![first];
                while let Ok(more) = changes.try_recv() {
                    batch.push(more);
                }
                batch
            }
            _ = refresh.tick() => fanout.hub.sessions(),
        };
        for payload in hints::presence(fanout.hub.node(), batch) {
            fanout.hint(payload).await;
        }
    }
}
