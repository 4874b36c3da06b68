-- The push worker's "what is due" walks the waiting rows in due order and stops at its
-- round's size. On (status, not_before) the two statuses it asks for came out in two runs,
-- so SQLite joined every waiting row and sorted them all for each round (10 ms a round
-- with 10 000 waiting). The partial index holds only the waiting rows, in due order;
-- an answered row leaves it.
DROP INDEX push_outbox_due;
CREATE INDEX push_outbox_waiting ON push_outbox (not_before) WHERE status IN ('pending', 'held');
