-- Helpdesks that post their own webhooks to Herald (Chatwoot first).
--
-- A connector belongs to a workspace: what it posts is ingested there. `secret` is the
-- webhook signing secret the helpdesk shows (the HMAC key, so it is kept as given: anyone
-- who can read this database can also read every notification in it).
CREATE TABLE connectors (
    id           TEXT PRIMARY KEY,
    workspace_id TEXT NOT NULL REFERENCES workspaces (id),
    -- chatwoot
    kind         TEXT NOT NULL,
    -- the helpdesk's account id
    account_id   TEXT NOT NULL,
    -- the helpdesk's address, for links to its conversations
    base_url     TEXT NOT NULL,
    secret       TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    disabled_at  TEXT
);

-- Every signed delivery a connector received and what Herald made of it, keyed by the
-- helpdesk's delivery id: a retried delivery is recognised, and "why didn't this notify
-- anyone?" has an answer (an unknown event, a mention of an agent Herald does not know).
CREATE TABLE connector_deliveries (
    connector_id TEXT NOT NULL,
    delivery_id  TEXT NOT NULL,
    event        TEXT NOT NULL,
    -- herald_protocol::WebhookOutcome as JSON
    outcome      TEXT NOT NULL,
    received_at  TEXT NOT NULL,
    PRIMARY KEY (connector_id, delivery_id)
);
