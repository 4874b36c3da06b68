-- The push worker's "what is due" walks the waiting rows in due order and stops at its
-- round's size (the same index as SQLite's migration 0018): only waiting rows, in due
-- order; an answered row leaves it.
DROP INDEX push_outbox_due;
CREATE INDEX push_outbox_waiting ON push_outbox (not_before) WHERE status IN ('pending', 'held');
