//! `/admin/v1/users`: people, shaped like a `[[users]]` table (claims beside `sub`,
//! `username` and `disabled`), and what they hold: sessions, consents, linked identities.

use super::auth::Admin;
use super::body::{JsonObject, QueryParams, merge_patch, parse, refuse_members};
use super::problem::Problem;
use super::{Created, Tagged, if_match, location, manager};
use crate::manage::users::{NewUser, describe, etag};
use crate::manage::{ManageError, Manager};
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Deserialize;
use serde_json::{Map, Value, json};
use sesame_core::audit::Origin;
use sesame_core::store::UserQuery;
use sesame_core::user::{Role, User};
use utoipa::IntoParams;

#[derive(Debug, Deserialize, IntoParams)]
pub struct ListParams {
    /// Users whose username or email contains this, ignoring ASCII case.
    search: Option<String>,
    /// The `next` of the previous page.
    after: Option<String>,
    /// Users per page, 1 to 200 (default 50).
    limit: Option<u32>,
}

/// List users in username order, a page at a time.
#[utoipa::path(get, path = "/users", tag = "users", params(ListParams),
    responses((status = 200, description = "A page of users; `next` is the cursor of the next page", body = super::schema::UserPage),
              (status = 422, description = "A member breaks a rule (pointer in errors)", body = Problem)))]
pub async fn list(
    State(state): State<AppState>,
    Admin(origin): Admin,
    QueryParams(params): QueryParams<ListParams>,
) -> Result<Response, Problem> {
    let limit = params.limit.unwrap_or(50);
    if !(1..=200).contains(&limit) {
        return Err(Problem::invalid(Some("limit"), "limit: 1 to 200"));
    }
    let after = params
        .after
        .map(|cursor| {
            URL_SAFE_NO_PAD
                .decode(&cursor)
                .ok()
                .and_then(|b| String::from_utf8(b).ok())
                .filter(|name| !name.contains('\0'))
                .ok_or_else(|| Problem::invalid(Some("after"), "after: not a cursor this API gave"))
        })
        .transpose()?;
    let query = UserQuery {
        search: params.search.filter(|s| !s.is_empty()),
        after,
        limit,
    };
    let users = manager(&state, origin).list_users(&query).await?;
    let next = (users.len() == limit as usize)
        .then(|| users.last().map(|u| URL_SAFE_NO_PAD.encode(&u.username)))
        .flatten();
    let items: Vec<Value> = users.iter().map(describe).collect();
    Ok(axum::Json(json!({ "items": items, "next": next })).into_response())
}

/// Create a user; `password`, when given, is checked and stored hashed.
#[utoipa::path(post, path = "/users", tag = "users",
    request_body(content = super::schema::NewUser),
    responses((status = 201, description = "Created", body = super::schema::User),
              (status = 409, description = "The id or username is taken", body = Problem), (status = 422, description = "A member breaks a rule (pointer in errors)", body = Problem)))]
pub async fn create(
    State(state): State<AppState>,
    Admin(origin): Admin,
    JsonObject(mut body): JsonObject,
) -> Result<Response, Problem> {
    let username = match body.remove("username") {
        Some(Value::String(name)) => name,
        _ => {
            return Err(Problem::invalid(
                Some("username"),
                "username: a string is required",
            ));
        }
    };
    let password = match body.remove("password") {
        None | Some(Value::Null) => None,
        Some(Value::String(p)) => Some(p),
        Some(_) => {
            return Err(Problem::invalid(
                Some("password"),
                "password: must be a string",
            ));
        }
    };
    let disabled = take_bool(&mut body, "disabled")?.unwrap_or(false);
    let roles = roles_of(body.remove("roles"))?;
    let claims = parse(Value::Object(body))?;
    let new = NewUser {
        username,
        claims,
        password,
        disabled,
        roles,
    };
    let user = manager(&state, origin).create_user(new).await?;
    Ok(Created {
        location: location(&state, &["users", &user.id]),
        etag: etag(&user),
        body: describe(&user),
    }
    .into_response())
}

