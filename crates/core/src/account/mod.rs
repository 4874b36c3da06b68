//! The agent's account on this device: signed out or signed in, and every transition between
//! the two (restore at start, sign in, sign out, the session ending on the server).
//!
//! An [`Account`] owns the slot of the current [`SignedIn`] session and the lock that keeps
//! transitions one at a time, the device's side of the policy ([`DeviceContext`]: focus,
//! mute, OS permission, kept across sessions), and the [`Indicators`] a shell shows outside
//! its window (tray, badge). The shell gives it its ports when it is built and calls it;
//! nothing here knows Tauri, so every behaviour is tested headless against a real server.
//!
//! Background work (the stream, debounced saves) runs on the runtime handed in with the
//! ports, so every method may be called from any thread.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::Duration;

use herald_protocol::{AgentProfile, Language};
use tokio::sync::watch;
use uuid::Uuid;

mod answers;
mod wake;

pub(crate) use wake::watch_sleep;

use crate::agent::{SessionPorts, SignedIn};
use crate::client::{ClientConfig, DeviceContext};
use crate::config::ServerUrl;
use crate::error::{CoreError, ErrorKind, Result};
use crate::ports::{ConnState, EventSink, Notifier, UiEvent};
use crate::secret::SecretStore;
use crate::sensitive::Sensitive;
use crate::session::{self, Session};
use crate::state::LocalState;

/// How an account behaves.
#[derive(Debug, Clone)]
pub struct AccountConfig {
    /// How this device names itself to the server (listed with the agent's sessions).
    pub device_name: String,
    /// The client's timings and clock.
    pub client: ClientConfig,
    /// Edits made within this time go out in one request.
    pub save_debounce: Duration,
    /// Accept `http://` for a server on another machine (never in the app; tests use
    /// loopback, which is always allowed).
    pub allow_insecure: bool,
    /// Prefills the sign-in form before the first sign-in (`scripts/run.sh` points the app
    /// at the demo server this way).
    pub prefill_server: Option<String>,
    /// Likewise, the email.
    pub prefill_email: Option<String>,
}

impl Default for AccountConfig {
    fn default() -> Self {
        AccountConfig {
            device_name: format!("Herald ({})", std::env::consts::OS),
            client: ClientConfig::default(),
            save_debounce: Duration::from_millis(250),
            allow_insecure: false,
            prefill_server: None,
            prefill_email: None,
        }
    }
}

/// What the account needs from its surroundings.
pub struct AccountPorts {
    /// Where the token is kept (the OS keychain in the app).
    pub secrets: Arc<dyn SecretStore>,
    /// Where the position, the cached page and unsaved edits are kept.
    pub local: Arc<dyn LocalState>,
    /// Shows OS notifications.
    pub notifier: Arc<dyn Notifier>,
    /// Receives every [`UiEvent`].
    pub sink: Arc<dyn EventSink>,
    /// The Tokio runtime the account's background work runs on (the shell calls some of
    /// its methods from threads outside any runtime, such as the UI thread).
    pub runtime: tokio::runtime::Handle,
}

/// What a shell shows outside its window: the tray's state and count, the badge, the words
/// of its menus and notification buttons. Published whenever one of them changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Indicators {
    /// The connection.
    pub connection: ConnState,
    /// The unread counter.
    pub unread: u32,
    /// The agent's language.
    pub language: Language,
    /// Show the count on the app icon.
    pub unread_badge: bool,
}

impl Default for Indicators {
    fn default() -> Self {
        Indicators {
            connection: ConnState::Stopped,
            unread: 0,
            language: Language::default(),
            unread_badge: true,
        }
    }
}

/// The agent's account on this device. Cheap to clone.
#[derive(Clone)]
pub struct Account {
    inner: Arc<Inner>,
}

struct Inner {
    config: AccountConfig,
    secrets: Arc<dyn SecretStore>,
    local: Arc<dyn LocalState>,
    notifier: Arc<dyn Notifier>,
    /// The shell's sink behind an [`Observer`] that keeps the indicators current.
    sink: Arc<dyn EventSink>,
    /// The current session, if any.
    slot: Mutex<Option<SignedIn>>,
    /// Serialises restore, sign-in, sign-out and the end of a session.
    transition: tokio::sync::Mutex<()>,
    /// Where background work runs.
    runtime: tokio::runtime::Handle,
    /// Focus, mute, OS permission: applied to every session.
    device: Mutex<DeviceContext>,
    /// Until the start-up restore has finished.
    restoring: AtomicBool,
    /// An item the next window should show (its OS notification was clicked).
    focus: Mutex<Option<Uuid>>,
    indicators: watch::Sender<Indicators>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}

