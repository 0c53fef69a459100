//! `GET /admin`: what an operator looks at first: how many clients, and what happened lately,
//! failures first.

use super::{Console, chrome};
use crate::state::AppState;
use crate::ui::error::PageError;
use crate::ui::page;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use sesame_core::audit::{AuditEvent, AuditQuery};

async fn recent(state: &AppState, action: Option<&str>) -> Result<Vec<AuditEvent>, PageError> {
    let query = AuditQuery {
        action: action.map(str::to_owned),
        limit: 8,
        ..Default::default()
    };
    state
        .provider
        .store()
        .list_audit(&query)
        .await
        .map_err(|e| PageError::Unavailable(e.to_string()))
}

pub async fn show(State(state): State<AppState>, console: Console) -> Result<Response, PageError> {
    let clients = state
        .provider
        .store()
        .list_clients()
        .await
        .map_err(|e| PageError::Unavailable(e.to_string()))?;
    let failures: Vec<AuditEvent> = [
        recent(&state, Some("login.failed")).await?,
        recent(&state, Some("token.refused")).await?,
    ]
    .concat();
    let changes = recent(&state, None).await?;
    Ok(page(
        StatusCode::OK,
        "console_dashboard.html",
        minijinja::context! {
            clients => clients.len(),
            failures => super::audit::rows(&failures),
            changes => super::audit::rows(&changes),
            ..chrome(&state, &console)
        },
    ))
}
