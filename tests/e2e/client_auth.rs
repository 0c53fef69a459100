//! `private_key_jwt` (RFC 7523 §2.2, OIDC Core §9) against the real token endpoint.

use crate::helpers::{TestApp, spawn_app};
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};
use sesame_core::client::AuthMethod;

pub const JWT_BEARER: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

pub struct KeyHolder {
    pkcs8: Vec<u8>,
    kid: &'static str,
}

impl KeyHolder {
    pub fn new() -> Self {
        Self::with_kid("client-key-1")
    }

    pub fn with_kid(kid: &'static str) -> Self {
        let doc =
            EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &SystemRandom::new())
                .unwrap();
        Self {
            pkcs8: doc.as_ref().to_vec(),
            kid,
        }
    }

    pub fn public_jwks(&self) -> Value {
        let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &self.pkcs8).unwrap();
        let p = pair.public_key().as_ref();
        json!({"keys": [{"kty": "EC", "crv": "P-256", "kid": self.kid, "alg": "ES256", "use": "sig",
            "x": URL_SAFE_NO_PAD.encode(&p[1..33]), "y": URL_SAFE_NO_PAD.encode(&p[33..65])}]})
    }

    /// A JWS with this protected header, signed ES256 by hand (jsonwebtoken writes no `crit`).
    pub fn signed_with_header(&self, header: Value, claims: Value) -> String {
        let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &self.pkcs8).unwrap();
        let input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let sig = pair.sign(&SystemRandom::new(), input.as_bytes()).unwrap();
        format!("{input}.{}", URL_SAFE_NO_PAD.encode(sig.as_ref()))
    }

    pub fn assertion(&self, claims: Value) -> String {
        let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::ES256);
        header.kid = Some(self.kid.into());
        jsonwebtoken::encode(
            &header,
            &claims,
            &jsonwebtoken::EncodingKey::from_ec_der(&self.pkcs8),
        )
        .unwrap()
    }
}