/// The `roles` member: a list of roles (`admin`); absent or `null` is none.
fn roles_of(value: Option<Value>) -> Result<Vec<Role>, ManageError> {
    match value {
        None | Some(Value::Null) => Ok(Vec::new()),
        Some(v) => parse::<Vec<Role>>(v).map_err(|e| match e {
            ManageError::Invalid { message, .. } => {
                ManageError::invalid(Some("roles"), format!("roles: {message}"))
            }
            other => other,
        }),
    }
}

fn take_bool(body: &mut Map<String, Value>, member: &str) -> Result<Option<bool>, Problem> {
    match body.remove(member) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(b)),
        Some(_) => Err(Problem::invalid(
            Some(member),
            format!("{member}: must be true or false"),
        )),
    }
}

/// The request's manager and the user its path names.
async fn subject<'a>(
    state: &'a AppState,
    origin: Origin,
    sub: &str,
) -> Result<(Manager<'a>, User), Problem> {
    let manager = manager(state, origin);
    let user = manager.find_user(sub).await?;
    Ok((manager, user))
}

/// Read one user, with `locked_until` when repeated wrong passwords locked the account.
#[utoipa::path(get, path = "/users/{sub}", tag = "users", params(("sub" = String, Path)),
    responses((status = 200, description = "The user, with its ETag", body = super::schema::User),
              (status = 404, description = "No such resource", body = Problem)))]
pub async fn get(
    State(state): State<AppState>,
    Admin(origin): Admin,
    Path(sub): Path<String>,
) -> Result<Response, Problem> {
    let (manager, user) = subject(&state, origin, &sub).await?;
    let mut body = describe(&user);
    body["locked_until"] = manager.locked_until(&user).await?.into();
    Ok(Tagged {
        etag: etag(&user),
        body,
    }
    .into_response())
}

/// Change the username, the claims or `disabled` by a JSON merge patch (RFC 7396).
/// Disabling ends the user's sessions, and their tokens stop working.
#[utoipa::path(patch, path = "/users/{sub}", tag = "users",
    params(("sub" = String, Path), ("If-Match" = Option<String>, Header, description = "The ETag read")),
    request_body(content = super::schema::UserPatch, content_type = "application/merge-patch+json"),
    responses((status = 200, description = "Changed", body = super::schema::User),
              (status = 404, description = "No such resource", body = Problem), (status = 409, description = "Taken, or changed by a racing request", body = Problem),
              (status = 412, description = "Changed since the If-Match ETag was read", body = Problem), (status = 422, description = "A member breaks a rule (pointer in errors)", body = Problem)))]
pub async fn update(
    State(state): State<AppState>,
    Admin(origin): Admin,
    Path(sub): Path<String>,
    headers: HeaderMap,
    JsonObject(patch): JsonObject,
) -> Result<Response, Problem> {
    refuse_members(
        &patch,
        &[
            "sub",
            "has_password",
            "created_at",
            "updated_at",
            "locked_until",
            "password",
        ],
        "passwords are set at PUT /users/{sub}/password",
    )?;
    let (manager, user) = subject(&state, origin, &sub).await?;
    let user = manager
        .update_user(user, if_match(&headers), |profile| {
            let mut current = serde_json::to_value(&profile.claims).unwrap_or_default();
            current["username"] = profile.username.clone().into();
            current["disabled"] = profile.disabled.into();
            current["roles"] = serde_json::to_value(&profile.roles).unwrap_or_default();
            merge_patch(&mut current, Value::Object(patch));
            let Value::Object(mut merged) = current else {
                return Err(ManageError::invalid(None, "the patch must be an object"));
            };
            profile.username = match merged.remove("username") {
                Some(Value::String(name)) => name,
                _ => {
                    return Err(ManageError::invalid(
                        Some("username"),
                        "username: a string is required",
                    ));
                }
            };
            profile.disabled = match merged.remove("disabled") {
                None | Some(Value::Null) => false,
                Some(Value::Bool(b)) => b,
                Some(_) => {
                    return Err(ManageError::invalid(
                        Some("disabled"),
                        "disabled: must be true or false",
                    ));
                }
            };
            profile.roles = roles_of(merged.remove("roles"))?;
            profile.claims = parse(Value::Object(merged))?;
            Ok(())
        })
        .await?;
    Ok(Tagged {
        etag: etag(&user),
        body: describe(&user),
    }
    .into_response())
}

