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
