-- Deleting a client ends everything issued to it in one transaction: these find it by client.
CREATE INDEX access_tokens_client_id ON access_tokens (client_id);
CREATE INDEX authorization_codes_client_id ON authorization_codes (client_id);
CREATE INDEX refresh_tokens_client_id ON refresh_tokens (client_id);
CREATE INDEX device_codes_client_id ON device_codes (client_id);
CREATE INDEX consents_client_id ON consents (client_id);
CREATE INDEX oauth1_tokens_client_id ON oauth1_tokens (client_id);
