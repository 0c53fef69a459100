//! Rows to domain types and back, shared by both backends.

use sesame_core::authorize::pending::PendingAuthorization;
use sesame_core::client::{Client, ClientMetadata};
use sesame_core::device::{DeviceCode, DeviceStatus};
use sesame_core::federation::{Connection, FederationState};
use sesame_core::grant::{CodeData, Grant, StoredCode, StoredRefreshToken};
use sesame_core::keys::{Algorithm, StoredKey};
use sesame_core::oauth1::{Oauth1Token, TokenKind as Oauth1Kind, TokenStatus as Oauth1Status};
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
    grant_id: Option<String>,
    userinfo_claims: Option<String>,
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
        grant_id,
        userinfo_claims: match userinfo_claims {
            Some(json) => serde_json::from_str(&json).map_err(|e| corrupt("userinfo_claims", e))?,
            None => Vec::new(),
        },
    })
}

/// A list of claim names as stored: `NULL` when empty, which is nearly always.
pub(crate) fn names_json(names: &[String]) -> Option<String> {
    (!names.is_empty()).then(|| serde_json::Value::from(names.to_vec()).to_string())
}

pub(crate) fn scope(value: &str) -> Result<Scopes, StoreError> {
    Scopes::parse(value).map_err(|e| corrupt("scope", e))
}

fn hash(bytes: Vec<u8>, what: &str) -> Result<SecretHash, StoreError> {
    secret_hash(Some(bytes))?.ok_or_else(|| corrupt(what, "missing"))
}

/// How a code is kept: its grant and what the token request is checked against, as one JSON.
pub(crate) fn code_json(code: &StoredCode) -> Result<String, StoreError> {
    Ok(serde_json::json!({ "grant": code.grant, "data": code.data }).to_string())
}

pub(crate) fn code(
    code_hash: Vec<u8>,
    data: &str,
    expires_at: i64,
    used_at: Option<i64>,
) -> Result<StoredCode, StoreError> {
    let bad = |e: serde_json::Error| corrupt("authorization code", e);
    let mut parsed: serde_json::Value = serde_json::from_str(data).map_err(bad)?;
    let grant: Grant = serde_json::from_value(parsed["grant"].take()).map_err(bad)?;
    let data: CodeData = serde_json::from_value(parsed["data"].take()).map_err(bad)?;
    Ok(StoredCode {
        code_hash: hash(code_hash, "code_hash")?,
        grant,
        data,
        expires_at,
        used_at,
    })
}

pub(crate) fn grant_json(grant: &Grant) -> Result<String, StoreError> {
    serde_json::to_string(grant).map_err(|e| corrupt("grant", e))
}

pub(crate) fn refresh_token(
    token_hash: Vec<u8>,
    grant: &str,
    issued_at: i64,
    expires_at: i64,
    used_at: Option<i64>,
    revoked_at: Option<i64>,
) -> Result<StoredRefreshToken, StoreError> {
    Ok(StoredRefreshToken {
        token_hash: hash(token_hash, "token_hash")?,
        grant: serde_json::from_str(grant).map_err(|e| corrupt("grant", e))?,
        issued_at,
        expires_at,
        used_at,
        revoked_at,
    })
}

#[allow(clippy::too_many_arguments)]
pub(crate) fn device_code(
    hash: Vec<u8>,
    user_code: String,
    client_id: String,
    scope: &str,
    status: &str,
    grant: Option<String>,
    interval: i64,
    last_polled_at: Option<i64>,
    expires_at: i64,
) -> Result<DeviceCode, StoreError> {
    Ok(DeviceCode {
        device_code_hash: self::hash(hash, "device_code_hash")?,
        user_code,
        client_id,
        scope: self::scope(scope)?,
        status: DeviceStatus::parse(status).ok_or_else(|| corrupt("device status", status))?,
        grant: grant
            .map(|g| serde_json::from_str(&g).map_err(|e| corrupt("grant", e)))
            .transpose()?,
        interval,
        last_polled_at,
        expires_at,
    })
}

#[allow(clippy::too_many_arguments)]
pub(crate) fn oauth1_token(
    token: String,
    kind: &str,
    client_id: String,
    sealed_secret: Vec<u8>,
    callback: Option<String>,
    verifier_hash: Option<Vec<u8>>,
    user_id: Option<String>,
    status: &str,
    expires_at: i64,
) -> Result<Oauth1Token, StoreError> {
    Ok(Oauth1Token {
        token,
        kind: Oauth1Kind::parse(kind).ok_or_else(|| corrupt("oauth1 token kind", kind))?,
        client_id,
        sealed_secret,
        callback,
        verifier_hash: secret_hash(verifier_hash)?,
        user_id,
        status: Oauth1Status::parse(status)
            .ok_or_else(|| corrupt("oauth1 token status", status))?,
        expires_at,
    })
}

pub(crate) fn connection_json(c: &Connection) -> Result<String, StoreError> {
    serde_json::to_string(c).map_err(|e| corrupt("connection", e))
}

pub(crate) fn connection(data: &str) -> Result<Connection, StoreError> {
    serde_json::from_str(data).map_err(|e| corrupt("connection", e))
}

pub(crate) fn federation_state_json(f: &FederationState) -> Result<String, StoreError> {
    serde_json::to_string(f).map_err(|e| corrupt("federation state", e))
}

pub(crate) fn federation_state(data: &str) -> Result<FederationState, StoreError> {
    serde_json::from_str(data).map_err(|e| corrupt("federation state", e))
}

pub(crate) fn pending_json(p: &PendingAuthorization) -> Result<String, StoreError> {
    serde_json::to_string(p).map_err(|e| corrupt("pending authorization", e))
}

pub(crate) fn pending(data: &str) -> Result<PendingAuthorization, StoreError> {
    serde_json::from_str(data).map_err(|e| corrupt("pending authorization", e))
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
