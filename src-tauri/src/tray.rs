//! The tray icon: the unread count beside it (where the desktop shows a label), the
//! connection state in its tooltip and menu, and the menu: open, pause for an hour, quit.

use herald_core::account::Indicators;
use herald_core::accounts::Accounts;
use herald_core::error::ErrorKind;
use herald_core::ports::ConnState;
use herald_core::views::PausePreset;
use herald_protocol::Language;
use tauri::menu::{Menu, MenuItem, PredefinedMenuItem};
use tauri::tray::TrayIconBuilder;
use tauri::{AppHandle, Runtime};

use crate::texts::texts;

const TRAY: &str = "herald";

/// The tray's menu items, to reword them when the state or the language changes.
pub struct Tray<R: Runtime> {
    /// Shows the state (disabled: it is a label).
    status: MenuItem<R>,
    open: MenuItem<R>,
    pause: MenuItem<R>,
    quit: MenuItem<R>,
}

/// Creates the tray icon; its menu acts on `account`.
pub fn create<R: Runtime>(app: &AppHandle<R>, account: Accounts) -> tauri::Result<Tray<R>> {
    // English until the agent's preferences are known (`show` rewords it all).
    let words = texts(Language::En);
    let signed_out = format!("Herald: {}", words.signed_out);
    let status = MenuItem::with_id(app, "status", signed_out, false, None::<&str>)?;
    let open = MenuItem::with_id(app, "open", words.open_window, true, None::<&str>)?;
    let pause = MenuItem::with_id(app, "pause", words.pause_hour, true, None::<&str>)?;
    let quit = MenuItem::with_id(app, "quit", words.quit, true, None::<&str>)?;
    let separator = PredefinedMenuItem::separator(app)?;
    let menu = Menu::with_items(
        app,
        &[&status, &separator, &open, &pause, &separator, &quit],
    )?;
    let mut builder = TrayIconBuilder::with_id(TRAY)
        .tooltip("Herald")
        .menu(&menu)
        .show_menu_on_left_click(true)
        .on_menu_event(move |app, event| match event.id().as_ref() {
            "open" => crate::window::show(app),
            "pause" => pause_for_an_hour(app, account.clone()),
            "quit" => app.exit(0),
            _ => {}
        });
    if let Some(icon) = app.default_window_icon() {
        builder = builder.icon(icon.clone());
    }
    builder.build(app)?;
    Ok(Tray {
        status,
        open,
        pause,
        quit,
    })
}

fn pause_for_an_hour<R: Runtime>(app: &AppHandle<R>, account: Accounts) {
    let app = app.clone();
    // Menu events come on the main thread; the account's work runs on the async runtime.
    tauri::async_runtime::spawn(async move {
        match account.pause_all(PausePreset::Hour) {
            Ok(_) => {}
            // Nobody signed in: there is nothing to pause, show the sign-in form.
            Err(err) if err.kind == ErrorKind::SignedOut => crate::window::show(&app),
            Err(err) => tracing::warn!(kind = ?err.kind, error = %err, "could not pause"),
        }
    });
}

/// The words for the state, for the tooltip and the menu.
pub fn describe(indicators: &Indicators) -> String {
    let words = texts(indicators.language);
    let state = match &indicators.connection {
        ConnState::Live => words.live,
        ConnState::Connecting { .. } => words.connecting,
        ConnState::Reconnecting { .. } => words.reconnecting,
        ConnState::SignedOut { .. } | ConnState::Stopped => words.signed_out,
    };
    match indicators.unread {
        0 => format!("Herald: {state}"),
        1 => format!("Herald: {state}, 1 {}", words.unread_one),
        n => format!("Herald: {state}, {n} {}", words.unread),
    }
}

impl<R: Runtime> Tray<R> {
    /// Shows `indicators` in the tray.
    pub fn show(&self, app: &AppHandle<R>, indicators: &Indicators) {
        let text = describe(indicators);
        if let Some(tray) = app.tray_by_id(TRAY) {
            let _ = tray.set_tooltip(Some(&text));
            let label = (indicators.unread > 0).then(|| indicators.unread.to_string());
            let _ = tray.set_title(label);
        }
        let words = texts(indicators.language);
        let _ = self.status.set_text(&text);
        let _ = self.open.set_text(words.open_window);
        let _ = self.pause.set_text(words.pause_hour);
        let _ = self.quit.set_text(words.quit);
    }
}

#[cfg(test)]
mod tests {
    use herald_core::account::Indicators;
    use herald_core::ports::ConnState;
    use herald_protocol::Language;

    use super::describe;

    fn shown(connection: ConnState, unread: u32, language: Language) -> String {
        describe(&Indicators {
            connection,
            unread,
            language,
            unread_badge: true,
        })
    }

    #[test]
    fn the_tray_says_the_state_and_the_count_in_the_agents_language() {
        assert_eq!(shown(ConnState::Live, 0, Language::En), "Herald: live");
        assert_eq!(
            shown(ConnState::Live, 3, Language::En),
            "Herald: live, 3 unread"
        );
        let waiting = ConnState::Reconnecting {
            attempt: 2,
            retry_in_ms: 4000,
        };
        assert_eq!(
            shown(waiting, 1, Language::PtBr),
            "Herald: reconectando, 1 não lida"
        );
        assert_eq!(
            shown(ConnState::Stopped, 0, Language::PtBr),
            "Herald: desconectado"
        );
    }
}
