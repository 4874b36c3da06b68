//! Test support: a real herald-server, a fault-injecting TCP proxy in front of it, and
//! recording ports.

#![allow(dead_code, clippy::unwrap_used)]

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use herald_core::error::Result;
use herald_core::ports::{EventSink, Notifier, OsNotification, UiEvent};
use herald_protocol::{ActorRef, ConversationRef, EventKind, PlatformEvent};
use herald_server::admin::{self, NewAgent};
use herald_server::db::DatabaseUrl;
use herald_server::{Running, ServerConfig};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

pub mod device;

pub const PASSWORD: &str = "correct horse battery";

pub fn server_config(db: &std::path::Path) -> ServerConfig {
    let mut config = ServerConfig::new(
        "127.0.0.1:0".parse().unwrap(),
        DatabaseUrl::Sqlite(db.to_path_buf()),
    );
    config.stream.ping_interval = Duration::from_millis(200);
    config
}

/// A server with agent "ana" and an ingest key.
pub struct TestServer {
    pub running: Option<Running>,
    pub key: String,
    pub dir: tempfile::TempDir,
}

impl TestServer {
    pub async fn start() -> TestServer {
        Self::start_with(|_| {}).await
    }

    /// A server whose configuration `edit` changed first (a moved clock, say).
    pub async fn start_with(edit: impl FnOnce(&mut ServerConfig)) -> TestServer {
        let dir = tempfile::tempdir().unwrap();
        let mut config = server_config(&dir.path().join("h.db"));
        edit(&mut config);
        let running = herald_server::start(config).await.unwrap();
        admin::add_agent(
            &running.db,
            &NewAgent {
                workspace: "Acme".into(),
                external_id: "ana".into(),
                email: "ana@acme.test".into(),
                name: "Ana".into(),
                password: PASSWORD.into(),
                groups: vec![],
            },
        )
        .await
        .unwrap();
        let (_, key) = admin::create_ingest_key(&running.db, "Acme", None)
            .await
            .unwrap();
        admin::set_link_origins(&running.db, "Acme", &["https://acme.example".into()])
            .await
            .unwrap();
        TestServer {
            running: Some(running),
            key,
            dir,
        }
    }

    pub fn addr(&self) -> SocketAddr {
        self.running.as_ref().unwrap().addr
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr())
    }

    /// Stops the server and starts it again on the same database (a new port).
    pub async fn restart(&mut self) {
        self.running.take().unwrap().shutdown().await;
        self.running = Some(
            herald_server::start(server_config(&self.dir.path().join("h.db")))
                .await
                .unwrap(),
        );
    }

    pub async fn ingest(&self, id: &str) {
        self.ingest_event(&reply(id)).await;
    }

    pub async fn ingest_event(&self, event: &PlatformEvent) {
        reqwest::Client::new()
            .post(format!("{}/api/v1/events", self.url()))
            .bearer_auth(&self.key)
            .json(event)
            .send()
            .await
            .unwrap()
            .error_for_status()
            .unwrap();
    }
}

/// A client signed in as ana at `url` (a server, or a proxy in front of one), its stream
/// running until `stop` and live.
pub struct LiveClient {
    pub client: herald_core::client::Client,
    pub api: herald_core::api::Api,
    pub token: herald_core::sensitive::Sensitive<String>,
    pub stop: tokio_util::sync::CancellationToken,
}

impl LiveClient {
    pub async fn start(
        url: &str,
        notifier: std::sync::Arc<dyn Notifier>,
        sink: std::sync::Arc<dyn EventSink>,
        config: herald_core::client::ClientConfig,
    ) -> LiveClient {
        use herald_core::sensitive::Sensitive;
        let api =
            herald_core::api::Api::new(herald_core::config::ServerUrl::parse(url, false).unwrap())
                .unwrap();
        let (token, _) = api
            .sign_in("ana@acme.test", &Sensitive::new(PASSWORD.into()), None)
            .await
            .unwrap();
        let client = herald_core::client::Client::new(
            api.clone(),
            token.clone(),
            std::sync::Arc::new(herald_core::state::MemoryState::default()),
            notifier,
            sink,
            config,
        )
        .unwrap();
        let stop = tokio_util::sync::CancellationToken::new();
        tokio::spawn({
            let (client, stop) = (client.clone(), stop.clone());
            async move { client.run(stop).await }
        });
        let conn = client.connection();
        herald_testkit::wait_until("the stream is live", || {
            *conn.borrow() == herald_core::ports::ConnState::Live
        })
        .await;
        LiveClient {
            client,
            api,
            token,
            stop,
        }
    }
}

/// A customer's reply in conversation c-1, assigned to ana.
pub fn reply(id: &str) -> PlatformEvent {
    PlatformEvent {
        id: id.into(),
        kind: EventKind::Reply,
        occurred_at: chrono::Utc::now(),
        conversation: Some(ConversationRef {
            id: "c-1".into(),
            inbox_id: None,
            team_id: None,
            subject: Some("Pedido #4821".into()),
            customer_name: Some("Marina".into()),
            url: None,
        }),
        actor: Some(ActorRef {
            agent_id: None,
            name: "Marina".into(),
        }),
        assignee: Some("ana".into()),
        mentioned: vec![],
        participants: vec![],
        text: Some(format!("message {id}")),
        module: None,
        recipients: vec![],
        teams: vec![],
    }
}

/// A customer's reply in another conversation, assigned to ana.
pub fn reply_in(id: &str, conversation: &str) -> PlatformEvent {
    let mut event = reply(id);
    if let Some(c) = event.conversation.as_mut() {
        c.id = conversation.into();
    }
    event
}

