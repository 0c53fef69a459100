-- Second factors: TOTP authenticators (the secret sealed with the master key when one is set)
-- and recovery codes (SHA-256 only), and how each browser session was signed in.

CREATE TABLE factors (
    id           TEXT PRIMARY KEY NOT NULL,
    user_id      TEXT NOT NULL,
    kind         TEXT NOT NULL,
    name         TEXT NOT NULL,
    secret       BLOB NOT NULL,
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER,
    -- The last TOTP step accepted: a code of it, or of an earlier step, is refused.
    last_step    INTEGER
) WITHOUT ROWID;
CREATE INDEX factors_user_id ON factors (user_id);

CREATE TABLE recovery_codes (
    user_id    TEXT NOT NULL,
    code_hash  BLOB NOT NULL,
    created_at INTEGER NOT NULL,
    used_at    INTEGER,
    PRIMARY KEY (user_id, code_hash)
) WITHOUT ROWID;

-- RFC 8176 values, space-separated: `pwd`, or `pwd otp mfa`; empty for an upstream sign-in.
ALTER TABLE browser_sessions ADD COLUMN amr TEXT NOT NULL DEFAULT '';
