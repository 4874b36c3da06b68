-- "While you were quiet" (issue 16): an agent whose quiet hours or pause held an item's
-- push gets one row here, from the first such item on. When the quiet time is over, the
-- ingest writer sums up the unread items after after_seq in one quiet_summary item (made
-- read: it is about other items) and deletes the row.
CREATE TABLE quiet_digests (
    agent_id  TEXT PRIMARY KEY,
    since     TEXT NOT NULL,
    after_seq BIGINT NOT NULL
) WITHOUT ROWID;
