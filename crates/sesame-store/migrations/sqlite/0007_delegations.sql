-- "Grant" now means only an OAuth grant type; what a user authorized a client to do at one
-- sign-in is a delegation. Codes, refresh tokens, access tokens and device codes name theirs.
ALTER TABLE access_tokens RENAME COLUMN grant_id TO delegation_id;
DROP INDEX access_tokens_grant_id;
CREATE INDEX access_tokens_delegation_id ON access_tokens (delegation_id)
    WHERE delegation_id IS NOT NULL;

ALTER TABLE authorization_codes RENAME COLUMN grant_id TO delegation_id;

ALTER TABLE refresh_tokens RENAME COLUMN grant_id TO delegation_id;
ALTER TABLE refresh_tokens RENAME COLUMN grant_data TO delegation;
DROP INDEX refresh_tokens_grant_id;
CREATE INDEX refresh_tokens_delegation_id ON refresh_tokens (delegation_id);

ALTER TABLE device_codes RENAME COLUMN grant_data TO delegation;

ALTER TABLE revoked_grants RENAME TO revoked_delegations;
ALTER TABLE revoked_delegations RENAME COLUMN grant_id TO delegation_id;
DROP INDEX revoked_grants_expires_at;
CREATE INDEX revoked_delegations_expires_at ON revoked_delegations (expires_at);
