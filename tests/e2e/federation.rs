//! "Log in with another provider" end to end: a second Sesame (another port, another database,
//! and another host name so the browser keeps their cookies apart) is the upstream OpenID
//! Connect provider; a small local server stands in for an OAuth 2.0 provider with a userinfo
//! API, and for a broken one. Every failure ends on a page and never in a half-made user.

use crate::helpers::{TestApp, spawn_app, spawn_app_with};
use crate::interaction::{Browser, PASSWORD, Page, REDIRECT, web_client};
use axum::extract::{Query, State};
use axum::routing::{get, post};
use serde_json::{Value, json};
use sesame_core::client::{AuthMethod, GrantType};
use sesame_core::federation::{Connection, ConnectionKind};
use sesame_core::scope::Scopes;
use sesame_core::user::{StandardClaims, User};
use std::collections::HashMap;

const UPSTREAM_SECRET: &str = "upstream-client-secret-upstream-client-secret";

/// The upstream Sesame at http://localhost:PORT with user carol and a client for `downstream`.
pub async fn upstream_for(downstream: &TestApp) -> TestApp {
    let up = spawn_app_with(|c| c.issuer = c.issuer.replace("127.0.0.1", "localhost")).await;
    let mut carol = User::new(
        "carol",
        StandardClaims {
            email: Some("carol@example.com".into()),
            email_verified: Some(true),
            name: Some("Carol".into()),
            ..Default::default()
        },
        1,
    )
    .unwrap();
    carol.password_hash = Some(sesame_core::password::hash_password(PASSWORD).unwrap());
    up.provider.store().insert_user(&carol).await.unwrap();
    let client = sesame_core::client::Client {
        client_id: "downstream".into(),
        secret_hash: Some(sesame_core::secret::Secret::new(UPSTREAM_SECRET).hash()),
        metadata: sesame_core::client::ClientMetadata {
            redirect_uris: vec![format!("{}/federation/upstream/callback", downstream.base)],
            grant_types: vec![GrantType::AuthorizationCode],
            scope: Scopes::parse("openid email profile").unwrap(),
            skip_consent: true,
            ..Default::default()
        },
        created_at: 1,
        updated_at: 1,
    };
    up.provider.store().insert_client(&client).await.unwrap();
    up
}

pub async fn connect(app: &TestApp, connection: Connection) {
    let sealed = sesame_core::sealed::seal(None, &connection.id, UPSTREAM_SECRET).unwrap();
    app.provider
        .store()
        .upsert_connection(&connection, &sealed)
        .await
        .unwrap();
}

pub fn oidc(id: &str, issuer: &str, trust_email: bool) -> Connection {
    serde_json::from_value(json!({
        "id": id, "kind": "oidc", "display_name": "Upstream Corp", "issuer": issuer,
        "client_id": "downstream", "scopes": ["openid", "email", "profile"], "trust_email": trust_email,
    }))
    .unwrap()
}

/// Follows redirects through both servers (one cookie jar), signing in upstream as carol and
/// allowing downstream consent, until the client's redirect URI.
async fn round_trip(jar: &reqwest::Client, downstream: &TestApp, start: &str) -> Page {
    let at = |base: &str| Browser {
        http: jar.clone(),
        base: base.to_owned(),
    };
    let mut page = at(&downstream.base).get(start).await;
    for _ in 0..8 {
        let Some(location) = page.location.clone() else {
            return page;
        };
        if location.starts_with(REDIRECT) {
            return page;
        }
        let url = url::Url::parse(&location).unwrap();
        let base = format!("{}://{}", url.scheme(), url.host_str().unwrap())
            + &url.port().map(|p| format!(":{p}")).unwrap_or_default();
        let here = at(&base);
        let shown = here.get(&location).await;
        page = if shown.is_login() && base != downstream.base {
            here.log_in(&shown, "carol", PASSWORD).await
        } else if shown.is_consent() {
            here.consent(&shown, "allow").await
        } else {
            shown
        };
    }
    page
}

