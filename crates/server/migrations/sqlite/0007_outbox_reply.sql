-- What the email relay answered when it accepted an email (for "Save and test").
ALTER TABLE outbox ADD COLUMN reply TEXT;
