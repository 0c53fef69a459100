//! `/admin/clients`: list, register (the secret shown once), rotate a secret, delete; the
//! rules are `manage`'s, so a client made here is one the CLI and the API would accept.

use super::{CLIENTS, Console, chrome};
use crate::extract::PageForm;
use crate::manage::Manager;
use crate::state::AppState;
use crate::ui::error::PageError;
use crate::ui::page;
use crate::ui::respond::see_other;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use sesame_core::client::{AuthMethod, Client, ClientMetadata, GrantType};
use sesame_core::scope::Scopes;

/// `{clients}/{client_id}/{action}`, the id percent-encoded as one path segment.
fn action_url(clients: &str, client_id: &str, action: &str) -> String {
    let Ok(mut url) = url::Url::parse(clients) else {
        return clients.to_owned();
    };
    if let Ok(mut path) = url.path_segments_mut() {
        path.push(client_id).push(action);
    }
    url.to_string()
}

fn rows(clients_url: &str, clients: &[Client]) -> Vec<minijinja::Value> {
    clients
        .iter()
        .map(|c| {
            let m = &c.metadata;
            minijinja::context! {
                client_id => c.client_id,
                secret_url => action_url(clients_url, &c.client_id, "secret"),
                delete_url => action_url(clients_url, &c.client_id, "delete"),
                name => m.client_name,
                auth => m.token_endpoint_auth_method.as_str(),
                grants => m.grant_types.iter().map(|g| g.as_str()).collect::<Vec<_>>().join(", "),
                scope => m.scope.to_string(),
                has_secret => c.secret_hash.is_some(),
                admin => m.admin,
            }
        })
        .collect()
}

async fn list_page(
    state: &AppState,
    console: &Console,
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
            error,
            ..chrome(state, console)
        },
    ))
}

pub async fn list(State(state): State<AppState>, console: Console) -> Result<Response, PageError> {
    list_page(&state, &console, StatusCode::OK, None).await
}

#[derive(serde::Deserialize)]
pub struct NewClient {
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
fn metadata(form: &NewClient) -> Result<ClientMetadata, String> {
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
        _ => return Err("Choose what kind of application this is.".to_owned()),
    };
    let scope =
        Scopes::parse(form.scope.trim()).map_err(|e| format!("scope: {}", e.description))?;
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
    let m = match metadata(&form) {
        Ok(m) => m,
        Err(e) => {
            return list_page(&state, &console, StatusCode::UNPROCESSABLE_ENTITY, Some(e)).await;
        }
    };
    let id = Some(form.client_id.trim().to_owned()).filter(|id| !id.is_empty());
    let manager = Manager::for_request(&state.provider, console.origin.clone());
    match manager.create_client(id, m).await {
        Ok(saved) => Ok(page(
            StatusCode::CREATED,
            "console_client_created.html",
            minijinja::context! {
                client_id => saved.client.client_id,
                client_secret => saved.secret.as_ref().map(|s| s.expose().to_owned()),
                token_endpoint => state.provider.settings().endpoint(sesame_core::endpoints::TOKEN),
                ..chrome(&state, &console)
            },
        )),
        Err(crate::manage::ManageError::Invalid { message, .. }) => {
            list_page(
                &state,
                &console,
                StatusCode::UNPROCESSABLE_ENTITY,
                Some(message),
            )
            .await
        }
        Err(crate::manage::ManageError::Conflict(message)) => {
            list_page(&state, &console, StatusCode::CONFLICT, Some(message)).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(serde::Deserialize)]
pub struct Confirmed {
    csrf_token: Option<String>,
    confirm: Option<String>,
}

pub async fn rotate(
    State(state): State<AppState>,
    console: Console,
    Path(client_id): Path<String>,
    PageForm(form): PageForm<Confirmed>,
) -> Result<Response, PageError> {
    if !console.browser.sent_its_form(form.csrf_token.as_deref()) {
        return Err(PageError::Forgery);
    }
    let manager = Manager::for_request(&state.provider, console.origin.clone());
    let saved = manager.rotate_client_secret(&client_id).await?;
    Ok(page(
        StatusCode::OK,
        "console_client_created.html",
        minijinja::context! {
            client_id => saved.client.client_id,
            client_secret => saved.secret.as_ref().map(|s| s.expose().to_owned()),
            rotated => true,
            token_endpoint => state.provider.settings().endpoint(sesame_core::endpoints::TOKEN),
            ..chrome(&state, &console)
        },
    ))
}

pub async fn delete(
    State(state): State<AppState>,
    console: Console,
    Path(client_id): Path<String>,
    PageForm(form): PageForm<Confirmed>,
) -> Result<Response, PageError> {
    if !console.browser.sent_its_form(form.csrf_token.as_deref()) {
        return Err(PageError::Forgery);
    }
    if client_id == super::CLIENT_ID {
        let message = "The console's own client cannot be deleted from the console.".to_owned();
        return list_page(
            &state,
            &console,
            StatusCode::UNPROCESSABLE_ENTITY,
            Some(message),
        )
        .await;
    }
    // The confirmation is the client_id typed again: a click alone deletes nothing.
    if form.confirm.as_deref().map(str::trim) != Some(client_id.as_str()) {
        let message =
            format!("To delete {client_id}, type its client_id in the box beside the button.");
        return list_page(
            &state,
            &console,
            StatusCode::UNPROCESSABLE_ENTITY,
            Some(message),
        )
        .await;
    }
    let manager = Manager::for_request(&state.provider, console.origin.clone());
    manager.delete_client(&client_id).await?;
    Ok(see_other(&state.provider.settings().endpoint(CLIENTS)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_clients_page_renders_every_kind_of_row() {
        let mut public = crate::console::client("https://id.example");
        public.metadata.admin = false;
        let mut service = public.clone();
        service.client_id = "a b/c".into();
        service.secret_hash = Some(sesame_core::secret::Secret::generate().hash());
        let context = minijinja::context! {
            clients => rows("https://id.example/admin/clients", &[public, service]),
            error => "<b>x</b>", console => true, csrf_token => "t",
        };
        let html = crate::ui::render("console_clients.html", context).unwrap();
        let secret =
            "https:&#x2f;&#x2f;id.example&#x2f;admin&#x2f;clients&#x2f;a%20b%2Fc&#x2f;secret";
        assert!(html.contains(secret), "{html}");
        assert!(!html.contains("<b>x</b>"));
    }
}
