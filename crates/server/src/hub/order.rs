//! Where one agent's live items stand on this node, so its streams get every item once and
//! in seq order even when the items are committed by several nodes.
//!
//! Items reach a node two ways: committed by its own ingest writer (with their JSON at
//! hand), or committed by another node and announced by a hint (an agent and a seq, no
//! payload). A stream skips anything at or below the last seq it sent, so an item handed on
//! after a later one would be lost to it. The rule here: this node's items are handed on at
//! once when they follow on from the last one handed on; anything else (a hint, a gap) sets
//! `pending`, and the reader (`fanout`) reads the agent's rows after `published` from the
//! database and hands them on in order. Until the agent's first stream has read where the
//! agent stands (its floor), nothing is handed on from memory: what came meanwhile is read
//! once the floor is known.

/// One agent's state: only for agents with a live stream on this node.
#[derive(Debug, Default)]
pub(super) struct Order {
    /// The last seq handed to the agent's streams, or the seq their replay reached. `None`
    /// until the first stream has read where the agent stands (see [`Order::floor`]).
    published: Option<u64>,
    /// The highest seq a hint (or this node's commit) named before `published` was known.
    hinted: u64,
    /// The database must be read after `published`.
    pending: bool,
    /// Something arrived while a read was under way: read once more when it ends.
    again: bool,
}

/// What to do with items this node committed.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Committed {
    /// Hand on the items with a seq above this one.
    HandOnAfter(u64),
    /// Leave them to the reader (which must be woken).
    Read,
}

impl Order {
    /// This node committed the agent's items `first..=last`.
    pub(super) fn committed(&mut self, first: u64, last: u64) -> Committed {
        match self.published {
            // The stream may have read where the agent stands before this commit, or after:
            // the floor decides (it reads what is above it).
            None => {
                self.hinted = self.hinted.max(last);
                Committed::Read
            }
            // Nothing can be missing before them: hand them on, even while a read is under
            // way (it skips what is handed on by then, and hands on what is newer after).
            Some(p) if first <= p.saturating_add(1) => {
                self.published = Some(p.max(last));
                Committed::HandOnAfter(p)
            }
            // Another node committed the seqs in between, and their hint has not come yet.
            Some(_) => {
                self.mark_pending();
                Committed::Read
            }
        }
    }

    /// A hint: the agent's items up to `last` are committed. Whether to wake the reader.
    pub(super) fn hinted(&mut self, last: u64) -> bool {
        match self.published {
            None => {
                self.hinted = self.hinted.max(last);
                false
            }
            Some(p) if p >= last && !self.pending => false,
            Some(_) => self.mark_pending(),
        }
    }

    /// A stream read that the agent's items go up to `latest` (and replays them itself).
    /// Whether to wake the reader.
    pub(super) fn floor(&mut self, latest: u64) -> bool {
        if self.published.is_some() {
            return false;
        }
        self.published = Some(latest);
        self.hinted > latest && self.mark_pending()
    }

    /// Hints may have been missed (the listener's connection was lost, or a sweep found the
    /// agent further on): read. Whether to wake the reader.
    pub(super) fn catch_up(&mut self) -> bool {
        match self.published {
            None => {
                self.hinted = u64::MAX;
                false
            }
            Some(_) => self.mark_pending(),
        }
    }

    fn mark_pending(&mut self) -> bool {
        if self.pending {
            self.again = true;
            false // a read is queued or under way
        } else {
            self.pending = true;
            true
        }
    }

    /// The reader starts a read: the seq to read after, if one is pending.
    pub(super) fn start_read(&mut self) -> Option<u64> {
        if !self.pending {
            return None;
        }
        self.again = false;
        self.published
    }

    /// The last seq handed on so far.
    pub(super) fn published(&self) -> Option<u64> {
        self.published
    }

    /// The reader handed on items up to `last` (if it found any); `complete` when it read
    /// every row there was. Whether another read is needed.
    pub(super) fn read_done(&mut self, last: Option<u64>, complete: bool) -> bool {
        if let (Some(last), Some(p)) = (last, self.published) {
            self.published = Some(p.max(last));
        }
        if self.again || !complete {
            self.again = false;
            true
        } else {
            self.pending = false;
            false
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn own_commits_in_order_are_handed_on_at_once() {
        let mut order = Order::default();
        assert!(!order.floor(0));
        assert_eq!(order.committed(1, 2), Committed::HandOnAfter(0));
        assert_eq!(order.committed(3, 3), Committed::HandOnAfter(2));
        assert!(
            !order.hinted(3),
            "a hint for what was handed on is nothing new"
        );
        assert_eq!(order.published(), Some(3));
    }

    #[test]
    fn a_commit_after_anothers_waits_for_the_read() {
        let mut order = Order::default();
        assert!(!order.floor(5));
        // Seq 6 came from another node; its hint is late.
        assert_eq!(order.committed(7, 8), Committed::Read);
        assert_eq!(order.start_read(), Some(5));
        // Meanwhile the hint, and another own commit: both left to the reader.
        assert!(!order.hinted(6), "the read is already queued");
        assert_eq!(order.committed(9, 9), Committed::Read);
        assert_eq!(order.published(), Some(5));
        assert!(
            order.read_done(Some(8), true),
            "something came during the read"
        );
        assert_eq!(order.start_read(), Some(8));
        assert!(!order.read_done(Some(9), true));
        assert_eq!(order.start_read(), None, "nothing pending");
        assert_eq!(order.committed(10, 10), Committed::HandOnAfter(9));
    }

    #[test]
    fn a_hint_before_the_floor_is_read_after_it() {
        let mut order = Order::default();
        assert!(!order.hinted(12), "no stream knows where it stands yet");
        assert!(
            order.floor(10),
            "the replay reached 10: 11 and 12 must be read"
        );
        assert_eq!(order.start_read(), Some(10));
        assert!(order.read_done(Some(11), false), "a full page: read on");
        assert_eq!(order.start_read(), Some(11));
        assert!(!order.read_done(Some(12), true));
        let mut order = Order::default();
        assert!(!order.hinted(4));
        assert!(!order.floor(4), "the replay covered the hint");
    }

    #[test]
    fn a_commit_before_the_floor_is_read_unless_the_replay_has_it() {
        let mut order = Order::default();
        assert_eq!(order.committed(3, 3), Committed::Read);
        assert!(
            !order.floor(3),
            "the stream read 3 as the latest: its replay has it"
        );
        let mut order = Order::default();
        assert_eq!(order.committed(3, 3), Committed::Read);
        assert!(order.floor(2), "the stream read 2: 3 must be read");
        assert_eq!(order.start_read(), Some(2));
        assert!(!order.floor(4), "a later stream does not move the floor");
    }

    #[test]
    fn a_commit_that_follows_on_is_handed_on_during_a_read() {
        let mut order = Order::default();
        assert!(!order.floor(4));
        assert!(order.catch_up(), "a lost connection: read everything again");
        assert_eq!(order.start_read(), Some(4));
        assert_eq!(order.committed(5, 5), Committed::HandOnAfter(4));
        assert!(!order.read_done(None, true), "the read found nothing newer");
        assert_eq!(order.published(), Some(5));
    }

    #[test]
    fn catching_up_reads_or_waits_for_the_floor() {
        let mut order = Order::default();
        assert!(!order.catch_up());
        assert!(
            order.floor(2),
            "anything after the floor may have been missed"
        );
        assert_eq!(order.start_read(), Some(2));
        assert!(!order.read_done(None, true));
        assert!(order.catch_up());
    }
}
