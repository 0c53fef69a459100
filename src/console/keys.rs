//! `/admin/keys`: the signing keys in their states, and rotation now (for a key that must
//! stop signing; scheduled rotation needs nobody).

use super::{Console, KEYS, chrome};
use crate::extract::PageForm;
use crate::manage::Manager;
use crate::state::AppState;
use crate::ui::error::PageError;
use crate::ui::page;
use crate::ui::respond::see_other;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;

pub async fn list(State(state): State<AppState>, console: Console) -> Result<Response, PageError> {
    let now = state.provider.now();
    let mut keys = state
        .provider
        .store()
        .list_signing_keys()
        .await
        .map_err(|e| PageError::Unavailable(e.to_string()))?;
    keys.sort_by_key(|k| std::cmp::Reverse(k.created_at));
    let time = |t: Option<i64>| t.map(crate::cli::output::time);
    let rows: Vec<minijinja::Value> = keys
        .iter()
        .map(|k| {
            minijinja::context! {
                kid => k.kid, alg => k.alg.as_str(), state => k.state(now).as_str(),
                encrypted => k.encrypted,
                created => crate::cli::output::time(k.created_at),
                activates => crate::cli::output::time(k.activates_at),
                retired => time(k.retired_at), published_until => time(k.publish_until),
            }
        })
        .collect();
    Ok(page(
        StatusCode::OK,
        "console_keys.html",
        minijinja::context! {
            keys => rows,
            rotate_url => state.provider.settings().endpoint(super::KEYS_ROTATE),
            sealed => state.provider.master_key().is_some(),
            ..chrome(&state, &console)
        },
    ))
}

pub async fn rotate(
    State(state): State<AppState>,
    console: Console,
    PageForm(form): PageForm<super::Confirmed>,
) -> Result<Response, PageError> {
    if !console.browser.sent_its_form(form.csrf_token.as_deref()) {
        return Err(PageError::Forgery);
    }
    let manager = Manager::for_request(&state.provider, console.origin.clone());
    manager.rotate_keys(&state.provider).await?;
    Ok(see_other(&state.provider.settings().endpoint(KEYS)))
}
