-- Sign-in: user grants (codes, refresh tokens), browser sessions, pending authorizations,
-- consents and login throttling. Secrets are kept only as SHA-256 hashes.

-- Access tokens issued under a user's grant are recorded (JWTs too), so revoking the grant
-- reaches them; UserInfo reads the claims the grant asked for.
ALTER TABLE access_tokens ADD COLUMN grant_id TEXT;
ALTER TABLE access_tokens ADD COLUMN userinfo_claims TEXT;
CREATE INDEX access_tokens_grant_id ON access_tokens (grant_id) WHERE grant_id IS NOT NULL;

CREATE TABLE authorization_codes (
    code_hash  BYTEA PRIMARY KEY,
    grant_id   TEXT NOT NULL,
    client_id  TEXT NOT NULL,
    data       TEXT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at    BIGINT
);
CREATE INDEX authorization_codes_expires_at ON authorization_codes (expires_at);

CREATE TABLE refresh_tokens (
    token_hash BYTEA PRIMARY KEY,
    grant_id   TEXT NOT NULL,
    client_id  TEXT NOT NULL,
    grant_data TEXT NOT NULL,
    issued_at  BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at    BIGINT,
    revoked_at BIGINT
);
CREATE INDEX refresh_tokens_grant_id ON refresh_tokens (grant_id);
CREATE INDEX refresh_tokens_expires_at ON refresh_tokens (expires_at);

CREATE TABLE browser_sessions (
    id_hash    BYTEA PRIMARY KEY,
    sid        TEXT NOT NULL,
    user_id    TEXT NOT NULL,
    auth_time  BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX browser_sessions_expires_at ON browser_sessions (expires_at);

CREATE TABLE pending_authorizations (
    id         TEXT PRIMARY KEY,
    data       TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX pending_authorizations_expires_at ON pending_authorizations (expires_at);

CREATE TABLE consents (
    user_id    TEXT NOT NULL,
    client_id  TEXT NOT NULL,
    scope      TEXT NOT NULL,
    granted_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, client_id)
);

CREATE TABLE login_failures (
    account      TEXT PRIMARY KEY,
    failures     BIGINT NOT NULL,
    window_start BIGINT NOT NULL,
    locked_until BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL
);
CREATE INDEX login_failures_expires_at ON login_failures (expires_at);

-- Grants revoked (code replay, refresh reuse, revocation), until their last token would have
-- expired: a token issued by a request racing the revocation is checked against this.
CREATE TABLE revoked_grants (
    grant_id   TEXT PRIMARY KEY,
    expires_at BIGINT NOT NULL
);
CREATE INDEX revoked_grants_expires_at ON revoked_grants (expires_at);
