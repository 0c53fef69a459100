//! `/admin/users`: find people, create them, and on each person's page reset the password,
//! disable or enable, unlock, end sessions, withdraw consents and unlink identities. Every
//! change is `manage`'s, audited as the signed-in administrator.

use super::{Console, USERS, chrome};
use crate::extract::PageForm;
use crate::manage::Manager;
use crate::manage::users::NewUser;
use crate::state::AppState;
use crate::ui::error::PageError;
use crate::ui::page;
use crate::ui::respond::see_other;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use sesame_core::store::UserQuery;
use sesame_core::user::{Role, StandardClaims, User};

const PAGE: u32 = 50;

/// `{users}/{segments...}`, each segment percent-encoded.
fn url(state: &AppState, segments: &[&str]) -> String {
    let base = state.provider.settings().endpoint(USERS);
    let Ok(mut url) = url::Url::parse(&base) else {
        return base;
    };
    if let Ok(mut path) = url.path_segments_mut() {
        path.extend(segments);
    }
    url.to_string()
}

#[derive(serde::Deserialize, Default)]
pub struct Search {
    search: Option<String>,
    after: Option<String>,
}

async fn list_page(
    state: &AppState,
    console: &Console,
    search: Search,
    status: StatusCode,
    error: Option<String>,
) -> Result<Response, PageError> {
    let query = UserQuery {
        search: search.search.clone().filter(|s| !s.trim().is_empty()),
        after: search.after.filter(|s| !s.is_empty()),
        limit: PAGE,
    };
    let manager = Manager::for_request(&state.provider, console.origin.clone());
    let users = manager.list_users(&query).await?;
    let next = (users.len() == PAGE as usize)
        .then(|| users.last().map(|u| u.username.clone()))
        .flatten();
    let rows: Vec<minijinja::Value> = users
        .iter()
        .map(|u| {
            minijinja::context! {
                username => u.username, email => u.claims.email, name => u.claims.name,
                disabled => u.disabled, admin => u.has_role(Role::Admin),
                url => url(state, &[&u.id]),
            }
        })
        .collect();
    Ok(page(
        status,
        "console_users.html",
        minijinja::context! {
            users => rows, search => query.search, next, error,
            ..chrome(state, console)
        },
    ))
}

pub async fn list(
    State(state): State<AppState>,
    console: Console,
    Query(search): Query<Search>,
) -> Result<Response, PageError> {
    list_page(&state, &console, search, StatusCode::OK, None).await
}

#[derive(serde::Deserialize)]
pub struct NewPerson {
    csrf_token: Option<String>,
    #[serde(default)]
    username: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    admin: Option<String>,
}

pub async fn create(
    State(state): State<AppState>,
    console: Console,
    PageForm(form): PageForm<NewPerson>,
) -> Result<Response, PageError> {
    if !console.browser.sent_its_form(form.csrf_token.as_deref()) {
        return Err(PageError::Forgery);
    }
    let new = NewUser {
        username: form.username.trim().to_owned(),
        claims: StandardClaims {
            email: Some(form.email.trim().to_owned()).filter(|e| !e.is_empty()),
            ..Default::default()
        },
        password: Some(form.password).filter(|p| !p.is_empty()),
        disabled: false,
        roles: form
            .admin
            .is_some()
            .then_some(Role::Admin)
            .into_iter()
            .collect(),
    };
    let manager = Manager::for_request(&state.provider, console.origin.clone());
    match manager.create_user(new).await {
        Ok(user) => Ok(see_other(&url(&state, &[&user.id]))),
        Err(crate::manage::ManageError::Invalid { message, .. }) => {
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            list_page(&state, &console, Search::default(), status, Some(message)).await
        }
        Err(crate::manage::ManageError::Conflict(message)) => {
            let status = StatusCode::CONFLICT;
            list_page(&state, &console, Search::default(), status, Some(message)).await
        }
        Err(e) => Err(e.into()),
    }
}

async fn person_page(
    state: &AppState,
    console: &Console,
    manager: &Manager<'_>,
    user: &User,
    status: StatusCode,
    error: Option<String>,
) -> Result<Response, PageError> {
    let store = manager.store;
    let sessions: Vec<minijinja::Value> = store
        .list_sessions(&user.id, manager.now)
        .await
        .map_err(|e| PageError::Unavailable(e.to_string()))?
        .iter()
        .map(|s| {
            minijinja::context! {
                sid => s.sid,
                signed_in => crate::cli::output::time(s.auth_time),
                expires => crate::cli::output::time(s.expires_at),
                revoke_url => url(state, &[&user.id, "sessions", &s.sid, "revoke"]),
            }
        })
        .collect();
    let consents: Vec<minijinja::Value> = manager
        .consents(user)
        .await?
        .iter()
        .map(|c| {
            minijinja::context! {
                client_id => c.client_id, scope => c.scope.to_string(),
                granted => crate::cli::output::time(c.granted_at),
                revoke_url => url(state, &[&user.id, "consents", &c.client_id, "revoke"]),
            }
        })
        .collect();
    let identities: Vec<minijinja::Value> = store
        .list_linked_identities(&user.id)
        .await
        .map_err(|e| PageError::Unavailable(e.to_string()))?
        .iter()
        .map(|(connection, subject)| {
            minijinja::context! {
                connection, subject,
                unlink_url => url(state, &[&user.id, "identities", connection, "unlink"]),
            }
        })
        .collect();
    let locked_until = manager
        .locked_until(user)
        .await?
        .map(crate::cli::output::time);
    Ok(page(
        status,
        "console_user.html",
        minijinja::context! {
            person => minijinja::context! {
                sub => user.id, username => user.username, email => user.claims.email,
                name => user.claims.name, disabled => user.disabled,
                admin => user.has_role(Role::Admin), has_password => user.password_hash.is_some(),
            },
            locked_until, sessions, consents, identities, error,
            password_url => url(state, &[&user.id, "password"]),
            state_url => url(state, &[&user.id, "state"]),
            unlock_url => url(state, &[&user.id, "unlock"]),
            end_all_url => url(state, &[&user.id, "sessions", "revoke"]),
            ..chrome(state, console)
        },
    ))
}

