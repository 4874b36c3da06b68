//! The commands the UI calls: one-line delegations to the core through [`Herald`], each
//! failing with the core's typed error (`{kind, message}`), which the UI branches on.
//! Every command is listed in `build.rs` and granted to the main window in
//! `capabilities/main.json`; nothing here takes or returns the session token.

use herald_core::client::{NotificationAction, Trail};
use herald_core::error::Result;
use herald_protocol::{AgentProfile, MarkResult, PrefEdit, Preferences, TestNotificationResult};
use tauri::State;
use uuid::Uuid;

use crate::herald::{BellView, Diagnostics, Herald, PrefsView, SessionView};

/// Who is signed in, and the last server and email for the form.
#[tauri::command]
pub fn session_state(herald: State<'_, Herald>) -> SessionView {
    herald.session_view()
}

/// Signs in; the token goes to the OS keychain and nowhere else.
#[tauri::command]
pub async fn sign_in(
    herald: State<'_, Herald>,
    server: String,
    email: String,
    password: String,
) -> Result<AgentProfile> {
    herald.sign_in(&server, &email, password).await
}

/// Signs out and forgets the session here.
#[tauri::command]
pub async fn sign_out(herald: State<'_, Herald>) -> Result<()> {
    herald.sign_out().await
}

/// The bell: items newest first, the counter, the connection.
#[tauri::command]
pub fn bell(herald: State<'_, Herald>) -> Result<BellView> {
    herald.bell_view()
}

/// Loads older items into the bell and returns them.
#[tauri::command]
pub async fn load_older(
    herald: State<'_, Herald>,
    limit: u32,
) -> Result<Vec<herald_protocol::Notification>> {
    herald.client()?.load_older(limit.clamp(1, 200)).await
}

/// Marks items read or unread.
#[tauri::command]
pub async fn mark(herald: State<'_, Herald>, ids: Vec<Uuid>, read: bool) -> Result<MarkResult> {
    herald.client()?.mark(ids, read).await
}

/// Marks everything read.
#[tauri::command]
pub async fn mark_all(herald: State<'_, Herald>) -> Result<MarkResult> {
    herald.client()?.mark_all().await
}

/// Marks an item read and opens its conversation (only https links open).
#[tauri::command]
pub async fn open_item(herald: State<'_, Herald>, id: Uuid) -> Result<()> {
    herald.open(id, NotificationAction::Open).await.map(|_| ())
}

/// Why an item did or did not reach the agent on each channel.
#[tauri::command]
pub fn why(herald: State<'_, Herald>, id: Uuid) -> Result<Option<Trail>> {
    Ok(herald.client()?.why(id))
}

/// The preferences (with unsaved edits) and the save state.
#[tauri::command]
pub fn preferences(herald: State<'_, Herald>) -> Result<PrefsView> {
    herald.prefs_view()
}

/// Applies one edit at once; it is saved in the background (see the save state).
#[tauri::command]
pub fn edit_preferences(herald: State<'_, Herald>, edit: PrefEdit) -> Result<Preferences> {
    herald.edit(edit)
}

/// Saves pending edits now.
#[tauri::command]
pub async fn retry_save(herald: State<'_, Herald>) -> Result<()> {
    herald.save_now().await
}

/// Sends a test notification through the server's whole pipeline.
#[tauri::command]
pub async fn send_test(herald: State<'_, Herald>) -> Result<TestNotificationResult> {
    herald.send_test().await
}

/// Everything the troubleshooting section asks about.
#[tauri::command]
pub async fn diagnostics(herald: State<'_, Herald>) -> Result<Diagnostics> {
    Ok(herald.diagnostics().await)
}

/// Mutes or unmutes notifications on this device only.
#[tauri::command]
pub fn set_device_muted(herald: State<'_, Herald>, muted: bool) -> Result<()> {
    herald.set_muted(muted)
}
