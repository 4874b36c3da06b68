//! The app's state: who is signed in, the core's client and preference sync for that session,
//! and the device's side of the policy (focus, mute, what the OS allows).
//!
//! The session token never leaves this module except into the keychain: commands get views
//! (`SessionView`, snapshots), never the `Session` itself.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use chrono::{DateTime, Utc};
use herald_core::api::Api;
use herald_core::client::{Client, ClientConfig, DeviceContext, NotificationAction};
use herald_core::config::ServerUrl;
use herald_core::error::{CoreError, ErrorKind, Result};
use herald_core::ports::{ConnState, UiEvent};
use herald_core::prefsync::{PrefSync, SaveStatus};
use herald_core::secret::{KeyringStore, SecretStore};
use herald_core::sensitive::Sensitive;
use herald_core::session::{self, Session};
use herald_core::state::{FileState, LocalState};
use herald_protocol::{
    AgentProfile, Language, OsPermission, PrefEdit, Preferences, TestNotificationResult,
    UnreadCount, VersionedPreferences,
};
use serde::Serialize;
use tauri::{AppHandle, Emitter, Manager};
use tauri_plugin_store::StoreExt;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::sink::{Sink, EVENT};

/// The keychain service name (accounts are "server|email").
const KEYCHAIN_SERVICE: &str = "dev.herald.app";
/// The store of device-only settings (never a secret).
const DEVICE_STORE: &str = "device.json";
/// Edits made within this time go out in one request.
const SAVE_DEBOUNCE: Duration = Duration::from_millis(250);

/// A signed-in session and what runs for it.
#[derive(Clone)]
struct Running {
    session: Session,
    client: Client,
    prefs: Arc<PrefSync>,
    stop: CancellationToken,
}

/// What the UI sees of the session.
#[derive(Debug, Clone, Serialize)]
pub struct SessionView {
    /// Someone is signed in.
    pub signed_in: bool,
    /// Who (absent when restored offline and not yet confirmed).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub agent: Option<AgentProfile>,
    /// The last server, to prefill the form.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub server: Option<String>,
    /// The last email, to prefill the form.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// The connection.
    pub connection: ConnState,
    /// This device is muted.
    pub device_muted: bool,
    /// The session kept in the keychain is still being restored (the UI waits for the
    /// `restored` event instead of showing the sign-in form).
    pub restoring: bool,
    /// An item to show: its OS notification was clicked while no window was open.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub focus_item: Option<Uuid>,
}

/// Live facts the tray, the badge and the diagnostics read; updated from the core's events.
#[derive(Debug, Clone)]
pub struct Live {
    /// The connection.
    pub connection: ConnState,
    /// The unread counter.
    pub unread: u32,
    /// When the last item arrived.
    pub last_event_at: Option<DateTime<Utc>>,
}

/// The app's state, managed by Tauri.
pub struct Herald {
    app: AppHandle,
    secrets: Arc<dyn SecretStore>,
    local: Arc<dyn LocalState>,
    running: Mutex<Option<Running>>,
    /// Serialises sign-in, sign-out and restore.
    transition: tokio::sync::Mutex<()>,
    live: Mutex<Live>,
    focused: AtomicBool,
    muted: AtomicBool,
    permission: Mutex<OsPermission>,
    /// OS notification ids (the plugin's i32) to the inbox items they show.
    shown: Mutex<HashMap<i32, Uuid>>,
    next_shown: AtomicI32,
    save_scheduled: AtomicBool,
    /// An item the next window should show (a click on its notification opened the window).
    focus: Mutex<Option<Uuid>>,
    /// The language the tray and the notification buttons are in.
    language: Mutex<Language>,
    /// Until the start-up restore has finished.
    restoring: AtomicBool,
    /// When the app started (start-up timings in the log).
    started: std::time::Instant,
    /// The UI has asked for the bell once (start-up timings in the log).
    bell_shown: AtomicBool,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}

