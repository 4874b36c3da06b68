//! # herald-server
//!
//! The notification service: the platform posts its events here; the service applies each
//! agent's preferences (the policy of `herald-protocol`), keeps every agent's inbox and
//! streams it live to the agent's devices.
//!
//! # Layout
//!
//! - [`db`]: SQLite (WAL, one write connection, readers) or PostgreSQL behind sqlx's `Any`
//!   driver, migrations per store, times as sortable text, epoch.
//! - [`ingest`]: validation and the group-commit writer (events and test notifications).
//! - [`recipients`]: who receives an event (pure rules).
//! - [`inbox`]: inbox queries (list, read state, unread counts, replay).
//! - [`hub`]: live streams, bounded per-connection queues, close signals, items handed on
//!   in seq order.
//! - [`fanout`]: several nodes on one PostgreSQL: hints between nodes (`LISTEN`/`NOTIFY`),
//!   reading what another node committed, catch-up and sweep.
//! - [`email`]: the SMTP relay, the outbox worker, alerts, end-of-day summaries, templates.
//! - [`push`]: Web Push: the VAPID key, browsers' subscriptions, the push outbox worker.
//! - [`receipts`]: desktop apps' receipts (what each did with an OS notification).
//! - [`web`]: the web app at `/`, its cookie session guards and the security headers.
//! - [`metrics`]: counters and gauges for Prometheus (`GET /metrics`, internal addresses only);
//!   [`histogram`]: a histogram of durations for it.
//! - [`openapi`]: the OpenAPI description, generated from the route table and the types.
//! - [`token`]: opaque tokens (random, prefixed, stored as SHA-256) and the hex encoder.
//! - [`auth`]: the sign-in limiter, the callers tokens and keys stand for.
//! - [`passwords`]: Argon2id on a fixed set of workers with reused memory, behind a bounded
//!   queue (a burst of sign-ins cannot take the host's memory).
//! - [`http`]: the `/api/v1` routes, the extractors of the caller, and the WebSocket stream.
//! - [`admin`]: workspace, agent and ingest-key administration (the CLI's commands).
//! - [`connectors`]: helpdesks' signed webhooks (Chatwoot), mapped to Herald's events.
//! - [`provisioning`]: one workspace's agents, keys and connectors (the admin API's work).
//! - [`setup_links`]: one-time password set-up links.
//! - [`snooze`]: snoozing items and bringing them back on request.
//! - [`reminders`]: the worker that asks the ingest writer to bring back due items.
//! - [`leader`]: background work on one node at a time (a PostgreSQL advisory lock as the
//!   lease).
//! - [`workspace_policy`]: a workspace's starting preferences and locked settings.
//! - [`demo`]: the embedded demo: seed data and a traffic simulator.
//! - [`error`]: one error type, one JSON shape.
//!
//! [`start`] runs a server on a bound address and returns a handle that shuts it down
//! gracefully: streams are closed with a retryable code, queued events are committed, the
//! WAL is checkpointed.

pub mod admin;
pub mod auth;
pub mod connectors;
pub mod db;
pub mod demo;
pub mod email;
pub mod error;
pub mod fanout;
pub mod histogram;
pub mod http;
pub mod hub;
pub mod inbox;
pub mod ingest;
pub mod leader;
pub mod links;
pub mod metrics;
pub mod openapi;
pub mod passwords;
pub mod provisioning;
pub mod push;
pub mod receipts;
pub mod recipients;
pub mod reminders;
pub mod setup_links;
pub mod snooze;
pub mod token;
pub mod web;
pub mod workspace_policy;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

pub use herald_protocol as protocol;

use crate::auth::RateLimiter;
use crate::db::{DatabaseUrl, Db, DbError};
use crate::http::{AppState, StreamSettings};
use crate::hub::Hub;
use crate::ingest::Ingest;

