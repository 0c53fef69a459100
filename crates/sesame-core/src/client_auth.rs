//! Client authentication at the token, introspection and revocation endpoints.
//!
//! RFC 6749 §2.3.1 (`client_secret_basic`, `client_secret_post`), RFC 7523 §2.2 and §3 with
//! OIDC Core §9 (`private_key_jwt`), and public clients identified by `client_id` alone.

use crate::client::{AuthMethod, Client};
use crate::client_keys::Want;
use crate::error::TokenError;
use crate::params::Params;
use crate::provider::Provider;
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use jsonwebtoken::jwk::{Jwk, JwkSet, PublicKeyUse};
use jsonwebtoken::{Algorithm as JwsAlg, DecodingKey, Validation};
use std::sync::Arc;

/// RFC 7523 §2.2: the only assertion type Sesame accepts.
pub const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

/// Algorithms accepted on client assertions: asymmetric only, never `none` or HMAC.
pub const ASSERTION_ALGORITHMS: [&str; 4] = ["RS256", "PS256", "ES256", "EdDSA"];

/// Clock skew tolerated between the client and this server, in seconds.
const ASSERTION_LEEWAY: i64 = 30;

/// Who sends a request to an endpoint that authenticates clients: the raw `Authorization`
/// header and the client's network address.
#[derive(Debug, Clone, Copy)]
pub struct Caller<'a> {
    pub authorization: Option<&'a str>,
    pub address: std::net::IpAddr,
}

/// What the client presented, taken out of the request before the grant reads it.
#[derive(Debug)]
pub enum Credentials {
    Basic {
        client_id: String,
        secret: String,
    },
    Post {
        client_id: String,
        secret: String,
    },
    Assertion {
        assertion: String,
        client_id: Option<String>,
    },
    /// A public client: `client_id` and nothing else.
    ClientId {
        client_id: String,
    },
    None,
}

/// The generic answer to every failed authentication: which part was wrong goes to the log only.
fn failed(cause: impl Into<String>) -> TokenError {
    TokenError::invalid_client("client authentication failed").with_cause(cause)
}

impl Credentials {
    /// Reads the credentials from the `Authorization` header and the form, refusing a request that
    /// uses more than one method (RFC 6749 §2.3).
    pub fn extract(authorization: Option<&str>, params: &mut Params) -> Result<Self, TokenError> {
        let client_id = params.take("client_id");
        let secret = params.take("client_secret");
        let assertion = params.take("client_assertion");
        let assertion_type = params.take("client_assertion_type");
        let basic = authorization.and_then(basic_credentials).transpose()?;

        let methods = [basic.is_some(), secret.is_some(), assertion.is_some()];
        if methods.iter().filter(|m| **m).count() > 1 {
            return Err(TokenError::invalid_request(
                "the client used more than one authentication method",
            ));
        }
        if let Some((id, secret)) = basic {
            // With Basic, a client_id in the body must name the same client.
            if client_id.as_deref().is_some_and(|c| c != id) {
                return Err(TokenError::invalid_request(
                    "client_id does not match the Authorization header",
                ));
            }
            return Ok(Self::Basic {
                client_id: id,
                secret,
            });
        }
        match (assertion, assertion_type) {
            (Some(assertion), Some(t)) if t == JWT_BEARER => {
                return Ok(Self::Assertion {
                    assertion,
                    client_id,
                });
            }
            (Some(_), Some(_)) => {
                return Err(failed("unsupported client_assertion_type"));
            }
            (Some(_), None) => {
                return Err(TokenError::invalid_request(
                    "client_assertion_type is missing",
                ));
            }
            (None, Some(_)) => {
                return Err(TokenError::invalid_request("client_assertion is missing"));
            }
            (None, None) => {}
        }
        Ok(match (client_id, secret) {
            (Some(client_id), Some(secret)) => Self::Post { client_id, secret },
            (None, Some(_)) => {
                return Err(TokenError::invalid_request(
                    "client_secret was sent without client_id",
                ));
            }
            (Some(client_id), None) => Self::ClientId { client_id },
            (None, None) => Self::None,
        })
    }

    fn method(&self) -> Option<AuthMethod> {
        Some(match self {
            Self::Basic { .. } => AuthMethod::ClientSecretBasic,
            Self::Post { .. } => AuthMethod::ClientSecretPost,
            Self::Assertion { .. } => AuthMethod::PrivateKeyJwt,
            Self::ClientId { .. } => AuthMethod::None,
            Self::None => return None,
        })
    }
}

