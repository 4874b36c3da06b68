//! # tauri-plugin-herald-push
//!
//! What Herald needs of a phone's push service, and nothing more: the push token the OS
//! gives the app, the pushes the agent taps, the pushes that arrive while the app runs, the
//! notifications the OS still shows, and taking some of them away. APNs on iOS, Firebase
//! Cloud Messaging on Android.
//!
//! # Layout
//!
//! - this file: the Rust API ([`PushExt::herald_push`]), the same on every target; on a
//!   computer every call answers [`Error::Unsupported`].
//! - `android/`: `PushPlugin.kt` (the commands, a tapped notification's extras),
//!   `HeraldMessagingService.kt` (FCM: a new token; a read-sync acted on even when the app
//!   is not running).
//! - `ios/`: `PushPlugin.swift` (the commands, the app delegate's push callbacks added at
//!   start, the notification centre's taps, passed on to the delegate it replaces).
//!
//! Every call is async: the native side answers on the phone's UI thread, which a blocking
//! call from that thread (a report's handler, the app's setup) would wait on forever.
//!
//! It decides nothing: what a push means, what a tap opens and which notifications go are
//! herald-core's (`Accounts::phone_push`, `Accounts::stale_notifications`), on the fields
//! of `herald_protocol::phone`. The one thing the native side does alone is a read-sync
//! that arrives while the app's Rust side is not running: it takes away the keys the
//! server named, so a notification read on the desktop leaves the phone even then.
//!
//! Built and run only on phones: these machines build neither (`docs/app.md` says what was
//! verified where).

use std::collections::BTreeMap;
use std::marker::PhantomData;

use serde::Deserialize;
use tauri::ipc::{Channel, InvokeResponseBody};
use tauri::plugin::{Builder, TauriPlugin};
use tauri::{Manager, Runtime};

/// Why a call did not do what it asked.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Not a phone: there is no push service to ask.
    #[error("phone push is not available on this system")]
    Unsupported,
    /// The OS or its push service refused (no Google Play services, push not enabled for
    /// the app's bundle, no network for the first token).
    #[error("the phone's push service refused: {0}")]
    Refused(String),
}

/// Which push service the token belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Platform {
    /// Apple's (iOS).
    Apns,
    /// Firebase Cloud Messaging (Android).
    Fcm,
}

/// The push token the OS gave the app. Not a secret, but it identifies the device: its
/// `Debug` leaves it out, so it is never logged.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Token {
    /// Whose.
    pub platform: Platform,
    /// The token (hexadecimal for APNs).
    pub token: String,
    /// The bundle identifier or Android package (the APNs topic).
    pub app_id: String,
}

impl std::fmt::Debug for Token {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Token")
            .field("platform", &self.platform)
            .field("app_id", &self.app_id)
            .finish_non_exhaustive()
    }
}

/// What the native side reports while the app runs ([`Push::watch`]).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum PushEvent {
    /// The OS replaced the token.
    Token {
        /// The new one.
        token: Token,
    },
    /// The agent tapped a push's notification (also the one that started the app).
    Tapped {
        /// The push's string fields.
        fields: BTreeMap<String, String>,
    },
    /// A push arrived while the app runs, or woke it.
    Received {
        /// The push's string fields.
        fields: BTreeMap<String, String>,
    },
}

/// The notifications' keys the OS shows ([`Push::shown`]).
#[cfg(any(target_os = "android", target_os = "ios"))]
#[derive(Deserialize)]
struct Shown {
    keys: Vec<String>,
}

/// The plugin's handle, in the app's state.
pub struct Push<R: Runtime> {
    #[cfg(any(target_os = "android", target_os = "ios"))]
    handle: tauri::plugin::PluginHandle<R>,
    _runtime: PhantomData<fn() -> R>,
}

#[cfg(any(target_os = "android", target_os = "ios"))]
impl<R: Runtime> Push<R> {
    /// Asks the OS for the push token (registering for remote notifications first).
    pub async fn token(&self) -> Result<Token, Error> {
        self.handle
            .run_mobile_plugin_async("token", ())
            .await
            .map_err(refused)
    }

    /// Calls `on` with every [`PushEvent`] from now on, and with a tap that started the app
    /// if there was one. Once: a second call replaces the first.
    pub async fn watch(&self, on: impl Fn(PushEvent) + Send + Sync + 'static) -> Result<(), Error> {
        let channel = reports(on);
        self.handle
            .run_mobile_plugin_async::<()>("watch", serde_json::json!({ "channel": channel }))
            .await
            .map_err(refused)
    }

    /// The keys of the notifications of Herald's pushes the OS shows now.
    pub async fn shown(&self) -> Result<Vec<String>, Error> {
        let shown: Shown = self
            .handle
            .run_mobile_plugin_async("shown", ())
            .await
            .map_err(refused)?;
        Ok(shown.keys)
    }

    /// Takes these notifications away (APNs: by identifier, the collapse id; Android: by
    /// tag). One not shown is no error.
    pub async fn clear(&self, keys: &[&str]) -> Result<(), Error> {
        if keys.is_empty() {
            return Ok(());
        }
        self.handle
            .run_mobile_plugin_async::<()>("clear", serde_json::json!({ "keys": keys }))
            .await
            .map_err(refused)
    }
}

