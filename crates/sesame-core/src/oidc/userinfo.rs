//! The UserInfo endpoint (OIDC Core §5.3): the user's claims for a bearer access token, chosen
//! by the token's scope and the `claims` request of its delegation.

use super::claims::{claims_for_scope, release};
use super::id_token::encrypt_to;
use crate::bearer::BearerError;
use crate::client::Client;
use crate::error::TokenError;
use crate::provider::Provider;
use crate::secret::SecretHash;
use crate::token::inspect::find_active_token;
use crate::user::active_user;
use serde_json::{Map, Value};

/// The JOSE `typ` of signed UserInfo responses (RFC 7519 §5.1).
pub const USERINFO_TYP: &str = "JWT";

fn invalid_token() -> BearerError {
    BearerError::InvalidToken("the access token is invalid, expired or revoked".into())
}

/// The UserInfo response body: JSON, or a JWT when the client registered for a signed or
/// encrypted response (OIDC Core §5.3.2, served as `application/jwt`).
#[derive(Debug, Clone, PartialEq)]
pub enum UserInfoResponse {
    Json(Map<String, Value>),
    Jwt(String),
}

pub async fn userinfo(provider: &Provider, token: &str) -> Result<UserInfoResponse, BearerError> {
    let Some(known) = find_active_token(provider, token)
        .await
        .map_err(BearerError::Server)?
    else {
        return Err(invalid_token());
    };
    let scope = crate::scope::Scopes::parse(&known.claims.scope).map_err(|_| invalid_token())?;
    // OIDC Core §5.3.1: UserInfo serves tokens granted with the openid scope.
    if !scope.contains("openid") {
        return Err(BearerError::InsufficientScope(
            "the access token was not granted the openid scope".into(),
        ));
    }
    let Some(user) = active_user(provider.store(), &known.claims.sub).await? else {
        return Err(invalid_token());
    };
    // The delegation's `claims` request travels with the token's record: already read for an
    // opaque token, read here for a JWT.
    let requested = match known.userinfo_claims {
        Some(names) => names,
        None => provider
            .store()
            .find_access_token(&SecretHash::of(token))
            .await?
            .map(|r| r.userinfo_claims)
            .unwrap_or_default(),
    };
    // The `claims` request's names were consented to with the scopes (see `consent_items`).
    let mut names = claims_for_scope(&scope);
    names.extend(requested.iter().map(String::as_str));
    let Some(client) = provider.client(&known.claims.client_id).await? else {
        return Err(invalid_token());
    };
    let mut claims = release(&user, &names);
    claims.insert(
        "sub".into(),
        Value::from(provider.subject_for(&client, &user.id)),
    );
    respond(provider, &client, claims)
        .await
        .map_err(BearerError::Server)
}

/// §5.3.2: signed (with `iss` and `aud` beside the claims), then encrypted, as registered.
async fn respond(
    provider: &Provider,
    client: &Client,
    mut claims: Map<String, Value>,
) -> Result<UserInfoResponse, TokenError> {
    let m = &client.metadata;
    let signed = match m.userinfo_signed_response_alg {
        None => None,
        Some(alg) => {
            claims.insert(
                "iss".into(),
                Value::from(provider.settings().issuer.clone()),
            );
            claims.insert("aud".into(), Value::from(client.client_id.clone()));
            let ring = provider.key_ring();
            let signer = ring.signer(alg).ok_or_else(|| {
                TokenError::server_error(format!(
                    "no active {alg} signing key for the UserInfo responses of client {}",
                    client.client_id
                ))
            })?;
            Some(
                signer
                    .sign_jwt(USERINFO_TYP, &claims)
                    .map_err(TokenError::server_error)?,
            )
        }
    };
    let jwt = match (m.userinfo_encryption(), signed) {
        (None, None) => return Ok(UserInfoResponse::Json(claims)),
        (None, Some(signed)) => signed,
        (Some(encryption), Some(signed)) => {
            encrypt_to(provider, client, signed.as_bytes(), encryption, Some("JWT")).await?
        }
        (Some(encryption), None) => {
            let json = Value::Object(claims).to_string();
            encrypt_to(provider, client, json.as_bytes(), encryption, None).await?
        }
    };
    Ok(UserInfoResponse::Jwt(jwt))
}
