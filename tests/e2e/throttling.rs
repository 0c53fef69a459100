//! Guess throttles that cannot be raced or turned against users: an attempt is counted before
//! its guess is checked, accounts are slowed (not locked for long) while addresses are limited,
//! a forwarded client address is believed only from a trusted proxy, and client authentication
//! failures are limited per address.

use crate::helpers::{TestApp, send, spawn_app, spawn_app_with};
use crate::interaction::{Browser, PASSWORD, alice};
use sesame_core::client::{AccessTokenFormat, AuthMethod, GrantType};
use sesame_core::secret::Secret;

/// A confidential client allowed the password grant.
async fn first_party(app: &TestApp) -> Secret {
    app.client_with("app", AuthMethod::ClientSecretBasic, |m| {
        m.grant_types = vec![GrantType::Password];
    })
    .await
    .unwrap()
}

#[tokio::test]
async fn rfc6749_10_10_racing_guesses_check_at_most_the_limit_of_passwords() {
    let app = spawn_app().await;
    alice(&app).await;
    let secret = first_party(&app).await;
    let guesses: Vec<_> = (0..20)
        .map(|_| {
            let request = app
                .http
                .post(app.url("/token"))
                .basic_auth("app", Some(secret.expose()))
                .form(&[
                    ("grant_type", "password"),
                    ("username", "alice"),
                    ("password", "a wrong guess"),
                ]);
            tokio::spawn(send(request))
        })
        .collect();
    let mut checked = 0;
    for g in guesses {
        let reply = g.await.unwrap();
        assert_eq!(reply.status, 400, "{}", reply.body);
        checked += usize::from(reply.body.contains("not correct"));
    }
    // The fifth guess is checked and locks: at most four say "not correct".
    assert!(checked <= 4, "{checked} of 20 racing guesses were checked");
}

#[tokio::test]
async fn the_login_page_answers_a_disabled_accounts_right_password_as_a_wrong_one() {
    let app = spawn_app().await;
    alice(&app).await;
    let mut user = app
        .provider
        .store()
        .get_user_by_username("alice")
        .await
        .unwrap()
        .unwrap();
    user.disabled = true;
    app.provider.store().update_user(&user).await.unwrap();
    crate::interaction::web_client(&app, "web", AuthMethod::ClientSecretBasic, |_| {}).await;
    let browser = Browser::new(&app);
    let login = browser
        .follow(
            &browser
                .authorize(&[
                    ("client_id", "web"),
                    ("redirect_uri", crate::interaction::REDIRECT),
                    ("response_type", "code"),
                    ("scope", "openid"),
                ])
                .await,
        )
        .await;
    let right = browser.log_in(&login, "alice", PASSWORD).await;
    let wrong = browser.log_in(&login, "alice", "not it").await;
    assert_eq!((right.status, wrong.status), (401, 401));
    let message = |page: &crate::interaction::Page| {
        let text = page.text();
        let start = text.find("role=\"alert\"").unwrap();
        text[start..start + 80].to_owned()
    };
    assert_eq!(message(&right), message(&wrong));
}

/// Ten wrong user codes from one browser, sent as the client at `forwarded_for`.
async fn wrong_codes(app: &TestApp, forwarded_for: &str) -> u16 {
    let browser = Browser::new(app);
    let form = browser.get("/device").await;
    let csrf = form.field("csrf_token").unwrap();
    let mut last = 0;
    for _ in 0..11 {
        let request = browser
            .http
            .post(app.url("/device"))
            .header("x-forwarded-for", forwarded_for)
            .form(&[("csrf_token", csrf.as_str()), ("user_code", "BCDF-GHJK")]);
        last = send(request).await.status;
    }
    last
}

/// A fresh browser's first wrong code, as the client at `forwarded_for`.
async fn first_wrong_code(app: &TestApp, forwarded_for: &str) -> u16 {
    let browser = Browser::new(app);
    let csrf = browser.get("/device").await.field("csrf_token").unwrap();
    let request = browser
        .http
        .post(app.url("/device"))
        .header("x-forwarded-for", forwarded_for)
        .form(&[("csrf_token", csrf.as_str()), ("user_code", "BCDF-GHJK")]);
    send(request).await.status
}

#[tokio::test]
async fn rfc8628_5_1_behind_a_trusted_proxy_each_client_address_has_its_own_limit() {
    let app = spawn_app_with(|c| c.trusted_proxies = vec!["127.0.0.1".into()]).await;
    assert_eq!(wrong_codes(&app, "203.0.113.1").await, 429);
    // Another client behind the same balancer is not locked out by the first.
    assert_eq!(first_wrong_code(&app, "203.0.113.2").await, 400);
    assert_eq!(
        first_wrong_code(&app, "203.0.113.1").await,
        429,
        "the first one is"
    );
}

#[tokio::test]
async fn rfc8628_5_1_a_forwarded_address_from_an_untrusted_peer_is_ignored() {
    let app = spawn_app().await;
    assert_eq!(wrong_codes(&app, "203.0.113.1").await, 429);
    // Claiming to be someone else does not earn new guesses.
    assert_eq!(first_wrong_code(&app, "203.0.113.99").await, 429);
}

#[tokio::test]
async fn rfc6749_10_10_one_address_failing_client_authentication_is_refused_for_a_while() {
    let app = spawn_app_with(|c| c.trusted_proxies = vec!["127.0.0.1".into()]).await;
    let secret = app.service_client("svc", AccessTokenFormat::Jwt).await;
    let token = |from: &'static str, secret: Secret| {
        let request = app
            .http
            .post(app.url("/token"))
            .header("x-forwarded-for", from)
            .basic_auth("svc", Some(secret.expose().to_owned()))
            .form(&[("grant_type", "client_credentials")]);
        send(request)
    };
    for _ in 0..100 {
        token("203.0.113.5", Secret::generate())
            .await
            .assert_error(401, "invalid_client", "");
    }
    token("203.0.113.5", secret.clone()).await.assert_error(
        401,
        "invalid_client",
        "too many failed client authentications from this address",
    );
    assert_eq!(
        token("203.0.113.6", secret).await.status,
        200,
        "others go on"
    );
}