/// Delete a user, their sessions and linked identities.
#[utoipa::path(delete, path = "/users/{sub}", tag = "users", params(("sub" = String, Path)),
    responses((status = 204, description = "Deleted"), (status = 404, description = "No such resource", body = Problem)))]
pub async fn delete(
    State(state): State<AppState>,
    Admin(origin): Admin,
    Path(sub): Path<String>,
) -> Result<StatusCode, Problem> {
    let (manager, user) = subject(&state, origin, &sub).await?;
    manager.delete_user(&user).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewPassword {
    password: String,
}

/// Set the user's password (and lift a lockout).
#[utoipa::path(put, path = "/users/{sub}/password", tag = "users", params(("sub" = String, Path)),
    request_body(content = NewPassword),
    responses((status = 204, description = "Set"), (status = 404, description = "No such resource", body = Problem), (status = 422, description = "A member breaks a rule (pointer in errors)", body = Problem)))]
pub async fn set_password(
    State(state): State<AppState>,
    Admin(origin): Admin,
    Path(sub): Path<String>,
    JsonObject(body): JsonObject,
) -> Result<StatusCode, Problem> {
    let NewPassword { password } = parse(Value::Object(body))?;
    let (manager, user) = subject(&state, origin, &sub).await?;
    manager.set_password(user, password).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Lift a lockout after repeated wrong passwords, and forget the failures.
#[utoipa::path(post, path = "/users/{sub}/unlock", tag = "users", params(("sub" = String, Path)),
    responses((status = 200, description = "Until when it had been locked (null: it was not)", body = super::schema::Unlocked),
              (status = 404, description = "No such resource", body = Problem)))]
pub async fn unlock(
    State(state): State<AppState>,
    Admin(origin): Admin,
    Path(sub): Path<String>,
) -> Result<Response, Problem> {
    let (manager, user) = subject(&state, origin, &sub).await?;
    let held = manager.unlock_user(&user).await?;
    Ok(axum::Json(json!({ "was_locked_until": held })).into_response())
}

/// The user's unexpired sessions, newest sign-in first.
#[utoipa::path(get, path = "/users/{sub}/sessions", tag = "users", params(("sub" = String, Path)),
    responses((status = 200, description = "Sessions by sid", body = super::schema::SessionList), (status = 404, description = "No such resource", body = Problem)))]
pub async fn sessions(
    State(state): State<AppState>,
    Admin(origin): Admin,
    Path(sub): Path<String>,
) -> Result<Response, Problem> {
    let (manager, user) = subject(&state, origin, &sub).await?;
    let sessions = manager.store.list_sessions(&user.id, manager.now).await?;
    let items: Vec<Value> = sessions
        .iter()
        .map(|s| json!({ "sid": s.sid, "auth_time": s.auth_time, "expires_at": s.expires_at }))
        .collect();
    Ok(axum::Json(json!({ "items": items })).into_response())
}

/// End every session of the user: single sign-on stops on every node.
#[utoipa::path(delete, path = "/users/{sub}/sessions", tag = "users", params(("sub" = String, Path)),
    responses((status = 200, description = "How many ended", body = super::schema::Ended), (status = 404, description = "No such resource", body = Problem)))]
pub async fn revoke_sessions(
    State(state): State<AppState>,
    Admin(origin): Admin,
    Path(sub): Path<String>,
) -> Result<Response, Problem> {
    let (manager, user) = subject(&state, origin, &sub).await?;
    let ended = manager.revoke_sessions(&user, None).await?;
    Ok(axum::Json(json!({ "ended": ended })).into_response())
}

/// End one session.
#[utoipa::path(delete, path = "/users/{sub}/sessions/{sid}", tag = "users",
    params(("sub" = String, Path), ("sid" = String, Path)),
    responses((status = 204, description = "Ended"), (status = 404, description = "No such resource", body = Problem)))]
pub async fn revoke_session(
    State(state): State<AppState>,
    Admin(origin): Admin,
    Path((sub, sid)): Path<(String, String)>,
) -> Result<StatusCode, Problem> {
    let (manager, user) = subject(&state, origin, &sub).await?;
    manager.revoke_sessions(&user, Some(&sid)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The clients the user has consented to, and the scopes.
#[utoipa::path(get, path = "/users/{sub}/consents", tag = "users", params(("sub" = String, Path)),
    responses((status = 200, description = "Consents by client_id", body = super::schema::ConsentList), (status = 404, description = "No such resource", body = Problem)))]
