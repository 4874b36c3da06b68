-- Agent sync from Chatwoot: where Herald reaches its API (when it differs from the address
-- agents use), and which agents a connector made (only those are disabled when they leave
-- the Chatwoot account; agents added by hand are left alone).
ALTER TABLE connectors ADD COLUMN api_url TEXT;
ALTER TABLE agents ADD COLUMN synced_by TEXT;
