-- Read-sync to phones (issue 13): one row per phone with what was read since its last
-- sync (item ids, or "all read"), written in the transaction that changed the read state,
-- sent by the push worker as one background push and deleted if nothing was added since
-- (version).
CREATE TABLE phone_sync (
    subscription_id TEXT PRIMARY KEY,
    agent_id        TEXT NOT NULL,
    read_ids        TEXT NOT NULL DEFAULT '[]',
    all_read        INTEGER NOT NULL DEFAULT 0,
    version         INTEGER NOT NULL DEFAULT 1,
    attempts        INTEGER NOT NULL DEFAULT 0,
    not_before      TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX phone_sync_due ON phone_sync (not_before);
