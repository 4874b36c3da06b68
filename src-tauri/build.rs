//! Tauri's build step: reads the configuration (`tauri.conf.json`, a link to the file at the
//! repository root, so that its paths are relative to this crate for Cargo and the Tauri CLI
//! alike) and generates the permissions of the app's own commands (granted per window in
//! `capabilities/`).

/// Every command the UI may call; each gets an `allow-…` permission.
const COMMANDS: &[&str] = &[
    "session_state",
    "sign_in",
    "sign_out",
    "switch_account",
    "bell",
    "load_older",
    "mark",
    "mark_all",
    "snooze",
    "open_item",
    "why",
    "preferences",
    "preview_rules",
    "edit_preferences",
    "pause",
    "retry_save",
    "send_test",
    "diagnostics",
    "set_device_muted",
    "autostart",
    "set_autostart",
];

fn main() {
    tauri_build::try_build(
        tauri_build::Attributes::new()
            .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS)),
    )
    .expect("the Tauri build step failed");
}
