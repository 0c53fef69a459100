//! `/admin/v1/connections`: upstream identity providers ("log in with ..."), in the names of a
//! `[[connections]]` table; the client secret is written, never read back.

use super::auth::Admin;
use super::body::{JsonObject, parse};
use super::manager;
use super::problem::Problem;
use crate::manage::connections::{Precondition, etag};
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use sesame_core::federation::Connection;

/// List connections.
#[utoipa::path(get, path = "/connections", tag = "connections",
    responses((status = 200, description = "Every connection", body = super::schema::ConnectionList)))]
pub async fn list(State(state): State<AppState>, _admin: Admin) -> Result<Response, Problem> {
    let connections = state.provider.store().list_connections().await?;
    Ok(axum::Json(json!({ "items": connections })).into_response())
}

/// Read one connection (without its secret).
#[utoipa::path(get, path = "/connections/{id}", tag = "connections", params(("id" = String, Path)),
    responses((status = 200, description = "The connection", body = Connection), (status = 404, description = "No such resource", body = Problem)))]
pub async fn get(
    State(state): State<AppState>,
    _admin: Admin,
    Path(id): Path<String>,
) -> Result<Response, Problem> {
    match state.provider.store().get_connection(&id).await? {
        Some((connection, _)) => Ok(super::Tagged {
            etag: etag(&connection),
            body: serde_json::to_value(&connection).unwrap_or_default(),
        }
        .into_response()),
        None => Err(Problem::new(
            StatusCode::NOT_FOUND,
            format!("no connection {id}"),
        )),
    }
}

/// Create or replace a connection; `client_secret` is its secret at the provider.
#[utoipa::path(put, path = "/connections/{id}", tag = "connections",
    params(("id" = String, Path), ("If-Match" = Option<String>, Header, description = "The ETag read: replace only that version"), ("If-None-Match" = Option<String>, Header, description = "`*`: create only")),
    request_body(content = super::schema::NewConnection, description = "The connection, with client_secret"),
    responses((status = 200, description = "Saved", body = Connection), (status = 409, description = "Exists (If-None-Match: *), or changed by a racing request", body = Problem), (status = 412, description = "Changed since the If-Match ETag was read", body = Problem), (status = 422, description = "A member breaks a rule (pointer in errors)", body = Problem)))]
pub async fn put(
    State(state): State<AppState>,
    Admin(origin): Admin,
    Path(id): Path<String>,
    headers: HeaderMap,
    JsonObject(mut body): JsonObject,
) -> Result<Response, Problem> {
    let secret = match body.remove("client_secret") {
        Some(Value::String(s)) => s,
        _ => {
            return Err(Problem::invalid(
                Some("client_secret"),
                "client_secret: a string is required (it is never read back)",
            ));
        }
    };
    match body.get("id") {
        None => {
            body.insert("id".into(), Value::String(id.clone()));
        }
        Some(Value::String(given)) if *given == id => {}
        Some(_) => {
            return Err(Problem::invalid(
                Some("id"),
                "id: must be the id in the path",
            ));
        }
    }
    let connection: Connection = parse(Value::Object(body))?;
    let precondition = match (
        super::if_match(&headers),
        headers.get(header::IF_NONE_MATCH),
    ) {
        (Some(tag), _) => Precondition::Matches(tag),
        (None, Some(v)) if v == "*" => Precondition::Absent,
        _ => Precondition::Any,
    };
    manager(&state, origin)
        .save_connection(&connection, Some(&secret), precondition)
        .await?;
    Ok(super::Tagged {
        etag: etag(&connection),
        body: serde_json::to_value(&connection).unwrap_or_default(),
    }
    .into_response())
}

/// Delete a connection and the identities linked through it.
#[utoipa::path(delete, path = "/connections/{id}", tag = "connections", params(("id" = String, Path)),
    responses((status = 204, description = "Deleted"), (status = 404, description = "No such resource", body = Problem)))]
pub async fn delete(
    State(state): State<AppState>,
    Admin(origin): Admin,
    Path(id): Path<String>,
) -> Result<StatusCode, Problem> {
    manager(&state, origin).delete_connection(&id).await?;
    Ok(StatusCode::NO_CONTENT)
}
