//! Liveness, readiness and Prometheus metrics.

use crate::helpers::spawn_app;
use sesame_core::client::AccessTokenFormat;

#[tokio::test]
async fn health_readiness_and_metrics() {
    let app = spawn_app().await;
    assert_eq!(app.get("/healthz").await.status, 200);
    assert_eq!(app.get("/readyz").await.status, 200);

    let secret = app.service_client("svc", AccessTokenFormat::Jwt).await;
    app.token("svc", &secret, None).await;
    app.post_form("/token", None, &[("grant_type", "client_credentials")])
        .await;

    let metrics = app.get("/metrics").await;
    assert_eq!(metrics.status, 200);
    let text = metrics.body;
    assert!(
        text.contains(r#"sesame_tokens_issued_total{grant_type="client_credentials"}"#),
        "{text}"
    );
    assert!(
        text.contains(r#"sesame_http_requests_total{endpoint="/token",status="200"}"#),
        "{text}"
    );
    assert!(
        text.contains(r#"sesame_http_requests_total{endpoint="/token",status="401"}"#),
        "{text}"
    );
    assert!(
        text.contains("sesame_http_request_duration_seconds_bucket"),
        "{text}"
    );
}
