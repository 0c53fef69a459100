//! Reading and checking a signed OAuth 1.0a request (RFC 5849 §3.2): protocol parameters from
//! the Authorization header, the form body or the query (§3.5), the signature over the base
//! string (§3.4), the timestamp window and the single-use nonce (§3.3).

use super::error::{Oauth1Error, Problem};
use super::signature::{self, Method};
use super::{Oauth1Token, TIMESTAMP_WINDOW, TokenKind, TokenStatus, open};
use crate::client::Client;
use crate::provider::Provider;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use std::sync::Arc;

/// What the HTTP layer hands over, untouched.
#[derive(Debug, Clone, Copy)]
pub struct SignedRequest<'a> {
    pub method: &'a str,
    /// The path under the issuer, e.g. `/oauth1/request_token`.
    pub path: &'a str,
    pub query: &'a str,
    pub authorization: Option<&'a str>,
    /// The body when it is `application/x-www-form-urlencoded` (§3.4.1.3.1).
    pub form: Option<&'a [u8]>,
}

/// The protocol parameters of a request, and every parameter that is signed.
#[derive(Debug, Clone)]
pub struct Parsed {
    pub consumer_key: String,
    pub method: Method,
    pub signature: String,
    pub timestamp: Option<i64>,
    pub nonce: Option<String>,
    pub token: Option<String>,
    pub callback: Option<String>,
    pub verifier: Option<String>,
    /// Every parameter but `oauth_signature` and `realm`, for the base string (§3.4.1.3).
    pub signed: Vec<(String, String)>,
}

/// §3.5.1: `OAuth realm="…", oauth_consumer_key="…", …` with percent-encoded values.
fn header_params(value: &str) -> Result<Option<Vec<(String, String)>>, Oauth1Error> {
    // RFC 7235 §2.1: the scheme name is case-insensitive.
    let Some(rest) = value
        .get(..6)
        .filter(|scheme| scheme.eq_ignore_ascii_case("OAuth "))
        .map(|_| &value[6..])
    else {
        return Ok(None);
    };
    let mut out = Vec::new();
    for part in rest.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let (name, quoted) = part.split_once('=').ok_or_else(|| {
            Oauth1Error::new(Problem::ParameterRejected, "malformed Authorization header")
        })?;
        let inner = quoted
            .strip_prefix('"')
            .and_then(|v| v.strip_suffix('"'))
            .ok_or_else(|| {
                Oauth1Error::new(
                    Problem::ParameterRejected,
                    "Authorization header values must be quoted",
                )
            })?;
        let decode = |s: &str| {
            percent_encoding::percent_decode_str(s)
                .decode_utf8()
                .map(|c| c.into_owned())
                .map_err(|_| {
                    Oauth1Error::new(
                        Problem::ParameterRejected,
                        "Authorization header value is not UTF-8",
                    )
                })
        };
        out.push((decode(name.trim())?, decode(inner)?));
    }
    Ok(Some(out))
}

fn form_params(raw: &[u8]) -> Vec<(String, String)> {
    form_urlencoded::parse(raw).into_owned().collect()
}

/// Collects the parameters (§3.4.1.3.1) and the protocol parameters (§3.5), refusing
/// duplicated protocol parameters and parameters missing or unsupported.
pub fn parse(req: &SignedRequest<'_>) -> Result<Parsed, Oauth1Error> {
    let header = match req.authorization {
        Some(h) => header_params(h)?,
        None => None,
    };
    let mut all: Vec<(String, String)> = form_params(req.query.as_bytes());
    if let Some(form) = req.form {
        all.extend(form_params(form));
    }
    // Parameters from the header count for the signature; `realm` does not (§3.4.1.3.1).
    if let Some(h) = header {
        all.extend(h.into_iter().filter(|(k, _)| k != "realm"));
    }
    let mut protocol: Vec<(&str, &str)> = Vec::new();
    for (k, v) in &all {
        if k.starts_with("oauth_") {
            if protocol.iter().any(|(seen, _)| seen == k) {
                return Err(Oauth1Error::new(
                    Problem::ParameterRejected,
                    format!("{k} was sent more than once"),
                ));
            }
            protocol.push((k, v));
        }
    }
    let get = |name: &str| {
        protocol
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.to_string())
    };
    let require = |name: &'static str| get(name).ok_or_else(|| Oauth1Error::absent(name));
    if get("oauth_version").is_some_and(|v| v != "1.0") {
        return Err(Oauth1Error {
            detail: Some(("oauth_acceptable_versions", "1.0-1.0".into())),
            ..Oauth1Error::new(Problem::VersionRejected, "oauth_version must be 1.0")
        });
    }
    let method = require("oauth_signature_method")?;
    let method = Method::parse(&method).ok_or_else(|| {
        Oauth1Error::new(
            Problem::SignatureMethodRejected,
            "oauth_signature_method must be HMAC-SHA1, HMAC-SHA256, RSA-SHA1 or PLAINTEXT",
        )
    })?;
    // §3.3: PLAINTEXT may leave out the timestamp and nonce; every other method needs both.
    let (timestamp, nonce) = match (get("oauth_timestamp"), get("oauth_nonce"), method) {
        (None, None, Method::Plaintext) => (None, None),
        (Some(t), Some(n), _) => (Some(timestamp(&t)?), Some(n)),
        (None, _, _) => return Err(Oauth1Error::absent("oauth_timestamp")),
        (_, None, _) => return Err(Oauth1Error::absent("oauth_nonce")),
    };
    Ok(Parsed {
        consumer_key: require("oauth_consumer_key")?,
        method,
        signature: require("oauth_signature")?,
        timestamp,
        nonce,
        token: get("oauth_token"),
        callback: get("oauth_callback"),
        verifier: get("oauth_verifier"),
        signed: all
            .into_iter()
            .filter(|(k, _)| k != "oauth_signature")
            .collect(),
    })
}

