//! Routing by presence: while the agent works at a computer (a Herald window in front of
//! them, or one was within the last few minutes), a phone's push waits the delay the agent
//! chose, and goes only if the item is still unread then; with no computer in use it goes at
//! once. The server's push worker asks [`phone_held_until`] for each phone push it is about
//! to send.

use chrono::{DateTime, Duration, Utc};

/// How long after the last Herald window was in front the agent still counts as at the
/// computer.
pub const ACTIVE_WINDOW: Duration = Duration::minutes(3);
/// The longest a phone may be made to wait, in seconds.
pub const PHONE_DELAY_MAX: u16 = 900;

/// Until when a phone push of an item made at `created_at` waits, or `None` to send it now.
/// `computer_active_at` is the last moment a Herald window (desktop app or browser) was in
/// front of the agent (now, if one is); `delay_secs` the agent's choice (0: never wait).
pub fn phone_held_until(
    delay_secs: u16,
    computer_active_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    if delay_secs == 0 {
        return None;
    }
    let at_computer = computer_active_at.is_some_and(|t| now - t <= ACTIVE_WINDOW);
    let until = created_at + Duration::seconds(i64::from(delay_secs));
    (at_computer && until > now).then_some(until)
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn at(s: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 2, 10, 0, 0)
            .single()
            .expect("valid")
            + Duration::seconds(s)
    }

    #[test]
    fn a_phone_waits_only_while_the_agent_is_at_a_computer() {
        // At the desk now: held until the item is a minute old.
        assert_eq!(
            phone_held_until(60, Some(at(0)), at(0), at(0)),
            Some(at(60))
        );
        // Left the desk two minutes ago: still counts.
        assert_eq!(
            phone_held_until(60, Some(at(-120)), at(0), at(0)),
            Some(at(60))
        );
        // Left five minutes ago, or never there: at once.
        assert_eq!(phone_held_until(60, Some(at(-300)), at(0), at(0)), None);
        assert_eq!(phone_held_until(60, None, at(0), at(0)), None);
        // The wait is over: go (if the item is still unread, which the outbox checks).
        assert_eq!(phone_held_until(60, Some(at(60)), at(0), at(60)), None);
        // The agent chose not to wait.
        assert_eq!(phone_held_until(0, Some(at(0)), at(0), at(0)), None);
    }
}
