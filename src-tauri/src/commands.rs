//! The commands the UI calls: one-line delegations to the core's [`Accounts`], each failing
//! with the core's typed error (`{kind, message}`), which the UI branches on. Every command
//! is listed in `build.rs` and granted to the main window in `capabilities/main.json`;
//! nothing here takes or returns the session token. The types are generated for the UI
//! (`ui/src/lib/generated/core.ts`).

use herald_core::accounts::Accounts;
use herald_core::client::{NotificationAction, Trail};
use herald_core::diagnostics::Diagnostics;
use herald_core::error::Result;
use herald_core::sensitive::Sensitive;
use herald_core::views::{AccountsView, BellItem, BellView, PausePreset, PrefsView, SessionView};
use herald_protocol::{
    AgentProfile, MarkResult, PrefEdit, Preferences, SnoozeResult, SnoozeTarget, SnoozeUntil,
    TestNotificationResult,
};
use tauri::{AppHandle, Runtime, State};
use uuid::Uuid;

/// Who is signed in, and the last server and email for the form.
#[tauri::command]
pub fn session_state(account: State<'_, Accounts>) -> SessionView {
    account.session_view()
}

/// Signs in; the token goes to the OS keychain and nowhere else.
#[tauri::command]
pub async fn sign_in<R: Runtime>(
    app: AppHandle<R>,
    account: State<'_, Accounts>,
    server: String,
    email: String,
    password: String,
) -> Result<AgentProfile> {
    let agent = account
        .sign_in(&server, &email, Sensitive::new(password))
        .await?;
    #[cfg(desktop)]
    crate::autostart::after_sign_in(&app);
    #[cfg(mobile)]
    drop(app);
    Ok(agent)
}

/// Signs out of one account (the shown one unless `account_id` names another) and forgets
/// its session here; the others keep running.
#[tauri::command]
pub async fn sign_out(account: State<'_, Accounts>, account_id: Option<String>) -> Result<()> {
    match account_id {
        Some(id) => account.sign_out_of(&id).await,
        None => account.sign_out().await,
    }
}

/// Shows another account: its preferences, diagnostics and connection.
#[tauri::command]
pub async fn switch_account(
    account: State<'_, Accounts>,
    account_id: String,
) -> Result<AccountsView> {
    account.switch(&account_id).await
}

/// The bell: items newest first, the counter, the connection.
#[tauri::command]
pub fn bell(account: State<'_, Accounts>) -> Result<BellView> {
    crate::startup::first_bell();
    account.bell_view()
}

/// Loads older items into the bell and returns them.
#[tauri::command]
pub async fn load_older(account: State<'_, Accounts>, limit: u32) -> Result<Vec<BellItem>> {
    account.load_older(limit).await
}

/// Marks items read or unread.
#[tauri::command]
pub async fn mark(account: State<'_, Accounts>, ids: Vec<Uuid>, read: bool) -> Result<MarkResult> {
    account.mark(ids, read).await
}

/// Marks everything read.
#[tauri::command]
pub async fn mark_all(account: State<'_, Accounts>) -> Result<MarkResult> {
    account.mark_all().await
}

/// Snoozes items or a conversation until a time, or brings snoozed items back (no `until`);
/// a conversation in the account `account_id` (conversation ids are unique only within one).
#[tauri::command]
pub async fn snooze(
    account: State<'_, Accounts>,
    target: SnoozeTarget,
    until: Option<SnoozeUntil>,
    account_id: Option<String>,
) -> Result<SnoozeResult> {
    account.snooze(target, until, account_id.as_deref()).await
}

/// Marks an item read and opens its conversation (only https links open).
#[tauri::command]
pub async fn open_item<R: Runtime>(
    app: AppHandle<R>,
    account: State<'_, Accounts>,
    id: Uuid,
) -> Result<()> {
    crate::open::act(&app, &account, id, NotificationAction::Open)
        .await
        .map(|_| ())
}

/// Why an item did or did not reach the agent on each channel.
#[tauri::command]
pub fn why(account: State<'_, Accounts>, id: Uuid) -> Result<Option<Trail>> {
    account.why(id)
}

/// The preferences (with unsaved edits) and the save state.
#[tauri::command]
pub fn preferences(account: State<'_, Accounts>) -> Result<PrefsView> {
    account.prefs_view()
}

/// Which channels would fire per kind of event and situation, as the preferences stand.
#[tauri::command]
pub fn preview_rules(account: State<'_, Accounts>) -> Result<herald_protocol::RulesPreview> {
    account.preview_rules()
}

/// Applies one edit at once; it is saved in the background (see the save state).
#[tauri::command]
pub fn edit_preferences(account: State<'_, Accounts>, edit: PrefEdit) -> Result<Preferences> {
    account.edit(edit)
}

/// Pauses notifications for one of the offered spans, or resumes them.
#[tauri::command]
pub fn pause(account: State<'_, Accounts>, preset: PausePreset) -> Result<Preferences> {
    account.pause(preset)
}

/// Saves pending edits now.
#[tauri::command]
pub async fn retry_save(account: State<'_, Accounts>) -> Result<()> {
    account.save_now().await
}

/// Sends a test notification (or, with `mention`, a test mention) through the server's
/// whole pipeline.
#[tauri::command]
pub async fn send_test(
    account: State<'_, Accounts>,
    mention: Option<bool>,
) -> Result<TestNotificationResult> {
    account.send_test(mention.unwrap_or(false)).await
}

/// Everything the troubleshooting section asks about, with a verdict per line.
#[tauri::command]
pub async fn diagnostics<R: Runtime>(
    app: AppHandle<R>,
    account: State<'_, Accounts>,
) -> Result<Diagnostics> {
    #[cfg(desktop)]
    let check = move || {
        let _ = app;
        crate::os::check()
    };
    #[cfg(mobile)]
    let check = move || crate::os::check(&app);
    let os = tauri::async_runtime::spawn_blocking(check)
        .await
        .unwrap_or_else(crate::os::failed);
    account.diagnostics(os).await
}

/// Whether Herald starts at login (desktop only).
#[tauri::command]
pub fn autostart<R: Runtime>(app: AppHandle<R>) -> Result<bool> {
    #[cfg(desktop)]
    return crate::autostart::enabled(&app);
    #[cfg(mobile)]
    return Err(unsupported(app));
}

/// Starts Herald at login, or not (desktop only).
#[tauri::command]
pub fn set_autostart<R: Runtime>(app: AppHandle<R>, on: bool) -> Result<()> {
    #[cfg(desktop)]
    return crate::autostart::set(&app, on);
    #[cfg(mobile)]
    return Err(unsupported((app, on)));
}

#[cfg(mobile)]
fn unsupported<T>(_: T) -> herald_core::error::CoreError {
    herald_core::error::CoreError::new(
        herald_core::error::ErrorKind::Os,
        "phones start Herald themselves: there is no start-at-login setting",
    )
}

/// Mutes or unmutes this device.
#[tauri::command]
pub fn set_device_muted<R: Runtime>(
    app: AppHandle<R>,
    account: State<'_, Accounts>,
    muted: bool,
) -> Result<()> {
    account.update_device(|device| device.device_muted = muted);
    crate::device::save_muted(&app, muted)
}
