//! OAuth 1.0a end to end with an independent client implementation: Python's oauthlib signs
//! every request (tests/oauth1/sign.py); the approval is driven over HTTP. Every failure gets
//! its status and `oauth_problem`.

use crate::helpers::{TestApp, spawn_app};
use crate::interaction::{Browser, PASSWORD, alice};
use serde_json::{Value, json};
use sesame_core::client::{AuthMethod, GrantType};
use sesame_core::secret::Secret;
use std::collections::HashMap;

const CALLBACK: &str = "https://legacy.example/cb";

struct Legacy {
    app: TestApp,
    secret: Secret,
}

/// Python's oauthlib signs the requests as an independent client.
fn oauthlib_missing() -> bool {
    let present = std::process::Command::new("python3")
        .args(["-c", "import oauthlib"])
        .status()
        .is_ok_and(|s| s.success());
    crate::helpers::missing((!present).then_some(
        "Python's oauthlib is not installed (pip install -r tests/oauth1/requirements.txt), so the OAuth 1.0a test did not run",
    ))
}

async fn legacy() -> Legacy {
    let app = spawn_app().await;
    alice(&app).await;
    let secret = app
        .client_with("legacy", AuthMethod::ClientSecretBasic, |m| {
            m.client_name = Some("Legacy photo printer".into());
            m.oauth1 = true;
            m.grant_types = vec![GrantType::AuthorizationCode];
            m.redirect_uris = vec![CALLBACK.into(), "http://127.0.0.1/cb".into()];
        })
        .await
        .unwrap();
    // What `sesame client create --oauth1` and [[clients]] do: keep the consumer secret sealed.
    let sealed = sesame_core::oauth1::seal(None, "legacy", secret.expose()).unwrap();
    app.provider
        .store()
        .put_oauth1_secret("legacy", &sealed)
        .await
        .unwrap();
    Legacy { app, secret }
}

