//! The token, introspection and revocation rules end to end on the memory store.

use super::*;
use crate::ErrorCode;
use crate::client::{AccessTokenFormat, AuthMethod};
use crate::introspection::introspect;
use crate::revocation::revoke;
use crate::secret::Secret;
use crate::store::ClientStore;
use crate::testing;
use crate::testing::{T0, provider, service_client};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use serde_json::json;

fn basic(id: &str, secret: &Secret) -> String {
    format!(
        "Basic {}",
        STANDARD.encode(format!("{id}:{}", secret.expose()))
    )
}

fn form(body: &str) -> Params {
    Params::parse(body.as_bytes()).unwrap()
}

async fn setup(
    format: AccessTokenFormat,
) -> (
    crate::Provider,
    std::sync::Arc<crate::testing::MemoryStore>,
    std::sync::Arc<crate::clock::FixedClock>,
    Secret,
) {
    let (p, store, clock) = provider().await;
    let secret = Secret::generate();
    let mut c = service_client("svc", &secret, "api:read api:write");
    c.metadata.access_token_format = format;
    store.insert_client(&c).await.unwrap();
    (p, store, clock, secret)
}

#[tokio::test]
async fn client_credentials_issues_introspects_and_revokes_both_formats() {
    for format in [AccessTokenFormat::Jwt, AccessTokenFormat::Opaque] {
        let (p, _store, clock, secret) = setup(format).await;
        let auth = basic("svc", &secret);
        let (resp, grant) = exchange(
            &p,
            testing::caller(Some(&auth)),
            form("grant_type=client_credentials&scope=api:read"),
        )
        .await
        .unwrap();
        assert_eq!(grant, GrantType::ClientCredentials);
        assert_eq!(resp.scope.as_deref(), Some("api:read"));
        assert_eq!(resp.token_type, "Bearer");
        assert_eq!(
            resp.access_token.starts_with(OPAQUE_PREFIX),
            format == AccessTokenFormat::Opaque
        );

        let body = format!("token={}", resp.access_token);
        let active = introspect(&p, testing::caller(Some(&auth)), form(&body))
            .await
            .unwrap();
        assert!(active.active, "{format:?}");
        let claims = active.claims.unwrap();
        assert_eq!(
            (claims.sub.as_str(), claims.client_id.as_str()),
            ("svc", "svc")
        );
        assert_eq!(claims.exp, T0 + 3600);

        revoke(&p, testing::caller(Some(&auth)), form(&body))
            .await
            .unwrap();
        assert!(
            !introspect(&p, testing::caller(Some(&auth)), form(&body))
                .await
                .unwrap()
                .active
        );

        // A fresh token expires on time.
        let (resp, _) = exchange(
            &p,
            testing::caller(Some(&auth)),
            form("grant_type=client_credentials"),
        )
        .await
        .unwrap();
        let body = format!("token={}", resp.access_token);
        clock.advance(3600);
        assert!(
            !introspect(&p, testing::caller(Some(&auth)), form(&body))
                .await
                .unwrap()
                .active
        );
    }
}

#[tokio::test]
async fn token_endpoint_errors_follow_rfc6749() {
    let (p, store, _clock, secret) = setup(AccessTokenFormat::Jwt).await;
    let auth = basic("svc", &secret);
    let code = |r: Result<_, TokenError>| r.map(|_| ()).unwrap_err().code;

    assert_eq!(
        code(exchange(&p, testing::caller(Some(&auth)), form("scope=api:read")).await),
        ErrorCode::InvalidRequest
    );
    assert_eq!(
        code(exchange(&p, testing::caller(Some(&auth)), form("grant_type=magic")).await),
        ErrorCode::UnsupportedGrantType
    );
    assert_eq!(
        code(
            exchange(
                &p,
                testing::caller(Some(&auth)),
                form("grant_type=client_credentials&scope=admin")
            )
            .await
        ),
        ErrorCode::InvalidScope
    );
    assert_eq!(
        code(
            exchange(
                &p,
                testing::caller(Some(&basic("svc", &Secret::generate()))),
                form("grant_type=client_credentials")
            )
            .await
        ),
        ErrorCode::InvalidClient
    );
    assert_eq!(
        code(
            exchange(
                &p,
                testing::caller(Some(&basic("nobody", &secret))),
                form("grant_type=client_credentials")
            )
            .await
        ),
        ErrorCode::InvalidClient
    );
    assert_eq!(
        code(
            exchange(
                &p,
                testing::caller(None),
                form("grant_type=client_credentials")
            )
            .await
        ),
        ErrorCode::InvalidClient
    );
    // Registered for Basic, authenticating with the body: refused.
    let post = format!(
        "grant_type=client_credentials&client_id=svc&client_secret={}",
        secret.expose()
    );
    assert_eq!(
        code(exchange(&p, testing::caller(None), form(&post)).await),
        ErrorCode::InvalidClient
    );

    let mut c = store.get_client("svc").await.unwrap().unwrap();
    c.metadata.grant_types = vec![GrantType::AuthorizationCode];
    store.upsert_client(&c).await.unwrap();
    assert_eq!(
        code(
            exchange(
                &p,
                testing::caller(Some(&auth)),
                form("grant_type=client_credentials")
            )
            .await
        ),
        ErrorCode::UnauthorizedClient
    );
}

