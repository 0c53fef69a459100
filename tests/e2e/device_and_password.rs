//! The device authorization grant (RFC 8628) with the `oauth2` crate as the device and a second
//! HTTP client approving on `/device`; every polling state in order; the page's rate limit; and
//! the resource owner password grant.

use crate::helpers::{Reply, TestApp, spawn_app, spawn_app_with_metrics};
use crate::interaction::{Browser, PASSWORD, Page, alice};
use oauth2::basic::BasicClient;
use oauth2::{
    ClientId, DeviceAuthorizationUrl, Scope, StandardDeviceAuthorizationResponse, TokenResponse,
    TokenUrl,
};
use serde_json::Value;
use sesame_core::client::{AuthMethod, GrantType};
use sesame_core::scope::Scopes;

const DEVICE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";

async fn tv(app: &TestApp) {
    app.client_with("tv", AuthMethod::None, |m| {
        m.client_name = Some("Living-room TV".into());
        m.grant_types = vec![GrantType::DeviceCode, GrantType::RefreshToken];
        m.scope = Scopes::parse("openid profile offline_access").unwrap();
    })
    .await;
}

async fn start(app: &TestApp) -> Value {
    let reply = app
        .post_form(
            "/device_authorization",
            None,
            &[("client_id", "tv"), ("scope", "openid offline_access")],
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    reply.json()
}

async fn poll(app: &TestApp, device_code: &str) -> Reply {
    app.post_form(
        "/token",
        None,
        &[
            ("grant_type", DEVICE_GRANT),
            ("device_code", device_code),
            ("client_id", "tv"),
        ],
    )
    .await
}

/// Enters the code on /device, signs in as alice, and answers.
async fn approve(browser: &Browser, user_code: &str, decision: &str) -> Page {
    let form = browser.get("/device").await;
    let csrf = form.field("csrf_token").unwrap();
    let login = browser
        .post(
            "/device",
            &[("csrf_token", &csrf), ("user_code", user_code)],
        )
        .await;
    assert!(login.is_login(), "{}", login.body);
    let confirm = browser
        .post(
            "/device",
            &[
                ("csrf_token", &csrf),
                ("user_code", user_code),
                ("username", "alice"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert!(confirm.is_consent(), "{}", confirm.body);
    assert!(confirm.body.contains("Living-room TV"));
    // CSRF tokens rotate with the session: the confirmation carries the signed-in one.
    let signed_in = confirm.field("csrf_token").unwrap();
    assert_ne!(signed_in, csrf);
    browser
        .post(
            "/device",
            &[
                ("csrf_token", &signed_in),
                ("user_code", user_code),
                ("decision", decision),
            ],
        )
        .await
}

#[tokio::test]
async fn the_oauth2_crate_gets_tokens_once_the_user_approves() {
    let app = spawn_app().await;
    alice(&app).await;
    tv(&app).await;
    let client = BasicClient::new(ClientId::new("tv".into()))
        .set_device_authorization_url(
            DeviceAuthorizationUrl::new(app.url("/device_authorization")).unwrap(),
        )
        .set_token_uri(TokenUrl::new(app.url("/token")).unwrap());
    let details: StandardDeviceAuthorizationResponse = client
        .exchange_device_code()
        .add_scope(Scope::new("openid".into()))
        .add_scope(Scope::new("offline_access".into()))
        .request_async(&app.http)
        .await
        .unwrap();
    let user_code = details.user_code().secret().clone();
    assert_eq!(user_code.len(), 9, "XXXX-XXXX");
    assert_eq!(details.verification_uri().as_str(), app.url("/device"));
    assert_eq!(details.interval().as_secs(), 5);

    let browser = Browser::new(&app);
    let approver = async {
        // The device polls once (pending) before the user gets there.
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        // Typed in lower case without the dash: still the code.
        let typed = user_code.replace('-', "").to_lowercase();
        let done = approve(&browser, &typed, "allow").await;
        assert!(done.body.contains("return to your device"), "{}", done.body);
    };
    let (tokens, ()) = tokio::join!(
        client.exchange_device_access_token(&details).request_async(
            &app.http,
            tokio::time::sleep,
            Some(std::time::Duration::from_secs(30))
        ),
        approver
    );
    let tokens = tokens.unwrap();
    assert!(
        tokens.refresh_token().is_some(),
        "offline_access gives a refresh token"
    );
}

#[tokio::test]
async fn polling_states_in_order_then_one_redemption() {
    let app = spawn_app().await;
    alice(&app).await;
    tv(&app).await;
    let d = start(&app).await;
    let device_code = d["device_code"].as_str().unwrap();
    poll(&app, device_code).await.assert_error(
        400,
        "authorization_pending",
        "the user has not answered yet",
    );
    poll(&app, device_code).await.assert_error(
        400,
        "slow_down",
        "polling too fast; wait 10 seconds between requests",
    );
    let slow = poll(&app, device_code).await;
    slow.assert_error(
        400,
        "slow_down",
        "polling too fast; wait 15 seconds between requests",
    );
    assert!(
        slow.json()["error_description"]
            .as_str()
            .unwrap()
            .contains("15 seconds"),
        "5 s more each time"
    );

    let done = approve(
        &Browser::new(&app),
        d["user_code"].as_str().unwrap(),
        "allow",
    )
    .await;
    assert_eq!(done.status, 200);
    let tokens = poll(&app, device_code).await;
    assert_eq!(tokens.status, 200, "{}", tokens.body);
    assert!(tokens.json()["id_token"].is_string());
    poll(&app, device_code).await.assert_error(
        400,
        "invalid_grant",
        "the device_code was already used",
    );
    // The code cannot be approved again either.
    let browser = Browser::new(&app);
    let form = browser.get("/device").await;
    let again = browser
        .post(
            "/device",
            &[
                ("csrf_token", &form.field("csrf_token").unwrap()),
                ("user_code", d["user_code"].as_str().unwrap()),
            ],
        )
        .await;
    assert_eq!(again.status, 400);
    assert!(again.body.contains("not valid"));
}

#[tokio::test]
async fn denial_expiry_and_strangers_get_their_errors() {
    let app = spawn_app().await;
    alice(&app).await;
    tv(&app).await;
    let d = start(&app).await;
    let denied = approve(
        &Browser::new(&app),
        d["user_code"].as_str().unwrap(),
        "deny",
    )
    .await;
    assert!(denied.body.contains("Access denied"));
    poll(&app, d["device_code"].as_str().unwrap())
        .await
        .assert_error(400, "access_denied", "the user denied the request");

    // An expired code, planted as the server would have stored it.
    let now = sesame_core::clock::Clock::now(&sesame_core::clock::SystemClock);
    let expired = sesame_core::device::DeviceCode {
        device_code_hash: sesame_core::secret::SecretHash::of("sdc_expired"),
        user_code: "BCDFGHJK".into(),
        client_id: "tv".into(),
        scope: Scopes::parse("openid").unwrap(),
        status: sesame_core::device::DeviceStatus::Pending,
        delegation: None,
        interval: 5,
        last_polled_at: None,
        expires_at: now - 1,
    };
    assert!(
        app.provider
            .store()
            .insert_device_code(&expired)
            .await
            .unwrap()
    );
    poll(&app, "sdc_expired").await.assert_error(
        400,
        "expired_token",
        "the device_code has expired; start again",
    );
    poll(&app, "sdc_unknown").await.assert_error(
        400,
        "invalid_grant",
        "the device_code is invalid or was issued to another client",
    );

    // A client without the grant cannot start one.
    app.client_with("web", AuthMethod::None, |m| {
        m.grant_types = vec![GrantType::AuthorizationCode];
        m.redirect_uris = vec!["https://app.example/cb".into()];
    })
    .await;
    app.post_form("/device_authorization", None, &[("client_id", "web")])
        .await
        .assert_error(
            400,
            "unauthorized_client",
            "the client is not allowed the device_code grant",
        );
    app.post_form(
        "/device_authorization",
        None,
        &[("client_id", "tv"), ("scope", "admin")],
    )
    .await
    .assert_error(
        400,
        "invalid_scope",
        "the client may not request the scope admin",
    );
}

#[tokio::test]
async fn wrong_codes_are_rate_limited_and_forms_need_the_csrf_token() {
    let app = spawn_app().await;
    let browser = Browser::new(&app);
    let form = browser.get("/device").await;
    assert_eq!(form.headers["x-frame-options"], "DENY");
    let csrf = form.field("csrf_token").unwrap();
    let refused = browser.post("/device", &[("user_code", "BCDF-GHJK")]).await;
    assert_eq!(refused.status, 403);
    for attempt in 1..=10 {
        let page = browser
            .post(
                "/device",
                &[("csrf_token", &csrf), ("user_code", "BCDF-GHJK")],
            )
            .await;
        let expected = if attempt < 10 { 400 } else { 429 };
        assert_eq!(page.status, expected, "attempt {attempt}: {}", page.body);
    }
    let locked = browser
        .post(
            "/device",
            &[("csrf_token", &csrf), ("user_code", "ZZZZ-ZZZZ")],
        )
        .await;
    assert_eq!(locked.status, 429);
    assert!(locked.body.contains("Too many wrong codes"));
}

#[tokio::test]
async fn password_grant_for_trusted_clients_only_with_lockout() {
    let app = spawn_app_with_metrics().await;
    let sub = alice(&app).await;
    let secret = app
        .client_with("first-party", AuthMethod::ClientSecretBasic, |m| {
            m.grant_types = vec![GrantType::Password, GrantType::RefreshToken];
            m.scope = Scopes::parse("openid email offline_access").unwrap();
        })
        .await
        .unwrap();
    let other = app
        .service_client("svc", sesame_core::client::AccessTokenFormat::Jwt)
        .await;
    let ropc = |user: &'static str, password: &'static str| {
        let app = &app;
        let secret = &secret;
        async move {
            app.post_form(
                "/token",
                Some(("first-party", secret)),
                &[
                    ("grant_type", "password"),
                    ("username", user),
                    ("password", password),
                    ("scope", "openid offline_access"),
                ],
            )
            .await
        }
    };
    let ok = ropc("alice", PASSWORD).await;
    assert_eq!(ok.status, 200, "{}", ok.body);
    let tokens = ok.json();
    assert!(tokens["refresh_token"].is_string() && tokens["id_token"].is_string());
    assert_eq!(
        crate::helpers::jwt_parts(tokens["id_token"].as_str().unwrap()).1["sub"],
        sub
    );

    // A client without the grant: unauthorized_client, whatever the credentials.
    app.post_form(
        "/token",
        Some(("svc", &other)),
        &[
            ("grant_type", "password"),
            ("username", "alice"),
            ("password", PASSWORD),
        ],
    )
    .await
    .assert_error(
        400,
        "unauthorized_client",
        "the client is not allowed the password grant",
    );

    // Wrong password and unknown user read the same; the fifth failure locks the account.
    let wrong = ropc("alice", "not the password").await;
    wrong.assert_error(
        400,
        "invalid_grant",
        "the username or password is not correct",
    );
    let unknown = ropc("nobody", "not the password").await;
    unknown.assert_error(
        400,
        "invalid_grant",
        "the username or password is not correct",
    );
    assert_eq!(
        wrong.json()["error_description"],
        unknown.json()["error_description"]
    );
    for _ in 0..3 {
        ropc("alice", "not the password").await.assert_error(
            400,
            "invalid_grant",
            "the username or password is not correct",
        );
    }
    ropc("alice", "not the password").await.assert_error(
        400,
        "invalid_grant",
        "this account is locked; try again in 1 minute",
    );
    let locked = ropc("alice", PASSWORD).await;
    locked.assert_error(
        400,
        "invalid_grant",
        "too many failed attempts: this account is locked; try again",
    );
    let metrics = app.scrape().await.body;
    assert!(
        metrics.contains("sesame_login_lockouts_total"),
        "lockouts are counted"
    );
}

#[tokio::test]
async fn disabled_users_cannot_sign_in_by_any_grant() {
    let app = spawn_app().await;
    alice(&app).await;
    let secret = app
        .client_with("first-party", AuthMethod::ClientSecretBasic, |m| {
            m.grant_types = vec![GrantType::Password];
            m.scope = Scopes::parse("openid").unwrap();
        })
        .await
        .unwrap();
    let store = app.provider.store();
    let mut user = store.get_user_by_username("alice").await.unwrap().unwrap();
    user.disabled = true;
    assert!(store.update_user(&user).await.unwrap());
    app.post_form(
        "/token",
        Some(("first-party", &secret)),
        &[
            ("grant_type", "password"),
            ("username", "alice"),
            ("password", PASSWORD),
        ],
    )
    .await
    .assert_error(
        400,
        "invalid_grant",
        "the username or password is not correct",
    );
    // Nor on the device page.
    tv(&app).await;
    let d = start(&app).await;
    let browser = Browser::new(&app);
    let form = browser.get("/device").await;
    let csrf = form.field("csrf_token").unwrap();
    let code = d["user_code"].as_str().unwrap();
    let page = browser
        .post(
            "/device",
            &[
                ("csrf_token", &csrf),
                ("user_code", code),
                ("username", "alice"),
                ("password", PASSWORD),
            ],
        )
        .await;
    // Answered as a wrong password: the page must not confirm the password of a disabled
    // account to whoever typed it.
    assert_eq!(page.status, 401);
    assert!(
        page.body
            .contains("The username or password is not correct")
    );
    assert!(!page.body.contains("disabled"));
}
