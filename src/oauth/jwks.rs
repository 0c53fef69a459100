//! `GET /jwks` (RFC 7517 §5): the public keys, current and recently retired.

use crate::state::AppState;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::IntoResponse;

pub async fn jwks(State(state): State<AppState>) -> impl IntoResponse {
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/jwk-set+json"),
            ),
            // Short, so a rotation reaches resource servers quickly (they also re-fetch on an
            // unknown kid).
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=60"),
            ),
        ],
        state.provider.key_ring().jwks_json().to_owned(),
    )
}