#[tokio::test]
async fn revoking_another_clients_token_is_refused() {
    let (p, store, _clock, secret) = setup(AccessTokenFormat::Opaque).await;
    let other_secret = Secret::generate();
    store
        .insert_client(&service_client("other", &other_secret, "api:read"))
        .await
        .unwrap();
    let (resp, _) = exchange(
        &p,
        testing::caller(Some(&basic("svc", &secret))),
        form("grant_type=client_credentials"),
    )
    .await
    .unwrap();
    let body = format!("token={}", resp.access_token);
    let e = revoke(
        &p,
        testing::caller(Some(&basic("other", &other_secret))),
        form(&body),
    )
    .await
    .unwrap_err();
    assert_eq!(e.code, ErrorCode::UnauthorizedClient);
    assert!(
        introspect(
            &p,
            testing::caller(Some(&basic("svc", &secret))),
            form(&body)
        )
        .await
        .unwrap()
        .active
    );
    // Unknown tokens revoke "successfully" (RFC 7009 §2.2).
    revoke(
        &p,
        testing::caller(Some(&basic("svc", &secret))),
        form("token=sat_unknown"),
    )
    .await
    .unwrap();
}

#[tokio::test]
async fn private_key_jwt_accepts_a_fresh_assertion_once() {
    use aws_lc_rs::rand::SystemRandom;
    use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair};
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    let (p, store, _clock) = provider().await;
    let pkcs8 =
        EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &SystemRandom::new())
            .unwrap();
    let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref()).unwrap();
    let point = pair.public_key().as_ref();
    let mut c = service_client("jwt-client", &Secret::generate(), "api:read");
    c.secret_hash = None;
    c.metadata.token_endpoint_auth_method = AuthMethod::PrivateKeyJwt;
    c.metadata.jwks = Some(json!({"keys": [{
        "kty": "EC", "crv": "P-256", "kid": "k1", "alg": "ES256",
        "x": URL_SAFE_NO_PAD.encode(&point[1..33]), "y": URL_SAFE_NO_PAD.encode(&point[33..65]),
    }]}));
    store.insert_client(&c).await.unwrap();

    let sign = |claims: serde_json::Value| {
        let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::ES256);
        header.kid = Some("k1".into());
        let key = jsonwebtoken::EncodingKey::from_ec_der(pkcs8.as_ref());
        jsonwebtoken::encode(&header, &claims, &key).unwrap()
    };
    let claims = |jti: &str, aud: &str| {
        json!({
            "iss": "jwt-client", "sub": "jwt-client", "aud": aud, "jti": jti, "exp": T0 + 60, "iat": T0,
        })
    };
    let body = |assertion: String| {
        form(&format!(
            "grant_type=client_credentials&client_assertion_type={}&client_assertion={assertion}",
            crate::client_auth::JWT_BEARER
        ))
    };
    let ok = exchange(
        &p,
        testing::caller(None),
        body(sign(claims("j1", "https://id.test/token"))),
    )
    .await;
    assert!(ok.is_ok(), "{:?}", ok.err());
    let issuer_aud = exchange(
        &p,
        testing::caller(None),
        body(sign(claims("j2", "https://id.test"))),
    )
    .await;
    assert!(issuer_aud.is_ok());

    let code = |r: Result<_, TokenError>| r.map(|_| ()).unwrap_err().code;
    // RFC 7523 §3: replayed jti, foreign audience, expired, too long-lived.
    assert_eq!(
        code(
            exchange(
                &p,
                testing::caller(None),
                body(sign(claims("j1", "https://id.test/token")))
            )
            .await
        ),
        ErrorCode::InvalidClient
    );
    assert_eq!(
        code(
            exchange(
                &p,
                testing::caller(None),
                body(sign(claims("j3", "https://elsewhere")))
            )
            .await
        ),
        ErrorCode::InvalidClient
    );
    let mut expired = claims("j4", "https://id.test");
    expired["exp"] = json!(T0 - 60);
    assert_eq!(
        code(exchange(&p, testing::caller(None), body(sign(expired))).await),
        ErrorCode::InvalidClient
    );
    let mut forever = claims("j5", "https://id.test");
    forever["exp"] = json!(T0 + 86_400 * 365);
    assert_eq!(
        code(exchange(&p, testing::caller(None), body(sign(forever))).await),
        ErrorCode::InvalidClient
    );
    // Signed by another key.
    let other =
        EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &SystemRandom::new())
            .unwrap();
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::ES256);
    header.kid = Some("k1".into());
    let forged = jsonwebtoken::encode(
        &header,
        &claims("j6", "https://id.test"),
        &jsonwebtoken::EncodingKey::from_ec_der(other.as_ref()),
    )
    .unwrap();
    assert_eq!(
        code(exchange(&p, testing::caller(None), body(forged)).await),
        ErrorCode::InvalidClient
    );
    // HMAC with the public key as the secret: the classic confusion, refused by alg.
    let hs = jsonwebtoken::encode(
        &jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256),
        &claims("j7", "https://id.test"),
        &jsonwebtoken::EncodingKey::from_secret(b"x"),
    )
    .unwrap();
    assert_eq!(
        code(exchange(&p, testing::caller(None), body(hs)).await),
        ErrorCode::InvalidClient
    );
}

