//! Web Push (RFC 8030), Apple's push service and Firebase Cloud Messaging: the server's
//! VAPID identity, the browsers and phones agents register, and the worker that sends the
//! push outbox.
//!
//! Ingest writes one outbox row per item and subscription in the same transaction as the
//! inbox row (`ingest/sql.rs`), so an acknowledged event's pushes survive a crash. The
//! worker sends due rows: the message encrypted for the browser (RFC 8291, aes128gcm,
//! through `web-push-native`), signed with VAPID (RFC 8292), with TTL, Urgency and a Topic
//! per conversation. 2xx is recorded as accepted; 404 and 410 remove the subscription; 429,
//! 5xx and network failures are retried with backoff (a `Retry-After` is honoured); other
//! answers fail for good. A push waits for nothing while a Herald window of the browser is
//! in front of the agent (its stream says so): it is not sent, and recorded as such. Every
//! answer is kept on the row, per subscription. Delivery is at
//! least once: a crash between a send and its record sends again, and the service worker
//! replaces a notification with the same tag.
//!
//! # Layout
//!
//! - this file: the settings, the [`Pusher`] (client, key, clock) and the worker loop.
//! - `vapid`: the key pair, kept in the database, and the signed `Authorization` header.
//! - `apns`: iPhones through APNs (HTTP/2, ES256 provider tokens, Apple's answers).
//! - `fcm`: Android phones through FCM HTTP v1 (RS256 assertion, cached access token).
//! - `phone`: one push to one phone, as both need it, and `PhoneService`, the trait both
//!   are behind.
//! - `sync`: read-sync to phones (the badge and what was read, by background push).
//! - `endpoint`: which endpoints may be sent to (https, public addresses; SSRF guard).
//! - `payload`: the message the service worker shows, Urgency and Topic.
//! - `outbox`: one round of the worker: due rows, sends, outcomes recorded.
//! - `browser`: Web Push to a browser (encrypted, VAPID-signed) and its service's answers.
//! - `subscriptions`: registering and removing browsers, the device list, outcomes read
//!   back from the rows.

use std::sync::Arc;
use std::time::Duration;

use herald_protocol::Clock;
use tokio::sync::{broadcast, Notify};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::db::Db;

pub mod apns;
mod browser;
pub mod endpoint;
pub mod fcm;
mod outbox;
pub mod payload;
mod phone;
pub mod subscriptions;
pub mod sync;
pub mod vapid;

pub use outbox::send_due;
pub use vapid::VapidKey;

/// Push settings.
#[derive(Debug, Clone)]
pub struct PushConfig {
    /// Who runs this server, for push services (the VAPID `sub`): `mailto:` or `https:`.
    pub contact: String,
    /// Accept http endpoints on private addresses. For tests and local set-ups only: it
    /// lets anyone who can sign in make the server post to its own network.
    pub allow_insecure_endpoints: bool,
    /// How long a push may wait (at the push service, and here for retries) before it is
    /// pointless: the bell has it anyway.
    pub ttl: Duration,
    /// First retry delay (doubles each time, at most an hour; a `Retry-After` may ask more).
    pub retry_base: Duration,
    /// Attempts before a push is given up.
    pub max_attempts: u32,
    /// How often the worker looks for due pushes it was not woken for (retries).
    pub poll: Duration,
    /// Pushes in flight at once.
    pub concurrency: usize,
    /// Most rows one round of the worker takes (alerts, and phones' read-syncs); a full
    /// round is followed by another at once, without waiting for a wake-up or the poll.
    pub round: usize,
    /// How long one push service may take to answer.
    pub request_timeout: Duration,
    /// How long "Save and test" waits for answers from outside: the push services' and the
    /// email relay's.
    pub test_wait: Duration,
    /// Apple's push service, for phones; without it a phone's pushes fail with a clear
    /// error.
    pub apns: Option<apns::ApnsConfig>,
    /// Firebase Cloud Messaging, for Android phones; the same without it.
    pub fcm: Option<fcm::FcmConfig>,
}

impl PushConfig {
    /// A round's size as the due-rows queries' LIMIT.
    fn round_limit(&self) -> i64 {
        i64::try_from(self.round.max(1)).unwrap_or(i64::MAX)
    }
}

impl Default for PushConfig {
    fn default() -> Self {
        PushConfig {
            contact: "mailto:herald@localhost".into(),
            allow_insecure_endpoints: false,
            ttl: Duration::from_secs(4 * 3600),
            retry_base: Duration::from_secs(5),
            max_attempts: 8,
            poll: Duration::from_secs(1),
            concurrency: 64,
            round: 256,
            request_timeout: Duration::from_secs(15),
            test_wait: Duration::from_secs(10),
            apns: None,
            fcm: None,
        }
    }
}

