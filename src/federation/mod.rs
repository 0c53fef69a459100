//! `/federation/{connection}/start` and `/federation/{connection}/callback`: the browser leaves
//! for the upstream and comes back, and the original authorization request continues as after a
//! local login. The round trip and its checks are `sesame_core::federation::round_trip`.

pub mod upstream;

use crate::state::AppState;
use crate::ui::browser::Browser;
use crate::ui::error::PageError;
use crate::ui::respond;
use crate::ui::sign_in::PageQuery;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use sesame_core::authorize::pending;
use sesame_core::federation::round_trip::{self, Callback, FederationError};

#[derive(serde::Deserialize)]
pub struct CallbackQuery {
    state: Option<String>,
    code: Option<String>,
    error: Option<String>,
    iss: Option<String>,
}

impl From<FederationError> for PageError {
    fn from(e: FederationError) -> Self {
        let message = e.to_string();
        match e {
            FederationError::UnknownConnection => Self::NotFound(message),
            FederationError::Gone
            | FederationError::OtherBrowser
            | FederationError::Refused { .. }
            | FederationError::NoCode => Self::BadRequest(message),
            FederationError::Upstream { .. } => Self::Upstream(message),
            FederationError::Refusal(_) => Self::Conflict(message),
            FederationError::Failed(e) => e.into(),
        }
    }
}

pub async fn start(
    State(state): State<AppState>,
    Path(id): Path<String>,
    browser: Browser,
    Query(q): Query<PageQuery>,
) -> Result<Response, PageError> {
    let (pending, _) = pending::load(&state.provider, q.id.as_deref(), browser.binding()).await?;
    let to = round_trip::start(&state.provider, state.upstream.as_ref(), &id, &pending).await?;
    Ok(respond::see_other(&to))
}

pub async fn callback(
    State(state): State<AppState>,
    Path(id): Path<String>,
    browser: Browser,
    Query(q): Query<CallbackQuery>,
) -> Result<Response, PageError> {
    let provider = &state.provider;
    let callback = Callback {
        state: q.state.as_deref(),
        code: q.code.as_deref(),
        error: q.error.as_deref(),
        iss: q.iss.as_deref(),
    };
    let network = state.upstream.as_ref();
    let arrival = round_trip::finish(provider, network, &id, callback, browser.binding()).await?;
    let pending_id = Some(arrival.pending_id.as_str());
    let (pending, client) = pending::load(provider, pending_id, browser.binding()).await?;
    let (user, connection) = (&arrival.user, &arrival.connection.id);
    tracing::info!(sub = %user.id, connection = %connection, "user signed in through an upstream provider");
    metrics::counter!("sesame_sign_ins_total", "via" => "upstream").increment(1);
    // An upstream sign-in vouches for no factor Sesame can name: no `amr` of its own.
    crate::ui::second_factor::after_first_factor(&state, &browser, &client, pending, user, vec![])
        .await
}
