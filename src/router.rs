//! Every route, in one table; the paths are `sesame_core::endpoints`, which discovery and
//! client authentication use too.

use crate::federation;
use crate::oauth::{
    authorize, device_authorization, discovery, introspection, jwks, logout, oauth1, revocation,
    token, userinfo,
};
use crate::state::AppState;
use crate::ui::{self, consent, device, login, oauth1_approval, second_factor};
use crate::{limits, ops};
use axum::Router;
use axum::routing::{get, post};
use sesame_core::endpoints;
use std::time::Duration;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::timeout::TimeoutLayer;

/// The main listener. `metrics` says who may read `/metrics` here (see `ops::MetricsAccess`);
/// `demo` adds the demo's application pages (`serve --demo`).
pub fn router(state: AppState, metrics: ops::MetricsAccess, demo: bool) -> Router {
    let issuer_path = ui::issuer_path(&state.provider.settings().issuer);
    let mut routes = Router::new()
        .route(endpoints::OPENID_CONFIGURATION, get(discovery::metadata))
        .route(
            endpoints::AUTHORIZATION_SERVER_METADATA,
            get(discovery::metadata),
        )
        .route(endpoints::JWKS, get(jwks::jwks))
        .route(
            endpoints::AUTHORIZE,
            get(authorize::authorize_get).post(authorize::authorize_post),
        )
        .route(endpoints::TOKEN, post(token::token))
        .route(
            endpoints::USERINFO,
            get(userinfo::userinfo_get).post(userinfo::userinfo_post),
        )
        .route(
            endpoints::LOGOUT,
            get(logout::logout_get).post(logout::logout_post),
        )
        .route(endpoints::LOGIN, get(login::show).post(login::submit))
        .route(
            endpoints::SECOND_FACTOR,
            get(second_factor::show_code).post(second_factor::submit_code),
        )
        .route(
            endpoints::ENROL,
            get(second_factor::show_enrol).post(second_factor::submit_enrol),
        )
        .route(endpoints::ENROLLED, post(second_factor::enrolled))
        .route(
            ui::passkey_script::LOGIN_PASSKEY,
            post(ui::passkey::sign_in),
        )
        .route(
            ui::passkey_script::LOGIN_PASSKEY_OPTIONS,
            post(ui::passkey::sign_in_options),
        )
        .route(
            endpoints::DEVICE_AUTHORIZATION,
            post(device_authorization::device_authorization),
        )
        .route(endpoints::DEVICE, get(device::show).post(device::submit))
        .route(endpoints::FEDERATION_START, get(federation::start))
        .route(endpoints::FEDERATION_CALLBACK, get(federation::callback))
        .route(endpoints::OAUTH1_REQUEST_TOKEN, post(oauth1::request_token))
        .route(
            endpoints::OAUTH1_AUTHORIZE,
            get(oauth1_approval::show).post(oauth1_approval::submit),
        )
        .route(endpoints::OAUTH1_ACCESS_TOKEN, post(oauth1::access_token))
        .route(
            endpoints::OAUTH1_USERINFO,
            get(oauth1::userinfo).post(oauth1::userinfo),
        )
        .route(endpoints::CONSENT, get(consent::show).post(consent::submit))
        .route(endpoints::STYLESHEET, get(ui::stylesheet))
        .route(endpoints::INTROSPECT, post(introspection::introspect))
        .route(endpoints::REVOKE, post(revocation::revoke))
        .route(endpoints::HEALTHZ, get(ops::healthz))
        .route(endpoints::READYZ, get(ops::readyz))
        .route(
            endpoints::METRICS,
            get(ops::metrics).layer(axum::Extension(metrics)),
        );
    if demo {
        routes = routes
            .route(ui::home::HOME, get(ui::home::home_with_demo))
            .route(ui::demo::START, get(ui::demo::start))
            .route(ui::demo::CALLBACK, get(ui::demo::callback));
    } else {
        routes = routes.route(ui::home::HOME, get(ui::home::home));
    }
    routes
        .merge(crate::admin::router(&state.provider.settings().issuer))
        .merge(crate::console::routes())
        .merge(ui::account::routes())
        .merge(ui::passkey::account_routes())
        .fallback(ui::home::not_found)
        .layer(axum::middleware::from_fn_with_state(
            issuer_path,
            ui::with_issuer_path,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.limits,
            limits::enforce,
        ))
        .layer(axum::middleware::from_fn(ops::track))
        .layer(TimeoutLayer::with_status_code(
            axum::http::StatusCode::SERVICE_UNAVAILABLE,
            Duration::from_secs(30),
        ))
        // A bug must cost one request a 500, never the process.
        .layer(CatchPanicLayer::new())
        .with_state(state)
}
