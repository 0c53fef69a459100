//! Users from the CLI and the config file: argon2id passwords, claims, disable, delete.

use crate::cli::{sesame, sesame_with_stdin};
use serde_json::Value;
use sesame_core::password::verify_password;
use sesame_store::PoolSettings;

fn err(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).trim().to_owned()
}

async fn stored_hash(db: &str, username: &str) -> Option<String> {
    let store = sesame_store::connect(db, &PoolSettings::default())
        .await
        .unwrap();
    store
        .get_user_by_username(username)
        .await
        .unwrap()
        .unwrap()
        .password_hash
}

#[tokio::test]
async fn users_managed_from_the_cli() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}/sesame.db", dir.path().display());
    let env = [("SESAME_DATABASE_URL", db.as_str())];

    let created = sesame_with_stdin(
        &[
            "user",
            "create",
            "alice",
            "--password-stdin",
            "--email",
            "alice@example.com",
            "--email-verified",
            "true",
            "--name",
            "Alice Liddell",
            "--json",
        ],
        &env,
        "a long enough password\n",
    );
    assert!(created.status.success(), "{}", err(&created));
    let alice: Value = serde_json::from_slice(&created.stdout).unwrap();
    assert!(alice["sub"].as_str().unwrap().starts_with("usr_"));
    assert_eq!(alice["email_verified"], true);
    assert_eq!(alice["has_password"], true);
    assert!(alice.get("password_hash").is_none());
    let hash = stored_hash(&db, "alice").await.unwrap();
    assert!(hash.starts_with("$argon2id$"), "stored hashed: {hash}");
    assert!(verify_password(&hash, "a long enough password"));

    let twin = sesame_with_stdin(&["user", "create", "alice"], &env, "");
    assert_eq!(err(&twin), "error: a user named alice already exists");
    let short = sesame_with_stdin(
        &["user", "create", "bob", "--password-stdin"],
        &env,
        "short\n",
    );
    assert!(
        err(&short).contains("at least 8 characters"),
        "{}",
        err(&short)
    );
    let no_stdin = sesame(&["user", "set-password", "alice"], &env);
    assert!(err(&no_stdin).contains("--password-stdin"));

    let changed = sesame_with_stdin(
        &["user", "set-password", "alice", "--password-stdin"],
        &env,
        "another long password\n",
    );
    assert!(changed.status.success(), "{}", err(&changed));
    let hash = stored_hash(&db, "alice").await.unwrap();
    assert!(verify_password(&hash, "another long password"));
    assert!(!verify_password(&hash, "a long enough password"));

    assert!(sesame(&["user", "disable", "alice"], &env).status.success());
    let shown: Value =
        serde_json::from_slice(&sesame(&["user", "show", "alice", "--json"], &env).stdout).unwrap();
    assert_eq!(shown["disabled"], true);
    assert_eq!(shown["sub"], alice["sub"], "the subject never changes");
    assert!(sesame(&["user", "enable", "alice"], &env).status.success());
    let listed = String::from_utf8_lossy(&sesame(&["user", "list"], &env).stdout).into_owned();
    assert!(
        listed.starts_with("USERNAME")
            && listed.contains("alice@example.com")
            && listed.contains("active"),
        "{listed}"
    );

    assert!(sesame(&["user", "delete", "alice"], &env).status.success());
    assert_eq!(
        err(&sesame(&["user", "show", "alice"], &env)),
        "error: no user named alice"
    );
}

