//! The bell: items by seq, deduplicated by id, with the server's absolute unread counter.
//! An id that arrives again with a higher seq is that item coming back (a snooze ended, an
//! unanswered assignment's reminder): it moves to its new place.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use herald_protocol::{InboxPage, Notification, ServerMessage, UnreadCount};
use uuid::Uuid;

/// What applying a server message did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Applied {
    /// A new item.
    NewItem(Uuid),
    /// An item held already came back (moved to the top, unread, decided as a reminder).
    Returned(Uuid),
    /// An item already held (a replay after a reconnect): ignored.
    Duplicate,
    /// Read state or the counter changed.
    Changed,
    /// Nothing for the bell.
    Nothing,
}

/// What holding an item did.
enum Inserted {
    New,
    Moved(Box<Notification>),
    Held,
}

/// The bell model. Holds at most `capacity` items (the newest).
#[derive(Debug, Clone)]
pub struct Bell {
    items: BTreeMap<u64, Notification>,
    seq_of: HashMap<Uuid, u64>,
    unread: UnreadCount,
    capacity: usize,
}

impl Bell {
    /// An empty bell keeping up to `capacity` items.
    pub fn new(capacity: usize) -> Bell {
        Bell {
            items: BTreeMap::new(),
            seq_of: HashMap::new(),
            unread: UnreadCount::default(),
            capacity: capacity.max(1),
        }
    }

    /// The counter: as the server last said, plus the unread items that arrived since.
    pub fn unread(&self) -> UnreadCount {
        self.unread
    }

    /// Whether an item is held.
    pub fn contains(&self, id: Uuid) -> bool {
        self.seq_of.contains_key(&id)
    }

    /// Items on the bell (the dashboard decision delivered), newest first.
    pub fn items(&self) -> impl Iterator<Item = &Notification> {
        self.items
            .values()
            .rev()
            .filter(|n| n.decision.dashboard.delivers())
    }

    /// One item by id.
    pub fn get(&self, id: Uuid) -> Option<&Notification> {
        self.seq_of.get(&id).and_then(|seq| self.items.get(seq))
    }

    /// Items held.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// No items.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Holds `n`: new, moved (a held id with a higher seq; returns the old copy), or
    /// already held.
    fn insert(&mut self, n: Notification) -> Inserted {
        let mut moved = None;
        if let Some(&seq) = self.seq_of.get(&n.id) {
            if n.seq <= seq {
                return Inserted::Held;
            }
            moved = self.items.remove(&seq);
        }
        let inserted = match moved {
            Some(old) => Inserted::Moved(Box::new(old)),
            None => Inserted::New,
        };
        self.seq_of.insert(n.id, n.seq);
        self.items.insert(n.seq, n);
        while self.items.len() > self.capacity {
            if let Some((_, old)) = self.items.pop_first() {
                self.seq_of.remove(&old.id);
            }
        }
        inserted
    }

    /// The oldest seq held.
    pub fn oldest_seq(&self) -> Option<u64> {
        self.items.keys().next().copied()
    }

    /// Adds older items (paging); ids already held are skipped.
    pub fn extend(&mut self, items: Vec<Notification>) {
        for n in items {
            self.insert(n);
        }
    }

    /// Replaces everything with a fresh first page (after a gap or at sign-in).
    pub fn reset(&mut self, page: InboxPage) {
        self.items.clear();
        self.seq_of.clear();
        for n in page.items {
            self.insert(n);
        }
        self.unread = page.unread;
    }

    /// Applies a stream message; `now` is the read time of items marked by "all read".
    pub fn apply(&mut self, message: &ServerMessage, now: DateTime<Utc>) -> Applied {
        match message {
            ServerMessage::Item { notification, .. } => {
                // Counted at once, so the items and the counter agree for the UI; the
                // server's absolute counter follows and replaces the estimate.
                let counts =
                    |n: &Notification| n.read_at.is_none() && n.decision.dashboard.delivers();
                match self.insert((**notification).clone()) {
                    Inserted::Held => Applied::Duplicate,
                    Inserted::New => {
                        if counts(notification) {
                            self.unread.total = self.unread.total.saturating_add(1);
                        }
                        Applied::NewItem(notification.id)
                    }
                    Inserted::Moved(old) => {
                        if counts(notification) && !counts(&old) {
                            self.unread.total = self.unread.total.saturating_add(1);
                        }
                        Applied::Returned(notification.id)
                    }
                }
            }
            ServerMessage::Snoozed { ids, until } => {
                self.set_snoozed(ids, *until, now);
                Applied::Changed
            }
            ServerMessage::Unread { unread } => {
                self.unread = *unread;
                Applied::Changed
            }
            ServerMessage::ReadChanged { ids, read_at } => {
                self.set_read(ids, *read_at);
                Applied::Changed
            }
            ServerMessage::AllRead {
                up_to_seq,
                conversation_id,
            } => {
                for n in self.items.range_mut(..=*up_to_seq).map(|(_, n)| n) {
                    let in_scope = conversation_id
                        .as_ref()
                        .is_none_or(|c| n.conversation.as_ref().is_some_and(|nc| &nc.id == c));
                    if in_scope && n.read_at.is_none() {
                        n.read_at = Some(now);
                    }
                }
                Applied::Changed
            }
            _ => Applied::Nothing,
        }
    }

    /// Sets read state locally; returns the previous states, to roll back if the server
    /// refuses (optimistic marking).
    pub fn set_read(
        &mut self,
        ids: &[Uuid],
        read_at: Option<DateTime<Utc>>,
    ) -> Vec<(Uuid, Option<DateTime<Utc>>)> {
        let mut before = Vec::new();
        for id in ids {
            if let Some(n) = self.seq_of.get(id).and_then(|seq| self.items.get_mut(seq)) {
                before.push((*id, n.read_at));
                n.read_at = read_at;
                if read_at.is_none() {
                    n.snoozed_until = None; // unread by hand: back from its snooze
                }
            }
        }
        before
    }

    /// Snoozes items until `until` (read meanwhile, as the server keeps them), or brings
    /// them back (unread, not snoozed).
    pub fn set_snoozed(&mut self, ids: &[Uuid], until: Option<DateTime<Utc>>, now: DateTime<Utc>) {
        for id in ids {
            if let Some(n) = self.seq_of.get(id).and_then(|seq| self.items.get_mut(seq)) {
                n.snoozed_until = until;
                n.read_at = until.map(|_| n.read_at.unwrap_or(now));
            }
        }
    }

    /// Undoes [`Bell::set_read`].
    pub fn restore_read(&mut self, before: Vec<(Uuid, Option<DateTime<Utc>>)>) {
        for (id, read_at) in before {
            if let Some(n) = self.seq_of.get(&id).and_then(|seq| self.items.get_mut(seq)) {
                n.read_at = read_at;
            }
        }
    }
}
