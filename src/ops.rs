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

/// Counts every request by endpoint and status and times it.
pub async fn track(request: Request, next: Next) -> Response {
    let endpoint = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "unmatched".to_owned());
    let started = Instant::now();
    let response = next.run(request).await;
    let status = response.status().as_u16().to_string();
    metrics::counter!("sesame_http_requests_total", "endpoint" => endpoint.clone(), "status" => status)
        .increment(1);
    metrics::histogram!("sesame_http_request_duration_seconds", "endpoint" => endpoint)
        .record(started.elapsed().as_secs_f64());
    response
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
            handle
        })
        .clone()
}
