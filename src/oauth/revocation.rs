//! `POST /revoke` (RFC 7009).

use crate::error::OAuthError;
use crate::extract::OAuthForm;
use crate::state::AppState;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

pub async fn revoke(
    State(state): State<AppState>,
    form: OAuthForm,
) -> Result<Response, OAuthError> {
    let OAuthForm { params, sender } = form;
    sesame_core::revocation::revoke(&state.provider, sender.caller(), params).await?;
    metrics::counter!("sesame_revocations_total").increment(1);
    state
        .provider
        .record(sesame_core::events::Event::TokenRevoked {
            address: sender.caller().address,
        });
    // RFC 7009 §2.2: 200 with an empty body, whether or not the token was known.
    Ok((
        StatusCode::OK,
        [(header::CACHE_CONTROL, HeaderValue::from_static("no-store"))],
    )
        .into_response())
}
