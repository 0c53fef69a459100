//! Every RFC 6749 §5.2 error of the token endpoint, with its exact code and status.

use crate::helpers::{Reply, send, spawn_app};
use sesame_core::client::{AccessTokenFormat, AuthMethod, GrantType};
use sesame_core::secret::Secret;

#[tokio::test]
async fn missing_grant_type_is_invalid_request() {
    let app = spawn_app().await;
    let secret = app.service_client("svc", AccessTokenFormat::Jwt).await;
    app.post_form("/token", Some(("svc", &secret)), &[("scope", "api:read")])
        .await
        .assert_error(
            400,
            "invalid_request",
            "the grant_type parameter is missing",
        );
}

#[tokio::test]
async fn duplicated_parameter_is_invalid_request() {
    let app = spawn_app().await;
    let secret = app.service_client("svc", AccessTokenFormat::Jwt).await;
    let reply = app
        .post_form(
            "/token",
            Some(("svc", &secret)),
            &[
                ("grant_type", "client_credentials"),
                ("scope", "api:read"),
                ("scope", "api:write"),
            ],
        )
        .await;
    reply.assert_error(
        400,
        "invalid_request",
        "the scope parameter was included more than once",
    );
    assert!(
        reply.json()["error_description"]
            .as_str()
            .unwrap()
            .contains("scope")
    );
}

#[tokio::test]
async fn unknown_grant_type_is_unsupported_grant_type() {
    let app = spawn_app().await;
    let secret = app.service_client("svc", AccessTokenFormat::Jwt).await;
    for grant in ["magic", "urn:ietf:params:oauth:grant-type:saml2-bearer"] {
        app.post_form("/token", Some(("svc", &secret)), &[("grant_type", grant)])
            .await
            .assert_error(
                400,
                "unsupported_grant_type",
                "this grant_type is not supported",
            );
    }
}

#[tokio::test]
async fn grant_not_registered_for_the_client_is_unauthorized_client() {
    let app = spawn_app().await;
    let secret = app
        .client_with("web", AuthMethod::ClientSecretBasic, |m| {
            m.grant_types = vec![GrantType::AuthorizationCode];
            m.redirect_uris = vec!["https://app.example/cb".into()];
        })
        .await
        .unwrap();
    app.client_credentials("web", &secret).await.assert_error(
        400,
        "unauthorized_client",
        "the client is not allowed the client_credentials grant",
    );
}

#[tokio::test]
async fn scope_beyond_the_clients_is_invalid_scope() {
    let app = spawn_app().await;
    let secret = app.service_client("svc", AccessTokenFormat::Jwt).await;
    for (scope, says) in [
        (
            "api:admin",
            "the client may not request the scope api:admin",
        ),
        (
            "api:read api:admin",
            "the client may not request the scope api:admin",
        ),
        (
            "openid",
            "openid needs a user and cannot be granted to a client alone",
        ),
        ("bad\"scope", "a scope may only contain printable ASCII"),
    ] {
        app.post_form(
            "/token",
            Some(("svc", &secret)),
            &[("grant_type", "client_credentials"), ("scope", scope)],
        )
        .await
        .assert_error(400, "invalid_scope", says);
    }
}

#[tokio::test]
async fn bad_client_credentials_are_invalid_client_with_a_basic_challenge() {
    let app = spawn_app().await;
    let secret = app.service_client("svc", AccessTokenFormat::Jwt).await;
    let cc = [("grant_type", "client_credentials")];
    let wrong = Secret::generate();
    app.post_form("/token", Some(("svc", &wrong)), &cc)
        .await
        .assert_error(401, "invalid_client", "client authentication failed");
    app.post_form("/token", Some(("nobody", &secret)), &cc)
        .await
        .assert_error(401, "invalid_client", "client authentication failed");
    app.post_form("/token", None, &cc).await.assert_error(
        401,
        "invalid_client",
        "client authentication failed",
    );
    // Same description whatever was wrong: no hint whether the client exists.
    let a = app
        .post_form("/token", Some(("svc", &wrong)), &cc)
        .await
        .json();
    let b = app
        .post_form("/token", Some(("nobody", &secret)), &cc)
        .await
        .json();
    assert_eq!(a, b);
    // Garbage in the Basic header.
    let reply = send(
        app.http
            .post(app.url("/token"))
            .header("authorization", "Basic %%%not-base64")
            .header("content-type", "application/x-www-form-urlencoded")
            .body("grant_type=client_credentials"),
    )
    .await;
    reply.assert_error(401, "invalid_client", "client authentication failed");
}

#[tokio::test]
async fn two_authentication_methods_at_once_is_invalid_request() {
    let app = spawn_app().await;
    let secret = app.service_client("svc", AccessTokenFormat::Jwt).await;
    app.post_form(
        "/token",
        Some(("svc", &secret)),
        &[
            ("grant_type", "client_credentials"),
            ("client_id", "svc"),
            ("client_secret", secret.expose()),
        ],
    )
    .await
    .assert_error(
        400,
        "invalid_request",
        "the client used more than one authentication method",
    );
}

#[tokio::test]
async fn a_public_client_cannot_use_client_credentials() {
    let app = spawn_app().await;
    app.client_with("spa", AuthMethod::None, |m| {
        m.grant_types = vec![GrantType::AuthorizationCode];
        m.redirect_uris = vec!["https://spa.example/cb".into()];
    })
    .await;
    let reply: Reply = send(
        app.http
            .post(app.url("/token"))
            .header("content-type", "application/x-www-form-urlencoded")
            .body("grant_type=client_credentials&client_id=spa"),
    )
    .await;
    reply.assert_error(
        400,
        "unauthorized_client",
        "the client is not allowed the client_credentials grant",
    );
}

#[tokio::test]
async fn wrong_content_type_and_method_are_refused_cleanly() {
    let app = spawn_app().await;
    let json = send(
        app.http
            .post(app.url("/token"))
            .header("content-type", "application/json")
            .body(r#"{"grant_type":"client_credentials"}"#),
    )
    .await;
    json.assert_error(
        400,
        "invalid_request",
        "the request body must be application/x-www-form-urlencoded",
    );
    let get = app.get("/token?grant_type=client_credentials").await;
    assert_eq!(get.status, 405);
}
