//! The real pages in headless Chromium (Debian's package, driven by playwright-core through
//! tests/node/flow.mjs): login → consent → redirect with a code, and the implicit id_token
//! delivered by form_post to a local receiver. Screenshots land in target/screenshots.

use crate::helpers::{chromium_missing, spawn_app};
use crate::interaction::{PASSWORD, alice, web_client};
use axum::extract::RawQuery;
use axum::routing::get;
use serde_json::{Value, json};
use sesame_core::client::{AuthMethod, GrantType};
use std::sync::{Arc, Mutex};

/// A stand-in for the client's redirect endpoint: echoes what it got and keeps POST bodies.
async fn receiver() -> (String, Arc<Mutex<Vec<String>>>) {
    let posts = Arc::new(Mutex::new(Vec::new()));
    let kept = Arc::clone(&posts);
    let router =
        axum::Router::new().route(
            "/cb",
            get(|RawQuery(q): RawQuery| async move {
                format!("received query: {}", q.unwrap_or_default())
            })
            .post(move |body: String| async move {
                kept.lock().unwrap().push(body.clone());
                format!("received form: {body}")
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!(
        "http://127.0.0.1:{}/cb",
        listener.local_addr().unwrap().port()
    );
    tokio::spawn(async move { axum::serve(listener, router).await });
    (url, posts)
}

/// The parameters the receiver got in the final URL; their code is redeemed at `app`.
async fn redeem_at_receiver(
    app: &crate::helpers::TestApp,
    secret: &sesame_core::secret::Secret,
    receiver_url: &str,
    result: &Value,
) -> std::collections::HashMap<String, String> {
    let final_url = url::Url::parse(result["final_url"].as_str().unwrap()).unwrap();
    let params: std::collections::HashMap<_, _> = final_url.query_pairs().into_owned().collect();
    let tokens = app
        .post_form(
            "/token",
            Some(("web", secret)),
            &[
                ("grant_type", "authorization_code"),
                ("code", &params["code"]),
                ("redirect_uri", receiver_url),
            ],
        )
        .await;
    assert_eq!(tokens.status, 200, "{}", tokens.body);
    params
}

/// Runs the flow driver.
pub async fn drive(flow: Value) -> Value {
    crate::helpers::node("flow.mjs", flow).await
}

#[tokio::test]
async fn login_consent_and_form_post_in_chromium() {
    if chromium_missing() {
        return;
    }
    let app = spawn_app().await;
    alice(&app).await;
    let (receiver_url, posts) = receiver().await;
    let secret = web_client(&app, "web", AuthMethod::ClientSecretBasic, |m| {
        m.redirect_uris = vec![receiver_url.clone()];
        m.grant_types.push(GrantType::Implicit);
        m.response_types.push("id_token".into());
    })
    .await
    .unwrap();
    let shots = format!("{}/target/screenshots", env!("CARGO_MANIFEST_DIR"));
    let start = format!(
        "{}/authorize?{}",
        app.base,
        crate::helpers::serde_urlencoded(&[
            ("client_id", "web"),
            ("response_type", "code"),
            ("redirect_uri", &receiver_url),
            ("scope", "openid email"),
            ("state", "st-1"),
        ])
    );
    let result = drive(json!({
        "start_url": start, "username": "alice", "password": PASSWORD, "consent": "allow",
        "expect_prefix": receiver_url, "screenshot_dir": format!("{shots}/code-flow"),
    }))
    .await;
    assert_eq!(result["pages"], json!(["login", "consent"]));
    let params = redeem_at_receiver(&app, &secret, &receiver_url, &result).await;
    assert_eq!(params["state"], "st-1");
    assert_eq!(params["iss"], app.base);

    // Implicit id_token by form_post: a new browser signs in, consent is remembered.
    let start = format!(
        "{}/authorize?{}",
        app.base,
        crate::helpers::serde_urlencoded(&[
            ("client_id", "web"),
            ("response_type", "id_token"),
            ("response_mode", "form_post"),
            ("redirect_uri", &receiver_url),
            ("scope", "openid email"),
            ("nonce", "nonce-123"),
            ("state", "st-2"),
        ])
    );
    let result = drive(json!({
        "start_url": start, "username": "alice", "password": PASSWORD, "consent": "skip",
        "expect_prefix": receiver_url, "screenshot_dir": format!("{shots}/form-post"),
    }))
    .await;
    assert!(
        result["body"].as_str().unwrap().contains("received form"),
        "{result}"
    );
    let body = posts
        .lock()
        .unwrap()
        .pop()
        .expect("the receiver got a POST");
    let form: std::collections::HashMap<String, String> = form_urlencoded::parse(body.as_bytes())
        .into_owned()
        .collect();
    assert_eq!(form["state"], "st-2");
    let (_, claims) = crate::helpers::jwt_parts(&form["id_token"]);
    assert_eq!(claims["nonce"], "nonce-123");
    assert_eq!(claims["aud"], "web");
}

#[tokio::test]
async fn device_approval_in_chromium() {
    if chromium_missing() {
        return;
    }
    let app = spawn_app().await;
    alice(&app).await;
    app.client_with("tv", AuthMethod::None, |m| {
        m.client_name = Some("Living-room TV".into());
        m.grant_types = vec![GrantType::DeviceCode];
        m.scope = sesame_core::scope::Scopes::parse("openid profile").unwrap();
    })
    .await;
    let started = app
        .post_form(
            "/device_authorization",
            None,
            &[("client_id", "tv"), ("scope", "openid profile")],
        )
        .await
        .json();
    let shots = format!("{}/target/screenshots/device", env!("CARGO_MANIFEST_DIR"));
    let result = drive(json!({
        "start_url": format!("{}/device", app.base), "user_code": started["user_code"],
        "username": "alice", "password": PASSWORD, "consent": "allow",
        "expect_text": "return to your device", "screenshot_dir": shots,
    }))
    .await;
    assert_eq!(result["pages"], json!(["code", "login", "consent"]));
    let tokens = app
        .post_form(
            "/token",
            None,
            &[
                ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"),
                ("device_code", started["device_code"].as_str().unwrap()),
                ("client_id", "tv"),
            ],
        )
        .await;
    assert_eq!(tokens.status, 200, "{}", tokens.body);
}

#[tokio::test]
async fn continue_with_an_upstream_provider_in_chromium() {
    use crate::federation::{connect, oidc, upstream_for};
    if chromium_missing() {
        return;
    }
    let down = spawn_app().await;
    let up = upstream_for(&down).await;
    connect(&down, oidc("upstream", &up.base, false)).await;
    let (receiver_url, _) = receiver().await;
    let secret = web_client(&down, "web", AuthMethod::ClientSecretBasic, |m| {
        m.redirect_uris = vec![receiver_url.clone()];
        m.skip_consent = true;
    })
    .await
    .unwrap();
    let start = format!(
        "{}/authorize?{}",
        down.base,
        crate::helpers::serde_urlencoded(&[
            ("client_id", "web"),
            ("response_type", "code"),
            ("redirect_uri", &receiver_url),
            ("scope", "openid email"),
        ])
    );
    let result = drive(json!({
        "start_url": start, "continue_with": "Upstream Corp", "username": "carol", "password": PASSWORD,
        "consent": "skip", "expect_prefix": receiver_url,
        "screenshot_dir": format!("{}/target/screenshots/federation", env!("CARGO_MANIFEST_DIR")),
    }))
    .await;
    assert_eq!(result["pages"], json!(["federation", "login"]));
    redeem_at_receiver(&down, &secret, &receiver_url, &result).await;
}
