-- Several nodes on one database: what an agent's streams on other nodes must hear besides
-- items (read marks, snoozes, saved preferences). The node that made the change writes a
-- row and hints its id on the channel 'herald'; the others read it. Kept an hour for a
-- node catching up after a lost connection, then pruned by the fan-out's sweep.
-- PostgreSQL only: on SQLite there is one node.
CREATE TABLE stream_notices (
    id         BIGSERIAL PRIMARY KEY,
    node       TEXT COLLATE "C" NOT NULL,
    agent_id   TEXT COLLATE "C" NOT NULL,
    message    TEXT COLLATE "C" NOT NULL,
    created_at TEXT COLLATE "C" NOT NULL
);
CREATE INDEX stream_notices_created_at ON stream_notices (created_at);
