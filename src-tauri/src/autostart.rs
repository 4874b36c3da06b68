//! Starting with the computer (tauri-plugin-autostart: an XDG autostart entry on Linux, a
//! LaunchAgent on macOS, the Run key on Windows). Turned on once, after the first sign-in
//! on this device; the agent's switch in Preferences › This device decides from then on.

use herald_core::error::{CoreError, ErrorKind, Result};
use tauri::{AppHandle, Manager, Runtime};
use tauri_plugin_autostart::ManagerExt;

fn os_error(what: &str, err: impl std::fmt::Display) -> CoreError {
    CoreError::new(ErrorKind::Os, format!("{what}: {err}"))
}

/// Whether Herald starts at login.
pub fn enabled<R: Runtime>(app: &AppHandle<R>) -> Result<bool> {
    app.autolaunch()
        .is_enabled()
        .map_err(|e| os_error("could not read the start-at-login setting", e))
}

/// Starts at login, or not.
pub fn set<R: Runtime>(app: &AppHandle<R>, on: bool) -> Result<()> {
    let launcher = app.autolaunch();
    let done = if on {
        launcher.enable()
    } else {
        launcher.disable()
    };
    done.map_err(|e| os_error("could not change the start-at-login setting", e))
}

/// After a sign-in: the first one on this device turns start-at-login on (the agent keeps
/// Herald open all day); later ones leave the agent's choice alone.
pub fn after_sign_in<R: Runtime>(app: &AppHandle<R>) {
    let allowed = app
        .try_state::<crate::AutostartAllowed>()
        .is_some_and(|a| a.0);
    if !allowed || crate::device::autostart_offered(app) {
        return;
    }
    match set(app, true) {
        Ok(()) => tracing::info!("Herald starts at login from now on (Preferences › This device)"),
        Err(err) => tracing::warn!(error = %err, "could not turn start-at-login on"),
    }
    if let Err(err) = crate::device::save_autostart_offered(app) {
        tracing::warn!(error = %err, "could not remember that start-at-login was offered");
    }
}