fn storage_error(what: &str, err: impl std::fmt::Display) -> CoreError {
    CoreError::new(ErrorKind::Storage, format!("{what}: {err}"))
}

impl Herald {
    /// The state for `app`: local state in the app's data folder, the token in the keychain.
    pub fn new(
        app: &AppHandle,
        started: std::time::Instant,
    ) -> std::result::Result<Herald, Box<dyn std::error::Error>> {
        let dir = app.path().app_data_dir()?;
        std::fs::create_dir_all(&dir)?;
        let muted = app
            .store(DEVICE_STORE)
            .ok()
            .and_then(|store| store.get("device_muted"))
            .and_then(|v| v.as_bool())
            .unwrap_or(false);
        Ok(Herald {
            app: app.clone(),
            secrets: Arc::new(KeyringStore::new(KEYCHAIN_SERVICE)),
            local: Arc::new(FileState::new(dir.join("state.json"))),
            running: Mutex::new(None),
            transition: tokio::sync::Mutex::new(()),
            live: Mutex::new(Live {
                connection: ConnState::Stopped,
                unread: 0,
                last_event_at: None,
            }),
            focused: AtomicBool::new(false),
            muted: AtomicBool::new(muted),
            permission: Mutex::new(OsPermission::Unknown),
            shown: Mutex::new(HashMap::new()),
            next_shown: AtomicI32::new(1),
            save_scheduled: AtomicBool::new(false),
            focus: Mutex::new(None),
            language: Mutex::new(Language::En),
            restoring: AtomicBool::new(true),
            started,
            bell_shown: AtomicBool::new(false),
        })
    }

    fn running(&self) -> Option<Running> {
        lock(&self.running).clone()
    }

    fn signed_in(&self) -> Result<Running> {
        self.running()
            .ok_or_else(|| CoreError::new(ErrorKind::SignedOut, "nobody is signed in"))
    }

    /// The client of the session.
    pub fn client(&self) -> Result<Client> {
        Ok(self.signed_in()?.client)
    }

    /// The preference sync of the session.
    pub fn prefs(&self) -> Result<Arc<PrefSync>> {
        Ok(self.signed_in()?.prefs)
    }

    /// The server's API and the token, for the few calls the client does not wrap.
    fn with_api(&self) -> Result<(Api, Sensitive<String>)> {
        let running = self.signed_in()?;
        Ok((running.session.api.clone(), running.session.token.clone()))
    }

    /// Live facts for the tray and the diagnostics.
    pub fn live(&self) -> Live {
        lock(&self.live).clone()
    }

    /// The window gained or lost focus.
    pub fn set_focused(&self, focused: bool) {
        self.focused.store(focused, Ordering::Relaxed);
        self.push_device();
    }

    /// The window has focus.
    pub fn focused(&self) -> bool {
        self.focused.load(Ordering::Relaxed)
    }

    /// This device is muted.
    pub fn muted(&self) -> bool {
        self.muted.load(Ordering::Relaxed)
    }

    /// Mutes or unmutes this device (kept in the device store, not on the server).
    pub fn set_muted(&self, muted: bool) -> Result<()> {
        self.muted.store(muted, Ordering::Relaxed);
        let store = self
            .app
            .store(DEVICE_STORE)
            .map_err(|e| storage_error("the device settings could not be opened", e))?;
        store.set("device_muted", serde_json::Value::Bool(muted));
        store
            .save()
            .map_err(|e| storage_error("the device settings could not be saved", e))?;
        self.push_device();
        Ok(())
    }

    /// What the OS allows, as found by the diagnostics.
    pub fn set_permission(&self, permission: OsPermission) {
        *lock(&self.permission) = permission;
        self.push_device();
    }

    fn push_device(&self) {
        if let Some(running) = self.running() {
            running.client.set_device(DeviceContext {
                app_focused: self.focused(),
                device_muted: self.muted(),
                push_permission: *lock(&self.permission),
            });
        }
    }

