-- Clients: RFC 7591 metadata as JSON; the secret only as its SHA-256.
CREATE TABLE clients (
    client_id   TEXT PRIMARY KEY,
    secret_hash BYTEA,
    metadata    TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    updated_at  BIGINT NOT NULL
);

-- Signing keys: PKCS#8 DER, sealed with the master key when `encrypted`.
CREATE TABLE signing_keys (
    kid           TEXT PRIMARY KEY,
    alg           TEXT NOT NULL,
    private_key   BYTEA NOT NULL,
    encrypted     BOOLEAN NOT NULL,
    created_at    BIGINT NOT NULL,
    retired_at    BIGINT,
    publish_until BIGINT
);
-- One signing key per algorithm at a time: nodes starting together cannot each add their own.
CREATE UNIQUE INDEX signing_keys_one_active_per_alg ON signing_keys (alg) WHERE retired_at IS NULL;

-- Opaque access tokens, by the SHA-256 of the token.
CREATE TABLE access_tokens (
    token_hash BYTEA PRIMARY KEY,
    jti        TEXT NOT NULL,
    client_id  TEXT NOT NULL,
    subject    TEXT NOT NULL,
    scope      TEXT NOT NULL,
    audience   TEXT NOT NULL,
    issued_at  BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    revoked_at BIGINT
);
CREATE INDEX access_tokens_expires_at ON access_tokens (expires_at);

-- Revoked self-contained (JWT) tokens, until they would have expired.
CREATE TABLE revoked_jtis (
    jti        TEXT PRIMARY KEY,
    expires_at BIGINT NOT NULL
);
CREATE INDEX revoked_jtis_expires_at ON revoked_jtis (expires_at);

-- Client assertion jtis seen (RFC 7523 §3 item 7), until the assertion expires.
CREATE TABLE assertion_jtis (
    client_id  TEXT NOT NULL,
    jti        TEXT NOT NULL,
    expires_at BIGINT NOT NULL,
    PRIMARY KEY (client_id, jti)
);
CREATE INDEX assertion_jtis_expires_at ON assertion_jtis (expires_at);
