//! The push card's findings about push devices: whether the device asking is registered
//! (a browser, a phone; the desktop app shows its own notifications and needs none), and
//! every device of the agent whose push service refused or failed its last push.

use herald_protocol::{OsPermission, PushDevice, PushOutcome};

use super::Finding;

/// What the device asking is, for push.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ThisDevice {
    /// The desktop app: it shows its own notifications while it runs; push is for the
    /// agent's other devices.
    Computer,
    /// A browser (the web app).
    Browser {
        /// It is registered for push.
        registered: bool,
    },
    /// A phone (the app on iOS or Android).
    Phone {
        /// It is registered for push with this account's server.
        registered: bool,
        /// Why not, when known (the OS gave no push token, the server refused it).
        error: Option<String>,
    },
}

/// What the server knows of an agent's push devices, and what the device asking is.
#[derive(Debug, Clone, Copy)]
pub struct PushFacts<'a> {
    /// The device asking.
    pub this_device: &'a ThisDevice,
    /// Every push device of the agent, with its last answer.
    pub devices: &'a [PushDevice],
}

/// A browser allowed to notify but not registered is a problem; so is a phone not
/// registered (whatever the OS allows: it gets a token either way), and any device whose
/// push service refused or failed its last push.
pub(super) fn findings(push: &PushFacts<'_>, permission: OsPermission, found: &mut Vec<Finding>) {
    match push.this_device {
        ThisDevice::Browser { registered: false } if permission == OsPermission::Granted => {
            found.push(Finding::NoPushSubscription);
        }
        ThisDevice::Phone {
            registered: false,
            error,
        } => found.push(Finding::PhoneNotRegistered {
            error: error.clone(),
        }),
        _ => {}
    }
    for device in push.devices {
        let error = match device.last.as_ref().map(|l| &l.outcome) {
            Some(PushOutcome::Failed { error, .. } | PushOutcome::Retrying { error, .. }) => {
                error.clone()
            }
            _ => continue,
        };
        found.push(Finding::PushFailing {
            device: device.name.clone(),
            platform: device.platform,
            error,
        });
    }
}

/// A phone's registration for push with one account's server, as the shell's side knows it
/// (herald-core's `Accounts` keeps one per account).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PhoneRegistration {
    /// The device the server made of the token (its id), if it took it.
    pub device: Option<uuid::Uuid>,
    /// Why there is none, when known.
    pub error: Option<String>,
}
