//! A Prometheus histogram of durations: fixed bucket bounds, lock-free counts, rendered in
//! the text exposition format. Used for the fan-out lag (`hub`, `metrics`).

use std::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

/// Counts of observed durations per bucket, their sum and their number.
#[derive(Debug)]
pub struct Histogram {
    /// Upper bounds in seconds, ascending; a last bucket (`+Inf`) takes the rest.
    bounds: &'static [f64],
    /// One per bound, then `+Inf`; not cumulative (summed when rendered).
    buckets: Vec<AtomicU64>,
    sum_micros: AtomicU64,
}

impl Histogram {
    /// An empty histogram with these upper bounds (seconds, ascending).
    pub fn new(bounds: &'static [f64]) -> Histogram {
        Histogram {
            bounds,
            buckets: (0..=bounds.len()).map(|_| AtomicU64::new(0)).collect(),
            sum_micros: AtomicU64::new(0),
        }
    }

    /// Counts one duration.
    pub fn observe(&self, took: Duration) {
        let seconds = took.as_secs_f64();
        let bucket = self
            .bounds
            .iter()
            .position(|bound| seconds <= *bound)
            .unwrap_or(self.bounds.len());
        if let Some(count) = self.buckets.get(bucket) {
            count.fetch_add(1, Ordering::Relaxed);
        }
        let micros = u64::try_from(took.as_micros()).unwrap_or(u64::MAX);
        self.sum_micros.fetch_add(micros, Ordering::Relaxed);
    }

    /// How many durations were counted.
    pub fn count(&self) -> u64 {
        self.buckets.iter().map(|b| b.load(Ordering::Relaxed)).sum()
    }

    /// Appends the exposition of the histogram `name`.
    pub fn render(&self, out: &mut String, name: &str, help: &str) {
        let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} histogram");
        let mut cumulative = 0;
        for (n, count) in self.buckets.iter().enumerate() {
            cumulative += count.load(Ordering::Relaxed);
            match self.bounds.get(n) {
                Some(bound) => {
                    let _ = writeln!(out, "{name}_bucket{{le=\"{bound}\"}} {cumulative}");
                }
                None => {
                    let _ = writeln!(out, "{name}_bucket{{le=\"+Inf\"}} {cumulative}");
                }
            }
        }
        let sum = self.sum_micros.load(Ordering::Relaxed) as f64 / 1e6;
        let _ = writeln!(out, "{name}_sum {sum}\n{name}_count {cumulative}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_cumulative_and_the_rest_goes_to_inf() {
        let histogram = Histogram::new(&[0.01, 0.1]);
        for ms in [5, 10, 50, 2000] {
            histogram.observe(Duration::from_millis(ms));
        }
        let mut out = String::new();
        histogram.render(&mut out, "lag_seconds", "How long.");
        assert_eq!(
            out,
            "# HELP lag_seconds How long.\n# TYPE lag_seconds histogram\n\
             lag_seconds_bucket{le=\"0.01\"} 2\nlag_seconds_bucket{le=\"0.1\"} 3\n\
             lag_seconds_bucket{le=\"+Inf\"} 4\nlag_seconds_sum 2.065\nlag_seconds_count 4\n"
        );
        assert_eq!(histogram.count(), 4);
    }
}