/// §3.3: a positive integer number of seconds, digits only (no sign, no overflow).
fn timestamp(value: &str) -> Result<i64, Oauth1Error> {
    value
        .bytes()
        .all(|b| b.is_ascii_digit())
        .then(|| value.parse::<i64>().ok())
        .flatten()
        .filter(|t| *t > 0)
        .ok_or_else(|| {
            Oauth1Error::new(
                Problem::ParameterRejected,
                "oauth_timestamp must be a positive number of seconds",
            )
        })
}

/// Consumer keys and tokens are visible ASCII; anything else is refused before any lookup.
fn is_identifier(value: &str) -> bool {
    !value.is_empty() && value.len() <= 128 && value.bytes().all(|b| b.is_ascii_graphic())
}

/// §3.4.1.2: the base string URI of an endpoint under the issuer.
pub fn base_uri(issuer_endpoint: &str) -> String {
    match url::Url::parse(issuer_endpoint) {
        // `Url` already lower-cases scheme and host and drops the scheme's default port.
        Ok(u) => format!(
            "{}://{}{}{}",
            u.scheme(),
            u.host_str().unwrap_or_default(),
            u.port().map(|p| format!(":{p}")).unwrap_or_default(),
            u.path()
        ),
        Err(_) => issuer_endpoint.to_owned(),
    }
}

/// A request that passed every check.
#[derive(Debug)]
pub struct Verified {
    pub client: Arc<Client>,
    pub token: Option<Oauth1Token>,
    pub parsed: Parsed,
}

