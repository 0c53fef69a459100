//! `/admin/v1/audit-events`: the audit trail, newest first, a page at a time.

use super::auth::Admin;
use super::body::QueryParams;
use super::problem::Problem;
use crate::state::AppState;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::json;
use sesame_core::audit::AuditQuery;
use utoipa::IntoParams;

#[derive(Debug, Deserialize, IntoParams)]
pub struct ListParams {
    /// An action (`client.created`) or a noun, for all of its actions (`client`).
    action: Option<String>,
    /// `operator`, `client:<client_id>`, `user:<sub>` or `anonymous`.
    actor: Option<String>,
    /// `client:<client_id>`, `user:<sub>`, `connection:<id>`, `keys`.
    target: Option<String>,
    /// Only events at or after this Unix time.
    since: Option<i64>,
    /// The `next` of the previous page.
    before: Option<i64>,
    /// Events per page, 1 to 500 (default 100).
    limit: Option<u32>,
}

/// List audit events, newest first.
#[utoipa::path(get, path = "/audit-events", tag = "audit", params(ListParams),
    responses((status = 200, description = "A page of events; `next` is the cursor of the next page", body = super::schema::AuditPage),
              (status = 422, description = "A member breaks a rule (pointer in errors)", body = Problem)))]
pub async fn list(
    State(state): State<AppState>,
    _admin: Admin,
    QueryParams(p): QueryParams<ListParams>,
) -> Result<Response, Problem> {
    let limit = p.limit.unwrap_or(100);
    if !(1..=500).contains(&limit) {
        return Err(Problem::invalid(Some("limit"), "limit: 1 to 500"));
    }
    let query = AuditQuery {
        action: p.action,
        actor: p.actor,
        target: p.target,
        since: p.since,
        before: p.before,
        limit,
    };
    let events = state.provider.store().list_audit(&query).await?;
    let next = (events.len() == limit as usize)
        .then(|| events.last().map(|e| e.seq))
        .flatten();
    Ok(axum::Json(json!({ "items": events, "next": next })).into_response())
}
