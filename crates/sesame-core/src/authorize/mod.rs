//! The authorization endpoint (RFC 6749 §3.1, §4.1.1; OIDC Core §3.1.2): validate the request
//! in the order the specifications require, then decide (`prompt`), then respond (`response`).
//!
//! Until the client and its redirect URI are known to be good, errors are shown to the user and
//! never redirected (RFC 6749 §4.1.2.1); after that, every error goes back to the client.

pub mod flow;
pub mod pending;
pub mod prompt;
pub mod redirect_uri;
pub mod response;

use crate::client::{Client, GrantType};
use crate::error::{ErrorCode, TokenError};
use crate::mfa::Level;
use crate::oidc::claims::{
    ClaimsRequest, REGISTERED_CLAIMS, claims_for_scope, parse_locales, supported_claims,
};
use crate::oidc::id_token;
use crate::params::Params;
use crate::pkce;
use crate::provider::Provider;
use crate::response_type::{ResponseMode, ResponseType};
use crate::scope::Scopes;
use prompt::Prompt;
use response::{AuthorizationResponse, ReturnPath};
use serde::{Deserialize, Serialize};
use std::sync::Arc;

/// A request that passed validation: everything later steps need, and nothing unchecked.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuthorizationRequest {
    pub client_id: String,
    pub redirect_uri: String,
    pub response_type: ResponseType,
    pub response_mode: ResponseMode,
    pub scope: Scopes,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nonce: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code_challenge: Option<String>,
    #[serde(default)]
    pub prompt: Prompt,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_age: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub login_hint: Option<String>,
    #[serde(default)]
    pub claims: ClaimsRequest,
    /// The `sub` of a valid `id_token_hint`: the user the client expects.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_token_hint_sub: Option<String>,
    /// The authentication level asked for (`acr_values`, or an essential `acr` claim).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acr: Option<crate::mfa::Level>,
}

impl AuthorizationRequest {
    pub fn return_path(&self) -> ReturnPath {
        ReturnPath {
            redirect_uri: self.redirect_uri.clone(),
            mode: self.response_mode,
            state: self.state.clone(),
        }
    }

    /// What the user approves: the scopes, plus `claim:<name>` for each claim the `claims`
    /// parameter asks for beyond them (OIDC Core §5.5: released only with the user's consent).
    pub fn consent_items(&self) -> Scopes {
        let from_scope = claims_for_scope(&self.scope);
        let supported = supported_claims();
        // A claim in another language (`name#de`) is consented to as the claim itself.
        let extra = self
            .claims
            .userinfo
            .iter()
            .chain(&self.claims.id_token)
            .map(|c| c.split_once('#').map_or(c.as_str(), |(base, _)| base))
            .filter(|c| supported.contains(c) && !from_scope.contains(c))
            .filter(|c| !REGISTERED_CLAIMS.contains(c))
            .map(|c| format!("{CLAIM_CONSENT_PREFIX}{c}"));
        Scopes::from_tokens(self.scope.iter().map(str::to_owned).chain(extra))
    }

    /// An error response to the client in the requested response mode.
    pub fn error(&self, issuer: &str, error: TokenError) -> AuthorizeError {
        AuthorizeError::Redirect(AuthorizationResponse::error(
            &self.return_path(),
            issuer,
            &error,
        ))
    }
}

#[derive(Debug)]
pub enum AuthorizeError {
    /// The client or the redirect URI is not trustworthy: tell the user, do not redirect.
    Render(TokenError),
    /// Send the error to the client's redirect URI.
    Redirect(AuthorizationResponse),
}

impl From<crate::store::StoreError> for AuthorizeError {
    fn from(e: crate::store::StoreError) -> Self {
        Self::Render(e.into())
    }
}

fn render(description: &'static str) -> AuthorizeError {
    AuthorizeError::Render(TokenError::invalid_request(description))
}

/// Consent to a single claim is recorded as this prefix and the claim's name.
pub const CLAIM_CONSENT_PREFIX: &str = "claim:";

