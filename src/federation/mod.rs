//! `/federation/{connection}/start` and `/federation/{connection}/callback`: the browser leaves
//! for the upstream with state, nonce and PKCE, comes back, and the original authorization
//! request continues as after a local login (DESIGN §3a).

pub mod upstream;

use crate::state::AppState;
use crate::ui::browser::{self, BROWSER_COOKIE};
use crate::ui::login::{pending_for, signed_in};
use crate::ui::respond;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sesame_core::TokenError;
use sesame_core::authorize::pending::PendingAuthorization;
use sesame_core::federation::{self, Connection, ConnectionKind, FederationState};
use sesame_core::secret::SecretHash;
use upstream::UpstreamError;

#[derive(serde::Deserialize)]
pub struct StartQuery {
    id: Option<String>,
}

#[derive(serde::Deserialize)]
pub struct CallbackQuery {
    state: Option<String>,
    code: Option<String>,
    error: Option<String>,
    iss: Option<String>,
}

fn page_error(status: StatusCode, message: &str) -> Response {
    let mut response = respond::render_error(&TokenError::invalid_request(message.to_owned()));
    *response.status_mut() = status;
    response
}

fn upstream_failure(c: &Connection, e: &UpstreamError) -> Response {
    tracing::warn!(connection = %c.id, error = %e, "upstream sign-in failed");
    page_error(
        StatusCode::BAD_GATEWAY,
        &format!(
            "Signing in with {} failed: {e}. Try again, or sign in another way.",
            c.display_name
        ),
    )
}

async fn connection(state: &AppState, id: &str) -> Result<(Connection, String), Response> {
    let provider = &state.provider;
    let (connection, sealed) = match provider.store().get_connection(id).await {
        Ok(Some(found)) => found,
        Ok(None) => {
            return Err(page_error(
                StatusCode::NOT_FOUND,
                "there is no such sign-in provider",
            ));
        }
        Err(e) => return Err(respond::render_error(&e.into())),
    };
    match sesame_core::sealed::open(provider.master_key(), &connection.id, &sealed) {
        Ok(secret) => Ok((connection, secret)),
        Err(e) => Err(respond::render_error(&e)),
    }
}

fn callback_uri(state: &AppState, id: &str) -> String {
    state
        .provider
        .settings()
        .endpoint(&format!("/federation/{id}/callback"))
}

pub async fn start(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    Query(q): Query<StartQuery>,
) -> Response {
    let (pending, _) = match pending_for(&state, &headers, q.id.as_deref()).await {
        Ok(found) => found,
        Err(page) => return page,
    };
    let (connection, _) = match connection(&state, &id).await {
        Ok(c) => c,
        Err(page) => return page,
    };
    let endpoints = match upstream::endpoints(&state.upstream, &connection).await {
        Ok(e) => e,
        Err(e) => return upstream_failure(&connection, &e),
    };
    let provider = &state.provider;
    let round_trip = FederationState::new(
        &connection.id,
        &pending.id,
        pending.browser.clone(),
        provider.now(),
    );
    if let Err(e) = provider.store().insert_federation_state(&round_trip).await {
        return respond::render_error(&e.into());
    }
    let mut scopes = connection.scopes.clone();
    if connection.kind == ConnectionKind::Oidc && !scopes.iter().any(|s| s == "openid") {
        scopes.insert(0, "openid".into());
    }
    let challenge = URL_SAFE_NO_PAD.encode(SecretHash::of(&round_trip.code_verifier).0);
    let mut query = form_urlencoded::Serializer::new(String::new());
    query
        .append_pair("response_type", "code")
        .append_pair("client_id", &connection.client_id)
        .append_pair("redirect_uri", &callback_uri(&state, &connection.id))
        .append_pair("scope", &scopes.join(" "))
        .append_pair("state", &round_trip.state)
        .append_pair("code_challenge", &challenge)
        .append_pair("code_challenge_method", "S256");
    if connection.kind == ConnectionKind::Oidc {
        query.append_pair("nonce", &round_trip.nonce);
    }
    let sep = if endpoints.authorization.contains('?') {
        '&'
    } else {
        '?'
    };
    respond::see_other(&format!(
        "{}{sep}{}",
        endpoints.authorization,
        query.finish()
    ))
}

