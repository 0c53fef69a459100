-- Users: a random subject, a unique login name, an argon2id PHC string, OIDC claims as JSON.
CREATE TABLE users (
    id            TEXT PRIMARY KEY,
    username      TEXT NOT NULL UNIQUE,
    password_hash TEXT,
    disabled      BOOLEAN NOT NULL,
    claims        TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL
);