/// RFC 7523 §3 item 7: the jti record lives as long as the assertion is accepted, leeway and
/// all, so a sweep between the use and a replay within the leeway does not reopen it.
#[tokio::test]
async fn rfc7523_3_a_replay_within_the_clock_leeway_after_a_sweep_is_still_refused() {
    use crate::store::Maintenance;
    use aws_lc_rs::rand::SystemRandom;
    use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair};
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    let (p, store, clock) = provider().await;
    let pkcs8 =
        EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &SystemRandom::new())
            .unwrap();
    let pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref()).unwrap();
    let point = pair.public_key().as_ref();
    let mut c = service_client("signer", &Secret::generate(), "api:read");
    c.secret_hash = None;
    c.metadata.token_endpoint_auth_method = AuthMethod::PrivateKeyJwt;
    c.metadata.jwks = Some(json!({"keys": [{
        "kty": "EC", "crv": "P-256", "kid": "k1", "alg": "ES256",
        "x": URL_SAFE_NO_PAD.encode(&point[1..33]), "y": URL_SAFE_NO_PAD.encode(&point[33..65]),
    }]}));
    store.insert_client(&c).await.unwrap();
    let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::ES256);
    header.kid = Some("k1".into());
    let claims = json!({"iss": "signer", "sub": "signer", "aud": "https://id.test/token",
        "jti": "once", "iat": T0, "exp": T0 + 10});
    let assertion = jsonwebtoken::encode(
        &header,
        &claims,
        &jsonwebtoken::EncodingKey::from_ec_der(pkcs8.as_ref()),
    )
    .unwrap();
    let body = format!(
        "grant_type=client_credentials&client_assertion_type={}&client_assertion={assertion}",
        crate::client_auth::JWT_BEARER
    );
    assert!(
        exchange(&p, testing::caller(None), form(&body))
            .await
            .is_ok()
    );
    // Past exp, within the leeway: a sweep now must not forget the jti.
    clock.advance(20);
    store.sweep_expired(p.now(), 100).await.unwrap();
    let replay = exchange(&p, testing::caller(None), form(&body)).await;
    let e = replay.map(|_| ()).unwrap_err();
    assert_eq!(e.code, ErrorCode::InvalidClient);
    assert_eq!(
        e.cause.as_deref(),
        Some("client_assertion jti was already used")
    );
}