pub async fn callback(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    Query(q): Query<CallbackQuery>,
) -> Response {
    let provider = &state.provider;
    let gone = || {
        page_error(
            StatusCode::BAD_REQUEST,
            "this sign-in attempt is unknown, expired or already used; start again",
        )
    };
    let Some(state_param) = q.state.as_deref().filter(|s| s.len() <= 64) else {
        return gone();
    };
    // Single use: a replayed callback finds nothing.
    let round_trip = match provider.store().take_federation_state(state_param).await {
        Ok(Some(r)) if r.connection_id == id && r.expires_at > provider.now() => r,
        Ok(_) => return gone(),
        Err(e) => return respond::render_error(&e.into()),
    };
    let browser_cookie = browser::cookie(&headers, BROWSER_COOKIE);
    if browser_cookie
        .map(PendingAuthorization::browser_binding)
        .as_deref()
        != Some(round_trip.browser.as_str())
    {
        return page_error(
            StatusCode::BAD_REQUEST,
            "this sign-in was started in another browser; start again",
        );
    }
    let (connection, secret) = match connection(&state, &id).await {
        Ok(c) => c,
        Err(page) => return page,
    };
    if let Some(error) = &q.error {
        tracing::info!(connection = %connection.id, error = %error, "upstream refused the sign-in");
        return page_error(
            StatusCode::BAD_REQUEST,
            &format!(
                "{} did not sign you in ({}). Try again, or sign in another way.",
                connection.display_name,
                error.chars().take(64).collect::<String>()
            ),
        );
    }
    let Some(code) = q.code.as_deref() else {
        return page_error(
            StatusCode::BAD_REQUEST,
            "the identity provider sent no code",
        );
    };
    let endpoints = match upstream::endpoints(&state.upstream, &connection).await {
        Ok(e) => e,
        Err(e) => return upstream_failure(&connection, &e),
    };
    // RFC 9207 §2.4: a response from another issuer is a mix-up, and an upstream that
    // announces `iss` must send it.
    let mix_up = match (&q.iss, &endpoints.issuer) {
        (Some(iss), Some(expected)) => iss != expected,
        (None, Some(_)) => endpoints.sends_iss,
        _ => false,
    };
    if mix_up {
        return upstream_failure(
            &connection,
            &UpstreamError::Protocol(
                "the response's iss is missing or names another issuer".into(),
            ),
        );
    }
    let identity = match async {
        let tokens = upstream::exchange(
            &state.upstream,
            &endpoints,
            &connection,
            &secret,
            code,
            &callback_uri(&state, &connection.id),
            &round_trip.code_verifier,
        )
        .await?;
        upstream::identity(
            &state.upstream,
            &endpoints,
            &connection,
            &tokens,
            &round_trip.nonce,
        )
        .await
    }
    .await
    {
        Ok(identity) => identity,
        Err(e) => return upstream_failure(&connection, &e),
    };
    let user = match federation::map_identity(provider, &connection, &identity).await {
        Ok(user) => user,
        Err(federation::MappingError::Store(e)) => return respond::render_error(&e.into()),
        Err(e) => {
            tracing::info!(connection = %connection.id, error = %e, "upstream identity refused");
            return page_error(StatusCode::CONFLICT, &e.to_string());
        }
    };
    let (pending, client) = match pending_for(&state, &headers, Some(&round_trip.pending_id)).await
    {
        Ok(found) => found,
        Err(page) => return page,
    };
    tracing::info!(sub = %user.id, connection = %connection.id, "user signed in through an upstream provider");
    signed_in(&state, &headers, &client, pending, &user).await
}