/// The client_id a request names, from `Authorization: Basic` or its `client_id` parameter,
/// before anything is checked: for the access log, never for a decision.
pub fn named_client_id(authorization: Option<&str>, params: &Params) -> Option<String> {
    authorization
        .and_then(basic_credentials)
        .and_then(Result::ok)
        .map(|(id, _)| id)
        .or_else(|| params.get("client_id").map(str::to_owned))
}

/// `Authorization: Basic base64(urlencode(id) ":" urlencode(secret))` (RFC 6749 §2.3.1).
/// Other schemes are not client authentication and are ignored.
fn basic_credentials(header: &str) -> Option<Result<(String, String), TokenError>> {
    let (scheme, value) = header.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let parse = || -> Option<(String, String)> {
        let decoded = STANDARD.decode(value.trim()).ok()?;
        let decoded = String::from_utf8(decoded).ok()?;
        let (id, secret) = decoded.split_once(':')?;
        Some((form_decode(id)?, form_decode(secret)?))
    };
    Some(match parse() {
        Some((id, secret)) if !id.is_empty() => Ok((id, secret)),
        _ => Err(failed("malformed Basic credentials")),
    })
}

fn form_decode(s: &str) -> Option<String> {
    let plus_as_space = s.replace('+', " ");
    percent_encoding::percent_decode_str(&plus_as_space)
        .decode_utf8()
        .ok()
        .map(|c| c.into_owned())
}

/// Takes the credentials out of a request to the endpoint at `path` (one of
/// [`crate::endpoints`]) and authenticates them. A client assertion may name the issuer, the token endpoint or
/// this endpoint as its audience (RFC 7523 §3 item 3).
///
/// A client address with too many failures on this node is refused before anything is checked
/// (`crate::throttle::NodeLimit`).
pub async fn authenticate_request(
    provider: &Provider,
    caller: Caller<'_>,
    params: &mut Params,
    path: &str,
) -> Result<Arc<Client>, TokenError> {
    let failures = provider.client_auth_failures();
    let now = provider.now();
    if let Some(until) = failures.locked_until(caller.address, now) {
        return Err(too_many(until, now));
    }
    let credentials = Credentials::extract(caller.authorization, params)?;
    let settings = provider.settings();
    let endpoint = settings.endpoint(path);
    let token_endpoint = settings.endpoint(crate::endpoints::TOKEN);
    let audiences = [settings.issuer.as_str(), &endpoint, &token_endpoint];
    let result = authenticate(provider, credentials, &audiences).await;
    if result
        .as_ref()
        .is_err_and(|e| e.code == crate::ErrorCode::InvalidClient)
        && let Some(until) = failures.failed(caller.address, now)
    {
        provider.record(crate::events::Event::Locked {
            guess: crate::events::Guess::ClientAuthentication,
            key: crate::throttle::network(caller.address),
            until,
        });
        return Err(too_many(until, now));
    }
    result
}

/// How a client authenticates with `method`, in the words a developer searches for.
fn how(method: AuthMethod) -> &'static str {
    match method {
        AuthMethod::ClientSecretBasic => "the secret in an Authorization: Basic header",
        AuthMethod::ClientSecretPost => "client_id and client_secret in the form body",
        AuthMethod::PrivateKeyJwt => "a client_assertion signed with its key",
        AuthMethod::None => "its client_id alone, as a public client",
    }
}

fn too_many(until: i64, now: i64) -> TokenError {
    TokenError::invalid_client(format!(
        "too many failed client authentications from this address; try again {}",
        crate::login::retry_in(until, now)
    ))
}

