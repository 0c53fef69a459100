//! An upstream provider's ID token (OIDC Core §3.1.3.7): signed by a key of its JWKS with an
//! asymmetric algorithm, from its issuer, for us, unexpired, recent, with our nonce. Time comes
//! from the provider's clock, never the system's, so the rules are tested at fixed instants.

use super::STATE_TTL;
use super::error::UpstreamError;
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::Value;

/// Clock skew tolerated between the upstream and this server, in seconds.
pub const LEEWAY: i64 = 30;

/// What the token must say.
#[derive(Debug, Clone, Copy)]
pub struct Expected<'a> {
    pub issuer: &'a str,
    pub client_id: &'a str,
    pub nonce: &'a str,
    pub now: i64,
}

fn invalid(why: impl Into<String>) -> UpstreamError {
    UpstreamError::InvalidIdToken(why.into())
}

/// Validates `token` against the upstream's JWK Set and returns its claims.
pub fn validate(token: &str, jwks: &Value, expected: Expected<'_>) -> Result<Value, UpstreamError> {
    crate::jws::protected_header(token).map_err(|e| invalid(e.to_string()))?;
    let header = jsonwebtoken::decode_header(token).map_err(|_| invalid("malformed"))?;
    // §3.1.3.7 item 7, and no HMAC: a shared secret is not what an upstream signs with here.
    if !matches!(
        header.alg,
        Algorithm::RS256
            | Algorithm::RS384
            | Algorithm::RS512
            | Algorithm::PS256
            | Algorithm::ES256
            | Algorithm::ES384
            | Algorithm::EdDSA
    ) {
        return Err(invalid("unsupported or symmetric algorithm"));
    }
    let jwks: JwkSet =
        serde_json::from_value(jwks.clone()).map_err(|_| invalid("the JWKS is not a JWK Set"))?;
    let jwk = match &header.kid {
        Some(kid) => jwks.find(kid),
        None if jwks.keys.len() == 1 => jwks.keys.first(),
        None => None,
    }
    .ok_or_else(|| invalid("signed by a key the upstream does not publish"))?;
    let key = DecodingKey::from_jwk(jwk).map_err(|_| invalid("unusable key"))?;
    let mut validation = Validation::new(header.alg);
    // §3.1.3.7 items 2-3: the issuer, and our client_id among the audiences.
    validation.set_issuer(&[expected.issuer]);
    validation.set_audience(&[expected.client_id]);
    validation.set_required_spec_claims(&["exp", "iss", "aud", "sub", "iat"]);
    // Time is checked below against the provider's clock, not the library's.
    validation.validate_exp = false;
    validation.validate_nbf = false;
    let claims = jsonwebtoken::decode::<Value>(token, &key, &validation)
        .map_err(|e| invalid(format!("{:?}", e.kind())))?
        .claims;
    check_time(&claims, expected.now)?;
    // §3.1.3.7 item 11: the nonce of this round trip.
    if claims.get("nonce").and_then(Value::as_str) != Some(expected.nonce) {
        return Err(invalid("the nonce does not match"));
    }
    // §3.1.3.7 items 4-5: with several audiences an azp is required, and an azp must be us.
    let several = claims
        .get("aud")
        .and_then(Value::as_array)
        .is_some_and(|a| a.len() > 1);
    match claims.get("azp").and_then(Value::as_str) {
        Some(azp) if azp != expected.client_id => Err(invalid("azp names another client")),
        None if several => Err(invalid("several audiences and no azp")),
        _ => Ok(claims),
    }
}

/// §3.1.3.7 items 9-10: not expired, not yet valid only within the leeway, issued within the
/// round trip and not in the future.
fn check_time(claims: &Value, now: i64) -> Result<(), UpstreamError> {
    let time = |name: &str| claims.get(name).and_then(Value::as_i64);
    match time("exp") {
        Some(exp) if exp + LEEWAY > now => {}
        _ => return Err(invalid("expired")),
    }
    if time("nbf").is_some_and(|nbf| nbf - LEEWAY > now) {
        return Err(invalid("not yet valid"));
    }
    match time("iat") {
        Some(iat) if iat <= now + LEEWAY && iat >= now - STATE_TTL - LEEWAY => Ok(()),
        _ => Err(invalid("iat is missing, in the future or too old")),
    }
}