    /// Remembers which inbox item an OS notification shows; returns the notification's id.
    pub fn remember_shown(&self, item: Uuid) -> i32 {
        let id = self.next_shown.fetch_add(1, Ordering::Relaxed);
        let mut shown = lock(&self.shown);
        // A long shift shows many; the old ones cannot be clicked any more.
        if shown.len() > 2_000 {
            shown.clear();
        }
        shown.insert(id, item);
        id
    }

    /// The item an OS notification showed.
    pub fn shown_item(&self, id: i32) -> Option<Uuid> {
        lock(&self.shown).get(&id).copied()
    }

    /// The agent's current preferences (with unsaved edits), if signed in.
    pub fn current_preferences(&self) -> Option<Preferences> {
        self.running().map(|r| r.prefs.view())
    }

    /// Called by the sink for every core event: keeps the live facts, the tray and the badge.
    pub fn observe(&self, event: &UiEvent) {
        let changed = {
            let mut live = lock(&self.live);
            match event {
                UiEvent::Item { .. } => {
                    live.last_event_at = Some(Utc::now());
                    false
                }
                UiEvent::Unread { unread } => {
                    live.unread = unread.total;
                    true
                }
                UiEvent::Connection { state } => {
                    live.connection = state.clone();
                    true
                }
                // The badge setting or the language may have changed on another device.
                UiEvent::Preferences { .. } => true,
                _ => false,
            }
        };
        if changed {
            self.refresh_indicators();
        }
    }

    /// Shows the counter and the connection in the tray and on the app icon.
    pub fn refresh_indicators(&self) {
        let live = self.live();
        let prefs = self.current_preferences();
        let language = prefs.as_ref().map(|p| p.language).unwrap_or_default();
        if std::mem::replace(&mut *lock(&self.language), language) != language {
            crate::notify::name_actions(&self.app, language);
        }
        #[cfg(desktop)]
        crate::tray::update(&self.app, &live, language);
        let badge = prefs.map(|p| p.unread_badge).unwrap_or(true);
        if let Some(window) = crate::window::main(&self.app) {
            let count = (badge && live.unread > 0).then(|| i64::from(live.unread));
            // Not every desktop has a badge (Linux needs a launcher that shows one).
            if let Err(err) = window.set_badge_count(count) {
                tracing::debug!(error = %err, "no unread badge here");
            }
        }
    }

    /// What the UI shows before anything else.
    pub fn session_view(&self) -> SessionView {
        let saved = self.local.load().unwrap_or_default();
        let running = self.running();
        SessionView {
            signed_in: running.is_some(),
            agent: running.and_then(|r| r.session.agent),
            // Before the first sign-in, the form can be prefilled (scripts/run.sh points it
            // at the demo server this way).
            server: saved.server.or_else(|| std::env::var("HERALD_SERVER").ok()),
            email: saved.email.or_else(|| std::env::var("HERALD_EMAIL").ok()),
            connection: self.live().connection,
            device_muted: self.muted(),
            restoring: self.restoring.load(Ordering::Acquire),
            focus_item: lock(&self.focus).take(),
        }
    }

    /// Shows `item` in the window: now if the UI is listening, else when it asks at start.
    pub fn focus_item(&self, item: Uuid) {
        *lock(&self.focus) = Some(item);
        let _ = self.app.emit(
            EVENT,
            serde_json::json!({ "type": "focus_item", "id": item }),
        );
    }

    /// At start: resumes the session kept in the keychain, if any.
    pub async fn restore(&self) {
        let _one = self.transition.lock().await;
        match session::restore(&self.secrets, &self.local, false).await {
            Ok(Some(session)) => {
                if let Err(err) = self.start(session).await {
                    tracing::warn!(error = %err, "could not resume the session");
                }
            }
            Ok(None) => {}
            Err(err) => {
                tracing::warn!(kind = ?err.kind, error = %err, "could not restore the session")
            }
        }
        self.restoring.store(false, Ordering::Release);
        tracing::info!(after_ms = self.since_start(), "start-up restore done");
        let _ = self
            .app
            .emit(EVENT, serde_json::json!({ "type": "restored" }));
        self.refresh_indicators();
    }

