//! The demo's application, served by Sesame itself (`sesame serve --demo` only): `/demo` starts
//! an authorization code flow with PKCE as the public client `demo-spa`, and `/demo/callback`
//! receives the code, redeems it at the token endpoint's own logic and shows every step. A
//! person trying Sesame signs in and sees the tokens, without a client of their own or a code
//! to copy into curl within its minute.

use super::error::PageError;
use super::first_party::{FirstParty, payload};
use super::page;
use crate::client_address::ClientAddress;
use crate::state::AppState;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sesame_core::oidc::userinfo::UserInfoResponse;
use std::collections::BTreeMap;

/// The demo's public client, seeded by `serve --demo`.
pub const CLIENT_ID: &str = "demo-spa";
pub const SCOPE: &str = "openid profile email offline_access";
pub const START: &str = "/demo";
pub const CALLBACK: &str = "/demo/callback";

/// The demo's application as a first-party client.
const APP: FirstParty = FirstParty {
    client_id: CLIENT_ID,
    scope: SCOPE,
    start: START,
    callback: CALLBACK,
    cookie: "sesame_demo",
};

/// `GET /demo`: the authorization request, shown before the browser is sent with it.
pub async fn start(State(state): State<AppState>) -> Response {
    let started = APP.start(&state, None);
    let mut response = page(
        StatusCode::OK,
        "demo.html",
        minijinja::context! {
            stage => "start", wide => true, authorize_url => started.authorize_url,
            params => started.params,
        },
    );
    response
        .headers_mut()
        .append(header::SET_COOKIE, started.cookie);
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
    let (code, verifier) = APP.returned(&state, &headers, &query)?;
    let flow_state = query.get("state").cloned().unwrap_or_default();
    let request = APP.token_request(&state, &code, &verifier);
    let (answer, claims, profile) = match APP.redeem(&state, address, &request).await {
        Ok(tokens) => {
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
            request,
            answer => pretty(&answer),
            claims => claims.as_ref().map(pretty),
            userinfo_endpoint => settings.endpoint(sesame_core::endpoints::USERINFO),
            profile => profile.as_ref().map(pretty),
        },
    );
    response
        .headers_mut()
        .append(header::SET_COOKIE, APP.forget(&state));
    Ok(response.into_response())
}
