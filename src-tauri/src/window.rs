//! The main window. It is built on demand from the configuration and destroyed when closed,
//! so that the webview (and its WebKit processes) go away while Herald sits in the tray; the
//! state lives on the Rust side, so a new window shows it at once.

use tauri::{AppHandle, Manager, Runtime, WebviewWindow, WebviewWindowBuilder};

/// The label of the one window (capabilities are granted to it by this label).
pub const MAIN: &str = "main";

/// The main window if it is open.
pub fn main<R: Runtime>(app: &AppHandle<R>) -> Option<WebviewWindow<R>> {
    app.get_webview_window(MAIN)
}

/// Shows the main window, creating it if it was closed.
pub fn show<R: Runtime>(app: &AppHandle<R>) {
    if let Some(window) = main(app) {
        let _ = window.unminimize();
        let _ = window.show();
        let _ = window.set_focus();
        return;
    }
    let Some(config) = app.config().app.windows.iter().find(|w| w.label == MAIN) else {
        tracing::error!("the configuration has no main window");
        return;
    };
    match WebviewWindowBuilder::from_config(app, config).and_then(|b| b.build()) {
        Ok(window) => {
            let _ = window.set_focus();
        }
        Err(err) => tracing::error!(error = %err, "could not open the window"),
    }
}
