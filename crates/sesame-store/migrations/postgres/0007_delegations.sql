-- "Grant" now means only an OAuth grant type; what a user authorized a client to do at one
-- sign-in is a delegation. Codes, refresh tokens, access tokens and device codes name theirs.
ALTER TABLE access_tokens RENAME COLUMN grant_id TO delegation_id;
ALTER INDEX access_tokens_grant_id RENAME TO access_tokens_delegation_id;

ALTER TABLE authorization_codes RENAME COLUMN grant_id TO delegation_id;

ALTER TABLE refresh_tokens RENAME COLUMN grant_id TO delegation_id;
ALTER TABLE refresh_tokens RENAME COLUMN grant_data TO delegation;
ALTER INDEX refresh_tokens_grant_id RENAME TO refresh_tokens_delegation_id;

ALTER TABLE device_codes RENAME COLUMN grant_data TO delegation;

ALTER TABLE revoked_grants RENAME TO revoked_delegations;
ALTER TABLE revoked_delegations RENAME COLUMN grant_id TO delegation_id;
ALTER TABLE revoked_delegations RENAME CONSTRAINT revoked_grants_pkey TO revoked_delegations_pkey;
ALTER INDEX revoked_grants_expires_at RENAME TO revoked_delegations_expires_at;
