//! `/admin/users`: find people, create them, and on each person's page reset the password,
//! disable or enable, unlock, end sessions, withdraw consents and unlink identities. Every
//! change is `manage`'s, audited as the signed-in administrator.

use super::fields::Fields;
use super::{Console, USERS, chrome};
use crate::extract::PageForm;
use crate::manage::users::{NewUser, Profile};
use crate::manage::{ManageError, Manager};
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
    super::under(&state.provider.settings().endpoint(USERS), segments)
}

#[derive(serde::Deserialize, Default)]
pub struct Search {
    search: Option<String>,
    after: Option<String>,
}

/// The search results, with the create form showing `form` (what was sent, when refused;
/// never the password).
async fn list_page(
    state: &AppState,
    console: &Console,
    search: Search,
    form: &NewPerson,
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
            users => rows, search => query.search, next, error, form,
            ..chrome(state, console)
        },
    ))
}

pub async fn list(
    State(state): State<AppState>,
    console: Console,
    Query(search): Query<Search>,
) -> Result<Response, PageError> {
    let blank = NewPerson::default();
    list_page(&state, &console, search, &blank, StatusCode::OK, None).await
}

#[derive(serde::Deserialize, serde::Serialize, Default)]
pub struct NewPerson {
    #[serde(default, skip_serializing)]
    csrf_token: Option<String>,
    #[serde(default)]
    username: String,
    #[serde(default)]
    email: String,
    #[serde(default, skip_serializing)]
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
        password: Some(form.password.clone()).filter(|p| !p.is_empty()),
        disabled: false,
        roles: form
            .admin
            .is_some()
            .then_some(Role::Admin)
            .into_iter()
            .collect(),
    };
    let manager = Manager::for_request(&state.provider, console.origin.clone());
    let (status, message) = match manager.create_user(new).await {
        Ok(user) => return Ok(see_other(&url(&state, &[&user.id]))),
        Err(ManageError::Invalid { message, .. }) => (StatusCode::UNPROCESSABLE_ENTITY, message),
        Err(ManageError::Conflict(message)) => (StatusCode::CONFLICT, message),
        Err(e) => return Err(e.into()),
    };
    let search = Search::default();
    list_page(&state, &console, search, &form, status, Some(message)).await
}

/// The claims the console edits, in the order of its form; the others (the address, claims
/// in other languages) change over the API.
const EDITABLE: [&str; 10] = [
    "name",
    "given_name",
    "family_name",
    "nickname",
    "email",
    "phone_number",
    "locale",
    "zoneinfo",
    "picture",
    "website",
];

/// What the profile form shows: the user as stored, or what was sent and refused, with the
/// version it was read at.
#[derive(serde::Serialize)]
struct Draft {
    version: String,
    username: String,
    claims: Vec<(&'static str, String)>,
    email_verified: bool,
    admin: bool,
}

impl Draft {
    fn of(user: &User) -> Self {
        let claims = serde_json::to_value(&user.claims).unwrap_or_default();
        Self {
            version: crate::manage::users::etag(user),
            username: user.username.clone(),
            claims: EDITABLE
                .iter()
                .map(|&c| (c, claims[c].as_str().unwrap_or_default().to_owned()))
                .collect(),
            email_verified: user.claims.email_verified == Some(true),
            admin: user.has_role(Role::Admin),
        }
    }

    fn sent(f: &Fields) -> Self {
        Self {
            version: f.one("version").to_owned(),
            username: f.one("username").to_owned(),
            claims: EDITABLE.iter().map(|&c| (c, f.one(c).to_owned())).collect(),
            email_verified: f.ticked("email_verified"),
            admin: f.ticked("admin"),
        }
    }

    /// The profile with this draft's fields; the claims it does not show are kept.
    fn apply(&self, p: &mut Profile) -> Result<(), ManageError> {
        let mut claims = serde_json::to_value(&p.claims).unwrap_or_default();
        for (name, value) in &self.claims {
            claims[*name] = Some(value.as_str())
                .filter(|v| !v.is_empty())
                .map_or(serde_json::Value::Null, Into::into);
        }
        // Unticked means false only where the claim was set: a user nobody ever asserted
        // anything about keeps no `email_verified` at all.
        // A new address is not verified because the old one was: the box counts only when the
        // address stays (tick it again after changing it).
        let same_email =
            claims["email"] == serde_json::to_value(&p.claims.email).unwrap_or_default();
        claims["email_verified"] =
            match (self.email_verified && same_email, p.claims.email_verified) {
                (true, _) => true.into(),
                (false, Some(_)) => false.into(),
                (false, None) => serde_json::Value::Null,
            };
        if claims["phone_number"]
            != serde_json::to_value(&p.claims.phone_number).unwrap_or_default()
        {
            claims["phone_number_verified"] = serde_json::Value::Null;
        }
        p.claims = crate::manage::parse(claims)?;
        p.username = self.username.clone();
        p.roles.retain(|r| *r != Role::Admin);
        if self.admin {
            p.roles.push(Role::Admin);
        }
        Ok(())
    }
}

/// A person's page, drawn after whatever was done on it.
struct PersonPage<'a> {
    state: &'a AppState,
    console: &'a Console,
    manager: &'a Manager<'a>,
}