/// From the client's authorization request to the downstream login page, then "Continue with".
async fn continue_with(jar: &reqwest::Client, downstream: &TestApp, connection: &str) -> String {
    let browser = Browser {
        http: jar.clone(),
        base: downstream.base.clone(),
    };
    let login = browser
        .follow(
            &browser
                .authorize(&[
                    ("client_id", "web"),
                    ("response_type", "code"),
                    ("redirect_uri", REDIRECT),
                    ("scope", "openid email"),
                ])
                .await,
        )
        .await;
    assert!(login.body.contains("Continue with"), "{}", login.body);
    // The link is absolute (under the issuer, which has no path here): its path is wanted.
    let text = login.text();
    let marker = format!("/federation/{connection}/start?id=");
    let start = text.find(&marker).unwrap();
    let end = start + text[start..].find('"').unwrap();
    text[start..end].to_owned()
}

/// The downstream client's code exchange.
async fn redeem(down: &TestApp, secret: &sesame_core::secret::Secret, code: &str) -> Value {
    down.post_form(
        "/token",
        Some(("web", secret)),
        &[
            ("grant_type", "authorization_code"),
            ("code", code),
            ("redirect_uri", REDIRECT),
        ],
    )
    .await
    .json()
}

async fn userinfo(down: &TestApp, tokens: &Value) -> Value {
    let access = tokens["access_token"].as_str().unwrap();
    crate::helpers::send(down.http.get(down.url("/userinfo")).bearer_auth(access))
        .await
        .json()
}

fn jar() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

#[tokio::test]
async fn continue_with_an_upstream_sesame_then_code_tokens_and_the_same_user_next_time() {
    let down = spawn_app().await;
    let up = upstream_for(&down).await;
    connect(&down, oidc("upstream", &up.base, false)).await;
    let secret = web_client(&down, "web", AuthMethod::ClientSecretBasic, |m| {
        m.skip_consent = true
    })
    .await
    .unwrap();

    let jar = jar();
    let start = continue_with(&jar, &down, "upstream").await;
    let callback = round_trip(&jar, &down, &start).await;
    let code = callback
        .param("code")
        .expect("a code for the downstream client");
    let tokens = redeem(&down, &secret, &code).await;
    let info = userinfo(&down, &tokens).await;
    assert_eq!(info["email"], "carol@example.com");
    let sub = info["sub"].as_str().unwrap().to_owned();
    let store = down.provider.store();
    assert_eq!(
        store.list_linked_identities(&sub).await.unwrap().len(),
        1,
        "linked"
    );

    // Another browser, another round trip: the same user, not a second one.
    let jar2 = self::jar();
    let start = continue_with(&jar2, &down, "upstream").await;
    let again = round_trip(&jar2, &down, &start).await;
    let code = again.param("code").unwrap();
    let tokens = redeem(&down, &secret, &code).await;
    let (_, claims) = crate::helpers::jwt_parts(tokens["id_token"].as_str().unwrap());
    assert_eq!(claims["sub"], sub);
    assert_eq!(store.list_users().await.unwrap().len(), 1);
}

#[tokio::test]
async fn replayed_or_forged_callbacks_unreachable_upstreams_and_email_conflicts_end_on_pages() {
    let down = spawn_app().await;
    let up = upstream_for(&down).await;
    connect(&down, oidc("upstream", &up.base, false)).await;
    web_client(&down, "web", AuthMethod::ClientSecretBasic, |m| {
        m.skip_consent = true
    })
    .await;
    // A local account already has carol's email, and the connection does not trust emails.
    let mut local = User::new(
        "carol-local",
        StandardClaims {
            email: Some("carol@example.com".into()),
            ..Default::default()
        },
        1,
    )
    .unwrap();
    local.password_hash = None;
    down.provider.store().insert_user(&local).await.unwrap();

    let jar = jar();
    let start = continue_with(&jar, &down, "upstream").await;
    // Walk to the callback by hand to keep its URL.
    let browser = Browser {
        http: jar.clone(),
        base: down.base.clone(),
    };
    let to_upstream = browser.get(&start).await.location.unwrap();
    let up_browser = Browser {
        http: jar.clone(),
        base: up.base.clone(),
    };
    let login = up_browser.follow(&up_browser.get(&to_upstream).await).await;
    let callback_url = up_browser
        .log_in(&login, "carol", PASSWORD)
        .await
        .location
        .unwrap();
    assert!(callback_url.starts_with(&format!("{}/federation/upstream/callback", down.base)));
    let conflict = browser.get(&callback_url).await;
    assert_eq!(conflict.status, 409, "{}", conflict.body);
    assert!(conflict.body.contains("already exists"));
    assert_eq!(
        down.provider.store().list_users().await.unwrap().len(),
        1,
        "no half-made user"
    );
    // The same callback again: the state was spent.
    let replayed = browser.get(&callback_url).await;
    assert_eq!(replayed.status, 400);
    // A state nobody issued.
    let forged = browser
        .get("/federation/upstream/callback?state=forged&code=x")
        .await;
    assert_eq!(forged.status, 400);

    // An upstream that does not answer: a page, quickly.
    connect(&down, oidc("dead", "http://127.0.0.1:9", false)).await;
    let start = continue_with(&jar, &down, "dead").await;
    let dead = browser.get(&start).await;
    assert_eq!(dead.status, 502, "{}", dead.body);
    assert!(dead.body.contains("could not reach"));
}

