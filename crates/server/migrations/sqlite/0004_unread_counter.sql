-- Lighter writes for the ingest path (each B-tree a row touches is a page in the WAL).
--
-- 1. The bell's unread counter is kept on the agent's row instead of counted on every read
--    and after every ingest batch. The ingest writer, the only path that inserts inbox
--    rows, adds its new rows in the statement that moves the agent's seq (one update per
--    agent and batch instead of one per row); triggers follow every change of read_at and
--    every deletion, so no mark or clean-up can forget it.
ALTER TABLE agents ADD COLUMN unread BIGINT NOT NULL DEFAULT 0;

UPDATE agents SET unread = (
    SELECT COUNT(*) FROM notifications n
    WHERE n.agent_id = agents.id AND n.on_bell = 1 AND n.read_at IS NULL
);

CREATE TRIGGER notifications_unread_read AFTER UPDATE OF read_at ON notifications
WHEN OLD.on_bell = 1 AND OLD.read_at IS NULL AND NEW.read_at IS NOT NULL
BEGIN
    UPDATE agents SET unread = unread - 1 WHERE id = NEW.agent_id;
END;

CREATE TRIGGER notifications_unread_unread AFTER UPDATE OF read_at ON notifications
WHEN OLD.on_bell = 1 AND OLD.read_at IS NOT NULL AND NEW.read_at IS NULL
BEGIN
    UPDATE agents SET unread = unread + 1 WHERE id = NEW.agent_id;
END;

CREATE TRIGGER notifications_unread_delete AFTER DELETE ON notifications
WHEN OLD.on_bell = 1 AND OLD.read_at IS NULL
BEGIN
    UPDATE agents SET unread = unread - 1 WHERE id = OLD.agent_id;
END;

-- 2. That partial index served only the counting; no query can use it now (the inbox's
--    "unread only" page and "mark all" do not say on_bell = 1), yet every new row paid for it.
DROP INDEX notifications_unread;

-- 3. Events and conversations are only ever found by their key: without a rowid, a row is
--    one B-tree entry instead of a table row plus an index entry.
CREATE TABLE events_by_key (
    workspace_id TEXT NOT NULL,
    event_id     TEXT NOT NULL,
    body_hash    TEXT NOT NULL,
    kind         TEXT NOT NULL,
    recipients   INTEGER NOT NULL,
    received_at  TEXT NOT NULL,
    PRIMARY KEY (workspace_id, event_id)
) WITHOUT ROWID;
INSERT INTO events_by_key SELECT workspace_id, event_id, body_hash, kind, recipients, received_at FROM events;
DROP TABLE events;
ALTER TABLE events_by_key RENAME TO events;

CREATE TABLE conversations_by_key (
    workspace_id    TEXT NOT NULL,
    conversation_id TEXT NOT NULL,
    assignee        TEXT,
    participants    TEXT NOT NULL,
    inbox_id        TEXT,
    team_id         TEXT,
    updated_at      TEXT NOT NULL,
    PRIMARY KEY (workspace_id, conversation_id)
) WITHOUT ROWID;
INSERT INTO conversations_by_key
    SELECT workspace_id, conversation_id, assignee, participants, inbox_id, team_id, updated_at
    FROM conversations;
DROP TABLE conversations;
ALTER TABLE conversations_by_key RENAME TO conversations;
