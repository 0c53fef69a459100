//! The admin console: who gets in (an OpenID Connect sign-in to Sesame itself, then the admin
//! role), and an operator's first tasks in Chromium with a screenshot of every page.

use crate::helpers::{TestApp, chromium_missing, spawn_app};
use crate::interaction::{Browser, PASSWORD, alice};
use serde_json::Value;
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
    assert!(page.text().contains("registered client"), "{}", page.text());
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
    let output = tokio::task::spawn_blocking(move || {
        std::process::Command::new("node")
            .arg(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/tests/node/console.mjs"
            ))
            .arg(input.to_string())
            .output()
            .expect("node runs")
    })
    .await
    .unwrap();
    assert!(
        output.status.success(),
        "console flow failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let result: Value = serde_json::from_slice(&output.stdout).unwrap();
    assert!(
        result["dashboard"]
            .as_str()
            .unwrap()
            .contains("registered client")
    );
    // The secret read off the page works at once.
    let secret = sesame_core::secret::Secret::new(result["client_secret"].as_str().unwrap());
    assert_eq!(
        app.client_credentials("made-in-console", &secret)
            .await
            .status,
        200
    );
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
    assert!(
        latest.contains("session.revoked") && latest.contains("user.password_set"),
        "{latest}"
    );
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

async fn bob(app: &TestApp) -> String {
    use sesame_core::user::{StandardClaims, User};
    let mut user = User::new("bob", StandardClaims::default(), 1).unwrap();
    user.password_hash = Some(sesame_core::password::hash_password(PASSWORD).unwrap());
    assert!(app.provider.store().insert_user(&user).await.unwrap());
    user.id
}
