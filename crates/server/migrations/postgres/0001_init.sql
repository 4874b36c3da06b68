-- Herald's schema on PostgreSQL: the tables, columns and meanings of the SQLite migrations
-- 0001-0017 (../sqlite), in one step. Times are RFC 3339 text in UTC and ids are UUID text,
-- as on SQLite, so most statements run on both stores unchanged. Every text column uses the
-- "C" collation: byte order, as SQLite compares, which keeps RFC 3339 times in time order
-- whatever the database's default collation is. From here on, a change to the schema is a
-- migration in both folders (`tests/migrations.rs` holds the two schemas to the same columns).

CREATE TABLE meta (
    key TEXT COLLATE "C" PRIMARY KEY,
    value TEXT COLLATE "C" NOT NULL
);

CREATE TABLE workspaces (
    id TEXT COLLATE "C" PRIMARY KEY,
    name TEXT COLLATE "C" NOT NULL UNIQUE,
    created_at TEXT COLLATE "C" NOT NULL,
    link_origins TEXT COLLATE "C" NOT NULL DEFAULT '[]'
);

CREATE TABLE agents (
    id TEXT COLLATE "C" PRIMARY KEY,
    workspace_id TEXT COLLATE "C" NOT NULL REFERENCES workspaces (id),
    -- the platform's id of the agent, as ingested events name it
    external_id TEXT COLLATE "C" NOT NULL,
    email TEXT COLLATE "C" NOT NULL,
    name TEXT COLLATE "C" NOT NULL,
    password_hash TEXT COLLATE "C" NOT NULL,
    disabled_at TEXT COLLATE "C",
    -- the newest seq of this agent's inbox
    last_seq      BIGINT NOT NULL DEFAULT 0,
    prefs_version BIGINT NOT NULL DEFAULT 1,
    prefs TEXT COLLATE "C" NOT NULL,
    created_at TEXT COLLATE "C" NOT NULL,
    -- items on the bell not read (kept by the ingest writer and the triggers below)
    unread        BIGINT NOT NULL DEFAULT 0,
    has_password  INTEGER NOT NULL DEFAULT 1,
    synced_by TEXT COLLATE "C",
    UNIQUE (workspace_id, external_id)
);
-- agents sign in with their email alone
CREATE UNIQUE INDEX agents_email ON agents (email);

-- inboxes and teams an agent belongs to: group_key is 'inbox:<id>' or 'team:<id>'
CREATE TABLE agent_groups (
    agent_id TEXT COLLATE "C" NOT NULL REFERENCES agents (id),
    group_key TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (agent_id, group_key)
);
CREATE INDEX agent_groups_key ON agent_groups (group_key);

CREATE TABLE sessions (
    id TEXT COLLATE "C" PRIMARY KEY,
    agent_id TEXT COLLATE "C" NOT NULL REFERENCES agents (id),
    token_hash TEXT COLLATE "C" NOT NULL UNIQUE,
    device_name TEXT COLLATE "C",
    created_at TEXT COLLATE "C" NOT NULL,
    last_seen_at TEXT COLLATE "C" NOT NULL,
    revoked_at TEXT COLLATE "C"
);
CREATE INDEX sessions_agent ON sessions (agent_id);

CREATE TABLE ingest_keys (
    id TEXT COLLATE "C" PRIMARY KEY,
    workspace_id TEXT COLLATE "C" NOT NULL REFERENCES workspaces (id),
    key_hash TEXT COLLATE "C" NOT NULL UNIQUE,
    label TEXT COLLATE "C",
    created_at TEXT COLLATE "C" NOT NULL,
    revoked_at TEXT COLLATE "C",
    signing_secret TEXT COLLATE "C"
);

CREATE TABLE admin_keys (
    id TEXT COLLATE "C" PRIMARY KEY,
    workspace_id TEXT COLLATE "C" NOT NULL REFERENCES workspaces (id),
    key_hash TEXT COLLATE "C" NOT NULL UNIQUE,
    label TEXT COLLATE "C",
    created_at TEXT COLLATE "C" NOT NULL,
    revoked_at TEXT COLLATE "C"
);

-- one row per ingested platform event: idempotency by (workspace, event id)
CREATE TABLE events (
    workspace_id TEXT COLLATE "C" NOT NULL,
    event_id TEXT COLLATE "C" NOT NULL,
    body_hash TEXT COLLATE "C" NOT NULL,
    kind TEXT COLLATE "C" NOT NULL,
    recipients   INTEGER NOT NULL,
    received_at TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (workspace_id, event_id)
);

-- what earlier events told about a conversation
CREATE TABLE conversations (
    workspace_id TEXT COLLATE "C" NOT NULL,
    conversation_id TEXT COLLATE "C" NOT NULL,
    assignee TEXT COLLATE "C",
    participants TEXT COLLATE "C" NOT NULL,
    inbox_id TEXT COLLATE "C",
    team_id TEXT COLLATE "C",
    updated_at TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (workspace_id, conversation_id)
);

