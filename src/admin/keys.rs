//! `/admin/v1/keys`: the signing keys and their state, and rotation now.

use super::auth::Admin;
use super::manager;
use super::problem::Problem;
use crate::manage::keys::describe;
use crate::state::AppState;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

/// List signing keys: next, active, retired (still published) and their times.
#[utoipa::path(get, path = "/keys", tag = "keys",
    responses((status = 200, description = "Every stored key", body = super::schema::KeyList)))]
pub async fn list(State(state): State<AppState>, _admin: Admin) -> Result<Response, Problem> {
    let now = state.provider.now();
    let keys = state.provider.store().list_signing_keys().await?;
    let items: Vec<Value> = keys.iter().map(|k| describe(k, now)).collect();
    Ok(axum::Json(json!({ "items": items })).into_response())
}

/// Rotate now: a new key per algorithm signs at once (for a key that must stop signing);
/// other nodes switch within `key_reload_interval`.
#[utoipa::path(post, path = "/keys/rotate", tag = "keys",
    responses((status = 200, description = "The new signing keys", body = super::schema::KeyList)))]
pub async fn rotate(
    State(state): State<AppState>,
    Admin(origin): Admin,
) -> Result<Response, Problem> {
    let keys = manager(&state, origin).rotate_keys(&state.provider).await?;
    let now = state.provider.now();
    let items: Vec<Value> = keys.iter().map(|k| describe(k, now)).collect();
    Ok(axum::Json(json!({ "items": items })).into_response())
}
