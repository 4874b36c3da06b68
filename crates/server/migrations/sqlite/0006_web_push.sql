-- Web Push: the browsers an agent enabled notifications in, and the push outbox.
--
-- A subscription belongs to the session that registered it: signing that session out
-- removes it. Its endpoint is the push service's capability URL for one browser, unique.
CREATE TABLE push_subscriptions (
    id          TEXT PRIMARY KEY,
    agent_id    TEXT NOT NULL REFERENCES agents (id),
    session_id  TEXT REFERENCES sessions (id),
    endpoint    TEXT NOT NULL UNIQUE,
    -- the browser's P-256 key and auth secret, base64url (RFC 8291)
    p256dh      TEXT NOT NULL,
    auth        TEXT NOT NULL,
    name        TEXT NOT NULL,
    created_at  TEXT NOT NULL
);
CREATE INDEX push_subscriptions_agent ON push_subscriptions (agent_id);
CREATE INDEX push_subscriptions_session ON push_subscriptions (session_id);

-- One row per item and subscription, written by ingest in the same transaction as the inbox
-- row (so an acknowledged event's pushes survive a crash), sent by the push worker. Rows
-- stay after they are answered: they are each device's record of what its push service
-- said, for "Save and test", diagnostics and "Why?".
CREATE TABLE push_outbox (
    id              INTEGER PRIMARY KEY,
    subscription_id TEXT NOT NULL,
    agent_id        TEXT NOT NULL,
    notification_id TEXT NOT NULL,
    conversation_id TEXT,
    -- the Urgency header: high | normal
    urgency         TEXT NOT NULL,
    -- pending | sent | gone | failed | skipped (read first) | expired (TTL ran out)
    -- | in_front (a window of that browser was in front of the agent)
    status          TEXT NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    not_before      TEXT NOT NULL,
    last_status     INTEGER,
    last_error      TEXT,
    created_at      TEXT NOT NULL,
    -- when the last answer (or decision not to send) came
    answered_at     TEXT
);
CREATE INDEX push_outbox_due ON push_outbox (status, not_before);
CREATE INDEX push_outbox_notification ON push_outbox (notification_id);
CREATE INDEX push_outbox_subscription ON push_outbox (subscription_id, answered_at);
