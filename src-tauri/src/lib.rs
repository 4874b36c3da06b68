//! # herald-app
//!
//! The Tauri shell of Herald: adapters and wiring only. What the app *does* (session, stream,
//! bell, policy, preference sync) lives in herald-core and is tested there; this crate connects
//! it to the window, the OS notifications, the tray and the keychain.
//!
//! # Layout
//!
//! - [`herald`]: the app's state: the signed-in session, the core's client and preference
//!   sync, the device context, and what the tray shows.
//! - [`commands`]: the commands the UI calls, each a one-line delegation with a typed error
//!   (`{kind, message}`); listed in `build.rs` and granted in `capabilities/main.json`.
//! - [`notify`]: the core's `Notifier` port over tauri-plugin-notification (text escaped for
//!   Linux markup; clicks and actions back into the core).
//! - [`sink`]: the core's `EventSink` port: events to the webview, counts to the tray and badge.
//! - [`tray`]: the tray icon with the unread count, the connection state and its menu.
//! - [`window`]: the main window is created on demand and destroyed on close, so the tray
//!   costs no webview.
//! - [`os`]: what the OS says about notifications (Linux: the service on the session D-Bus).
//! - [`texts`]: the shell's own words (tray, notification buttons) in English and Portuguese.
//!
//! # Platforms
//!
//! Built and tested on Linux. Windows and macOS compile from the same code (`cfg(desktop)`),
//! with the OS checks reported as "unknown" there; iOS and Android need a mobile entry point
//! build (see the README) and are not built here.

pub mod commands;
pub mod herald;
pub mod notify;
pub mod os;
pub mod sink;
pub mod texts;
#[cfg(desktop)]
pub mod tray;
pub mod window;

use tauri::{Manager, RunEvent, WindowEvent};

use crate::herald::Herald;

/// Starts the app. Never returns on desktop until the agent quits.
#[cfg_attr(mobile, tauri::mobile_entry_point)]
pub fn run() {
    let started = std::time::Instant::now();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("HERALD_LOG")
                .unwrap_or_else(|_| "warn,herald_app=info,herald_core=info".into()),
        )
        .with_writer(std::io::stderr)
        .init();

    let builder = tauri::Builder::default();
    // A second start brings the running app's window forward instead of a second app (two
    // apps would mean two streams and every notification twice).
    #[cfg(desktop)]
    let builder = builder.plugin(tauri_plugin_single_instance::init(|app, _argv, _cwd| {
        window::show(app);
    }));
    let app = builder
        .plugin(tauri_plugin_notification::init())
        .plugin(tauri_plugin_store::Builder::default().build())
        .plugin(tauri_plugin_opener::init())
        .setup(move |app| {
            let herald = Herald::new(app.handle(), started)?;
            app.manage(herald);
            notify::register(app.handle(), herald_protocol::Language::En);
            #[cfg(desktop)]
            tray::create(app.handle())?;
            let handle = app.handle().clone();
            tauri::async_runtime::spawn(async move {
                handle.state::<Herald>().restore().await;
            });
            tracing::info!(after_ms = started.elapsed().as_millis(), "set up");
            Ok(())
        })
        .on_window_event(|window, event| match event {
            WindowEvent::Focused(focused) => {
                window.state::<Herald>().set_focused(*focused);
            }
            WindowEvent::Destroyed => {
                window.state::<Herald>().set_focused(false);
            }
            _ => {}
        })
        .invoke_handler(tauri::generate_handler![
            commands::session_state,
            commands::sign_in,
            commands::sign_out,
            commands::bell,
            commands::load_older,
            commands::mark,
            commands::mark_all,
            commands::open_item,
            commands::why,
            commands::preferences,
            commands::edit_preferences,
            commands::retry_save,
            commands::send_test,
            commands::diagnostics,
            commands::set_device_muted,
        ])
        .build(tauri::generate_context!());
    let app = match app {
        Ok(app) => app,
        Err(err) => {
            tracing::error!(error = %err, "Herald could not start");
            eprintln!("Herald could not start: {err}");
            std::process::exit(1);
        }
    };
    app.run(|app, event| match event {
        // Closing the window keeps Herald in the tray: the stream, the OS notifications and
        // the tray count go on without a webview. Only "Quit" (an explicit exit code) ends it.
        RunEvent::ExitRequested {
            code: None, api, ..
        } if cfg!(desktop) => {
            api.prevent_exit();
        }
        RunEvent::Exit => app.state::<Herald>().shutdown(),
        _ => {}
    });
}
