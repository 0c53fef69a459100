//! The admin API over HTTP: who may use it, every resource's happy and error paths with RFC 9457
//! problems, ETags, the OpenAPI document, and the audit trail the changes leave.

use crate::helpers::{Reply, TestApp, send, spawn_app};
use crate::interaction::{Browser, PASSWORD, REDIRECT, alice, web_client};
use reqwest::Method;
use serde_json::{Value, json};
use sesame_core::client::{AccessTokenFormat, AuthMethod};
use sesame_core::scope::Scopes;
use sesame_core::secret::Secret;

/// The admin client `ops-bot` (as `sesame client create --admin` makes it); its secret.
pub async fn admin_client(app: &TestApp) -> Secret {
    app.client_with("ops-bot", AuthMethod::ClientSecretBasic, |m| {
        m.admin = true;
        m.scope = Scopes::parse("sesame:admin").unwrap();
    })
    .await
    .unwrap()
}

/// An admin client and a token of it.
pub async fn admin_token(app: &TestApp) -> String {
    let secret = admin_client(app).await;
    app.access_token("ops-bot", &secret).await
}

pub async fn call(
    app: &TestApp,
    token: Option<&str>,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> Reply {
    let mut request = app
        .http
        .request(method, app.url(&format!("/admin/v1{path}")));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(body) = body {
        request = request
            .header("content-type", "application/json")
            .body(body.to_string());
    }
    send(request).await
}

/// Asserts an RFC 9457 problem with this status whose detail says `says`.
#[track_caller]
pub fn assert_problem(reply: &Reply, status: u16, says: &str) -> Value {
    assert_eq!(reply.status, status, "{}", reply.body);
    assert_eq!(reply.headers["content-type"], "application/problem+json");
    let problem = reply.json();
    assert_eq!(problem["status"], status);
    assert_eq!(problem["type"], "about:blank");
    assert!(problem["title"].is_string());
    let detail = problem["detail"].as_str().unwrap_or_default();
    assert!(detail.contains(says), "{detail}");
    problem
}

/// The newest event of `action` by (or, for users, about) `who`, waiting for the writer.
async fn trail_has(app: &TestApp, admin: &str, action: &str, who: &str) -> Value {
    for _ in 0..50 {
        let page = call(
            app,
            Some(admin),
            Method::GET,
            &format!("/audit-events?action={action}"),
            None,
        )
        .await
        .json();
        let found = page["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["actor"] == who || e["target"] == who)
            .cloned();
        if let Some(event) = found {
            return event;
        }
        tokio::time::sleep(std::time::Duration::from_millis(40)).await;
    }
    panic!("no {action} event of {who} in the audit trail");
}

/// The document's operations as (method, path with `{param}`s).
fn operations(document: &Value) -> Vec<(String, String)> {
    let mut ops = Vec::new();
    for (path, item) in document["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            ops.push((method.to_uppercase(), path.clone()));
        }
    }
    ops
}

#[tokio::test]
async fn the_openapi_document_is_openapi_3_1_and_names_every_route() {
    let app = spawn_app().await;
    let reply = app.get("/admin/v1/openapi.json").await;
    assert_eq!(reply.status, 200);
    let doc = reply.json();
    assert!(
        doc["openapi"].as_str().unwrap().starts_with("3.1."),
        "{}",
        doc["openapi"]
    );
    assert_eq!(doc["servers"][0]["url"], app.url("/admin/v1"));
    assert_eq!(
        doc["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
    let ops = operations(&doc);
    for (method, path) in [
        ("GET", "/clients"),
        ("POST", "/clients"),
        ("GET", "/clients/{client_id}"),
        ("PATCH", "/clients/{client_id}"),
        ("DELETE", "/clients/{client_id}"),
        ("POST", "/clients/{client_id}/secret"),
        ("GET", "/users"),
        ("POST", "/users"),
        ("GET", "/users/{sub}"),
        ("PATCH", "/users/{sub}"),
        ("DELETE", "/users/{sub}"),
        ("PUT", "/users/{sub}/password"),
        ("POST", "/users/{sub}/unlock"),
        ("GET", "/users/{sub}/sessions"),
        ("DELETE", "/users/{sub}/sessions"),
        ("DELETE", "/users/{sub}/sessions/{sid}"),
        ("GET", "/users/{sub}/consents"),
        ("DELETE", "/users/{sub}/consents/{client_id}"),
        ("GET", "/users/{sub}/identities"),
        ("DELETE", "/users/{sub}/identities/{connection}"),
        ("GET", "/users/{sub}/factors"),
        ("DELETE", "/users/{sub}/factors/{id}"),
        ("GET", "/connections"),
        ("GET", "/connections/{id}"),
        ("PUT", "/connections/{id}"),
        ("DELETE", "/connections/{id}"),
        ("GET", "/keys"),
        ("POST", "/keys/rotate"),
        ("GET", "/audit-events"),
    ] {
        assert!(
            ops.contains(&(method.to_owned(), path.to_owned())),
            "{method} {path} is missing from the document"
        );
    }
    assert_eq!(ops.len(), 29, "a route the test does not know: {ops:?}");
    // Structurally valid: every operation answers something, names its path parameters, and
    // every $ref resolves.
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            assert!(
                op["responses"].as_object().is_some_and(|r| !r.is_empty()),
                "{method} {path}"
            );
            let declared: Vec<&str> = op["parameters"]
                .as_array()
                .map(|ps| {
                    ps.iter()
                        .filter(|p| p["in"] == "path")
                        .map(|p| p["name"].as_str().unwrap())
                        .collect()
                })
                .unwrap_or_default();
            for segment in path.split('/').filter(|s| s.starts_with('{')) {
                let name = segment.trim_matches(['{', '}']);
                assert!(
                    declared.contains(&name),
                    "{method} {path} does not declare {name}"
                );
            }
        }
    }
    // The resources' members come from the core's types: the metadata is RFC 7591's, and the
    // request shape beside it did not take its name.
    let schemas = &doc["components"]["schemas"];
    assert!(schemas["ClientMetadata"]["properties"]["redirect_uris"].is_object());
    assert!(
        schemas["ClientMetadata"]["properties"]
            .get("client_id")
            .is_none()
    );
    assert!(schemas["StandardClaims"]["properties"]["email"].is_object());
    assert_eq!(schemas["GrantType"]["enum"][0], "authorization_code");
    let text = doc.to_string();
    for reference in text.split("\"$ref\":\"#/components/schemas/").skip(1) {
        let name = &reference[..reference.find('"').unwrap()];
        assert!(
            doc["components"]["schemas"][name].is_object(),
            "dangling $ref {name}"
        );
    }
}

#[tokio::test]
async fn an_independent_validator_accepts_the_openapi_document() {
    let module = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/node/node_modules/@seriousme/openapi-schema-validator"
    );
    if crate::helpers::missing((!std::path::Path::new(module).exists()).then_some(
        "the OpenAPI validator is not installed (npm ci --prefix tests/node), so the document was not validated",
    )) {
        return;
    }
    let app = spawn_app().await;
    let document = app.get("/admin/v1/openapi.json").await.body;
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/node/openapi.mjs");
    let output = tokio::task::spawn_blocking(move || {
        use std::io::Write;
        let mut child = std::process::Command::new("node")
            .arg(script)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("node runs");
        child
            .stdin
            .take()
            .unwrap()
            .write_all(document.as_bytes())
            .unwrap();
        child.wait_with_output().unwrap()
    })
    .await
    .unwrap();
    assert!(
        output.status.success(),
        "the document is not valid OpenAPI:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let verdict: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(verdict["version"], "3.1");
}

#[tokio::test]
async fn every_route_refuses_a_missing_token_and_a_token_without_the_admin_scope() {
    let app = spawn_app().await;
    let doc = app.get("/admin/v1/openapi.json").await.json();
    let secret = app.service_client("svc", AccessTokenFormat::Jwt).await;
    let plain = app.access_token("svc", &secret).await;
    for (method, path) in operations(&doc) {
        let concrete = path.replace(['{', '}'], "");
        let method = Method::from_bytes(method.as_bytes()).unwrap();
        let body = matches!(method, Method::POST | Method::PUT | Method::PATCH).then(|| json!({}));
        let none = call(&app, None, method.clone(), &concrete, body.clone()).await;
        assert_problem(&none, 401, "bearer access token");
        let challenge = none.headers["www-authenticate"].to_str().unwrap();
        assert!(
            challenge.starts_with("Bearer realm=\"sesame-admin\""),
            "{challenge}"
        );
        assert!(
            !challenge.contains("error="),
            "RFC 6750 §3.1: no error code without a token"
        );

        let forged = call(
            &app,
            Some("at_not-a-token"),
            method.clone(),
            &concrete,
            body.clone(),
        )
        .await;
        assert_problem(&forged, 401, "invalid");
        assert!(
            forged.headers["www-authenticate"]
                .to_str()
                .unwrap()
                .contains("error=\"invalid_token\"")
        );

        let unscoped = call(&app, Some(&plain), method.clone(), &concrete, body).await;
        assert_problem(&unscoped, 403, "sesame:admin");
        let challenge = unscoped.headers["www-authenticate"].to_str().unwrap();
        assert!(
            challenge.contains("error=\"insufficient_scope\""),
            "{method} {path}: {challenge}"
        );
    }
    // The scope cannot be asked for by a client not marked admin.
    let asked = app
        .post_form(
            "/token",
            Some(("svc", &secret)),
            &[
                ("grant_type", "client_credentials"),
                ("scope", "sesame:admin"),
            ],
        )
        .await;
    asked.assert_error(400, "invalid_scope", "sesame:admin");
}

#[tokio::test]
async fn clients_are_created_used_changed_rotated_and_deleted_over_the_api() {
    let app = spawn_app().await;
    let admin = admin_token(&app).await;
    let token = Some(admin.as_str());

    let created = call(
        &app,
        token,
        Method::POST,
        "/clients",
        Some(json!({
            "client_id": "billing",
            "client_name": "Billing",
            "grant_types": ["client_credentials"],
            "scope": "api:read",
            "access_token_format": "opaque",
        })),
    )
    .await;
    assert_eq!(created.status, 201, "{}", created.body);
    assert_eq!(
        created.headers["location"].to_str().unwrap(),
        app.url("/admin/v1/clients/billing")
    );
    let etag = created.headers["etag"].to_str().unwrap().to_owned();
    let body = created.json();
    assert_eq!(body["client_id"], "billing");
    let secret = Secret::new(body["client_secret"].as_str().unwrap().to_owned());
    // The new client works at once.
    let issued = app.token("billing", &secret, Some("api:read")).await;
    assert!(issued["access_token"].as_str().unwrap().starts_with("sat_"));

    let again = call(
        &app,
        token,
        Method::POST,
        "/clients",
        Some(json!({"client_id": "billing", "grant_types": ["client_credentials"]})),
    )
    .await;
    assert_problem(&again, 409, "already exists");
    let chosen = call(
        &app,
        token,
        Method::POST,
        "/clients",
        Some(json!({"client_secret": "x".repeat(40)})),
    )
    .await;
    assert_eq!(
        assert_problem(&chosen, 422, "client_secret")["errors"][0]["pointer"],
        "/client_secret"
    );
    let typo = call(
        &app,
        token,
        Method::POST,
        "/clients",
        Some(json!({"redirect_uri": ["https://a.example/cb"]})),
    )
    .await;
    assert_problem(&typo, 422, "unknown field");
    let wrong_type = call(
        &app,
        token,
        Method::POST,
        "/clients",
        Some(json!({"redirect_uris": ["https://a.example/cb", 7]})),
    )
    .await;
    assert_eq!(
        assert_problem(&wrong_type, 422, "redirect_uris")["errors"][0]["pointer"],
        "/redirect_uris/1"
    );
    let rule = call(
        &app,
        token,
        Method::POST,
        "/clients",
        Some(json!({"redirect_uris": ["http://app.example/cb"]})),
    )
    .await;
    assert_eq!(
        assert_problem(&rule, 422, "https")["errors"][0]["pointer"],
        "/redirect_uris"
    );
    let not_json = send(
        app.http
            .post(app.url("/admin/v1/clients"))
            .bearer_auth(&admin)
            .header("content-type", "text/plain")
            .body("{}"),
    )
    .await;
    assert_problem(&not_json, 415, "application/json");
    let broken = send(
        app.http
            .post(app.url("/admin/v1/clients"))
            .bearer_auth(&admin)
            .header("content-type", "application/json")
            .body("{"),
    )
    .await;
    assert_problem(&broken, 400, "not JSON");

    let read = call(&app, token, Method::GET, "/clients/billing", None).await;
    assert_eq!(read.status, 200);
    assert_eq!(read.headers["etag"].to_str().unwrap(), etag);
    assert!(
        read.json().get("client_secret").is_none(),
        "a secret is shown once"
    );
    assert!(!read.body.contains(secret.expose()));

    // Two operators edit: the second one's stale ETag is refused.
    let patch = |name: &str, tag: &str| {
        app.http
            .patch(app.url("/admin/v1/clients/billing"))
            .bearer_auth(&admin)
            .header("content-type", "application/merge-patch+json")
            .header("if-match", tag.to_owned())
            .body(json!({ "client_name": name }).to_string())
    };
    let first = send(patch("Billing v2", &etag)).await;
    assert_eq!(first.status, 200, "{}", first.body);
    assert_eq!(first.json()["client_name"], "Billing v2");
    assert_eq!(
        first.json()["scope"],
        "api:read",
        "a merge patch keeps what it does not name"
    );
    let new_etag = first.headers["etag"].to_str().unwrap().to_owned();
    assert_ne!(new_etag, etag);
    let second = send(patch("Billing v3", &etag)).await;
    assert_problem(&second, 412, "changed since it was read");
    let after = call(&app, token, Method::GET, "/clients/billing", None).await;
    assert_eq!(
        after.json()["client_name"],
        "Billing v2",
        "nothing was overwritten"
    );
    let removes = call(
        &app,
        token,
        Method::PATCH,
        "/clients/billing",
        Some(json!({"client_name": null})),
    )
    .await;
    assert!(removes.json().get("client_name").is_none());
    let renames = call(
        &app,
        token,
        Method::PATCH,
        "/clients/billing",
        Some(json!({"client_id": "x"})),
    )
    .await;
    assert_problem(&renames, 422, "cannot be changed");
    let invalid = call(
        &app,
        token,
        Method::PATCH,
        "/clients/billing",
        Some(json!({"grant_types": []})),
    )
    .await;
    assert_eq!(
        assert_problem(&invalid, 422, "at least one")["errors"][0]["pointer"],
        "/grant_types"
    );

    let rotated = call(&app, token, Method::POST, "/clients/billing/secret", None).await;
    assert_eq!(rotated.status, 200, "{}", rotated.body);
    let fresh = Secret::new(rotated.json()["client_secret"].as_str().unwrap().to_owned());
    app.client_credentials("billing", &secret)
        .await
        .assert_error(401, "invalid_client", "");
    assert_eq!(app.client_credentials("billing", &fresh).await.status, 200);

    let list = call(&app, token, Method::GET, "/clients", None).await;
    let listed = list.json();
    let ids: Vec<&str> = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["client_id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        ["billing", "ops-bot", "sesame-account", "sesame-console"]
    );
    // The console's own client is registered by Sesame at every start: not the API's to change.
    let patch = serde_json::json!({ "client_name": "mine" });
    for (method, path, body) in [
        (Method::PATCH, "/clients/sesame-console", Some(patch)),
        (Method::POST, "/clients/sesame-console/secret", None),
        (Method::DELETE, "/clients/sesame-console", None),
    ] {
        let refused = call(&app, token, method, path, body).await;
        assert_problem(&refused, 409, "one of Sesame's own clients");
    }
    // Nor can an id be a step in a URL's path.
    for id in [".", ".."] {
        let body = serde_json::json!({ "client_id": id, "grant_types": ["client_credentials"] });
        let refused = call(&app, token, Method::POST, "/clients", Some(body)).await;
        assert_problem(&refused, 422, "cannot be . or ..");
    }

    assert_eq!(
        call(&app, token, Method::DELETE, "/clients/billing", None)
            .await
            .status,
        204
    );
    assert_problem(
        &call(&app, token, Method::GET, "/clients/billing", None).await,
        404,
        "no client",
    );
    assert_problem(
        &call(&app, token, Method::DELETE, "/clients/billing", None).await,
        404,
        "no client",
    );
    assert_problem(
        &call(&app, token, Method::GET, "/nothing-here", None).await,
        404,
        "no such",
    );

    // The trail: who did what to which client, and never a secret.
    let events = call(
        &app,
        token,
        Method::GET,
        "/audit-events?target=client:billing",
        None,
    )
    .await;
    assert_eq!(events.status, 200, "{}", events.body);
    let events = events.json();
    let actions: Vec<&str> = events["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "client.deleted",
            "client.secret_rotated",
            "client.updated",
            "client.updated",
            "client.created"
        ]
    );
    for e in events["items"].as_array().unwrap() {
        assert_eq!(e["actor"], "client:ops-bot");
        assert_eq!(e["address"], "127.0.0.1");
    }
    assert_eq!(
        events["items"][2]["details"]["before"]["client_name"],
        "Billing v2"
    );
    assert_eq!(
        events["items"][3]["details"]["after"]["client_name"],
        "Billing v2"
    );
    let text = events.to_string();
    assert!(
        !text.contains(secret.expose()) && !text.contains(fresh.expose()),
        "{text}"
    );
}

