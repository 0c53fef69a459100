//! `/admin/clients/{client_id}`: one client's page: its metadata edited (refused if another
//! operator changed it since the page was opened), its secret rotated, the client deleted.

use super::fields::Fields;
use super::{CLIENTS, Console, chrome, under};
use crate::extract::PageForm;
use crate::manage::clients::{Saved, describe, etag};
use crate::manage::{ManageError, Manager};
use crate::state::AppState;
use crate::ui::error::PageError;
use crate::ui::page_with_script;
use crate::ui::respond::see_other;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Serialize;
use sesame_core::client::{AccessTokenFormat, AuthMethod, Client, ClientMetadata, GrantType};
use sesame_core::scope::Scopes;

/// What the edit form shows: the client's metadata, or what the operator sent when it was
/// refused (so nothing typed is lost), with the version it was read at.
#[derive(Serialize)]
struct Draft {
    version: String,
    client_name: String,
    redirect_uris: String,
    post_logout_redirect_uris: String,
    response_types: String,
    grant_types: Vec<String>,
    token_endpoint_auth_method: String,
    scope: String,
    access_token_format: String,
    skip_consent: bool,
    require_mfa: bool,
}

/// A metadata value by its RFC 7591 name (`client_secret_post`, `opaque`).
fn named<T: serde::de::DeserializeOwned>(field: &str, value: &str) -> Result<T, ManageError> {
    serde_json::from_value(value.into())
        .map_err(|_| ManageError::invalid(Some(field), format!("{field}: {value:?} is not one")))
}

impl Draft {
    fn of(client: &Client) -> Self {
        let m = &client.metadata;
        Self {
            version: etag(client),
            client_name: m.client_name.clone().unwrap_or_default(),
            redirect_uris: m.redirect_uris.join("\n"),
            post_logout_redirect_uris: m.post_logout_redirect_uris.join("\n"),
            response_types: m.response_types.join("\n"),
            grant_types: m
                .grant_types
                .iter()
                .map(|g| g.as_str().to_owned())
                .collect(),
            token_endpoint_auth_method: m.token_endpoint_auth_method.as_str().to_owned(),
            scope: m.scope.to_string(),
            access_token_format: named_as_str(&m.access_token_format),
            skip_consent: m.skip_consent,
            require_mfa: m.require_mfa,
        }
    }

    fn sent(f: &Fields) -> Self {
        Self {
            version: f.one("version").to_owned(),
            client_name: f.one("client_name").to_owned(),
            redirect_uris: f.lines("redirect_uris").join("\n"),
            post_logout_redirect_uris: f.lines("post_logout_redirect_uris").join("\n"),
            response_types: f.lines("response_types").join("\n"),
            grant_types: f.all("grant_types").map(str::to_owned).collect(),
            token_endpoint_auth_method: f.one("token_endpoint_auth_method").to_owned(),
            scope: f.one("scope").to_owned(),
            access_token_format: f.one("access_token_format").to_owned(),
            skip_consent: f.ticked("skip_consent"),
            require_mfa: f.ticked("require_mfa"),
        }
    }

    /// The metadata with this draft's fields; the rest (keys, encryption, `admin`) is kept,
    /// and `Client::validate` (in `manage`) judges the whole.
    fn apply(&self, m: &mut ClientMetadata) -> Result<(), ManageError> {
        let lines = |s: &str| s.lines().map(str::to_owned).collect::<Vec<_>>();
        m.client_name = Some(self.client_name.clone()).filter(|n| !n.is_empty());
        m.redirect_uris = lines(&self.redirect_uris);
        m.post_logout_redirect_uris = lines(&self.post_logout_redirect_uris);
        m.response_types = lines(&self.response_types);
        m.grant_types = self
            .grant_types
            .iter()
            .map(|g| named::<GrantType>("grant_types", g))
            .collect::<Result<_, _>>()?;
        m.token_endpoint_auth_method = named::<AuthMethod>(
            "token_endpoint_auth_method",
            &self.token_endpoint_auth_method,
        )?;
        m.scope = Scopes::parse(&self.scope).map_err(|e| {
            ManageError::invalid(Some("scope"), format!("scope: {}", e.description))
        })?;
        m.access_token_format =
            named::<AccessTokenFormat>("access_token_format", &self.access_token_format)?;
        m.skip_consent = self.skip_consent;
        m.require_mfa = self.require_mfa;
        Ok(())
    }
}

