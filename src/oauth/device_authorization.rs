//! `POST /device_authorization` (RFC 8628 §3.1, §3.2).

use crate::error::{OAuthError, no_store_json};
use crate::extract::OAuthForm;
use crate::state::AppState;
use axum::extract::State;
use axum::response::{IntoResponse, Response};

pub async fn device_authorization(
    State(state): State<AppState>,
    form: OAuthForm,
) -> Result<Response, OAuthError> {
    let OAuthForm { params, sender } = form;
    let response =
        sesame_core::device::authorization::authorize(&state.provider, sender.caller(), params)
            .await?;
    let body = serde_json::to_string(&response).map_err(sesame_core::TokenError::server_error)?;
    Ok(no_store_json(body).into_response())
}
