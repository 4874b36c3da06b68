//! What the UI is sent when it asks: the session, the bell, the preferences, and the pause
//! choices. Built by [`crate::account::Account`]; the TypeScript types are generated from
//! these (`crate::ts`) and each has a golden JSON file, so the UI cannot drift from them.

use chrono::{DateTime, Duration, NaiveTime, Utc};
use herald_protocol::{
    parse_time_zone, AgentProfile, Notification, PrefEdit, Preferences, UnreadCount,
};
use serde::{Deserialize, Serialize};
use ts_rs::TS;
use uuid::Uuid;

use crate::ports::ConnState;
use crate::prefsync::SaveStatus;

/// What the UI shows before anything else.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct SessionView {
    /// Someone is signed in.
    pub signed_in: bool,
    /// Who (absent when restored offline and not yet confirmed).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub agent: Option<AgentProfile>,
    /// The last server, to prefill the form.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub server: Option<String>,
    /// The last email, to prefill the form.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub email: Option<String>,
    /// The connection.
    pub connection: ConnState,
    /// This device is muted.
    pub device_muted: bool,
    /// The session kept in the keychain is still being restored (the UI waits for the
    /// `restored` event instead of showing the sign-in form).
    pub restoring: bool,
    /// An item to show: its OS notification was clicked while no window was open.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub focus_item: Option<Uuid>,
}

/// The bell as the UI shows it.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct BellView {
    /// Newest first.
    pub items: Vec<Notification>,
    /// The counter (from the server, absolute).
    pub unread: UnreadCount,
    /// The connection.
    pub connection: ConnState,
    /// When the last item arrived.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional)]
    pub last_event_at: Option<DateTime<Utc>>,
}

/// The preferences as the UI shows them.
#[derive(Debug, Clone, PartialEq, Serialize, TS)]
pub struct PrefsView {
    /// With unsaved edits.
    pub preferences: Preferences,
    /// Saved, saving or failed.
    pub status: SaveStatus,
}

/// The pause choices offered in the preferences and the tray.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum PausePreset {
    /// For the next hour.
    Hour,
    /// Until 08:00 tomorrow in the agent's time zone.
    Tomorrow,
    /// Resume now.
    Off,
}

/// When a pause of the next morning ends.
const MORNING: NaiveTime = match NaiveTime::from_hms_opt(8, 0, 0) {
    Some(t) => t,
    None => NaiveTime::MIN,
};

impl PausePreset {
    /// The edit this choice makes at `now`. "Tomorrow" is 08:00 on the next day in the
    /// time zone of the agent's schedule (UTC if it names none Herald knows).
    pub fn edit(self, prefs: &Preferences, now: DateTime<Utc>) -> PrefEdit {
        let until = match self {
            PausePreset::Off => None,
            PausePreset::Hour => Some(now + Duration::hours(1)),
            PausePreset::Tomorrow => {
                let tz = parse_time_zone(&prefs.quiet_hours.time_zone).unwrap_or(chrono_tz::UTC);
                let today = now.with_timezone(&tz).date_naive();
                let tomorrow = today.succ_opt().unwrap_or(today);
                Some(herald_protocol::local_instant(tz, tomorrow, MORNING))
            }
        };
        PrefEdit::PausedUntil { until }
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn pause_until(preset: PausePreset, zone: &str, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        let mut prefs = Preferences::default();
        prefs.quiet_hours.time_zone = zone.into();
        match preset.edit(&prefs, now) {
            PrefEdit::PausedUntil { until } => until,
            other => panic!("a pause preset made {other:?}"),
        }
    }

    #[test]
    fn pause_presets_are_computed_in_the_agents_time_zone() {
        let now = Utc
            .with_ymd_and_hms(2026, 12, 1, 23, 30, 0)
            .single()
            .expect("valid instant");
        assert_eq!(
            pause_until(PausePreset::Hour, "UTC", now),
            Some(now + Duration::hours(1)),
            "an hour from now"
        );
        // 23:30 UTC is already 20:30 of Dec 1 in São Paulo (UTC-3): tomorrow is Dec 2.
        assert_eq!(
            pause_until(PausePreset::Tomorrow, "America/Sao_Paulo", now),
            Utc.with_ymd_and_hms(2026, 12, 2, 11, 0, 0).single(),
            "08:00 tomorrow in São Paulo is 11:00 UTC"
        );
        // In Tokyo (UTC+9) it is already 08:30 of Dec 2: tomorrow is Dec 3.
        assert_eq!(
            pause_until(PausePreset::Tomorrow, "Asia/Tokyo", now),
            Utc.with_ymd_and_hms(2026, 12, 2, 23, 0, 0).single(),
            "08:00 of Dec 3 in Tokyo is 23:00 UTC on Dec 2"
        );
        assert_eq!(pause_until(PausePreset::Off, "UTC", now), None, "resume");
    }
}