-- every agent's inbox; data is the wire Notification without read_at
CREATE TABLE notifications (
    id TEXT COLLATE "C" PRIMARY KEY,
    agent_id TEXT COLLATE "C" NOT NULL REFERENCES agents (id),
    seq             BIGINT NOT NULL,
    event_id TEXT COLLATE "C" NOT NULL,
    kind TEXT COLLATE "C" NOT NULL,
    conversation_id TEXT COLLATE "C",
    on_bell         INTEGER NOT NULL,
    read_at TEXT COLLATE "C",
    created_at TEXT COLLATE "C" NOT NULL,
    data TEXT COLLATE "C" NOT NULL,
    snoozed_until TEXT COLLATE "C",
    UNIQUE (agent_id, seq)
);
CREATE INDEX notifications_conversation ON notifications (agent_id, conversation_id);

-- The bell's counter follows every change of read_at and every deletion (the ingest
-- writer adds its new rows itself, in the statement that moves the agent's seq).
CREATE FUNCTION notifications_unread() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        IF OLD.on_bell = 1 AND OLD.read_at IS NULL THEN
            UPDATE agents SET unread = unread - 1 WHERE id = OLD.agent_id;
        END IF;
        RETURN OLD;
    END IF;
    IF OLD.on_bell = 1 AND OLD.read_at IS NULL AND NEW.read_at IS NOT NULL THEN
        UPDATE agents SET unread = unread - 1 WHERE id = NEW.agent_id;
    ELSIF OLD.on_bell = 1 AND OLD.read_at IS NOT NULL AND NEW.read_at IS NULL THEN
        UPDATE agents SET unread = unread + 1 WHERE id = NEW.agent_id;
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER notifications_unread AFTER UPDATE OF read_at OR DELETE ON notifications
    FOR EACH ROW EXECUTE FUNCTION notifications_unread();

-- email alerts, tests and summaries
CREATE TABLE outbox (
    id TEXT COLLATE "C" PRIMARY KEY,
    agent_id TEXT COLLATE "C" NOT NULL REFERENCES agents (id),
    -- alert | test | summary
    kind TEXT COLLATE "C" NOT NULL,
    -- at most one email per key (an alert per inbox item)
    dedupe_key TEXT COLLATE "C" NOT NULL UNIQUE,
    notification_id TEXT COLLATE "C",
    conversation_id TEXT COLLATE "C",
    -- pending | sent | skipped | failed
    status TEXT COLLATE "C" NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    not_before TEXT COLLATE "C" NOT NULL,
    last_error TEXT COLLATE "C",
    created_at TEXT COLLATE "C" NOT NULL,
    sent_at TEXT COLLATE "C",
    period_start TEXT COLLATE "C",
    period_end TEXT COLLATE "C",
    reply TEXT COLLATE "C"
);
CREATE INDEX outbox_due ON outbox (status, not_before);
CREATE INDEX outbox_agent ON outbox (agent_id, status);

CREATE TABLE password_setups (
    token_hash TEXT COLLATE "C" PRIMARY KEY,
    agent_id TEXT COLLATE "C" NOT NULL REFERENCES agents (id),
    created_at TEXT COLLATE "C" NOT NULL,
    expires_at TEXT COLLATE "C" NOT NULL,
    used_at TEXT COLLATE "C"
);
CREATE INDEX password_setups_agent ON password_setups (agent_id);

-- browsers (Web Push) and phones (APNs, FCM)
CREATE TABLE push_subscriptions (
    id TEXT COLLATE "C" PRIMARY KEY,
    agent_id TEXT COLLATE "C" NOT NULL REFERENCES agents (id),
    session_id TEXT COLLATE "C" REFERENCES sessions (id),
    endpoint TEXT COLLATE "C" NOT NULL UNIQUE,
    -- the browser's P-256 key and auth secret, base64url (RFC 8291)
    p256dh TEXT COLLATE "C" NOT NULL,
    auth TEXT COLLATE "C" NOT NULL,
    name TEXT COLLATE "C" NOT NULL,
    created_at TEXT COLLATE "C" NOT NULL,
    platform TEXT COLLATE "C" NOT NULL DEFAULT 'web',
    app_id TEXT COLLATE "C"
);
CREATE INDEX push_subscriptions_agent ON push_subscriptions (agent_id);
CREATE INDEX push_subscriptions_session ON push_subscriptions (session_id);