impl PersonPage<'_> {
    async fn show(
        &self,
        user: &User,
        draft: Draft,
        status: StatusCode,
        error: Option<String>,
    ) -> Result<Response, PageError> {
        let (state, console, manager) = (self.state, self.console, self.manager);
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
        let factors: Vec<minijinja::Value> = manager
            .factors(user)
            .await?
            .iter()
            .map(|f| {
                minijinja::context! {
                    id => f.id, name => f.name, kind => f.kind.as_str(),
                    added => crate::cli::output::time(f.created_at),
                    used => f.last_used_at.map(crate::cli::output::time),
                    remove_url => url(state, &[&user.id, "factors", &f.id, "remove"]),
                }
            })
            .collect();
        let recovery_codes_left = store
            .unused_recovery_codes(&user.id)
            .await
            .map_err(|e| PageError::Unavailable(e.to_string()))?;
        let locked_until = manager
            .locked_until(user)
            .await?
            .map(crate::cli::output::time);
        Ok(page(
            status,
            "console_user.html",
            minijinja::context! {
                person => minijinja::context! {
                    sub => user.id, username => user.username, disabled => user.disabled,
                    admin => user.has_role(Role::Admin), has_password => user.password_hash.is_some(),
                },
                locked_until, sessions, consents, identities, error, draft, factors,
                recovery_codes_left,
                edit_url => url(state, &[&user.id]),
                password_url => url(state, &[&user.id, "password"]),
                state_url => url(state, &[&user.id, "state"]),
                unlock_url => url(state, &[&user.id, "unlock"]),
                end_all_url => url(state, &[&user.id, "sessions", "revoke"]),
                ..chrome(state, console)
            },
        ))
    }
}

pub async fn show(
    State(state): State<AppState>,
    console: Console,
    Path(sub): Path<String>,
) -> Result<Response, PageError> {
    let manager = Manager::for_request(&state.provider, console.origin.clone());
    let person = PersonPage {
        state: &state,
        console: &console,
        manager: &manager,
    };
    let user = manager.find_user(&sub).await?;
    let draft = Draft::of(&user);
    person.show(&user, draft, StatusCode::OK, None).await
}

/// Saves the profile form: username, claims, the admin role; refused, with what was typed
/// kept, when a rule is broken; shown as it is now when someone changed it meanwhile.
pub async fn edit(
    State(state): State<AppState>,
    console: Console,
    Path(sub): Path<String>,
    form: PageForm<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let fields = Fields::checked(form, &console.browser)?;
    let draft = Draft::sent(&fields);
    let manager = Manager::for_request(&state.provider, console.origin.clone());
    let person = PersonPage {
        state: &state,
        console: &console,
        manager: &manager,
    };
    let user = manager.find_user(&sub).await?;
    // An administrator who gave up the role would lock themselves out of here.
    if !draft.admin && user.id == console.user.id {
        let message = "You cannot take the admin role from yourself in the console.".to_owned();
        let status = StatusCode::UNPROCESSABLE_ENTITY;
        return person.show(&user, draft, status, Some(message)).await;
    }
    let version = draft.version.clone();
    let saved = manager
        .update_user(user.clone(), Some(&version), |p| draft.apply(p))
        .await;
    let (status, message) = match saved {
        Ok(_) => return Ok(see_other(&url(&state, &[&sub]))),
        Err(ManageError::Invalid { message, .. }) => (StatusCode::UNPROCESSABLE_ENTITY, message),
        // A taken username: what was typed stays, to be corrected.
        Err(ManageError::Conflict(message)) => (StatusCode::CONFLICT, message),
        // Someone else's change since the page was read: shown as it is now.
        Err(ManageError::Stale(message)) => {
            let user = manager.find_user(&sub).await?;
            let message = format!("{message}. It is shown as it is now: make your change again.");
            let (draft, status) = (Draft::of(&user), StatusCode::CONFLICT);
            return person.show(&user, draft, status, Some(message)).await;
        }
        Err(e) => return Err(e.into()),
    };
    let draft = Draft::sent(&fields);
    person.show(&user, draft, status, Some(message)).await
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
    RemoveFactor(&'a str),
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
    let person = PersonPage {
        state,
        console,
        manager: &manager,
    };
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
                let draft = Draft::of(&user);
                return person.show(&user, draft, status, Some(message)).await;
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
        Change::RemoveFactor(id) => manager.remove_factor(&user, id).await,
    };
    match done {
        Ok(()) => Ok(see_other(&url(state, &[sub]))),
        Err(ManageError::Invalid { message, .. }) => {
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            let draft = Draft::of(&user);
            person.show(&user, draft, status, Some(message)).await
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

pub async fn remove_factor(
    State(state): State<AppState>,
    console: Console,
    Path((sub, id)): Path<(String, String)>,
    PageForm(form): PageForm<Action>,
) -> Result<Response, PageError> {
    apply(&state, &console, &sub, form, Change::RemoveFactor(&id)).await
}
