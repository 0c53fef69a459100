-- A key is published before it signs: rotation on a schedule inserts the next key with a
-- future activation. Existing keys have signed since they were created.
ALTER TABLE signing_keys ADD COLUMN activates_at INTEGER NOT NULL DEFAULT 0;
UPDATE signing_keys SET activates_at = created_at;
