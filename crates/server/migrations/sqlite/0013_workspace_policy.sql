-- A workspace's policy: the preferences new agents start with, and the settings its admin
-- locked (copied into every agent's preferences, so the policy applies them on the server
-- and in every client).
CREATE TABLE workspace_policies (
    workspace_id TEXT PRIMARY KEY REFERENCES workspaces (id),
    -- herald_protocol::Preferences as JSON, or NULL for Herald's defaults
    defaults     TEXT,
    -- [herald_protocol::Lock] as JSON
    locks        TEXT NOT NULL DEFAULT '[]',
    locked_by    TEXT,
    updated_at   TEXT NOT NULL
);
