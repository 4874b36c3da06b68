//! The web app's diagnostics. A browser knows a few facts only it can see (its notification
//! permission, its stream, its save state, whether it is registered for push); it sends them
//! to the server, which answers the same cards the desktop app shows, decided by the same
//! [`crate::diagnostics::cards`] with what the server knows (preferences, email status, every
//! push device and its push service's last answer).

use chrono::{DateTime, Utc};
use herald_protocol::{EmailStatus, OsPermission, Preferences, PushDevice};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::diagnostics::{
    cards, Diagnostics, EventsOn, Facts, NotificationService, OsCheck, PushFacts, ServerCheck,
    ThisDevice,
};
use crate::ports::ConnState;
use crate::prefsync::SaveStatus;

/// What the browser tells the server for its diagnostics (`POST /api/v1/diagnostics`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
pub struct WebFacts {
    /// `Notification.permission`: `default` is `unknown` (not asked yet).
    pub permission: OsPermission,
    /// The browser, for a person ("Chrome on Linux").
    pub browser: String,
    /// The browser can show notifications and receive push (Notification, service
    /// workers and PushManager exist).
    pub push_supported: bool,
    /// This browser's push subscription endpoint, when it has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub endpoint: Option<String>,
    /// The tab's stream.
    pub connection: ConnState,
    /// When the last item arrived in this tab.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub last_event_at: Option<DateTime<Utc>>,
    /// The tab's save state.
    pub save: SaveStatus,
    /// The agent muted this browser.
    pub device_muted: bool,
    /// The tab is in front.
    pub window_focused: bool,
}

/// What the server knows, for [`diagnose`].
#[derive(Debug, Clone, Copy)]
pub struct ServerFacts<'a> {
    /// Where the browser reached the server (its public URL or the request's host).
    pub url: &'a str,
    /// The server's version.
    pub version: &'a str,
    /// The agent's preferences.
    pub preferences: &'a Preferences,
    /// The agent's profile email.
    pub profile_email: &'a str,
    /// The email status, or why it is unknown.
    pub email: Result<&'a EmailStatus, &'a str>,
    /// The agent's push devices.
    pub devices: &'a [PushDevice],
    /// The browser's endpoint is one of them.
    pub this_browser: bool,
    /// Now.
    pub now: DateTime<Utc>,
}

/// The diagnostics of a browser tab.
pub fn diagnose(browser: &WebFacts, server: ServerFacts<'_>) -> Diagnostics {
    let name: String = browser
        .browser
        .chars()
        .filter(|c| !c.is_control())
        .take(80)
        .collect();
    let os = OsCheck {
        permission: browser.permission,
        permission_detail: match browser.permission {
            OsPermission::Granted => "this browser allows Herald's notifications".into(),
            OsPermission::Denied => {
                "this browser blocks Herald's notifications for this site".into()
            }
            OsPermission::Unknown => "this browser has not been asked yet".into(),
        },
        service: browser.push_supported.then(|| NotificationService {
            name: if name.is_empty() {
                "Web browser".into()
            } else {
                name.clone()
            },
            vendor: "Web Push".into(),
            version: String::new(),
            capabilities: vec!["actions".into(), "body".into()],
        }),
        service_error: (!browser.push_supported)
            .then(|| "this browser cannot receive push notifications".into()),
        platform: "web".into(),
    };
    let cards = cards(&Facts {
        os: &os,
        connection: &browser.connection,
        preferences: Some(server.preferences),
        email: server.email,
        save: &browser.save,
        device_muted: browser.device_muted,
        window_focused: browser.window_focused,
        now: server.now,
        push: Some(PushFacts {
            this_device: &ThisDevice::Browser {
                registered: server.this_browser,
            },
            devices: server.devices,
        }),
    });
    Diagnostics {
        cards,
        os,
        connection: browser.connection.clone(),
        last_event_at: browser.last_event_at,
        server: ServerCheck {
            url: server.url.to_owned(),
            reachable: true,
            detail: format!("herald-server {}", server.version),
        },
        profile_email: Some(server.profile_email.to_owned()),
        email: server.email.ok().cloned(),
        events_on: EventsOn::of(server.preferences),
    }
}
