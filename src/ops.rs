//! Operations: liveness, readiness, Prometheus metrics and the middleware that feeds them.

use crate::state::AppState;
use axum::Extension;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use metrics_exporter_prometheus::{PrometheusBuilder, PrometheusHandle};
use sesame_core::endpoints;
use sesame_core::secret::SecretHash;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};
use tracing::Instrument;

/// The process has started and answers.
pub async fn healthz() -> &'static str {
    "ok"
}

/// The store answers too: a load balancer should send traffic here.
pub async fn readyz(State(state): State<AppState>) -> Response {
    let ping = tokio::time::timeout(Duration::from_secs(2), state.provider.store().ping()).await;
    match ping {
        Ok(Ok(())) => (StatusCode::OK, "ready").into_response(),
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "not ready");
            (StatusCode::SERVICE_UNAVAILABLE, "store unavailable").into_response()
        }
        Err(_) => (StatusCode::SERVICE_UNAVAILABLE, "store timed out").into_response(),
    }
}

/// Who may read `/metrics` on a listener. Metrics name clients, endpoints and failure rates:
/// an attacker's map of the deployment, so they are never public by default.
#[derive(Clone)]
pub enum MetricsAccess {
    /// Not served on this listener (the main one, unless `metrics_token` is set and no
    /// `metrics_listen` is).
    Closed,
    /// Anyone who reaches the listener: the dedicated `metrics_listen` without a token.
    Open,
    /// `Authorization: Bearer <metrics_token>`, compared in constant time.
    Token(Arc<SecretHash>),
}

impl MetricsAccess {
    /// The access on the main listener and on the dedicated one (when there is one).
    pub fn for_listeners(token: Option<&str>, own_listener: bool) -> (Self, Self) {
        let guarded = token.map(|t| Self::Token(Arc::new(SecretHash::of(t))));
        if own_listener {
            (Self::Closed, guarded.unwrap_or(Self::Open))
        } else {
            (guarded.unwrap_or(Self::Closed), Self::Closed)
        }
    }

    /// The answer to a request that may not read the metrics, if this one may not.
    fn refusal(&self, headers: &HeaderMap) -> Option<Response> {
        match self {
            Self::Open => None,
            Self::Closed => Some(
                (
                    StatusCode::NOT_FOUND,
                    "metrics are not served here: set metrics_listen (a listener of their own) or \
                 metrics_token (a bearer token for this one)\n",
                )
                    .into_response(),
            ),
            Self::Token(expected) => {
                let presented = headers
                    .get(header::AUTHORIZATION)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| v.split_once(' '))
                    .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
                    .map(|(_, token)| token.trim());
                match presented {
                    Some(token) if expected.verify(token) => None,
                    _ => Some(
                        (
                            StatusCode::UNAUTHORIZED,
                            [(header::WWW_AUTHENTICATE, "Bearer realm=\"sesame-metrics\"")],
                            "metrics need Authorization: Bearer <metrics_token>\n",
                        )
                            .into_response(),
                    ),
                }
            }
        }
    }
}

pub async fn metrics(
    State(state): State<AppState>,
    Extension(access): Extension<MetricsAccess>,
    headers: HeaderMap,
) -> Response {
    if let Some(refused) = access.refusal(&headers) {
        return refused;
    }
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; version=0.0.4"),
        )],
        state.metrics.render(),
    )
        .into_response()
}

/// The dedicated metrics listener's routes: metrics and the probes, nothing a browser uses.
pub fn router(state: AppState, access: MetricsAccess) -> axum::Router {
    axum::Router::new()
        .route(endpoints::METRICS, get(metrics).layer(Extension(access)))
        .route(endpoints::HEALTHZ, get(healthz))
        .route(endpoints::READYZ, get(readyz))
        .with_state(state)
}

/// Counts every request by endpoint and status, times it, and writes the access log line:
/// method, path (never the query, which can carry codes and tokens), status, milliseconds and
/// the client the request named (see [`name_client`]).
pub async fn track(request: Request, next: Next) -> Response {
    let endpoint = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".to_owned());
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    let span = tracing::info_span!("request", client_id = tracing::field::Empty);
    let started = Instant::now();
    let response = next.run(request).instrument(span.clone()).await;
    let elapsed = started.elapsed();
    let status = response.status().as_u16();
    metrics::counter!("sesame_http_requests_total", "endpoint" => endpoint.clone(), "status" => status.to_string())
        .increment(1);
    metrics::histogram!("sesame_http_request_duration_seconds", "endpoint" => endpoint)
        .record(elapsed.as_secs_f64());
    let ms = (elapsed.as_secs_f64() * 1000.0 * 10.0).round() / 10.0;
    tracing::info!(parent: &span, %method, path = %path, status, ms, "request");
    response
}

/// Counts a person's answer to a consent, device or OAuth 1.0a approval page.
pub fn count_decision(flow: &'static str, allow: bool) {
    let decision = if allow { "allow" } else { "deny" };
    metrics::counter!("sesame_consents_total", "flow" => flow, "decision" => decision).increment(1);
}

/// Every metric family with its `# HELP` text, described once when the recorder is made.
const FAMILIES: [(&str, &str); 13] = [
    (
        "sesame_http_requests_total",
        "Requests answered, by route and status.",
    ),
    (
        "sesame_http_request_duration_seconds",
        "Time to answer a request, by route.",
    ),
    (
        "sesame_tokens_issued_total",
        "Token responses issued, by grant type.",
    ),
    (
        "sesame_sign_ins_total",
        "People signed in, by password or through an upstream provider.",
    ),
    (
        "sesame_login_failures_total",
        "Sign-ins refused: wrong password, unknown or disabled account.",
    ),
    (
        "sesame_password_checks_busy_total",
        "Password checks answered busy: every hashing slot stayed taken for a second.",
    ),
    (
        "sesame_second_factor_failures_total",
        "Second-factor codes refused after a right password: wrong, replayed or locked out.",
    ),
    (
        "sesame_login_lockouts_total",
        "Accounts held back after repeated wrong passwords.",
    ),
    (
        "sesame_client_auth_lockouts_total",
        "Addresses refused after repeated failed client authentication.",
    ),
    (
        "sesame_user_code_lockouts_total",
        "Device code entry held back after repeated wrong codes.",
    ),
    (
        "sesame_consents_total",
        "Answers on the consent, device and OAuth 1.0a approval pages.",
    ),
    (
        "sesame_upstream_failures_total",
        "Sign-ins through an upstream provider that failed on its side.",
    ),
    (
        "sesame_revocations_total",
        "Revocation requests accepted (RFC 7009), unknown tokens included.",
    ),
];

/// Notes the client a request names on its access log line (and every line it logs).
pub fn name_client(client_id: &str) {
    tracing::Span::current().record("client_id", client_id);
}

/// The process-wide Prometheus recorder (metrics are global; every app in a process shares it).
pub fn recorder() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            const BUCKETS: [f64; 12] = [
                0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 2.5,
            ];
            let builder = PrometheusBuilder::new();
            let builder = builder
                .set_buckets(&BUCKETS)
                .unwrap_or_else(|_| PrometheusBuilder::new());
            let recorder = builder.build_recorder();
            let handle = recorder.handle();
            // Fails only if another recorder was installed first; then ours just renders empty.
            let _ = metrics::set_global_recorder(recorder);
            for (name, help) in FAMILIES {
                if name.ends_with("_seconds") {
                    metrics::describe_histogram!(name, metrics::Unit::Seconds, help);
                } else {
                    metrics::describe_counter!(name, help);
                }
            }
            handle
        })
        .clone()
}
