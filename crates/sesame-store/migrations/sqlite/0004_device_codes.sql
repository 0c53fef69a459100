-- Device authorization requests (RFC 8628): the device code only as its SHA-256; the user code
-- normalised (8 letters) and unique while the row lives.
CREATE TABLE device_codes (
    device_code_hash BLOB PRIMARY KEY NOT NULL,
    user_code        TEXT NOT NULL UNIQUE,
    client_id        TEXT NOT NULL,
    scope            TEXT NOT NULL,
    status           TEXT NOT NULL,
    grant_data       TEXT,
    poll_interval    INTEGER NOT NULL,
    last_polled_at   INTEGER,
    expires_at       INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX device_codes_expires_at ON device_codes (expires_at);