/// How to run a server.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Where to listen (port 0 picks a free one).
    pub bind: SocketAddr,
    /// Where the data lives.
    pub database: DatabaseUrl,
    /// Stream limits and timings.
    pub stream: StreamSettings,
    /// Most live streams per agent.
    pub max_streams_per_agent: usize,
    /// Messages that may wait for one stream before it counts as slow.
    pub stream_queue: usize,
    /// Sign-in: failed attempts allowed per email / per address in `sign_in_window`.
    pub sign_in_limits: (usize, usize),
    /// The sign-in limiter's window.
    pub sign_in_window: Duration,
    /// Reverse proxies (nginx) whose `X-Forwarded-For` names the caller; none by default.
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// Password hashes that run at once (each holds 19 MiB, allocated once per worker).
    pub password_workers: usize,
    /// Sign-ins that may wait for a password worker; more are refused with 503.
    pub password_queue: usize,
    /// Most events committed in one transaction (group commit); 1 disables grouping.
    pub ingest_batch: usize,
    /// The SMTP relay; without it the email channel says it is not configured.
    pub email: Option<email::EmailConfig>,
    /// Web Push.
    pub push: push::PushConfig,
    /// Helpdesk connectors: agent sync interval, private API addresses.
    pub connectors: connectors::sync::SyncSettings,
    /// Where agents' browsers reach this server (`https://herald.acme.example`): the web
    /// app's cookies are `Secure` and its requests must come from this origin. Without it,
    /// a page must come from the host it connected to.
    pub public_url: Option<String>,
    /// The built web app (`ui/dist`); `None` looks in the source tree this server was built
    /// from ([`web::default_dir`]).
    pub web_dir: Option<std::path::PathBuf>,
    /// How long a valid ingest key is trusted without a lookup (a key revoked from another
    /// process stops working within this time).
    pub ingest_key_ttl: Duration,
    /// How often the reminders worker looks for snoozes that ended and unread assignments'
    /// reminders.
    pub reminder_poll: Duration,
    /// How often (PostgreSQL) the fan-out compares the seqs of agents streaming here with
    /// what their streams were handed: the longest a missed hint delays an item.
    pub fanout_sweep: Duration,
    /// The server's clock: inbox rows, read marks, sessions, links, email schedules. Tests
    /// move it instead of sleeping.
    pub clock: herald_protocol::Clock,
}

impl ServerConfig {
    /// Defaults for a database and an address.
    pub fn new(bind: SocketAddr, database: DatabaseUrl) -> ServerConfig {
        ServerConfig {
            bind,
            database,
            stream: StreamSettings::default(),
            max_streams_per_agent: 8,
            stream_queue: 1024,
            sign_in_limits: (10, 50),
            sign_in_window: Duration::from_secs(300),
            trusted_proxies: Vec::new(),
            password_workers: passwords::Passwords::workers_for_this_machine(),
            password_queue: 32,
            ingest_batch: ingest::MAX_BATCH,
            email: None,
            push: push::PushConfig::default(),
            connectors: connectors::sync::SyncSettings::default(),
            public_url: None,
            web_dir: None,
            ingest_key_ttl: Duration::from_secs(10),
            reminder_poll: Duration::from_secs(1),
            fanout_sweep: Duration::from_secs(5),
            clock: herald_protocol::Clock::system(),
        }
    }
}

