//! Access tokens: RFC 9068 JWTs (`typ: at+jwt`) or opaque strings stored hashed, per client.

use crate::client::{AccessTokenFormat, Client};
use crate::delegation::Delegation;
use crate::error::TokenError;
use crate::provider::Provider;
use crate::scope::Scopes;
use crate::secret::{SecretHash, random_token};
use crate::store::OpaqueAccessToken;
use serde::{Deserialize, Serialize};

/// Opaque access tokens start with this, so a leaked one is recognisable (and greppable).
pub const OPAQUE_PREFIX: &str = "sat_";

/// RFC 9068 §2.2 claims. The same shape describes an opaque token at introspection.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AccessTokenClaims {
    pub iss: String,
    pub sub: String,
    pub aud: String,
    pub exp: i64,
    pub iat: i64,
    pub jti: String,
    pub client_id: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub scope: String,
}

#[derive(Debug)]
pub struct IssuedAccessToken {
    pub token: String,
    pub expires_in: i64,
}

/// Mints an access token for `subject` in the client's format. A token carrying a user's delegation
/// is always recorded (a JWT by its hash), so revoking the delegation reaches it and UserInfo knows
/// which claims were asked for.
pub async fn issue_access_token(
    provider: &Provider,
    client: &Client,
    subject: &str,
    scope: &Scopes,
    delegation: Option<&Delegation>,
) -> Result<IssuedAccessToken, TokenError> {
    let settings = provider.settings();
    let now = provider.now();
    let ttl = settings.access_token_ttl;
    let jti = random_token(16);
    let record = |token: &str, jti: String| OpaqueAccessToken {
        token_hash: SecretHash::of(token),
        jti,
        client_id: client.client_id.clone(),
        subject: subject.to_owned(),
        scope: scope.clone(),
        audience: settings.audience().to_owned(),
        issued_at: now,
        expires_at: now + ttl,
        revoked_at: None,
        delegation_id: delegation.map(|g| g.delegation_id.clone()),
        // This token's scope, which a refresh may have narrowed, decides the localized names.
        userinfo_claims: delegation
            .map(|g| g.claims.userinfo_names(scope))
            .unwrap_or_default(),
    };
    let token = match client.metadata.access_token_format {
        AccessTokenFormat::Jwt => {
            // A relying party can read a JWT: a user's subject in it is the one the client
            // knows (pairwise or not), or the JWT would undo pairwise subjects (OIDC Core §8).
            let sub = match delegation {
                Some(_) => provider.subject_for(client, subject),
                None => subject.to_owned(),
            };
            let claims = AccessTokenClaims {
                iss: settings.issuer.clone(),
                sub,
                aud: settings.audience().to_owned(),
                exp: now + ttl,
                iat: now,
                jti: jti.clone(),
                client_id: client.client_id.clone(),
                scope: scope.to_string(),
            };
            let ring = provider.key_ring();
            let signer = ring
                .signer(settings.access_token_signing_alg)
                .ok_or_else(|| {
                    TokenError::server_error(format!(
                        "no active {} signing key",
                        settings.access_token_signing_alg
                    ))
                })?;
            let token = signer
                .sign_jwt("at+jwt", &claims)
                .map_err(TokenError::server_error)?;
            if delegation.is_some() {
                provider
                    .store()
                    .insert_access_token(&record(&token, jti))
                    .await?;
            }
            token
        }
        AccessTokenFormat::Opaque => {
            let token = format!("{OPAQUE_PREFIX}{}", random_token(32));
            provider
                .store()
                .insert_access_token(&record(&token, jti))
                .await?;
            token
        }
    };
    Ok(IssuedAccessToken {
        token,
        expires_in: ttl,
    })
}