pub async fn show(
    State(state): State<AppState>,
    console: Console,
    Path(sub): Path<String>,
) -> Result<Response, PageError> {
    let manager = Manager::for_request(&state.provider, console.origin.clone());
    let user = manager.find_user(&sub).await?;
    person_page(&state, &console, &manager, &user, StatusCode::OK, None).await
}

#[derive(serde::Deserialize)]
pub struct Action {
    csrf_token: Option<String>,
    #[serde(default)]
    password: String,
    disabled: Option<String>,
}

/// What a form on a person's page asks for.
enum Change<'a> {
    Password,
    State,
    Unlock,
    EndSession(Option<&'a str>),
    WithdrawConsent(&'a str),
    Unlink(&'a str),
}

async fn apply(
    state: &AppState,
    console: &Console,
    sub: &str,
    form: Action,
    change: Change<'_>,
) -> Result<Response, PageError> {
    if !console.browser.sent_its_form(form.csrf_token.as_deref()) {
        return Err(PageError::Forgery);
    }
    let manager = Manager::for_request(&state.provider, console.origin.clone());
    let user = manager.find_user(sub).await?;
    let done = match change {
        Change::Password => manager
            .set_password(user.clone(), form.password)
            .await
            .map(drop),
        Change::State => {
            let disabled = form.disabled.as_deref() == Some("true");
            // An administrator who disabled themselves would lock themselves out of here.
            if disabled && user.id == console.user.id {
                let message = "You cannot disable your own account from the console.".to_owned();
                let status = StatusCode::UNPROCESSABLE_ENTITY;
                return person_page(state, console, &manager, &user, status, Some(message)).await;
            }
            manager
                .update_user(user.clone(), None, |p| {
                    p.disabled = disabled;
                    Ok(())
                })
                .await
                .map(drop)
        }
        Change::Unlock => manager.unlock_user(&user).await.map(drop),
        Change::EndSession(sid) => manager.revoke_sessions(&user, sid).await.map(drop),
        Change::WithdrawConsent(client_id) => manager.revoke_consent(&user, client_id).await,
        Change::Unlink(connection) => manager.unlink_identity(&user, connection).await,
    };
    match done {
        Ok(()) => Ok(see_other(&url(state, &[sub]))),
        Err(crate::manage::ManageError::Invalid { message, .. }) => {
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            person_page(state, console, &manager, &user, status, Some(message)).await
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn set_password(
    State(state): State<AppState>,
    console: Console,
    Path(sub): Path<String>,
    PageForm(form): PageForm<Action>,
) -> Result<Response, PageError> {
    apply(&state, &console, &sub, form, Change::Password).await
}

pub async fn set_state(
    State(state): State<AppState>,
    console: Console,
    Path(sub): Path<String>,
    PageForm(form): PageForm<Action>,
) -> Result<Response, PageError> {
    apply(&state, &console, &sub, form, Change::State).await
}

pub async fn unlock(
    State(state): State<AppState>,
    console: Console,
    Path(sub): Path<String>,
    PageForm(form): PageForm<Action>,
) -> Result<Response, PageError> {
    apply(&state, &console, &sub, form, Change::Unlock).await
}

pub async fn end_sessions(
    State(state): State<AppState>,
    console: Console,
    Path(sub): Path<String>,
    PageForm(form): PageForm<Action>,
) -> Result<Response, PageError> {
    apply(&state, &console, &sub, form, Change::EndSession(None)).await
}

pub async fn end_session(
    State(state): State<AppState>,
    console: Console,
    Path((sub, sid)): Path<(String, String)>,
    PageForm(form): PageForm<Action>,
) -> Result<Response, PageError> {
    apply(&state, &console, &sub, form, Change::EndSession(Some(&sid))).await
}

pub async fn withdraw_consent(
    State(state): State<AppState>,
    console: Console,
    Path((sub, client_id)): Path<(String, String)>,
    PageForm(form): PageForm<Action>,
) -> Result<Response, PageError> {
    apply(
        &state,
        &console,
        &sub,
        form,
        Change::WithdrawConsent(&client_id),
    )
    .await
}

pub async fn unlink(
    State(state): State<AppState>,
    console: Console,
    Path((sub, connection)): Path<(String, String)>,
    PageForm(form): PageForm<Action>,
) -> Result<Response, PageError> {
    apply(&state, &console, &sub, form, Change::Unlink(&connection)).await
}