pub async fn consents(
    State(state): State<AppState>,
    Admin(origin): Admin,
    Path(sub): Path<String>,
) -> Result<Response, Problem> {
    let (manager, user) = subject(&state, origin, &sub).await?;
    let items: Vec<Value> = manager
        .consents(&user)
        .await?
        .iter()
        .map(|c| json!({ "client_id": c.client_id, "scope": c.scope.to_string(), "granted_at": c.granted_at }))
        .collect();
    Ok(axum::Json(json!({ "items": items })).into_response())
}

/// Withdraw a consent: every token the client holds for the user stops working.
#[utoipa::path(delete, path = "/users/{sub}/consents/{client_id}", tag = "users",
    params(("sub" = String, Path), ("client_id" = String, Path)),
    responses((status = 204, description = "Withdrawn, and the client's tokens for the user revoked"), (status = 404, description = "No such resource", body = Problem)))]
pub async fn revoke_consent(
    State(state): State<AppState>,
    Admin(origin): Admin,
    Path((sub, client_id)): Path<(String, String)>,
) -> Result<StatusCode, Problem> {
    let (manager, user) = subject(&state, origin, &sub).await?;
    manager.revoke_consent(&user, &client_id).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The upstream identities linked to the user.
#[utoipa::path(get, path = "/users/{sub}/identities", tag = "users", params(("sub" = String, Path)),
    responses((status = 200, description = "Linked identities", body = super::schema::IdentityList), (status = 404, description = "No such resource", body = Problem)))]
pub async fn identities(
    State(state): State<AppState>,
    Admin(origin): Admin,
    Path(sub): Path<String>,
) -> Result<Response, Problem> {
    let (manager, user) = subject(&state, origin, &sub).await?;
    let items: Vec<Value> = manager
        .store
        .list_linked_identities(&user.id)
        .await?
        .iter()
        .map(|(connection, subject)| json!({ "connection": connection, "subject": subject }))
        .collect();
    Ok(axum::Json(json!({ "items": items })).into_response())
}

/// Unlink the user's identity at one connection.
#[utoipa::path(delete, path = "/users/{sub}/identities/{connection}", tag = "users",
    params(("sub" = String, Path), ("connection" = String, Path)),
    responses((status = 204, description = "Unlinked"), (status = 404, description = "No such resource", body = Problem)))]
pub async fn unlink(
    State(state): State<AppState>,
    Admin(origin): Admin,
    Path((sub, connection)): Path<(String, String)>,
) -> Result<StatusCode, Problem> {
    let (manager, user) = subject(&state, origin, &sub).await?;
    manager.unlink_identity(&user, &connection).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The user's second factors (never their secrets) and how many recovery codes are left.
#[utoipa::path(get, path = "/users/{sub}/factors", tag = "users", params(("sub" = String, Path)),
    responses((status = 200, description = "Second factors", body = super::schema::FactorList), (status = 404, description = "No such resource", body = Problem)))]
pub async fn factors(
    State(state): State<AppState>,
    Admin(origin): Admin,
    Path(sub): Path<String>,
) -> Result<Response, Problem> {
    let (manager, user) = subject(&state, origin, &sub).await?;
    let factors = manager.factors(&user).await?;
    let left = manager.store.unused_recovery_codes(&user.id).await?;
    let items: Vec<Value> = factors
        .iter()
        .map(crate::manage::factors::describe)
        .collect();
    Ok(axum::Json(json!({ "items": items, "recovery_codes_left": left })).into_response())
}

/// Remove a second factor (a lost phone); with the last one go the recovery codes.
#[utoipa::path(delete, path = "/users/{sub}/factors/{id}", tag = "users",
    params(("sub" = String, Path), ("id" = String, Path)),
    responses((status = 204, description = "Removed"), (status = 404, description = "No such resource", body = Problem)))]
pub async fn remove_factor(
    State(state): State<AppState>,
    Admin(origin): Admin,
    Path((sub, id)): Path<(String, String)>,
) -> Result<StatusCode, Problem> {
    let (manager, user) = subject(&state, origin, &sub).await?;
    manager.remove_factor(&user, &id).await?;
    Ok(StatusCode::NO_CONTENT)
}