    /// Signs in and starts following the agent's notifications.
    pub async fn sign_in(
        &self,
        server: &str,
        email: &str,
        password: String,
    ) -> Result<AgentProfile> {
        let _one = self.transition.lock().await;
        let url = ServerUrl::parse(server.trim(), false)?;
        self.stop_running();
        let device = format!("Herald desktop ({})", std::env::consts::OS);
        let session = session::sign_in(
            url,
            email.trim(),
            &Sensitive::new(password),
            Some(&device),
            &self.secrets,
            &self.local,
        )
        .await?;
        let agent = session.agent.clone();
        self.start(session).await?;
        agent.ok_or_else(|| CoreError::new(ErrorKind::Server, "the server did not say who you are"))
    }

    /// Signs out: stops the stream, revokes the session, forgets the token and the cache.
    pub async fn sign_out(&self) -> Result<()> {
        let _one = self.transition.lock().await;
        let running = self.stop_running();
        if let Some(running) = running {
            session::sign_out(running.session, &self.secrets, &self.local).await?;
        }
        {
            let mut live = lock(&self.live);
            live.unread = 0;
            live.connection = ConnState::Stopped;
        }
        self.refresh_indicators();
        Ok(())
    }

    fn stop_running(&self) -> Option<Running> {
        let running = lock(&self.running).take();
        if let Some(running) = &running {
            running.stop.cancel();
        }
        running
    }

    async fn start(&self, session: Session) -> Result<()> {
        let base = match session.api.preferences(&session.token).await {
            Ok(prefs) => prefs,
            // Offline start: the last copy the server sent, else the defaults; edits made now
            // are kept and sent when the server is back.
            Err(err) if err.kind == ErrorKind::Offline => {
                self.local
                    .load()?
                    .preferences
                    .unwrap_or(VersionedPreferences {
                        version: 0,
                        preferences: Preferences::default(),
                    })
            }
            Err(err) => return Err(err),
        };
        let prefs = Arc::new(PrefSync::new(
            session.api.clone(),
            session.token.clone(),
            base,
            self.local.clone(),
        )?);
        let sink = Arc::new(Sink::new(self.app.clone()));
        let notifier = Arc::new(crate::notify::OsNotifier::new(self.app.clone()));
        let client = Client::new(
            session.api.clone(),
            session.token.clone(),
            self.local.clone(),
            notifier,
            sink,
            ClientConfig::default(),
        )?;
        client.attach_preferences(prefs.clone());
        let stop = CancellationToken::new();
        *lock(&self.running) = Some(Running {
            session,
            client: client.clone(),
            prefs: prefs.clone(),
            stop: stop.clone(),
        });
        self.push_device();
        {
            let (_, unread) = client.bell();
            lock(&self.live).unread = unread.total;
        }
        self.watch_save_status(prefs.clone(), stop.clone());
        if !prefs.pending().is_empty() {
            self.schedule_save();
        }
        let app = self.app.clone();
        tauri::async_runtime::spawn(async move {
            if let Err(err) = client.run(stop).await {
                tracing::warn!(kind = ?err.kind, error = %err, "the stream ended");
            }
            // The session ended on the server (revoked, expired): forget the token.
            let herald = app.state::<Herald>();
            if let ConnState::SignedOut { reason } = herald.live().connection {
                herald.session_ended(reason).await;
            }
        });
        Ok(())
    }

    async fn session_ended(&self, reason: String) {
        let _one = self.transition.lock().await;
        if let Some(running) = self.stop_running() {
            if let Err(err) = session::forget_token(&running.session, &self.secrets, &self.local) {
                tracing::warn!(error = %err, "could not delete the ended session's token");
            }
        }
        let _ = self.app.emit(
            EVENT,
            serde_json::json!({ "type": "signed_out", "reason": reason }),
        );
        self.refresh_indicators();
    }

