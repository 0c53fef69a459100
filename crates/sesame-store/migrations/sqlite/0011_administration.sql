-- Administration: the audit trail, and what the admin API looks people and their grants up by.

-- Appended by every node; `seq` orders the events and is the listing's cursor.
CREATE TABLE audit_events (
    seq     INTEGER PRIMARY KEY AUTOINCREMENT,
    at      INTEGER NOT NULL,
    action  TEXT NOT NULL,
    actor   TEXT NOT NULL,
    address TEXT,
    target  TEXT,
    details TEXT NOT NULL
);
CREATE INDEX audit_events_at ON audit_events (at);
CREATE INDEX audit_events_target ON audit_events (target, seq) WHERE target IS NOT NULL;

-- The email claim, lower-cased, as a column: searched and (later) looked up without parsing
-- every row's claims.
ALTER TABLE users ADD COLUMN email TEXT;
UPDATE users SET email = lower(json_extract(claims, '$.email'));
CREATE INDEX users_email ON users (email) WHERE email IS NOT NULL;
-- A search reads these two columns of every row in username order: from this index, not from
-- rows that also carry the claims.
CREATE INDEX users_search ON users (username, email);

-- What a user may do beyond signing in (`admin`: the console), as a JSON array.
ALTER TABLE users ADD COLUMN roles TEXT NOT NULL DEFAULT '[]';

-- A user's sessions, and the delegations a consent's revocation ends.
CREATE INDEX browser_sessions_user_id ON browser_sessions (user_id);
ALTER TABLE authorization_codes ADD COLUMN user_id TEXT;
UPDATE authorization_codes
   SET user_id = coalesce(json_extract(data, '$.delegation.user_id'),
                          json_extract(data, '$.grant.user_id'));
CREATE INDEX authorization_codes_user_client ON authorization_codes (user_id, client_id);
ALTER TABLE refresh_tokens ADD COLUMN user_id TEXT;
UPDATE refresh_tokens SET user_id = json_extract(delegation, '$.user_id');
CREATE INDEX refresh_tokens_user_client ON refresh_tokens (user_id, client_id);
ALTER TABLE device_codes ADD COLUMN user_id TEXT;
ALTER TABLE device_codes ADD COLUMN delegation_id TEXT;
UPDATE device_codes SET user_id = json_extract(delegation, '$.user_id'),
       delegation_id = coalesce(json_extract(delegation, '$.delegation_id'), json_extract(delegation, '$.grant_id'))
 WHERE delegation IS NOT NULL;
CREATE INDEX device_codes_user_client ON device_codes (user_id, client_id)
    WHERE user_id IS NOT NULL;
CREATE INDEX access_tokens_subject_client ON access_tokens (subject, client_id)
    WHERE delegation_id IS NOT NULL;
