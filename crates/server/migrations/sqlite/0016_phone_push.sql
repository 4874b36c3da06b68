-- Phones (issue 13): an app's APNs device token is a push device like a browser's
-- subscription, in the same table and the same outbox. Its endpoint is "apns:<token>" (so
-- one token is one row, and moves to whoever registers it last, like an endpoint); it has
-- no browser keys; app_id is its APNs topic (the app's bundle identifier).
ALTER TABLE push_subscriptions ADD COLUMN platform TEXT NOT NULL DEFAULT 'web';
ALTER TABLE push_subscriptions ADD COLUMN app_id TEXT;