    fn watch_save_status(&self, prefs: Arc<PrefSync>, stop: CancellationToken) {
        let app = self.app.clone();
        let mut status = prefs.status();
        tauri::async_runtime::spawn(async move {
            loop {
                let current: SaveStatus = status.borrow_and_update().clone();
                let _ = app.emit(
                    EVENT,
                    serde_json::json!({ "type": "save", "status": current }),
                );
                tokio::select! {
                    _ = stop.cancelled() => break,
                    changed = status.changed() => if changed.is_err() { break },
                }
            }
        });
    }

    /// Saves pending preference edits soon; edits made meanwhile go in the same request.
    pub fn schedule_save(&self) {
        if self.save_scheduled.swap(true, Ordering::AcqRel) {
            return;
        }
        let app = self.app.clone();
        tauri::async_runtime::spawn(async move {
            tokio::time::sleep(SAVE_DEBOUNCE).await;
            let herald = app.state::<Herald>();
            herald.save_scheduled.store(false, Ordering::Release);
            if let Ok(prefs) = herald.prefs() {
                if let Err(err) = prefs.flush().await {
                    tracing::info!(kind = ?err.kind, error = %err, "preferences not saved yet");
                }
            }
            herald.refresh_indicators();
        });
    }

    /// Saves pending edits now (the "retry" and "save and test" buttons).
    pub async fn save_now(&self) -> Result<()> {
        self.prefs()?.flush().await
    }

    /// At exit: stop the stream (the position is saved as items arrive).
    pub fn shutdown(&self) {
        self.stop_running();
    }
}

/// The bell as the UI shows it.
#[derive(Debug, Clone, Serialize)]
pub struct BellView {
    /// Newest first.
    pub items: Vec<herald_protocol::Notification>,
    /// The counter (from the server, absolute).
    pub unread: UnreadCount,
    /// The connection.
    pub connection: ConnState,
    /// When the last item arrived.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_event_at: Option<DateTime<Utc>>,
}

/// The preferences as the UI shows them.
#[derive(Debug, Clone, Serialize)]
pub struct PrefsView {
    /// With unsaved edits.
    pub preferences: Preferences,
    /// Saved, saving or failed.
    pub status: SaveStatus,
}

/// The server as the diagnostics see it.
#[derive(Debug, Clone, Serialize)]
pub struct ServerCheck {
    /// Its address.
    pub url: String,
    /// It answered.
    pub reachable: bool,
    /// What it said, or why not.
    pub detail: String,
}

/// Everything the troubleshooting section asks about, in one answer.
#[derive(Debug, Clone, Serialize)]
pub struct Diagnostics {
    /// Notification permission and service.
    pub os: crate::os::OsCheck,
    /// The stream.
    pub connection: ConnState,
    /// When the last item arrived.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_event_at: Option<DateTime<Utc>>,
    /// The server.
    pub server: ServerCheck,
    /// The agent's profile email.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub profile_email: Option<String>,
    /// Where email goes and whether the server sends it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<herald_protocol::EmailStatus>,
    /// Why the email status is missing.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email_error: Option<String>,
    /// The preferences (which events are on per channel).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub preferences: Option<Preferences>,
    /// The save state.
    pub save: SaveStatus,
    /// This device is muted.
    pub device_muted: bool,
    /// The window has focus (then the bell shows instead of OS notifications).
    pub window_focused: bool,
}

impl Herald {
    /// Milliseconds since the app started (for start-up timings in the log).
    pub fn since_start(&self) -> u128 {
        self.started.elapsed().as_millis()
    }

