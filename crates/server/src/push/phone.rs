//! One push to one phone, as both phone services (APNs, FCM) need it, the one trait both
//! are behind, and the outbox's phone side: held while the agent works at a computer, then
//! sent through the phone's service.

use chrono::{DateTime, Utc};
use futures_util::future::BoxFuture;
use herald_protocol::{Language, Notification, PhoneKey, PushPlatform};
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

/// A phone push service: what the outbox and the read-sync ask of APNs and of FCM alike.
/// Each answers with the outbox's verdict (accepted, token gone, retry, failed).
pub(super) trait PhoneService: Send + Sync {
    /// An item's alert.
    fn send<'a>(&'a self, push: &'a PhonePush<'_>, now: DateTime<Utc>) -> BoxFuture<'a, Verdict>;

    /// A read-sync (a background push: the badge and the notifications to take away).
    fn send_sync<'a>(
        &'a self,
        push: &'a SyncPush<'_>,
        now: DateTime<Utc>,
    ) -> BoxFuture<'a, Verdict>;
}

impl Pusher {
    /// The service a phone of this platform is reached through, or the failure to record
    /// when this server has none set up (the device list and "Save and test" show it).
    pub(super) fn phone_service(
        &self,
        platform: PushPlatform,
    ) -> Result<&dyn PhoneService, Verdict> {
        let (service, what): (Option<&dyn PhoneService>, &str) = match platform {
            PushPlatform::Apns => (
                self.apns.as_deref().map(|s| s as &dyn PhoneService),
                "APNs key (--apns-key)",
            ),
            PushPlatform::Fcm => (
                self.fcm.as_deref().map(|s| s as &dyn PhoneService),
                "FCM service account (--fcm-service-account)",
            ),
            PushPlatform::Web => (None, "phone service"),
        };
        service.ok_or_else(|| Verdict::Failed {
            status: None,
            error: format!("this server has no {what} set up: these phones get no push"),
        })
    }

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
        let service = match self.phone_service(due.platform) {
            Ok(service) => service,
            Err(not_set_up) => return not_set_up,
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
        service.send(&push, now).await
    }
}