/// A value's RFC 7591 name, as serde writes it.
fn named_as_str(value: &impl Serialize) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        _ => String::new(),
    }
}

async fn client_page(
    state: &AppState,
    console: &Console,
    client: &Client,
    draft: Draft,
    status: StatusCode,
    error: Option<String>,
) -> Result<Response, PageError> {
    let clients = state.provider.settings().endpoint(CLIENTS);
    let id = &client.client_id;
    Ok(crate::ui::page(
        status,
        "console_client.html",
        minijinja::context! {
            client_id => id,
            issued => crate::cli::output::time(client.created_at),
            has_secret => client.secret_hash.is_some(),
            admin => client.metadata.admin,
            own => [super::CLIENT_ID, crate::manage::clients::ACCOUNT_CLIENT_ID].contains(&id.as_str()),
            metadata => serde_json::to_string_pretty(&describe(client)).unwrap_or_default(),
            draft, error,
            grant_choices => GrantType::ALL.map(GrantType::as_str),
            auth_choices => AuthMethod::SUPPORTED.map(AuthMethod::as_str),
            format_choices => ["jwt", "opaque"],
            edit_url => under(&clients, &[id]),
            secret_url => under(&clients, &[id, "secret"]),
            delete_url => under(&clients, &[id, "delete"]),
            ..chrome(state, console)
        },
    ))
}

pub async fn show(
    State(state): State<AppState>,
    console: Console,
    Path(client_id): Path<String>,
) -> Result<Response, PageError> {
    let manager = Manager::for_request(&state.provider, console.origin.clone());
    let client = manager.find_client(&client_id).await?;
    let draft = Draft::of(&client);
    client_page(&state, &console, &client, draft, StatusCode::OK, None).await
}

pub async fn edit(
    State(state): State<AppState>,
    console: Console,
    Path(client_id): Path<String>,
    form: PageForm<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let fields = Fields::checked(form, &console.browser)?;
    let draft = Draft::sent(&fields);
    let manager = Manager::for_request(&state.provider, console.origin.clone());
    let saved = manager
        .update_client(&client_id, Some(&draft.version), |m| draft.apply(m))
        .await;
    let (status, message) = match saved {
        Ok(saved) if saved.secret.is_some() => {
            return Ok(secret_page(&state, &console, StatusCode::OK, &saved));
        }
        // What the operator should know (an OAuth 1.0a consumer without its secret) is said
        // on the client's page; otherwise back to it, as saved.
        Ok(saved) if !saved.notes.is_empty() => {
            let draft = Draft::of(&saved.client);
            let notes = Some(saved.notes.join(" "));
            return client_page(
                &state,
                &console,
                &saved.client,
                draft,
                StatusCode::OK,
                notes,
            )
            .await;
        }
        Ok(_) => {
            let clients = state.provider.settings().endpoint(CLIENTS);
            return Ok(see_other(&under(&clients, &[&client_id])));
        }
        // Someone else's change since this page was read: show it as it is now, so the
        // operator makes theirs again over it instead of undoing it.
        Err(ManageError::Stale(message)) => {
            let client = manager.find_client(&client_id).await?;
            let current = Draft::of(&client);
            let message = format!("{message}. It is shown as it is now: make your change again.");
            let status = StatusCode::CONFLICT;
            return client_page(&state, &console, &client, current, status, Some(message)).await;
        }
        Err(ManageError::Conflict(message)) => (StatusCode::CONFLICT, message),
        Err(ManageError::Invalid { message, .. }) => (StatusCode::UNPROCESSABLE_ENTITY, message),
        Err(e) => return Err(e.into()),
    };
    let client = manager.find_client(&client_id).await?;
    client_page(&state, &console, &client, draft, status, Some(message)).await
}

/// The console's one script: shows the copy buttons (hidden without it) and copies the text
/// of the element each names. The page lets the secret be selected and copied without it.
const COPY_SCRIPT: &str = "for(const b of document.querySelectorAll('button[data-copy]')){b.hidden=false;b.addEventListener('click',()=>{const t=document.getElementById(b.dataset.copy).textContent;const s=document.getElementById('copy-status');const say=m=>{b.textContent=m;if(s)s.textContent=m};navigator.clipboard.writeText(t).then(()=>say('Copied'),()=>say('Select it to copy'))})}";

