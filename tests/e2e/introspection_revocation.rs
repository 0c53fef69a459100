//! RFC 7662 introspection and RFC 7009 revocation, for JWT and opaque access tokens.

use crate::helpers::spawn_app;
use sesame_core::client::{AccessTokenFormat, AuthMethod, GrantType};
use sesame_core::secret::Secret;

#[tokio::test]
async fn revoked_tokens_introspect_inactive_for_both_formats() {
    let app = spawn_app().await;
    // A resource server is a client too: it introspects with its own credentials.
    let rs = app
        .service_client("resource-server", AccessTokenFormat::Jwt)
        .await;
    for (id, format) in [
        ("jwt-svc", AccessTokenFormat::Jwt),
        ("opaque-svc", AccessTokenFormat::Opaque),
    ] {
        let secret = app.service_client(id, format).await;
        let token = app.token(id, &secret, Some("api:read")).await;
        let token = token["access_token"].as_str().unwrap().to_owned();

        let active = app
            .post_form(
                "/introspect",
                Some(("resource-server", &rs)),
                &[("token", &token), ("token_type_hint", "access_token")],
            )
            .await;
        assert_eq!(active.status, 200);
        assert_eq!(active.headers["cache-control"], "no-store");
        let json = active.json();
        assert_eq!(json["active"], true, "{format:?}");
        assert_eq!(json["client_id"], id);
        assert_eq!(json["sub"], id);
        assert_eq!(json["scope"], "api:read");
        assert_eq!(json["iss"], app.base);
        assert_eq!(json["token_type"], "Bearer");
        assert!(json["exp"].as_i64().unwrap() > json["iat"].as_i64().unwrap());

        let revoked = app
            .post_form("/revoke", Some((id, &secret)), &[("token", &token)])
            .await;
        assert_eq!(revoked.status, 200);
        assert!(revoked.body.is_empty());

        let inactive = app
            .post_form(
                "/introspect",
                Some(("resource-server", &rs)),
                &[("token", &token)],
            )
            .await;
        assert_eq!(
            inactive.json(),
            serde_json::json!({"active": false}),
            "{format:?}"
        );
        // Revoking again is still a 200 (RFC 7009 §2.2).
        assert_eq!(
            app.post_form("/revoke", Some((id, &secret)), &[("token", &token)])
                .await
                .status,
            200
        );
    }
}

#[tokio::test]
async fn unknown_or_forged_tokens_are_inactive() {
    let app = spawn_app().await;
    let rs = app.service_client("rs", AccessTokenFormat::Jwt).await;
    let token = app.access_token("rs", &rs).await;
    let mut forged = token.clone();
    let last = forged.pop().unwrap();
    forged.push(if last == 'A' { 'B' } else { 'A' });
    for t in ["sat_doesnotexist", "not-a-token", "a.b.c", forged.as_str()] {
        let reply = app
            .post_form("/introspect", Some(("rs", &rs)), &[("token", t)])
            .await;
        assert_eq!(reply.json(), serde_json::json!({"active": false}), "{t}");
    }
}

#[tokio::test]
async fn introspection_needs_an_authenticated_confidential_client() {
    let app = spawn_app().await;
    let rs = app.service_client("rs", AccessTokenFormat::Jwt).await;
    let token = app.access_token("rs", &rs).await;
    app.post_form("/introspect", None, &[("token", &token)])
        .await
        .assert_error(401, "invalid_client", "client authentication failed");
    app.post_form(
        "/introspect",
        Some(("rs", &Secret::generate())),
        &[("token", &token)],
    )
    .await
    .assert_error(401, "invalid_client", "client authentication failed");
    app.client_with("spa", AuthMethod::None, |m| {
        m.grant_types = vec![GrantType::AuthorizationCode];
        m.redirect_uris = vec!["https://spa.example/cb".into()];
    })
    .await;
    app.post_form(
        "/introspect",
        None,
        &[("token", &token), ("client_id", "spa")],
    )
    .await
    .assert_error(401, "invalid_client", "client authentication failed");
    app.post_form("/introspect", Some(("rs", &rs)), &[])
        .await
        .assert_error(400, "invalid_request", "the token parameter is missing");
}

#[tokio::test]
async fn a_client_cannot_revoke_another_clients_token() {
    let app = spawn_app().await;
    let owner = app.service_client("owner", AccessTokenFormat::Opaque).await;
    let other = app.service_client("other", AccessTokenFormat::Opaque).await;
    let token = app.access_token("owner", &owner).await;
    app.post_form("/revoke", Some(("other", &other)), &[("token", &token)])
        .await
        .assert_error(
            400,
            "unauthorized_client",
            "the token was not issued to this client",
        );
    let still = app
        .post_form("/introspect", Some(("owner", &owner)), &[("token", &token)])
        .await;
    assert_eq!(still.json()["active"], true);
    app.post_form("/revoke", Some(("owner", &owner)), &[])
        .await
        .assert_error(400, "invalid_request", "the token parameter is missing");
    app.post_form("/revoke", None, &[("token", &token)])
        .await
        .assert_error(401, "invalid_client", "client authentication failed");
}

/// Deleting a client ends everything issued to it: its JWTs and opaque tokens are inactive, its
/// refresh tokens dead, and a client made again under its id inherits no consent or token.
#[tokio::test]
async fn a_deleted_clients_tokens_and_consents_end_with_it() {
    use crate::interaction::{Browser, REDIRECT, alice, web_client};
    use sesame_core::client::AuthMethod;
    let app = spawn_app().await;
    alice(&app).await;
    let rs = app.service_client("rs", AccessTokenFormat::Opaque).await;
    let svc = app.service_client("svc", AccessTokenFormat::Jwt).await;
    let service_token = app.access_token("svc", &svc).await;
    let web = web_client(&app, "web", AuthMethod::ClientSecretBasic, |_| {})
        .await
        .unwrap();
    let browser = Browser::new(&app);
    let query = crate::helpers::serde_urlencoded(&[
        ("client_id", "web"),
        ("redirect_uri", REDIRECT),
        ("response_type", "code"),
        ("scope", "openid offline_access"),
    ]);
    let start = format!("{}/authorize?{query}", app.base);
    let code = browser.sign_in(&start).await.param("code").unwrap();
    let tokens = app
        .post_form(
            "/token",
            Some(("web", &web)),
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", REDIRECT),
            ],
        )
        .await
        .json();
    let store = app.provider.store();
    assert!(store.delete_client("web").await.unwrap());
    assert!(store.delete_client("svc").await.unwrap());
    // Other nodes see the deletion within the client cache's life (1 s in the tests).
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    for token in [
        tokens["access_token"].as_str().unwrap(),
        tokens["refresh_token"].as_str().unwrap(),
        &service_token,
    ] {
        let reply = app
            .post_form("/introspect", Some(("rs", &rs)), &[("token", token)])
            .await;
        assert_eq!(reply.json()["active"], false, "{token}");
    }
    // Made again under the same id: no token, no consent of the old one.
    let again = web_client(&app, "web", AuthMethod::ClientSecretBasic, |_| {})
        .await
        .unwrap();
    let refresh = tokens["refresh_token"].as_str().unwrap();
    app.post_form(
        "/token",
        Some(("web", &again)),
        &[("grant_type", "refresh_token"), ("refresh_token", refresh)],
    )
    .await
    .assert_error(400, "invalid_grant", "the refresh token is invalid");
    let consent = browser.follow(&browser.get(&start).await).await;
    assert!(
        consent.is_consent(),
        "consent is asked again: {}",
        consent.body
    );
}
