//! The pages' cookies and CSRF tokens: `__Host-` cookies on an https issuer, and CSRF tokens
//! that only the server can compute.

use crate::helpers::{send, spawn_app, spawn_app_with};
use crate::interaction::{Browser, REDIRECT, alice, web_client};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sesame_core::client::AuthMethod;
use sesame_core::secret::SecretHash;

#[tokio::test]
async fn rfc6265bis_4_1_3_2_an_https_issuer_sets_host_prefixed_secure_cookies() {
    // The issuer is what a TLS-terminating proxy serves; the test talks to the listener.
    let app = spawn_app_with(|c| c.issuer = "https://id.example.test".into()).await;
    web_client(&app, "web", AuthMethod::ClientSecretBasic, |_| {}).await;
    let query = crate::helpers::serde_urlencoded(&[
        ("client_id", "web"),
        ("redirect_uri", REDIRECT),
        ("response_type", "code"),
        ("scope", "openid"),
    ]);
    let reply = send(
        app.http
            .get(format!("http://{}/authorize?{query}", app.addr)),
    )
    .await;
    let set = reply.headers["set-cookie"].to_str().unwrap();
    assert!(set.starts_with("__Host-sesame_browser="), "{set}");
    assert!(set.contains("Secure") && set.contains("Path=/") && !set.contains("Domain"));
}

#[tokio::test]
async fn a_csrf_token_computed_without_the_server_secret_is_refused() {
    let app = spawn_app().await;
    alice(&app).await;
    web_client(&app, "web", AuthMethod::ClientSecretBasic, |_| {}).await;
    let browser = Browser::new(&app);
    let first = browser
        .authorize(&[
            ("client_id", "web"),
            ("redirect_uri", REDIRECT),
            ("response_type", "code"),
            ("scope", "openid"),
        ])
        .await;
    // Suppose the binding cookie leaked to a sibling page: the old token was just its hash,
    // which anyone holding the cookie could compute.
    let set = first.headers["set-cookie"].to_str().unwrap();
    let browser_id = set
        .strip_prefix("sesame_browser=")
        .and_then(|rest| rest.split(';').next())
        .unwrap()
        .to_owned();
    let login = browser.follow(&first).await;
    let guessed = URL_SAFE_NO_PAD.encode(SecretHash::of(&format!("sesame-csrf:{browser_id}")).0);
    let id = login.field("id").unwrap();
    let refused = browser
        .post(
            "/login",
            &[
                ("id", &id),
                ("csrf_token", &guessed),
                ("username", "alice"),
                ("password", crate::interaction::PASSWORD),
            ],
        )
        .await;
    assert_eq!(refused.status, 403, "{}", refused.body);
    // The token the page itself carries works.
    let ok = browser
        .log_in(&login, "alice", crate::interaction::PASSWORD)
        .await;
    assert_eq!(ok.status, 303, "{}", ok.body);
}
