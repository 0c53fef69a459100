//! Several stateless nodes on one PostgreSQL: shared state, atomic single use across nodes, key
//! rotation reaching every node, and a database outage that fails fast and heals by itself.
//! Runs when `SESAME_TEST_POSTGRES_URL` is set (`.ci/run` sets it); says it was skipped
//! otherwise, and fails instead under `SESAME_TEST_REQUIRE_ALL=1`.

use crate::cli::{Server, create_opaque_client, sesame};
use crate::client_auth::{KeyHolder, assertion_form};
use crate::helpers::{TestApp, jwks_kids, spawn_app_with};
use serde_json::{Value, json};
use sesame_core::client::{AccessTokenFormat, AuthMethod};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// The test server's URL, or `None` with a note that these tests were skipped (a failure in CI).
fn postgres_url() -> Option<String> {
    let url = std::env::var("SESAME_TEST_POSTGRES_URL").ok();
    let reason =
        "SESAME_TEST_POSTGRES_URL is not set, so the multi-node PostgreSQL tests did not run";
    crate::helpers::missing(url.is_none().then_some(reason));
    url
}

/// A URL for a fresh schema of its own on `base`.
async fn fresh_schema(base: &str) -> String {
    let schema = format!(
        "e2e_{}",
        sesame_core::secret::random_token(9)
            .to_lowercase()
            .replace(['-', '_'], "x")
    );
    sesame_store::testing_schema_url(base, &schema)
        .await
        .expect("schema")
}

async fn node(database_url: &str) -> TestApp {
    let url = database_url.to_owned();
    spawn_app_with(move |c| {
        c.database_url = url;
        c.database_timeout_seconds = 1;
        // Many tests share one server and its connection limit.
        c.database_max_connections = 3;
    })
    .await
}

