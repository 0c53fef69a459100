//! `POST /token` (RFC 6749 §3.2).

use crate::error::{OAuthError, no_store_json};
use crate::extract::OAuthForm;
use crate::state::AppState;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use sesame_core::ErrorCode;
use sesame_core::events::Event;

pub async fn token(State(state): State<AppState>, form: OAuthForm) -> Result<Response, OAuthError> {
    let OAuthForm { params, sender } = form;
    let grant_type = params.get("grant_type").unwrap_or_default().to_owned();
    let (response, grant) =
        match sesame_core::token::exchange(&state.provider, sender.caller(), params).await {
            Ok(issued) => issued,
            Err(e) => {
                // A device poll told to wait is the protocol working, not a refusal.
                if !matches!(
                    e.code,
                    ErrorCode::AuthorizationPending | ErrorCode::SlowDown
                ) {
                    state.provider.record(Event::TokenRefused {
                        grant_type: grant_type.chars().take(80).collect(),
                        error: e.code.as_str(),
                        address: sender.caller().address,
                    });
                }
                return Err(e.into());
            }
        };
    metrics::counter!("sesame_tokens_issued_total", "grant_type" => grant.as_str()).increment(1);
    state.issued.record(state.provider.now());
    let body = serde_json::to_string(&response).map_err(sesame_core::TokenError::server_error)?;
    Ok(no_store_json(body).into_response())
}
