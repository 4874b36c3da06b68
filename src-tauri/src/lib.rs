//! # herald-app
//!
//! The Tauri shell of Herald: adapters and wiring only. What the app *does* (the session and
//! its transitions, stream, bell, policy, preference sync, diagnostics) lives in herald-core's
//! `Account` and is tested there, headless; this crate connects it to the window, the OS
//! notifications, the tray and the keychain.
//!
//! # Layout
//!
//! - this file: [`run`] (the real app) and [`app_builder`] (the plugins, the setup that
//!   builds the core's `Account` with the adapters, the window events and the commands;
//!   tests drive it on Tauri's mock runtime).
//! - [`commands`]: the commands the UI calls, each a one-line delegation to the `Account`
//!   with a typed error (`{kind, message}`); listed in `build.rs` and granted in
//!   `capabilities/main.json`.
//! - [`notify`]: the core's `Notifier` port over tauri-plugin-notification (text escaped for
//!   Linux markup; clicks and actions back into the account).
//! - [`open`]: opening an item's https link with the OS.
//! - [`links`]: `herald://` links from the arguments of a start and from the OS.
//! - [`autostart`]: starting with the computer, on after the first sign-in.
//! - [`sink`]: the core's `EventSink` port: events to the webview.
//! - [`indicators`]: the core's indicators shown in the tray, the badge and the notification
//!   buttons' words.
//! - [`tray`]: the tray icon with the unread count, the connection state and its menu.
//! - [`window`]: the main window is created on demand and destroyed on close, so the tray
//!   costs no webview.
//! - [`device`]: the device-only settings (mute) in tauri-plugin-store.
//! - [`os`]: what the OS says about notifications (Linux: the service on the session D-Bus).
//! - [`texts`]: the shell's own words (tray, notification buttons) in English and Portuguese.
//! - [`startup`]: start-up timings in the log.
//! - [`phone`]: the phone's push (`plugins/push`): the token to every account, a tapped
//!   push's item, notifications read elsewhere taken away; nothing on a computer.
//! - [`wake`]: reconnecting at once after a sleep or when the network is back (D-Bus on
//!   Linux, a clock watch everywhere).
//!
//! # Platforms
//!
//! Built and tested on Linux. Windows and macOS compile from the same code (`cfg(desktop)`),
//! with the OS checks reported as "unknown" there; iOS and Android need a mobile entry point
//! build (see `docs/app.md`) and are not built here.

#[cfg(desktop)]
pub mod autostart;
pub mod commands;
pub mod device;
pub mod indicators;
pub mod links;
pub mod notify;
pub mod open;
pub mod os;
pub mod phone;
pub mod sink;
pub mod startup;
pub mod texts;
#[cfg(desktop)]
pub mod tray;
pub mod wake;
pub mod window;

use std::path::PathBuf;
use std::sync::Arc;

use herald_core::account::AccountConfig;
use herald_core::accounts::store::FileAccounts;
use herald_core::accounts::{Accounts, AccountsPorts};
use herald_core::client::DeviceContext;
use herald_core::secret::{KeyringStore, SecretStore};
use tauri::{App, Builder, Manager, RunEvent, Runtime, WindowEvent};

/// The keychain service name (accounts are "server|email").
const KEYCHAIN_SERVICE: &str = "dev.herald.app";

/// What differs between the real app and a test of the shell.
pub struct Options {
    /// Where the session token is kept: the OS keychain in the app.
    pub secrets: Arc<dyn SecretStore>,
    /// The folder of the local state; the app's data folder when `None`.
    pub data_dir: Option<PathBuf>,
    /// The account's behaviour.
    pub account: AccountConfig,
    /// Show a tray icon (the real desktop app).
    pub tray: bool,
    /// Turn start-at-login on after the first sign-in (the real desktop app; tests of the
    /// commands leave the machine's login items alone).
    pub autostart: bool,
}

/// Whether this app may turn start-at-login on by itself ([`Options::autostart`]).
pub struct AutostartAllowed(pub bool);

impl Options {
    /// The real app: the OS keychain, the app's data folder, the tray; the sign-in form
    /// prefilled from `HERALD_SERVER` / `HERALD_EMAIL` (how `scripts/run.sh` points it at the
    /// demo server).
    pub fn app() -> Options {
        Options {
            secrets: Arc::new(KeyringStore::new(KEYCHAIN_SERVICE)),
            data_dir: None,
            account: AccountConfig {
                // How the server lists this device (sessions, push devices, "Why?").
                device_name: format!(
                    "Herald {} ({})",
                    if cfg!(mobile) { "phone" } else { "desktop" },
                    std::env::consts::OS
                ),
                prefill_server: std::env::var("HERALD_SERVER").ok(),
                prefill_email: std::env::var("HERALD_EMAIL").ok(),
                client: herald_core::client::ClientConfig {
                    offline_after: offline_after(),
                    kind: if cfg!(mobile) {
                        herald_protocol::ClientKind::PhoneApp
                    } else {
                        herald_protocol::ClientKind::DesktopApp
                    },
                    ..herald_core::client::ClientConfig::default()
                },
                ..AccountConfig::default()
            },
            tray: cfg!(desktop),
            autostart: cfg!(desktop),
        }
    }
}

/// How long without a live stream before Herald says it is offline:
/// `HERALD_OFFLINE_AFTER_SECS` (at least 1), else a minute.
fn offline_after() -> std::time::Duration {
    let secs = std::env::var("HERALD_OFFLINE_AFTER_SECS")
        .ok()
        .and_then(|s| s.parse::<u64>().ok())
        .map_or(60, |s| s.max(1));
    std::time::Duration::from_secs(secs)
}

