//! `POST /token` (RFC 6749 §3.2).

use crate::error::{OAuthError, no_store_json};
use crate::extract::OAuthForm;
use crate::state::AppState;
use axum::extract::State;
use axum::response::{IntoResponse, Response};

pub async fn token(State(state): State<AppState>, form: OAuthForm) -> Result<Response, OAuthError> {
    let (response, grant) =
        sesame_core::token::exchange(&state.provider, form.authorization.as_deref(), form.params)
            .await
            .inspect_err(count_password_failures)?;
    metrics::counter!("sesame_tokens_issued_total", "grant_type" => grant.as_str()).increment(1);
    let body = serde_json::to_string(&response).map_err(sesame_core::TokenError::server_error)?;
    Ok(no_store_json(body).into_response())
}

/// The password grant's failed sign-ins and lockouts, counted like the login page's.
fn count_password_failures(e: &sesame_core::TokenError) {
    use sesame_core::token::password::{CAUSE_INVALID, CAUSE_LOCKED_NOW};
    match e.cause.as_deref() {
        Some(CAUSE_INVALID) => {
            metrics::counter!("sesame_login_failures_total").increment(1);
        }
        Some(CAUSE_LOCKED_NOW) => {
            tracing::warn!("account locked after repeated password grant failures");
            metrics::counter!("sesame_login_failures_total").increment(1);
            metrics::counter!("sesame_login_lockouts_total").increment(1);
        }
        _ => {}
    }
}
