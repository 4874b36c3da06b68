//! The phone's push (`plugins/push`) wired to herald-core: the OS's push token to every
//! account, a tapped push to its item, a read-sync's notifications taken away, and the
//! notifications still shown checked against the bells whenever the unread count moves
//! (a read-sync the app missed while it was not running). What a push means is herald-core's
//! (`Accounts::phone_push`, `Accounts::stale_notifications`).
//!
//! On a phone it also asks the agent to allow notifications the first time, and hands the
//! OS's refusal of a push token to herald-core for the diagnostics. On a computer the plugin
//! answers "unsupported" and nothing is followed: the same code runs there, up to that
//! answer.

use std::collections::BTreeMap;

use herald_core::accounts::{Accounts, PhonePushEffect, PushToken};
use herald_protocol::{PhoneKey, PushPlatform};
use tauri::{AppHandle, Runtime};
use tauri_plugin_herald_push::{Error, Platform, PushEvent, PushExt, Token};

/// Follows the phone's pushes for the life of the app (from a task: the plugin's calls are
/// answered on the phone's UI thread).
pub fn follow<R: Runtime>(app: &AppHandle<R>, accounts: &Accounts) {
    let app = app.clone();
    let accounts = accounts.clone();
    tauri::async_runtime::spawn(async move {
        let handle = app.clone();
        let on_push = accounts.clone();
        let watched = app
            .herald_push()
            .watch(move |event| on_event(&handle, &on_push, event))
            .await;
        match watched {
            Ok(()) => {}
            Err(Error::Unsupported) => return,
            // Taps and read-syncs will not reach the app; the token may still be had.
            Err(err) => tracing::warn!(error = %err, "the phone's pushes are not followed"),
        }
        tidy_as_unread_moves(&app, &accounts);
        #[cfg(mobile)]
        ask_permission(&app).await;
        match app.herald_push().token().await {
            Ok(token) => register(&accounts, token).await,
            Err(err) => {
                tracing::warn!(error = %err, "the phone has no push token");
                // The diagnostics say so, in the OS's words.
                accounts.push_unavailable(err.to_string());
            }
        }
    });
}

/// Asks the agent to allow notifications, the first time: iOS and Android 13+ show none
/// without it, pushes included. Blocking (the OS's prompt waits for the agent), so off the
/// async threads.
#[cfg(mobile)]
async fn ask_permission<R: Runtime>(app: &AppHandle<R>) {
    use tauri_plugin_notification::{NotificationExt, PermissionState};
    let app = app.clone();
    let asked = tauri::async_runtime::spawn_blocking(move || {
        let notification = app.notification();
        match notification.permission_state()? {
            PermissionState::Prompt | PermissionState::PromptWithRationale => {
                notification.request_permission()
            }
            state => Ok(state),
        }
    })
    .await;
    match asked {
        Ok(Ok(state)) => tracing::info!(%state, "notifications on this phone"),
        Ok(Err(err)) => tracing::warn!(error = %err, "could not ask to allow notifications"),
        Err(err) => tracing::warn!(error = %err, "could not ask to allow notifications"),
    }
}

fn on_event<R: Runtime>(app: &AppHandle<R>, accounts: &Accounts, event: PushEvent) {
    match event {
        PushEvent::Token { token } => {
            let accounts = accounts.clone();
            tauri::async_runtime::spawn(async move { register(&accounts, token).await });
        }
        PushEvent::Tapped { fields } => {
            // herald-core puts the item in front in the bell (now, or once it is loaded).
            let _ = effect(accounts, &fields, true);
            crate::window::show(app);
        }
        PushEvent::Received { fields } => {
            if let Some(PhonePushEffect::Clear(keys)) = effect(accounts, &fields, false) {
                let app = app.clone();
                tauri::async_runtime::spawn(async move { clear(&app, &keys).await });
            }
        }
    }
}

/// What herald-core makes of a push; one that is not Herald's is logged (without its
/// fields) and does nothing.
fn effect(
    accounts: &Accounts,
    fields: &BTreeMap<String, String>,
    tapped: bool,
) -> Option<PhonePushEffect> {
    let fields = fields.iter().map(|(k, v)| (k.as_str(), v.as_str()));
    match accounts.phone_push(fields, tapped) {
        Ok(effect) => Some(effect),
        Err(err) => {
            tracing::warn!(kind = ?err.kind, "a push that is not Herald's was ignored");
            None
        }
    }
}

async fn register(accounts: &Accounts, token: Token) {
    let token = PushToken {
        platform: match token.platform {
            Platform::Apns => PushPlatform::Apns,
            Platform::Fcm => PushPlatform::Fcm,
        },
        token: token.token,
        app_id: token.app_id,
    };
    // Logged by herald-core, per account; the next start tries again.
    let _ = accounts.set_push_token(Some(token)).await;
}

/// Whenever the unread count moves (the bells loaded, an item read here or elsewhere), the
/// notifications the OS shows whose items are all read go.
fn tidy_as_unread_moves<R: Runtime>(app: &AppHandle<R>, accounts: &Accounts) {
    let mut indicators = accounts.indicators();
    let app = app.clone();
    let accounts = accounts.clone();
    tauri::async_runtime::spawn(async move {
        let mut last = None;
        loop {
            let unread = indicators.borrow_and_update().unread;
            if last != Some(unread) {
                last = Some(unread);
                match app.herald_push().shown().await {
                    Ok(shown) => {
                        let stale = accounts.stale_notifications(shown.iter().map(String::as_str));
                        clear(&app, &stale).await;
                    }
                    Err(err) => {
                        tracing::debug!(error = %err, "the shown notifications are unknown")
                    }
                }
            }
            if indicators.changed().await.is_err() {
                break;
            }
        }
    });
}

async fn clear<R: Runtime>(app: &AppHandle<R>, keys: &[PhoneKey]) {
    let keys: Vec<&str> = keys.iter().map(PhoneKey::as_str).collect();
    if let Err(err) = app.herald_push().clear(&keys).await {
        tracing::warn!(error = %err, "notifications read elsewhere stay on the phone");
    }
}
