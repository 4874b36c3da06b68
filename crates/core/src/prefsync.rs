//! Preference sync: edits show at once, are saved in one request, survive going offline and
//! an expired session, and are re-applied on the fresher copy when another device saved
//! first (HTTP 412).
//!
//! The state is the last copy the server confirmed (`base`) plus the edits made on top of it
//! (`pending`); what the agent sees is `base.with(pending)`. A flush sends that view with
//! `If-Match: base.version`; on success the sent edits leave `pending`, on a conflict `base`
//! is refetched and the same edits are sent again on top of it.

use std::sync::{Arc, Mutex};

use herald_protocol::{PrefEdit, Preferences, VersionedPreferences};
use serde::{Deserialize, Serialize};
use tokio::sync::watch;
use ts_rs::TS;

use crate::api::Api;
use crate::error::{CoreError, ErrorKind, Result};
use crate::sensitive::Sensitive;
use crate::state::LocalState;

/// What the preferences screen shows.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, TS, Deserialize, schemars::JsonSchema)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum SaveStatus {
    /// Everything is on the server.
    Saved,
    /// Edits are waiting or on their way.
    Saving,
    /// The last attempt failed; the edits are kept.
    Failed {
        /// Why (offline, signed out, …).
        kind: ErrorKind,
        /// For a person.
        message: String,
    },
}

struct SyncState {
    base: VersionedPreferences,
    pending: Vec<PrefEdit>,
    token: Sensitive<String>,
}

/// The sync engine of one agent's preferences.
pub struct PrefSync {
    api: Api,
    state: Mutex<SyncState>,
    local: Arc<dyn LocalState>,
    status: watch::Sender<SaveStatus>,
    /// Serialises flushes: one request at a time.
    flushing: tokio::sync::Mutex<()>,
}

/// Conflicts in a row before giving up for now (someone else keeps saving).
const CONFLICT_RETRIES: usize = 5;

impl PrefSync {
    /// Starts from the server's copy and any edits saved locally from an earlier run.
    pub fn new(
        api: Api,
        token: Sensitive<String>,
        base: VersionedPreferences,
        local: Arc<dyn LocalState>,
    ) -> Result<PrefSync> {
        let pending = local.load()?.pending_edits;
        let status = if pending.is_empty() {
            SaveStatus::Saved
        } else {
            SaveStatus::Saving
        };
        let (status, _) = watch::channel(status);
        Ok(PrefSync {
            api,
            state: Mutex::new(SyncState {
                base,
                pending,
                token,
            }),
            local,
            status,
            flushing: tokio::sync::Mutex::new(()),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, SyncState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The preferences as the agent sees them (with unsaved edits).
    pub fn view(&self) -> Preferences {
        let state = self.lock();
        state.base.preferences.with(&state.pending)
    }

    /// The save status, to watch.
    pub fn status(&self) -> watch::Receiver<SaveStatus> {
        self.status.subscribe()
    }

    /// Edits not yet on the server.
    pub fn pending(&self) -> Vec<PrefEdit> {
        self.lock().pending.clone()
    }

    fn persist(&self, pending: Vec<PrefEdit>, base: Option<VersionedPreferences>) -> Result<()> {
        self.local.update(&mut |saved| {
            saved.pending_edits = pending.clone();
            if let Some(base) = &base {
                keep_newer(&mut saved.preferences, base);
            }
        })
    }

    /// Applies an edit at once (refused if it makes the preferences invalid) and keeps it
    /// until a flush saves it.
    pub fn edit(&self, edit: PrefEdit) -> Result<Preferences> {
        let (view, pending) = {
            let mut state = self.lock();
            // A setting the workspace's admin locked: said at once, never queued.
            let current = state.base.preferences.with(&state.pending);
            if current.is_locked(&edit) {
                let by = current.locked_by.as_deref().unwrap_or("your admin");
                return Err(CoreError::new(
                    ErrorKind::InvalidInput,
                    format!("this setting is locked by {by}"),
                ));
            }
            let mut next = state.pending.clone();
            next.push(edit);
            let view = state.base.preferences.with(&next);
            if let Err(fields) = view.validate() {
                let message = fields
                    .first()
                    .map(|f| f.message.clone())
                    .unwrap_or_default();
                return Err(CoreError {
                    kind: ErrorKind::InvalidInput,
                    message,
                    fields,
                });
            }
            state.pending = next.clone();
            (view, next)
        };
        self.persist(pending, None)?;
        self.status.send_replace(SaveStatus::Saving);
        Ok(view)
    }

    /// A new token after signing in again; kept edits go out with the next flush.
    pub fn set_token(&self, token: Sensitive<String>) {
        self.lock().token = token;
    }

    /// Another device saved: take its copy as the new base (pending edits stay on top).
    pub fn remote_changed(&self, prefs: VersionedPreferences) {
        let mut state = self.lock();
        if prefs.version > state.base.version {
            state.base = prefs;
        }
    }

    /// Sends every pending edit in one request; on a conflict, refetches and sends them
    /// again on top of the fresh copy. On failure the edits are kept and the status says why.
    pub async fn flush(&self) -> Result<()> {
        let _one_at_a_time = self.flushing.lock().await;
        for _ in 0..CONFLICT_RETRIES {
            let (version, view, sent, token) = {
                let state = self.lock();
                if state.pending.is_empty() {
                    self.status.send_replace(SaveStatus::Saved);
                    return Ok(());
                }
                (
                    state.base.version,
                    state.base.preferences.with(&state.pending),
                    state.pending.len(),
                    state.token.clone(),
                )
            };
            self.status.send_replace(SaveStatus::Saving);
            match self.api.save_preferences(&token, version, &view).await {
                Ok(saved) => {
                    let (pending, base) = {
                        let mut state = self.lock();
                        state.base = saved.clone();
                        // Edits made while the request was out stay pending.
                        let done = sent.min(state.pending.len());
                        state.pending.drain(..done);
                        (state.pending.clone(), saved)
                    };
                    self.persist(pending, Some(base))?;
                }
                Err(err) if err.kind == ErrorKind::Conflict => {
                    match self.api.preferences(&token).await {
                        Ok(fresh) => self.lock().base = fresh,
                        Err(err) => return Err(self.failed(err)),
                    }
                }
                Err(err) => return Err(self.failed(err)),
            }
        }
        Err(self.failed(CoreError::new(
            ErrorKind::Conflict,
            "the preferences keep changing on another device; your changes are kept, try again",
        )))
    }

    fn failed(&self, err: CoreError) -> CoreError {
        self.status.send_replace(SaveStatus::Failed {
            kind: err.kind,
            message: err.message.clone(),
        });
        err
    }
}

/// Keeps the newer of the saved server preferences and `seen` (by version): the stream and
/// a save's answer both bring them, in either order.
pub(crate) fn keep_newer(saved: &mut Option<VersionedPreferences>, seen: &VersionedPreferences) {
    if saved.as_ref().is_none_or(|s| s.version <= seen.version) {
        *saved = Some(seen.clone());
    }
}
