//! `POST /introspect` (RFC 7662).

use crate::error::{OAuthError, no_store_json};
use crate::extract::OAuthForm;
use crate::state::AppState;
use axum::extract::State;
use axum::response::{IntoResponse, Response};

pub async fn introspect(
    State(state): State<AppState>,
    form: OAuthForm,
) -> Result<Response, OAuthError> {
    let OAuthForm { params, sender } = form;
    let answer =
        sesame_core::introspection::introspect(&state.provider, sender.caller(), params).await?;
    let body = serde_json::to_string(&answer).map_err(sesame_core::TokenError::server_error)?;
    Ok(no_store_json(body).into_response())
}
