//! The fan-out lag: how long another node's items wait to be handed to this node's streams,
//! from the time stamped on their hint by the node that committed them (its batch's clock)
//! to the moment the reader here hands the last of them on. Kept per agent with a live
//! stream here, only for hints that named items not handed on yet.

use chrono::{DateTime, Utc};

/// Hints kept per agent at most; past this a new hint takes the place of the newest kept
/// (whose items are handed on no later): one wait fewer is counted, none longer.
const KEPT: usize = 16;

/// One agent's hints waiting for their items to be handed on: (last seq, stamp).
#[derive(Debug, Default)]
pub(super) struct Waiting(Vec<(u64, DateTime<Utc>)>);

impl Waiting {
    /// A hint stamped `at` names items up to `seq`, not handed on yet.
    pub(super) fn hinted(&mut self, seq: u64, at: DateTime<Utc>) {
        if self.0.len() >= KEPT {
            self.0.pop();
        }
        self.0.push((seq, at));
    }

    /// Items up to `published` are handed on: the waits of the hints that named none
    /// beyond, as of `now`.
    pub(super) fn handed_on(
        &mut self,
        published: u64,
        now: DateTime<Utc>,
    ) -> Vec<std::time::Duration> {
        let mut done = Vec::new();
        self.0.retain(|(seq, at)| {
            let handed = *seq <= published;
            if handed {
                done.push((now - *at).to_std().unwrap_or_default());
            }
            !handed
        });
        done
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn each_hint_counts_once_its_items_are_all_handed_on() {
        let t0 = Utc::now();
        let at = |ms| t0 + chrono::Duration::milliseconds(ms);
        let mut waiting = Waiting::default();
        waiting.hinted(5, at(0));
        waiting.hinted(9, at(10));
        assert!(waiting.handed_on(4, at(20)).is_empty());
        assert_eq!(
            waiting.handed_on(7, at(30)),
            vec![Duration::from_millis(30)]
        );
        assert_eq!(
            waiting.handed_on(9, at(50)),
            vec![Duration::from_millis(40)]
        );
        assert!(waiting.handed_on(9, at(60)).is_empty(), "once");
        // A stamp ahead of this node's clock (another node's clock) counts as no wait.
        waiting.hinted(10, at(100));
        assert_eq!(waiting.handed_on(10, at(90)), vec![Duration::ZERO]);
    }

    #[test]
    fn a_flood_of_hints_keeps_a_bounded_list() {
        let t0 = Utc::now();
        let mut waiting = Waiting::default();
        for seq in 1..=100 {
            waiting.hinted(seq, t0);
        }
        assert_eq!(waiting.0.len(), KEPT);
        assert_eq!(waiting.handed_on(100, t0).len(), KEPT);
    }
}
