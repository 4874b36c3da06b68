//! Shows the account's indicators outside the window: the tray (state and count), the badge
//! on the app icon (when the agent wants it), and the notification buttons' words in the
//! agent's language. Follows the core's `Indicators` as they change.

use herald_core::account::Indicators;
use herald_core::accounts::Accounts;
use herald_protocol::Language;
use tauri::{AppHandle, Runtime};

/// The tray, where the desktop has one.
#[cfg(desktop)]
pub type Tray<R> = crate::tray::Tray<R>;
/// No tray on mobile.
#[cfg(mobile)]
pub type Tray<R> = std::marker::PhantomData<R>;

/// Follows `account`'s indicators until the app ends.
pub fn follow<R: Runtime>(app: &AppHandle<R>, account: &Accounts, tray: Option<Tray<R>>) {
    let mut indicators = account.indicators();
    let app = app.clone();
    tauri::async_runtime::spawn(async move {
        // The notification buttons are named once at start, then again in each new language.
        let mut named: Option<Language> = None;
        loop {
            let shown = indicators.borrow_and_update().clone();
            if named != Some(shown.language) {
                named = Some(shown.language);
                crate::notify::name_actions(&app, shown.language);
            }
            show(&app, &shown, tray.as_ref());
            if indicators.changed().await.is_err() {
                break;
            }
        }
    });
}

fn show<R: Runtime>(app: &AppHandle<R>, indicators: &Indicators, tray: Option<&Tray<R>>) {
    #[cfg(desktop)]
    if let Some(tray) = tray {
        tray.show(app, indicators);
    }
    #[cfg(mobile)]
    let _ = tray;
    if let Some(window) = crate::window::main(app) {
        let count = (indicators.unread_badge && indicators.unread > 0)
            .then(|| i64::from(indicators.unread));
        // Not every desktop has a badge (Linux needs a launcher that shows one).
        if let Err(err) = window.set_badge_count(count) {
            tracing::debug!(error = %err, "no unread badge here");
        }
    }
}
