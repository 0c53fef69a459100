//! `/admin/clients`: the list, and registering a client (its secret shown once); the rules
//! are `manage`'s, so a client made here is one the CLI and the API would accept.

use super::{CLIENTS, Console, chrome};
use crate::extract::PageForm;
use crate::manage::{ManageError, Manager};
use crate::state::AppState;
use crate::ui::error::PageError;
use crate::ui::page;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde::{Deserialize, Serialize};
use sesame_core::client::{AuthMethod, Client, ClientMetadata, GrantType};
use sesame_core::scope::Scopes;

fn rows(clients_url: &str, clients: &[Client]) -> Vec<minijinja::Value> {
    clients
        .iter()
        .map(|c| {
            let m = &c.metadata;
            minijinja::context! {
                client_id => c.client_id,
                url => super::under(clients_url, &[&c.client_id]),
                name => m.client_name,
                auth => m.token_endpoint_auth_method.as_str(),
                grants => m.grant_types.iter().map(|g| g.as_str()).collect::<Vec<_>>().join(", "),
                scope => m.scope.to_string(),
                admin => m.admin,
                own => [super::CLIENT_ID, crate::manage::clients::ACCOUNT_CLIENT_ID]
                    .contains(&c.client_id.as_str()),
            }
        })
        .collect()
}

/// The list, with the registration form showing `form` (what was sent, when it was refused).
async fn list_page(
    state: &AppState,
    console: &Console,
    form: &NewClient,
    status: StatusCode,
    error: Option<String>,
) -> Result<Response, PageError> {
    let mut clients = state
        .provider
        .store()
        .list_clients()
        .await
        .map_err(|e| PageError::Unavailable(e.to_string()))?;
    clients.sort_by(|a, b| a.client_id.cmp(&b.client_id));
    Ok(page(
        status,
        "console_clients.html",
        minijinja::context! {
            clients => rows(&state.provider.settings().endpoint(CLIENTS), &clients),
            form, error,
            ..chrome(state, console)
        },
    ))
}

pub async fn list(State(state): State<AppState>, console: Console) -> Result<Response, PageError> {
    let blank = NewClient::default();
    list_page(&state, &console, &blank, StatusCode::OK, None).await
}

#[derive(Deserialize, Serialize, Default)]
pub struct NewClient {
    #[serde(default, skip_serializing)]
    csrf_token: Option<String>,
    #[serde(default)]
    client_id: String,
    #[serde(default)]
    client_name: String,
    /// service, web or spa.
    #[serde(default)]
    kind: String,
    #[serde(default)]
    redirect_uris: String,
    #[serde(default)]
    scope: String,
}

/// The metadata a kind of client starts from, as the CLI's flags would give it.
fn metadata(form: &NewClient) -> Result<ClientMetadata, ManageError> {
    let (grants, method) = match form.kind.as_str() {
        "service" => (
            vec![GrantType::ClientCredentials],
            AuthMethod::ClientSecretBasic,
        ),
        "web" => (
            vec![GrantType::AuthorizationCode, GrantType::RefreshToken],
            AuthMethod::ClientSecretBasic,
        ),
        "spa" => (vec![GrantType::AuthorizationCode], AuthMethod::None),
        _ => {
            let message = "Choose what kind of application this is.";
            return Err(ManageError::invalid(Some("kind"), message));
        }
    };
    let scope = Scopes::parse(form.scope.trim())
        .map_err(|e| ManageError::invalid(Some("scope"), format!("scope: {}", e.description)))?;
    Ok(ClientMetadata {
        client_name: Some(form.client_name.trim().to_owned()).filter(|n| !n.is_empty()),
        redirect_uris: form
            .redirect_uris
            .split_whitespace()
            .map(str::to_owned)
            .collect(),
        response_types: ClientMetadata::default_response_types(&grants),
        grant_types: grants,
        token_endpoint_auth_method: method,
        scope,
        ..Default::default()
    })
}

pub async fn create(
    State(state): State<AppState>,
    console: Console,
    PageForm(form): PageForm<NewClient>,
) -> Result<Response, PageError> {
    if !console.browser.sent_its_form(form.csrf_token.as_deref()) {
        return Err(PageError::Forgery);
    }
    let id = Some(form.client_id.trim().to_owned()).filter(|id| !id.is_empty());
    let manager = Manager::for_request(&state.provider, console.origin.clone());
    let created = match metadata(&form) {
        Ok(m) => manager.create_client(id, m).await,
        Err(e) => Err(e),
    };
    let (status, message) = match created {
        Ok(saved) => {
            let status = StatusCode::CREATED;
            return Ok(super::client::secret_page(&state, &console, status, &saved));
        }
        Err(ManageError::Invalid { message, .. }) => (StatusCode::UNPROCESSABLE_ENTITY, message),
        Err(ManageError::Conflict(message)) => (StatusCode::CONFLICT, message),
        Err(e) => return Err(e.into()),
    };
    list_page(&state, &console, &form, status, Some(message)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_clients_page_renders_every_kind_of_row_and_keeps_what_was_typed() {
        let mut public = crate::console::client("https://id.example");
        public.metadata.admin = false;
        let mut service = public.clone();
        service.client_id = "a b/c".into();
        service.secret_hash = Some(sesame_core::secret::Secret::generate().hash());
        let form = NewClient {
            client_name: "<i>typed</i>".into(),
            kind: "web".into(),
            ..Default::default()
        };
        let context = minijinja::context! {
            clients => rows("https://id.example/admin/clients", &[public, service]),
            form, error => "<b>x</b>", console => true, csrf_token => "t",
        };
        let html = crate::ui::render("console_clients.html", context).unwrap();
        let link = "https:&#x2f;&#x2f;id.example&#x2f;admin&#x2f;clients&#x2f;a%20b%2Fc";
        assert!(html.contains(link), "{html}");
        assert!(!html.contains("<b>x</b>"));
        assert!(
            html.contains("value=\"&lt;i&gt;typed&lt;&#x2f;i&gt;\""),
            "{html}"
        );
        assert!(html.contains("<option value=\"web\" selected>"), "{html}");
    }
}