/// An address nobody listens on (a server gone, for a proxy to point at).
pub async fn dead_address() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    listener.local_addr().unwrap()
}

/// A TCP proxy that can cut, reset, stall (half-open) and cut mid-frame its connections.
pub struct FaultProxy {
    pub addr: SocketAddr,
    target: Arc<Mutex<SocketAddr>>,
    kill: watch::Sender<u64>,
    stall: watch::Sender<bool>,
    reset: Arc<AtomicBool>,
    mid_frame: Arc<AtomicBool>,
    slow: watch::Sender<Duration>,
}

impl FaultProxy {
    pub async fn start(target: SocketAddr) -> FaultProxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let target = Arc::new(Mutex::new(target));
        let (kill, _) = watch::channel(0u64);
        let (stall, _) = watch::channel(false);
        let reset = Arc::new(AtomicBool::new(false));
        let mid_frame = Arc::new(AtomicBool::new(false));
        let (slow, _) = watch::channel(Duration::ZERO);
        let proxy = FaultProxy {
            addr,
            target: target.clone(),
            kill: kill.clone(),
            stall: stall.clone(),
            reset: reset.clone(),
            mid_frame: mid_frame.clone(),
            slow: slow.clone(),
        };
        tokio::spawn(async move {
            while let Ok((client, _)) = listener.accept().await {
                let to = *target.lock().unwrap();
                let (kill, stall, reset, mid_frame, slow) = (
                    kill.subscribe(),
                    stall.subscribe(),
                    reset.clone(),
                    mid_frame.clone(),
                    slow.subscribe(),
                );
                tokio::spawn(async move {
                    if let Ok(server) = TcpStream::connect(to).await {
                        pump(client, server, kill, stall, reset, mid_frame, slow).await;
                    }
                });
            }
        });
        proxy
    }

    /// Closes every open connection (FIN).
    pub fn cut(&self) {
        self.reset.store(false, Ordering::SeqCst);
        self.kill.send_modify(|g| *g += 1);
    }

    /// Closes every open connection with a reset (RST).
    pub fn reset(&self) {
        self.reset.store(true, Ordering::SeqCst);
        self.kill.send_modify(|g| *g += 1);
    }

    /// Stops forwarding bytes while keeping the sockets open (a half-open link).
    pub fn stall(&self, on: bool) {
        self.stall.send_replace(on);
    }

    /// The next chunk from the server is forwarded half, then the connection is cut.
    pub fn cut_mid_frame(&self) {
        self.mid_frame.store(true, Ordering::SeqCst);
    }

    /// Delays every chunk from the server by `delay` (a slow link); zero for full speed.
    pub fn slow(&self, delay: Duration) {
        self.slow.send_replace(delay);
    }

    /// New connections go to another address (the server restarted on a new port).
    pub fn retarget(&self, to: SocketAddr) {
        *self.target.lock().unwrap() = to;
    }
}

async fn pump(
    mut client: TcpStream,
    mut server: TcpStream,
    mut kill: watch::Receiver<u64>,
    mut stall: watch::Receiver<bool>,
    reset: Arc<AtomicBool>,
    mid_frame: Arc<AtomicBool>,
    slow: watch::Receiver<Duration>,
) {
    let (mut a, mut b) = ([0u8; 8192], [0u8; 8192]);
    let mut stalled = *stall.borrow();
    loop {
        tokio::select! {
            _ = kill.changed() => {
                if reset.load(Ordering::SeqCst) {
                    // Linger zero: the close sends RST at once (no blocking, nothing to flush).
                    #[allow(deprecated)]
                    let _ = client.set_linger(Some(Duration::ZERO));
                }
                return;
            }
            _ = stall.changed() => stalled = *stall.borrow(),
            n = client.read(&mut a), if !stalled => match n {
                Ok(0) | Err(_) => return,
                Ok(n) => if server.write_all(&a[..n]).await.is_err() { return },
            },
            n = server.read(&mut b), if !stalled => match n {
                Ok(0) | Err(_) => return,
                Ok(n) => {
                    let delay = *slow.borrow();
                    if !delay.is_zero() {
                        tokio::time::sleep(delay).await;
                    }
                    if mid_frame.swap(false, Ordering::SeqCst) && n > 1 {
                        let _ = client.write_all(&b[..n / 2]).await;
                        return;
                    }
                    if client.write_all(&b[..n]).await.is_err() { return }
                }
            },
        }
    }
}

/// Records what the core asks of the shell.
#[derive(Default)]
pub struct Recorder {
    pub events: Mutex<Vec<UiEvent>>,
    pub shown: Mutex<Vec<OsNotification>>,
}

impl EventSink for Recorder {
    fn emit(&self, event: UiEvent) {
        self.events.lock().unwrap().push(event);
    }
}

impl Notifier for Recorder {
    fn show(&self, notification: &OsNotification) -> Result<()> {
        self.shown.lock().unwrap().push(notification.clone());
        Ok(())
    }
}

impl Recorder {
    /// Event ids of the items the UI was told about, in order.
    pub fn item_events(&self) -> Vec<String> {
        self.events
            .lock()
            .unwrap()
            .iter()
            .filter_map(|e| match e {
                UiEvent::Item { notification, .. } => Some(notification.event_id.clone()),
                _ => None,
            })
            .collect()
    }
}

impl Recorder {
    /// How many times the connection (re)opened.
    pub fn connects(&self) -> usize {
        self.events
            .lock()
            .unwrap()
            .iter()
            .filter(|e| {
                matches!(
                    e,
                    UiEvent::Connection {
                        state: herald_core::ports::ConnState::Live
                    }
                )
            })
            .count()
    }
}
