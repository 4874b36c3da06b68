//! Times of day, weekdays and time zones, and when the end-of-day summary is due. Wall-clock
//! arithmetic in the agent's zone, with DST gaps and repeats resolved one fixed way.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Datelike, LocalResult, NaiveDate, NaiveTime, TimeZone, Timelike, Utc};
use chrono_tz::Tz;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use ts_rs::TS;

use crate::ts::ts_alias;

use super::*;

/// A wall-clock time of day, `"HH:MM"` on the wire, in some time zone given beside it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LocalTime {
    pub(super) minutes: u16,
}

impl LocalTime {
    /// A time of day; `None` unless `hour < 24` and `minute < 60`.
    pub const fn new(hour: u8, minute: u8) -> Option<LocalTime> {
        if hour < 24 && minute < 60 {
            Some(LocalTime {
                minutes: hour as u16 * 60 + minute as u16,
            })
        } else {
            None
        }
    }

    /// Minutes since midnight.
    pub fn minutes(self) -> u16 {
        self.minutes
    }

    /// The same time as a chrono [`NaiveTime`].
    pub fn to_naive(self) -> NaiveTime {
        NaiveTime::from_hms_opt(
            u32::from(self.minutes / 60),
            u32::from(self.minutes % 60),
            0,
        )
        .unwrap_or(NaiveTime::MIN)
    }

    /// The wall-clock minute of `time` (seconds dropped).
    pub fn of(time: NaiveTime) -> LocalTime {
        LocalTime {
            minutes: (time.hour() * 60 + time.minute()) as u16,
        }
    }
}

impl fmt::Display for LocalTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}:{:02}", self.minutes / 60, self.minutes % 60)
    }
}

/// The text was not a time of day in `HH:MM` form.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not a time of day like \"18:30\"")]
pub struct BadLocalTime(String);

impl FromStr for LocalTime {
    type Err = BadLocalTime;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || BadLocalTime(s.chars().take(32).collect());
        let (h, m) = s.split_once(':').ok_or_else(bad)?;
        if h.len() != 2 || m.len() != 2 {
            return Err(bad());
        }
        let h: u8 = h.parse().map_err(|_| bad())?;
        let m: u8 = m.parse().map_err(|_| bad())?;
        LocalTime::new(h, m).ok_or_else(bad)
    }
}

impl Serialize for LocalTime {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for LocalTime {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

ts_alias!(LocalTime, "LocalTime", "string");

impl schemars::JsonSchema for LocalTime {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "LocalTime".into()
    }
    fn json_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
        schemars::json_schema!({
            "type": "string",
            "pattern": "^([01][0-9]|2[0-3]):[0-5][0-9]$",
            "description": "a wall-clock time of day, HH:MM",
            "examples": ["18:30"]
        })
    }
}

/// A day of the week.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    TS,
    schemars::JsonSchema,
)]
#[serde(rename_all = "snake_case")]
#[allow(missing_docs)]
pub enum Weekday {
    Mon,
    Tue,
    Wed,
    Thu,
    Fri,
    Sat,
    Sun,
}

impl Weekday {
    /// Every day, Monday first.
    pub const ALL: [Weekday; 7] = [
        Weekday::Mon,
        Weekday::Tue,
        Weekday::Wed,
        Weekday::Thu,
        Weekday::Fri,
        Weekday::Sat,
        Weekday::Sun,
    ];
    /// Monday to Friday.
    pub const WORKDAYS: [Weekday; 5] = [
        Weekday::Mon,
        Weekday::Tue,
        Weekday::Wed,
        Weekday::Thu,
        Weekday::Fri,
    ];

    /// The same day as chrono's weekday.
    pub fn of(day: chrono::Weekday) -> Weekday {
        Weekday::ALL[day.num_days_from_monday() as usize]
    }
}

/// Parses an IANA time zone name.
pub fn parse_time_zone(name: &str) -> Option<Tz> {
    name.parse::<Tz>().ok()
}

impl Preferences {
    /// The most recent summary time at or before `now`, with the local date it belongs to,
    /// and the summary time of the day before (the start of the period it covers).
    pub fn last_summary_due(
        &self,
        now: DateTime<Utc>,
    ) -> (NaiveDate, DateTime<Utc>, DateTime<Utc>) {
        let tz = parse_time_zone(&self.email.time_zone).unwrap_or(Tz::UTC);
        let at = self.email.summary_at.to_naive();
        let today = now.with_timezone(&tz).date_naive();
        let mut day = today;
        let mut due = local_instant(tz, day, at);
        if due > now {
            day = today.pred_opt().unwrap_or(today);
            due = local_instant(tz, day, at);
        }
        let previous = local_instant(tz, day.pred_opt().unwrap_or(day), at);
        (day, due, previous)
    }

    /// The next instant at or after `now` when the end-of-day summary is due, in the
    /// agent's email time zone. A summary time that does not exist on a day (skipped by a
    /// DST change) moves forward to the first minute that does; one that exists twice (the
    /// clock went back) is the first of the two. Invalid zones read as UTC.
    pub fn next_summary_at(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        let tz = parse_time_zone(&self.email.time_zone).unwrap_or(Tz::UTC);
        let today = now.with_timezone(&tz).date_naive();
        let mut day = today;
        // Two days always suffice; the bound only guards against a zone without the day.
        for _ in 0..3 {
            let due = local_instant(tz, day, self.email.summary_at.to_naive());
            if due >= now {
                return due;
            }
            day = day.succ_opt().unwrap_or(day);
        }
        now
    }
}

/// The instant of a wall-clock time on a local day, resolving DST gaps forward and
/// ambiguous times to the earlier instant.
pub fn local_instant(tz: Tz, day: NaiveDate, time: NaiveTime) -> DateTime<Utc> {
    let mut naive = day.and_time(time);
    // A gap is at most a few hours; step a minute at a time past it.
    for _ in 0..(24 * 60) {
        match tz.from_local_datetime(&naive) {
            LocalResult::Single(t) => return t.with_timezone(&Utc),
            LocalResult::Ambiguous(first, _) => return first.with_timezone(&Utc),
            LocalResult::None => naive += chrono::Duration::minutes(1),
        }
    }
    Utc.from_utc_datetime(&day.and_time(time))
}

/// The local weekday and wall-clock minute of `now` in `tz`.
pub(crate) fn local_clock(tz: Tz, now: DateTime<Utc>) -> (Weekday, LocalTime) {
    let local = now.with_timezone(&tz);
    (Weekday::of(local.weekday()), LocalTime::of(local.time()))
}
