//! What the UI asks the account for: the session, the bell, the trail, the preferences and
//! their edits (pause included), the test notification, and the diagnostics with the verdict
//! of each card.

use std::sync::atomic::Ordering;

use herald_protocol::{Notification, PrefEdit, Preferences};
use uuid::Uuid;

use super::{lock, Account};
use crate::agent::SignedIn;
use crate::client::{NotificationAction, Trail};
use crate::diagnostics::{
    self, Diagnostics, EventsOn, Facts, OsCheck, PhoneRegistration, PushFacts, ServerCheck,
    ThisDevice,
};
use crate::error::Result;
use crate::ports::{ConnState, UiEvent};
use crate::prefsync::SaveStatus;
use crate::views::{BellItem, BellView, PausePreset, PrefsView, SessionView};

impl Account {
    /// What the UI shows before anything else.
    pub fn session_view(&self) -> SessionView {
        let saved = self.inner.local.load().unwrap_or_default();
        let current = self.current();
        SessionView {
            signed_in: current.is_some(),
            connection: current
                .as_ref()
                .map(|s| s.client().connection().borrow().clone())
                .unwrap_or(ConnState::Stopped),
            agent: current.and_then(|s| s.session().agent.clone()),
            server: saved
                .server
                .or_else(|| self.inner.config.prefill_server.clone()),
            email: saved
                .email
                .or_else(|| self.inner.config.prefill_email.clone()),
            device_muted: self.device().device_muted,
            restoring: self.inner.restoring.load(Ordering::Acquire),
            focus_item: lock(&self.inner.focus).take(),
            accounts: None,
        }
    }

    /// The bell.
    pub fn bell_view(&self) -> Result<BellView> {
        let session = self.signed_in()?;
        let client = session.client();
        let (items, unread) = client.bell();
        Ok(BellView {
            items: items.into_iter().map(|n| BellItem::of(None, n)).collect(),
            unread,
            connection: client.connection().borrow().clone(),
            last_event_at: client.last_event_at(),
        })
    }

    /// Loads the next older page into the bell and returns it.
    pub async fn load_older(&self, limit: u32) -> Result<Vec<Notification>> {
        self.signed_in()?
            .client()
            .load_older(limit.clamp(1, 200))
            .await
    }

    /// Why an item did or did not reach the agent on each channel.
    pub fn why(&self, id: Uuid) -> Result<Option<Trail>> {
        Ok(self.signed_in()?.client().why(id))
    }

    /// Acts on an item (from the bell or its OS notification): marks it read and, for
    /// `Open`, hands back its conversation's https link to open, if it has one.
    pub async fn act(&self, id: Uuid, action: NotificationAction) -> Result<Option<String>> {
        self.signed_in()?.client().act(id, action).await
    }

    /// Snoozes items or a conversation until a time, or brings snoozed items back.
    pub async fn snooze(
        &self,
        target: herald_protocol::SnoozeTarget,
        until: Option<herald_protocol::SnoozeUntil>,
    ) -> Result<herald_protocol::SnoozeResult> {
        self.signed_in()?.client().snooze(target, until).await
    }

    /// The preferences with unsaved edits, and the save state.
    pub fn prefs_view(&self) -> Result<PrefsView> {
        let session = self.signed_in()?;
        Ok(PrefsView {
            preferences: session.prefs().view(),
            status: session.save_status(),
        })
    }

    /// Which channels would fire per kind of event and situation under the preferences as
    /// shown (unsaved edits included), decided by the policy.
    pub fn preview_rules(&self) -> Result<herald_protocol::RulesPreview> {
        Ok(herald_protocol::preview(&self.signed_in()?.prefs().view()))
    }

    /// One preference edit: shown at once, saved soon.
    pub fn edit(&self, edit: PrefEdit) -> Result<Preferences> {
        let view = self.signed_in()?.edit(edit)?;
        self.publish_indicators();
        Ok(view)
    }