/// What of the window is kept: its size, place and whether it was maximised.
#[cfg(desktop)]
const WINDOW_STATE: tauri_plugin_window_state::StateFlags =
    tauri_plugin_window_state::StateFlags::SIZE
        .union(tauri_plugin_window_state::StateFlags::POSITION)
        .union(tauri_plugin_window_state::StateFlags::MAXIMIZED);

/// Starts the app. Never returns on desktop until the agent quits.
#[cfg_attr(mobile, tauri::mobile_entry_point)]
pub fn run() {
    startup::begin();
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
    let builder = builder.plugin(tauri_plugin_single_instance::init(|app, argv, _cwd| {
        // Started again with a herald:// link (the OS's way on Linux and Windows): open it.
        if !links::open(app, argv.iter().map(String::as_str)) {
            window::show(app);
        }
    }));
    let app = match app_builder(builder, Options::app()).build(tauri::generate_context!()) {
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
        RunEvent::Exit => {
            if let Some(account) = app.try_state::<Accounts>() {
                account.shutdown();
            }
        }
        // The window's size and place, kept when it closes (Herald may be killed later
        // without a clean exit).
        #[cfg(desktop)]
        RunEvent::WindowEvent {
            event: WindowEvent::Destroyed,
            ..
        } => {
            use tauri_plugin_window_state::AppHandleExt;
            if let Err(err) = app.save_window_state(WINDOW_STATE) {
                tracing::warn!(error = %err, "the window's size and place were not kept");
            }
        }
        _ => {}
    });
}

/// The app on any runtime: plugins, the account wired to its adapters, window events and
/// commands.
pub fn app_builder<R: Runtime>(builder: Builder<R>, options: Options) -> Builder<R> {
    #[cfg(desktop)]
    let builder = builder
        .plugin(
            tauri_plugin_autostart::Builder::new()
                .app_name("Herald")
                .build(),
        )
        .plugin(
            tauri_plugin_window_state::Builder::default()
                .with_state_flags(WINDOW_STATE)
                .build(),
        );
    builder
        .plugin(tauri_plugin_notification::init())
        // After the notification plugin: on iOS it takes the notification centre's delegate
        // over from it (and passes the app's own notifications on).
        .plugin(tauri_plugin_herald_push::init())
        .plugin(tauri_plugin_store::Builder::default().build())
        .plugin(tauri_plugin_opener::init())
        .plugin(tauri_plugin_deep_link::init())
        .setup(move |app| setup(app, options))
        .on_window_event(|window, event| {
            let focused = match event {
                WindowEvent::Focused(focused) => *focused,
                WindowEvent::Destroyed => false,
                _ => return,
            };
            if let Some(account) = window.try_state::<Accounts>() {
                account.update_device(|device| device.app_focused = focused);
            }
        })
        .invoke_handler(tauri::generate_handler![
            commands::session_state,
            commands::sign_in,
            commands::sign_out,
            commands::switch_account,
            commands::bell,
            commands::load_older,
            commands::mark,
            commands::mark_all,
            commands::snooze,
            commands::open_item,
            commands::why,
            commands::preferences,
            commands::preview_rules,
            commands::edit_preferences,
            commands::pause,
            commands::retry_save,
            commands::send_test,
            commands::diagnostics,
            commands::set_device_muted,
            commands::autostart,
            commands::set_autostart,
        ])
}

/// The Tokio runtime Tauri runs async commands on (the account's background work goes there).
fn tokio_runtime() -> tokio::runtime::Handle {
    match tauri::async_runtime::handle() {
        tauri::async_runtime::RuntimeHandle::Tokio(handle) => handle,
    }
}

/// Builds the account with the adapters, follows its indicators, restores the session.
fn setup<R: Runtime>(app: &mut App<R>, options: Options) -> Result<(), Box<dyn std::error::Error>> {
    let handle = app.handle();
    let dir = match options.data_dir {
        Some(dir) => dir,
        None => handle.path().app_data_dir()?,
    };
    std::fs::create_dir_all(&dir)?;
    let shown = Arc::new(notify::Shown::default());
    let account = Accounts::new(
        options.account,
        AccountsPorts {
            secrets: options.secrets,
            store: Arc::new(FileAccounts::new(&dir)),
            notifier: Arc::new(notify::OsNotifier::new(handle.clone(), shown.clone())),
            sink: Arc::new(sink::Sink::new(handle.clone())),
            runtime: tokio_runtime(),
        },
        DeviceContext {
            device_muted: device::muted(handle),
            ..DeviceContext::default()
        },
    );
    notify::on_clicks(handle, account.clone(), shown);
    #[cfg(desktop)]
    let tray = match options.tray {
        true => Some(tray::create(handle, account.clone())?),
        false => None,
    };
    #[cfg(mobile)]
    let tray = None;
    indicators::follow(handle, &account, tray);
    // For the life of the process: the app exits with it.
    wake::follow(account.clone(), tokio_util::sync::CancellationToken::new());
    phone::follow(handle, &account);
    app.manage(account.clone());
    app.manage(AutostartAllowed(options.autostart));
    // Started with a herald:// link; and the links the OS delivers while running.
    let args: Vec<String> = std::env::args().skip(1).collect();
    links::open(handle, args.iter().map(String::as_str));
    links::follow(handle);
    tauri::async_runtime::spawn(async move {
        account.restore().await;
        startup::step("start-up restore done");
    });
    startup::step("set up");
    Ok(())
}
