//! Tauri's plugin build: the Android library and the Swift package are found here when the
//! app is built for a phone. No command is open to the web view: the shell calls the
//! plugin from Rust only.
//!
//! For iOS it also declares, in the app's Xcode project that `tauri ios init` made, what
//! remote notifications need: the push entitlement (`aps-environment`, "development" as
//! Xcode's capability writes it; an App Store export turns it into "production") and the
//! background mode that wakes the app for a read-sync. Both only where not set already.

const COMMANDS: &[&str] = &[];

fn main() {
    tauri_plugin::Builder::new(COMMANDS)
        .android_path("android")
        .ios_path("ios")
        .build();
    #[cfg(target_os = "macos")]
    if std::env::var("CARGO_CFG_TARGET_OS").as_deref() == Ok("ios") {
        ios_project();
    }
}

/// The Xcode project's push entitlement and background mode; nothing outside a Tauri CLI
/// build (no project to edit).
#[cfg(target_os = "macos")]
fn ios_project() {
    if let Err(e) = tauri_plugin::mobile::update_entitlements(|entitlements| {
        if !entitlements.contains_key("aps-environment") {
            entitlements.insert("aps-environment".into(), "development".into());
        }
    }) {
        println!("cargo:warning=the push entitlement was not added to the iOS project: {e}");
    }
    if let Err(e) = tauri_plugin::mobile::update_info_plist(|info| {
        if !info.contains_key("UIBackgroundModes") {
            info.insert("UIBackgroundModes".into(), plist::Value::Array(Vec::new()));
        }
        let modes = info.get_mut("UIBackgroundModes");
        if let Some(modes) = modes.and_then(plist::Value::as_array_mut) {
            let mode = plist::Value::String("remote-notification".into());
            if !modes.contains(&mode) {
                modes.push(mode);
            }
        }
    }) {
        println!("cargo:warning=the background mode was not added to the iOS project: {e}");
    }
}