    /// Pauses notifications (or resumes them) as one of the offered choices; an open
    /// window is told through [`UiEvent::Preferences`] (the tray pauses too).
    pub fn pause(&self, preset: PausePreset) -> Result<Preferences> {
        let session = self.signed_in()?;
        let now = self.inner.config.client.clock.now();
        let view = self.edit(preset.edit(&session.prefs().view(), now))?;
        let preferences = herald_protocol::VersionedPreferences {
            version: session
                .client()
                .preferences()
                .map(|p| p.version)
                .unwrap_or_default(),
            preferences: view.clone(),
        };
        self.inner.sink.emit(UiEvent::Preferences {
            preferences: Box::new(preferences),
        });
        Ok(view)
    }

    /// Saves pending edits now (the "retry" and "save and test" buttons).
    pub async fn save_now(&self) -> Result<()> {
        self.signed_in()?.save_now().await
    }

    /// Sends a test notification through the server's whole pipeline.
    pub async fn send_test(
        &self,
        mention: bool,
    ) -> Result<herald_protocol::TestNotificationResult> {
        self.signed_in()?.send_test(mention).await
    }

    /// The diagnostics, from what the shell found out about the OS (`os`), what this device
    /// is for push (`phone`: its registration on a phone, `None` on a computer) and what the
    /// account, the session and the server say.
    pub async fn diagnostics(&self, os: OsCheck, phone: Option<PhoneRegistration>) -> Diagnostics {
        self.update_device(|d| d.push_permission = os.permission);
        let device = self.device();
        let current = self.current();
        let saved = self.inner.local.load().unwrap_or_default();
        let url = current
            .as_ref()
            .map(|s| s.session().api.url().as_str().to_owned())
            .or(saved.server)
            .unwrap_or_default();
        let (server, email, devices) = match &current {
            Some(s) => {
                let api = &s.session().api;
                let token = &s.session().token;
                let (health, email, devices) = tokio::join!(
                    api.health(),
                    api.email_status(token),
                    api.push_devices(token)
                );
                let server = match health {
                    Ok(health) => ServerCheck {
                        url,
                        reachable: true,
                        detail: health
                            .get("version")
                            .and_then(|v| v.as_str())
                            .map(|v| format!("herald-server {v}"))
                            .unwrap_or_else(|| "herald-server".into()),
                    },
                    Err(err) => ServerCheck {
                        url,
                        reachable: false,
                        detail: err.message,
                    },
                };
                (server, email.map_err(|e| e.message), devices.ok())
            }
            None => (
                ServerCheck {
                    url,
                    reachable: false,
                    detail: "not signed in".into(),
                },
                Err("not signed in".to_owned()),
                None,
            ),
        };
        let this_device = match phone {
            None => ThisDevice::Computer,
            Some(phone) => ThisDevice::Phone {
                registered: phone
                    .device
                    .is_some_and(|id| devices.iter().flatten().any(|device| device.id == id)),
                error: phone.error,
            },
        };
        let connection = current
            .as_ref()
            .map(|s| s.client().connection().borrow().clone())
            .unwrap_or(ConnState::Stopped);
        let preferences = current.as_ref().map(|s| s.prefs().view());
        let save = current
            .as_ref()
            .map(SignedIn::save_status)
            .unwrap_or(SaveStatus::Saved);
        let cards = diagnostics::cards(&Facts {
            os: &os,
            connection: &connection,
            preferences: preferences.as_ref(),
            email: email.as_ref().map_err(String::as_str),
            save: &save,
            device_muted: device.device_muted,
            window_focused: device.app_focused,
            now: self.inner.config.client.clock.now(),
            push: devices.as_deref().map(|devices| PushFacts {
                this_device: &this_device,
                devices,
            }),
        });
        Diagnostics {
            cards,
            os,
            last_event_at: current.as_ref().and_then(|s| s.client().last_event_at()),
            connection,
            server,
            profile_email: current
                .as_ref()
                .and_then(|s| s.session().agent.as_ref().map(|a| a.email.clone()))
                .or(saved.email),
            email: email.ok(),
            events_on: preferences.as_ref().map(EventsOn::of).unwrap_or_default(),
        }
    }
}
