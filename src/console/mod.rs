//! The admin console (`/admin`): server-rendered pages for operators, usable without
//! JavaScript. Signing in to it is an OpenID Connect sign-in to Sesame itself, as the
//! first-party client `sesame-console` (authorization code with PKCE, redeemed in-process);
//! only users with the `admin` role get in. Every change goes through `crate::manage`, as the
//! admin API's and the CLI's do, and is audited as the signed-in user.

mod audit;
mod clients;
mod dashboard;
mod signin;
mod users;

use crate::state::AppState;
use crate::ui::browser::Browser;
use crate::ui::error::PageError;
use axum::Router;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use sesame_core::audit::{Actor, Origin};
use sesame_core::client::{AuthMethod, Client, ClientMetadata, GrantType};
use sesame_core::clock::{Clock, SystemClock};
use sesame_core::scope::Scopes;
use sesame_core::session;
use sesame_core::user::{Role, User};

/// The console's own client, registered at every start.
pub const CLIENT_ID: &str = "sesame-console";
pub const HOME: &str = "/admin";
pub const LOGIN: &str = "/admin/login";
pub const CALLBACK: &str = "/admin/callback";
pub const CLIENTS: &str = "/admin/clients";
pub const AUDIT: &str = "/admin/audit";
pub const USERS: &str = "/admin/users";

/// The cookie that says this browser's session signed in to the console: an HMAC over the
/// session cookie (by the CSRF key, under this binding), so it means nothing with any other
/// session and ends with it.
const COOKIE: &str = "sesame_console";
const BINDING: &str = "sesame-console";

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(HOME, get(dashboard::show))
        .route(LOGIN, get(signin::start))
        .route(CALLBACK, get(signin::callback))
        .route(CLIENTS, get(clients::list).post(clients::create))
        .route("/admin/clients/{client_id}/secret", post(clients::rotate))
        .route("/admin/clients/{client_id}/delete", post(clients::delete))
        .route(AUDIT, get(audit::list))
        .route(USERS, get(users::list).post(users::create))
        .route("/admin/users/{sub}", get(users::show))
        .route("/admin/users/{sub}/password", post(users::set_password))
        .route("/admin/users/{sub}/state", post(users::set_state))
        .route("/admin/users/{sub}/unlock", post(users::unlock))
        .route(
            "/admin/users/{sub}/sessions/revoke",
            post(users::end_sessions),
        )
        .route(
            "/admin/users/{sub}/sessions/{sid}/revoke",
            post(users::end_session),
        )
        .route(
            "/admin/users/{sub}/consents/{client_id}/revoke",
            post(users::withdraw_consent),
        )
        .route(
            "/admin/users/{sub}/identities/{connection}/unlink",
            post(users::unlink),
        )
}

/// The console's client: public (PKCE), code flow to `/admin/callback`, `openid` only, no
/// consent page (it is Sesame's own).
pub fn client(issuer: &str) -> Client {
    let now = SystemClock.now();
    Client {
        client_id: CLIENT_ID.to_owned(),
        secret_hash: None,
        metadata: ClientMetadata {
            client_name: Some("Sesame admin console".to_owned()),
            redirect_uris: vec![format!("{}{CALLBACK}", issuer.trim_end_matches('/'))],
            grant_types: vec![GrantType::AuthorizationCode],
            response_types: vec!["code".to_owned()],
            token_endpoint_auth_method: AuthMethod::None,
            scope: Scopes::from_tokens(["openid".to_owned()]),
            skip_consent: true,
            ..Default::default()
        },
        created_at: now,
        updated_at: now,
    }
}

/// A signed-in administrator: the browser (for CSRF tokens), the user, and the origin their
/// changes are audited with.
pub struct Console {
    pub browser: Browser,
    pub user: User,
    pub origin: Origin,
}

impl FromRequestParts<AppState> for Console {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let Ok(browser) = Browser::from_request_parts(parts, state).await;
        let crate::client_address::ClientAddress(address) =
            crate::client_address::ClientAddress::from_request_parts(parts, state)
                .await
                .unwrap_or_else(|never| match never {});
        let to_login = || crate::ui::respond::see_other(&state.provider.settings().endpoint(LOGIN));
        let signed_in = session::signed_in(&state.provider, browser.session())
            .await
            .map_err(|e| PageError::Unavailable(e.to_string()).into_response())?;
        let (Some((_, user)), Some(session_cookie)) = (signed_in, browser.session()) else {
            return Err(to_login());
        };
        let bound = state.cookies.get(&parts.headers, COOKIE);
        if !state
            .provider
            .csrf()
            .verify(Some(BINDING), Some(session_cookie), bound.as_deref())
        {
            return Err(to_login());
        }
        if !user.has_role(Role::Admin) {
            return Err(not_an_admin(&user));
        }
        Ok(Self {
            origin: Origin {
                actor: Actor::User(user.id.clone()),
                address: Some(address.to_string()),
            },
            browser,
            user,
        })
    }
}

fn not_an_admin(user: &User) -> Response {
    crate::ui::error_page(
        axum::http::StatusCode::FORBIDDEN,
        &format!(
            "You are signed in as {}, who is not an administrator of this Sesame. An operator can \
             give the admin role with `sesame user create --role admin` or the admin API.",
            user.username
        ),
        None,
    )
}

/// What every console page shows around its content.
fn chrome(state: &AppState, console: &Console) -> minijinja::Value {
    let settings = state.provider.settings();
    minijinja::context! {
        console => true,
        username => console.user.username,
        csrf_token => console.browser.csrf_token(),
        home => settings.endpoint(HOME),
        clients_url => settings.endpoint(CLIENTS),
        users_url => settings.endpoint(USERS),
        audit_url => settings.endpoint(AUDIT),
        logout_url => settings.endpoint(sesame_core::endpoints::LOGOUT),
    }
}

impl From<crate::manage::ManageError> for PageError {
    fn from(e: crate::manage::ManageError) -> Self {
        use crate::manage::ManageError;
        match e {
            ManageError::NotFound(m) => Self::NotFound(m),
            ManageError::Conflict(m) | ManageError::Stale(m) => Self::Conflict(m),
            ManageError::Invalid { message, .. } => Self::BadRequest(message),
            ManageError::Store(sesame_core::store::StoreError::Unavailable(m)) => {
                Self::Unavailable(m)
            }
            ManageError::Store(e) => Self::Internal(e.to_string()),
        }
    }
}
