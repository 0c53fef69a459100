//! The admin console: who gets in (an OpenID Connect sign-in to Sesame itself, then the admin
//! role), and an operator's first tasks in Chromium with a screenshot of every page.

use crate::helpers::{TestApp, chromium_missing, spawn_app};
use crate::interaction::{Browser, PASSWORD, alice};
use sesame_core::user::Role;

/// Gives the user the admin role, as `sesame user create --role admin` would.
async fn make_admin(app: &TestApp, sub: &str) {
    let store = app.provider.store();
    let mut user = store.get_user(sub).await.unwrap().unwrap();
    user.roles = vec![Role::Admin];
    user.updated_at += 1;
    assert!(store.update_user(&user).await.unwrap());
}

/// Follows the console's redirects in `browser` until a page that is not a redirect.
async fn open(browser: &Browser, path: &str) -> crate::interaction::Page {
    let mut page = browser.get(&format!("{}{path}", browser.base)).await;
    for _ in 0..10 {
        if page.location.is_none() {
            break;
        }
        page = browser.follow(&page).await;
    }
    page
}

#[tokio::test]
async fn the_console_wants_a_sign_in_and_the_admin_role() {
    let app = spawn_app().await;
    let sub = alice(&app).await;
    let browser = Browser::new(&app);
    // Not signed in: off to Sesame's sign-in, as the console's own client.
    let first = browser.get(&app.url("/admin")).await;
    assert_eq!(first.status, 303);
    assert!(first.location.as_deref().unwrap().ends_with("/admin/login"));
    let login = open(&browser, "/admin").await;
    assert!(login.is_login(), "{}", login.body);
    let after = browser.log_in(&login, "alice", PASSWORD).await;
    // Signed in, but not an administrator: refused, and said why.
    let mut page = after;
    for _ in 0..10 {
        if page.location.is_none() {
            break;
        }
        page = browser.follow(&page).await;
    }
    assert_eq!(page.status, 403, "{}", page.body);
    assert!(
        page.text().contains("not an administrator"),
        "{}",
        page.text()
    );

    // With the role, the same sign-in opens the console.
    make_admin(&app, &sub).await;
    let page = open(&browser, "/admin").await;
    assert!(page.is_login() || page.status == 200, "{}", page.body);
    let page = if page.is_login() {
        let mut p = browser.log_in(&page, "alice", PASSWORD).await;
        while p.location.is_some() {
            p = browser.follow(&p).await;
        }
        p
    } else {
        page
    };
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.text().contains("active session"), "{}", page.text());
    assert_eq!(page.headers["x-frame-options"], "DENY");
    assert!(
        page.headers["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("script-src 'none'")
    );

    // A form without the browser's CSRF token does nothing.
    let forged = browser
        .post(
            "/admin/clients",
            &[("kind", "service"), ("client_id", "forged")],
        )
        .await;
    assert_eq!(forged.status, 403, "{}", forged.body);
    assert!(
        app.provider
            .store()
            .get_client("forged")
            .await
            .unwrap()
            .is_none()
    );

    // Each browser signs in to the console on its own (the cookie's binding to its session is
    // `console::tests`'); one without cookies is sent to sign in.
    let other = Browser::new(&app);
    let login = open(&other, "/admin").await;
    let mut signed_in = other.log_in(&login, "alice", PASSWORD).await;
    while signed_in.location.is_some() {
        signed_in = other.follow(&signed_in).await;
    }
    assert_eq!(
        signed_in.status, 200,
        "a second browser signs in to the console on its own"
    );
    let stranger = Browser::new(&app);
    let page = stranger.get(&app.url("/admin/audit")).await;
    assert_eq!(page.status, 303);

    // Ending the session (an operator, the admin API, a logout) ends the console too.
    app.provider
        .store()
        .delete_sessions(&sub, None)
        .await
        .unwrap();
    let page = browser.get(&app.url("/admin/clients")).await;
    assert_eq!(page.status, 303, "{}", page.body);
}

