-- Second factors: TOTP authenticators (the secret sealed with the master key when one is set),
-- passkeys (the relying party's record: public key, counter, backup flags), recovery codes
-- (SHA-256 only), the WebAuthn ceremonies under way, and how each browser session signed in.

CREATE TABLE factors (
    id           TEXT PRIMARY KEY NOT NULL,
    user_id      TEXT NOT NULL,
    kind         TEXT NOT NULL,
    name         TEXT NOT NULL,
    secret       BLOB NOT NULL,
    -- A passkey's credential id, base64url: a passwordless sign-in finds the passkey by it.
    credential_id TEXT,
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER,
    -- The last TOTP step accepted: a code of it, or of an earlier step, is refused.
    last_step    INTEGER
) WITHOUT ROWID;
CREATE INDEX factors_user_id ON factors (user_id);
CREATE UNIQUE INDEX factors_credential_id ON factors (credential_id) WHERE credential_id IS NOT NULL;

CREATE TABLE recovery_codes (
    user_id    TEXT NOT NULL,
    code_hash  BLOB NOT NULL,
    created_at INTEGER NOT NULL,
    used_at    INTEGER,
    PRIMARY KEY (user_id, code_hash)
) WITHOUT ROWID;

-- RFC 8176 values, space-separated: `pwd`, or `pwd otp mfa`; empty for an upstream sign-in.
ALTER TABLE browser_sessions ADD COLUMN amr TEXT NOT NULL DEFAULT '';

-- A registration or sign-in with a passkey between its two halves: the challenge, taken once.
CREATE TABLE webauthn_ceremonies (
    id         TEXT PRIMARY KEY NOT NULL,
    state      TEXT NOT NULL,
    expires_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX webauthn_ceremonies_expires_at ON webauthn_ceremonies (expires_at);
