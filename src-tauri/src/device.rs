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

/// Whether the agent muted this device (unmuted if the store cannot be read).
pub fn muted<R: Runtime>(app: &AppHandle<R>) -> bool {
    app.store(STORE)
        .ok()
        .and_then(|store| store.get(MUTED))
        .and_then(|v| v.as_bool())
        .unwrap_or(false)
}

/// Keeps the device mute.
pub fn save_muted<R: Runtime>(app: &AppHandle<R>, muted: bool) -> Result<()> {
    let store = app
        .store(STORE)
        .map_err(|e| storage_error("the device settings could not be opened", e))?;
    store.set(MUTED, serde_json::Value::Bool(muted));
    store
        .save()
        .map_err(|e| storage_error("the device settings could not be saved", e))
}

/// Whether start-at-login was turned on after a first sign-in already (the agent's switch
/// decides from then on).
pub fn autostart_offered<R: Runtime>(app: &AppHandle<R>) -> bool {
    app.store(STORE)
        .ok()
        .and_then(|store| store.get(AUTOSTART_OFFERED))
        .and_then(|v| v.as_bool())
        .unwrap_or(false)
}

/// Remembers that start-at-login was offered.
pub fn save_autostart_offered<R: Runtime>(app: &AppHandle<R>) -> Result<()> {
    let store = app
        .store(STORE)
        .map_err(|e| storage_error("the device settings could not be opened", e))?;
    store.set(AUTOSTART_OFFERED, serde_json::Value::Bool(true));
    store
        .save()
        .map_err(|e| storage_error("the device settings could not be saved", e))
}
