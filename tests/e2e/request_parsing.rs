//! Malformed, duplicated, random and huge requests always get a clean OAuth error: never a 5xx,
//! never a panic.

use crate::helpers::{TestApp, send, spawn_app};
use proptest::prelude::*;
use sesame_core::client::AccessTokenFormat;
use sesame_core::secret::Secret;

const ERRORS: [&str; 6] = [
    "invalid_request",
    "invalid_client",
    "unauthorized_client",
    "unsupported_grant_type",
    "invalid_scope",
    "invalid_grant",
];

async fn post_raw(
    app: &TestApp,
    path: &str,
    basic: Option<(&str, &Secret)>,
    body: Vec<u8>,
) -> (u16, String) {
    let mut request = app
        .http
        .post(app.url(path))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body);
    if let Some((id, secret)) = basic {
        request = request.basic_auth(id, Some(secret.expose()));
    }
    let reply = send(request).await;
    (reply.status, reply.body)
}

fn check(status: u16, body: &str) -> Result<(), TestCaseError> {
    prop_assert!(status < 500, "status {status}: {body}");
    let json: serde_json::Value =
        serde_json::from_str(body).map_err(|e| TestCaseError::fail(format!("{e}: {body}")))?;
    if status == 200 {
        prop_assert!(
            json["access_token"].is_string() || json.get("active").is_some(),
            "{body}"
        );
    } else {
        prop_assert!(
            ERRORS.contains(&json["error"].as_str().unwrap_or("")),
            "{body}"
        );
    }
    Ok(())
}

/// Form bodies built from the parameter names the endpoints know, so the cases reach past the
/// parser into client authentication and the grant: duplicates, empty values, odd encodings.
fn form_body() -> impl Strategy<Value = Vec<u8>> {
    let name = prop::sample::select(vec![
        "grant_type",
        "scope",
        "client_id",
        "client_secret",
        "client_assertion",
        "client_assertion_type",
        "token",
        "token_type_hint",
        "resource",
        "x",
    ]);
    let value = prop_oneof![
        Just("client_credentials".to_owned()),
        Just("svc".to_owned()),
        Just("api:read".to_owned()),
        Just(String::new()),
        "[ -~]{0,40}",
        ".{0,20}",
    ];
    prop::collection::vec((name, value), 0..8).prop_map(|pairs| {
        let mut s = form_urlencoded::Serializer::new(String::new());
        for (k, v) in pairs {
            s.append_pair(k, &v);
        }
        s.finish().into_bytes()
    })
}

#[test]
fn random_requests_get_clean_oauth_errors() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (app, secret) = rt.block_on(async {
        let app = spawn_app().await;
        let secret = app.service_client("svc", AccessTokenFormat::Opaque).await;
        (app, secret)
    });
    let config = ProptestConfig {
        cases: 150,
        failure_persistence: None,
        ..ProptestConfig::default()
    };
    proptest!(config, |(
        body in prop_oneof![form_body(), prop::collection::vec(any::<u8>(), 0..600)],
        path in prop::sample::select(vec!["/token", "/introspect", "/revoke"]),
        authenticated in any::<bool>(),
    )| {
        let basic = authenticated.then_some(("svc", &secret));
        let (status, body) = rt.block_on(post_raw(&app, path, basic, body));
        if path == "/revoke" && status == 200 {
            prop_assert!(body.is_empty());
        } else {
            check(status, &body)?;
        }
    });
}

#[tokio::test]
async fn huge_bodies_are_413_and_huge_parameters_invalid_request() {
    let app = spawn_app().await;
    let secret = app.service_client("svc", AccessTokenFormat::Jwt).await;
    let huge = format!(
        "grant_type=client_credentials&scope={}",
        "a".repeat(2 * 1024 * 1024)
    );
    let (status, body) = post_raw(&app, "/token", Some(("svc", &secret)), huge.into_bytes()).await;
    assert_eq!(status, 413, "{body}");
    assert!(body.contains("invalid_request"));
    // Just under the limit but absurd scope: refused on its merits.
    let big_scope = format!("grant_type=client_credentials&scope={}", "a".repeat(60_000));
    let (status, body) = post_raw(
        &app,
        "/token",
        Some(("svc", &secret)),
        big_scope.into_bytes(),
    )
    .await;
    assert_eq!(status, 400);
    assert!(body.contains("invalid_scope"));
    assert!(
        body.len() < 500,
        "the error does not echo the whole input back"
    );
}

#[tokio::test]
async fn invalid_percent_encoding_and_binary_bodies_are_refused_cleanly() {
    let app = spawn_app().await;
    let secret = app.service_client("svc", AccessTokenFormat::Jwt).await;
    for body in [
        &b"grant_type=%ZZ"[..],
        b"grant_type=client_credentials&scope=%C3%28",
        b"\xff\xfe\x00",
        b"&&&===&",
    ] {
        let (status, text) = post_raw(&app, "/token", Some(("svc", &secret)), body.to_vec()).await;
        assert!((400..500).contains(&status), "{status} {text}");
        assert!(text.contains("\"error\""), "{text}");
    }
}

/// RFC 9110 §15.5.14 and RFC 6585 §5: too large is answered, readably, even to a client that
/// sends its whole body before reading (as reqwest does): it sees 413, never a reset connection.
#[tokio::test]
async fn rfc9110_15_5_14_an_oversized_body_gets_a_413_the_client_can_read() {
    let app = spawn_app().await;
    let body = vec![b'a'; 600 * 1024];
    for path in [
        "/token",
        "/introspect",
        "/userinfo",
        "/login",
        "/oauth1/request_token",
    ] {
        let reply = send(
            app.http
                .post(app.url(path))
                .header("content-type", "application/x-www-form-urlencoded")
                .body(body.clone()),
        )
        .await;
        assert_eq!(reply.status, 413, "{path}: {}", reply.body);
        assert!(reply.body.contains("larger than 65536 bytes"), "{path}");
    }
}

#[tokio::test]
async fn rfc9112_7_1_an_oversized_chunked_body_is_refused_the_same_way() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let app = spawn_app().await;
    let port = app.base.rsplit(':').next().unwrap();
    let mut stream = tokio::net::TcpStream::connect(format!("127.0.0.1:{port}"))
        .await
        .unwrap();
    let head = "POST /token HTTP/1.1\r\nhost: x\r\ncontent-type: application/x-www-form-urlencoded\r\ntransfer-encoding: chunked\r\n\r\n";
    stream.write_all(head.as_bytes()).await.unwrap();
    let chunk = vec![b'a'; 32 * 1024];
    for _ in 0..10 {
        stream
            .write_all(format!("{:x}\r\n", chunk.len()).as_bytes())
            .await
            .unwrap();
        stream.write_all(&chunk).await.unwrap();
        stream.write_all(b"\r\n").await.unwrap();
    }
    stream.write_all(b"0\r\n\r\n").await.unwrap();
    let mut answer = Vec::new();
    stream.read_to_end(&mut answer).await.unwrap();
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
}

#[tokio::test]
async fn rfc6585_5_oversized_headers_get_a_431() {
    let app = spawn_app().await;
    let reply = send(
        app.http
            .get(app.url("/jwks"))
            .header("x-padding", "p".repeat(40_000)),
    )
    .await;
    assert_eq!(reply.status, 431, "{}", reply.body);
    let fine = send(
        app.http
            .get(app.url("/jwks"))
            .header("x-padding", "p".repeat(8_000)),
    )
    .await;
    assert_eq!(fine.status, 200);
}
