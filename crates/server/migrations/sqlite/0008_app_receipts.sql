-- Receipts from Herald desktop apps: what each did with an item's OS notification, as it
-- reported on its stream. One row per item and session (an app is one session); a later
-- receipt from the same app for the same item replaces the earlier one. Read by "Save and
-- test" and "Why?".
CREATE TABLE app_receipts (
    notification_id TEXT NOT NULL,
    session_id      TEXT NOT NULL,
    agent_id        TEXT NOT NULL,
    name            TEXT NOT NULL,
    -- herald_protocol::AppOutcome as JSON
    outcome         TEXT NOT NULL,
    at              TEXT NOT NULL,
    PRIMARY KEY (notification_id, session_id)
);

-- The device's name as it was when the push was queued: "Why?" still names a browser after
-- its subscription is gone (a 410 deletes it).
ALTER TABLE push_outbox ADD COLUMN device_name TEXT;
