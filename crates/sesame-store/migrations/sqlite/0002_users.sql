-- Users: a random subject, a unique login name, an argon2id PHC string, OIDC claims as JSON.
CREATE TABLE users (
    id            TEXT PRIMARY KEY NOT NULL,
    username      TEXT NOT NULL UNIQUE,
    password_hash TEXT,
    disabled      INTEGER NOT NULL,
    claims        TEXT NOT NULL,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);