/// The longest `state` or `nonce` kept (they are stored and echoed back).
const MAX_OPAQUE_VALUE: usize = 2048;

/// Validates an authorization request (GET query or POST form, OIDC Core §3.1.2.1).
pub async fn validate(
    provider: &Provider,
    params: &Params,
) -> Result<(AuthorizationRequest, Arc<Client>), AuthorizeError> {
    // 1. The client and where to answer it: until both are good, nothing is redirected.
    let client_id = params
        .get("client_id")
        .ok_or_else(|| render("the request has no client_id"))?;
    let client = provider
        .client(client_id)
        .await
        .map_err(|e| AuthorizeError::Render(e.into()))?
        .ok_or_else(|| render("the client_id is not registered"))?;
    let redirect_uri = params
        .get("redirect_uri")
        .ok_or_else(|| render("the request has no redirect_uri"))?;
    if !redirect_uri::is_registered(redirect_uri, &client, redirect_uri::Purpose::Authorization) {
        return Err(render("the redirect_uri is not registered for this client"));
    }
    let state = params.get("state").map(str::to_owned);
    if state.as_ref().is_some_and(|s| s.len() > MAX_OPAQUE_VALUE) {
        return Err(render("state is too long"));
    }

    // 2. How to answer: the response type's default mode until response_mode is known good.
    let response_type = params.get("response_type").and_then(ResponseType::parse);
    let default_mode = response_type.map_or(ResponseMode::Query, ResponseType::default_mode);
    let mut back = ReturnPath {
        redirect_uri: redirect_uri.to_owned(),
        mode: default_mode,
        state: state.clone(),
    };
    let issuer = provider.settings().issuer.as_str();
    let fail = |back: &ReturnPath, e: TokenError| {
        AuthorizeError::Redirect(AuthorizationResponse::error(back, issuer, &e))
    };
    let mode = match params.get("response_mode") {
        None => default_mode,
        Some(m) => ResponseMode::parse(m).ok_or_else(|| {
            fail(
                &back,
                TokenError::invalid_request("response_mode is not supported"),
            )
        })?,
    };
    back.mode = mode;
    let Some(response_type) = response_type else {
        let e = match params.get("response_type") {
            None => TokenError::invalid_request("response_type is required"),
            Some(_) => TokenError::with_code(
                ErrorCode::UnsupportedResponseType,
                "this response_type is not supported",
            ),
        };
        return Err(fail(&back, e));
    };
    // Multiple Response Types §5: tokens never travel in a query string.
    if response_type.is_front_channel() && mode == ResponseMode::Query {
        return Err(fail(
            &back,
            TokenError::invalid_request("response_mode=query cannot carry tokens"),
        ));
    }
    check_client_may_use(&client, response_type).map_err(|e| fail(&back, e))?;

    // 3. Request objects are not supported (OIDC Core §6).
    if params.get("request").is_some() {
        return Err(fail(
            &back,
            TokenError::with_code(
                ErrorCode::RequestNotSupported,
                "request objects are not supported",
            ),
        ));
    }
    if params.get("request_uri").is_some() {
        return Err(fail(
            &back,
            TokenError::with_code(
                ErrorCode::RequestUriNotSupported,
                "request_uri is not supported",
            ),
        ));
    }

    let mut request = AuthorizationRequest {
        client_id: client.client_id.clone(),
        redirect_uri: redirect_uri.to_owned(),
        response_type,
        response_mode: mode,
        scope: requested_scope(&client, params, response_type).map_err(|e| fail(&back, e))?,
        state,
        nonce: params.get("nonce").map(str::to_owned),
        code_challenge: code_challenge(&client, params, response_type)
            .map_err(|e| fail(&back, e))?,
        prompt: params
            .get("prompt")
            .map(Prompt::parse)
            .transpose()
            .map_err(|e| fail(&back, e))?
            .unwrap_or_default(),
        max_age: params
            .get("max_age")
            .map(|v| {
                v.parse::<u32>()
                    .map(i64::from)
                    .map_err(|_| TokenError::invalid_request("max_age must be a number of seconds"))
            })
            .transpose()
            .map_err(|e| fail(&back, e))?,
        login_hint: params
            .get("login_hint")
            .map(|h| h.chars().take(256).collect()),
        claims: params
            .get("claims")
            .map(ClaimsRequest::parse)
            .transpose()
            .map_err(|e| fail(&back, e))?
            .unwrap_or_default(),
        id_token_hint_sub: params
            .get("id_token_hint")
            .map(|hint| {
                id_token::subject_of_hint(provider, hint, &client.client_id).ok_or_else(|| {
                    TokenError::invalid_request(
                        "id_token_hint is not an ID token this issuer gave this client",
                    )
                })
            })
            .transpose()
            .map_err(|e| fail(&back, e))?,
        acr: None,
    };
    request.id_token_hint_sub = expected_subject(&request).map_err(|e| fail(&back, e))?;
    request.acr =
        requested_acr(params.get("acr_values"), &request.claims).map_err(|e| fail(&back, e))?;
    // ui_locales: every page is in English, the only language offered, whatever is asked; a
    // malformed value is still the client's mistake to hear about.
    if let Some(locales) = params.get("ui_locales") {
        parse_locales(locales, "ui_locales").map_err(|e| fail(&back, e))?;
    }
    if let Some(locales) = params.get("claims_locales") {
        request.claims.locales =
            parse_locales(locales, "claims_locales").map_err(|e| fail(&back, e))?;
    }
    check_display(params).map_err(|e| fail(&back, e))?;
    check_openid_rules(&request).map_err(|e| fail(&back, e))?;
    Ok((request, client))
}