/// Authenticates the request: consumer, token of `expect` kind (if any), signature, timestamp
/// and nonce, in that order (the nonce is spent only by authentic requests).
pub async fn verify(
    provider: &Provider,
    req: &SignedRequest<'_>,
    expect: Option<TokenKind>,
) -> Result<Verified, Oauth1Error> {
    let parsed = parse(req)?;
    let settings = provider.settings();
    if !is_identifier(&parsed.consumer_key) {
        return Err(Oauth1Error::new(
            Problem::ConsumerKeyUnknown,
            "unknown oauth_consumer_key",
        ));
    }
    if parsed.token.as_deref().is_some_and(|t| !is_identifier(t)) {
        return Err(Oauth1Error::new(
            Problem::TokenRejected,
            "unknown oauth_token",
        ));
    }
    let client = provider
        .client(&parsed.consumer_key)
        .await?
        .filter(|c| c.metadata.oauth1)
        .ok_or_else(|| {
            Oauth1Error::new(Problem::ConsumerKeyUnknown, "unknown oauth_consumer_key")
        })?;
    // §3.4.4: PLAINTEXT sends the secrets themselves, so only where no one can read them.
    if parsed.method == Method::Plaintext && !secure_issuer(&settings.issuer) {
        return Err(Oauth1Error::new(
            Problem::SignatureMethodRejected,
            "PLAINTEXT is accepted only over HTTPS",
        ));
    }
    let now = provider.now();
    if let Some(ts) = parsed.timestamp
        && ts.abs_diff(now) > TIMESTAMP_WINDOW.unsigned_abs()
    {
        return Err(Oauth1Error {
            detail: Some((
                "oauth_acceptable_timestamps",
                format!("{}-{}", now - TIMESTAMP_WINDOW, now + TIMESTAMP_WINDOW),
            )),
            ..Oauth1Error::new(
                Problem::TimestampRefused,
                format!(
                    "oauth_timestamp is more than {TIMESTAMP_WINDOW} seconds from the server's clock"
                ),
            )
        });
    }
    let token = match (expect, &parsed.token) {
        (None, _) => None,
        (Some(_), None) => return Err(Oauth1Error::absent("oauth_token")),
        (Some(kind), Some(t)) => Some(live_token(provider, t, kind, &client.client_id).await?),
    };
    let consumer_secret = match provider
        .store()
        .get_oauth1_secret(&client.client_id)
        .await?
    {
        Some(sealed) => open(provider.master_key(), &client.client_id, &sealed)?,
        None if parsed.method == Method::RsaSha1 => String::new(),
        None => {
            return Err(Oauth1Error::new(
                Problem::ConsumerKeyRejected,
                "this consumer has no secret for HMAC or PLAINTEXT; register one or use RSA-SHA1",
            ));
        }
    };
    let token_secret = match &token {
        Some(t) => open(provider.master_key(), &t.token, &t.sealed_secret)?,
        None => String::new(),
    };
    let base = signature::base_string(
        req.method,
        &base_uri(&settings.endpoint(req.path)),
        &parsed.signed,
    );
    let rsa_key = rsa_public_key(&client);
    if !signature::verify(
        parsed.method,
        &base,
        &parsed.signature,
        &consumer_secret,
        &token_secret,
        rsa_key.as_ref().map(|(n, e)| (n.as_slice(), e.as_slice())),
    ) {
        return Err(Oauth1Error::new(
            Problem::SignatureInvalid,
            "the signature does not match the request (check the base string, the secrets and the URL)",
        ));
    }
    if let (Some(ts), Some(nonce)) = (parsed.timestamp, &parsed.nonce) {
        let key = format!(
            "oauth1 {ts} {nonce} {}",
            parsed.token.as_deref().unwrap_or("")
        );
        if !provider
            .store()
            .record_assertion_jti(&client.client_id, &key, ts + 2 * TIMESTAMP_WINDOW)
            .await?
        {
            return Err(Oauth1Error::new(
                Problem::NonceUsed,
                "this oauth_nonce was already used with this timestamp",
            ));
        }
    }
    Ok(Verified {
        client,
        token,
        parsed,
    })
}

async fn live_token(
    provider: &Provider,
    token: &str,
    kind: TokenKind,
    client_id: &str,
) -> Result<Oauth1Token, Oauth1Error> {
    let found = provider
        .store()
        .find_oauth1_token(token)
        .await?
        .filter(|t| t.kind == kind && t.client_id == client_id)
        .ok_or_else(|| Oauth1Error::new(Problem::TokenRejected, "unknown oauth_token"))?;
    if found.expires_at <= provider.now() {
        return Err(Oauth1Error::new(
            Problem::TokenExpired,
            "the oauth_token has expired",
        ));
    }
    match (kind, found.status) {
        (TokenKind::Temporary, TokenStatus::Used) => Err(Oauth1Error::new(
            Problem::TokenUsed,
            "these temporary credentials were already exchanged",
        )),
        (TokenKind::Temporary, TokenStatus::Denied) => Err(Oauth1Error::new(
            Problem::PermissionDenied,
            "the user denied access",
        )),
        (TokenKind::Access, s) if s != TokenStatus::Active => Err(Oauth1Error::new(
            Problem::TokenRevoked,
            "the token credentials were revoked",
        )),
        _ => Ok(found),
    }
}

/// HTTPS, or plain HTTP on the loopback interface (development).
fn secure_issuer(issuer: &str) -> bool {
    match url::Url::parse(issuer) {
        Ok(u) => {
            u.scheme() == "https"
                || matches!(u.host_str(), Some("127.0.0.1" | "localhost" | "[::1]"))
        }
        Err(_) => false,
    }
}

/// §3.4.3: the RSA public key an RSA-SHA1 client registered, from its `jwks` (modulus and
/// exponent, big-endian).
fn rsa_public_key(client: &Client) -> Option<(Vec<u8>, Vec<u8>)> {
    let keys = client.metadata.jwks.as_ref()?.get("keys")?.as_array()?;
    let key = keys
        .iter()
        .find(|k| k.get("kty").and_then(|v| v.as_str()) == Some("RSA"))?;
    let n = URL_SAFE_NO_PAD.decode(key.get("n")?.as_str()?).ok()?;
    let e = URL_SAFE_NO_PAD.decode(key.get("e")?.as_str()?).ok()?;
    Some((n, e))
}
