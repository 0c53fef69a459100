//! `GET /admin/audit`: the audit trail with the API's filters, a page at a time.

use super::{Console, chrome};
use crate::state::AppState;
use crate::ui::error::PageError;
use crate::ui::page;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use sesame_core::audit::{AuditEvent, AuditQuery};
use std::collections::HashMap;

#[derive(serde::Deserialize, Default)]
pub struct Filters {
    action: Option<String>,
    actor: Option<String>,
    target: Option<String>,
    before: Option<i64>,
}

/// Events as the pages show them: the time in words, the details as JSON text, and beside
/// each `user:<sub>` the username (looked up once per page; none for a deleted user).
pub async fn rows(state: &AppState, events: &[AuditEvent]) -> Vec<minijinja::Value> {
    let mut names: HashMap<String, Option<String>> = HashMap::new();
    for e in events {
        for who in std::iter::once(&e.actor).chain(&e.target) {
            if let Some(sub) = who.strip_prefix("user:")
                && !names.contains_key(sub)
            {
                let user = state.provider.store().get_user(sub).await.ok().flatten();
                names.insert(sub.to_owned(), user.map(|u| u.username));
            }
        }
    }
    let name = |who: &str| {
        who.strip_prefix("user:")
            .and_then(|sub| names.get(sub).cloned().flatten())
    };
    events
        .iter()
        .map(|e| {
            minijinja::context! {
                seq => e.seq,
                at => crate::cli::output::time(e.at),
                action => e.action,
                actor => e.actor,
                actor_name => name(&e.actor),
                target => e.target,
                target_name => e.target.as_deref().and_then(name),
                address => e.address,
                details => (!e.details.is_null()).then(|| e.details.to_string()),
            }
        })
        .collect()
}

const PAGE: u32 = 50;

pub async fn list(
    State(state): State<AppState>,
    console: Console,
    Query(f): Query<Filters>,
) -> Result<Response, PageError> {
    let blank = |v: Option<String>| v.filter(|s| !s.trim().is_empty());
    let query = AuditQuery {
        action: blank(f.action),
        actor: blank(f.actor),
        target: blank(f.target),
        since: None,
        before: f.before,
        limit: PAGE,
    };
    let events = state
        .provider
        .store()
        .list_audit(&query)
        .await
        .map_err(|e| PageError::Unavailable(e.to_string()))?;
    let next = (events.len() == PAGE as usize)
        .then(|| events.last().map(|e| e.seq))
        .flatten();
    Ok(page(
        StatusCode::OK,
        "console_audit.html",
        minijinja::context! {
            events => rows(&state, &events).await,
            action => query.action, actor => query.actor, target => query.target,
            next,
            ..chrome(&state, &console)
        },
    ))
}
