//! What the OS says about notifications, as far as it can tell. tauri-plugin-notification
//! answers "granted" on every desktop, so Herald asks the OS itself where it can:
//!
//! - Linux: the notification service on the session D-Bus (`org.freedesktop.Notifications`):
//!   its name, version and capabilities. None there means no notification can show.
//! - macOS, Windows: no check is wired; reported as "unknown" with where to look.
//! - iOS, Android: the notification plugin asks the OS (there it does: granted, denied, or
//!   not asked yet).
//!
//! The verdicts drawn from it are the core's (`herald_core::diagnostics`).

#[cfg(target_os = "linux")]
use herald_core::diagnostics::NotificationService;
use herald_core::diagnostics::OsCheck;
use herald_protocol::OsPermission;

/// Asks the OS (blocking: D-Bus round trips; call it off the async threads).
#[cfg(target_os = "linux")]
pub fn check() -> OsCheck {
    match notify_rust::get_server_information() {
        Ok(info) => OsCheck {
            permission: OsPermission::Granted,
            permission_detail: format!(
                "{} answers on the session bus; Linux has no per-app permission",
                info.name
            ),
            service: Some(NotificationService {
                name: info.name,
                vendor: info.vendor,
                version: info.version,
                capabilities: notify_rust::get_capabilities().unwrap_or_default(),
            }),
            service_error: None,
            platform: "linux".into(),
        },
        Err(err) => OsCheck {
            permission: OsPermission::Denied,
            permission_detail: "no notification service answers on the session bus".into(),
            service: None,
            service_error: Some(err.to_string()),
            platform: "linux".into(),
        },
    }
}

/// Asks the OS (no check wired on this platform).
#[cfg(all(desktop, not(target_os = "linux")))]
pub fn check() -> OsCheck {
    OsCheck {
        permission: OsPermission::Unknown,
        permission_detail: if cfg!(target_os = "macos") {
            "macOS does not tell apps; see System Settings › Notifications › Herald".into()
        } else if cfg!(windows) {
            "Windows does not tell apps; see Settings › System › Notifications".into()
        } else {
            "this system does not tell apps".into()
        },
        service: None,
        service_error: None,
        platform: std::env::consts::OS.into(),
    }
}

/// Asks the phone's OS through the notification plugin (blocking: a round trip to the
/// native side; call it off the async threads).
#[cfg(mobile)]
pub fn check<R: tauri::Runtime>(app: &tauri::AppHandle<R>) -> OsCheck {
    use tauri_plugin_notification::{NotificationExt, PermissionState};
    let (permission, detail) = match app.notification().permission_state() {
        Ok(PermissionState::Granted) => (
            OsPermission::Granted,
            "the phone allows Herald's notifications".to_owned(),
        ),
        Ok(PermissionState::Denied) => (
            OsPermission::Denied,
            "the phone blocks Herald's notifications: allow them in Settings › Notifications › Herald"
                .to_owned(),
        ),
        Ok(_) => (
            OsPermission::Unknown,
            "the phone has not asked you yet: Herald asks when it starts".to_owned(),
        ),
        Err(err) => return failed(err),
    };
    OsCheck {
        permission,
        permission_detail: detail,
        service: None,
        service_error: None,
        platform: std::env::consts::OS.into(),
    }
}

/// The check when asking failed (the blocking task panicked or was cancelled).
pub fn failed(error: impl std::fmt::Display) -> OsCheck {
    OsCheck {
        permission: OsPermission::Unknown,
        permission_detail: format!("the check failed: {error}"),
        service: None,
        service_error: None,
        platform: std::env::consts::OS.into(),
    }
}
