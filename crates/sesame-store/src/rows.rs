//! Rows to domain types and back, shared by both backends.

use sesame_core::client::{Client, ClientMetadata};
use sesame_core::keys::{Algorithm, StoredKey};
use sesame_core::scope::Scopes;
use sesame_core::secret::SecretHash;
use sesame_core::store::{OpaqueAccessToken, StoreError};
use sesame_core::user::{StandardClaims, User};

fn corrupt(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("{what}: {e}"))
}

pub(crate) fn secret_hash(bytes: Option<Vec<u8>>) -> Result<Option<SecretHash>, StoreError> {
    bytes
        .map(|b| SecretHash::from_slice(&b).ok_or_else(|| corrupt("secret_hash", "not 32 bytes")))
        .transpose()
}

pub(crate) fn client(
    client_id: String,
    secret: Option<Vec<u8>>,
    metadata: &str,
    created_at: i64,
    updated_at: i64,
) -> Result<Client, StoreError> {
    let metadata: ClientMetadata =
        serde_json::from_str(metadata).map_err(|e| corrupt("client metadata", e))?;
    Ok(Client {
        client_id,
        secret_hash: secret_hash(secret)?,
        metadata,
        created_at,
        updated_at,
    })
}

pub(crate) fn metadata_json(client: &Client) -> Result<String, StoreError> {
    serde_json::to_string(&client.metadata).map_err(|e| corrupt("client metadata", e))
}

#[allow(clippy::too_many_arguments)]
pub(crate) fn signing_key(
    kid: String,
    alg: &str,
    private_key: Vec<u8>,
    encrypted: bool,
    created_at: i64,
    retired_at: Option<i64>,
    publish_until: Option<i64>,
) -> Result<StoredKey, StoreError> {
    let alg = Algorithm::parse(alg).ok_or_else(|| corrupt("signing key alg", alg))?;
    Ok(StoredKey {
        kid,
        alg,
        private_key,
        encrypted,
        created_at,
        retired_at,
        publish_until,
    })
}

#[allow(clippy::too_many_arguments)]
pub(crate) fn access_token(
    token_hash: Vec<u8>,
    jti: String,
    client_id: String,
    subject: String,
    scope: &str,
    audience: String,
    issued_at: i64,
    expires_at: i64,
    revoked_at: Option<i64>,
) -> Result<OpaqueAccessToken, StoreError> {
    Ok(OpaqueAccessToken {
        token_hash: secret_hash(Some(token_hash))?
            .ok_or_else(|| corrupt("token_hash", "missing"))?,
        jti,
        client_id,
        subject,
        scope: Scopes::parse(scope).map_err(|e| corrupt("scope", e))?,
        audience,
        issued_at,
        expires_at,
        revoked_at,
    })
}

#[allow(clippy::too_many_arguments)]
pub(crate) fn user(
    id: String,
    username: String,
    password_hash: Option<String>,
    disabled: bool,
    claims: &str,
    created_at: i64,
    updated_at: i64,
) -> Result<User, StoreError> {
    let claims: StandardClaims =
        serde_json::from_str(claims).map_err(|e| corrupt("user claims", e))?;
    Ok(User {
        id,
        username,
        password_hash,
        disabled,
        claims,
        created_at,
        updated_at,
    })
}

pub(crate) fn claims_json(user: &User) -> Result<String, StoreError> {
    serde_json::to_string(&user.claims).map_err(|e| corrupt("user claims", e))
}