#[tokio::test]
async fn a_trusted_verified_email_links_the_existing_account() {
    let down = spawn_app().await;
    let up = upstream_for(&down).await;
    connect(&down, oidc("upstream", &up.base, true)).await;
    web_client(&down, "web", AuthMethod::ClientSecretBasic, |m| {
        m.skip_consent = true
    })
    .await;
    let local = User::new(
        "carol-local",
        StandardClaims {
            email: Some("carol@example.com".into()),
            email_verified: Some(true),
            ..Default::default()
        },
        1,
    )
    .unwrap();
    down.provider.store().insert_user(&local).await.unwrap();
    let jar = jar();
    let start = continue_with(&jar, &down, "upstream").await;
    assert!(
        round_trip(&jar, &down, &start)
            .await
            .param("code")
            .is_some()
    );
    let links = down
        .provider
        .store()
        .list_linked_identities(&local.id)
        .await
        .unwrap();
    assert_eq!(links.len(), 1);
    assert_eq!(links[0].0, "upstream");
}

/// A stand-in for OAuth 2.0 providers with a userinfo API (GitHub-style: numeric `id`), and
/// for a broken OpenID Connect provider whose ID token is not valid.
async fn stub_provider() -> String {
    #[derive(Clone)]
    struct Base(String);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://127.0.0.1:{}", listener.local_addr().unwrap().port());
    let router = axum::Router::new()
        .route(
            "/authorize",
            get(|Query(q): Query<HashMap<String, String>>| async move {
                let to = format!("{}?code=stub-code&state={}", q["redirect_uri"], q["state"]);
                (axum::http::StatusCode::SEE_OTHER, [("location", to)])
            }),
        )
        .route(
            "/token",
            post(|| async { axum::Json(json!({"access_token": "stub-access", "token_type": "Bearer", "id_token": "not.a.jwt"})) }),
        )
        .route(
            "/user",
            get(|headers: axum::http::HeaderMap| async move {
                if headers.get("authorization").and_then(|v| v.to_str().ok()) != Some("Bearer stub-access") {
                    return Err(axum::http::StatusCode::UNAUTHORIZED);
                }
                Ok(axum::Json(json!({"id": 4242, "login": "octo", "mail": "octo@example.com", "display": "Octo Cat"})))
            }),
        )
        .route(
            "/.well-known/openid-configuration",
            get(|State(Base(base)): State<Base>| async move {
                axum::Json(json!({"issuer": base, "authorization_endpoint": format!("{base}/authorize"),
                    "token_endpoint": format!("{base}/token"), "jwks_uri": format!("{base}/jwks")}))
            }),
        )
        .route("/jwks", get(|| async { axum::Json(json!({"keys": []})) }))
        .with_state(Base(base.clone()));
    tokio::spawn(async move { axum::serve(listener, router).await });
    base
}

