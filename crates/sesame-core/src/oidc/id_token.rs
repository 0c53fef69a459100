//! ID tokens (OIDC Core §2, §3.1.3.6, §3.2.2.10, §3.3.2.11), signed with the client's
//! `id_token_signed_response_alg`.

use super::claims::{REGISTERED_CLAIMS, release};
use crate::client::{Client, Encryption};
use crate::client_keys::Want;
use crate::delegation::Delegation;
use crate::error::TokenError;
use crate::keys::{Algorithm, jwe};
use crate::provider::Provider;
use crate::user::User;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The JOSE `typ` of Sesame's ID tokens (RFC 7519 §5.1).
pub const ID_TOKEN_TYP: &str = "JWT";

/// The registered claims of an ID token; the user's claims are flattened in beside them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IdTokenClaims {
    pub iss: String,
    pub sub: String,
    pub aud: String,
    pub exp: i64,
    pub iat: i64,
    pub auth_time: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nonce: Option<String>,
    /// OIDC Core §2: the party the token was issued to; the same as `aud` here.
    pub azp: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sid: Option<String>,
    /// OIDC Core §2: the level the sign-in reached (`crate::mfa::policy`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acr: Option<String>,
    /// RFC 8176: how the user signed in; left out when Sesame cannot say (an upstream sign-in).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub amr: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at_hash: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub c_hash: Option<String>,
    #[serde(flatten)]
    pub user_claims: Map<String, Value>,
}

/// What the caller adds to the delegation: the nonce to echo, the artefacts issued beside the ID
/// token (hashed into it), and whether the scope's claims belong in it.
#[derive(Debug, Default)]
pub struct IdTokenRequest<'a> {
    pub nonce: Option<&'a str>,
    pub access_token: Option<&'a str>,
    pub code: Option<&'a str>,
    pub scope_claims: bool,
}

/// The `acr` to assert: the level the sign-in reached; when the client asked for `acr` as an
/// essential claim with values, the highest of those it reached (OIDC Core §5.5.1.1: one of the
/// values asked for), which the authorization request made sure exists.
fn asserted_acr(delegation: &Delegation) -> crate::mfa::Level {
    let reached = crate::mfa::Level::of(&delegation.amr);
    let claims = &delegation.claims;
    if !claims.essential_acr {
        return reached;
    }
    claims
        .acr_values
        .iter()
        .filter_map(|v| crate::mfa::Level::parse(v))
        .filter(|l| *l <= reached)
        .max()
        .unwrap_or(reached)
}

pub async fn issue(
    provider: &Provider,
    client: &Client,
    user: &User,
    delegation: &Delegation,
    request: IdTokenRequest<'_>,
) -> Result<String, TokenError> {
    let settings = provider.settings();
    let now = provider.now();
    let alg = client.metadata.id_token_signed_response_alg;
    // Claims named in the `claims` request were shown on the consent page with the scopes
    // (`AuthorizationRequest::consent_items`), so they may be released like the scope's.
    let names = delegation
        .claims
        .id_token_names(&delegation.scope, request.scope_claims);
    let mut user_claims = release(user, &names);
    // Registered claims are Sesame's to set; a requested claim may not override them.
    for reserved in REGISTERED_CLAIMS {
        user_claims.remove(reserved);
    }
    let claims = IdTokenClaims {
        iss: settings.issuer.clone(),
        sub: provider.subject_for(client, &user.id),
        aud: client.client_id.clone(),
        exp: now + settings.id_token_ttl,
        iat: now,
        auth_time: delegation.auth_time,
        nonce: request.nonce.map(str::to_owned),
        azp: client.client_id.clone(),
        sid: delegation.sid.as_ref().map(|s| provider.sid_for(client, s)),
        acr: Some(asserted_acr(delegation).as_str().to_owned()),
        amr: delegation.amr.clone(),
        at_hash: request.access_token.map(|t| half_hash(alg, t)),
        c_hash: request.code.map(|c| half_hash(alg, c)),
        user_claims,
    };
    let ring = provider.key_ring();
    let signer = ring.signer(alg).ok_or_else(|| {
        TokenError::server_error(format!(
            "no active {alg} signing key for the ID tokens of client {}",
            client.client_id
        ))
    })?;
    let signed = signer
        .sign_jwt(ID_TOKEN_TYP, &claims)
        .map_err(TokenError::server_error)?;
    // OIDC Core §10.2: signed, then encrypted, as a nested JWT.
    match client.metadata.id_token_encryption() {
        None => Ok(signed),
        Some(encryption) => {
            encrypt_to(provider, client, signed.as_bytes(), encryption, Some("JWT")).await
        }
    }
}

