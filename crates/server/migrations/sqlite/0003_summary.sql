-- End-of-day summaries: the period an outbox row covers (items whose email decision was
-- "summary" and that arrived in it).
ALTER TABLE outbox ADD COLUMN period_start TEXT;
ALTER TABLE outbox ADD COLUMN period_end TEXT;
