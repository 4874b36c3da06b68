-- Ingest keys that may also sign: a platform that cannot send a bearer token (or prefers
-- not to) signs each event with this secret instead (POST /api/v1/events/signed). Kept as
-- given because it is an HMAC key; NULL for keys made without --signed.
ALTER TABLE ingest_keys ADD COLUMN signing_secret TEXT;
