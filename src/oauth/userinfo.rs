//! `GET` and `POST /userinfo` (OIDC Core §5.3) with bearer tokens per RFC 6750.

use crate::state::AppState;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sesame_core::params::Params;
use sesame_core::{ErrorCode, TokenError};

pub async fn userinfo_get(State(state): State<AppState>, headers: HeaderMap) -> Response {
    respond(&state, bearer(&headers, None)).await
}

pub async fn userinfo_post(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let is_form = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    // RFC 6750 §2.2: the form-encoded body parameter, only with that content type.
    let form = if is_form {
        match Params::parse(&body) {
            Ok(p) => p.get("access_token").map(str::to_owned),
            Err(e) => return challenge(Some(&e)),
        }
    } else {
        None
    };
    respond(&state, bearer(&headers, form)).await
}

/// The token from the `Authorization: Bearer` header or the form; RFC 6750 §2: exactly one.
fn bearer(headers: &HeaderMap, form: Option<String>) -> Result<Option<String>, TokenError> {
    let header = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .map(|v| match v.split_once(' ') {
            Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") => {
                Ok(token.trim().to_owned())
            }
            _ => Err(TokenError::invalid_request(
                "the Authorization header must use the Bearer scheme",
            )),
        })
        .transpose()?;
    match (header, form) {
        (Some(_), Some(_)) => Err(TokenError::invalid_request(
            "the access token was sent in more than one way",
        )),
        (Some(t), None) | (None, Some(t)) => Ok(Some(t)),
        (None, None) => Ok(None),
    }
}

async fn respond(state: &AppState, token: Result<Option<String>, TokenError>) -> Response {
    let token = match token {
        Ok(Some(t)) => t,
        // RFC 6750 §3.1: no credentials at all gets a bare challenge, no error code.
        Ok(None) => return challenge(None),
        Err(e) => return challenge(Some(&e)),
    };
    match sesame_core::oidc::userinfo::userinfo(&state.provider, &token).await {
        Ok(claims) => {
            let body = serde_json::Value::Object(claims).to_string();
            crate::error::no_store_json(body).into_response()
        }
        Err(e)
            if matches!(
                e.code,
                ErrorCode::ServerError | ErrorCode::TemporarilyUnavailable
            ) =>
        {
            crate::error::OAuthError(e).into_response()
        }
        Err(e) => challenge(Some(&e)),
    }
}

/// RFC 6750 §3: the error in `WWW-Authenticate`, with 400, 401 or 403 as §3.1 assigns.
fn challenge(e: Option<&TokenError>) -> Response {
    let (status, value) = match e {
        None => (
            StatusCode::UNAUTHORIZED,
            "Bearer realm=\"sesame\"".to_owned(),
        ),
        Some(e) => {
            let status = match e.code {
                ErrorCode::InvalidToken => StatusCode::UNAUTHORIZED,
                ErrorCode::InsufficientScope => StatusCode::FORBIDDEN,
                _ => StatusCode::BAD_REQUEST,
            };
            let description = e.description.replace(['"', '\\'], "'");
            (
                status,
                format!(
                    "Bearer realm=\"sesame\", error=\"{}\", error_description=\"{description}\"",
                    e.code.as_str()
                ),
            )
        }
    };
    let mut response = (status, [(header::CACHE_CONTROL, "no-store")]).into_response();
    if let Ok(v) = HeaderValue::from_str(&value) {
        response.headers_mut().insert(header::WWW_AUTHENTICATE, v);
    }
    response
}
