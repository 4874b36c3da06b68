//! The one clock the core and the server are given. The policy never reads a clock (it takes
//! `now` as an argument); the parts around it that need the time ask a [`Clock`] handed to
//! them, so tests move time instead of sleeping.

use std::sync::{Arc, Mutex};

use chrono::{DateTime, Duration, Utc};

/// Tells the time. Cheap to clone; the system clock unless a test made it a [`ManualClock`].
#[derive(Clone)]
pub struct Clock(Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>);

impl Clock {
    /// The system's wall clock.
    pub fn system() -> Clock {
        Clock(Arc::new(Utc::now))
    }

    /// A clock that shows what `manual` is set to.
    pub fn manual(manual: &ManualClock) -> Clock {
        let now = manual.0.clone();
        Clock(Arc::new(move || {
            *now.lock().unwrap_or_else(|p| p.into_inner())
        }))
    }

    /// The time now.
    pub fn now(&self) -> DateTime<Utc> {
        (self.0)()
    }
}

impl Default for Clock {
    fn default() -> Self {
        Clock::system()
    }
}

impl std::fmt::Debug for Clock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_tuple("Clock").field(&self.now()).finish()
    }
}

/// A clock that a test sets and moves; hand it out with [`Clock::manual`].
#[derive(Clone, Debug)]
pub struct ManualClock(Arc<Mutex<DateTime<Utc>>>);

impl ManualClock {
    /// Stopped at `start`.
    pub fn new(start: DateTime<Utc>) -> ManualClock {
        ManualClock(Arc::new(Mutex::new(start)))
    }

    /// Sets the time.
    pub fn set(&self, to: DateTime<Utc>) {
        *self.0.lock().unwrap_or_else(|p| p.into_inner()) = to;
    }

    /// Moves the time forward by `by`.
    pub fn advance(&self, by: Duration) {
        let mut now = self.0.lock().unwrap_or_else(|p| p.into_inner());
        *now += by;
    }

    /// The [`Clock`] that reads this one.
    pub fn clock(&self) -> Clock {
        Clock::manual(self)
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    #[test]
    fn a_manual_clock_moves_only_when_told() {
        let start = Utc
            .with_ymd_and_hms(2026, 12, 1, 9, 0, 0)
            .single()
            .expect("valid instant");
        let manual = ManualClock::new(start);
        let clock = manual.clock();
        assert_eq!(clock.now(), start, "a stopped clock shows its start");
        manual.advance(Duration::minutes(5));
        assert_eq!(
            clock.now(),
            start + Duration::minutes(5),
            "every Clock made from it sees the move"
        );
    }
}
