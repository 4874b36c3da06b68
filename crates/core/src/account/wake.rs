//! Reconnecting at once after the computer sleeps or the network comes back, instead of
//! waiting for the heartbeat to time out or the backoff to run down.
//!
//! The shell reports what the OS says ([`Account::wake`]: on Linux the login manager's
//! `PrepareForSleep(false)` and NetworkManager's "connected" on D-Bus). Everywhere, a
//! watch compares the wall clock with the monotonic one, which stops while the computer
//! sleeps (Linux, macOS): a wall clock that ran well ahead means the computer slept.

use std::time::{Duration, Instant, SystemTime};

use tokio_util::sync::CancellationToken;

use super::Account;

/// How often the sleep watch looks.
const TICK: Duration = Duration::from_secs(5);
/// How far the wall clock may run ahead of the monotonic clock in one tick before it counts
/// as a sleep (clock adjustments by NTP are far smaller).
const SLEPT: Duration = Duration::from_secs(20);

/// Whether a tick whose wall-clock time was `wall` and monotonic time `mono` spanned a
/// sleep.
pub fn slept(wall: Duration, mono: Duration) -> bool {
    wall > mono + SLEPT
}

impl Account {
    /// The computer woke up or the network is back: the stream reconnects now (a live one
    /// is closed and opened again: after a sleep its socket may be dead without knowing).
    pub fn wake(&self) {
        if let Some(session) = self.current() {
            tracing::info!("woken: reconnecting now");
            session.client().wake();
        }
    }

    /// Watches for sleeps by the clocks until `stop`, and wakes the stream after one.
    pub async fn watch_sleep(&self, stop: CancellationToken) {
        watch_sleep(stop, || self.wake()).await;
    }
}

/// Watches for sleeps by the clocks until `stop`, and calls `wake` after one.
pub async fn watch_sleep(stop: CancellationToken, wake: impl Fn()) {
    let mut ticks = tokio::time::interval(TICK);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut last = (SystemTime::now(), Instant::now());
    loop {
        tokio::select! {
            () = stop.cancelled() => return,
            _ = ticks.tick() => {}
        }
        let now = (SystemTime::now(), Instant::now());
        let wall = now.0.duration_since(last.0).unwrap_or_default();
        if slept(wall, now.1 - last.1) {
            wake();
        }
        last = now;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_wall_clock_far_ahead_of_the_monotonic_one_is_a_sleep() {
        let five = Duration::from_secs(5);
        assert!(!slept(five, five), "a plain tick");
        assert!(!slept(five + Duration::from_secs(2), five), "an NTP step");
        assert!(!slept(Duration::ZERO, five), "the wall clock set back");
        assert!(slept(Duration::from_secs(3600), five), "an hour asleep");
    }
}