#[tokio::test]
async fn users_are_paged_searched_changed_and_their_sessions_and_consents_revoked() {
    let app = spawn_app().await;
    let admin = admin_token(&app).await;
    let token = Some(admin.as_str());
    let sub = alice(&app).await;
    for i in 0..5 {
        let made = call(
            &app,
            token,
            Method::POST,
            "/users",
            Some(json!({
                "username": format!("user{i}"),
                "email": format!("user{i}@corp.example"),
                "name": format!("User {i}"),
            })),
        )
        .await;
        assert_eq!(made.status, 201, "{}", made.body);
        let location = made.headers["location"].to_str().unwrap();
        assert!(
            location.starts_with(&app.url("/admin/v1/users/usr_")),
            "{location}"
        );
        assert_eq!(made.json()["has_password"], false);
    }
    let duplicate = call(
        &app,
        token,
        Method::POST,
        "/users",
        Some(json!({"username": "user1"})),
    )
    .await;
    assert_problem(&duplicate, 409, "already exists");
    let weak = call(
        &app,
        token,
        Method::POST,
        "/users",
        Some(json!({"username": "x", "password": "short"})),
    )
    .await;
    assert_eq!(
        assert_problem(&weak, 422, "password")["errors"][0]["pointer"],
        "/password"
    );
    let admin_user = call(
        &app,
        token,
        Method::POST,
        "/users",
        Some(json!({"username": "root-ops", "roles": ["admin", "admin"]})),
    )
    .await;
    assert_eq!(
        admin_user.json()["roles"],
        json!(["admin"]),
        "{}",
        admin_user.body
    );
    let unknown_role = call(
        &app,
        token,
        Method::POST,
        "/users",
        Some(json!({"username": "x2", "roles": ["root"]})),
    )
    .await;
    assert_eq!(
        assert_problem(&unknown_role, 422, "roles")["errors"][0]["pointer"],
        "/roles"
    );
    let bad_claim = call(
        &app,
        token,
        Method::POST,
        "/users",
        Some(json!({"username": "y", "emial": "y@x"})),
    )
    .await;
    assert_problem(&bad_claim, 422, "unknown field");

    // Pages of two, in username order, by cursor.
    let mut seen = Vec::new();
    let mut path = "/users?limit=2".to_owned();
    loop {
        let page = call(&app, token, Method::GET, &path, None).await.json();
        seen.extend(
            page["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|u| u["username"].as_str().unwrap().to_owned()),
        );
        match page["next"].as_str() {
            Some(next) => path = format!("/users?limit=2&after={next}"),
            None => break,
        }
    }
    assert_eq!(
        seen,
        [
            "alice", "root-ops", "user0", "user1", "user2", "user3", "user4"
        ]
    );
    let found = call(
        &app,
        token,
        Method::GET,
        "/users?search=CORP.example&limit=3",
        None,
    )
    .await
    .json();
    assert_eq!(found["items"].as_array().unwrap().len(), 3);
    assert!(found["next"].is_string());
    assert_problem(
        &call(&app, token, Method::GET, "/users?limit=0", None).await,
        422,
        "limit",
    );
    assert_problem(
        &call(&app, token, Method::GET, "/users?after=%%%", None).await,
        422,
        "cursor",
    );

    // Alice signs in at a web app; the operator sees her session and consent.
    let secret = web_client(&app, "web", AuthMethod::ClientSecretPost, |_| {})
        .await
        .unwrap();
    let browser = Browser::new(&app);
    let tokens = browser
        .code_tokens(
            &app,
            ("web", secret.expose(), REDIRECT),
            &[("scope", "openid offline_access"), ("nonce", "n")],
        )
        .await;
    let refresh = tokens["refresh_token"].as_str().unwrap().to_owned();
    // The sign-in and the consent are in the trail (written a moment later, off the hot path).
    let signed_in = trail_has(&app, &admin, "login.succeeded", &format!("user:{sub}")).await;
    assert_eq!(signed_in["address"], "127.0.0.1");
    let consented = trail_has(&app, &admin, "consent.granted", &format!("user:{sub}")).await;
    assert_eq!(consented["details"]["client_id"], "web");
    let user = call(&app, token, Method::GET, &format!("/users/{sub}"), None).await;
    assert_eq!(user.json()["email"], "alice@example.com");
    assert!(user.json()["locked_until"].is_null());
    let sessions = call(
        &app,
        token,
        Method::GET,
        &format!("/users/{sub}/sessions"),
        None,
    )
    .await
    .json();
    let sid = sessions["items"][0]["sid"].as_str().unwrap().to_owned();
    let consents = call(
        &app,
        token,
        Method::GET,
        &format!("/users/{sub}/consents"),
        None,
    )
    .await
    .json();
    assert_eq!(consents["items"][0]["client_id"], "web");
    assert_eq!(consents["items"][0]["scope"], "openid offline_access");

    // Revoking the session ends single sign-on: the next authorization asks her to log in.
    let gone = call(
        &app,
        token,
        Method::DELETE,
        &format!("/users/{sub}/sessions/{sid}"),
        None,
    )
    .await;
    assert_eq!(gone.status, 204);
    assert_problem(
        &call(
            &app,
            token,
            Method::DELETE,
            &format!("/users/{sub}/sessions/{sid}"),
            None,
        )
        .await,
        404,
        "no session",
    );
    let query = crate::helpers::serde_urlencoded(&[
        ("client_id", "web"),
        ("response_type", "code"),
        ("redirect_uri", REDIRECT),
        ("scope", "openid"),
        ("nonce", "n"),
    ]);
    let page = browser
        .get(&format!("{}/authorize?{query}", app.base))
        .await;
    let page = browser.follow(&page).await;
    assert!(page.is_login(), "{} {}", page.status, page.body);

    // Revoking the consent ends the tokens issued under it.
    let revoked = call(
        &app,
        token,
        Method::DELETE,
        &format!("/users/{sub}/consents/web"),
        None,
    )
    .await;
    assert_eq!(revoked.status, 204, "{}", revoked.body);
    let refused = app
        .post_form(
            "/token",
            None,
            &[
                ("grant_type", "refresh_token"),
                ("refresh_token", &refresh),
                ("client_id", "web"),
                ("client_secret", secret.expose()),
            ],
        )
        .await;
    refused.assert_error(400, "invalid_grant", "");
    let failure = trail_has(&app, &admin, "token.refused", "anonymous").await;
    assert_eq!(
        failure["details"],
        json!({"grant_type": "refresh_token", "error": "invalid_grant"})
    );
    assert_problem(
        &call(
            &app,
            token,
            Method::DELETE,
            &format!("/users/{sub}/consents/web"),
            None,
        )
        .await,
        404,
        "neither consented",
    );

    // Claims by merge patch with the ETag; a rename to a taken name is a conflict.
    let etag = user.headers["etag"].to_str().unwrap().to_owned();
    let changed = send(
        app.http
            .patch(app.url(&format!("/admin/v1/users/{sub}")))
            .bearer_auth(&admin)
            .header("content-type", "application/merge-patch+json")
            .header("if-match", etag.clone())
            .body(json!({"name": "Alice L.", "email": null, "locale": "en-GB"}).to_string()),
    )
    .await;
    assert_eq!(changed.status, 200, "{}", changed.body);
    assert_eq!(changed.json()["name"], "Alice L.");
    assert!(changed.json().get("email").is_none());
    // The answer's ETag is the current one: a later If-Match with it is accepted.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let next_tag = changed.headers["etag"].to_str().unwrap().to_owned();
    let followed = send(
        app.http
            .patch(app.url(&format!("/admin/v1/users/{sub}")))
            .bearer_auth(&admin)
            .header("content-type", "application/json")
            .header("if-match", next_tag)
            .body(json!({"nickname": "Al"}).to_string()),
    )
    .await;
    assert_eq!(followed.status, 200, "{}", followed.body);
    let stale = send(
        app.http
            .patch(app.url(&format!("/admin/v1/users/{sub}")))
            .bearer_auth(&admin)
            .header("content-type", "application/json")
            .header("if-match", etag)
            .body(json!({"name": "Other"}).to_string()),
    )
    .await;
    assert_problem(&stale, 412, "changed since");
    let taken = call(
        &app,
        token,
        Method::PATCH,
        &format!("/users/{sub}"),
        Some(json!({"username": "user1"})),
    )
    .await;
    assert_problem(&taken, 409, "already exists");
    let bad_email = call(
        &app,
        token,
        Method::PATCH,
        &format!("/users/{sub}"),
        Some(json!({"email": "nope"})),
    )
    .await;
    assert_problem(&bad_email, 422, "email");
    let read_only = call(
        &app,
        token,
        Method::PATCH,
        &format!("/users/{sub}"),
        Some(json!({"sub": "usr_x"})),
    )
    .await;
    assert_eq!(
        assert_problem(&read_only, 422, "cannot be changed")["errors"][0]["pointer"],
        "/sub"
    );

    // A new password, and she signs in with it.
    let set = call(
        &app,
        token,
        Method::PUT,
        &format!("/users/{sub}/password"),
        Some(json!({"password": "a brand new passphrase"})),
    )
    .await;
    assert_eq!(set.status, 204, "{}", set.body);
    let fresh = Browser::new(&app);
    let login = fresh
        .follow(&fresh.get(&format!("{}/authorize?{query}", app.base)).await)
        .await;
    let old = fresh.log_in(&login, "alice", PASSWORD).await;
    assert!(old.is_login(), "the old password is refused");
    let failed = trail_has(&app, &admin, "login.failed", &format!("user:{sub}")).await;
    assert_eq!(failed["address"], "127.0.0.1");
    assert_eq!(
        failed["details"],
        json!({"why": "invalid"}),
        "a known account by id, not by name"
    );
    let login = fresh
        .follow(&fresh.get(&format!("{}/authorize?{query}", app.base)).await)
        .await;
    let signed_in = fresh
        .log_in(&login, "alice", "a brand new passphrase")
        .await;
    assert!(!signed_in.is_login(), "{}", signed_in.body);

    // Disabling ends her sessions; unlock answers even when nothing was locked.
    let disabled = call(
        &app,
        token,
        Method::PATCH,
        &format!("/users/{sub}"),
        Some(json!({"disabled": true})),
    )
    .await;
    assert_eq!(disabled.json()["disabled"], true);
    let sessions = call(
        &app,
        token,
        Method::GET,
        &format!("/users/{sub}/sessions"),
        None,
    )
    .await
    .json();
    assert_eq!(sessions["items"], json!([]));
    let unlocked = call(
        &app,
        token,
        Method::POST,
        &format!("/users/{sub}/unlock"),
        None,
    )
    .await;
    assert_eq!(unlocked.json(), json!({"was_locked_until": null}));
    assert_eq!(
        call(
            &app,
            token,
            Method::GET,
            &format!("/users/{sub}/identities"),
            None
        )
        .await
        .json(),
        json!({"items": []})
    );
    assert_problem(
        &call(
            &app,
            token,
            Method::DELETE,
            &format!("/users/{sub}/identities/github"),
            None,
        )
        .await,
        404,
        "no identity linked",
    );

    assert_eq!(
        call(&app, token, Method::DELETE, &format!("/users/{sub}"), None)
            .await
            .status,
        204
    );
    assert_problem(
        &call(&app, token, Method::GET, &format!("/users/{sub}"), None).await,
        404,
        "no user",
    );

    let trail = call(
        &app,
        token,
        Method::GET,
        &format!("/audit-events?target=user:{sub}&limit=20"),
        None,
    )
    .await
    .json();
    let actions: Vec<&str> = trail["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    for expected in [
        "user.deleted",
        "user.unlocked",
        "user.updated",
        "user.password_set",
        "consent.revoked",
        "session.revoked",
    ] {
        assert!(actions.contains(&expected), "{expected} in {actions:?}");
    }
    assert!(!trail.to_string().contains("brand new passphrase"));
    assert!(!trail.to_string().contains("argon2"));
}

#[tokio::test]
async fn keys_rotate_and_connections_are_saved_and_deleted_over_the_api() {
    let app = spawn_app().await;
    let admin = admin_token(&app).await;
    let token = Some(admin.as_str());
    let before = call(&app, token, Method::GET, "/keys", None).await.json();
    assert!(
        before["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|k| k.get("private").is_none() && k.get("d").is_none())
    );
    let rotated = call(&app, token, Method::POST, "/keys/rotate", None).await;
    assert_eq!(rotated.status, 200, "{}", rotated.body);
    let new_kid = rotated.json()["items"][0]["kid"]
        .as_str()
        .unwrap()
        .to_owned();
    let jwks = app.get("/jwks").await.json();
    assert!(jwks.to_string().contains(&new_kid));

    let connection = json!({
        "kind": "oidc", "display_name": "Corp SSO", "issuer": "https://sso.corp.example",
        "client_id": "sesame", "client_secret": "s3cr3t-upstream",
    });
    let saved = call(
        &app,
        token,
        Method::PUT,
        "/connections/corp",
        Some(connection.clone()),
    )
    .await;
    assert_eq!(saved.status, 200, "{}", saved.body);
    assert!(!saved.body.contains("s3cr3t-upstream"));
    let read = call(&app, token, Method::GET, "/connections/corp", None).await;
    assert_eq!(read.json()["display_name"], "Corp SSO");
    let listed = call(&app, token, Method::GET, "/connections", None).await;
    assert!(!listed.body.contains("s3cr3t-upstream"));
    let mut no_secret = connection.clone();
    no_secret.as_object_mut().unwrap().remove("client_secret");
    assert_problem(
        &call(
            &app,
            token,
            Method::PUT,
            "/connections/corp",
            Some(no_secret),
        )
        .await,
        422,
        "client_secret",
    );
    let mut other_id = connection.clone();
    other_id["id"] = "elsewhere".into();
    assert_problem(
        &call(
            &app,
            token,
            Method::PUT,
            "/connections/corp",
            Some(other_id),
        )
        .await,
        422,
        "path",
    );
    assert_eq!(
        call(&app, token, Method::DELETE, "/connections/corp", None)
            .await
            .status,
        204
    );
    assert_problem(
        &call(&app, token, Method::GET, "/connections/corp", None).await,
        404,
        "no connection",
    );

    let trail = call(
        &app,
        token,
        Method::GET,
        "/audit-events?action=connection",
        None,
    )
    .await
    .json();
    let actions: Vec<&str> = trail["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["connection.deleted", "connection.saved"]);
    assert!(!trail.to_string().contains("s3cr3t-upstream"));
    let keys = call(
        &app,
        token,
        Method::GET,
        "/audit-events?action=keys.rotated",
        None,
    )
    .await
    .json();
    assert_eq!(keys["items"].as_array().unwrap().len(), 1);
    assert_problem(
        &call(&app, token, Method::GET, "/audit-events?limit=501", None).await,
        422,
        "limit",
    );
}

#[tokio::test]
async fn a_revoked_admin_token_or_a_demoted_client_loses_access_at_once() {
    let app = spawn_app().await;
    let admin = admin_token(&app).await;
    assert_eq!(
        call(&app, Some(&admin), Method::GET, "/keys", None)
            .await
            .status,
        200
    );
    let store = app.provider.store();
    let mut client = store.get_client("ops-bot").await.unwrap().unwrap();
    client.metadata.admin = false;
    client.metadata.scope = Scopes::parse("api:read").unwrap();
    assert!(store.update_client(&client).await.unwrap());
    // The client cache holds a client for client_cache_ttl (1 s in the tests).
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let demoted = call(&app, Some(&admin), Method::GET, "/keys", None).await;
    assert_problem(&demoted, 403, "not an admin client");
}

#[tokio::test]
async fn disabling_a_user_or_setting_their_password_ends_what_they_held_for_good() {
    let app = spawn_app().await;
    let admin = admin_token(&app).await;
    let token = Some(admin.as_str());
    let sub = alice(&app).await;
    let secret = web_client(&app, "web", AuthMethod::ClientSecretPost, |_| {})
        .await
        .unwrap();
    let refresh_with = |refresh: String| {
        let app = &app;
        let secret = secret.expose().to_owned();
        async move {
            app.post_form(
                "/token",
                None,
                &[
                    ("grant_type", "refresh_token"),
                    ("refresh_token", &refresh),
                    ("client_id", "web"),
                    ("client_secret", &secret),
                ],
            )
            .await
        }
    };
    let sign_in = || async {
        let tokens = Browser::new(&app)
            .code_tokens(
                &app,
                ("web", secret.expose(), REDIRECT),
                &[("scope", "openid offline_access"), ("nonce", "n")],
            )
            .await;
        tokens["refresh_token"].as_str().unwrap().to_owned()
    };

    // Disabled, then enabled again: the refresh token from before stays dead.
    let refresh = sign_in().await;
    for disabled in [true, false] {
        let patched = call(
            &app,
            token,
            Method::PATCH,
            &format!("/users/{sub}"),
            Some(json!({ "disabled": disabled })),
        )
        .await;
        assert_eq!(patched.status, 200, "{}", patched.body);
    }
    refresh_with(refresh)
        .await
        .assert_error(400, "invalid_grant", "");

    // A password set by an operator signs out whoever held the old one.
    let refresh = sign_in().await;
    let set = call(
        &app,
        token,
        Method::PUT,
        &format!("/users/{sub}/password"),
        Some(json!({"password": "another long passphrase"})),
    )
    .await;
    assert_eq!(set.status, 204);
    refresh_with(refresh)
        .await
        .assert_error(400, "invalid_grant", "");
    let sessions = call(
        &app,
        token,
        Method::GET,
        &format!("/users/{sub}/sessions"),
        None,
    )
    .await;
    assert_eq!(sessions.json()["items"], json!([]));
}

#[tokio::test]
async fn malformed_requests_get_problems_too() {
    let app = spawn_app().await;
    let admin = admin_token(&app).await;
    let token = Some(admin.as_str());
    let basic = send(
        app.http
            .get(app.url("/admin/v1/keys"))
            .basic_auth("ops-bot", Some("x")),
    )
    .await;
    assert_problem(&basic, 401, "bearer access token");
    assert!(
        !basic.headers["www-authenticate"]
            .to_str()
            .unwrap()
            .contains("error="),
        "RFC 6750 §3.1"
    );
    let not_allowed = call(&app, token, Method::PUT, "/keys", Some(json!({}))).await;
    assert_problem(&not_allowed, 405, "does not answer that method");
    let bad_query = call(&app, token, Method::GET, "/users?limit=many", None).await;
    assert_problem(&bad_query, 400, "limit");
    let bad_since = call(
        &app,
        token,
        Method::GET,
        "/audit-events?since=yesterday",
        None,
    )
    .await;
    assert_problem(&bad_since, 400, "since");
    let array = call(&app, token, Method::POST, "/users", Some(json!(["alice"]))).await;
    assert_problem(&array, 400, "JSON object");
}

#[tokio::test]
async fn a_users_second_factors_are_listed_without_secrets_and_removed() {
    let app = spawn_app().await;
    let admin = admin_token(&app).await;
    let token = Some(admin.as_str());
    let sub = crate::interaction::alice(&app).await;
    crate::mfa::enrol(&app, &sub).await;
    let path = format!("/users/{sub}/factors");
    let listed = call(&app, token, Method::GET, &path, None).await;
    assert_eq!(listed.status, 200, "{}", listed.body);
    let body = listed.json();
    assert_eq!(body["recovery_codes_left"], 10);
    let id = body["items"][0]["id"].as_str().unwrap().to_owned();
    assert_eq!(body["items"][0]["kind"], "totp");
    assert!(!listed.body.contains("secret"), "{}", listed.body);
    let missing = call(
        &app,
        token,
        Method::DELETE,
        &format!("{path}/fct_none"),
        None,
    )
    .await;
    assert_problem(&missing, 404, "has no factor fct_none");
    let removed = call(&app, token, Method::DELETE, &format!("{path}/{id}"), None).await;
    assert_eq!(removed.status, 204, "{}", removed.body);
    let after = call(&app, token, Method::GET, &path, None).await.json();
    assert_eq!(after["items"], serde_json::json!([]));
    assert_eq!(
        after["recovery_codes_left"], 0,
        "the codes go with the last factor"
    );
    let unknown = call(&app, token, Method::GET, "/users/usr_none/factors", None).await;
    assert_problem(&unknown, 404, "no user");
}
