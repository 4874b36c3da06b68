-- Provisioning without a shell: admin keys (one workspace each), one-time password set-up
-- links, agents created without a password, and connectors that read the helpdesk's agents.
CREATE TABLE admin_keys (
    id           TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id),
    key_hash     TEXT NOT NULL UNIQUE,
    label        TEXT,
    created_at   TEXT NOT NULL,
    revoked_at   TEXT
);

-- A link works once, until it expires; only the token's hash is kept.
CREATE TABLE password_setups (
    token_hash TEXT PRIMARY KEY,
    agent_id   TEXT NOT NULL REFERENCES agents (id),
    created_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    used_at    TEXT
);
CREATE INDEX password_setups_agent ON password_setups (agent_id);

-- 0: made without a password (its hash is of random bytes nobody knows) until the agent sets
-- one through a link.
ALTER TABLE agents ADD COLUMN has_password INTEGER NOT NULL DEFAULT 1;

-- A Chatwoot administrator's access token, to read the account's agents (kept as given: it
-- is sent to Chatwoot), and how the last sync went.
ALTER TABLE connectors ADD COLUMN api_token TEXT;
ALTER TABLE connectors ADD COLUMN synced_at TEXT;
ALTER TABLE connectors ADD COLUMN sync_error TEXT;
