//! RFC 6749 §4.4 with the `oauth2` crate as the client, and a resource server that verifies the
//! RFC 9068 access token with the published JWKS alone.

use crate::helpers::{get_json, jwt_parts, spawn_app};
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use oauth2::basic::BasicClient;
use oauth2::{AuthType, ClientId, ClientSecret, Scope, TokenResponse, TokenUrl};
use serde_json::Value;
use sesame_core::client::{AccessTokenFormat, AuthMethod};

fn oauth2_client(
    base: &str,
    id: &str,
    secret: &str,
) -> oauth2::basic::BasicClient<
    oauth2::EndpointNotSet,
    oauth2::EndpointNotSet,
    oauth2::EndpointNotSet,
    oauth2::EndpointNotSet,
    oauth2::EndpointSet,
> {
    BasicClient::new(ClientId::new(id.to_owned()))
        .set_client_secret(ClientSecret::new(secret.to_owned()))
        .set_token_uri(TokenUrl::new(format!("{base}/token")).unwrap())
}

/// What a resource server does: fetch the JWKS from discovery, pick the key by kid, check the
/// signature, `typ`, issuer, audience and expiry. No Sesame code is involved.
async fn verify_as_resource_server(http: &reqwest::Client, issuer: &str, token: &str) -> Value {
    let discovery = get_json(http, &format!("{issuer}/.well-known/openid-configuration")).await;
    let jwks: JwkSet = http
        .get(discovery["jwks_uri"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let header = jsonwebtoken::decode_header(token).unwrap();
    assert_eq!(header.typ.as_deref(), Some("at+jwt"), "RFC 9068 §2.1");
    let jwk = jwks
        .find(header.kid.as_deref().unwrap())
        .expect("kid published in the JWKS");
    let mut validation = Validation::new(Algorithm::ES256);
    validation.set_issuer(&[issuer]);
    validation.set_audience(&[issuer]);
    validation.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
    jsonwebtoken::decode::<Value>(token, &DecodingKey::from_jwk(jwk).unwrap(), &validation)
        .expect("the token verifies with the JWKS alone")
        .claims
}

#[tokio::test]
async fn jwt_access_token_verifies_with_the_jwks_alone() {
    let app = spawn_app().await;
    let secret = app.service_client("svc", AccessTokenFormat::Jwt).await;
    let token = oauth2_client(&app.base, "svc", secret.expose())
        .exchange_client_credentials()
        .add_scope(Scope::new("api:read".into()))
        .request_async(&app.http)
        .await
        .expect("client_credentials succeeds");
    assert_eq!(token.token_type().as_ref(), "bearer");
    assert!(
        token.refresh_token().is_none(),
        "RFC 6749 §4.4.3: no refresh token"
    );
    assert_eq!(token.expires_in().unwrap().as_secs(), 3600);
    assert_eq!(token.scopes().unwrap()[0].as_str(), "api:read");

    let claims =
        verify_as_resource_server(&app.http, &app.base, token.access_token().secret()).await;
    // RFC 9068 §2.2: the claims a resource server relies on.
    assert_eq!(claims["sub"], "svc");
    assert_eq!(claims["client_id"], "svc");
    assert_eq!(claims["scope"], "api:read");
    assert!(claims["jti"].as_str().is_some_and(|j| j.len() >= 16));
    assert_eq!(
        claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(),
        3600
    );
    let (header, _) = jwt_parts(token.access_token().secret());
    assert_eq!(header["alg"], "ES256");
}

#[tokio::test]
async fn opaque_access_token_is_random_and_introspectable() {
    let app = spawn_app().await;
    let secret = app.service_client("svc", AccessTokenFormat::Opaque).await;
    let token = oauth2_client(&app.base, "svc", secret.expose())
        .exchange_client_credentials()
        .request_async(&app.http)
        .await
        .unwrap();
    let value = token.access_token().secret();
    assert!(value.starts_with("sat_") && !value.contains('.'), "{value}");
    // Without a scope parameter the client gets its registered scope (RFC 6749 §3.3).
    assert_eq!(token.scopes().unwrap().len(), 2);
    let reply = app
        .post_form("/introspect", Some(("svc", &secret)), &[("token", value)])
        .await;
    assert_eq!(reply.json()["active"], true);
}

#[tokio::test]
async fn client_secret_post_is_accepted_for_clients_registered_for_it() {
    let app = spawn_app().await;
    let secret = app
        .client_with("poster", AuthMethod::ClientSecretPost, |_| {})
        .await
        .unwrap();
    let token = oauth2_client(&app.base, "poster", secret.expose())
        .set_auth_type(AuthType::RequestBody)
        .exchange_client_credentials()
        .request_async(&app.http)
        .await
        .expect("client_secret_post works");
    assert!(!token.access_token().secret().is_empty());

    // The same client through Basic is not what it registered, and the answer says which
    // method it must use (RFC 6749 §2.3: one method per client).
    let basic = app.client_credentials("poster", &secret).await;
    basic.assert_error(
        401,
        "invalid_client",
        "client authentication failed: this client is registered for client_secret_post \
         (client_id and client_secret in the form body), not client_secret_basic",
    );
}

#[tokio::test]
async fn rfc6749_2_3_1_a_secret_in_the_body_of_a_basic_client_is_told_to_use_basic() {
    // JupyterHub's GenericOAuthenticator sends the secret in the body by default.
    let app = spawn_app().await;
    let secret = app.service_client("hub", AccessTokenFormat::Jwt).await;
    let in_body = app
        .post_form(
            "/token",
            None,
            &[
                ("grant_type", "client_credentials"),
                ("client_id", "hub"),
                ("client_secret", secret.expose()),
            ],
        )
        .await;
    in_body.assert_error(
        401,
        "invalid_client",
        "registered for client_secret_basic (the secret in an Authorization: Basic header), \
         not client_secret_post",
    );
}

#[tokio::test]
async fn token_responses_are_never_cached() {
    let app = spawn_app().await;
    let secret = app.service_client("svc", AccessTokenFormat::Jwt).await;
    let reply = app.client_credentials("svc", &secret).await;
    assert_eq!(reply.status, 200);
    assert_eq!(reply.headers["cache-control"], "no-store");
    assert_eq!(reply.headers["pragma"], "no-cache");
    assert_eq!(reply.headers["content-type"], "application/json");
    assert_eq!(reply.json()["token_type"], "Bearer");
}
