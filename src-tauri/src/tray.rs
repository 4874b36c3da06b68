//! The tray icon: the unread count beside it (where the desktop shows a label), the
//! connection state in its tooltip and menu, and the menu: open, pause for an hour, quit.

use chrono::Utc;
use herald_core::error::ErrorKind;
use herald_core::ports::ConnState;
use herald_protocol::{Language, PrefEdit};
use tauri::menu::{Menu, MenuItem, PredefinedMenuItem};
use tauri::tray::TrayIconBuilder;
use tauri::{AppHandle, Emitter, Manager, Wry};

use crate::herald::{Herald, Live};
use crate::sink::EVENT;
use crate::texts::texts;

const TRAY: &str = "herald";

/// The menu's items, to reword them when the state or the language changes.
struct TrayMenu {
    /// Shows the state (disabled: it is a label).
    status: MenuItem<Wry>,
    open: MenuItem<Wry>,
    pause: MenuItem<Wry>,
    quit: MenuItem<Wry>,
}

/// Creates the tray icon.
pub fn create(app: &AppHandle) -> tauri::Result<()> {
    // English until the agent's preferences are known (`update` rewords it all).
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
        .on_menu_event(|app, event| match event.id().as_ref() {
            "open" => crate::window::show(app),
            "pause" => pause_for_an_hour(app),
            "quit" => app.exit(0),
            _ => {}
        });
    if let Some(icon) = app.default_window_icon() {
        builder = builder.icon(icon.clone());
    }
    builder.build(app)?;
    app.manage(TrayMenu {
        status,
        open,
        pause,
        quit,
    });
    Ok(())
}

fn pause_for_an_hour(app: &AppHandle) {
    let herald = app.state::<Herald>();
    let until = Utc::now() + chrono::Duration::hours(1);
    match herald.edit(PrefEdit::PausedUntil { until: Some(until) }) {
        Ok(view) => {
            // An open window shows "Paused until …" at once.
            let _ = app.emit(
                EVENT,
                serde_json::json!({
                    "type": "preferences",
                    "preferences": { "version": 0, "preferences": view },
                }),
            );
        }
        // Nobody signed in: there is nothing to pause, show the sign-in form.
        Err(err) if err.kind == ErrorKind::SignedOut => crate::window::show(app),
        Err(err) => tracing::warn!(error = %err, "could not pause"),
    }
}

/// The words for the state, for the tooltip and the menu.
pub fn describe(live: &Live, language: Language) -> String {
    let words = texts(language);
    let state = match &live.connection {
        ConnState::Live => words.live,
        ConnState::Connecting { .. } => words.connecting,
        ConnState::Reconnecting { .. } => words.reconnecting,
        ConnState::SignedOut { .. } | ConnState::Stopped => words.signed_out,
    };
    match live.unread {
        0 => format!("Herald: {state}"),
        1 => format!("Herald: {state}, 1 {}", words.unread_one),
        n => format!("Herald: {state}, {n} {}", words.unread),
    }
}

/// Shows `live` in the tray, in `language`.
pub fn update(app: &AppHandle, live: &Live, language: Language) {
    let text = describe(live, language);
    if let Some(tray) = app.tray_by_id(TRAY) {
        let _ = tray.set_tooltip(Some(&text));
        let label = (live.unread > 0).then(|| live.unread.to_string());
        let _ = tray.set_title(label);
    }
    if let Some(menu) = app.try_state::<TrayMenu>() {
        let words = texts(language);
        let _ = menu.status.set_text(&text);
        let _ = menu.open.set_text(words.open_window);
        let _ = menu.pause.set_text(words.pause_hour);
        let _ = menu.quit.set_text(words.quit);
    }
}

#[cfg(test)]
mod tests {
    use herald_core::ports::ConnState;
    use herald_protocol::Language;

    use super::describe;
    use crate::herald::Live;

    fn live(connection: ConnState, unread: u32) -> Live {
        Live {
            connection,
            unread,
            last_event_at: None,
        }
    }

    #[test]
    fn the_tray_says_the_state_and_the_count_in_the_agents_language() {
        assert_eq!(
            describe(&live(ConnState::Live, 0), Language::En),
            "Herald: live"
        );
        assert_eq!(
            describe(&live(ConnState::Live, 3), Language::En),
            "Herald: live, 3 unread"
        );
        let waiting = ConnState::Reconnecting {
            attempt: 2,
            retry_in_ms: 4000,
        };
        assert_eq!(
            describe(&live(waiting, 1), Language::PtBr),
            "Herald: reconectando, 1 não lida"
        );
        assert_eq!(
            describe(&live(ConnState::Stopped, 0), Language::PtBr),
            "Herald: desconectado"
        );
    }
}
