//! Reading back an access token Sesame issued: the shared first step of introspection and
//! revocation. JWTs are verified against the key ring; opaque tokens are found by their hash.

use super::{AccessTokenClaims, OPAQUE_PREFIX};
use crate::error::TokenError;
use crate::provider::Provider;
use crate::secret::SecretHash;

/// How a token is kept, which decides how it is revoked.
#[derive(Debug, Clone, PartialEq)]
pub enum TokenHandle {
    /// Self-contained: revoked by recording its `jti`.
    Jwt,
    /// Stored: revoked by marking its row.
    Opaque(SecretHash),
}

/// A live token; `claims.sub` is the user's own id (or the client's, for its own tokens),
/// whatever `sub` the token shows its client.
#[derive(Debug, Clone, PartialEq)]
pub struct KnownToken {
    pub handle: TokenHandle,
    pub claims: AccessTokenClaims,
    /// The claims its delegation asked UserInfo for, when finding the token already read its
    /// record (opaque tokens, pairwise clients' JWTs): UserInfo need not read it again.
    pub userinfo_claims: Option<Vec<String>>,
}

/// A token this server issued that has neither expired nor been revoked; `None` for anything else.
pub async fn find_active_token(
    provider: &Provider,
    token: &str,
) -> Result<Option<KnownToken>, TokenError> {
    if token.starts_with(OPAQUE_PREFIX) {
        let hash = SecretHash::of(token);
        let Some(record) = provider.store().find_access_token(&hash).await? else {
            return Ok(None);
        };
        if record.revoked_at.is_some() || record.expires_at <= provider.now() {
            return Ok(None);
        }
        let claims = AccessTokenClaims {
            iss: provider.settings().issuer.clone(),
            sub: record.subject,
            aud: record.audience,
            exp: record.expires_at,
            iat: record.issued_at,
            jti: record.jti,
            client_id: record.client_id,
            scope: record.scope.to_string(),
        };
        return Ok(Some(KnownToken {
            handle: TokenHandle::Opaque(hash),
            claims,
            userinfo_claims: Some(record.userinfo_claims),
        }));
    }
    let Some(payload) = provider.key_ring().verify_jws(token, "at+jwt") else {
        return Ok(None);
    };
    let Ok(claims) = serde_json::from_slice::<AccessTokenClaims>(&payload) else {
        return Ok(None);
    };
    if claims.iss != provider.settings().issuer || claims.exp <= provider.now() {
        return Ok(None);
    }
    if provider.store().is_jti_revoked(&claims.jti).await? {
        return Ok(None);
    }
    // A deleted client's tokens end with it, on every node within the client cache's life;
    // its recorded tokens are revoked by the deletion itself, its others are caught here.
    let Some(client) = provider.client(&claims.client_id).await? else {
        return Ok(None);
    };
    let mut claims = claims;
    let mut userinfo_claims = None;
    // A pairwise client's JWT names the user by the client's pairwise `sub`, which cannot be
    // turned back; the token's record (every user token has one) names the user.
    if client.sector().is_some() && claims.sub != claims.client_id {
        let Some(record) = provider
            .store()
            .find_access_token(&SecretHash::of(token))
            .await?
        else {
            return Ok(None);
        };
        claims.sub = record.subject;
        userinfo_claims = Some(record.userinfo_claims);
    }
    Ok(Some(KnownToken {
        handle: TokenHandle::Jwt,
        claims,
        userinfo_claims,
    }))
}
