//! One push to one phone, as both phone services (APNs, FCM) need it, and the outbox's
//! phone side: held while the agent works at a computer, then sent through the phone's
//! service.

use chrono::{DateTime, Utc};
use herald_protocol::{Language, Notification, PhoneKey};
use uuid::Uuid;

use super::outbox::{Due, Verdict};
use super::Pusher;

/// One push to one phone.
pub(super) struct PhonePush<'a> {
    /// The device token (hex).
    pub(super) token: &'a str,
    /// The app's bundle id (the APNs topic; FCM does not need it).
    pub(super) topic: &'a str,
    /// The item.
    pub(super) item: &'a Notification,
    /// The agent's unread counter now.
    pub(super) badge: u32,
    /// The agent's language, for the alert's heading.
    pub(super) language: Language,
    /// The Urgency the outbox row carries (`high` interrupts).
    pub(super) urgency: &'a str,
    /// The notification's key on the phone: the APNs collapse id, the Android tag.
    pub(super) key: PhoneKey,
    /// When the push is pointless.
    pub(super) expires: DateTime<Utc>,
}

/// A read-sync to one phone: the new badge and what was read (a background push).
pub(super) struct SyncPush<'a> {
    /// The device token.
    pub(super) token: &'a str,
    /// The app's bundle id (the APNs topic).
    pub(super) topic: &'a str,
    /// The agent's unread counter now.
    pub(super) badge: u32,
    /// The notifications to take off the screen.
    pub(super) clear: &'a [PhoneKey],
}

impl Pusher {
    /// Until when a phone's push waits because the agent works at a computer.
    pub(super) fn held_for_computer(&self, due: &Due, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let hub = self.hub.as_ref()?;
        let agent = Uuid::parse_str(&due.agent_id).ok()?;
        // Saved before the setting existed: a minute, as the preferences' default.
        let delay = due
            .phone_delay
            .map_or(60, |d| u16::try_from(d).unwrap_or(0));
        herald_protocol::phone_held_until(delay, hub.computer_active_at(agent), due.created_at, now)
    }

    /// A phone's push, through APNs or FCM.
    pub(super) async fn send_phone(
        &self,
        due: &Due,
        notification: &Notification,
        now: DateTime<Utc>,
        ttl_seconds: i64,
    ) -> Verdict {
        let not_set_up = |what: &str| Verdict::Failed {
            status: None,
            error: format!("this server has no {what} set up: these phones get no push"),
        };
        let token = due.endpoint.split_once(':').map_or("", |(_, token)| token);
        let language = match due.language.as_deref() {
            Some("pt-BR") => herald_protocol::Language::PtBr,
            _ => herald_protocol::Language::En,
        };
        let push = super::phone::PhonePush {
            token,
            topic: due.app_id.as_deref().unwrap_or_default(),
            item: notification,
            badge: u32::try_from(due.badge.max(0)).unwrap_or(u32::MAX),
            language,
            urgency: &due.urgency,
            key: PhoneKey::of(
                &due.agent_id,
                due.conversation.as_deref(),
                &notification.id.to_string(),
            ),
            expires: now + chrono::Duration::seconds(ttl_seconds),
        };
        match due.platform {
            herald_protocol::PushPlatform::Apns => match &self.apns {
                Some(apns) => apns.send(&push, now).await,
                None => not_set_up("APNs key (--apns-key)"),
            },
            herald_protocol::PushPlatform::Fcm => match &self.fcm {
                Some(fcm) => fcm.send(&push, ttl_seconds, now).await,
                None => not_set_up("FCM service account (--fcm-service-account)"),
            },
            herald_protocol::PushPlatform::Web => not_set_up("phone service"),
        }
    }
}