#[tokio::test]
async fn an_operator_registers_a_client_in_chromium_uses_its_secret_and_reads_the_audit_log() {
    if chromium_missing() {
        return;
    }
    let app = spawn_app().await;
    let sub = alice(&app).await;
    make_admin(&app, &sub).await;
    // Bob signs in somewhere first: the operator will end that session.
    let bob = bob(&app).await;
    let bobs_browser = Browser::new(&app);
    let login = open(&bobs_browser, "/admin").await;
    bobs_browser.log_in(&login, "bob", PASSWORD).await;
    assert_eq!(
        app.provider
            .store()
            .list_sessions(&bob, 0)
            .await
            .unwrap()
            .len(),
        1
    );
    let shots = format!("{}/target/screenshots/console", env!("CARGO_MANIFEST_DIR"));
    let input = serde_json::json!({
        "base": app.base, "username": "alice", "password": PASSWORD,
        "client_id": "made-in-console", "person": "bob", "new_password": "bob's new passphrase",
        "screenshot_dir": shots,
    });
    let result = crate::helpers::node("console.mjs", input).await;
    assert!(
        result["dashboard"]
            .as_str()
            .unwrap()
            .contains("active session")
    );
    // The secret read off the page works at once.
    let secret = sesame_core::secret::Secret::new(result["client_secret"].as_str().unwrap());
    assert_eq!(
        app.client_credentials("made-in-console", &secret)
            .await
            .status,
        200
    );
    let client = app
        .provider
        .store()
        .get_client("made-in-console")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        client.metadata.client_name.as_deref(),
        Some("Renamed in the console")
    );
    assert_eq!(client.metadata.scope.to_string(), "api:read api:write");
    assert_eq!(result["client"], "Renamed in the console");
    // And the audit log shows who made it.
    let audit = result["audit"].as_str().unwrap();
    assert!(audit.contains("client.created"), "{audit}");
    assert!(audit.contains(&format!("user:{sub}")), "{audit}");

    // Bob's session is gone, and he signs in with the password the operator set.
    assert!(
        app.provider
            .store()
            .list_sessions(&bob, 0)
            .await
            .unwrap()
            .is_empty()
    );
    let latest = result["sessions"].as_str().unwrap();
    for action in [
        "session.revoked",
        "user.password_set",
        "user.updated",
        "connection.saved",
        "keys.rotated",
    ] {
        assert!(latest.contains(action), "{action}: {latest}");
    }
    let person = app.provider.store().get_user(&bob).await.unwrap().unwrap();
    assert_eq!(person.claims.name.as_deref(), Some("Bob Builder"));
    assert!(result["connections"].as_str().unwrap().contains("Corp SSO"));
    let (corp, _) = app
        .provider
        .store()
        .get_connection("corp")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(corp.client_id, "sesame-at-corp");
    assert!(result["keys"].as_str().unwrap().contains("retired"));
    let fresh = Browser::new(&app);
    let login = open(&fresh, "/admin").await;
    let old = fresh.log_in(&login, "bob", PASSWORD).await;
    assert!(old.is_login(), "the old password no longer works");
    let login = open(&fresh, "/admin").await;
    let mut page = fresh.log_in(&login, "bob", "bob's new passphrase").await;
    while page.location.is_some() {
        page = fresh.follow(&page).await;
    }
    assert!(
        page.text().contains("not an administrator"),
        "signed in: {}",
        page.text()
    );
}

/// A browser signed in to the console as alice, an administrator; alice's sub.
async fn console_browser(app: &TestApp) -> (Browser, String) {
    let sub = alice(app).await;
    make_admin(app, &sub).await;
    let browser = Browser::new(app);
    let login = open(&browser, "/admin").await;
    let mut page = browser.log_in(&login, "alice", PASSWORD).await;
    while page.location.is_some() {
        page = browser.follow(&page).await;
    }
    assert_eq!(page.status, 200, "{}", page.body);
    (browser, sub)
}

/// Posts a form of the console page at `path`, with that page's CSRF token.
async fn submit(
    browser: &Browser,
    page: &str,
    action: &str,
    form: &[(&str, &str)],
) -> crate::interaction::Page {
    let csrf = browser.get(page).await.field("csrf_token").expect("a form");
    let mut fields = vec![("csrf_token", csrf.as_str())];
    fields.extend_from_slice(form);
    browser.post(action, &fields).await
}

