//! Liveness, readiness and Prometheus metrics, and who may read the metrics.

use crate::helpers::{send, spawn_app, spawn_app_with, spawn_app_with_metrics};
use secrecy::SecretString;
use sesame_core::client::AccessTokenFormat;

const TOKEN: &str = "metrics-token-of-thirty-two-characters";

#[tokio::test]
async fn health_readiness_and_metrics() {
    let app = spawn_app_with_metrics().await;
    assert_eq!(app.get("/healthz").await.status, 200);
    assert_eq!(app.get("/readyz").await.status, 200);

    let secret = app.service_client("svc", AccessTokenFormat::Jwt).await;
    app.token("svc", &secret, None).await;
    app.post_form("/token", None, &[("grant_type", "client_credentials")])
        .await;

    let metrics = app.scrape().await;
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
    // Every family says what it counts.
    for family in text.lines().filter_map(|l| l.strip_prefix("# TYPE ")) {
        let name = family.split(' ').next().unwrap();
        assert!(
            text.contains(&format!("# HELP {name} ")),
            "{name} has no HELP:\n{text}"
        );
    }
    // The probes are on the metrics listener too, for orchestrators that scrape one port.
    let probes = app.metrics_addr.unwrap();
    let ready = send(app.http.get(format!("http://{probes}/readyz"))).await;
    assert_eq!(ready.status, 200);
}

#[tokio::test]
async fn rfc9700_4_metrics_are_not_public_on_the_main_listener_by_default() {
    let app = spawn_app().await;
    let refused = app.get("/metrics").await;
    assert_eq!(refused.status, 404);
    assert!(refused.body.contains("metrics_listen"), "{}", refused.body);
    assert!(!refused.body.contains("sesame_"), "{}", refused.body);
}

#[tokio::test]
async fn with_their_own_listener_metrics_leave_the_main_one() {
    let app = spawn_app_with_metrics().await;
    assert_eq!(app.get("/metrics").await.status, 404);
    assert_eq!(app.scrape().await.status, 200);
}

#[tokio::test]
async fn a_metrics_token_guards_metrics_on_the_main_listener() {
    let app = spawn_app_with(|c| c.metrics_token = Some(SecretString::from(TOKEN))).await;
    let anonymous = app.get("/metrics").await;
    assert_eq!(anonymous.status, 401);
    assert_eq!(
        anonymous.headers["www-authenticate"],
        "Bearer realm=\"sesame-metrics\""
    );
    let wrong = send(
        app.http
            .get(app.url("/metrics"))
            .bearer_auth("metrics-token-of-thirty-two-characterZ"),
    )
    .await;
    assert_eq!(wrong.status, 401);
    let scraped = send(app.http.get(app.url("/metrics")).bearer_auth(TOKEN)).await;
    assert_eq!(scraped.status, 200);
    assert!(scraped.body.contains("sesame_http_requests_total"));
}

#[tokio::test]
async fn a_metrics_token_guards_the_metrics_listener_too() {
    let app = spawn_app_with(|c| {
        c.metrics_listen = Some(([127, 0, 0, 1], 0).into());
        c.metrics_token = Some(SecretString::from(TOKEN));
    })
    .await;
    assert_eq!(app.scrape().await.status, 401);
    assert_eq!(app.get("/metrics").await.status, 404);
}
