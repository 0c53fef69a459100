//! OAuth 1.0a endpoints (RFC 5849): `/oauth1/request_token`, `/oauth1/access_token` and the
//! protected resource `/oauth1/userinfo`, answered in the spec's form encoding with
//! `WWW-Authenticate: OAuth` and an `oauth_problem` on failure.

use crate::state::AppState;
use axum::body::Bytes;
use axum::extract::{FromRequest, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sesame_core::endpoints;
use sesame_core::oauth1::error::{Oauth1Error, Problem, ProblemClass};
use sesame_core::oauth1::flow;
use sesame_core::oauth1::request::SignedRequest;
use sesame_core::params::MAX_FORM_BYTES;

/// The parts of the HTTP request the signature covers, taken by an extractor that answers a
/// malformed request with an OAuth 1.0a problem.
pub struct Raw {
    method: String,
    query: String,
    authorization: Option<String>,
    form: Option<Bytes>,
}

impl<S: Send + Sync> FromRequest<S> for Raw {
    type Rejection = Response;

    async fn from_request(req: Request, _state: &S) -> Result<Self, Self::Rejection> {
        let (parts, body) = req.into_parts();
        let bad = |advice: &str| failure(Oauth1Error::new(Problem::ParameterRejected, advice));
        let body = axum::body::to_bytes(body, MAX_FORM_BYTES)
            .await
            .map_err(|_| bad("the request body is too large or unreadable"))?;
        let is_form = crate::extract::is_form(&parts.headers);
        let authorization = parts
            .headers
            .get(header::AUTHORIZATION)
            .map(|v| v.to_str().map(str::to_owned))
            .transpose()
            .map_err(|_| bad("the Authorization header is not ASCII"))?;
        Ok(Raw {
            method: parts.method.as_str().to_owned(),
            query: parts.uri.query().unwrap_or_default().to_owned(),
            authorization,
            form: is_form.then_some(body),
        })
    }
}

impl Raw {
    fn signed<'a>(&'a self, path: &'a str) -> SignedRequest<'a> {
        SignedRequest {
            method: &self.method,
            path,
            query: &self.query,
            authorization: self.authorization.as_deref(),
            form: self.form.as_deref(),
        }
    }
}

/// §3.2 and the Problem Reporting extension: status, challenge and a form-encoded problem.
fn failure(e: Oauth1Error) -> Response {
    let problem = e.problem.as_str();
    let status = match e.problem.class() {
        ProblemClass::Malformed => StatusCode::BAD_REQUEST,
        ProblemClass::Unauthorized => StatusCode::UNAUTHORIZED,
        ProblemClass::ServerError => StatusCode::INTERNAL_SERVER_ERROR,
        ProblemClass::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
    };
    // Debug formatting: the advice may quote a decoded, attacker-chosen parameter name.
    if status.is_server_error() {
        tracing::error!(problem, cause = ?e.cause, "oauth1 request failed");
    } else {
        tracing::info!(problem, advice = ?e.advice, "oauth1 request refused");
    }
    let mut body = form_urlencoded::Serializer::new(String::new());
    body.append_pair("oauth_problem", problem);
    if let Some((name, value)) = &e.detail {
        body.append_pair(name, value);
    }
    body.append_pair("oauth_problem_advice", &e.advice);
    let body = body.finish();
    let mut response = (status, form_body(body)).into_response();
    if let Ok(v) = HeaderValue::from_str(&format!(
        "OAuth realm=\"sesame\", oauth_problem=\"{problem}\""
    )) {
        response.headers_mut().insert(header::WWW_AUTHENTICATE, v);
    }
    response
}

fn form_body(body: String) -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "application/x-www-form-urlencoded"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        body,
    )
}

pub async fn request_token(State(state): State<AppState>, raw: Raw) -> Response {
    match flow::request_token(
        &state.provider,
        &raw.signed(endpoints::OAUTH1_REQUEST_TOKEN),
    )
    .await
    {
        Ok(credentials) => form_body(credentials.form_encoded()).into_response(),
        Err(e) => failure(e),
    }
}

pub async fn access_token(State(state): State<AppState>, raw: Raw) -> Response {
    match flow::access_token(&state.provider, &raw.signed(endpoints::OAUTH1_ACCESS_TOKEN)).await {
        Ok(credentials) => {
            metrics::counter!("sesame_tokens_issued_total", "grant_type" => "oauth1").increment(1);
            form_body(credentials.form_encoded()).into_response()
        }
        Err(e) => failure(e),
    }
}

pub async fn userinfo(State(state): State<AppState>, raw: Raw) -> Response {
    match flow::userinfo(&state.provider, &raw.signed(endpoints::OAUTH1_USERINFO)).await {
        Ok(claims) => crate::error::no_store_json(serde_json::Value::Object(claims).to_string())
            .into_response(),
        Err(e) => failure(e),
    }
}
