//! `POST /token` (RFC 6749 §3.2).

use crate::error::{OAuthError, no_store_json};
use crate::extract::OAuthForm;
use crate::state::AppState;
use axum::extract::State;
use axum::response::{IntoResponse, Response};

pub async fn token(State(state): State<AppState>, form: OAuthForm) -> Result<Response, OAuthError> {
    let OAuthForm { params, sender } = form;
    let (response, grant) =
        sesame_core::token::exchange(&state.provider, sender.caller(), params).await?;
    metrics::counter!("sesame_tokens_issued_total", "grant_type" => grant.as_str()).increment(1);
    let body = serde_json::to_string(&response).map_err(sesame_core::TokenError::server_error)?;
    Ok(no_store_json(body).into_response())
}
