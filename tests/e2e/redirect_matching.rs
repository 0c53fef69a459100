//! RFC 9700 §4.1.3 and RFC 8252 §7.3: every URI Sesame redirects a browser to on a client's say-so
//! is the string the client registered, character for character; only a native app's loopback
//! redirect URI may change its port.

use crate::helpers::spawn_app;
use crate::interaction::{Browser, Page, web_client};
use sesame_core::client::AuthMethod;

const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

async fn authorize(browser: &Browser, client_id: &str, redirect_uri: &str) -> Page {
    browser
        .authorize(&[
            ("client_id", client_id),
            ("redirect_uri", redirect_uri),
            ("response_type", "code"),
            ("scope", "openid"),
            ("code_challenge", CHALLENGE),
            ("code_challenge_method", "S256"),
        ])
        .await
}

#[track_caller]
fn refused(page: &Page, uri: &str) {
    assert_eq!(page.status, 400, "{uri}: {}", page.body);
    assert!(page.location.is_none(), "{uri}: never redirected");
    assert!(
        page.text().contains("redirect_uri is not registered"),
        "{uri}: {}",
        page.body
    );
}

#[tokio::test]
async fn rfc9700_4_1_3_a_redirect_uri_that_only_parses_the_same_is_not_registered() {
    let app = spawn_app().await;
    web_client(&app, "spa", AuthMethod::None, |m| {
        m.redirect_uris = vec![
            "https://app.example/cb".into(),
            "http://127.0.0.1/callback".into(),
        ];
    })
    .await;
    let browser = Browser::new(&app);
    for uri in [
        "HTTPS://app.example/cb",
        "https://APP.example/cb",
        "https://app.example:443/cb",
        "https://app.example/%63b",
        "https://app.example/./cb",
        "HTTP://127.0.0.1:5000/callback",
        "http://127.0.0.1:5000/callback/",
        "http://127.0.0.1:5000/%63allback",
    ] {
        refused(&authorize(&browser, "spa", uri).await, uri);
    }
    // RFC 8252 §7.3: the native app's own loopback redirect on another port is fine.
    let page = authorize(&browser, "spa", "http://127.0.0.1:5000/callback").await;
    assert_eq!(page.status, 303, "{}", page.body);
    assert!(page.location.unwrap().contains("/login?id="));
}

#[tokio::test]
async fn rfc8252_7_3_a_confidential_client_gets_no_loopback_port_exception() {
    let app = spawn_app().await;
    web_client(&app, "web", AuthMethod::ClientSecretBasic, |m| {
        m.redirect_uris = vec!["http://127.0.0.1/callback".into()];
    })
    .await;
    let browser = Browser::new(&app);
    let moved = "http://127.0.0.1:5000/callback";
    refused(&authorize(&browser, "web", moved).await, moved);
    let exact = authorize(&browser, "web", "http://127.0.0.1/callback").await;
    assert_eq!(exact.status, 303, "{}", exact.body);
}

#[tokio::test]
async fn rp_initiated_logout_3_the_post_logout_redirect_uri_is_matched_the_same_way() {
    let app = spawn_app().await;
    web_client(&app, "web", AuthMethod::ClientSecretBasic, |_| {}).await;
    let browser = Browser::new(&app);
    for uri in ["https://APP.example/bye", "https://app.example/bye/"] {
        let query = crate::helpers::serde_urlencoded(&[
            ("client_id", "web"),
            ("post_logout_redirect_uri", uri),
        ]);
        let page = browser.get(&format!("/logout?{query}")).await;
        assert_eq!(page.status, 400, "{uri}: {}", page.body);
        assert!(
            page.text()
                .contains("post_logout_redirect_uri is not registered")
        );
    }
}
