//! `/admin/connections`: the upstream identity providers people may sign in with. A saved
//! client secret is never shown again; editing a connection keeps it unless a new one is typed.

use super::fields::Fields;
use super::{CONNECTIONS, Console, chrome};
use crate::extract::PageForm;
use crate::manage::connections::Precondition;
use crate::manage::{ManageError, Manager};
use crate::state::AppState;
use crate::ui::error::PageError;
use crate::ui::page;
use crate::ui::respond::see_other;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use sesame_core::endpoints::{FEDERATION_CALLBACK, for_connection};
use sesame_core::federation::{Connection, ConnectionKind};

fn url(state: &AppState, segments: &[&str]) -> String {
    super::under(&state.provider.settings().endpoint(CONNECTIONS), segments)
}

/// The connection a form describes; blank fields are unset, blank claim names the defaults.
fn sent(f: &Fields) -> Connection {
    let or = |name: &str, default: &str| {
        Some(f.one(name))
            .filter(|v| !v.is_empty())
            .unwrap_or(default)
            .to_owned()
    };
    Connection {
        id: f.one("id").to_owned(),
        kind: if f.one("kind") == "oauth2" {
            ConnectionKind::Oauth2
        } else {
            ConnectionKind::Oidc
        },
        display_name: f.one("display_name").to_owned(),
        issuer: f.optional("issuer"),
        authorization_endpoint: f.optional("authorization_endpoint"),
        token_endpoint: f.optional("token_endpoint"),
        userinfo_endpoint: f.optional("userinfo_endpoint"),
        client_id: f.one("client_id").to_owned(),
        scopes: f
            .one("scopes")
            .split_whitespace()
            .map(str::to_owned)
            .collect(),
        trust_email: f.ticked("trust_email"),
        subject_claim: or("subject_claim", "sub"),
        email_claim: or("email_claim", "email"),
        name_claim: or("name_claim", "name"),
    }
}

/// The list, with the form showing `draft`: a connection to edit (`editing` the version it
/// was read at, its secret kept unless replaced), or what was sent and refused.
async fn list_page(
    state: &AppState,
    console: &Console,
    draft: Option<&Connection>,
    editing: Option<&str>,
    status: StatusCode,
    error: Option<String>,
) -> Result<Response, PageError> {
    let mut connections = state
        .provider
        .store()
        .list_connections()
        .await
        .map_err(|e| PageError::Unavailable(e.to_string()))?;
    connections.sort_by(|a, b| a.id.cmp(&b.id));
    let settings = state.provider.settings();
    let rows: Vec<minijinja::Value> = connections
        .iter()
        .map(|c| {
            minijinja::context! {
                id => c.id, name => c.display_name, kind => c.kind,
                upstream => c.issuer.as_ref().or(c.authorization_endpoint.as_ref()),
                edit_url => url(state, &[&c.id]),
                delete_url => url(state, &[&c.id, "delete"]),
                callback => settings.endpoint(&for_connection(FEDERATION_CALLBACK, &c.id)),
            }
        })
        .collect();
    Ok(page(
        status,
        "console_connections.html",
        minijinja::context! {
            editing => editing.is_some(), version => editing,
            connections => rows, draft, error,
            callback_pattern => settings.endpoint(FEDERATION_CALLBACK),
            ..chrome(state, console)
        },
    ))
}

pub async fn list(State(state): State<AppState>, console: Console) -> Result<Response, PageError> {
    list_page(&state, &console, None, None, StatusCode::OK, None).await
}

/// The list with this connection in the form, to change it.
pub async fn show(
    State(state): State<AppState>,
    console: Console,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let connection = stored(&state, &id).await?;
    let version = crate::manage::connections::etag(&connection);
    let editing = Some(version.as_str());
    list_page(
        &state,
        &console,
        Some(&connection),
        editing,
        StatusCode::OK,
        None,
    )
    .await
}

