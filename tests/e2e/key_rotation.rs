//! Key rotation: `sesame keys rotate` switches signing to a new key while the old one stays
//! published, so tokens signed before the rotation keep verifying.

use crate::cli::sesame_async;
use crate::helpers::{jwks_kids, jwt_parts, spawn_app, spawn_app_with};
use serde_json::Value;
use sesame_core::client::AccessTokenFormat;
use std::time::{Duration, Instant};

#[tokio::test]
async fn rotation_by_the_cli_reaches_the_running_server_and_old_tokens_stay_valid() {
    let app = spawn_app().await;
    let secret = app.service_client("svc", AccessTokenFormat::Jwt).await;
    let before = app.access_token("svc", &secret).await;
    let old_kid = jwt_parts(&before).0["kid"].as_str().unwrap().to_owned();
    assert_eq!(jwks_kids(&app.http, &app.base).await.len(), 4);

    let out = sesame_async(
        &["keys", "rotate"],
        &[("SESAME_DATABASE_URL", &app.database_url)],
    )
    .await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // The server re-reads keys every second (key_reload_interval in the test config).
    let deadline = Instant::now() + Duration::from_secs(10);
    let after = loop {
        let token = app.access_token("svc", &secret).await;
        if jwt_parts(&token).0["kid"] != old_kid {
            break token;
        }
        assert!(
            Instant::now() < deadline,
            "the server never picked up the rotation"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    };
    let kids = jwks_kids(&app.http, &app.base).await;
    assert_eq!(
        kids.len(),
        8,
        "new keys published beside the retired ones: {kids:?}"
    );
    assert!(kids.contains(&old_kid));
    assert!(kids.contains(&jwt_parts(&after).0["kid"].as_str().unwrap().to_owned()));

    for token in [&before, &after] {
        let reply = app
            .post_form("/introspect", Some(("svc", &secret)), &[("token", token)])
            .await;
        assert_eq!(reply.json()["active"], true);
    }

    let listed = sesame_async(
        &["keys", "list", "--json"],
        &[("SESAME_DATABASE_URL", &app.database_url)],
    )
    .await;
    let keys: Value = serde_json::from_slice(&listed.stdout).unwrap();
    let states: Vec<&str> = keys
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["state"].as_str().unwrap())
        .collect();
    assert_eq!(states.iter().filter(|s| **s == "active").count(), 4);
    assert_eq!(states.iter().filter(|s| **s == "retired").count(), 4);
}

const MASTER_KEY: &str = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";

#[tokio::test]
async fn with_a_master_key_signing_keys_are_encrypted_at_rest() {
    let app = spawn_app_with(|c| c.master_key = Some(MASTER_KEY.into())).await;
    let secret = app.service_client("svc", AccessTokenFormat::Jwt).await;
    app.token("svc", &secret, None).await;
    let env = [
        ("SESAME_DATABASE_URL", app.database_url.as_str()),
        ("SESAME_MASTER_KEY", MASTER_KEY),
    ];
    let listed = sesame_async(&["keys", "list", "--json"], &env).await;
    assert!(
        listed.status.success(),
        "{}",
        String::from_utf8_lossy(&listed.stderr)
    );
    let keys: Value = serde_json::from_slice(&listed.stdout).unwrap();
    assert!(
        keys.as_array()
            .unwrap()
            .iter()
            .all(|k| k["encrypted"] == true)
    );

    // Without the master key, or with another one, the keys cannot be used: a clear error.
    let missing = sesame_async(&["keys", "rotate"], &env[..1]).await;
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("master_key"));
    let other = "ZmVkY2JhOTg3NjU0MzIxMGZlZGNiYTk4NzY1NDMyMTA=";
    let wrong = sesame_async(&["keys", "rotate"], &[env[0], ("SESAME_MASTER_KEY", other)]).await;
    assert!(!wrong.status.success());
    assert!(String::from_utf8_lossy(&wrong.stderr).contains("cannot be decrypted"));
}