#[tokio::test]
async fn an_operator_edits_a_client_and_two_edits_from_one_read_do_not_overwrite() {
    let app = spawn_app().await;
    let (browser, _) = console_browser(&app).await;
    let store = app.provider.store();

    // A refused registration keeps what was typed.
    let refused = submit(
        &browser,
        "/admin/clients",
        "/admin/clients",
        &[
            ("kind", ""),
            ("client_name", "Keep me"),
            ("client_id", "svc"),
        ],
    )
    .await;
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert_eq!(refused.field("client_name").as_deref(), Some("Keep me"));
    let made = submit(
        &browser,
        "/admin/clients",
        "/admin/clients",
        &[
            ("kind", "service"),
            ("client_id", "svc"),
            ("scope", "api:read"),
        ],
    )
    .await;
    assert_eq!(made.status, 201, "{}", made.body);
    // The secret page carries its copy script, allowed by hash and by nothing else.
    let csp = made.headers["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("script-src 'sha256-"), "{csp}");
    assert!(made.body.contains("data-copy=\"client-secret\""));

    let page = browser.get("/admin/clients/svc").await;
    assert_eq!(page.status, 200, "{}", page.body);
    let read = page.field("version").unwrap();
    let edit = |version: &str, name: &str, grant: &str| {
        [
            ("version", version.to_owned()),
            ("client_name", name.to_owned()),
            ("grant_types", grant.to_owned()),
            ("token_endpoint_auth_method", "client_secret_basic".into()),
            ("scope", "api:read api:write".into()),
            ("access_token_format", "opaque".into()),
        ]
    };
    let pairs = |e: &[(&'static str, String)]| -> Vec<(&'static str, String)> { e.to_vec() };
    let send = async |fields: Vec<(&'static str, String)>| {
        let form: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        submit(&browser, "/admin/clients/svc", "/admin/clients/svc", &form).await
    };
    let saved = send(pairs(&edit(&read, "Renamed", "client_credentials"))).await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    let client = store.get_client("svc").await.unwrap().unwrap();
    assert_eq!(client.metadata.client_name.as_deref(), Some("Renamed"));
    assert_eq!(client.metadata.scope.to_string(), "api:read api:write");
    assert_eq!(
        client.metadata.access_token_format,
        sesame_core::client::AccessTokenFormat::Opaque
    );
    assert!(client.secret_hash.is_some(), "the secret is kept");

    // A second edit from the same read is refused, and the page shows the client as it is now.
    let stale = send(pairs(&edit(&read, "Overwrite", "client_credentials"))).await;
    assert_eq!(stale.status, 409, "{}", stale.body);
    assert!(
        stale.text().contains("changed since it was read"),
        "{}",
        stale.text()
    );
    assert_eq!(stale.field("client_name").as_deref(), Some("Renamed"));
    let client = store.get_client("svc").await.unwrap().unwrap();
    assert_eq!(client.metadata.client_name.as_deref(), Some("Renamed"));

    // A rule broken: refused with the rule, and what was typed is still in the form.
    let now = stale.field("version").unwrap();
    let broken = send(pairs(&edit(&now, "Typed", "authorization_code"))).await;
    assert_eq!(broken.status, 422, "{}", broken.body);
    assert_eq!(broken.field("client_name").as_deref(), Some("Typed"));
    assert!(broken.text().contains("redirect URI"), "{}", broken.text());
    let unknown = send(pairs(&edit(&now, "Typed", "magic"))).await;
    assert_eq!(unknown.status, 422, "{}", unknown.body);

    // The console's own client is Sesame's: no rotation, no deletion, from here or anywhere.
    let own = submit(
        &browser,
        "/admin/clients",
        "/admin/clients/sesame-console/secret",
        &[],
    )
    .await;
    assert_eq!(own.status, 409, "{}", own.body);
    assert!(
        own.text().contains("one of Sesame's own clients"),
        "{}",
        own.text()
    );
    let own = submit(
        &browser,
        "/admin/clients",
        "/admin/clients/sesame-console/delete",
        &[("confirm", "sesame-console")],
    )
    .await;
    assert_eq!(own.status, 409, "{}", own.body);
    assert!(store.get_client("sesame-console").await.unwrap().is_some());

    // Deleting asks for the id typed again.
    let unconfirmed = submit(
        &browser,
        "/admin/clients/svc",
        "/admin/clients/svc/delete",
        &[],
    )
    .await;
    assert_eq!(unconfirmed.status, 422, "{}", unconfirmed.body);
    assert!(store.get_client("svc").await.unwrap().is_some());
    let gone = submit(
        &browser,
        "/admin/clients/svc",
        "/admin/clients/svc/delete",
        &[("confirm", "svc")],
    )
    .await;
    assert_eq!(gone.status, 303, "{}", gone.body);
    assert!(store.get_client("svc").await.unwrap().is_none());
    assert_eq!(browser.get("/admin/clients/svc").await.status, 404);
}

#[tokio::test]
async fn an_operator_edits_claims_connections_and_keys_and_the_dashboard_counts() {
    let app = spawn_app().await;
    let (browser, alice_sub) = console_browser(&app).await;
    let store = app.provider.store();

    let created = submit(
        &browser,
        "/admin/users",
        "/admin/users",
        &[("username", "bob"), ("email", "bob@example.com")],
    )
    .await;
    assert_eq!(created.status, 303, "{}", created.body);
    let bob_page = created.location.unwrap();
    let bob_path = &bob_page[app.base.len()..];
    let bob = store.get_user_by_username("bob").await.unwrap().unwrap();
    let version = browser.get(bob_path).await.field("version").unwrap();
    let profile = |name: &str, username: &str| {
        vec![
            ("version", version.clone()),
            ("username", username.to_owned()),
            ("name", name.to_owned()),
            ("email", "bob@example.com".to_owned()),
            ("email_verified", "yes".to_owned()),
            ("locale", "en-GB".to_owned()),
        ]
    };
    let send = async |path: &str, fields: Vec<(&str, String)>| {
        let form: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        submit(&browser, path, path, &form).await
    };
    let refused = send(bob_path, profile("Bob Builder", "")).await;
    assert_eq!(refused.status, 422, "{}", refused.body);
    assert!(
        refused.body.contains("value=\"Bob Builder\""),
        "typed claims are kept"
    );
    let saved = send(bob_path, profile("Bob Builder", "bob")).await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    let stored = store.get_user(&bob.id).await.unwrap().unwrap();
    assert_eq!(stored.claims.name.as_deref(), Some("Bob Builder"));
    assert_eq!(stored.claims.email_verified, Some(true));
    assert_eq!(stored.claims.locale.as_deref(), Some("en-GB"));
    let stale = send(bob_path, profile("Someone else", "bob")).await;
    assert_eq!(stale.status, 409, "{}", stale.body);
    // An administrator cannot take the admin role from themselves here.
    let alice_path = format!("/admin/users/{alice_sub}");
    let demoted = send(
        &alice_path,
        vec![
            (
                "version",
                browser.get(&alice_path).await.field("version").unwrap(),
            ),
            ("username", "alice".into()),
        ],
    )
    .await;
    assert_eq!(demoted.status, 422, "{}", demoted.body);
    let alice = store.get_user(&alice_sub).await.unwrap().unwrap();
    assert!(alice.has_role(Role::Admin));

    // Connections: added with a secret, changed keeping it, deleted when its id is typed.
    let corp = |name: &str, secret: &str, version: Option<&str>| {
        let mut f = vec![
            ("id", "corp".to_owned()),
            ("kind", "oidc".to_owned()),
            ("display_name", name.to_owned()),
            ("issuer", "https://corp.example".to_owned()),
            ("client_id", "sesame".to_owned()),
            ("client_secret", secret.to_owned()),
            ("scopes", "openid email".to_owned()),
        ];
        if let Some(version) = version {
            f.push(("editing", "yes".to_owned()));
            f.push(("version", version.to_owned()));
        }
        f
    };
    let no_secret = send("/admin/connections", corp("Corp", "", None)).await;
    assert_eq!(no_secret.status, 422, "{}", no_secret.body);
    assert_eq!(no_secret.field("display_name").as_deref(), Some("Corp"));
    let added = send("/admin/connections", corp("Corp", "upstream-s3cret", None)).await;
    assert_eq!(added.status, 303, "{}", added.body);
    let (_, sealed) = store.get_connection("corp").await.unwrap().unwrap();
    let edit_page = browser.get("/admin/connections/corp").await;
    assert_eq!(edit_page.status, 200);
    assert!(
        !edit_page.body.contains("upstream-s3cret"),
        "a saved secret is never shown"
    );
    // The add form never replaces one that exists.
    let again = send("/admin/connections", corp("Corp", "other", None)).await;
    assert_eq!(again.status, 409, "{}", again.body);
    let version = edit_page.field("version").unwrap();
    let renamed = send("/admin/connections", corp("Corp SSO", "", Some(&version))).await;
    assert_eq!(renamed.status, 303, "{}", renamed.body);
    let (connection, kept) = store.get_connection("corp").await.unwrap().unwrap();
    assert_eq!(connection.display_name, "Corp SSO");
    assert_eq!(kept, sealed, "an empty secret keeps the saved one");
    // A stale form is refused; and a kept secret never goes to a new place.
    let stale = send("/admin/connections", corp("Old", "", Some(&version))).await;
    assert_eq!(stale.status, 409, "{}", stale.body);
    let version = browser
        .get("/admin/connections/corp")
        .await
        .field("version")
        .unwrap();
    let mut elsewhere = corp("Corp SSO", "", Some(&version));
    elsewhere[3].1 = "https://attacker.example".into();
    let moved = send("/admin/connections", elsewhere).await;
    assert_eq!(moved.status, 422, "{}", moved.body);
    assert!(moved.text().contains("type it again"), "{}", moved.text());
    let unconfirmed = submit(
        &browser,
        "/admin/connections",
        "/admin/connections/corp/delete",
        &[],
    )
    .await;
    assert_eq!(unconfirmed.status, 422);
    let deleted = submit(
        &browser,
        "/admin/connections",
        "/admin/connections/corp/delete",
        &[("confirm", "corp")],
    )
    .await;
    assert_eq!(deleted.status, 303, "{}", deleted.body);
    assert!(store.get_connection("corp").await.unwrap().is_none());

    // Keys: rotated now, audited as alice.
    let before = store.list_signing_keys().await.unwrap().len();
    let keys = browser.get("/admin/keys").await;
    assert!(keys.text().contains("active"), "{}", keys.text());
    let rotated = submit(&browser, "/admin/keys", "/admin/keys/rotate", &[]).await;
    assert_eq!(rotated.status, 303, "{}", rotated.body);
    assert!(store.list_signing_keys().await.unwrap().len() > before);

    // The dashboard counts what is there, and the tokens this node issued.
    let format = sesame_core::client::AccessTokenFormat::Jwt;
    let secret = app.service_client("counted", format).await;
    assert_eq!(app.client_credentials("counted", &secret).await.status, 200);
    let dashboard = browser.get("/admin").await.text();
    let count =
        |n: u64, what: &str| format!("<p class=\"count\">{n}</p><p class=\"detail\">{what}");
    let users = format!("<a href=\"{}\">users", app.url("/admin/users"));
    let clients = format!("<a href=\"{}\">clients", app.url("/admin/clients"));
    assert!(dashboard.contains(&count(2, &users)), "{dashboard}");
    assert!(
        dashboard.contains(&count(3, &clients)),
        "Sesame's own two, and counted"
    );
    assert!(
        dashboard.contains(&count(1, "active session")),
        "{dashboard}"
    );
    assert!(
        dashboard.contains(&count(1, "tokens issued")),
        "{dashboard}"
    );
    // The audit log names people beside their subject.
    let audit = browser.get("/admin/audit?action=keys").await;
    assert!(
        audit.text().contains(&format!(
            "<td>alice <a href=\"{}?actor=user%3A{alice_sub}\"><code class=\"detail\">user:{alice_sub}</code></a></td>",
            app.url("/admin/audit")
        )),
        "{}",
        audit.text()
    );
}

async fn bob(app: &TestApp) -> String {
    use sesame_core::user::{StandardClaims, User};
    let mut user = User::new("bob", StandardClaims::default(), 1).unwrap();
    user.password_hash = Some(sesame_core::password::hash_password(PASSWORD).unwrap());
    assert!(app.provider.store().insert_user(&user).await.unwrap());
    user.id
}

#[tokio::test]
async fn an_operator_removes_a_lost_authenticator_from_the_console() {
    let app = spawn_app().await;
    let (browser, _) = console_browser(&app).await;
    let bob = bob(&app).await;
    crate::mfa::enrol(&app, &bob).await;
    let path = format!("/admin/users/{bob}");
    let page = browser.get(&path).await;
    assert!(page.text().contains("Phone") && page.text().contains("10 recovery codes left"));
    let id = app.provider.store().list_factors(&bob).await.unwrap()[0]
        .id
        .clone();
    let removed = submit(&browser, &path, &format!("{path}/factors/{id}/remove"), &[]).await;
    assert_eq!(removed.status, 303, "{}", removed.body);
    assert!(
        app.provider
            .store()
            .list_factors(&bob)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        browser
            .get(&path)
            .await
            .text()
            .contains("a password alone signs this user in")
    );
}