fn signed_out() -> CoreError {
    CoreError::new(ErrorKind::SignedOut, "nobody is signed in")
}

/// Sits between the client and the shell's sink: keeps the indicators current, then
/// forwards the event.
struct Observer {
    account: Weak<Inner>,
    next: Arc<dyn EventSink>,
}

impl EventSink for Observer {
    fn emit(&self, event: UiEvent) {
        let affects_indicators = matches!(
            event,
            UiEvent::Unread { .. }
                | UiEvent::Connection { .. }
                | UiEvent::Preferences { .. }
                | UiEvent::SignedOut { .. }
        );
        // The indicators first: whoever hears the event next reads them current.
        if affects_indicators {
            if let Some(inner) = self.account.upgrade() {
                Account { inner }.publish_indicators();
            }
        }
        self.next.emit(event);
    }
}

impl Account {
    /// An account that starts signed out (call [`Account::restore`] at start).
    pub fn new(config: AccountConfig, ports: AccountPorts, device: DeviceContext) -> Account {
        let inner = Arc::new_cyclic(|weak: &Weak<Inner>| Inner {
            config,
            secrets: ports.secrets,
            local: ports.local,
            notifier: ports.notifier,
            sink: Arc::new(Observer {
                account: weak.clone(),
                next: ports.sink,
            }),
            slot: Mutex::new(None),
            runtime: ports.runtime,
            transition: tokio::sync::Mutex::new(()),
            device: Mutex::new(device),
            restoring: AtomicBool::new(true),
            focus: Mutex::new(None),
            indicators: watch::channel(Indicators::default()).0,
        });
        Account { inner }
    }

    /// The current session, or a `signed_out` error.
    pub fn signed_in(&self) -> Result<SignedIn> {
        self.current().ok_or_else(signed_out)
    }

    fn current(&self) -> Option<SignedIn> {
        lock(&self.inner.slot).clone()
    }

    /// The indicators, to follow.
    pub fn indicators(&self) -> watch::Receiver<Indicators> {
        self.inner.indicators.subscribe()
    }

    /// Recomputes the indicators and tells followers if they changed.
    fn publish_indicators(&self) {
        let next = match self.current() {
            Some(session) => {
                let prefs = session.prefs().view();
                Indicators {
                    connection: session.client().connection().borrow().clone(),
                    unread: session.client().unread().total,
                    language: prefs.language,
                    unread_badge: prefs.unread_badge,
                }
            }
            None => Indicators::default(),
        };
        self.inner.indicators.send_if_modified(|shown| {
            let changed = *shown != next;
            *shown = next;
            changed
        });
    }

    /// The device's side of the policy.
    pub fn device(&self) -> DeviceContext {
        *lock(&self.inner.device)
    }

    /// Changes the device's side of the policy (the window's focus, the device mute, what
    /// the OS allows); the current session decides with it from the next item on.
    pub fn update_device(&self, change: impl FnOnce(&mut DeviceContext)) {
        let device = {
            let mut device = lock(&self.inner.device);
            change(&mut device);
            *device
        };
        if let Some(session) = self.current() {
            session.client().set_device(device);
        }
    }

    /// At start: resumes the session kept in the keychain, if any, then tells the UI the
    /// restore is over ([`UiEvent::Restored`]).
    pub async fn restore(&self) {
        let _one = self.inner.transition.lock().await;
        match session::restore(
            &self.inner.secrets,
            &self.inner.local,
            self.inner.config.allow_insecure,
        )
        .await
        {
            Ok(Some(session)) => {
                if let Err(err) = self.start(session).await {
                    tracing::warn!(kind = ?err.kind, error = %err, "could not resume the session");
                }
            }
            Ok(None) => {}
            Err(err) => {
                tracing::warn!(kind = ?err.kind, error = %err, "could not restore the session")
            }
        }
        self.inner.restoring.store(false, Ordering::Release);
        self.inner.sink.emit(UiEvent::Restored);
        self.publish_indicators();
    }

