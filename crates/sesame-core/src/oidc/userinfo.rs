//! The UserInfo endpoint (OIDC Core §5.3): the user's claims for a bearer access token, chosen
//! by the token's scope and the `claims` request of its delegation.

use super::claims::{claims_for_scope, release};
use crate::bearer::BearerError;
use crate::provider::Provider;
use crate::secret::SecretHash;
use crate::token::inspect::{TokenHandle, find_active_token};
use crate::user::active_user;
use serde_json::{Map, Value};

fn invalid_token() -> BearerError {
    BearerError::InvalidToken("the access token is invalid, expired or revoked".into())
}

pub async fn userinfo(provider: &Provider, token: &str) -> Result<Map<String, Value>, BearerError> {
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
    // The delegation's `claims` request travels with the token's record.
    let hash = match &known.handle {
        TokenHandle::Opaque(hash) => hash.clone(),
        TokenHandle::Jwt => SecretHash::of(token),
    };
    let requested = provider
        .store()
        .find_access_token(&hash)
        .await?
        .map(|r| r.userinfo_claims)
        .unwrap_or_default();
    // The `claims` request's names were consented to with the scopes (see `consent_items`).
    let mut names = claims_for_scope(&scope);
    names.extend(requested.iter().map(String::as_str));
    let mut claims = release(&user, &names);
    claims.insert("sub".into(), Value::from(user.id));
    Ok(claims)
}