    /// The bell.
    pub fn bell_view(&self) -> Result<BellView> {
        let (items, unread) = self.client()?.bell();
        if !self.bell_shown.swap(true, Ordering::Relaxed) {
            tracing::info!(
                after_ms = self.since_start(),
                items = items.len(),
                "first bell for the UI"
            );
        }
        let live = self.live();
        Ok(BellView {
            items,
            unread,
            connection: live.connection,
            last_event_at: live.last_event_at,
        })
    }

    /// The preferences.
    pub fn prefs_view(&self) -> Result<PrefsView> {
        let prefs = self.prefs()?;
        let status = prefs.status().borrow().clone();
        Ok(PrefsView {
            preferences: prefs.view(),
            status,
        })
    }

    /// One preference edit, saved soon.
    pub fn edit(&self, edit: PrefEdit) -> Result<Preferences> {
        let view = self.prefs()?.edit(edit)?;
        self.schedule_save();
        self.refresh_indicators();
        Ok(view)
    }

    /// Acts on an item (from the bell or its OS notification): marks it read and, for
    /// `Open`, opens its conversation's https link. `Ok(false)`: there was no link to open.
    pub async fn open(&self, id: Uuid, action: NotificationAction) -> Result<bool> {
        let Some(link) = self.client()?.act(id, action).await? else {
            return Ok(false);
        };
        use tauri_plugin_opener::OpenerExt;
        self.app
            .opener()
            .open_url(link, None::<&str>)
            .map_err(|e| {
                CoreError::new(ErrorKind::Os, format!("the link could not be opened: {e}"))
            })?;
        Ok(true)
    }

    /// Sends a test notification through the server's whole pipeline (the UI's "Save and
    /// test" saves pending edits first).
    pub async fn send_test(&self) -> Result<TestNotificationResult> {
        let (api, token) = self.with_api()?;
        api.test_notification(&token).await
    }

    /// The diagnostics: the OS, the stream, the server, email, preferences.
    pub async fn diagnostics(&self) -> Diagnostics {
        let os = tauri::async_runtime::spawn_blocking(crate::os::check)
            .await
            .unwrap_or_else(|e| crate::os::OsCheck {
                permission: OsPermission::Unknown,
                permission_detail: format!("the check failed: {e}"),
                service: None,
                service_error: None,
                platform: std::env::consts::OS,
            });
        self.set_permission(os.permission);
        let live = self.live();
        let running = self.running();
        let saved = self.local.load().unwrap_or_default();
        let url = running
            .as_ref()
            .map(|r| r.session.api.url().as_str().to_owned())
            .or(saved.server)
            .unwrap_or_default();
        let server = match &running {
            Some(r) => match r.session.api.health().await {
                Ok(health) => ServerCheck {
                    url,
                    reachable: true,
                    detail: health
                        .get("version")
                        .and_then(|v| v.as_str())
                        .map(|v| format!("herald-server {v}"))
                        .unwrap_or_else(|| "herald-server".into()),
                },
                Err(err) => ServerCheck {
                    url,
                    reachable: false,
                    detail: err.message,
                },
            },
            None => ServerCheck {
                url,
                reachable: false,
                detail: "not signed in".into(),
            },
        };
        let (email, email_error) = match &running {
            Some(r) => match r.session.api.email_status(&r.session.token).await {
                Ok(status) => (Some(status), None),
                Err(err) => (None, Some(err.message)),
            },
            None => (None, None),
        };
        Diagnostics {
            os,
            connection: live.connection,
            last_event_at: live.last_event_at,
            server,
            profile_email: running
                .as_ref()
                .and_then(|r| r.session.agent.as_ref().map(|a| a.email.clone()))
                .or(saved.email),
            email,
            email_error,
            preferences: running.as_ref().map(|r| r.prefs.view()),
            save: running
                .as_ref()
                .map(|r| r.prefs.status().borrow().clone())
                .unwrap_or(SaveStatus::Saved),
            device_muted: self.muted(),
            window_focused: self.focused(),
        }
    }
}
