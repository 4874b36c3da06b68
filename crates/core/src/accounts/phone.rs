//! A phone's push token: the OS hands the app one (and a new one now and then); every
//! account this device follows gets it, so its server can reach the phone while the app
//! is not running. A replaced token is removed from each; signing out of an account
//! removes its devices on the server (the session's). The token is not a secret, but it
//! identifies the device: it is never logged.

use herald_protocol::{PhoneDeviceRemoval, PhoneDeviceRequest, PushPlatform};

use super::{lock, Accounts, Slot};
use crate::error::Result;

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
        let mut first_error = None;
        for slot in self.slots().into_iter().filter(|s| s.signed_in()) {
            let result = async {
                if let Some(old) = before.as_ref().filter(|old| Some(*old) != token.as_ref()) {
                    forget(&slot, old).await?;
                }
                self.register_push(&slot).await
            }
            .await;
            if let Err(err) = result {
                tracing::warn!(kind = ?err.kind, error = %err, "the phone's push token was not registered with an account");
                first_error.get_or_insert(err);
            }
        }
        first_error.map_or(Ok(()), Err)
    }

    /// Registers the current push token, if any, with one account (after its sign-in or
    /// restore, and when the token changes).
    pub(super) async fn register_push(&self, slot: &Slot) -> Result<()> {
        let Some(token) = lock(&self.inner.push_token).clone() else {
            return Ok(());
        };
        let session = slot.account.signed_in()?;
        let session = session.session();
        let request = PhoneDeviceRequest {
            platform: token.platform,
            token: token.token,
            app_id: token.app_id,
            device_name: Some(self.inner.config.device_name.clone()),
        };
        session.api.register_phone(&session.token, &request).await?;
        Ok(())
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