#[tokio::test]
async fn an_oauth2_provider_through_its_userinfo_api_and_a_broken_id_token_refused() {
    let down = spawn_app().await;
    let stub = stub_provider().await;
    let oauth2: Connection = serde_json::from_value(json!({
        "id": "octo", "kind": "oauth2", "display_name": "Octo", "client_id": "sesame",
        "authorization_endpoint": format!("{stub}/authorize"), "token_endpoint": format!("{stub}/token"),
        "userinfo_endpoint": format!("{stub}/user"), "subject_claim": "id", "email_claim": "mail", "name_claim": "display",
    }))
    .unwrap();
    connect(&down, oauth2).await;
    let mut broken = oidc("broken", &stub, false);
    broken.client_id = "sesame".into();
    connect(&down, broken).await;
    let secret = web_client(&down, "web", AuthMethod::ClientSecretBasic, |m| {
        m.skip_consent = true
    })
    .await
    .unwrap();

    let jar = jar();
    let start = continue_with(&jar, &down, "octo").await;
    let callback = round_trip(&jar, &down, &start).await;
    let code = callback.param("code").expect("a code");
    let tokens = redeem(&down, &secret, &code).await;
    let info = userinfo(&down, &tokens).await;
    assert_eq!(info["email"], "octo@example.com", "mapped from `mail`");
    let sub = info["sub"].as_str().unwrap();
    assert_eq!(
        down.provider
            .store()
            .list_linked_identities(sub)
            .await
            .unwrap(),
        vec![("octo".to_owned(), "4242".to_owned())],
        "numeric subjects are kept as text"
    );

    // A new browser: the first one is signed in now and would go straight back.
    let jar = self::jar();
    let start = continue_with(&jar, &down, "broken").await;
    let page = round_trip(&jar, &down, &start).await;
    assert_eq!(page.status, 502, "{}", page.body);
    assert!(page.body.contains("ID token is not valid"), "{}", page.body);
    assert_eq!(
        down.provider.store().list_users().await.unwrap().len(),
        1,
        "only octo"
    );
}

#[tokio::test]
async fn connection_kinds_need_their_endpoints() {
    let bad: Connection = serde_json::from_value(
        json!({"id": "x", "kind": "oauth2", "display_name": "X", "client_id": "c"}),
    )
    .unwrap();
    assert!(
        bad.validate()
            .unwrap_err()
            .contains("authorization_endpoint")
    );
    let bad_id = oidc("not ok!", "https://idp.example", false);
    assert!(bad_id.validate().is_err());
    assert_eq!(
        oidc("ok", "https://idp.example", false).kind,
        ConnectionKind::Oidc
    );
}

#[tokio::test]
async fn connections_and_links_from_the_cli() {
    use crate::cli::{sesame, sesame_with_stdin};
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}/sesame.db", dir.path().display());
    let env = [("SESAME_DATABASE_URL", db.as_str())];
    let created = sesame_with_stdin(
        &[
            "connection",
            "create",
            "--id",
            "corp",
            "--kind",
            "oidc",
            "--display-name",
            "Corp",
            "--issuer",
            "https://idp.example",
            "--client-id",
            "sesame",
            "--client-secret-stdin",
            "--scope",
            "openid",
        ],
        &env,
        "the-upstream-secret\n",
    );
    assert!(
        created.status.success(),
        "{}",
        String::from_utf8_lossy(&created.stderr)
    );
    assert!(String::from_utf8_lossy(&created.stdout).contains("/federation/corp/callback"));
    let bad = sesame_with_stdin(
        &[
            "connection",
            "create",
            "--id",
            "x",
            "--kind",
            "oauth2",
            "--display-name",
            "X",
            "--client-id",
            "c",
            "--client-secret-stdin",
        ],
        &env,
        "s\n",
    );
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("authorization_endpoint"));
    let listed: Value =
        serde_json::from_slice(&sesame(&["connection", "list", "--json"], &env).stdout).unwrap();
    assert_eq!(listed[0]["id"], "corp");
    assert!(
        !listed.to_string().contains("the-upstream-secret"),
        "the secret is never shown"
    );

    let made = sesame_with_stdin(&["user", "create", "dora"], &env, "");
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    let store = sesame_store::connect(&db, &sesame_store::PoolSettings::default())
        .await
        .unwrap();
    let dora = store.get_user_by_username("dora").await.unwrap().unwrap();
    assert!(
        store
            .link_identity("corp", "upstream-subject-1", &dora.id, 1)
            .await
            .unwrap()
    );
    let shown: Value =
        serde_json::from_slice(&sesame(&["user", "show", "dora", "--json"], &env).stdout).unwrap();
    assert_eq!(
        shown["linked_identities"],
        json!([{"connection": "corp", "subject": "upstream-subject-1"}])
    );
    assert!(
        sesame(&["user", "unlink", "dora", "corp"], &env)
            .status
            .success()
    );
    assert!(
        !sesame(&["user", "unlink", "dora", "corp"], &env)
            .status
            .success()
    );
    assert!(
        sesame(&["connection", "delete", "corp"], &env)
            .status
            .success()
    );
}
