//! Every kind of page links its stylesheet so that it loads, from whatever path the page has,
//! and under an issuer with a path prefix (a proxy serving Sesame at `/tenant`).

use crate::helpers::{spawn_app, spawn_app_with};
use crate::interaction::{Browser, Page, REDIRECT, alice, web_client};
use sesame_core::client::AuthMethod;
use url::Url;

/// The `href` of the page's stylesheet link, character references decoded.
fn stylesheet(page: &Page) -> String {
    let text = page.text();
    let start = text
        .find("<link rel=\"stylesheet\" href=\"")
        .unwrap_or_else(|| panic!("no stylesheet link: {text}"))
        + "<link rel=\"stylesheet\" href=\"".len();
    let end = text[start..].find('"').unwrap() + start;
    text[start..end].to_owned()
}

#[tokio::test]
async fn every_page_kind_links_a_stylesheet_that_loads() {
    let app = spawn_app().await;
    alice(&app).await;
    web_client(&app, "web", AuthMethod::ClientSecretBasic, |_| {}).await;
    let browser = Browser::new(&app);
    let start = [
        ("client_id", "web"),
        ("redirect_uri", REDIRECT),
        ("response_type", "code"),
        ("scope", "openid"),
    ];
    let login = browser.follow(&browser.authorize(&start).await).await;
    let consent = browser
        .follow(
            &browser
                .log_in(&login, "alice", crate::interaction::PASSWORD)
                .await,
        )
        .await;
    // Consent given, the next request with form_post answers with the auto-submitting page.
    browser.consent(&consent, "allow").await;
    let mut form_post = start.to_vec();
    form_post.push(("response_mode", "form_post"));
    let pages = [
        ("/", browser.get("/").await),
        ("/no/such/page", browser.get_html("/no/such/page").await),
        (
            "/authorize?client_id=nobody",
            browser.authorize(&[("client_id", "nobody")]).await,
        ),
        ("/login", login),
        ("/consent", consent),
        ("/device", browser.get("/device").await),
        ("/logout", browser.get("/logout").await),
        (
            "/oauth1/authorize",
            browser.get("/oauth1/authorize?oauth_token=unknown").await,
        ),
        (
            "/federation/nowhere/start",
            browser.get("/federation/nowhere/start").await,
        ),
        (
            "/federation/nowhere/callback",
            browser.get("/federation/nowhere/callback?state=x").await,
        ),
        (
            "/authorize (form_post)",
            browser.authorize(&form_post).await,
        ),
    ];
    for (path, page) in pages {
        assert!(
            page.body.contains("<html"),
            "{path} is a page: {} {}",
            page.status,
            page.body
        );
        let page_url = Url::parse(&app.url(path.split(' ').next().unwrap())).unwrap();
        let css = page_url.join(&stylesheet(&page)).unwrap();
        let reply = browser.get(css.as_str()).await;
        assert_eq!(reply.status, 200, "{path} links {css}");
        assert_eq!(
            reply.headers["content-type"], "text/css; charset=utf-8",
            "{path}"
        );
    }
}

#[tokio::test]
async fn under_an_issuer_path_pages_link_assets_under_it() {
    let app = spawn_app_with(|c| c.issuer = format!("http://{}/tenant", c.listen)).await;
    // No proxy here: talk to the listener, where the proxy would send /tenant/... without it.
    let direct = Browser::at(&format!("http://{}", app.addr));
    for path in [
        "/device",
        "/oauth1/authorize?oauth_token=unknown",
        "/federation/x/start",
    ] {
        let page = direct.get(path).await;
        assert_eq!(stylesheet(&page), "/tenant/static/sesame.css", "{path}");
    }
    let css = direct.get("/static/sesame.css").await;
    assert_eq!(css.status, 200);
}

#[tokio::test]
async fn the_issuer_url_shows_what_sesame_is_and_unknown_paths_say_where_to_go() {
    let app = spawn_app().await;
    let browser = Browser::new(&app);
    let home = browser.get("/").await;
    assert_eq!(home.status, 200);
    let text = home.text();
    assert!(
        text.contains(&app.url("/.well-known/openid-configuration")),
        "{text}"
    );
    assert!(text.contains(env!("CARGO_PKG_VERSION")), "{text}");
    assert!(
        !text.contains("/demo"),
        "no demo link outside serve --demo: {text}"
    );

    let page = browser.get_html("/no/such/page").await;
    assert_eq!(page.status, 404);
    assert_eq!(page.headers["content-type"], "text/html; charset=utf-8");
    assert!(
        page.text().contains("There is nothing at /no/such/page"),
        "{}",
        page.body
    );

    let json = browser.get("/no/such/endpoint").await;
    assert_eq!(json.status, 404);
    assert_eq!(json.headers["content-type"], "application/json");
    let body: serde_json::Value = serde_json::from_str(&json.body).unwrap();
    assert_eq!(body["error"], "not_found");
    assert!(
        body["error_description"]
            .as_str()
            .unwrap()
            .contains("openid-configuration")
    );

    // A known path with the wrong method is still 405, not a 404.
    assert_eq!(browser.get("/token").await.status, 405);
}