/// A JWE of `payload` to the client's key (OIDC Core §10.2), from its `jwks` or `jwks_uri`.
pub async fn encrypt_to(
    provider: &Provider,
    client: &Client,
    payload: &[u8],
    (alg, enc): Encryption,
    cty: Option<&str>,
) -> Result<String, TokenError> {
    // Registration checks the key exists; a jwks_uri that has since dropped it gets a server
    // error naming the client rather than a clear-text token.
    let jwks = provider.client_jwks(client, Want::Usual).await?;
    let key = jwks.as_deref().and_then(|j| jwe::select_key(j, alg));
    let key = key.ok_or_else(|| {
        TokenError::server_error(format!(
            "client {} has no public key for {alg} encryption",
            client.client_id
        ))
    })?;
    jwe::encrypt(payload, key, alg, enc, cty).map_err(|e| {
        TokenError::server_error(format!("encrypting to client {}: {e}", client.client_id))
    })
}

/// `at_hash`/`c_hash` (OIDC Core §3.3.2.11): the left half of the hash that matches the
/// signing algorithm, base64url. EdDSA with Ed25519 uses SHA-512 (OIDC Core errata).
pub fn half_hash(alg: Algorithm, value: &str) -> String {
    let digest_alg = match alg {
        Algorithm::EdDSA => &aws_lc_rs::digest::SHA512,
        _ => &aws_lc_rs::digest::SHA256,
    };
    let digest = aws_lc_rs::digest::digest(digest_alg, value.as_bytes());
    let bytes = digest.as_ref();
    URL_SAFE_NO_PAD.encode(&bytes[..bytes.len() / 2])
}

/// Reads an ID token this issuer signed, expired or not (OIDC Core §3.1.2.1 `id_token_hint`,
/// RP-Initiated Logout §2). `None` unless the signature, issuer and audience hold.
pub fn read_hint(provider: &Provider, hint: &str) -> Option<IdTokenClaims> {
    let payload = provider.key_ring().verify_jws(hint, ID_TOKEN_TYP)?;
    let claims: IdTokenClaims = serde_json::from_slice(&payload).ok()?;
    (claims.iss == provider.settings().issuer).then_some(claims)
}

/// The `sub` of an ID token hint issued to `client_id`.
pub fn subject_of_hint(provider: &Provider, hint: &str, client_id: &str) -> Option<String> {
    read_hint(provider, hint)
        .filter(|c| c.aud == client_id)
        .map(|c| c.sub)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_essential_acr_is_answered_with_a_value_it_listed() {
        let mut d: Delegation = serde_json::from_value(serde_json::json!({
            "delegation_id": "d", "client_id": "c", "user_id": "u", "scope": "openid",
            "auth_time": 1, "amr": ["pwd", "otp", "mfa"]
        }))
        .unwrap();
        assert_eq!(asserted_acr(&d), crate::mfa::Level::Two);
        d.claims.essential_acr = true;
        d.claims.acr_values = vec!["1".into()];
        assert_eq!(
            asserted_acr(&d),
            crate::mfa::Level::One,
            "two factors meet 1"
        );
        d.claims.acr_values = vec!["1".into(), "2".into()];
        assert_eq!(asserted_acr(&d), crate::mfa::Level::Two);
    }

    #[test]
    fn at_hash_matches_the_oidc_example() {
        // OIDC Core §A.3 example: access token with RS256 → at_hash.
        assert_eq!(
            half_hash(
                Algorithm::RS256,
                "jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y"
            ),
            "77QmUPtjPfzWtF2AnpK9RQ"
        );
        assert_eq!(half_hash(Algorithm::EdDSA, "x").len(), 43);
    }
}