/// A token request authenticated by this assertion alone.
pub fn assertion_form(assertion: &str) -> [(&'static str, &str); 3] {
    [
        ("grant_type", "client_credentials"),
        ("client_assertion_type", JWT_BEARER),
        ("client_assertion", assertion),
    ]
}

fn claims(app: &TestApp, jti: &str) -> Value {
    let now = jsonwebtoken::get_current_timestamp();
    json!({"iss": "signer", "sub": "signer", "aud": app.url("/token"), "jti": jti, "iat": now, "exp": now + 120})
}

async fn setup() -> (TestApp, KeyHolder) {
    let app = spawn_app().await;
    let key = KeyHolder::new();
    let jwks = key.public_jwks();
    app.client_with("signer", AuthMethod::PrivateKeyJwt, move |m| {
        m.jwks = Some(jwks)
    })
    .await;
    (app, key)
}

#[tokio::test]
async fn a_signed_assertion_authenticates_once() {
    let (app, key) = setup().await;
    let assertion = key.assertion(claims(&app, "jti-1"));
    let form = assertion_form(&assertion);
    let ok = app.post_form("/token", None, &form).await;
    assert_eq!(ok.status, 200, "{}", ok.body);
    // RFC 7523 §3 item 7: the same jti again is a replay.
    app.post_form("/token", None, &form).await.assert_error(
        401,
        "invalid_client",
        "client authentication failed",
    );
}

#[tokio::test]
async fn assertions_that_fail_a_check_are_invalid_client() {
    let (app, key) = setup().await;
    let mut wrong_aud = claims(&app, "a");
    wrong_aud["aud"] = json!("https://someone-else.example/token");
    let mut expired = claims(&app, "b");
    expired["exp"] = json!(jsonwebtoken::get_current_timestamp() - 600);
    let mut wrong_iss = claims(&app, "c");
    wrong_iss["iss"] = json!("mallory");
    let mut no_jti = claims(&app, "d");
    no_jti.as_object_mut().unwrap().remove("jti");
    let stranger = KeyHolder::new().assertion(claims(&app, "e"));
    for assertion in [
        key.assertion(wrong_aud),
        key.assertion(expired),
        key.assertion(wrong_iss),
        key.assertion(no_jti),
        stranger,
    ] {
        app.post_form("/token", None, &assertion_form(&assertion))
            .await
            .assert_error(401, "invalid_client", "client authentication failed");
    }
}

#[tokio::test]
async fn an_unknown_assertion_type_or_a_missing_half_is_refused() {
    let (app, key) = setup().await;
    let assertion = key.assertion(claims(&app, "x"));
    app.post_form(
        "/token",
        None,
        &[
            ("grant_type", "client_credentials"),
            ("client_assertion_type", "urn:example:saml"),
            ("client_assertion", &assertion),
        ],
    )
    .await
    .assert_error(401, "invalid_client", "client authentication failed");
    app.post_form(
        "/token",
        None,
        &[
            ("grant_type", "client_credentials"),
            ("client_assertion", &assertion),
        ],
    )
    .await
    .assert_error(400, "invalid_request", "client_assertion_type is missing");
}

#[tokio::test]
async fn rfc7515_4_1_11_an_assertion_with_a_critical_extension_is_refused() {
    let (app, key) = setup().await;
    let header = json!({"alg": "ES256", "kid": "client-key-1", "typ": "JWT"});
    let plain = key.signed_with_header(header.clone(), claims(&app, "plain"));
    let ok = app.post_form("/token", None, &assertion_form(&plain)).await;
    assert_eq!(
        ok.status, 200,
        "the hand-signed assertion itself is good: {}",
        ok.body
    );
    let mut critical = header;
    critical["crit"] = json!(["https://example.com/must-understand"]);
    critical["https://example.com/must-understand"] = json!(true);
    let refused = key.signed_with_header(critical, claims(&app, "critical"));
    app.post_form("/token", None, &assertion_form(&refused))
        .await
        .assert_error(401, "invalid_client", "client authentication failed");
}

#[tokio::test]
async fn rfc7591_2_keys_at_a_jwks_uri_authenticate_and_a_new_kid_is_followed_at_once() {
    let app = spawn_app().await;
    let first = KeyHolder::new();
    let published = std::sync::Arc::new(std::sync::RwLock::new(first.public_jwks()));
    let uri = crate::helpers::serve_json_shared(published.clone()).await;
    app.client_with("signer", AuthMethod::PrivateKeyJwt, move |m| {
        m.jwks_uri = Some(uri)
    })
    .await;
    let assertion = first.assertion(claims(&app, "jti-1"));
    let ok = app
        .post_form("/token", None, &assertion_form(&assertion))
        .await;
    assert_eq!(ok.status, 200, "{}", ok.body);
    // The client rotates: a new key under a new kid, published and used at once. The kept
    // copy lacks the kid, so the set is read again.
    let second = KeyHolder::with_kid("client-key-2");
    *published.write().unwrap() = second.public_jwks();
    let assertion = second.assertion(claims(&app, "jti-2"));
    let ok = app
        .post_form("/token", None, &assertion_form(&assertion))
        .await;
    assert_eq!(ok.status, 200, "{}", ok.body);
    // A made-up kid is refused, and cannot force another read within REFETCH_AFTER.
    let stranger = KeyHolder::with_kid("client-key-3");
    let assertion = stranger.assertion(claims(&app, "jti-3"));
    app.post_form("/token", None, &assertion_form(&assertion))
        .await
        .assert_error(401, "invalid_client", "client authentication failed");
}

#[tokio::test]
async fn rfc6749_5_2_keys_that_cannot_be_read_fail_client_authentication() {
    let app = spawn_app().await;
    let key = KeyHolder::new();
    // Nothing listens on the discard port: the client's key server is down.
    app.client_with("signer", AuthMethod::PrivateKeyJwt, |m| {
        m.jwks_uri = Some("http://127.0.0.1:9/jwks.json".into())
    })
    .await;
    let assertion = key.assertion(claims(&app, "jti-down"));
    app.post_form("/token", None, &assertion_form(&assertion))
        .await
        .assert_error(401, "invalid_client", "client authentication failed");
}