/// Why a server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The database could not be opened.
    #[error(transparent)]
    Db(#[from] DbError),
    /// The email settings are unusable.
    #[error(transparent)]
    Email(#[from] email::EmailConfigError),
    /// The address could not be bound.
    #[error("cannot listen on {0}: {1}")]
    Bind(SocketAddr, std::io::Error),
    /// Push could not be set up.
    #[error(transparent)]
    Push(#[from] push::PushError),
    /// The password workers could not be started.
    #[error("cannot start the password workers: {0}")]
    Workers(std::io::Error),
    /// The helpdesk connectors' HTTP client could not be built.
    #[error("cannot build the connectors' HTTP client: {0}")]
    Connectors(reqwest::Error),
}

/// A running server.
#[derive(Debug)]
pub struct Running {
    /// The bound address.
    pub addr: SocketAddr,
    /// The database (for admin work beside the server, and tests).
    pub db: Db,
    /// The live streams.
    pub hub: Arc<Hub>,
    shutdown: CancellationToken,
    task: JoinHandle<()>,
}

impl Running {
    /// `http://addr` of this server.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops gracefully: no new connections, streams closed with `server_shutdown`, every
    /// queued event committed, the database checkpointed and closed.
    pub async fn shutdown(self) {
        self.shutdown.cancel();
        if let Err(err) = self.task.await {
            tracing::error!(error = %err, "server task failed");
        }
    }

    /// Waits until the server stops (after [`Running::shutdown`] from elsewhere, or a signal
    /// handled by the caller through [`Running::shutdown_token`]).
    pub fn shutdown_token(&self) -> CancellationToken {
        self.shutdown.clone()
    }

    /// Waits for the server task to end.
    pub async fn wait(self) {
        if let Err(err) = self.task.await {
            tracing::error!(error = %err, "server task failed");
        }
    }
}

/// Opens the database, binds, and serves until shut down.
pub async fn start(config: ServerConfig) -> Result<Running, StartError> {
    let mailer = config
        .email
        .clone()
        .map(|email| email::Mailer::new(email, config.clock.clone()))
        .transpose()?;
    let db = Db::open(&config.database).await?;
    let listener = TcpListener::bind(config.bind)
        .await
        .map_err(|e| StartError::Bind(config.bind, e))?;
    let addr = listener
        .local_addr()
        .map_err(|e| StartError::Bind(config.bind, e))?;
    let epoch = db.epoch().await.map_err(DbError::from)?;
    // The database's secret: it signs email links and derives the web app's CSRF tokens.
    let link_key = db.link_key().await.map_err(DbError::from)?;
    let mailer = mailer.map(|m| m.with_link_key(link_key.clone()));
    let hub = Hub::with_clock(
        config.max_streams_per_agent,
        config.stream_queue,
        config.clock.clone(),
    );
    let fanout = fanout::Fanout::new(db.clone(), Arc::clone(&hub), config.clock.clone());
    let pusher = push::Pusher::new(&db, config.push.clone(), config.clock.clone())
        .await?
        .with_hub(Arc::clone(&hub));
    let alert_delay = mailer.as_ref().map(|m| m.config().alert_delay);
    let metrics = Arc::new(metrics::Metrics::default());
    let (ingest, writer) = Ingest::start(
        db.clone(),
        Arc::clone(&hub),
        config.ingest_batch,
        alert_delay,
        pusher.waker(),
        config.clock.clone(),
        Arc::clone(&metrics),
    );
    // The decoy hash for unknown emails, made now rather than by the first sign-in.
    tokio::task::spawn_blocking(|| {
        passwords::decoy_hash();
    });
    let shutdown = CancellationToken::new();
    let fanout_task = fanout.start(
        &config.database,
        config.fanout_sweep,
        shutdown.child_token(),
    );
    let (receipts, receipt_writer) = receipts::Receipts::start(db.clone(), shutdown.child_token());
    let web_dir = config.web_dir.clone().unwrap_or_else(web::default_dir);
    let assets = web::WebAssets::load(&web_dir);
    match assets.source() {
        Some(source) => tracing::info!(from = source, "serving the web app"),
        None => tracing::warn!(
            dir = %web_dir.display(),
            "no built web app there: / says how to build it (cd ui && npm ci && npm run build)"
        ),
    }
    let web = web::WebSettings::new(config.public_url.as_deref(), link_key);
    let syncer = connectors::sync::Syncer::new(
        config.connectors.clone(),
        fanout.clone(),
        mailer.clone(),
        web.public_url.clone(),
    )
    .map_err(StartError::Connectors)?;
    let background = {
        let (db, mailer, pusher, ingest, syncer) = (
            db.clone(),
            mailer.clone(),
            pusher.clone(),
            ingest.clone(),
            syncer.clone(),
        );
        let (clock, reminder_poll) = (config.clock.clone(), config.reminder_poll);
        leader::run(
            &config.database,
            move |stop: CancellationToken| {
                let mut workers = vec![
                    push::start_worker(db.clone(), pusher.clone(), stop.clone()),
                    reminders::start_worker(
                        db.clone(),
                        ingest.clone(),
                        clock.clone(),
                        reminder_poll,
                        stop.clone(),
                    ),
                    connectors::sync::start_worker(
                        db.clone(),
                        syncer.clone(),
                        clock.clone(),
                        stop.clone(),
                    ),
                ];
                if let Some(mailer) = &mailer {
                    workers.push(email::start_worker(db.clone(), mailer.clone(), stop));
                }
                workers
            },
            Arc::clone(&metrics.background),
            shutdown.child_token(),
        )
    };
    let state = AppState {
        db: db.clone(),
        hub: Arc::clone(&hub),
        fanout,
        ingest,
        passwords: passwords::Passwords::start(config.password_workers, config.password_queue)
            .map_err(StartError::Workers)?,
        limiter: Arc::new(RateLimiter::new(
            config.sign_in_window,
            config.sign_in_limits.0,
            config.sign_in_limits.1,
        )),
        trusted_proxies: Arc::new(http::TrustedProxies::new(config.trusted_proxies.clone())),
        stream: Arc::new(config.stream.clone()),
        ingest_keys: Arc::new(auth::KeyCache::new(config.ingest_key_ttl)),
        shutdown: shutdown.clone(),
        epoch: Arc::from(epoch),
        mailer,
        pusher,
        receipts,
        syncer,
        metrics,
        web: Arc::new(web),
        clock: config.clock.clone(),
    };
    let app = http::router(state, assets).into_make_service_with_connect_info::<SocketAddr>();
    let checkpointer = db.checkpointer(Duration::from_millis(250), shutdown.child_token());
    let stop = shutdown.clone();
    let task_db = db.clone();
    let task = tokio::spawn(async move {
        let served = axum::serve(listener, app)
            .with_graceful_shutdown(stop.cancelled_owned())
            .await;
        if let Err(err) = served {
            tracing::error!(error = %err, "serving failed");
        }
        // The router and the background work (the reminders worker, and with them every
        // Ingest handle) are gone: the writer commits what is queued and ends.
        let _ = background.await;
        if let Err(err) = writer.await {
            tracing::error!(error = %err, "ingest writer failed");
        }
        let _ = checkpointer.await;
        let _ = receipt_writer.await;
        let _ = fanout_task.await;
        task_db.close().await;
        tracing::info!("server stopped");
    });
    tracing::info!(%addr, "herald-server listening");
    Ok(Running {
        addr,
        db,
        hub,
        shutdown,
        task,
    })
}
