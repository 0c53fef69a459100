//! The demo's application, served by Sesame itself (`sesame serve --demo` only): `/demo` starts
//! an authorization code flow with PKCE as the public client `demo-spa`, and `/demo/callback`
//! receives the code, redeems it at the token endpoint's own logic and shows every step. A
//! person trying Sesame signs in and sees the tokens, without a client of their own or a code
//! to copy into curl within its minute.

use super::error::PageError;
use super::page;
use crate::client_address::ClientAddress;
use crate::state::AppState;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sesame_core::client_auth::Caller;
use sesame_core::oidc::userinfo::UserInfoResponse;
use sesame_core::params::Params;
use sesame_core::secret::{SecretHash, random_token};
use std::collections::BTreeMap;

/// The demo's public client, seeded by `serve --demo`.
pub const CLIENT_ID: &str = "demo-spa";
pub const SCOPE: &str = "openid profile email offline_access";
pub const START: &str = "/demo";
pub const CALLBACK: &str = "/demo/callback";

/// Holds `state.verifier` between the start and the callback.
const COOKIE: &str = "sesame_demo";
const COOKIE_AGE: i64 = 600;

/// `GET /demo`: the authorization request, shown before the browser is sent with it.
pub async fn start(State(state): State<AppState>) -> Response {
    let settings = state.provider.settings();
    let (flow_state, verifier) = (random_token(16), random_token(32));
    let challenge = URL_SAFE_NO_PAD.encode(SecretHash::of(&verifier).0);
    let redirect_uri = settings.endpoint(CALLBACK);
    let params = [
        ("client_id", CLIENT_ID),
        ("response_type", "code"),
        ("scope", SCOPE),
        ("redirect_uri", redirect_uri.as_str()),
        ("state", flow_state.as_str()),
        ("code_challenge", challenge.as_str()),
        ("code_challenge_method", "S256"),
    ];
    let query = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(params)
        .finish();
    let authorize_url = format!(
        "{}?{query}",
        settings.endpoint(sesame_core::endpoints::AUTHORIZE)
    );
    let mut response = page(
        StatusCode::OK,
        "demo.html",
        minijinja::context! {
            stage => "start", wide => true, authorize_url, params => params.to_vec(),
        },
    );
    let cookie = state
        .cookies
        .set(COOKIE, &format!("{flow_state}.{verifier}"), COOKIE_AGE);
    response.headers_mut().append(header::SET_COOKIE, cookie);
    response
}

/// `GET /demo/callback`: what the application receives, the token request it makes and what
/// Sesame answers.
pub async fn callback(
    State(state): State<AppState>,
    ClientAddress(address): ClientAddress,
    headers: HeaderMap,
    Query(query): Query<BTreeMap<String, String>>,
) -> Result<Response, PageError> {
    let settings = state.provider.settings();
    let start = settings.endpoint(START);
    if let Some(error) = query.get("error") {
        let description = query.get("error_description").cloned().unwrap_or_default();
        return Ok(page(
            StatusCode::OK,
            "demo.html",
            minijinja::context! { stage => "refused", wide => true, error, description, start },
        ));
    }
    let remembered = state.cookies.get(&headers, COOKIE);
    let (Some((flow_state, verifier)), Some(code)) = (
        remembered.as_deref().and_then(|c| c.split_once('.')),
        query.get("code"),
    ) else {
        return Err(PageError::BadRequest(
            "This page is where the demo's sign-in returns to. Start it at /demo.".into(),
        ));
    };
    // The application's own CSRF check (RFC 6749 §10.12): the state it sent comes back.
    if query.get("state").map(String::as_str) != Some(flow_state) {
        return Err(PageError::BadRequest(
            "The state that came back is not the one this browser sent. Start again at /demo."
                .into(),
        ));
    }
    let redirect_uri = settings.endpoint(CALLBACK);
    let request = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", redirect_uri.as_str()),
        ("client_id", CLIENT_ID),
        ("code_verifier", verifier),
    ];
    let body = form_urlencoded::Serializer::new(String::new())
        .extend_pairs(request)
        .finish();
    let params = Params::parse(body.as_bytes())
        .map_err(|e| PageError::BadRequest(e.description.into_owned()))?;
    let caller = Caller {
        authorization: None,
        address,
    };
    let answer = sesame_core::token::exchange(&state.provider, caller, params).await;
    let (answer, claims, profile) = match answer {
        Ok((tokens, _)) => {
            let claims = tokens.id_token.as_deref().and_then(payload);
            // Step 5, as an application would: the profile from UserInfo with the access token.
            let profile =
                sesame_core::oidc::userinfo::userinfo(&state.provider, &tokens.access_token)
                    .await
                    .ok()
                    .map(|answer| match answer {
                        UserInfoResponse::Json(claims) => serde_json::Value::Object(claims),
                        UserInfoResponse::Jwt(jwt) => serde_json::Value::String(jwt),
                    });
            (
                serde_json::to_value(&tokens).unwrap_or_default(),
                claims,
                profile,
            )
        }
        Err(e) => (
            serde_json::json!({"error": e.code.as_str(), "error_description": e.description}),
            None,
            None,
        ),
    };
    let pretty = |v: &serde_json::Value| serde_json::to_string_pretty(v).unwrap_or_default();
    let mut response = page(
        StatusCode::OK,
        "demo.html",
        minijinja::context! {
            stage => "tokens", wide => true, start, code, state => flow_state,
            token_endpoint => settings.endpoint(sesame_core::endpoints::TOKEN),
            request => request.to_vec(),
            answer => pretty(&answer),
            claims => claims.as_ref().map(pretty),
            userinfo_endpoint => settings.endpoint(sesame_core::endpoints::USERINFO),
            profile => profile.as_ref().map(pretty),
        },
    );
    // One use: a reload must not redeem the code again.
    let cleared = state.cookies.set(COOKIE, "", 0);
    response.headers_mut().append(header::SET_COOKIE, cleared);
    Ok(response.into_response())
}

/// The claims of a JWT, decoded for reading (the token came straight from the token logic).
pub(crate) fn payload(jwt: &str) -> Option<serde_json::Value> {
    let part = jwt.split('.').nth(1)?;
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).ok()?).ok()
}