CREATE TABLE push_outbox (
    id              BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    subscription_id TEXT COLLATE "C" NOT NULL,
    agent_id TEXT COLLATE "C" NOT NULL,
    notification_id TEXT COLLATE "C" NOT NULL,
    conversation_id TEXT COLLATE "C",
    -- the Urgency header: high | normal
    urgency TEXT COLLATE "C" NOT NULL,
    -- pending | sent | gone | failed | skipped (read first) | expired (TTL ran out)
    -- | in_front (a window of that browser was in front of the agent)
    status TEXT COLLATE "C" NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    not_before TEXT COLLATE "C" NOT NULL,
    last_status     INTEGER,
    last_error TEXT COLLATE "C",
    created_at TEXT COLLATE "C" NOT NULL,
    -- when the last answer (or decision not to send) came
    answered_at TEXT COLLATE "C",
    device_name TEXT COLLATE "C"
);
CREATE INDEX push_outbox_due ON push_outbox (status, not_before);
CREATE INDEX push_outbox_notification ON push_outbox (notification_id);
CREATE INDEX push_outbox_subscription ON push_outbox (subscription_id, answered_at);

-- a phone's pending read-sync push
CREATE TABLE phone_sync (
    subscription_id TEXT COLLATE "C" PRIMARY KEY,
    agent_id TEXT COLLATE "C" NOT NULL,
    read_ids TEXT COLLATE "C" NOT NULL DEFAULT '[]',
    all_read        INTEGER NOT NULL DEFAULT 0,
    version         INTEGER NOT NULL DEFAULT 1,
    attempts        INTEGER NOT NULL DEFAULT 0,
    not_before TEXT COLLATE "C" NOT NULL
);
CREATE INDEX phone_sync_due ON phone_sync (not_before);

CREATE TABLE app_receipts (
    notification_id TEXT COLLATE "C" NOT NULL,
    session_id TEXT COLLATE "C" NOT NULL,
    agent_id TEXT COLLATE "C" NOT NULL,
    name TEXT COLLATE "C" NOT NULL,
    -- herald_protocol::AppOutcome as JSON
    outcome TEXT COLLATE "C" NOT NULL,
    at TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (notification_id, session_id)
);

CREATE TABLE connectors (
    id TEXT COLLATE "C" PRIMARY KEY,
    workspace_id TEXT COLLATE "C" NOT NULL REFERENCES workspaces (id),
    -- chatwoot
    kind TEXT COLLATE "C" NOT NULL,
    -- the helpdesk's account id
    account_id TEXT COLLATE "C" NOT NULL,
    -- the helpdesk's address, for links to its conversations
    base_url TEXT COLLATE "C" NOT NULL,
    secret TEXT COLLATE "C" NOT NULL,
    created_at TEXT COLLATE "C" NOT NULL,
    disabled_at TEXT COLLATE "C",
    api_token TEXT COLLATE "C",
    synced_at TEXT COLLATE "C",
    sync_error TEXT COLLATE "C",
    api_url TEXT COLLATE "C"
);

CREATE TABLE connector_deliveries (
    connector_id TEXT COLLATE "C" NOT NULL,
    delivery_id TEXT COLLATE "C" NOT NULL,
    event TEXT COLLATE "C" NOT NULL,
    -- herald_protocol::WebhookOutcome as JSON
    outcome TEXT COLLATE "C" NOT NULL,
    received_at TEXT COLLATE "C" NOT NULL,
    PRIMARY KEY (connector_id, delivery_id)
);

CREATE TABLE workspace_policies (
    workspace_id TEXT COLLATE "C" PRIMARY KEY REFERENCES workspaces (id),
    -- herald_protocol::Preferences as JSON, or NULL for Herald's defaults
    defaults TEXT COLLATE "C",
    -- [herald_protocol::Lock] as JSON
    locks TEXT COLLATE "C" NOT NULL DEFAULT '[]',
    locked_by TEXT COLLATE "C",
    updated_at TEXT COLLATE "C" NOT NULL
);

CREATE TABLE reminders (
    notification_id TEXT COLLATE "C" NOT NULL,
    kind TEXT COLLATE "C" NOT NULL,
    agent_id TEXT COLLATE "C" NOT NULL,
    due_at TEXT COLLATE "C" NOT NULL,
    sent            INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (notification_id, kind)
);
CREATE INDEX reminders_due ON reminders (due_at);

CREATE TABLE quiet_digests (
    agent_id TEXT COLLATE "C" PRIMARY KEY,
    since TEXT COLLATE "C" NOT NULL,
    after_seq BIGINT NOT NULL
);

-- The batch statements' JSON arrays as rows, parsed once (jsonb: each `->> n` is then a
-- lookup, not a scan of the element's text). jsonb_array_elements is estimated at 100 rows
-- whatever it is given, which makes the planner hash-join a batch of two against a whole
-- table (a scan that grows with the inbox); these say 1 (and are not inlined, so the
-- estimate holds), which keeps every lookup and update on its index.
CREATE FUNCTION herald_rows(list jsonb) RETURNS SETOF jsonb
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE ROWS 1 SET search_path = pg_catalog
    AS 'SELECT jsonb_array_elements(list)';
CREATE FUNCTION herald_texts(list jsonb) RETURNS SETOF text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE ROWS 1 SET search_path = pg_catalog
    AS 'SELECT jsonb_array_elements_text(list)';