#[cfg(not(any(target_os = "android", target_os = "ios")))]
impl<R: Runtime> Push<R> {
    /// Asks the OS for the push token: not on a computer.
    pub async fn token(&self) -> Result<Token, Error> {
        Err(Error::Unsupported)
    }

    /// Reports push events: not on a computer.
    pub async fn watch(
        &self,
        _on: impl Fn(PushEvent) + Send + Sync + 'static,
    ) -> Result<(), Error> {
        Err(Error::Unsupported)
    }

    /// The notifications of pushes shown: not on a computer.
    pub async fn shown(&self) -> Result<Vec<String>, Error> {
        Err(Error::Unsupported)
    }

    /// Takes notifications away: not on a computer.
    pub async fn clear(&self, _keys: &[&str]) -> Result<(), Error> {
        Err(Error::Unsupported)
    }
}

/// The channel the native side reports on: each report read as a [`PushEvent`] and handed
/// to `on`; one that is not is logged and dropped. Built on every target, so that this
/// reading is compiled and tested on a computer too.
#[cfg_attr(
    not(any(target_os = "android", target_os = "ios")),
    allow(dead_code, reason = "used by watch on phones; tested everywhere")
)]
fn reports(on: impl Fn(PushEvent) + Send + Sync + 'static) -> Channel<InvokeResponseBody> {
    Channel::new(move |body| {
        let InvokeResponseBody::Json(json) = body else {
            tracing::warn!("a report from the push plugin that is not JSON");
            return Ok(());
        };
        match serde_json::from_str::<PushEvent>(&json) {
            Ok(event) => on(event),
            Err(e) => tracing::warn!(error = %e, "an unreadable report from the push plugin"),
        }
        Ok(())
    })
}

#[cfg(any(target_os = "android", target_os = "ios"))]
fn refused(e: tauri::plugin::mobile::PluginInvokeError) -> Error {
    Error::Refused(e.to_string())
}

/// The plugin's handle from anything that reaches the app's state.
pub trait PushExt<R: Runtime> {
    /// The handle ([`init`] registered it).
    fn herald_push(&self) -> &Push<R>;
}

impl<R: Runtime, T: Manager<R>> PushExt<R> for T {
    fn herald_push(&self) -> &Push<R> {
        self.state::<Push<R>>().inner()
    }
}

#[cfg(target_os = "ios")]
tauri::ios_plugin_binding!(init_plugin_herald_push);

/// The plugin, to register with the app's builder.
pub fn init<R: Runtime>() -> TauriPlugin<R> {
    Builder::new("herald-push")
        .setup(|app, api| {
            #[cfg(target_os = "android")]
            let handle = api.register_android_plugin("dev.herald.push", "PushPlugin")?;
            #[cfg(target_os = "ios")]
            let handle = api.register_ios_plugin(init_plugin_herald_push)?;
            #[cfg(not(any(target_os = "android", target_os = "ios")))]
            let _ = api;
            app.manage(Push::<R> {
                #[cfg(any(target_os = "android", target_os = "ios"))]
                handle,
                _runtime: PhantomData,
            });
            Ok(())
        })
        .build()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_native_sides_reports_read_back() {
        let token: PushEvent = serde_json::from_str(
            r#"{"type":"token","token":{"platform":"fcm","token":"t","appId":"dev.herald.app"}}"#,
        )
        .expect("a token");
        assert!(matches!(
            token,
            PushEvent::Token { token } if token.platform == Platform::Fcm
        ));
        let tapped: PushEvent =
            serde_json::from_str(r#"{"type":"tapped","fields":{"herald":"item"}}"#).expect("a tap");
        assert_eq!(
            tapped,
            PushEvent::Tapped {
                fields: BTreeMap::from([("herald".to_owned(), "item".to_owned())])
            }
        );
        let secret = Token {
            platform: Platform::Apns,
            token: "a1b2".into(),
            app_id: "dev.herald.app".into(),
        };
        assert!(!format!("{secret:?}").contains("a1b2"), "never logged");
    }

    #[test]
    fn reports_on_the_channel_reach_the_watcher_and_junk_does_not() {
        let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let into = seen.clone();
        let channel = reports(move |event| into.lock().expect("not poisoned").push(event));
        // What PushPlugin.kt and PushPlugin.swift send.
        for report in [
            r#"{"type":"received","fields":{"herald":"read","badge":"0","clear":""}}"#,
            r#"{"type":"tapped"}"#,
            "not json",
            r#"{"type":"token","token":{"platform":"apns","token":"ab","appId":"dev.herald.app"}}"#,
        ] {
            channel
                .send(InvokeResponseBody::Json(report.to_owned()))
                .expect("sent");
        }
        channel
            .send(InvokeResponseBody::Raw(vec![1, 2]))
            .expect("sent");
        let seen = seen.lock().expect("not poisoned");
        assert_eq!(seen.len(), 2, "{seen:?}");
        assert!(matches!(&seen[0], PushEvent::Received { fields } if fields["herald"] == "read"));
        assert!(matches!(&seen[1], PushEvent::Token { token } if token.platform == Platform::Apns));
    }
}
