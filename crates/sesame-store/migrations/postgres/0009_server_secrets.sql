-- Secrets every node shares that have no other home: the CSRF key when no master key is set
-- (with one, it is derived from the master key and never stored).
CREATE TABLE server_secrets (
    name  TEXT PRIMARY KEY NOT NULL,
    value BYTEA NOT NULL
);
