//! Helpdesks' webhooks (`POST /api/v1/connectors/{id}/webhook`): what Herald made of one
//! signed delivery. The same outcome is kept per delivery, so a retried delivery gets the
//! first answer again.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

use crate::api::IngestResult;

/// What one delivery became.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum WebhookOutcome {
    /// Ingested as these Herald events.
    Ingested {
        /// One per event.
        events: Vec<IngestResult>,
        /// Parts that reached nobody, and why (a mention of a user no Herald agent has).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        #[ts(optional, as = "Option<Vec<String>>")]
        skipped: Vec<String>,
    },
    /// Acknowledged: nothing in it to notify anyone of.
    Ignored {
        /// Why.
        reason: String,
    },
}

/// The answer to a delivery.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, TS, schemars::JsonSchema)]
pub struct WebhookResult {
    /// The helpdesk's delivery id.
    pub delivery_id: String,
    /// The helpdesk's event name.
    pub event: String,
    /// This delivery id was received before: the first outcome, nothing new was done.
    pub duplicate: bool,
    /// What it became.
    pub outcome: WebhookOutcome,
}
