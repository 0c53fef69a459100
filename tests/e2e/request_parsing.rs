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
async fn huge_bodies_and_huge_parameters_are_invalid_request() {
    let app = spawn_app().await;
    let secret = app.service_client("svc", AccessTokenFormat::Jwt).await;
    let huge = format!(
        "grant_type=client_credentials&scope={}",
        "a".repeat(2 * 1024 * 1024)
    );
    let (status, body) = post_raw(&app, "/token", Some(("svc", &secret)), huge.into_bytes()).await;
    assert_eq!(status, 400, "{body}");
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
