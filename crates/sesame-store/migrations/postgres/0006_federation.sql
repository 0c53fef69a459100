-- Upstream identity providers ("log in with ..."): settings as JSON, the client secret sealed.
CREATE TABLE connections (
    id            TEXT PRIMARY KEY,
    data          TEXT NOT NULL,
    sealed_secret BYTEA NOT NULL
);

-- An upstream subject is linked to one user; a user may have several.
CREATE TABLE identity_links (
    connection_id TEXT NOT NULL,
    subject       TEXT NOT NULL,
    user_id       TEXT NOT NULL,
    created_at    BIGINT NOT NULL,
    PRIMARY KEY (connection_id, subject)
);
CREATE INDEX identity_links_user_id ON identity_links (user_id);

-- Round trips to an upstream in flight: single use, short-lived.
CREATE TABLE federation_states (
    state      TEXT PRIMARY KEY,
    data       TEXT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX federation_states_expires_at ON federation_states (expires_at);
