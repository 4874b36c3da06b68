//! Reconnect delays: exponential with full jitter (a random delay between zero and the
//! exponential bound), so that a thousand clients cut off together do not come back together.

use std::time::Duration;

/// The delay policy and the attempt counter.
#[derive(Debug, Clone)]
pub struct Backoff {
    base: Duration,
    cap: Duration,
    attempt: u32,
    random: fn() -> u64,
}

/// Random bits from the OS.
pub fn os_random() -> u64 {
    use rand_core::RngCore;
    rand_core::OsRng.next_u64()
}

impl Backoff {
    /// Delays up to `base · 2^attempt`, at most `cap`.
    pub fn new(base: Duration, cap: Duration, random: fn() -> u64) -> Backoff {
        Backoff {
            base,
            cap,
            attempt: 0,
            random,
        }
    }

    /// Attempts since the last reset.
    pub fn attempt(&self) -> u32 {
        self.attempt
    }

    /// The bound of the next delay.
    pub fn ceiling(&self) -> Duration {
        let factor = 1u32.checked_shl(self.attempt.min(20)).unwrap_or(u32::MAX);
        self.base.saturating_mul(factor).min(self.cap)
    }

    /// The next delay (uniform in `0..=ceiling`: random 0 gives 0, `u64::MAX` the
    /// ceiling), counting an attempt.
    pub fn next_delay(&mut self) -> Duration {
        let ceiling = self.ceiling().as_millis();
        self.attempt = self.attempt.saturating_add(1);
        let scaled = ceiling * u128::from((self.random)()) / u128::from(u64::MAX);
        Duration::from_millis(u64::try_from(scaled).unwrap_or(u64::MAX))
    }

    /// After a connection stayed up long enough.
    pub fn reset(&mut self) {
        self.attempt = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grows_to_the_cap_with_full_jitter() {
        let mut b = Backoff::new(Duration::from_millis(500), Duration::from_secs(30), || {
            u64::MAX
        });
        let ceilings: Vec<u64> = (0..9)
            .map(|_| {
                let c = b.ceiling().as_millis() as u64;
                let d = b.next_delay().as_millis() as u64;
                assert_eq!(d, c, "the largest random value gives the ceiling");
                c
            })
            .collect();
        assert_eq!(
            ceilings,
            [500, 1000, 2000, 4000, 8000, 16000, 30000, 30000, 30000]
        );
        b.reset();
        assert_eq!(b.ceiling(), Duration::from_millis(500));
        let mut zero = Backoff::new(Duration::from_millis(500), Duration::from_secs(30), || 0);
        assert_eq!(
            zero.next_delay(),
            Duration::ZERO,
            "full jitter reaches zero"
        );
        let mut spread = Backoff::new(
            Duration::from_millis(500),
            Duration::from_secs(30),
            os_random,
        );
        for _ in 0..10 {
            spread.next_delay();
        }
        let samples: std::collections::HashSet<u128> =
            (0..50).map(|_| spread.next_delay().as_millis()).collect();
        assert!(samples.len() > 40, "delays are spread, not synchronised");
    }
}
