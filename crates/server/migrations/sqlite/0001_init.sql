-- Herald's schema. Times are RFC 3339 text in UTC, ids are UUID text, so the same
-- statements run on SQLite and PostgreSQL.

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE workspaces (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL UNIQUE,
    created_at TEXT NOT NULL
);

CREATE TABLE agents (
    id             TEXT PRIMARY KEY,
    workspace_id   TEXT NOT NULL REFERENCES workspaces (id),
    -- the platform's id of the agent, as ingested events name it
    external_id    TEXT NOT NULL,
    email          TEXT NOT NULL,
    name           TEXT NOT NULL,
    password_hash  TEXT NOT NULL,
    disabled_at    TEXT,
    -- the newest seq of this agent's inbox
    last_seq       BIGINT NOT NULL DEFAULT 0,
    prefs_version  BIGINT NOT NULL DEFAULT 1,
    prefs          TEXT NOT NULL,
    created_at     TEXT NOT NULL,
    UNIQUE (workspace_id, external_id)
);
-- agents sign in with their email alone
CREATE UNIQUE INDEX agents_email ON agents (email);

-- inboxes and teams an agent belongs to: group_key is 'inbox:<id>' or 'team:<id>'
CREATE TABLE agent_groups (
    agent_id  TEXT NOT NULL REFERENCES agents (id),
    group_key TEXT NOT NULL,
    PRIMARY KEY (agent_id, group_key)
);
CREATE INDEX agent_groups_key ON agent_groups (group_key);

CREATE TABLE sessions (
    id           TEXT PRIMARY KEY,
    agent_id     TEXT NOT NULL REFERENCES agents (id),
    token_hash   TEXT NOT NULL UNIQUE,
    device_name  TEXT,
    created_at   TEXT NOT NULL,
    last_seen_at TEXT NOT NULL,
    revoked_at   TEXT
);
CREATE INDEX sessions_agent ON sessions (agent_id);

CREATE TABLE ingest_keys (
    id           TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id),
    key_hash     TEXT NOT NULL UNIQUE,
    label        TEXT,
    created_at   TEXT NOT NULL,
    revoked_at   TEXT
);

-- one row per ingested platform event: idempotency by (workspace, event id)
CREATE TABLE events (
    workspace_id TEXT NOT NULL,
    event_id     TEXT NOT NULL,
    body_hash    TEXT NOT NULL,
    kind         TEXT NOT NULL,
    recipients   INTEGER NOT NULL,
    received_at  TEXT NOT NULL,
    PRIMARY KEY (workspace_id, event_id)
);

-- what earlier events told about a conversation
CREATE TABLE conversations (
    workspace_id    TEXT NOT NULL,
    conversation_id TEXT NOT NULL,
    assignee        TEXT,
    participants    TEXT NOT NULL,
    inbox_id        TEXT,
    team_id         TEXT,
    updated_at      TEXT NOT NULL,
    PRIMARY KEY (workspace_id, conversation_id)
);

-- every agent's inbox; data is the wire Notification without read_at
CREATE TABLE notifications (
    id              TEXT PRIMARY KEY,
    agent_id        TEXT NOT NULL REFERENCES agents (id),
    seq             BIGINT NOT NULL,
    event_id        TEXT NOT NULL,
    kind            TEXT NOT NULL,
    conversation_id TEXT,
    on_bell         INTEGER NOT NULL,
    read_at         TEXT,
    created_at      TEXT NOT NULL,
    data            TEXT NOT NULL,
    UNIQUE (agent_id, seq)
);
CREATE INDEX notifications_unread ON notifications (agent_id, seq) WHERE on_bell = 1 AND read_at IS NULL;
CREATE INDEX notifications_conversation ON notifications (agent_id, conversation_id);
