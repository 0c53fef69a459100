//! `sesame serve --demo` as a newcomer runs it: on its own temporary database, the issuer
//! following the listen address, and a sign-in that ends on Sesame's own page with the tokens.

use crate::cli::{Server, free_port};
use crate::helpers::chromium_missing;
use crate::interaction::{Browser, Page};
use serde_json::json;

/// The demo on a free port, with an operator's database configured that it must not touch;
/// returns the server, the printed banner and the demo user's password.
async fn demo(operator_db: &str) -> (Server, String, String) {
    let port = free_port();
    let listen = format!("127.0.0.1:{port}");
    let env = [
        ("SESAME_LISTEN", listen.as_str()),
        ("SESAME_DATABASE_URL", operator_db),
    ];
    let mut server = Server::spawn(&["serve", "--demo"], port, &env).await;
    let banner = server.stdout_until("password:").await;
    let password = banner
        .lines()
        .find_map(|l| l.trim().strip_prefix("password:"))
        .expect("the banner prints the password")
        .trim()
        .to_owned();
    (server, banner, password)
}

/// The `href` of the page's button, character references decoded.
fn button(page: &Page) -> String {
    let text = page.text();
    let start = text.find("class=\"button\" href=\"").expect("a button") + 21;
    let end = text[start..].find('"').unwrap() + start;
    text[start..end].to_owned()
}

#[tokio::test]
async fn the_demo_signs_in_on_its_own_database_and_shows_the_tokens() {
    let dir = tempfile::tempdir().unwrap();
    let operator_db = dir.path().join("operator.db");
    let operator_url = format!("sqlite://{}", operator_db.display());
    let (server, banner, password) = demo(&operator_url).await;
    assert!(
        banner.contains(&format!("issuer:        {}", server.base)),
        "{banner}"
    );
    assert!(banner.contains("temporary, deleted at exit"), "{banner}");
    assert!(
        banner.contains(&format!("open:          {}/demo", server.base)),
        "{banner}"
    );

    let browser = Browser::at(&server.base);
    let start = browser.get("/demo").await;
    assert_eq!(start.status, 200);
    assert!(
        start.text().contains("code_challenge_method"),
        "{}",
        start.body
    );
    let login = browser.follow(&browser.get(&button(&start)).await).await;
    let consent = browser
        .follow(&browser.log_in(&login, "demo", &password).await)
        .await;
    let back = browser.consent(&consent, "allow").await;
    let callback = back
        .location
        .clone()
        .expect("a redirect to the demo's callback");
    assert!(
        callback.starts_with(&format!("{}/demo/callback?", server.base)),
        "{callback}"
    );
    let tokens = browser.get(&callback).await;
    assert_eq!(tokens.status, 200, "{}", tokens.body);
    let text = tokens.text();
    assert!(text.contains("What the ID token says"), "{text}");
    assert!(
        text.contains("\"refresh_token\""),
        "offline_access was granted: {text}"
    );
    assert!(
        text.contains("\"email\": \"demo@example.com\""),
        "UserInfo: {text}"
    );

    // The page's code is spent, and its cookie with it: a reload explains instead.
    let again = browser.get(&callback).await;
    assert_eq!(again.status, 400);
    let start = format!("Start it at {}/demo.", server.base);
    assert!(again.text().contains(&start), "{}", again.body);

    let (ok, logs) = server.terminate();
    assert!(ok);
    // Text logs into a pipe: no colour codes, one access line per request.
    assert!(!logs.contains('\u{1b}'), "{logs}");
    assert!(
        logs.contains("request method=GET path=/demo status=200"),
        "{logs}"
    );
    assert!(
        !operator_db.exists(),
        "the configured database was never opened"
    );
}

#[tokio::test]
async fn the_demo_in_chromium() {
    if chromium_missing() {
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let operator_url = format!("sqlite://{}/operator.db", dir.path().display());
    let (server, _, password) = demo(&operator_url).await;
    let shots = format!("{}/target/screenshots/demo", env!("CARGO_MANIFEST_DIR"));
    let done = crate::browser::drive(json!({
        "start_url": format!("{}/demo", server.base),
        "start_click": "a.button",
        "username": "demo",
        "password": password,
        "consent": "allow",
        "expect_text": "What the ID token says",
        "screenshot_dir": shots,
    }))
    .await;
    let body = done["body"].as_str().unwrap();
    assert!(body.contains("4. Sesame answers with tokens"), "{body}");
    assert!(body.contains("\"id_token\""), "{body}");
}
