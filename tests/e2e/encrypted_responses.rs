//! Encrypted ID tokens and signed or encrypted UserInfo (OIDC Core §5.3.2, §10.2; Registration
//! §2), opened by an independent JOSE implementation (Node's jose, tests/node/jose.mjs) with
//! keys it generated itself: Sesame's own code never checks its own output here.

use crate::helpers::{TestApp, missing, spawn_app};
use crate::interaction::{alice, code_flow_tokens, web_client};
use serde_json::{Value, json};
use sesame_core::client::AuthMethod;
use sesame_core::keys::Algorithm;
use sesame_core::keys::jwe::{ContentEncryption, KeyManagement};
use std::io::Write;

/// Why these tests cannot run here, if they cannot: Node's jose (`npm ci --prefix tests/node`).
fn jose_missing() -> bool {
    let module = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/node/node_modules/jose");
    missing((!std::path::Path::new(module).exists()).then_some(
        "Node's jose is not installed (npm ci --prefix tests/node), so the JWE tests did not run",
    ))
}

/// Runs `tests/node/jose.mjs` with `input` on stdin, off the runtime (the server keeps serving).
async fn jose(command: &'static str, input: Value) -> Value {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/node/jose.mjs");
    let output = tokio::task::spawn_blocking(move || {
        let mut child = std::process::Command::new("node")
            .args([script, command])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("node runs");
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.to_string().as_bytes())
            .unwrap();
        child.wait_with_output().unwrap()
    })
    .await
    .unwrap();
    assert!(
        output.status.success(),
        "jose.mjs {command} failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("one JSON document")
}

/// Opens `token` as the client `audience` holding `keys`, against the server's JWKS.
async fn open(app: &TestApp, keys: &Value, token: &str, audience: &str) -> Value {
    let jwks: Value = app.get("/jwks").await.json();
    jose(
        "open",
        json!({"token": token, "private": keys["private"], "jwks": jwks,
            "issuer": app.base, "audience": audience}),
    )
    .await
}

#[tokio::test]
async fn oidc_core_10_2_id_tokens_are_signed_then_encrypted_with_every_algorithm() {
    if jose_missing() {
        return;
    }
    let app = spawn_app().await;
    let sub = alice(&app).await;
    let keys = jose("keys", json!(null)).await;
    let cases = [
        (KeyManagement::RsaOaep256, None),
        (KeyManagement::EcdhEs, Some(ContentEncryption::A256Gcm)),
        (
            KeyManagement::EcdhEsA128Kw,
            Some(ContentEncryption::A128Gcm),
        ),
        (
            KeyManagement::EcdhEsA256Kw,
            Some(ContentEncryption::A128CbcHs256),
        ),
    ];
    for (i, (alg, enc)) in cases.into_iter().enumerate() {
        let client_id = format!("enc-{i}");
        let secret = web_client(&app, &client_id, AuthMethod::ClientSecretPost, |m| {
            m.jwks = Some(keys["public"].clone());
            m.id_token_signed_response_alg = Algorithm::ES256;
            m.id_token_encrypted_response_alg = Some(alg);
            m.id_token_encrypted_response_enc = enc;
            m.skip_consent = true;
        })
        .await
        .unwrap();
        let tokens = code_flow_tokens(&app, &client_id, secret.expose(), "openid email").await;
        let id_token = tokens["id_token"].as_str().unwrap();
        assert_eq!(id_token.split('.').count(), 5, "a JWE, not a JWS");
        let opened = open(&app, &keys, id_token, &client_id).await;
        let header = &opened["header"];
        assert_eq!(header["alg"], alg.as_str());
        // Registration §2: A128CBC-HS256 when only the alg is registered.
        assert_eq!(header["enc"], enc.unwrap_or_default().as_str());
        assert_eq!(header["cty"], "JWT", "a nested JWT");
        assert_eq!(opened["signed"], true, "verified against /jwks");
        assert_eq!(opened["claims"]["sub"], sub);
        assert_eq!(opened["claims"]["nonce"], "n-7");
        // The access token and refresh are unchanged by the ID token's encryption.
        assert!(tokens["access_token"].as_str().unwrap().split('.').count() == 3);
    }
}

#[tokio::test]
async fn oidc_core_5_3_2_userinfo_is_signed_encrypted_or_both_as_registered() {
    if jose_missing() {
        return;
    }
    let app = spawn_app().await;
    let sub = alice(&app).await;
    let keys = jose("keys", json!(null)).await;
    type Shape = (Option<Algorithm>, Option<KeyManagement>);
    let shapes: [(&str, Shape); 3] = [
        ("signed", (Some(Algorithm::RS256), None)),
        ("encrypted", (None, Some(KeyManagement::EcdhEs))),
        (
            "both",
            (Some(Algorithm::PS256), Some(KeyManagement::RsaOaep256)),
        ),
    ];
    for (client_id, (signed, encrypted)) in shapes {
        let secret = web_client(&app, client_id, AuthMethod::ClientSecretPost, |m| {
            m.jwks = Some(keys["public"].clone());
            m.userinfo_signed_response_alg = signed;
            m.userinfo_encrypted_response_alg = encrypted;
            m.skip_consent = true;
        })
        .await
        .unwrap();
        let tokens = code_flow_tokens(&app, client_id, secret.expose(), "openid email").await;
        let reply = app.userinfo(tokens["access_token"].as_str().unwrap()).await;
        assert_eq!(reply.status(), 200);
        assert_eq!(reply.headers()["content-type"], "application/jwt");
        let body = reply.text().await.unwrap();
        let opened = open(&app, &keys, &body, client_id).await;
        assert_eq!(opened["encrypted"], encrypted.is_some(), "{client_id}");
        assert_eq!(opened["signed"], signed.is_some(), "{client_id}");
        let claims = &opened["claims"];
        assert_eq!(claims["sub"], sub, "{client_id}");
        assert_eq!(claims["email"], "alice@example.com", "{client_id}");
        if signed.is_some() {
            // §5.3.2: a signed response names its issuer and audience (jose checked both).
            assert_eq!(claims["iss"], app.base.as_str());
        } else {
            assert!(
                claims.get("iss").is_none(),
                "{client_id}: plain claims inside"
            );
        }
    }
    // A client that registered neither still gets JSON.
    let secret = web_client(&app, "plain", AuthMethod::ClientSecretPost, |m| {
        m.skip_consent = true;
    })
    .await
    .unwrap();
    let tokens = code_flow_tokens(&app, "plain", secret.expose(), "openid email").await;
    let reply = app.userinfo(tokens["access_token"].as_str().unwrap()).await;
    assert_eq!(reply.headers()["content-type"], "application/json");
}

