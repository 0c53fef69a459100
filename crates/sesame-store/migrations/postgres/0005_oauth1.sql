-- OAuth 1.0a (RFC 5849). HMAC needs the consumer secret and token secrets themselves: they are
-- kept sealed with the master key (a leading byte 1), or as they are without one (byte 0).
CREATE TABLE oauth1_secrets (
    client_id TEXT PRIMARY KEY,
    sealed    BYTEA NOT NULL
);

-- Temporary and token credentials; the token itself is public (it travels in every request).
CREATE TABLE oauth1_tokens (
    token         TEXT PRIMARY KEY,
    kind          TEXT NOT NULL,
    client_id     TEXT NOT NULL,
    sealed_secret BYTEA NOT NULL,
    callback      TEXT,
    verifier_hash BYTEA,
    user_id       TEXT,
    status        TEXT NOT NULL,
    expires_at    BIGINT NOT NULL
);
CREATE INDEX oauth1_tokens_expires_at ON oauth1_tokens (expires_at);