#[tokio::test]
async fn three_nodes_share_clients_tokens_revocations_and_keys() {
    let Some(base) = postgres_url() else { return };
    let db = fresh_schema(&base).await;
    let env = [("SESAME_DATABASE_URL", db.as_str())];
    let secret = create_opaque_client(&env, "svc", &[])["client_secret"]
        .as_str()
        .unwrap()
        .to_owned();

    let fast = [
        ("SESAME_KEY_RELOAD_INTERVAL", "1"),
        ("SESAME_CLIENT_CACHE_TTL", "0"),
        ("SESAME_DATABASE_MAX_CONNECTIONS", "3"),
    ];
    // Started together, on a database without keys yet: they must agree on one key per algorithm.
    let (a, b, c) = tokio::join!(
        Server::start(&db, &fast),
        Server::start(&db, &fast),
        Server::start(&db, &fast),
    );
    let http = reqwest::Client::new();
    let post = |base: &str, path: &str, form: Vec<(&'static str, String)>| {
        http.post(format!("{base}{path}"))
            .basic_auth("svc", Some(&secret))
            .form(&form)
            .send()
    };

    // Issued on A, introspected on B, revoked on C, dead on A.
    let issued: Value = post(
        &a.base,
        "/token",
        vec![("grant_type", "client_credentials".into())],
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    let token = issued["access_token"].as_str().unwrap().to_owned();
    let on_b: Value = post(&b.base, "/introspect", vec![("token", token.clone())])
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(on_b["active"], true);
    assert_eq!(
        post(&c.base, "/revoke", vec![("token", token.clone())])
            .await
            .unwrap()
            .status(),
        200
    );
    let on_a: Value = post(&a.base, "/introspect", vec![("token", token.clone())])
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(on_a, json!({"active": false}));

    // Every node publishes the same keys; a rotation made by the CLI reaches all of them.
    let before = jwks_kids(&http, &a.base).await;
    assert_eq!(
        before.len(),
        4,
        "one key per algorithm, not one per node: {before:?}"
    );
    assert_eq!(before, jwks_kids(&http, &c.base).await);
    let rotated = sesame(&["keys", "rotate"], &env);
    assert!(rotated.status.success());
    let deadline = Instant::now() + Duration::from_secs(10);
    for node in [&a, &b, &c] {
        while jwks_kids(&http, &node.base).await.len() != 8 {
            assert!(
                Instant::now() < deadline,
                "{} did not pick up the rotation",
                node.base
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
    assert_eq!(
        jwks_kids(&http, &a.base).await,
        jwks_kids(&http, &b.base).await
    );

    for server in [a, b, c] {
        let (clean, _) = server.terminate();
        assert!(clean);
    }
}

#[tokio::test]
async fn a_single_use_assertion_wins_exactly_once_across_two_nodes() {
    let Some(base) = postgres_url() else { return };
    let db = fresh_schema(&base).await;
    let (a, b) = (node(&db).await, node(&db).await);
    let key = KeyHolder::new();
    let jwks = key.public_jwks();
    a.client_with("signer", AuthMethod::PrivateKeyJwt, move |m| {
        m.jwks = Some(jwks)
    })
    .await;
    let now = jsonwebtoken::get_current_timestamp();
    // Behind a load balancer both nodes share one issuer; here each has its own, so the
    // assertion names both token endpoints (an array `aud`, RFC 7523 §3 item 3).
    let assertion = key.assertion(json!({
        "iss": "signer", "sub": "signer", "aud": [a.url("/token"), b.url("/token")],
        "jti": "only-once", "iat": now, "exp": now + 120,
    }));
    let nodes = Arc::new([a, b]);
    let attempts = (0..24).map(|i| {
        let nodes = Arc::clone(&nodes);
        let assertion = assertion.clone();
        tokio::spawn(async move {
            let node = &nodes[i % 2];
            node.post_form("/token", None, &assertion_form(&assertion))
                .await
        })
    });
    let mut wins = 0;
    for attempt in attempts {
        let reply = attempt.await.unwrap();
        if reply.status == 200 {
            wins += 1;
        } else {
            reply.assert_error(401, "invalid_client", "client authentication failed");
        }
    }
    assert_eq!(wins, 1, "exactly one node accepts the assertion");
}

/// A TCP relay to PostgreSQL that the test can cut, to simulate an outage without stopping the
/// server other tests use.
struct Relay {
    port: u16,
    up: Arc<AtomicBool>,
    conns: Arc<std::sync::Mutex<Vec<tokio::task::JoinHandle<()>>>>,
}

impl Relay {
    async fn start(upstream: String) -> Relay {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let up = Arc::new(AtomicBool::new(true));
        let conns = Arc::new(std::sync::Mutex::new(Vec::new()));
        let (up2, conns2) = (up.clone(), conns.clone());
        tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                if !up2.load(Ordering::SeqCst) {
                    drop(inbound); // refused: the database is "down"
                    continue;
                }
                let upstream = upstream.clone();
                let task = tokio::spawn(async move {
                    if let Ok(mut outbound) = tokio::net::TcpStream::connect(&upstream).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
                conns2.lock().unwrap().push(task);
            }
        });
        Relay { port, up, conns }
    }

    fn cut(&self) {
        self.up.store(false, Ordering::SeqCst);
        for task in self.conns.lock().unwrap().drain(..) {
            task.abort();
        }
    }

    fn restore(&self) {
        self.up.store(true, Ordering::SeqCst);
    }
}

#[tokio::test]
async fn a_database_outage_fails_fast_with_503_and_heals_without_a_restart() {
    let Some(base) = postgres_url() else { return };
    let direct = fresh_schema(&base).await;
    let parsed = url::Url::parse(&base).unwrap();
    let upstream = format!(
        "{}:{}",
        parsed.host_str().unwrap(),
        parsed.port().unwrap_or(5432)
    );
    let relay = Relay::start(upstream).await;
    let mut relayed = url::Url::parse(&direct).unwrap();
    relayed.set_port(Some(relay.port)).unwrap();
    let app = node(relayed.as_str()).await;
    let secret = app.service_client("svc", AccessTokenFormat::Opaque).await;
    assert_eq!(app.get("/readyz").await.status, 200);
    app.token("svc", &secret, None).await;

    relay.cut();
    // Past the client cache, so the request needs the database.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let started = Instant::now();
    let reply = app.client_credentials("svc", &secret).await;
    let took = started.elapsed();
    reply.assert_error(
        503,
        "temporarily_unavailable",
        "the authorization server is temporarily unavailable",
    );
    assert!(took < Duration::from_secs(5), "failed fast: {took:?}");
    assert_eq!(reply.headers["retry-after"], "1");
    let started = Instant::now();
    assert_eq!(app.get("/readyz").await.status, 503);
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(
        app.get("/healthz").await.status,
        200,
        "the process itself is alive"
    );

    relay.restore();
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let reply = app.client_credentials("svc", &secret).await;
        if reply.status == 200 {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "did not recover: {} {}",
            reply.status,
            reply.body
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert_eq!(app.get("/readyz").await.status, 200);
}

/// Sign-in across nodes: the pending request made on one node is continued on the other, the
/// session cookie set by one node signs the user in on the other, and codes and refresh tokens
/// are redeemed wherever the request lands.
#[tokio::test]
async fn sign_in_moves_between_nodes_with_one_session() {
    use crate::interaction::{Browser, PASSWORD, REDIRECT, alice, web_client};
    let Some(base) = postgres_url() else { return };
    let db = fresh_schema(&base).await;
    let (a, b) = (node(&db).await, node(&db).await);
    alice(&a).await;
    let secret = web_client(&a, "web", AuthMethod::ClientSecretBasic, |_| {})
        .await
        .unwrap();
    // One browser (one cookie jar: cookies do not depend on the port) talking to either node.
    let jar = Browser::new(&a).http;
    let on = |node: &TestApp| Browser {
        http: jar.clone(),
        base: node.base.clone(),
    };
    let path = |location: &str| {
        let url = url::Url::parse(location).unwrap();
        format!("{}?{}", url.path(), url.query().unwrap_or_default())
    };
    let authorize = [
        ("client_id", "web"),
        ("response_type", "code"),
        ("redirect_uri", REDIRECT),
        ("scope", "openid offline_access"),
    ];
    // Started on B, signed in on A, approved on B.
    let started = on(&b).authorize(&authorize).await;
    let login = on(&a)
        .get(&path(started.location.as_deref().unwrap()))
        .await;
    let after_login = on(&a).log_in(&login, "alice", PASSWORD).await;
    let consent = on(&b)
        .get(&path(after_login.location.as_deref().unwrap()))
        .await;
    let callback = on(&b).consent(&consent, "allow").await;
    let code = callback.param("code").expect("a code");

    // Redeemed on A; refreshed on B.
    let tokens = a
        .post_form(
            "/token",
            Some(("web", &secret)),
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", REDIRECT),
            ],
        )
        .await;
    assert_eq!(tokens.status, 200, "{}", tokens.body);
    let refresh = tokens.json()["refresh_token"].as_str().unwrap().to_owned();
    let refreshed = b
        .post_form(
            "/token",
            Some(("web", &secret)),
            &[("grant_type", "refresh_token"), ("refresh_token", &refresh)],
        )
        .await;
    assert_eq!(refreshed.status, 200, "{}", refreshed.body);
    // The rotated token, replayed on A, is reuse there too.
    a.post_form(
        "/token",
        Some(("web", &secret)),
        &[("grant_type", "refresh_token"), ("refresh_token", &refresh)],
    )
    .await
    .assert_error(
        400,
        "invalid_grant",
        "the refresh token was already used; every token of its",
    );

    // Single sign-on on A with the session A made, consent remembered: straight back.
    let again = on(&a).authorize(&authorize).await;
    assert!(again.param("code").is_some(), "{:?}", again.location);
}

#[tokio::test]
async fn rfc6749_4_1_2_racing_redemptions_on_postgres() {
    let Some(base) = postgres_url() else { return };
    let app = node(&fresh_schema(&base).await).await;
    let s = crate::code_and_refresh_errors::setup_on(app).await;
    crate::code_and_refresh_errors::racing_redemptions_have_one_winner_whose_tokens_the_replays_revoke(&s)
        .await;
}

#[tokio::test]
async fn an_admin_change_on_one_node_holds_on_the_other() {
    use crate::admin_api::{admin_client, call};
    use crate::interaction::{Browser, REDIRECT, alice, web_client};
    use reqwest::Method;
    let Some(base) = postgres_url() else { return };
    let db = fresh_schema(&base).await;
    let (a, b) = (node(&db).await, node(&db).await);
    let admin_secret = admin_client(&a).await;
    // Each test node has an issuer of its own, so each signs its own tokens.
    let admin = a.access_token("ops-bot", &admin_secret).await;
    let admin_b = b.access_token("ops-bot", &admin_secret).await;

    // A client created over A's API works at once for client_credentials on B.
    let created = call(
        &a,
        Some(&admin),
        Method::POST,
        "/clients",
        Some(json!({"client_id": "batch", "grant_types": ["client_credentials"], "scope": "api:read"})),
    )
    .await;
    assert_eq!(created.status, 201, "{}", created.body);
    let secret = sesame_core::secret::Secret::new(
        created.json()["client_secret"].as_str().unwrap().to_owned(),
    );
    assert_eq!(b.client_credentials("batch", &secret).await.status, 200);

    // A session revoked on A stops single sign-on on B.
    let sub = alice(&a).await;
    let web = web_client(&a, "web", AuthMethod::ClientSecretPost, |_| {})
        .await
        .unwrap();
    let browser = Browser::new(&b);
    let params = [("scope", "openid"), ("nonce", "n")];
    browser
        .code_tokens(&b, ("web", web.expose(), REDIRECT), &params)
        .await;
    let query = crate::helpers::serde_urlencoded(&[
        ("client_id", "web"),
        ("response_type", "code"),
        ("redirect_uri", REDIRECT),
        ("scope", "openid"),
        ("nonce", "n"),
    ]);
    let authorize = format!("{}/authorize?{query}", b.base);
    let signed_in = browser.get(&authorize).await;
    assert!(
        signed_in
            .location
            .as_deref()
            .unwrap_or_default()
            .starts_with(REDIRECT),
        "single sign-on before the revocation"
    );
    let ended = call(
        &a,
        Some(&admin),
        Method::DELETE,
        &format!("/users/{sub}/sessions"),
        None,
    )
    .await;
    assert_eq!(ended.json()["ended"], 1, "{}", ended.body);
    let after = browser.follow(&browser.get(&authorize).await).await;
    assert!(
        after.is_login(),
        "B asks again: {} {}",
        after.status,
        after.body
    );
    // And the trail A wrote is B's to read.
    let trail = call(
        &b,
        Some(&admin_b),
        Method::GET,
        "/audit-events?action=session",
        None,
    )
    .await;
    assert_eq!(
        trail.json()["items"][0]["target"],
        format!("user:{sub}"),
        "{}",
        trail.body
    );
}

#[tokio::test]
async fn an_authenticator_enrolled_through_one_node_signs_in_on_the_other_and_its_code_works_once()
{
    use crate::interaction::{Browser, PASSWORD, REDIRECT, alice, web_client};
    let Some(base) = postgres_url() else { return };
    let db = fresh_schema(&base).await;
    let (a, b) = (node(&db).await, node(&db).await);
    let sub = alice(&a).await;
    crate::mfa::enrol(&a, &sub).await;
    web_client(&a, "web", AuthMethod::ClientSecretBasic, |m| {
        m.skip_consent = true
    })
    .await;
    let authorize = [
        ("client_id", "web"),
        ("response_type", "code"),
        ("redirect_uri", REDIRECT),
        ("scope", "openid"),
    ];
    let code = crate::mfa::code_now(&a, b"12345678901234567890");
    let sign_in = async |node: &TestApp| {
        let browser = Browser::new(node);
        let started = browser.authorize(&authorize).await;
        let login = browser.follow(&started).await;
        let after = browser.log_in(&login, "alice", PASSWORD).await;
        let page = browser.follow(&after).await;
        let (id, csrf) = (page.field("id").unwrap(), page.field("csrf_token").unwrap());
        browser
            .post(
                "/login/second-factor",
                &[("id", &id), ("csrf_token", &csrf), ("code", &code)],
            )
            .await
    };
    let on_b = sign_in(&b).await;
    assert!(
        on_b.param("code").is_some(),
        "B checks A's enrolment: {}",
        on_b.body
    );
    let on_a = sign_in(&a).await;
    assert_eq!(on_a.status, 401, "the code B accepted is spent on A too");
}