async fn stored(state: &AppState, id: &str) -> Result<Connection, PageError> {
    state
        .provider
        .store()
        .get_connection(id)
        .await
        .map_err(|e| PageError::Unavailable(e.to_string()))?
        .map(|(c, _)| c)
        .ok_or_else(|| PageError::NotFound(format!("There is no connection {id}.")))
}

pub async fn save(
    State(state): State<AppState>,
    console: Console,
    form: PageForm<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let fields = Fields::checked(form, &console.browser)?;
    let connection = sent(&fields);
    let secret = fields.optional("client_secret");
    // The add form makes a new one only; the edit form changes the version it showed.
    let editing = fields.ticked("editing").then(|| fields.one("version"));
    let precondition = editing.map_or(Precondition::Absent, Precondition::Matches);
    let manager = Manager::for_request(&state.provider, console.origin.clone());
    let saved = manager
        .save_connection(&connection, secret.as_deref(), precondition)
        .await;
    let (status, message) = match saved {
        Ok(()) => return Ok(see_other(&state.provider.settings().endpoint(CONNECTIONS))),
        Err(ManageError::Invalid { message, .. }) => (StatusCode::UNPROCESSABLE_ENTITY, message),
        Err(ManageError::Conflict(message)) => (StatusCode::CONFLICT, message),
        // Changed by someone else since the form was read: shown as it is now.
        Err(ManageError::Stale(message)) => {
            let current = stored(&state, &connection.id).await?;
            let version = crate::manage::connections::etag(&current);
            let message = format!("{message}. It is shown as it is now: make your change again.");
            let (editing, status) = (Some(version.as_str()), StatusCode::CONFLICT);
            return list_page(
                &state,
                &console,
                Some(&current),
                editing,
                status,
                Some(message),
            )
            .await;
        }
        Err(e) => return Err(e.into()),
    };
    list_page(
        &state,
        &console,
        Some(&connection),
        editing,
        status,
        Some(message),
    )
    .await
}

pub async fn delete(
    State(state): State<AppState>,
    console: Console,
    Path(id): Path<String>,
    PageForm(form): PageForm<super::Confirmed>,
) -> Result<Response, PageError> {
    if !console.browser.sent_its_form(form.csrf_token.as_deref()) {
        return Err(PageError::Forgery);
    }
    if form.confirm.as_deref().map(str::trim) != Some(id.as_str()) {
        let message = format!(
            "To delete {id} (and unlink every account signed in through it), type its id beside the button."
        );
        let status = StatusCode::UNPROCESSABLE_ENTITY;
        return list_page(&state, &console, None, None, status, Some(message)).await;
    }
    let manager = Manager::for_request(&state.provider, console.origin.clone());
    manager.delete_connection(&id).await?;
    Ok(see_other(&state.provider.settings().endpoint(CONNECTIONS)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_form_makes_the_connection_it_shows() {
        let pairs = [
            ("id", "corp"),
            ("kind", "oauth2"),
            ("display_name", "Corp"),
            ("authorization_endpoint", "https://corp.example/authorize"),
            ("issuer", " "),
            ("client_id", "sesame"),
            ("scopes", "read:user  user:email"),
            ("subject_claim", "id"),
            ("email_claim", ""),
        ];
        let fields = Fields::from_pairs(&pairs);
        let c = sent(&fields);
        assert_eq!(c.kind, ConnectionKind::Oauth2);
        assert_eq!(c.issuer, None);
        assert_eq!(c.scopes, ["read:user", "user:email"]);
        assert_eq!(
            (c.subject_claim.as_str(), c.email_claim.as_str()),
            ("id", "email")
        );
        assert!(!c.trust_email);
        // It renders back into the form with what was typed.
        let context = minijinja::context! {
            connections => Vec::<()>::new(), draft => c, editing => true,
            console => true, csrf_token => "t",
        };
        let html = crate::ui::render("console_connections.html", context).unwrap();
        assert!(html.contains("value=\"read:user user:email\""), "{html}");
        assert!(
            html.contains("<option value=\"oauth2\" selected>"),
            "{html}"
        );
        assert!(html.contains("leave empty to keep"), "{html}");
    }
}