/// Signs with oauthlib, sends, and returns (status, headers, body).
async fn send(
    l: &Legacy,
    path: &str,
    method: &str,
    extra: Value,
) -> (u16, reqwest::header::HeaderMap, String) {
    let mut spec = json!({
        "method": method, "uri": l.app.url(path), "client_key": "legacy",
        "client_secret": l.secret.expose(), "body": if method == "POST" { json!("") } else { Value::Null },
    });
    for (k, v) in extra.as_object().unwrap() {
        spec[k] = v.clone();
    }
    let output = tokio::task::spawn_blocking(move || {
        std::process::Command::new("python3")
            .arg(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/oauth1/sign.py"))
            .arg(spec.to_string())
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let signed: Value = serde_json::from_slice(&output.stdout).unwrap();
    let mut request = l
        .app
        .http
        .request(method.parse().unwrap(), signed["uri"].as_str().unwrap());
    for (k, v) in signed["headers"].as_object().unwrap() {
        request = request.header(k, v.as_str().unwrap());
    }
    if let Some(body) = signed["body"].as_str() {
        request = request.body(body.to_owned());
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    (status, headers, response.text().await.unwrap())
}

fn form(body: &str) -> HashMap<String, String> {
    form_urlencoded::parse(body.as_bytes())
        .into_owned()
        .collect()
}

#[track_caller]
fn assert_problem(reply: &(u16, reqwest::header::HeaderMap, String), status: u16, problem: &str) {
    assert_eq!(reply.0, status, "{}", reply.2);
    assert_eq!(form(&reply.2)["oauth_problem"], problem, "{}", reply.2);
    let challenge = reply.1["www-authenticate"].to_str().unwrap();
    assert!(challenge.starts_with("OAuth "), "{challenge}");
    assert!(challenge.contains(problem));
}

/// Temporary credentials for the callback.
async fn request_token(l: &Legacy, extra: Value) -> HashMap<String, String> {
    let mut spec = json!({"callback_uri": CALLBACK});
    for (k, v) in extra.as_object().unwrap() {
        spec[k] = v.clone();
    }
    let reply = send(l, "/oauth1/request_token", "POST", spec).await;
    assert_eq!(reply.0, 200, "{}", reply.2);
    assert_eq!(reply.1["content-type"], "application/x-www-form-urlencoded");
    form(&reply.2)
}

/// Signs in and approves on /oauth1/authorize; returns the callback's query.
async fn approve(l: &Legacy, token: &str) -> HashMap<String, String> {
    let browser = Browser::new(&l.app);
    let login = browser
        .get(&format!("/oauth1/authorize?oauth_token={token}"))
        .await;
    assert!(login.is_login(), "{}", login.body);
    let csrf = login.field("csrf_token").unwrap();
    let confirm = browser
        .post(
            "/oauth1/authorize",
            &[
                ("csrf_token", &csrf),
                ("oauth_token", token),
                ("username", "alice"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert!(confirm.is_consent(), "{}", confirm.body);
    assert!(confirm.body.contains("Legacy photo printer"));
    let csrf = confirm.field("csrf_token").unwrap();
    let back = browser
        .post(
            "/oauth1/authorize",
            &[
                ("csrf_token", &csrf),
                ("oauth_token", token),
                ("decision", "allow"),
            ],
        )
        .await;
    assert_eq!(back.status, 303, "{}", back.body);
    let location = back.location.unwrap();
    assert!(location.starts_with(CALLBACK), "{location}");
    let url = url::Url::parse(&location).unwrap();
    url.query_pairs().into_owned().collect()
}

#[tokio::test]
async fn three_legs_with_oauthlib_then_the_protected_resource() {
    if oauthlib_missing() {
        return;
    }
    let l = legacy().await;
    let temporary = request_token(&l, json!({})).await;
    assert_eq!(temporary["oauth_callback_confirmed"], "true");
    let back = approve(&l, &temporary["oauth_token"]).await;
    assert_eq!(back["oauth_token"], temporary["oauth_token"]);

    let exchange = json!({
        "resource_owner_key": temporary["oauth_token"], "resource_owner_secret": temporary["oauth_token_secret"],
        "verifier": back["oauth_verifier"],
    });
    let reply = send(&l, "/oauth1/access_token", "POST", exchange.clone()).await;
    assert_eq!(reply.0, 200, "{}", reply.2);
    let credentials = form(&reply.2);
    assert_ne!(credentials["oauth_token"], temporary["oauth_token"]);

    // The verifier and the temporary credentials are single-use.
    assert_problem(
        &send(&l, "/oauth1/access_token", "POST", exchange).await,
        401,
        "token_used",
    );

    // The protected resource, signed in each of the three places parameters may travel.
    for signature_type in ["AUTH_HEADER", "QUERY", "BODY"] {
        let method = if signature_type == "BODY" {
            "POST"
        } else {
            "GET"
        };
        let reply = send(
            &l,
            "/oauth1/userinfo",
            method,
            json!({
                "resource_owner_key": credentials["oauth_token"],
                "resource_owner_secret": credentials["oauth_token_secret"],
                "signature_type": signature_type,
            }),
        )
        .await;
        assert_eq!(reply.0, 200, "{signature_type}: {}", reply.2);
        let me: Value = serde_json::from_str(&reply.2).unwrap();
        assert_eq!(me["preferred_username"], "alice");
        assert_eq!(me["client_id"], "legacy");
    }
}

#[tokio::test]
async fn every_signature_method_oauthlib_speaks_is_accepted() {
    if oauthlib_missing() {
        return;
    }
    let l = legacy().await;
    for method in ["HMAC-SHA1", "HMAC-SHA256", "PLAINTEXT"] {
        let t = request_token(&l, json!({"signature_method": method})).await;
        assert!(t.contains_key("oauth_token_secret"), "{method}");
    }
}

#[tokio::test]
async fn forged_replayed_stale_and_misdirected_requests_are_refused() {
    if oauthlib_missing() {
        return;
    }
    let l = legacy().await;
    let callback = json!({"callback_uri": CALLBACK});
    // Wrong consumer secret: the signature fails.
    let mut forged = callback.clone();
    forged["client_secret"] = json!("not-the-secret-not-the-secret-not-the-secret");
    assert_problem(
        &send(&l, "/oauth1/request_token", "POST", forged).await,
        401,
        "signature_invalid",
    );
    // Unknown consumer.
    let mut stranger = callback.clone();
    stranger["client_key"] = json!("nobody");
    assert_problem(
        &send(&l, "/oauth1/request_token", "POST", stranger).await,
        401,
        "consumer_key_unknown",
    );
    // The same nonce and timestamp twice: the second is a replay.
    let now = sesame_core::clock::Clock::now(&sesame_core::clock::SystemClock).to_string();
    let mut once = callback.clone();
    once["timestamp"] = json!(now);
    once["nonce"] = json!("same-nonce-1234");
    assert_eq!(
        send(&l, "/oauth1/request_token", "POST", once.clone())
            .await
            .0,
        200
    );
    assert_problem(
        &send(&l, "/oauth1/request_token", "POST", once).await,
        401,
        "nonce_used",
    );
    // A timestamp far from the server's clock.
    let mut stale = callback.clone();
    stale["timestamp"] = json!("1000000000");
    assert_problem(
        &send(&l, "/oauth1/request_token", "POST", stale).await,
        401,
        "timestamp_refused",
    );
    // A callback the client never registered: no open redirect.
    let reply = send(
        &l,
        "/oauth1/request_token",
        "POST",
        json!({"callback_uri": "https://evil.example/cb"}),
    )
    .await;
    assert_problem(&reply, 400, "parameter_rejected");
    // No callback at all.
    assert_problem(
        &send(&l, "/oauth1/request_token", "POST", json!({})).await,
        400,
        "parameter_absent",
    );

    // A wrong verifier is refused, and does not spend the credentials.
    let temporary = request_token(&l, json!({})).await;
    let back = approve(&l, &temporary["oauth_token"]).await;
    let mut wrong = json!({
        "resource_owner_key": temporary["oauth_token"], "resource_owner_secret": temporary["oauth_token_secret"],
        "verifier": "not-the-verifier",
    });
    assert_problem(
        &send(&l, "/oauth1/access_token", "POST", wrong.clone()).await,
        401,
        "token_rejected",
    );
    wrong["verifier"] = json!(back["oauth_verifier"]);
    assert_eq!(send(&l, "/oauth1/access_token", "POST", wrong).await.0, 200);
}

#[tokio::test]
async fn malformed_requests_are_400_with_a_problem() {
    let l = legacy().await;
    let post = |auth: &'static str, query: &'static str| {
        let app = &l.app;
        async move {
            let response = app
                .http
                .post(app.url(&format!("/oauth1/request_token{query}")))
                .header("authorization", auth)
                .send()
                .await
                .unwrap();
            let status = response.status().as_u16();
            let headers = response.headers().clone();
            (status, headers, response.text().await.unwrap())
        }
    };
    let header = r#"OAuth oauth_consumer_key="legacy", oauth_signature_method="HMAC-SHA1", oauth_timestamp="1", oauth_nonce="n", oauth_signature="x", oauth_callback="oob""#;
    assert_problem(
        &post(header, "?oauth_nonce=again").await,
        400,
        "parameter_rejected",
    );
    let unsupported = r#"OAuth oauth_consumer_key="legacy", oauth_signature_method="MD5", oauth_timestamp="1", oauth_nonce="n", oauth_signature="x""#;
    assert_problem(
        &post(unsupported, "").await,
        400,
        "signature_method_rejected",
    );
    let missing = r#"OAuth oauth_signature_method="HMAC-SHA1", oauth_timestamp="1", oauth_nonce="n", oauth_signature="x""#;
    assert_problem(&post(missing, "").await, 400, "parameter_absent");
    let version = r#"OAuth oauth_consumer_key="legacy", oauth_version="2.0", oauth_signature_method="HMAC-SHA1", oauth_timestamp="1", oauth_nonce="n", oauth_signature="x""#;
    assert_problem(&post(version, "").await, 400, "version_rejected");
    // The approval page for an unknown token is a page, not a redirect.
    let page = Browser::new(&l.app)
        .get("/oauth1/authorize?oauth_token=nope")
        .await;
    assert_eq!(page.status, 400);
}

#[tokio::test]
async fn out_of_band_shows_the_verifier_and_deny_ends_the_request() {
    if oauthlib_missing() {
        return;
    }
    let l = legacy().await;
    let temporary = request_token(&l, json!({"callback_uri": "oob"})).await;
    let token = temporary["oauth_token"].clone();
    let browser = Browser::new(&l.app);
    let login = browser
        .get(&format!("/oauth1/authorize?oauth_token={token}"))
        .await;
    let csrf = login.field("csrf_token").unwrap();
    let confirm = browser
        .post(
            "/oauth1/authorize",
            &[
                ("csrf_token", &csrf),
                ("oauth_token", &token),
                ("username", "alice"),
                ("password", PASSWORD),
            ],
        )
        .await;
    let csrf = confirm.field("csrf_token").unwrap();
    let shown = browser
        .post(
            "/oauth1/authorize",
            &[
                ("csrf_token", &csrf),
                ("oauth_token", &token),
                ("decision", "allow"),
            ],
        )
        .await;
    assert_eq!(shown.status, 200);
    let start = shown.body.find("class=\"verifier\">").unwrap() + "class=\"verifier\">".len();
    let verifier = &shown.body[start..start + shown.body[start..].find('<').unwrap()];
    let reply = send(
        &l,
        "/oauth1/access_token",
        "POST",
        json!({"resource_owner_key": token, "resource_owner_secret": temporary["oauth_token_secret"], "verifier": verifier}),
    )
    .await;
    assert_eq!(reply.0, 200, "{}", reply.2);

    // Denied: the client's exchange says so.
    let denied = request_token(&l, json!({})).await;
    let token = denied["oauth_token"].clone();
    let page = browser
        .post(
            "/oauth1/authorize",
            &[
                ("csrf_token", &csrf),
                ("oauth_token", &token),
                ("decision", "deny"),
            ],
        )
        .await;
    assert!(page.body.contains("Access denied"), "{}", page.body);
    let reply = send(
        &l,
        "/oauth1/access_token",
        "POST",
        json!({"resource_owner_key": token, "resource_owner_secret": denied["oauth_token_secret"], "verifier": "x"}),
    )
    .await;
    assert_problem(&reply, 401, "permission_denied");
}

#[tokio::test]
async fn rsa_sha1_clients_sign_with_their_private_key() {
    use aws_lc_rs::encoding::AsDer;
    use aws_lc_rs::signature::{KeyPair, RsaKeyPair, RsaPublicKeyComponents};
    use base64::Engine;
    use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
    if oauthlib_missing() {
        return;
    }
    let key = RsaKeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048).unwrap();
    let der = AsDer::<aws_lc_rs::encoding::Pkcs8V1Der>::as_der(&key).unwrap();
    let body = STANDARD.encode(der.as_ref());
    let lines: Vec<&str> = body
        .as_bytes()
        .chunks(64)
        .map(|c| std::str::from_utf8(c).unwrap())
        .collect();
    let pem = format!(
        "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n",
        lines.join("\n")
    );
    let public: RsaPublicKeyComponents<Vec<u8>> = key.public_key().into();
    let app = spawn_app().await;
    app.client_with("rsa", AuthMethod::PrivateKeyJwt, |m| {
        m.oauth1 = true;
        m.grant_types = vec![GrantType::AuthorizationCode];
        m.redirect_uris = vec![CALLBACK.into()];
        m.jwks = Some(json!({"keys": [{"kty": "RSA", "kid": "k1",
            "n": URL_SAFE_NO_PAD.encode(&public.n), "e": URL_SAFE_NO_PAD.encode(&public.e)}]}));
    })
    .await;
    let l = Legacy {
        app,
        secret: Secret::new("unused-for-rsa-sha1"),
    };
    let signed = |client_key: &'static str| {
        json!({"client_key": client_key, "client_secret": Value::Null, "rsa_key": pem,
               "signature_method": "RSA-SHA1", "callback_uri": CALLBACK})
    };
    let reply = send(&l, "/oauth1/request_token", "POST", signed("rsa")).await;
    assert_eq!(reply.0, 200, "{}", reply.2);
    // The same key, claiming to be another consumer whose key differs: refused.
    let reply = send(&l, "/oauth1/request_token", "POST", json!({"client_key": "legacy-missing", "client_secret": Value::Null, "rsa_key": pem, "signature_method": "RSA-SHA1", "callback_uri": CALLBACK})).await;
    assert_problem(&reply, 401, "consumer_key_unknown");
}

#[tokio::test]
async fn problems_carry_their_companion_parameters_and_hostile_keys_are_refused_early() {
    if oauthlib_missing() {
        return;
    }
    let l = legacy().await;
    let mut stale = json!({"callback_uri": CALLBACK});
    stale["timestamp"] = json!("1000000000");
    let reply = send(&l, "/oauth1/request_token", "POST", stale).await;
    assert!(
        form(&reply.2).contains_key("oauth_acceptable_timestamps"),
        "{}",
        reply.2
    );
    let reply = send(&l, "/oauth1/request_token", "POST", json!({})).await;
    assert_eq!(form(&reply.2)["oauth_parameters_absent"], "oauth_callback");
    // A NUL in the consumer key never reaches the store (PostgreSQL refuses NUL in text).
    let hostile = l
        .app
        .http
        .post(l.app.url("/oauth1/request_token"))
        .header("authorization", r#"OAuth oauth_consumer_key="%00", oauth_signature_method="HMAC-SHA1", oauth_timestamp="1", oauth_nonce="n", oauth_signature="x""#)
        .send()
        .await
        .unwrap();
    assert_eq!(hostile.status(), 401);
    // A signed timestamp is digits only (no sign, no overflow).
    let reply = send(
        &l,
        "/oauth1/request_token",
        "POST",
        json!({"callback_uri": CALLBACK, "timestamp": "-9223372036854775808"}),
    )
    .await;
    assert_problem(&reply, 400, "parameter_rejected");
}

#[tokio::test]
async fn rfc8252_7_3_an_oauth1_callback_gets_no_loopback_port_exception() {
    if oauthlib_missing() {
        return;
    }
    let l = legacy().await;
    for callback in ["http://127.0.0.1:5000/cb", "HTTPS://legacy.example/cb"] {
        let spec = json!({"callback_uri": callback});
        let reply = send(&l, "/oauth1/request_token", "POST", spec).await;
        assert_problem(&reply, 400, "parameter_rejected");
    }
    request_token(&l, json!({"callback_uri": "http://127.0.0.1/cb"})).await;
}
