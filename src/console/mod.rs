//! The admin console (`/admin`): server-rendered pages for operators, usable without
//! JavaScript. Signing in to it is an OpenID Connect sign-in to Sesame itself, as the
//! first-party client `sesame-console` (authorization code with PKCE, redeemed in-process);
//! only users with the `admin` role get in. Every change goes through `crate::manage`, as the
//! admin API's and the CLI's do, and is audited as the signed-in user.

mod audit;
mod client;
mod clients;
mod connections;
mod dashboard;
mod fields;
mod keys;
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
use sesame_core::client::Client;
use sesame_core::session;
use sesame_core::user::{Role, User};

/// The console's own client, registered at every start (and so closed to changes).
pub const CLIENT_ID: &str = crate::manage::clients::CONSOLE_CLIENT_ID;
pub const HOME: &str = "/admin";
pub const LOGIN: &str = "/admin/login";
pub const CALLBACK: &str = "/admin/callback";
pub const CLIENTS: &str = "/admin/clients";
pub const AUDIT: &str = "/admin/audit";
pub const USERS: &str = "/admin/users";
pub const CONNECTIONS: &str = "/admin/connections";
pub const KEYS: &str = "/admin/keys";
pub const KEYS_ROTATE: &str = "/admin/keys/rotate";

/// The cookie that says this browser's session signed in to the console, and when: an HMAC
/// over that time and the session cookie, so it means nothing with any other session, ends
/// with it, and ends after [`CONSOLE_AGE`] whatever the browser keeps.
const COOKIE: &str = "sesame_console";
/// How long a console sign-in lasts; then the console asks Sesame again (with `max_age`, so
/// an older sign-in means typing the password again).
const CONSOLE_AGE: i64 = 3600;
/// The sign-in `max_age` (OIDC Core §3.1.2.1) the console asks for.
const FRESH_SIGN_IN: i64 = 900;

/// The console cookie's value: `issued_at.mac`. The MAC is the CSRF key's over
/// `sesame-console NUL issued_at NUL session`; a form's CSRF token is over `browser NUL
/// session`, and no cookie can hold a NUL, so neither can pass for the other.
fn cookie_value(csrf: &sesame_core::csrf::CsrfKey, session: &str, issued_at: i64) -> String {
    let bound = format!("sesame-console\0{issued_at}");
    format!("{issued_at}.{}", csrf.token(&bound, Some(session)))
}

/// Whether `cookie` is this session's console cookie, made less than [`CONSOLE_AGE`] ago.
fn cookie_holds(
    csrf: &sesame_core::csrf::CsrfKey,
    session: &str,
    cookie: Option<&str>,
    now: i64,
) -> bool {
    let Some((issued_at, _)) = cookie.and_then(|c| c.split_once('.')) else {
        return false;
    };
    let Ok(issued_at) = issued_at.parse::<i64>() else {
        return false;
    };
    let fresh = issued_at <= now && now - issued_at < CONSOLE_AGE;
    let expected = cookie_value(csrf, session, issued_at);
    let matches: bool =
        subtle::ConstantTimeEq::ct_eq(expected.as_bytes(), cookie.unwrap_or("").as_bytes()).into();
    fresh && matches
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(HOME, get(dashboard::show))
        .route(LOGIN, get(signin::start))
        .route(CALLBACK, get(signin::callback))
        .route(CLIENTS, get(clients::list).post(clients::create))
        .route(
            "/admin/clients/{client_id}",
            get(client::show).post(client::edit),
        )
        .route("/admin/clients/{client_id}/secret", post(client::rotate))
        .route("/admin/clients/{client_id}/delete", post(client::delete))
        .route(CONNECTIONS, get(connections::list).post(connections::save))
        .route("/admin/connections/{id}", get(connections::show))
        .route("/admin/connections/{id}/delete", post(connections::delete))
        .route(KEYS, get(keys::list))
        .route(KEYS_ROTATE, post(keys::rotate))
        .route(AUDIT, get(audit::list))
        .route(USERS, get(users::list).post(users::create))
        .route("/admin/users/{sub}", get(users::show).post(users::edit))
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
        .route(
            "/admin/users/{sub}/factors/{id}/remove",
            post(users::remove_factor),
        )
}

/// The console's client: public (PKCE), code flow to `/admin/callback`, `openid` only, no
/// consent page (it is Sesame's own).
pub fn client(issuer: &str) -> Client {
    crate::ui::first_party::client(CLIENT_ID, "Sesame admin console", issuer, CALLBACK)
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
        let now = state.provider.now();
        if !cookie_holds(state.provider.csrf(), session_cookie, bound.as_deref(), now) {
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

/// `base` with `segments` appended, each percent-encoded as one path segment (an id may hold
/// `/`, `?` or `%`).
pub fn under(base: &str, segments: &[&str]) -> String {
    let Ok(mut url) = url::Url::parse(base) else {
        return base.to_owned();
    };
    if let Ok(mut path) = url.path_segments_mut() {
        path.extend(segments);
    }
    url.to_string()
}

/// A form that carries only its CSRF token and, for a deletion, the id typed again.
#[derive(serde::Deserialize)]
pub struct Confirmed {
    pub csrf_token: Option<String>,
    pub confirm: Option<String>,
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
        connections_url => settings.endpoint(CONNECTIONS),
        keys_url => settings.endpoint(KEYS),
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

#[cfg(test)]
mod tests {
    use super::*;
    use sesame_core::csrf::CsrfKey;

    #[test]
    fn an_id_is_one_segment_of_the_url() {
        let clients = "https://id.example/t/admin/clients";
        assert_eq!(
            under(clients, &["a b/c?", "secret"]),
            "https://id.example/t/admin/clients/a%20b%2Fc%3F/secret"
        );
        assert_eq!(
            under(clients, &["x"]),
            "https://id.example/t/admin/clients/x"
        );
    }

    #[test]
    fn the_console_cookie_holds_for_its_session_and_its_hour_only() {
        let key = CsrfKey::new(b"0123456789abcdef0123456789abcdef");
        let cookie = cookie_value(&key, "session-1", 1000);
        assert!(cookie_holds(&key, "session-1", Some(&cookie), 1000));
        assert!(cookie_holds(
            &key,
            "session-1",
            Some(&cookie),
            1000 + CONSOLE_AGE - 1
        ));
        assert!(!cookie_holds(
            &key,
            "session-1",
            Some(&cookie),
            1000 + CONSOLE_AGE
        ));
        assert!(
            !cookie_holds(&key, "session-2", Some(&cookie), 1000),
            "another session"
        );
        assert!(
            !cookie_holds(&key, "session-1", Some(&cookie), 999),
            "from the future"
        );
        // A later time cannot be written in: the MAC covers it.
        let (_, mac) = cookie.split_once('.').unwrap();
        let moved = format!("2000.{mac}");
        assert!(!cookie_holds(&key, "session-1", Some(&moved), 2000));
        // A form's CSRF token for a browser named like the console is not the cookie.
        let csrf = key.token("sesame-console", Some("session-1"));
        assert!(!cookie_holds(
            &key,
            "session-1",
            Some(&format!("1000.{csrf}")),
            1000
        ));
        assert!(!cookie_holds(&key, "session-1", None, 1000));
    }
}
