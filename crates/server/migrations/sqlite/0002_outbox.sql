-- The email outbox: every email Herald means to send, with its state. Content is built when
-- it is sent, so an alert read meanwhile is skipped and a burst is folded into one email.
CREATE TABLE outbox (
    id              TEXT PRIMARY KEY,
    agent_id        TEXT NOT NULL REFERENCES agents (id),
    -- alert | test
    kind            TEXT NOT NULL,
    -- at most one email per key (an alert per inbox item)
    dedupe_key      TEXT NOT NULL UNIQUE,
    notification_id TEXT,
    conversation_id TEXT,
    -- pending | sent | skipped | failed
    status          TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    not_before      TEXT NOT NULL,
    last_error      TEXT,
    created_at      TEXT NOT NULL,
    sent_at         TEXT
);
CREATE INDEX outbox_due ON outbox (status, not_before);
CREATE INDEX outbox_agent ON outbox (agent_id, status);
