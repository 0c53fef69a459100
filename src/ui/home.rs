//! `GET /`, what a person who opens the issuer URL sees, and the answer to every path that
//! is not one of Sesame's: a page for a browser, JSON for a program.

use super::page;
use crate::state::AppState;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use sesame_core::endpoints;

pub const HOME: &str = "/";

/// The issuer's front page: what this is, and where a person or a developer goes next.
fn show(state: &AppState, demo: bool) -> Response {
    let settings = state.provider.settings();
    let mut links = vec![
        (
            "Sign in on another device",
            settings.endpoint(endpoints::DEVICE),
            "enter the code a TV or a command line shows you",
        ),
        (
            "Discovery document",
            settings.endpoint(endpoints::OPENID_CONFIGURATION),
            "every endpoint and what it supports, for developers",
        ),
        (
            "Signing keys",
            settings.endpoint(endpoints::JWKS),
            "the JWK Set that verifies Sesame's tokens",
        ),
    ];
    if demo {
        links.insert(
            0,
            (
                "Try signing in",
                settings.endpoint(super::demo::START),
                "the demo application, step by step",
            ),
        );
    }
    page(
        StatusCode::OK,
        "home.html",
        minijinja::context! {
            issuer => settings.issuer, version => env!("CARGO_PKG_VERSION"), links,
        },
    )
}

pub async fn home(State(state): State<AppState>) -> Response {
    show(&state, false)
}

/// `GET /` under `serve --demo`: the demo application first.
pub async fn home_with_demo(State(state): State<AppState>) -> Response {
    show(&state, true)
}

/// Any other path: a readable page when a browser asks (`Accept: text/html`), JSON otherwise.
pub async fn not_found(State(state): State<AppState>, uri: Uri, headers: HeaderMap) -> Response {
    let discovery = state
        .provider
        .settings()
        .endpoint(endpoints::OPENID_CONFIGURATION);
    let wants_html = headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| accept.contains("text/html"));
    let path = uri.path();
    if wants_html {
        let message = format!(
            "There is nothing at {path}. Sesame's pages start from the application that sent \
             you here; its endpoints are listed in the discovery document ({discovery})."
        );
        super::error_page(StatusCode::NOT_FOUND, &message, None)
    } else {
        let body = serde_json::json!({
            "error": "not_found",
            "error_description": format!("no endpoint at {path}; see {discovery}"),
        });
        (
            StatusCode::NOT_FOUND,
            [(header::CONTENT_TYPE, "application/json")],
            body.to_string(),
        )
            .into_response()
    }
}