#[tokio::test]
async fn rfc7591_2_id_tokens_are_encrypted_to_the_key_at_the_jwks_uri() {
    if jose_missing() {
        return;
    }
    let app = spawn_app().await;
    let sub = alice(&app).await;
    let keys = jose("keys", json!(null)).await;
    let uri = crate::helpers::serve_json(keys["public"].clone()).await;
    let secret = web_client(&app, "remote", AuthMethod::ClientSecretPost, |m| {
        m.jwks_uri = Some(uri);
        m.id_token_encrypted_response_alg = Some(KeyManagement::RsaOaep256);
        m.skip_consent = true;
    })
    .await
    .unwrap();
    let tokens = code_flow_tokens(&app, "remote", secret.expose(), "openid").await;
    let opened = open(&app, &keys, tokens["id_token"].as_str().unwrap(), "remote").await;
    assert_eq!(opened["header"]["kid"], "enc-rsa");
    assert_eq!(opened["claims"]["sub"], sub);
}

#[tokio::test]
async fn registration_reads_the_jwks_uri_and_wants_a_key_for_each_encryption() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}/sesame.db", dir.path().display());
    let env = [("SESAME_DATABASE_URL", db.as_str())];
    let ec_only = json!({"keys": [{"kty": "EC", "crv": "P-256", "use": "enc",
        "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
        "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}]});
    let uri = crate::helpers::serve_json(ec_only).await;
    let create = |id: &'static str, alg: &'static str| {
        let uri = uri.clone();
        async move {
            crate::cli::sesame_async(
                &[
                    "client",
                    "create",
                    "--json",
                    "--client-id",
                    id,
                    "--redirect-uri",
                    "https://app.example/cb",
                    "--jwks-uri",
                    &uri,
                    "--id-token-encrypted-response-alg",
                    alg,
                ],
                &env,
            )
            .await
        }
    };
    let refused = create("rsa", "RSA-OAEP-256").await;
    assert_eq!(refused.status.code(), Some(1));
    let says = String::from_utf8_lossy(&refused.stderr);
    assert!(
        says.contains(
            "jwks_uri: id_token_encrypted_response_alg RSA-OAEP-256 needs a public RSA key"
        ),
        "{says}"
    );
    // A key server answering megabytes is cut off, not read into memory.
    let huge = crate::helpers::serve_json(json!({"keys": [], "pad": "x".repeat(2 << 20)})).await;
    let out = crate::cli::sesame_async(
        &[
            "client",
            "create",
            "--client-id",
            "huge",
            "--redirect-uri",
            "https://app.example/cb",
            "--jwks-uri",
            &huge,
            "--id-token-encrypted-response-alg",
            "ECDH-ES",
        ],
        &env,
    )
    .await;
    let says = String::from_utf8_lossy(&out.stderr);
    assert!(says.contains("answered more than 1048576 bytes"), "{says}");
    let created = create("ec", "ECDH-ES").await;
    assert!(created.status.success(), "{created:?}");
    let shown: Value = serde_json::from_slice(&created.stdout).unwrap();
    assert_eq!(shown["jwks_uri"], uri.as_str());
}

#[tokio::test]
async fn rfc6749_5_2_an_id_token_whose_key_cannot_be_read_is_temporarily_unavailable() {
    let app = spawn_app().await;
    alice(&app).await;
    let secret = web_client(&app, "down", AuthMethod::ClientSecretPost, |m| {
        m.jwks_uri = Some("http://127.0.0.1:9/jwks.json".into());
        m.id_token_encrypted_response_alg = Some(KeyManagement::EcdhEs);
        m.skip_consent = true;
    })
    .await
    .unwrap();
    let query = crate::helpers::serde_urlencoded(&[
        ("client_id", "down"),
        ("response_type", "code"),
        ("redirect_uri", crate::interaction::REDIRECT),
        ("scope", "openid"),
    ]);
    let code = crate::interaction::Browser::new(&app)
        .sign_in(&format!("{}/authorize?{query}", app.base))
        .await
        .param("code")
        .unwrap();
    let reply = app
        .post_form(
            "/token",
            None,
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", crate::interaction::REDIRECT),
                ("client_id", "down"),
                ("client_secret", secret.expose()),
            ],
        )
        .await;
    // Never an ID token in clear, never a 500: the code is spent, so the client starts over later.
    reply.assert_error(503, "temporarily_unavailable", "");
    assert!(
        reply.headers.contains_key("retry-after"),
        "{:?}",
        reply.headers
    );
}