/// Authenticates the client. `audiences` are the values a client assertion's `aud` may carry:
/// the issuer and the URL of the endpoint being called. Public clients come back authenticated
/// only by their id; each endpoint decides whether it serves them.
pub async fn authenticate(
    provider: &Provider,
    credentials: Credentials,
    audiences: &[&str],
) -> Result<Arc<Client>, TokenError> {
    let Some(presented) = credentials.method() else {
        return Err(failed("no client authentication was included"));
    };
    let client_id = match &credentials {
        Credentials::Basic { client_id, .. }
        | Credentials::Post { client_id, .. }
        | Credentials::ClientId { client_id } => client_id.clone(),
        Credentials::Assertion {
            assertion,
            client_id,
        } => assertion_subject(assertion, client_id.as_deref())?,
        Credentials::None => return Err(failed("no client authentication was included")),
    };
    let client = provider
        .client(&client_id)
        .await?
        .ok_or_else(|| failed(format!("unknown client {client_id:?}")))?;
    let registered = client.metadata.token_endpoint_auth_method;
    if registered != presented {
        // One method per client (RFC 6749 §2.3), but said on the wire: an application sending
        // its secret in the body to a client_secret_basic client cannot guess why otherwise.
        return Err(TokenError::invalid_client(format!(
            "client authentication failed: this client is registered for {} ({}), not {}",
            registered.as_str(),
            how(registered),
            presented.as_str()
        ))
        .with_cause(format!("client {client_id:?} used {}", presented.as_str())));
    }
    match credentials {
        Credentials::Basic { secret, .. } | Credentials::Post { secret, .. } => {
            let ok = client
                .secret_hash
                .as_ref()
                .is_some_and(|hash| hash.verify(&secret));
            if !ok {
                return Err(failed(format!("wrong secret for client {client_id:?}")));
            }
        }
        Credentials::Assertion { assertion, .. } => {
            verify_assertion(provider, &client, &assertion, audiences).await?;
        }
        Credentials::ClientId { .. } | Credentials::None => {}
    }
    Ok(client)
}

/// The client an assertion speaks for: its `sub` (RFC 7523 §3 item 2), read before verifying
/// the signature only to find the keys to verify it with.
fn assertion_subject(assertion: &str, client_id: Option<&str>) -> Result<String, TokenError> {
    #[derive(serde::Deserialize)]
    struct Subject {
        sub: String,
    }
    let subject = assertion
        .split('.')
        .nth(1)
        .and_then(|p| URL_SAFE_NO_PAD.decode(p).ok())
        .and_then(|p| serde_json::from_slice::<Subject>(&p).ok())
        .ok_or_else(|| failed("client_assertion is not a JWT with a sub claim"))?;
    if client_id.is_some_and(|id| id != subject.sub) {
        return Err(failed("client_id does not match the assertion's sub"));
    }
    Ok(subject.sub)
}

/// RFC 7523 §3: signature by one of the client's keys, iss = sub = client_id, aud naming this
/// server, exp in the future, and a jti never seen before.
async fn verify_assertion(
    provider: &Provider,
    client: &Client,
    assertion: &str,
    audiences: &[&str],
) -> Result<(), TokenError> {
    #[derive(serde::Deserialize)]
    struct Claims {
        exp: i64,
        nbf: Option<i64>,
        jti: Option<String>,
    }
    crate::jws::protected_header(assertion)
        .map_err(|e| failed(format!("client_assertion header: {e}")))?;
    let header = jsonwebtoken::decode_header(assertion)
        .map_err(|e| failed(format!("client_assertion header: {e}")))?;
    let alg_name = serde_json::to_value(header.alg)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default();
    if !ASSERTION_ALGORITHMS.contains(&alg_name.as_str()) {
        return Err(failed(format!(
            "client_assertion alg {alg_name} is not accepted"
        )));
    }
    let kid = header.kid.as_deref();
    // Keys that cannot be read cannot authenticate: invalid_client, the cause in the log.
    let unreadable = |e: TokenError| failed(e.cause.unwrap_or(e.description.into_owned()));
    let keys = provider
        .client_jwks(client, Want::Usual)
        .await
        .map_err(unreadable)?;
    let jwk = match find_client_key(keys.as_deref(), kid, header.alg) {
        // A client that rotated its keys at its jwks_uri: read it again for the new kid.
        Err(_) if client.metadata.jwks_uri.is_some() => {
            let keys = provider
                .client_jwks(client, Want::Newer)
                .await
                .map_err(unreadable)?;
            find_client_key(keys.as_deref(), kid, header.alg)?
        }
        found => found?,
    };
    let key = DecodingKey::from_jwk(&jwk).map_err(|e| failed(format!("client JWK: {e}")))?;

    let mut validation = Validation::new(header.alg);
    validation.set_required_spec_claims(&["exp", "iss", "sub", "aud"]);
    validation.set_issuer(&[&client.client_id]);
    validation.sub = Some(client.client_id.clone());
    validation.set_audience(audiences);
    // Time is checked below against the provider's clock, not the library's.
    validation.validate_exp = false;
    let claims = jsonwebtoken::decode::<Claims>(assertion, &key, &validation)
        .map_err(|e| failed(format!("client_assertion rejected: {e}")))?
        .claims;

    let now = provider.now();
    if claims.exp + ASSERTION_LEEWAY <= now {
        return Err(failed("client_assertion has expired"));
    }
    if claims.nbf.is_some_and(|nbf| nbf - ASSERTION_LEEWAY > now) {
        return Err(failed("client_assertion is not yet valid"));
    }
    if claims.exp - now > provider.settings().max_assertion_lifetime {
        return Err(failed("client_assertion expires too far in the future"));
    }
    let jti = claims
        .jti
        .filter(|j| !j.is_empty())
        .ok_or_else(|| failed("client_assertion has no jti"))?;
    // RFC 7523 §3 item 7: a jti is accepted once; the store call is atomic across nodes. The
    // record outlives the last moment the assertion is accepted (its exp plus the leeway), or a
    // sweep in between would let it be replayed.
    if !provider
        .store()
        .record_assertion_jti(&client.client_id, &jti, claims.exp + ASSERTION_LEEWAY)
        .await?
    {
        return Err(failed("client_assertion jti was already used"));
    }
    Ok(())
}