/// The page that shows a new secret, the one time it is ever shown.
pub fn secret_page(
    state: &AppState,
    console: &Console,
    status: StatusCode,
    saved: &Saved,
) -> Response {
    let clients = state.provider.settings().endpoint(CLIENTS);
    let id = &saved.client.client_id;
    page_with_script(
        status,
        "console_client_created.html",
        minijinja::context! {
            client_id => id,
            client_secret => saved.secret.as_ref().map(|s| s.expose().to_owned()),
            notes => saved.notes,
            token_endpoint => state.provider.settings().endpoint(sesame_core::endpoints::TOKEN),
            client_url => under(&clients, &[id]),
            // 201: it was registered just now (else its secret was rotated, or made by an edit).
            created => status == StatusCode::CREATED,
            ..chrome(state, console)
        },
        COPY_SCRIPT,
    )
}

pub async fn rotate(
    State(state): State<AppState>,
    console: Console,
    Path(client_id): Path<String>,
    PageForm(form): PageForm<super::Confirmed>,
) -> Result<Response, PageError> {
    if !console.browser.sent_its_form(form.csrf_token.as_deref()) {
        return Err(PageError::Forgery);
    }
    let manager = Manager::for_request(&state.provider, console.origin.clone());
    match manager.rotate_client_secret(&client_id).await {
        Ok(saved) => Ok(secret_page(&state, &console, StatusCode::OK, &saved)),
        Err(e) => refused(&state, &console, &manager, &client_id, e).await,
    }
}

pub async fn delete(
    State(state): State<AppState>,
    console: Console,
    Path(client_id): Path<String>,
    PageForm(form): PageForm<super::Confirmed>,
) -> Result<Response, PageError> {
    if !console.browser.sent_its_form(form.csrf_token.as_deref()) {
        return Err(PageError::Forgery);
    }
    let manager = Manager::for_request(&state.provider, console.origin.clone());
    // The confirmation is the client_id typed again: a click alone deletes nothing.
    if form.confirm.as_deref().map(str::trim) != Some(client_id.as_str()) {
        let message =
            format!("To delete {client_id}, type its client_id in the box beside the button.");
        let e = ManageError::invalid(Some("confirm"), message);
        return refused(&state, &console, &manager, &client_id, e).await;
    }
    match manager.delete_client(&client_id).await {
        Ok(()) => Ok(see_other(&state.provider.settings().endpoint(CLIENTS))),
        Err(e) => refused(&state, &console, &manager, &client_id, e).await,
    }
}

/// A refused rotation or deletion, said on the client's page; other failures are error pages.
async fn refused(
    state: &AppState,
    console: &Console,
    manager: &Manager<'_>,
    client_id: &str,
    e: ManageError,
) -> Result<Response, PageError> {
    let (status, message) = match e {
        ManageError::Invalid { message, .. } => (StatusCode::UNPROCESSABLE_ENTITY, message),
        ManageError::Conflict(message) => (StatusCode::CONFLICT, message),
        e => return Err(e.into()),
    };
    let client = manager.find_client(client_id).await?;
    let draft = Draft::of(&client);
    client_page(state, console, &client, draft, status, Some(message)).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_draft_of_a_client_applies_back_to_the_same_metadata() {
        let mut client = crate::console::client("https://id.example");
        client.metadata.post_logout_redirect_uris = vec!["https://id.example/bye".into()];
        client.metadata.access_token_format = AccessTokenFormat::Opaque;
        let draft = Draft::of(&client);
        assert_eq!(draft.access_token_format, "opaque");
        let mut m = ClientMetadata::default();
        draft.apply(&mut m).unwrap();
        assert_eq!(m, client.metadata);
    }

    #[test]
    fn an_unknown_choice_is_pointed_at() {
        let client = crate::console::client("https://id.example");
        let mut draft = Draft::of(&client);
        draft.grant_types.push("magic".into());
        let e = draft.apply(&mut ClientMetadata::default()).unwrap_err();
        assert!(
            matches!(&e, ManageError::Invalid { message, .. } if message.contains("grant_types")),
            "{e:?}"
        );
    }
}
