//! One signed-in session and what runs for it: the client (stream, bell, alerts), the
//! preference sync with its debounced saves, and the save state told to the UI.
//!
//! [`SignedIn`] is built by [`crate::account::Account`], which owns the slot it lives in and
//! runs its stream; everything here is per session, so a new sign-in starts from a clean one.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use herald_protocol::{PrefEdit, Preferences, TestNotificationResult, VersionedPreferences};
use tokio_util::sync::CancellationToken;

use crate::client::{Client, ClientConfig};
use crate::error::{ErrorKind, Result};
use crate::ports::{EventSink, Notifier, UiEvent};
use crate::prefsync::{PrefSync, SaveStatus};
use crate::session::Session;
use crate::state::LocalState;

/// A signed-in session with its client and preference sync. Cheap to clone.
#[derive(Clone)]
pub struct SignedIn {
    /// The server's API, the token and who signed in.
    session: Session,
    /// Stream, bell and alerts.
    client: Client,
    /// The agent's preferences with unsaved edits.
    prefs: Arc<PrefSync>,
    /// Stops the stream and the save-state watcher when the session ends here.
    stop: CancellationToken,
    /// A debounced save is already on its way (edits meanwhile go in the same request).
    save_scheduled: Arc<AtomicBool>,
    /// Edits made within this time go out in one request.
    save_debounce: Duration,
    /// Where the debounced saves and the save-state watcher run.
    runtime: tokio::runtime::Handle,
}

impl std::fmt::Debug for SignedIn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The session's Debug redacts the token.
        f.debug_struct("SignedIn")
            .field("session", &self.session)
            .finish_non_exhaustive()
    }
}

/// What a session needs from its surroundings.
pub(crate) struct SessionPorts {
    pub local: Arc<dyn LocalState>,
    pub notifier: Arc<dyn Notifier>,
    pub sink: Arc<dyn EventSink>,
    pub runtime: tokio::runtime::Handle,
}

impl SignedIn {
    /// Builds the session's parts: the server's preferences (offline: the last copy kept,
    /// else the defaults; edits made meanwhile are kept and sent when the server is back),
    /// the client, the save-state watcher, and a save of edits kept from an earlier run.
    /// The stream is not started here ([`SignedIn::run`]).
    pub(crate) async fn start(
        session: Session,
        ports: SessionPorts,
        client: ClientConfig,
        save_debounce: Duration,
    ) -> Result<SignedIn> {
        let base = match session.api.preferences(&session.token).await {
            Ok(prefs) => prefs,
            Err(err) if err.kind == ErrorKind::Offline => ports
                .local
                .load()?
                .preferences
                .unwrap_or(VersionedPreferences {
                    version: 0,
                    preferences: Preferences::default(),
                }),
            Err(err) => return Err(err),
        };
        let prefs = Arc::new(PrefSync::new(
            session.api.clone(),
            session.token.clone(),
            base,
            ports.local.clone(),
        )?);
        let client = Client::new(
            session.api.clone(),
            session.token.clone(),
            ports.local,
            ports.notifier,
            ports.sink.clone(),
            client,
        )?;
        client.attach_preferences(prefs.clone());
        let signed_in = SignedIn {
            session,
            client,
            prefs,
            stop: CancellationToken::new(),
            save_scheduled: Arc::new(AtomicBool::new(false)),
            save_debounce,
            runtime: ports.runtime,
        };
        signed_in.forward_save_status(ports.sink);
        if !signed_in.prefs.pending().is_empty() {
            signed_in.schedule_save();
        }
        Ok(signed_in)
    }

    /// The session (API, token, who).
    pub fn session(&self) -> &Session {
        &self.session
    }

    /// The client: bell, marks, paging, why.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// The preference sync.
    pub fn prefs(&self) -> &Arc<PrefSync> {
        &self.prefs
    }

    /// The save state.
    pub fn save_status(&self) -> SaveStatus {
        self.prefs.status().borrow().clone()
    }

    /// Keeps the stream open until [`SignedIn::stop`] or the session ends on the server.
    pub(crate) async fn run(&self) -> Result<()> {
        self.client.run(self.stop.clone()).await
    }

    /// Stops the stream and the watchers (the position is saved as items arrive).
    pub(crate) fn stop(&self) {
        self.stop.cancel();
    }

    /// Whether `other` is this same session (not a later sign-in).
    pub(crate) fn is(&self, other: &SignedIn) -> bool {
        Arc::ptr_eq(&self.save_scheduled, &other.save_scheduled)
    }

    /// One preference edit: shown at once, saved soon.
    pub fn edit(&self, edit: PrefEdit) -> Result<Preferences> {
        let view = self.prefs.edit(edit)?;
        self.schedule_save();
        Ok(view)
    }

    /// Saves pending edits soon; edits made meanwhile go in the same request.
    pub fn schedule_save(&self) {
        if self.save_scheduled.swap(true, Ordering::AcqRel) {
            return;
        }
        let me = self.clone();
        self.runtime.spawn(async move {
            tokio::select! {
                () = me.stop.cancelled() => return,
                () = tokio::time::sleep(me.save_debounce) => {}
            }
            me.save_scheduled.store(false, Ordering::Release);
            if let Err(err) = me.prefs.flush().await {
                tracing::info!(kind = ?err.kind, error = %err, "preferences not saved yet");
            }
        });
    }

    /// Saves pending edits now (the "retry" and "save and test" buttons).
    pub async fn save_now(&self) -> Result<()> {
        self.prefs.flush().await
    }

    /// Sends a test notification (or a test mention) through the server's whole pipeline.
    pub async fn send_test(&self, mention: bool) -> Result<TestNotificationResult> {
        self.session
            .api
            .test_notification(&self.session.token, mention)
            .await
    }

    /// Tells the UI every change of the save state, until the session stops.
    fn forward_save_status(&self, sink: Arc<dyn EventSink>) {
        let mut status = self.prefs.status();
        let stop = self.stop.clone();
        self.runtime.spawn(async move {
            loop {
                let current = status.borrow_and_update().clone();
                sink.emit(UiEvent::Save { status: current });
                tokio::select! {
                    () = stop.cancelled() => break,
                    changed = status.changed() => if changed.is_err() { break },
                }
            }
        });
    }
}
