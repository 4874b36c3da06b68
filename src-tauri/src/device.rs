//! The device-only settings, kept with tauri-plugin-store (never a secret, never on the
//! server): the device mute, and whether start-at-login was turned on after the first
//! sign-in.

use herald_core::error::{CoreError, ErrorKind, Result};
use tauri::{AppHandle, Runtime};
use tauri_plugin_store::StoreExt;

/// The store of device-only settings.
const STORE: &str = "device.json";
const MUTED: &str = "device_muted";
const AUTOSTART_OFFERED: &str = "autostart_offered";

fn storage_error(what: &str, err: impl std::fmt::Display) -> CoreError {
    CoreError::new(ErrorKind::Storage, format!("{what}: {err}"))
}

/// A switch of the store (`false` if the store cannot be read).
fn flag<R: Runtime>(app: &AppHandle<R>, key: &str) -> bool {
    app.store(STORE)
        .ok()
        .and_then(|store| store.get(key))
        .and_then(|v| v.as_bool())
        .unwrap_or(false)
}

/// Keeps a switch of the store.
fn save_flag<R: Runtime>(app: &AppHandle<R>, key: &str, on: bool) -> Result<()> {
    let store = app
        .store(STORE)
        .map_err(|e| storage_error("the device settings could not be opened", e))?;
    store.set(key, serde_json::Value::Bool(on));
    store
        .save()
        .map_err(|e| storage_error("the device settings could not be saved", e))
}

/// Whether the agent muted this device.
pub fn muted<R: Runtime>(app: &AppHandle<R>) -> bool {
    flag(app, MUTED)
}

/// Keeps the device mute.
pub fn save_muted<R: Runtime>(app: &AppHandle<R>, muted: bool) -> Result<()> {
    save_flag(app, MUTED, muted)
}

/// Whether start-at-login was turned on after a first sign-in already (the agent's switch
/// decides from then on).
pub fn autostart_offered<R: Runtime>(app: &AppHandle<R>) -> bool {
    flag(app, AUTOSTART_OFFERED)
}

/// Remembers that start-at-login was offered.
pub fn save_autostart_offered<R: Runtime>(app: &AppHandle<R>) -> Result<()> {
    save_flag(app, AUTOSTART_OFFERED, true)
}
