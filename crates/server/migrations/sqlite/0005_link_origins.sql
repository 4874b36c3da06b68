-- The origins a workspace's platform links to (a JSON array of "https://host[:port]"). An
-- ingested conversation link to anywhere else is dropped from the item and reported in the
-- ingest answer: no client, email or push has to decide whether a link is safe to open.
ALTER TABLE workspaces ADD COLUMN link_origins TEXT NOT NULL DEFAULT '[]';