#[tokio::test]
async fn declared_users_keep_their_subject_and_are_not_rehashed_on_restart() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}/sesame.db", dir.path().display());
    let config = dir.path().join("sesame.toml");
    let write = |name: &str| {
        std::fs::write(
            &config,
            format!("[[users]]\nusername = \"carol\"\npassword = \"carol's password\"\nname = \"{name}\"\nemail_verified = false\n"),
        )
        .unwrap()
    };
    write("Carol");
    let config = config.display().to_string();
    let env = [
        ("SESAME_DATABASE_URL", db.as_str()),
        ("SESAME_CONFIG", config.as_str()),
    ];
    assert!(
        crate::cli::Server::start(&db, &env[1..])
            .await
            .terminate()
            .0
    );
    let first: Value =
        serde_json::from_slice(&sesame(&["user", "show", "carol", "--json"], &env).stdout).unwrap();
    let hash = stored_hash(&db, "carol").await.unwrap();
    assert!(verify_password(&hash, "carol's password"));

    write("Carol Jones");
    assert!(
        crate::cli::Server::start(&db, &env[1..])
            .await
            .terminate()
            .0
    );
    let second: Value =
        serde_json::from_slice(&sesame(&["user", "show", "carol", "--json"], &env).stdout).unwrap();
    assert_eq!(second["name"], "Carol Jones");
    assert_eq!(second["sub"], first["sub"]);
    assert_eq!(
        stored_hash(&db, "carol").await.unwrap(),
        hash,
        "an unchanged password is not hashed again"
    );

    std::fs::write(
        dir.path().join("bad.toml"),
        "[[users]]\nusername = \"dave\"\nmail = \"d@example.com\"\n",
    )
    .unwrap();
    let bad = dir.path().join("bad.toml").display().to_string();
    let out = sesame(&["--config", &bad, "user", "list"], &env[..1]);
    assert!(
        err(&out).contains("user dave") && err(&out).contains("mail"),
        "{}",
        err(&out)
    );
}

/// Wrong passwords on the login page until the account is held back; returns the last page.
async fn lock_out(browser: &crate::interaction::Browser) -> crate::interaction::Page {
    let start = [
        ("client_id", "web"),
        ("redirect_uri", crate::interaction::REDIRECT),
        ("response_type", "code"),
        ("scope", "openid"),
    ];
    let mut page = browser.follow(&browser.authorize(&start).await).await;
    for _ in 0..6 {
        page = browser.log_in(&page, "alice", "not her password").await;
    }
    page
}

#[tokio::test]
async fn an_operator_unlocks_an_account_held_back_after_wrong_passwords() {
    use crate::interaction::{Browser, PASSWORD, alice, web_client};
    let app = crate::helpers::spawn_app().await;
    alice(&app).await;
    web_client(
        &app,
        "web",
        sesame_core::client::AuthMethod::ClientSecretBasic,
        |_| {},
    )
    .await;
    let env = [("SESAME_DATABASE_URL", app.database_url.as_str())];
    let browser = Browser::new(&app);
    let held = lock_out(&browser).await;
    assert!(held.text().contains("try again in"), "{}", held.body);

    let shown = crate::cli::sesame_async(&["user", "show", "alice"], &env).await;
    let shown = String::from_utf8_lossy(&shown.stdout).into_owned();
    assert!(
        shown.contains("locked") && shown.contains("sesame user unlock alice"),
        "{shown}"
    );
    let json = crate::cli::sesame_async(&["user", "show", "alice", "--json"], &env).await;
    let json: Value = serde_json::from_slice(&json.stdout).unwrap();
    assert!(json["locked_until"].is_i64(), "{json}");

    let unlocked = crate::cli::sesame_async(&["user", "unlock", "alice"], &env).await;
    assert_eq!(
        String::from_utf8_lossy(&unlocked.stdout).trim(),
        "alice is unlocked"
    );
    let json = crate::cli::sesame_async(&["user", "show", "alice", "--json"], &env).await;
    let json: Value = serde_json::from_slice(&json.stdout).unwrap();
    assert!(json["locked_until"].is_null(), "{json}");
    let signed_in = browser.log_in(&held, "alice", PASSWORD).await;
    assert_eq!(signed_in.status, 303, "{}", signed_in.body);

    // A password the operator sets clears the hold too (a new browser: this one is signed in).
    let browser = Browser::new(&app);
    let held = lock_out(&browser).await;
    assert!(held.text().contains("try again in"), "{}", held.body);
    let changed = tokio::task::spawn_blocking({
        let db = app.database_url.clone();
        move || {
            crate::cli::sesame_with_stdin(
                &["user", "set-password", "alice", "--password-stdin"],
                &[("SESAME_DATABASE_URL", &db)],
                "a brand new password\n",
            )
        }
    })
    .await
    .unwrap();
    assert!(changed.status.success(), "{}", err(&changed));
    let signed_in = browser.log_in(&held, "alice", "a brand new password").await;
    assert_eq!(signed_in.status, 303, "{}", signed_in.body);
}