/// A row's answer, announced to whoever waits for it ("Save and test").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Answered {
    /// The item.
    pub notification: Uuid,
    /// The subscription.
    pub subscription: Uuid,
}

/// Sends pushes: the HTTP client, the VAPID key, the settings and the clock.
#[derive(Clone, Debug)]
pub struct Pusher {
    client: reqwest::Client,
    key: VapidKey,
    config: Arc<PushConfig>,
    clock: Clock,
    wake: Arc<Notify>,
    answers: broadcast::Sender<Answered>,
    /// The live streams, to tell whether a browser's window is in front of the agent.
    hub: Option<Arc<crate::hub::Hub>>,
    /// Apple's push service, when configured.
    apns: Option<Arc<apns::Apns>>,
    /// FCM, when configured.
    fcm: Option<Arc<fcm::Fcm>>,
}

/// Why push cannot start.
#[derive(Debug, thiserror::Error)]
pub enum PushError {
    /// The key.
    #[error(transparent)]
    Key(#[from] vapid::VapidError),
    /// The HTTP client.
    #[error("cannot build the push client: {0}")]
    Client(#[from] reqwest::Error),
    /// APNs.
    #[error(transparent)]
    Apns(#[from] apns::ApnsError),
    /// FCM.
    #[error(transparent)]
    Fcm(#[from] fcm::FcmError),
}

impl Pusher {
    /// Loads (or makes) the server's key and builds the client.
    pub async fn new(db: &Db, config: PushConfig, clock: Clock) -> Result<Pusher, PushError> {
        let key = VapidKey::load_or_create(db).await?;
        let mut client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(Duration::from_secs(5))
            .timeout(config.request_timeout)
            .user_agent(concat!("herald-server/", env!("CARGO_PKG_VERSION")));
        if config.allow_insecure_endpoints {
            tracing::warn!(
                "push endpoints on private addresses and plain http are allowed: tests and local set-ups only"
            );
        } else {
            client = client.dns_resolver(Arc::new(endpoint::PublicOnly));
        }
        let (answers, _) = broadcast::channel(1024);
        let apns = match &config.apns {
            Some(apns) => Some(Arc::new(apns::Apns::new(apns, config.request_timeout)?)),
            None => None,
        };
        let fcm = match &config.fcm {
            Some(fcm) => Some(Arc::new(fcm::Fcm::new(fcm, config.request_timeout)?)),
            None => None,
        };
        Ok(Pusher {
            client: client.build()?,
            key,
            config: Arc::new(config),
            clock,
            wake: Arc::new(Notify::new()),
            answers,
            hub: None,
            apns,
            fcm,
        })
    }

    /// Holds pushes to a browser while a window of its session is in front of the agent
    /// (the stream says so).
    pub fn with_hub(mut self, hub: Arc<crate::hub::Hub>) -> Pusher {
        self.hub = Some(hub);
        self
    }

    /// The server's VAPID public key.
    pub fn public_key(&self) -> &str {
        self.key.public_key()
    }

    /// The settings.
    pub fn config(&self) -> &PushConfig {
        &self.config
    }

    /// Wakes the worker: new pushes were committed.
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    /// The worker's wake-up, for ingest to ring after a commit with pushes.
    pub fn waker(&self) -> Arc<Notify> {
        Arc::clone(&self.wake)
    }

    /// Answers as they are recorded.
    pub fn answers(&self) -> broadcast::Receiver<Answered> {
        self.answers.subscribe()
    }
}

/// Runs rounds while they come full (`full` rows: more may be due); a failed round waits
/// for the next wake-up or poll.
async fn drain<F, Fut>(what: &str, full: usize, mut round: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<usize, crate::error::AppError>>,
{
    loop {
        match round().await {
            Ok(n) if n >= full => continue,
            Ok(_) => break,
            Err(err) => {
                tracing::warn!(error = %err, "{what} round failed; will retry");
                break;
            }
        }
    }
}

/// Sends due pushes until `stop`: at once when woken, and every `poll` for retries.
pub fn start_worker(
    db: Db,
    pusher: Pusher,
    stop: CancellationToken,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            let full = pusher.config.round.max(1);
            drain("push", full, || send_due(&db, &pusher)).await;
            drain("phones' read-sync", full, || sync::send_due(&db, &pusher)).await;
            tokio::select! {
                () = stop.cancelled() => return,
                () = pusher.wake.notified() => {}
                () = tokio::time::sleep(pusher.config.poll) => {}
            }
        }
    })
}
