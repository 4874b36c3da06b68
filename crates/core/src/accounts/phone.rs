//! The phone: its push token, and the pushes the OS hands the app.
//!
//! - The token: the OS hands the app one (and a new one now and then); every account this
//!   device follows gets it, so its server can reach the phone while the app is not
//!   running. A replaced token is removed from each; signing out of an account removes its
//!   devices on the server (the session's). The token is not a secret, but it identifies
//!   the device: it is never logged.
//! - Whether it took: each account keeps what came of its registration (the device's id,
//!   or why not), and the OS's reason when it gave no token; the shown account's
//!   diagnostics say whether this phone can be reached.
//! - A push (`herald_protocol::phone`): a tapped item's notification shows that item; a
//!   read-sync names the notifications to take away. And when the app starts or comes to
//!   the front, the notifications the OS still shows are checked against the bells: one
//!   whose items are all read goes (a read-sync the app never got: it was not running).

use std::collections::HashMap;

use herald_protocol::{
    PhoneDeviceRemoval, PhoneDeviceRequest, PhoneKey, PhoneMessage, PushPlatform,
};
use uuid::Uuid;

use super::{lock, Accounts, Slot};
use crate::diagnostics::PhoneRegistration;
use crate::error::{CoreError, ErrorKind, Result};

/// What the shell does with a Herald push the OS handed the app.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PhonePushEffect {
    /// The agent tapped an item's notification: show the window; the bell shows the item
    /// (now, or once its account has loaded it).
    Open(Uuid),
    /// Take these notifications off the screen.
    Clear(Vec<PhoneKey>),
    /// Nothing: an item's push while the app runs (its stream brings the item).
    Nothing,
}

/// The push token the OS gave this app.
#[derive(Clone, PartialEq, Eq)]
pub struct PushToken {
    /// Apple's or Google's.
    pub platform: PushPlatform,
    /// The token, as the OS gave it (hex for APNs).
    pub token: String,
    /// The app's bundle identifier or Android package (the APNs topic).
    pub app_id: String,
}

impl std::fmt::Debug for PushToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PushToken")
            .field("platform", &self.platform)
            .field("app_id", &self.app_id)
            .finish_non_exhaustive()
    }
}

impl Accounts {
    /// The OS gave the app a push token (at start, or a new one): every running account
    /// registers it, and forgets the one it replaces. The first failure is returned after
    /// all were tried; an account that failed gets it again after its next sign-in or start.
    pub async fn set_push_token(&self, token: Option<PushToken>) -> Result<()> {
        let before = std::mem::replace(&mut *lock(&self.inner.push_token), token.clone());
        *lock(&self.inner.push_unavailable) = None;
        let mut first_error = None;
        for slot in self.slots().into_iter().filter(|s| s.signed_in()) {
            let result = async {
                // Only one the server took: a refused token has nothing to forget (and the
                // server would refuse the removal too, keeping the new one out).
                let taken = lock(&slot.phone).device.is_some();
                if let Some(old) = before.as_ref().filter(|old| Some(*old) != token.as_ref()) {
                    if taken {
                        forget(&slot, old).await?;
                    }
                }
                self.register_push(&slot).await
            }
            .await;
            if let Err(err) = result {
                tracing::warn!(kind = ?err.kind, error = %err, "the phone's push token was not registered with an account");
                self.registered(
                    &slot,
                    PhoneRegistration {
                        device: None,
                        error: Some(err.message.clone()),
                    },
                );
                first_error.get_or_insert(err);
            }
        }
        first_error.map_or(Ok(()), Err)
    }

    /// The OS gave this phone no push token (push not allowed for the app, no Google Play
    /// services, no Firebase in the build): the diagnostics say so, with the OS's words.
    pub fn push_unavailable(&self, reason: impl Into<String>) {
        *lock(&self.inner.push_unavailable) = Some(reason.into());
    }

    /// What this device is for push, as the shown account's diagnostics need it: `None` on a
    /// computer (neither a token nor the OS's refusal was handed over).
    pub(super) fn phone_registration(&self, slot: &Slot) -> Option<PhoneRegistration> {
        if let Some(reason) = lock(&self.inner.push_unavailable).clone() {
            return Some(PhoneRegistration {
                device: None,
                error: Some(reason),
            });
        }
        lock(&self.inner.push_token)
            .is_some()
            .then(|| lock(&slot.phone).clone())
    }

