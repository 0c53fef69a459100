//! `GET` and `POST /userinfo` (OIDC Core §5.3) with bearer tokens per RFC 6750: the token's
//! place and the errors are `sesame_core::bearer`, the claims `sesame_core::oidc::userinfo`.

use crate::error::{OAuthError, no_store_json};
use crate::extract::is_form;
use crate::state::AppState;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sesame_core::ErrorCode;
use sesame_core::bearer::{self, BearerError};
use sesame_core::oidc::userinfo::UserInfoResponse;
use sesame_core::params::Params;

pub async fn userinfo_get(State(state): State<AppState>, headers: HeaderMap) -> Response {
    respond(&state, &headers, None).await
}

pub async fn userinfo_post(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    // RFC 6750 §2.2: the form-encoded body parameter, only with that content type.
    if !is_form(&headers) {
        return respond(&state, &headers, None).await;
    }
    match Params::parse(&body) {
        Ok(p) => respond(&state, &headers, p.get("access_token")).await,
        Err(e) => challenge(&BearerError::InvalidRequest(e.description)),
    }
}

async fn respond(state: &AppState, headers: &HeaderMap, form_token: Option<&str>) -> Response {
    let authorization = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok());
    let token = match bearer::token_of(authorization, form_token) {
        Ok(t) => t,
        Err(e) => return challenge(&e),
    };
    match sesame_core::oidc::userinfo::userinfo(&state.provider, &token).await {
        Ok(UserInfoResponse::Json(claims)) => {
            no_store_json(serde_json::Value::Object(claims).to_string()).into_response()
        }
        // OIDC Core §5.3.2: a signed or encrypted response is a JWT.
        Ok(UserInfoResponse::Jwt(jwt)) => (
            [
                (header::CONTENT_TYPE, "application/jwt"),
                (header::CACHE_CONTROL, "no-store"),
            ],
            jwt,
        )
            .into_response(),
        Err(BearerError::Server(e)) => OAuthError(e).into_response(),
        Err(e) => challenge(&e),
    }
}

/// RFC 6750 §3: the error in `WWW-Authenticate`, with 400, 401 or 403 as §3.1 assigns.
fn challenge(e: &BearerError) -> Response {
    let status = match e.code() {
        Some(ErrorCode::InsufficientScope) => StatusCode::FORBIDDEN,
        Some(ErrorCode::InvalidRequest) => StatusCode::BAD_REQUEST,
        _ => StatusCode::UNAUTHORIZED,
    };
    let value = match (e.code(), e.description()) {
        (Some(code), Some(description)) => format!(
            "Bearer realm=\"sesame\", error=\"{code}\", error_description=\"{}\"",
            description.replace(['"', '\\'], "'")
        ),
        _ => "Bearer realm=\"sesame\"".to_owned(),
    };
    let mut response = (status, [(header::CACHE_CONTROL, "no-store")]).into_response();
    if let Ok(v) = HeaderValue::from_str(&value) {
        response.headers_mut().insert(header::WWW_AUTHENTICATE, v);
    }
    response
}