/// The level a request asks for (`crate::mfa::policy`). `acr_values` (OIDC Core §3.1.2.1) is
/// voluntary: values Sesame does not know are passed over. An essential `acr` claim (§5.5.1.1)
/// is not: if it lists values and Sesame knows none of them, it cannot be met.
fn requested_acr(
    acr_values: Option<&str>,
    claims: &ClaimsRequest,
) -> Result<Option<Level>, TokenError> {
    let voluntary = acr_values.and_then(|v| Level::lowest_of(v.split(' ')));
    let essential = if claims.essential_acr && !claims.acr_values.is_empty() {
        let known = Level::lowest_of(claims.acr_values.iter().map(String::as_str));
        Some(known.ok_or_else(|| {
            TokenError::with_code(
                ErrorCode::UnmetAuthenticationRequirements,
                format!(
                    "an essential acr was requested with values this server does not assert \
                     (it asserts {})",
                    crate::mfa::policy::SUPPORTED
                        .map(Level::as_str)
                        .join(" and ")
                ),
            )
        })?)
    } else {
        Level::lowest_of(claims.acr_values.iter().map(String::as_str))
    };
    Ok(voluntary.max(essential))
}

/// RFC 7591 §2.1: `code` needs the authorization_code grant, `id_token`/`token` the implicit
/// grant, and the response type itself must be registered.
fn check_client_may_use(client: &Client, rt: ResponseType) -> Result<(), TokenError> {
    let registered = client
        .metadata
        .response_types
        .iter()
        .any(|r| ResponseType::parse(r) == Some(rt));
    let grants_ok = (!rt.code || client.allows_grant(GrantType::AuthorizationCode))
        && (!rt.is_front_channel() || client.allows_grant(GrantType::Implicit));
    if registered && grants_ok {
        Ok(())
    } else {
        Err(TokenError::unauthorized_client(format!(
            "the client is not registered for response_type={rt}"
        )))
    }
}

/// RFC 6749 §3.3: the scope is required here (no silent default) and must lie within the
/// client's. OIDC Core §11: offline_access is ignored unless a code is returned.
fn requested_scope(
    client: &Client,
    params: &Params,
    rt: ResponseType,
) -> Result<Scopes, TokenError> {
    let value = params
        .get("scope")
        .ok_or_else(|| TokenError::invalid_scope("scope is required"))?;
    let scope = client.scope_within(Some(value))?;
    if scope.is_empty() {
        return Err(TokenError::invalid_scope("scope is required"));
    }
    Ok(if rt.code {
        scope
    } else {
        scope.without(&["offline_access"])
    })
}