    /// Signs in (ending any current session here) and starts following the agent's
    /// notifications. The token goes to the keychain and nowhere else.
    pub async fn sign_in(
        &self,
        server: &str,
        email: &str,
        password: Sensitive<String>,
    ) -> Result<AgentProfile> {
        let _one = self.inner.transition.lock().await;
        let url = ServerUrl::parse(server.trim(), self.inner.config.allow_insecure)?;
        self.take_session();
        let session = session::sign_in(
            url,
            email.trim(),
            &password,
            Some(&self.inner.config.device_name),
            &self.inner.secrets,
            &self.inner.local,
        )
        .await?;
        let agent = session.agent.clone();
        self.start(session).await?;
        agent.ok_or_else(|| CoreError::new(ErrorKind::Server, "the server did not say who you are"))
    }

    /// Signs out: stops the stream, revokes the session, forgets the token and the cache.
    pub async fn sign_out(&self) -> Result<()> {
        let _one = self.inner.transition.lock().await;
        let ended = self.take_session();
        let result = match ended {
            Some(session) => {
                session::sign_out(
                    session.session().clone(),
                    &self.inner.secrets,
                    &self.inner.local,
                )
                .await
            }
            None => Ok(()),
        };
        self.publish_indicators();
        result
    }

    /// At exit: stops the stream (the position is saved as items arrive).
    pub fn shutdown(&self) {
        self.take_session();
    }

    fn take_session(&self) -> Option<SignedIn> {
        let ended = lock(&self.inner.slot).take();
        if let Some(session) = &ended {
            session.stop();
        }
        ended
    }

    /// Builds the session's parts, puts them in the slot and runs the stream; when the
    /// server ends the session, its token is forgotten and the UI told.
    async fn start(&self, session: Session) -> Result<()> {
        let ports = SessionPorts {
            local: self.inner.local.clone(),
            notifier: self.inner.notifier.clone(),
            sink: self.inner.sink.clone(),
            runtime: self.inner.runtime.clone(),
        };
        let signed_in = SignedIn::start(
            session,
            ports,
            ClientConfig {
                app_name: self.inner.config.device_name.clone(),
                ..self.inner.config.client.clone()
            },
            self.inner.config.save_debounce,
        )
        .await?;
        signed_in.client().set_device(self.device());
        *lock(&self.inner.slot) = Some(signed_in.clone());
        self.publish_indicators();
        let account = Arc::downgrade(&self.inner);
        self.inner.runtime.spawn(async move {
            if let Err(err) = signed_in.run().await {
                tracing::warn!(kind = ?err.kind, error = %err, "the stream ended");
            }
            let ended = signed_in.client().connection().borrow().clone();
            if let (ConnState::SignedOut { reason }, Some(inner)) = (ended, account.upgrade()) {
                Account { inner }.session_ended(&signed_in, reason).await;
            }
        });
        Ok(())
    }

    /// The server ended `ended` (revoked, expired, agent disabled): forget its token, keep
    /// the local state (unsaved edits go out after the next sign-in), tell the UI.
    async fn session_ended(&self, ended: &SignedIn, reason: String) {
        let _one = self.inner.transition.lock().await;
        let current = {
            let mut slot = lock(&self.inner.slot);
            match slot.as_ref() {
                Some(session) if session.is(ended) => slot.take(),
                // Already replaced by a new sign-in or a sign-out: nothing to forget.
                _ => None,
            }
        };
        let Some(session) = current else {
            return;
        };
        session.stop();
        if let Err(err) =
            session::forget_token(session.session(), &self.inner.secrets, &self.inner.local)
        {
            tracing::warn!(kind = ?err.kind, error = %err, "could not delete the ended session's token");
        }
        self.inner.sink.emit(UiEvent::SignedOut { reason });
    }

    /// Shows `item` in the window: now if the UI listens, else when it next asks for the
    /// session ([`SessionView::focus_item`]).
    pub fn focus_item(&self, item: Uuid) {
        *lock(&self.inner.focus) = Some(item);
        self.inner.sink.emit(UiEvent::FocusItem { id: item });
    }
}