    /// Registers the current push token, if any, with one account (after its sign-in or
    /// restore, and when the token changes), and keeps what came of it.
    pub(super) async fn register_push(&self, slot: &Slot) -> Result<()> {
        let Some(token) = lock(&self.inner.push_token).clone() else {
            self.registered(slot, PhoneRegistration::default());
            return Ok(());
        };
        let result = async {
            let session = slot.account.signed_in()?;
            let session = session.session();
            let request = PhoneDeviceRequest {
                platform: token.platform,
                token: token.token,
                app_id: token.app_id,
                device_name: Some(self.inner.config.device_name.clone()),
            };
            session.api.register_phone(&session.token, &request).await
        }
        .await;
        self.registered(
            slot,
            match &result {
                Ok(device) => PhoneRegistration {
                    device: Some(device.id),
                    error: None,
                },
                Err(err) => PhoneRegistration {
                    device: None,
                    error: Some(err.message.clone()),
                },
            },
        );
        result.map(|_| ())
    }

    /// Keeps what came of a registration; while it stands, the account's items reach this
    /// phone as pushes, and the app raises no notification of its own for them (they would
    /// show twice, and skip the server's routing).
    fn registered(&self, slot: &Slot, registration: PhoneRegistration) {
        let pushed = registration.device.is_some();
        *lock(&slot.phone) = registration;
        slot.account
            .update_device(|d| d.pushed_to_this_phone = pushed);
    }
}

async fn forget(slot: &Slot, old: &PushToken) -> Result<()> {
    let session = slot.account.signed_in()?;
    let session = session.session();
    let removal = PhoneDeviceRemoval {
        platform: old.platform,
        token: old.token.clone(),
    };
    session.api.remove_phone(&session.token, &removal).await
}

impl Accounts {
    /// A push the OS handed the app (its string fields), `tapped` when the agent tapped its
    /// notification. Anything not made by a Herald server is refused (`invalid_input`) and
    /// does nothing.
    pub fn phone_push<'a>(
        &self,
        fields: impl IntoIterator<Item = (&'a str, &'a str)>,
        tapped: bool,
    ) -> Result<PhonePushEffect> {
        let message = PhoneMessage::from_fields(fields)
            .map_err(|e| CoreError::new(ErrorKind::InvalidInput, e.to_string()))?;
        Ok(match message {
            PhoneMessage::Item(item) if tapped => {
                self.focus_item(item.id);
                PhonePushEffect::Open(item.id)
            }
            PhoneMessage::Item(_) => PhonePushEffect::Nothing,
            PhoneMessage::Read(read) => PhonePushEffect::Clear(read.clear),
        })
    }

    /// Of the notifications the OS shows (their keys: iOS's identifiers, Android's tags),
    /// those to take away: each stands for items of an account's bell that are all read
    /// now. A key no bell knows stays (older than any page loaded, or not Herald's).
    pub fn stale_notifications<'a>(
        &self,
        shown: impl IntoIterator<Item = &'a str>,
    ) -> Vec<PhoneKey> {
        // Every key the bells know, and whether one of its items is unread.
        let mut unread: HashMap<PhoneKey, bool> = HashMap::new();
        for slot in self.running() {
            let Ok(session) = slot.account.signed_in() else {
                continue;
            };
            let Some(agent) = session.session().agent.as_ref().map(|a| a.id.to_string()) else {
                continue; // restored offline: the keys cannot be made yet
            };
            let (items, _) = session.client().bell();
            for item in items {
                let key = PhoneKey::of(
                    &agent,
                    item.conversation.as_ref().map(|c| c.id.as_str()),
                    &item.id.to_string(),
                );
                *unread.entry(key).or_default() |= item.read_at.is_none();
            }
        }
        shown
            .into_iter()
            .filter_map(|key| PhoneKey::new(key).ok())
            .filter(|key| unread.get(key) == Some(&false))
            .collect()
    }
}
