//! Push to the agent's browsers (Web Push) and phones (APNs, FCM): registering a device, the
//! devices the server pushes to, and what each push service answered.
//!
//! An outcome is what was *observed*: `accepted` means the browser's push service took the
//! message (HTTP 201) and will hand it to the browser when it is online; it is not proof
//! that the notification was shown.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use ts_rs::TS;
use uuid::Uuid;

/// Longest device name kept (characters).
pub const DEVICE_NAME_MAX: usize = 100;

/// A device's name (a browser's, an app's) as the server keeps it: no control characters,
/// at most [`DEVICE_NAME_MAX`] characters, `default` when nothing is left.
pub fn device_name(given: Option<&str>, default: &str) -> String {
    let name: String = given
        .unwrap_or_default()
        .chars()
        .filter(|c| !c.is_control())
        .take(DEVICE_NAME_MAX)
        .collect();
    if name.trim().is_empty() {
        default.to_owned()
    } else {
        name
    }
}

/// `GET /api/v1/push/key`: the server's VAPID public key, for `PushManager.subscribe`'s
/// `applicationServerKey`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
pub struct PushServerKey {
    /// The uncompressed P-256 point, base64url without padding.
    pub public_key: String,
}

/// `POST /api/v1/push/subscriptions`: a browser's subscription as `PushSubscription.toJSON()`
/// gives it, with a name for the agent's device list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
pub struct PushSubscriptionRequest {
    /// The push service's URL for this browser (https, on a public address).
    pub endpoint: String,
    /// The browser's keys for message encryption (RFC 8291).
    pub keys: PushSubscriptionKeys,
    /// Shown in the device list, e.g. "Firefox on Linux".
    #[serde(default)]
    #[ts(optional)]
    pub device_name: Option<String>,
}

/// A subscription's keys, base64url.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
pub struct PushSubscriptionKeys {
    /// The browser's P-256 public key (65 bytes, uncompressed).
    pub p256dh: String,
    /// The shared authentication secret (16 bytes).
    pub auth: String,
}

/// `DELETE /api/v1/push/subscriptions`: the subscription to forget.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
pub struct PushUnsubscribeRequest {
    /// The endpoint it was registered with.
    pub endpoint: String,
}

/// Where a device's pushes go.
#[derive(
    Debug,
    Clone,
    Copy,
    Default,
    PartialEq,
    Eq,
    Hash,
    Serialize,
    Deserialize,
    TS,
    schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum PushPlatform {
    /// A browser, through its push service (Web Push).
    #[default]
    Web,
    /// An iPhone or iPad, through Apple's push service.
    Apns,
    /// An Android phone, through Firebase Cloud Messaging.
    Fcm,
}

/// `POST /api/v1/push/devices`: a phone app's push token, for the app's session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
pub struct PhoneDeviceRequest {
    /// The push service (`apns`, `fcm`).
    pub platform: PushPlatform,
    /// The device token the OS gave the app (APNs: hexadecimal; FCM: the registration
    /// token).
    pub token: String,
    /// The app's bundle identifier or Android package (the APNs topic), e.g.
    /// `dev.herald.app`.
    pub app_id: String,
    /// Shown in the device list, e.g. "Ana's iPhone".
    #[serde(default)]
    #[ts(optional)]
    pub device_name: Option<String>,
}

/// `DELETE /api/v1/push/devices`: a phone's token to forget (sign-out, a new token).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
pub struct PhoneDeviceRemoval {
    /// The push service.
    pub platform: PushPlatform,
    /// The token it was registered with.
    pub token: String,
}

/// A device the server pushes to (`GET /api/v1/push/subscriptions`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
pub struct PushDevice {
    /// The device's id.
    pub id: Uuid,
    /// Its name, as registered.
    pub name: String,
    /// A browser or a phone (absent from servers before phones: a browser).
    #[serde(default)]
    pub platform: PushPlatform,
    /// The push service's host (e.g. `fcm.googleapis.com`, `updates.push.services.mozilla.com`).
    pub service: String,
    /// When it was registered.
    pub created_at: DateTime<Utc>,
    /// The last send to it, if any.
    #[ts(optional)]
    pub last: Option<PushAttempt>,
}

/// One send to one device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
pub struct PushAttempt {
    /// When the answer came.
    pub at: DateTime<Utc>,
    /// What the push service answered.
    pub outcome: PushOutcome,
}

/// What became of one push to one device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum PushOutcome {
    /// The push service accepted it (201): it hands it to the browser when that is online.
    Accepted {
        /// The HTTP status.
        status: u16,
    },
    /// The push service no longer knows this subscription (404, 410): the server removed
    /// it; the browser has to enable notifications again.
    Gone {
        /// The HTTP status.
        status: u16,
    },
    /// Refused for now (429, 5xx, no answer): tried again at `retry_at`.
    Retrying {
        /// The HTTP status, if an answer came.
        #[ts(optional)]
        status: Option<u16>,
        /// What went wrong.
        error: String,
        /// The next attempt.
        retry_at: DateTime<Utc>,
    },
    /// Refused for good (another 4xx, or every retry failed).
    Failed {
        /// The HTTP status, if an answer came.
        #[ts(optional)]
        status: Option<u16>,
        /// What went wrong.
        error: String,
    },
    /// Not sent: the item was read before it could go.
    SkippedRead {
        /// Set when it was held first because the agent was working at a computer: how
        /// many seconds after the item arrived it was read (on any device).
        #[ts(optional)]
        #[serde(default, skip_serializing_if = "Option::is_none")]
        held_read_after_secs: Option<u32>,
    },
    /// Not sent: it could not go before its time to live ran out.
    Expired,
    /// Not sent: a Herald window of this browser was in front of the agent and showed it.
    InFront,
    /// A phone's push waits: the agent is working at a computer. It goes at `until` if the
    /// item is still unread then (else it is skipped: read first).
    Held {
        /// When it goes.
        until: DateTime<Utc>,
    },
    /// No answer yet when the server had to reply.
    Pending,
}

/// "Save and test": one device's part.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
pub struct TestPushDevice {
    /// The device's id.
    pub device: Uuid,
    /// Its name.
    pub name: String,
    /// What its push service answered (or `pending`).
    pub outcome: PushOutcome,
}
