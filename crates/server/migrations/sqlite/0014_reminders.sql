-- Items that come back (issue 16): snoozed items, and assignments still unread after the
-- agent's escalation delay.
--
-- A snoozed item is marked read (so it leaves the unread counter and the unread view
-- through the triggers of migration 0004, and a pending email alert for it is skipped) and
-- carries the time it comes back. When that time comes, the ingest writer, the only path
-- that moves seqs, gives it the agent's next seq, unread, with a fresh decision: the same
-- id at the top of the bell, replayed by every stream.
ALTER TABLE notifications ADD COLUMN snoozed_until TEXT;

-- What is due, and when. kind is 'snooze' or 'escalation'; sent counts the escalation's
-- reminders so far. One row per item and kind: snoozing again moves it.
CREATE TABLE reminders (
    notification_id TEXT NOT NULL,
    kind            TEXT NOT NULL,
    agent_id        TEXT NOT NULL,
    due_at          TEXT NOT NULL,
    sent            INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (notification_id, kind)
) WITHOUT ROWID;
CREATE INDEX reminders_due ON reminders (due_at);
