-- Clients: RFC 7591 metadata as JSON; the secret only as its SHA-256.
CREATE TABLE clients (
    client_id   TEXT PRIMARY KEY NOT NULL,
    secret_hash BLOB,
    metadata    TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);

-- Signing keys: PKCS#8 DER, sealed with the master key when `encrypted`.
CREATE TABLE signing_keys (
    kid           TEXT PRIMARY KEY NOT NULL,
    alg           TEXT NOT NULL,
    private_key   BLOB NOT NULL,
    encrypted     INTEGER NOT NULL,
    created_at    INTEGER NOT NULL,
    retired_at    INTEGER,
    publish_until INTEGER
);
-- One signing key per algorithm at a time: nodes starting together cannot each add their own.
CREATE UNIQUE INDEX signing_keys_one_active_per_alg ON signing_keys (alg) WHERE retired_at IS NULL;

-- Opaque access tokens, by the SHA-256 of the token.
CREATE TABLE access_tokens (
    token_hash BLOB PRIMARY KEY NOT NULL,
    jti        TEXT NOT NULL,
    client_id  TEXT NOT NULL,
    subject    TEXT NOT NULL,
    scope      TEXT NOT NULL,
    audience   TEXT NOT NULL,
    issued_at  INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    revoked_at INTEGER
) WITHOUT ROWID;
CREATE INDEX access_tokens_expires_at ON access_tokens (expires_at);

-- Revoked self-contained (JWT) tokens, until they would have expired.
CREATE TABLE revoked_jtis (
    jti        TEXT PRIMARY KEY NOT NULL,
    expires_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX revoked_jtis_expires_at ON revoked_jtis (expires_at);

-- Client assertion jtis seen (RFC 7523 §3 item 7), until the assertion expires.
CREATE TABLE assertion_jtis (
    client_id  TEXT NOT NULL,
    jti        TEXT NOT NULL,
    expires_at INTEGER NOT NULL,
    PRIMARY KEY (client_id, jti)
) WITHOUT ROWID;
CREATE INDEX assertion_jtis_expires_at ON assertion_jtis (expires_at);