/// RFC 7636 with RFC 9700 §2.1.1: S256 only; required of public clients when a code is issued.
fn code_challenge(
    client: &Client,
    params: &Params,
    rt: ResponseType,
) -> Result<Option<String>, TokenError> {
    let challenge = params.get("code_challenge");
    let method = params.get("code_challenge_method");
    match (challenge, method) {
        (None, Some(_)) => Err(TokenError::invalid_request(
            "code_challenge_method was sent without code_challenge",
        )),
        (None, None) if rt.code && client.is_public() => Err(TokenError::invalid_request(
            "public clients must use PKCE (code_challenge with code_challenge_method=S256)",
        )),
        (None, None) => Ok(None),
        // RFC 7636 §4.3: an absent method means plain, which is not accepted.
        (Some(_), m) if m != Some("S256") => Err(TokenError::invalid_request(
            "code_challenge_method must be S256",
        )),
        (Some(c), _) if !pkce::is_s256_challenge(c) => Err(TokenError::invalid_request(
            "code_challenge must be the base64url SHA-256 of the code verifier (43 characters)",
        )),
        (Some(_), _) if !rt.code => Err(TokenError::invalid_request(format!(
            "code_challenge has no use with response_type={rt}"
        ))),
        (Some(c), _) => Ok(Some(c.to_owned())),
    }
}

/// OIDC Core §3.1.2.1 `display` values. Sesame's pages fit every one of them (one responsive
/// layout that works in a full page, a popup and on a touch screen), so a known value needs no
/// change; an unknown one is a mistake worth reporting.
pub const DISPLAY_VALUES: [&str; 4] = ["page", "popup", "touch", "wap"];

fn check_display(params: &Params) -> Result<(), TokenError> {
    match params.get("display") {
        Some(d) if !DISPLAY_VALUES.contains(&d) => Err(TokenError::invalid_request(format!(
            "display must be one of {}",
            DISPLAY_VALUES.join(", ")
        ))),
        _ => Ok(()),
    }
}

/// The user the client expects: named by `id_token_hint` or by the `claims` request's
/// `sub` value (OIDC Core §3.1.2.2, §5.5.1); both, naming different users, is a contradiction.
fn expected_subject(request: &AuthorizationRequest) -> Result<Option<String>, TokenError> {
    match (&request.id_token_hint_sub, &request.claims.id_token_sub) {
        (Some(hint), Some(pinned)) if hint != pinned => Err(TokenError::invalid_request(
            "the claims request asks for a different sub than the id_token_hint names",
        )),
        (Some(sub), _) | (None, Some(sub)) => Ok(Some(sub.clone())),
        (None, None) => Ok(None),
    }
}

/// OIDC Core §3.2.2.1 and §3.3.2.11: an ID token needs the openid scope, and a request that
/// returns one from this endpoint needs a nonce. `code token` returns none here, so it needs
/// none (the ID token comes from the token endpoint, as with `code`).
fn check_openid_rules(request: &AuthorizationRequest) -> Result<(), TokenError> {
    let openid = request.scope.contains("openid");
    if request.response_type.id_token && !openid {
        return Err(TokenError::invalid_request(
            "response_type id_token needs the openid scope",
        ));
    }
    if openid && request.response_type.id_token && request.nonce.is_none() {
        return Err(TokenError::invalid_request(format!(
            "nonce is required with response_type={}",
            request.response_type
        )));
    }
    if request
        .nonce
        .as_ref()
        .is_some_and(|n| n.len() > MAX_OPAQUE_VALUE)
    {
        return Err(TokenError::invalid_request("nonce is too long"));
    }
    Ok(())
}

#[cfg(test)]
mod tests;
