//! Talking to an upstream identity provider: its endpoints (OpenID Connect Discovery or
//! configured), the code exchange, and who the user is: an ID token validated through the
//! upstream's JWKS (signature, iss, aud, exp, nonce), or the userinfo API through the claim
//! mapping of an OAuth 2.0 connection.

use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::Value;
use sesame_core::federation::{Connection, ConnectionKind, UpstreamIdentity};
use std::time::Duration;

/// How long any one call to an upstream may take.
pub const UPSTREAM_TIMEOUT: Duration = Duration::from_secs(10);

/// Why the round trip failed, for the page (never a secret, never a raw upstream body).
#[derive(Debug, thiserror::Error)]
pub enum UpstreamError {
    #[error("could not reach the identity provider ({0})")]
    Unreachable(String),
    #[error("the identity provider answered unexpectedly ({0})")]
    Protocol(String),
    #[error("the identity provider's ID token is not valid ({0})")]
    InvalidIdToken(String),
}

pub struct Endpoints {
    pub authorization: String,
    pub token: String,
    pub userinfo: Option<String>,
    pub jwks_uri: Option<String>,
    pub issuer: Option<String>,
    /// RFC 9207 §3: the upstream puts `iss` in every authorization response.
    pub sends_iss: bool,
}

/// The client for upstream calls; fails only if TLS cannot be set up, which stops the start.
pub fn client() -> Result<reqwest::Client, reqwest::Error> {
    reqwest::Client::builder()
        .timeout(UPSTREAM_TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        .build()
}

/// OIDC Core §2: `sub` is at most 255 ASCII characters; an empty one would merge users.
fn valid_subject(subject: String) -> Result<String, UpstreamError> {
    if subject.is_empty() || subject.len() > 255 {
        return Err(UpstreamError::Protocol(
            "the subject identifier is empty or too long".into(),
        ));
    }
    Ok(subject)
}

fn unreachable(e: reqwest::Error) -> UpstreamError {
    UpstreamError::Unreachable(if e.is_timeout() {
        "timed out".into()
    } else {
        "connection failed".into()
    })
}

async fn get_json(
    http: &reqwest::Client,
    url: &str,
    bearer: Option<&str>,
) -> Result<Value, UpstreamError> {
    let mut request = http.get(url).header("accept", "application/json");
    if let Some(token) = bearer {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.map_err(unreachable)?;
    if !response.status().is_success() {
        return Err(UpstreamError::Protocol(format!(
            "{url} answered {}",
            response.status()
        )));
    }
    response
        .json()
        .await
        .map_err(|_| UpstreamError::Protocol(format!("{url} did not answer JSON")))
}

pub async fn endpoints(http: &reqwest::Client, c: &Connection) -> Result<Endpoints, UpstreamError> {
    match c.kind {
        ConnectionKind::Oauth2 => Ok(Endpoints {
            authorization: c.authorization_endpoint.clone().unwrap_or_default(),
            token: c.token_endpoint.clone().unwrap_or_default(),
            userinfo: c.userinfo_endpoint.clone(),
            jwks_uri: None,
            issuer: None,
            sends_iss: false,
        }),
        ConnectionKind::Oidc => {
            let issuer = c.issuer.clone().unwrap_or_default();
            let url = format!(
                "{}/.well-known/openid-configuration",
                issuer.trim_end_matches('/')
            );
            let m = get_json(http, &url, None).await?;
            let field = |name: &str| m.get(name).and_then(Value::as_str).map(str::to_owned);
            // OIDC Discovery §4.3: the document must name the issuer it was fetched for.
            if field("issuer").as_deref() != Some(issuer.as_str()) {
                return Err(UpstreamError::Protocol(
                    "the discovery document names another issuer".into(),
                ));
            }
            Ok(Endpoints {
                authorization: field("authorization_endpoint")
                    .ok_or_else(|| UpstreamError::Protocol("no authorization_endpoint".into()))?,
                token: field("token_endpoint")
                    .ok_or_else(|| UpstreamError::Protocol("no token_endpoint".into()))?,
                userinfo: field("userinfo_endpoint"),
                jwks_uri: field("jwks_uri"),
                issuer: Some(issuer),
                sends_iss: m
                    .get("authorization_response_iss_parameter_supported")
                    .and_then(Value::as_bool)
                    .unwrap_or(false),
            })
        }
    }
}

/// The code exchange (RFC 6749 §4.1.3 with PKCE), authenticating with client_secret_basic.
pub async fn exchange(
    http: &reqwest::Client,
    endpoints: &Endpoints,
    c: &Connection,
    secret: &str,
    code: &str,
    redirect_uri: &str,
    verifier: &str,
) -> Result<Value, UpstreamError> {
    let encode = |s: &str| form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    let body = form_urlencoded::Serializer::new(String::new())
        .append_pair("grant_type", "authorization_code")
        .append_pair("code", code)
        .append_pair("redirect_uri", redirect_uri)
        .append_pair("code_verifier", verifier)
        .finish();
    let response = http
        .post(&endpoints.token)
        // RFC 6749 §2.3.1: the credentials are form-encoded before Basic.
        .basic_auth(encode(&c.client_id), Some(encode(secret)))
        .header("content-type", "application/x-www-form-urlencoded")
        .header("accept", "application/json")
        .body(body)
        .send()
        .await
        .map_err(unreachable)?;
    let status = response.status();
    let json: Value = response
        .json()
        .await
        .map_err(|_| UpstreamError::Protocol("the token endpoint did not answer JSON".into()))?;
    if !status.is_success() {
        let error = json
            .get("error")
            .and_then(Value::as_str)
            .unwrap_or("unknown error");
        return Err(UpstreamError::Protocol(format!(
            "the code exchange failed: {error}"
        )));
    }
    Ok(json)
}

/// Who the user is, from the token response.
pub async fn identity(
    http: &reqwest::Client,
    endpoints: &Endpoints,
    c: &Connection,
    tokens: &Value,
    nonce: &str,
) -> Result<UpstreamIdentity, UpstreamError> {
    match c.kind {
        ConnectionKind::Oidc => {
            let id_token = tokens
                .get("id_token")
                .and_then(Value::as_str)
                .ok_or_else(|| {
                    UpstreamError::InvalidIdToken("the token response has no id_token".into())
                })?;
            let mut claims = validate_id_token(http, endpoints, c, id_token, nonce).await?;
            let subject = claims
                .get("sub")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned();
            // A code-flow ID token usually carries no profile claims: UserInfo has them
            // (OIDC Core §5.4), and must be about the same subject (§5.3.2).
            if let (Some(url), Some(access)) = (
                &endpoints.userinfo,
                tokens.get("access_token").and_then(Value::as_str),
            ) {
                let info = get_json(http, url, Some(access)).await?;
                if info.get("sub").and_then(Value::as_str) != Some(subject.as_str()) {
                    return Err(UpstreamError::Protocol(
                        "UserInfo describes another subject".into(),
                    ));
                }
                if let (Value::Object(into), Value::Object(from)) = (&mut claims, info) {
                    into.extend(from);
                }
            }
            Ok(UpstreamIdentity {
                subject: valid_subject(subject)?,
                email: claims
                    .get("email")
                    .and_then(Value::as_str)
                    .map(str::to_owned),
                email_verified: claims
                    .get("email_verified")
                    .and_then(Value::as_bool)
                    .unwrap_or(false),
                name: claims
                    .get("name")
                    .and_then(Value::as_str)
                    .map(str::to_owned),
            })
        }
        ConnectionKind::Oauth2 => {
            let access = tokens
                .get("access_token")
                .and_then(Value::as_str)
                .ok_or_else(|| {
                    UpstreamError::Protocol("the token response has no access_token".into())
                })?;
            let url = endpoints.userinfo.clone().unwrap_or_default();
            let info = get_json(http, &url, Some(access)).await?;
            // Subjects are often numbers (GitHub's `id`): compare them as text.
            let subject = match info.get(&c.subject_claim) {
                Some(Value::String(s)) if !s.is_empty() => s.clone(),
                Some(Value::Number(n)) => n.to_string(),
                _ => {
                    return Err(UpstreamError::Protocol(format!(
                        "the userinfo answer has no {}",
                        c.subject_claim
                    )));
                }
            };
            let email = info
                .get(&c.email_claim)
                .and_then(Value::as_str)
                .map(str::to_owned);
            Ok(UpstreamIdentity {
                subject: valid_subject(subject)?,
                // An OAuth 2.0 API says nothing standard about verification: only an explicit
                // `email_verified: true` counts.
                email_verified: info
                    .get("email_verified")
                    .and_then(Value::as_bool)
                    .unwrap_or(false),
                email,
                name: info
                    .get(&c.name_claim)
                    .and_then(Value::as_str)
                    .map(str::to_owned),
            })
        }
    }
}

/// OIDC Core §3.1.3.7: signature by a key of the upstream's JWKS (asymmetric algorithms only),
/// `iss` the issuer, `aud` our client_id, not expired, and our nonce.
async fn validate_id_token(
    http: &reqwest::Client,
    endpoints: &Endpoints,
    c: &Connection,
    token: &str,
    nonce: &str,
) -> Result<Value, UpstreamError> {
    let invalid = |why: &str| UpstreamError::InvalidIdToken(why.to_owned());
    let header = jsonwebtoken::decode_header(token).map_err(|_| invalid("malformed"))?;
    if !matches!(
        header.alg,
        Algorithm::RS256
            | Algorithm::PS256
            | Algorithm::ES256
            | Algorithm::EdDSA
            | Algorithm::RS384
            | Algorithm::RS512
            | Algorithm::ES384
    ) {
        return Err(invalid("unsupported or symmetric algorithm"));
    }
    let jwks_uri = endpoints
        .jwks_uri
        .as_deref()
        .ok_or_else(|| invalid("no jwks_uri"))?;
    let jwks: JwkSet = serde_json::from_value(get_json(http, jwks_uri, None).await?)
        .map_err(|_| invalid("the JWKS is not a JWK Set"))?;
    let jwk = match &header.kid {
        Some(kid) => jwks.find(kid),
        None if jwks.keys.len() == 1 => jwks.keys.first(),
        None => None,
    }
    .ok_or_else(|| invalid("signed by a key the upstream does not publish"))?;
    let key = DecodingKey::from_jwk(jwk).map_err(|_| invalid("unusable key"))?;
    let mut validation = Validation::new(header.alg);
    validation.set_issuer(&[endpoints.issuer.as_deref().unwrap_or_default()]);
    validation.set_audience(&[&c.client_id]);
    validation.set_required_spec_claims(&["exp", "iss", "aud", "sub", "iat"]);
    validation.validate_nbf = true;
    validation.leeway = 30;
    let claims = jsonwebtoken::decode::<Value>(token, &key, &validation)
        .map_err(|e| invalid(&format!("{:?}", e.kind())))?
        .claims;
    if claims.get("nonce").and_then(Value::as_str) != Some(nonce) {
        return Err(invalid("the nonce does not match"));
    }
    // §3.1.3.7 item 10: issued recently (within a round trip), not in the future.
    let now = jsonwebtoken::get_current_timestamp() as i64;
    match claims.get("iat").and_then(Value::as_i64) {
        Some(iat) if iat <= now + 30 && iat >= now - sesame_core::federation::STATE_TTL - 30 => {}
        _ => return Err(invalid("iat is missing, in the future or too old")),
    }
    // §3.1.3.7 items 4-5: with several audiences an azp is required, and an azp must be us.
    let several = claims
        .get("aud")
        .and_then(Value::as_array)
        .is_some_and(|a| a.len() > 1);
    match claims.get("azp").and_then(Value::as_str) {
        Some(azp) if azp != c.client_id => return Err(invalid("azp names another client")),
        None if several => return Err(invalid("several audiences and no azp")),
        _ => {}
    }
    Ok(claims)
}
