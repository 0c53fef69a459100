//! Talking to an upstream identity provider: the network behind the [`Upstream`] trait (the
//! server implements it with an HTTP client; tests with a fake), and the rules applied to what
//! comes back: discovery (OIDC Discovery §4.3), the code exchange (RFC 6749 §4.1.3 with PKCE)
//! and who the user is (an ID token, UserInfo, or an OAuth 2.0 API through a claim mapping).

pub use super::error::UpstreamError;
use super::{Connection, ConnectionKind, id_token};
use async_trait::async_trait;
use serde_json::Value;

/// The network, as federation needs it. Implementations time out, follow no redirects, and
/// answer [`UpstreamError::Unreachable`] when the provider cannot be reached.
#[async_trait]
pub trait Upstream: Send + Sync {
    /// GETs `url` (with a bearer token when given); a non-2xx answer or a body that is not JSON
    /// is a [`UpstreamError::Protocol`] error.
    async fn get_json(&self, url: &str, bearer: Option<&str>) -> Result<Value, UpstreamError>;
    /// POSTs a form with HTTP Basic credentials; the status and the JSON answer (a body that is
    /// not JSON is an error).
    async fn post_form(
        &self,
        url: &str,
        basic: (&str, &str),
        form: &[(&str, &str)],
    ) -> Result<(u16, Value), UpstreamError>;
}

/// Where a connection's provider is, from discovery or the configuration.
#[derive(Debug, Clone, PartialEq)]
pub struct Endpoints {
    pub authorization: String,
    pub token: String,
    pub userinfo: Option<String>,
    pub jwks_uri: Option<String>,
    pub issuer: Option<String>,
    /// RFC 9207 §3: the upstream puts `iss` in every authorization response.
    pub sends_iss: bool,
}

fn protocol(why: impl Into<String>) -> UpstreamError {
    UpstreamError::Protocol(why.into())
}

/// The connection's endpoints: configured for OAuth 2.0, discovered for OpenID Connect.
pub async fn endpoints(
    upstream: &dyn Upstream,
    c: &Connection,
) -> Result<Endpoints, UpstreamError> {
    let configured = |v: &Option<String>| v.clone().unwrap_or_default();
    let issuer = match c.kind {
        ConnectionKind::Oauth2 => {
            return Ok(Endpoints {
                authorization: configured(&c.authorization_endpoint),
                token: configured(&c.token_endpoint),
                userinfo: c.userinfo_endpoint.clone(),
                jwks_uri: None,
                issuer: None,
                sends_iss: false,
            });
        }
        ConnectionKind::Oidc => configured(&c.issuer),
    };
    let url = format!(
        "{}/.well-known/openid-configuration",
        issuer.trim_end_matches('/')
    );
    let m = upstream.get_json(&url, None).await?;
    let field = |name: &str| m.get(name).and_then(Value::as_str).map(str::to_owned);
    // OIDC Discovery §4.3: the document must name the issuer it was fetched for.
    if field("issuer").as_deref() != Some(issuer.as_str()) {
        return Err(protocol("the discovery document names another issuer"));
    }
    Ok(Endpoints {
        authorization: field("authorization_endpoint")
            .ok_or_else(|| protocol("no authorization_endpoint"))?,
        token: field("token_endpoint").ok_or_else(|| protocol("no token_endpoint"))?,
        userinfo: field("userinfo_endpoint"),
        jwks_uri: field("jwks_uri"),
        issuer: Some(issuer),
        sends_iss: m
            .get("authorization_response_iss_parameter_supported")
            .and_then(Value::as_bool)
            .unwrap_or(false),
    })
}

/// RFC 9207 §2.4: an authorization response from another issuer is a mix-up attack, and an
/// upstream that announces `iss` must send it.
pub fn check_issuer(endpoints: &Endpoints, iss: Option<&str>) -> Result<(), UpstreamError> {
    let mixed_up = match (iss, &endpoints.issuer) {
        (Some(iss), Some(expected)) => iss != expected,
        (None, Some(_)) => endpoints.sends_iss,
        _ => false,
    };
    if mixed_up {
        return Err(protocol(
            "the response's iss is missing or names another issuer",
        ));
    }
    Ok(())
}

/// RFC 6749 §2.3.1: client credentials are form-encoded before they go into Basic.
fn form_encoded(value: &str) -> String {
    form_urlencoded::byte_serialize(value.as_bytes()).collect()
}

/// The code exchange (RFC 6749 §4.1.3, RFC 7636 §4.5), authenticating with client_secret_basic.
pub async fn exchange(
    upstream: &dyn Upstream,
    endpoints: &Endpoints,
    c: &Connection,
    secret: &str,
    (code, redirect_uri, verifier): (&str, &str, &str),
) -> Result<Value, UpstreamError> {
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", redirect_uri),
        ("code_verifier", verifier),
    ];
    let basic = (form_encoded(&c.client_id), form_encoded(secret));
    let (status, json) = upstream
        .post_form(&endpoints.token, (&basic.0, &basic.1), &form)
        .await?;
    if !(200..300).contains(&status) {
        let error = json
            .get("error")
            .and_then(Value::as_str)
            .unwrap_or("unknown error");
        let shown: String = error.chars().take(64).collect();
        return Err(protocol(format!("the code exchange failed: {shown}")));
    }
    Ok(json)
}

/// Who the user is, from the token response.
pub async fn identity(
    upstream: &dyn Upstream,
    endpoints: &Endpoints,
    c: &Connection,
    tokens: &Value,
    expected: id_token::Expected<'_>,
) -> Result<super::UpstreamIdentity, UpstreamError> {
    let access = tokens.get("access_token").and_then(Value::as_str);
    let claims = match c.kind {
        ConnectionKind::Oidc => {
            let token = tokens
                .get("id_token")
                .and_then(Value::as_str)
                .ok_or_else(|| {
                    UpstreamError::InvalidIdToken("the token response has no id_token".into())
                })?;
            let jwks_uri = endpoints
                .jwks_uri
                .as_deref()
                .ok_or_else(|| UpstreamError::InvalidIdToken("no jwks_uri".into()))?;
            let jwks = upstream.get_json(jwks_uri, None).await?;
            let mut claims = id_token::validate(token, &jwks, expected)?;
            // A code-flow ID token usually carries no profile claims: UserInfo has them
            // (OIDC Core §5.4), and must be about the same subject (§5.3.2).
            if let (Some(url), Some(access)) = (&endpoints.userinfo, access) {
                let info = upstream.get_json(url, Some(access)).await?;
                if info.get("sub") != claims.get("sub") {
                    return Err(protocol("UserInfo describes another subject"));
                }
                if let (Value::Object(into), Value::Object(from)) = (&mut claims, info) {
                    into.extend(from);
                }
            }
            claims
        }
        ConnectionKind::Oauth2 => {
            let access =
                access.ok_or_else(|| protocol("the token response has no access_token"))?;
            let url = endpoints.userinfo.clone().unwrap_or_default();
            upstream.get_json(&url, Some(access)).await?
        }
    };
    super::UpstreamIdentity::from_claims(c, &claims)
}
