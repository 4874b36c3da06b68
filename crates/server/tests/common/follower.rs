//! A client that follows one session's stream the way the apps do: when a stream ends it
//! connects again (to the next of its URLs, every 50 ms until one lets it in) and resumes
//! after the last seq it got, with the epoch it was given. The test reads what it got and
//! checks that every item came once and in seq order across all the reconnections.

use std::collections::HashSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use herald_protocol::{Notification, ServerMessage};
use tokio::sync::mpsc::{unbounded_channel, UnboundedReceiver, UnboundedSender};

use super::{Closed, Ws};

/// The stream URL of a server's base URL.
pub fn stream_url(http_url: &str) -> String {
    format!("{}/api/v1/stream", http_url.replacen("http://", "ws://", 1))
}

pub struct Follower {
    items: UnboundedReceiver<Notification>,
    task: tokio::task::JoinHandle<()>,
    got: Vec<Notification>,
    seen: HashSet<String>,
    /// Streams opened, the first included.
    connections: Arc<AtomicUsize>,
    /// How each stream ended.
    closes: Arc<Mutex<Vec<Closed>>>,
}

impl Follower {
    /// Follows `token`'s stream on `urls` (server base URLs), starting on the first.
    pub fn start(urls: &[&str], token: &str) -> Follower {
        let urls: Vec<String> = urls.iter().map(|u| stream_url(u)).collect();
        let token = token.to_owned();
        let (tx, items) = unbounded_channel();
        let connections = Arc::new(AtomicUsize::new(0));
        let opened = Arc::clone(&connections);
        let closes = Arc::new(Mutex::new(Vec::new()));
        let ended = Arc::clone(&closes);
        let task = tokio::spawn(async move {
            let (mut last, mut epoch) = (0, None);
            for url in urls.iter().cycle() {
                let Ok(mut ws) = Ws::connect(url, &token).await else {
                    // Pacing a client that was turned away, as the apps' backoff does.
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                };
                opened.fetch_add(1, Ordering::SeqCst);
                ws.resume(last, epoch.clone()).await;
                let closed = follow(&mut ws, &tx, &mut last, &mut epoch).await;
                ended.lock().unwrap().push(closed);
            }
        });
        Follower {
            items,
            task,
            got: Vec::new(),
            seen: HashSet::new(),
            connections,
            closes,
        }
    }

    /// How many streams it opened, the first included.
    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }

    /// How the streams ended so far.
    pub fn closes(&self) -> Vec<Closed> {
        self.closes.lock().unwrap().clone()
    }

    /// Reads until every event of `wanted` arrived; panics on an item out of seq order or
    /// seen twice, or when nothing new comes within 30 s.
    pub async fn until_got(&mut self, wanted: &[String], who: &str) -> &[Notification] {
        while !wanted.iter().all(|id| self.seen.contains(id)) {
            let item = tokio::time::timeout(Duration::from_secs(30), self.items.recv())
                .await
                .unwrap_or_else(|_| {
                    let missing = wanted.iter().filter(|id| !self.seen.contains(*id)).count();
                    panic!("{who}: {missing} acknowledged events never came")
                })
                .expect("the follower runs");
            assert!(
                self.got.last().is_none_or(|prev| prev.seq < item.seq),
                "{who}: seq {} after {:?}: once and in order",
                item.seq,
                self.got.last().map(|p| p.seq)
            );
            assert!(
                self.seen.insert(item.event_id.clone()),
                "{who}: {} twice",
                item.event_id
            );
            self.got.push(item);
        }
        &self.got
    }
}

impl Drop for Follower {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Sends the items of one stream on `items` until it ends, keeping the last seq and epoch;
/// returns how it ended.
async fn follow(
    ws: &mut Ws,
    items: &UnboundedSender<Notification>,
    last: &mut u64,
    epoch: &mut Option<String>,
) -> Closed {
    loop {
        // Longer than the servers' 20 s between pings: a quiet stream is not an ended one.
        let message = match ws.next_within(Duration::from_secs(60)).await {
            Ok(message) => message,
            Err(closed) => return closed,
        };
        match message {
            ServerMessage::Item { notification, .. } => {
                *last = notification.seq;
                let _ = items.send(*notification);
            }
            ServerMessage::Live { epoch: e, .. } => *epoch = Some(e),
            _ => {}
        }
    }
}
