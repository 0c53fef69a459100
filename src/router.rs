//! Every route, in one table.

use crate::federation;
use crate::oauth::{
    authorize, device_authorization, discovery, end_session, introspect, jwks, oauth1, revoke,
    token, userinfo,
};
use crate::ops;
use crate::state::AppState;
use crate::ui::{self, consent, device, login, oauth1_approval};
use axum::Router;
use axum::routing::{get, post};
use std::time::Duration;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::timeout::TimeoutLayer;

pub fn router(state: AppState) -> Router {
    Router::new()
        .route(
            "/.well-known/openid-configuration",
            get(discovery::metadata),
        )
        .route(
            "/.well-known/oauth-authorization-server",
            get(discovery::metadata),
        )
        .route("/jwks", get(jwks::jwks))
        .route(
            "/authorize",
            get(authorize::authorize_get).post(authorize::authorize_post),
        )
        .route("/token", post(token::token))
        .route(
            "/userinfo",
            get(userinfo::userinfo_get).post(userinfo::userinfo_post),
        )
        .route(
            "/logout",
            get(end_session::logout_get).post(end_session::logout_post),
        )
        .route("/login", get(login::show).post(login::submit))
        .route(
            "/device_authorization",
            post(device_authorization::device_authorization),
        )
        .route("/device", get(device::show).post(device::submit))
        .route("/federation/{connection}/start", get(federation::start))
        .route(
            "/federation/{connection}/callback",
            get(federation::callback),
        )
        .route("/oauth1/request_token", post(oauth1::request_token))
        .route(
            "/oauth1/authorize",
            get(oauth1_approval::show).post(oauth1_approval::submit),
        )
        .route("/oauth1/access_token", post(oauth1::access_token))
        .route(
            "/oauth1/userinfo",
            get(oauth1::userinfo).post(oauth1::userinfo),
        )
        .route("/consent", get(consent::show).post(consent::submit))
        .route("/static/sesame.css", get(ui::stylesheet))
        .route("/introspect", post(introspect::introspect))
        .route("/revoke", post(revoke::revoke))
        .route("/healthz", get(ops::healthz))
        .route("/readyz", get(ops::readyz))
        .route("/metrics", get(ops::metrics))
        .layer(axum::middleware::from_fn(ops::track))
        .layer(TimeoutLayer::with_status_code(
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            Duration::from_secs(30),
        ))
        // A bug must cost one request a 500, never the process.
        .layer(CatchPanicLayer::new())
        .with_state(state)
}
