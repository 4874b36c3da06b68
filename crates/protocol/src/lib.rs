//! # herald-protocol
//!
//! The contract between `herald-server`, `herald-core` and the UI, the agent's preference
//! model, and the notification policy. Pure data and pure functions: no I/O, and the policy never reads a clock
//! (the one [`Clock`] the core and the server are handed is defined here).
//!
//! # Layout
//!
//! - [`clock`]: the injected clock (system, or moved by tests).
//! - [`event`]: what the platform reports (kinds, channels, the ingest body).
//! - [`prefs`]: the agent's preferences, their defaults and validation, summary timing.
//! - [`policy`]: `decide(kind, context, preferences, now) -> Decision`, with reasons.
//! - [`presence`]: phones wait while the agent works at a computer.
//! - [`preview`]: which channels fire per kind of event and situation, by `decide`.
//! - [`notification`]: inbox items, pages and unread counters.
//! - [`quiet`]: "while you were quiet" summaries when quiet hours or a pause end.
//! - [`reminders`]: snoozed items and unanswered assignments that come back (pure rules).
//! - [`admin`]: the provisioning API's bodies (agents, ingest keys, connectors).
//! - [`api`]: REST bodies and the one error shape.
//! - [`connector`]: what a helpdesk's signed webhook delivery became.
//! - [`push`]: push subscriptions, devices and what their push services answered.
//! - [`phone`]: what a push to a phone tells the app (the item to open, what to take away).
//! - [`receipt`]: what a Herald app did with an item's OS notification (stream receipts).
//! - [`stream`]: WebSocket messages and close codes.
//! - [`ts`]: the TypeScript module generated for the UI.
//!
//! Every wire type has a golden JSON file in `tests/golden/`; changing the wire format
//! means changing a golden file on purpose.

pub mod admin;
pub mod api;
pub mod clock;
pub mod connector;
pub mod event;
pub mod notification;
pub mod phone;
pub mod policy;
pub mod prefs;
pub mod presence;
pub mod preview;
pub mod push;
pub mod quiet;
pub mod receipt;
pub mod reminders;
pub mod stream;
pub mod ts;

pub use admin::*;
pub use api::*;
pub use clock::{Clock, ManualClock};
pub use connector::*;
pub use event::*;
pub use notification::*;
pub use phone::{PhoneItem, PhoneKey, PhoneMessage, PhoneMessageError, PhoneRead};
pub use policy::*;
pub use prefs::*;
pub use presence::*;
pub use preview::*;
pub use push::*;
pub use quiet::*;
pub use receipt::*;
pub use reminders::*;
pub use stream::*;
