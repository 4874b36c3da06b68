-- The bell's unread counter, kept on the agent's row instead of counted on every read and
-- after every ingest batch. Triggers keep it, so no path that inserts, marks or deletes
-- inbox rows can forget to.
ALTER TABLE agents ADD COLUMN unread BIGINT NOT NULL DEFAULT 0;

UPDATE agents SET unread = (
    SELECT COUNT(*) FROM notifications n
    WHERE n.agent_id = agents.id AND n.on_bell = 1 AND n.read_at IS NULL
);

CREATE TRIGGER notifications_unread_insert AFTER INSERT ON notifications
WHEN NEW.on_bell = 1 AND NEW.read_at IS NULL
BEGIN
    UPDATE agents SET unread = unread + 1 WHERE id = NEW.agent_id;
END;

CREATE TRIGGER notifications_unread_read AFTER UPDATE OF read_at ON notifications
WHEN OLD.on_bell = 1 AND OLD.read_at IS NULL AND NEW.read_at IS NOT NULL
BEGIN
    UPDATE agents SET unread = unread - 1 WHERE id = NEW.agent_id;
END;

CREATE TRIGGER notifications_unread_unread AFTER UPDATE OF read_at ON notifications
WHEN OLD.on_bell = 1 AND OLD.read_at IS NOT NULL AND NEW.read_at IS NULL
BEGIN
    UPDATE agents SET unread = unread + 1 WHERE id = NEW.agent_id;
END;

CREATE TRIGGER notifications_unread_delete AFTER DELETE ON notifications
WHEN OLD.on_bell = 1 AND OLD.read_at IS NULL
BEGIN
    UPDATE agents SET unread = unread - 1 WHERE id = OLD.agent_id;
END;