/// The client's key with this `kid`; without a kid, the only key that fits the algorithm.
fn find_client_key(
    jwks: Option<&serde_json::Value>,
    kid: Option<&str>,
    alg: JwsAlg,
) -> Result<Jwk, TokenError> {
    let set: JwkSet = jwks
        .and_then(|v| serde_json::from_value(v.clone()).ok())
        .ok_or_else(|| failed("the client has no usable jwks"))?;
    // A key fits when it is for signatures and its declared alg (if any) is the assertion's.
    let fits = |k: &&Jwk| {
        let for_signing = k.common.public_key_use != Some(PublicKeyUse::Encryption);
        let alg_matches = match k.common.key_algorithm {
            None => true,
            Some(declared) => JwsAlg::try_from(declared).is_ok_and(|a| a == alg),
        };
        for_signing && alg_matches
    };
    let mut candidates: Vec<&Jwk> = match kid {
        Some(kid) => set
            .keys
            .iter()
            .filter(|k| k.common.key_id.as_deref() == Some(kid))
            .collect(),
        None => set.keys.iter().collect(),
    };
    candidates.retain(fits);
    match candidates.as_slice() {
        [key] => Ok((*key).clone()),
        [] => Err(failed("no client key matches the assertion's kid and alg")),
        _ => Err(failed(
            "several client keys match; the assertion must name a kid",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(body: &str) -> Params {
        Params::parse(body.as_bytes()).unwrap()
    }

    fn basic(id: &str, secret: &str) -> String {
        format!("Basic {}", STANDARD.encode(format!("{id}:{secret}")))
    }

    #[test]
    fn basic_credentials_are_form_decoded() {
        let mut p = params("grant_type=x");
        let c = Credentials::extract(Some(&basic("my%3Aclient", "a+b%25")), &mut p).unwrap();
        match c {
            Credentials::Basic { client_id, secret } => {
                assert_eq!(client_id, "my:client");
                assert_eq!(secret, "a b%");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn two_methods_at_once_is_invalid_request() {
        let mut p = params("client_id=c&client_secret=s");
        let e = Credentials::extract(Some(&basic("c", "s")), &mut p).unwrap_err();
        assert_eq!(e.code, crate::ErrorCode::InvalidRequest);
    }

    #[test]
    fn malformed_basic_is_invalid_client() {
        let mut p = params("");
        let e = Credentials::extract(Some("Basic !!!"), &mut p).unwrap_err();
        assert_eq!(e.code, crate::ErrorCode::InvalidClient);
    }

    #[test]
    fn other_schemes_are_ignored_and_credentials_leave_the_params() {
        let mut p = params("client_id=c&client_secret=s&scope=a");
        let c = Credentials::extract(Some("Bearer abc"), &mut p).unwrap();
        assert!(matches!(c, Credentials::Post { .. }));
        assert_eq!(p.get("client_secret"), None);
        assert_eq!(p.get("scope"), Some("a"));
    }

    #[test]
    fn assertion_without_type_is_invalid_request() {
        let mut p = params("client_assertion=a.b.c");
        let e = Credentials::extract(None, &mut p).unwrap_err();
        assert_eq!(e.code, crate::ErrorCode::InvalidRequest);
    }
}
