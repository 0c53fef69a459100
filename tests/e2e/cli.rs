//! The real `sesame` binary: admin commands, `serve` with SIGTERM, configuration errors, and
//! logs that never contain a secret or a token.

use serde_json::Value;
use std::io::Read;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// Runs `sesame` with a clean SESAME_* environment plus `env`, in a temp working directory.
pub fn sesame(args: &[&str], env: &[(&str, &str)]) -> Output {
    command(args, env).output().expect("sesame runs")
}

/// `sesame` with `input` on its standard input.
pub fn sesame_with_stdin(args: &[&str], env: &[(&str, &str)], input: &str) -> Output {
    use std::io::Write;
    let mut child = command(args, env)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("sesame runs");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input.as_bytes())
        .expect("write stdin");
    child.wait_with_output().expect("sesame ends")
}

/// `sesame` from an async test with a server running in the same runtime: the wait happens on
/// a blocking thread, so the server keeps serving (and committing) meanwhile. Waiting inline would
/// freeze the server mid-transaction and leave the CLI facing a locked SQLite database.
pub async fn sesame_async(args: &[&str], env: &[(&str, &str)]) -> Output {
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    let env: Vec<(String, String)> = env
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        sesame(&args, &env)
    })
    .await
    .expect("sesame ran")
}

fn command(args: &[&str], env: &[(&str, &str)]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_sesame"));
    cmd.args(args).current_dir(std::env::temp_dir());
    for (k, _) in std::env::vars() {
        if k.starts_with("SESAME_") {
            cmd.env_remove(k);
        }
    }
    cmd.env_remove("RUST_LOG");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd
}

/// `sesame client create` of an opaque-token client_credentials client with scope api:read;
/// returns the printed JSON (with the one-time secret).
pub fn create_opaque_client(env: &[(&str, &str)], client_id: &str, extra: &[&str]) -> Value {
    let mut args = vec![
        "client",
        "create",
        "--client-id",
        client_id,
        "--grant-type",
        "client_credentials",
        "--scope",
        "api:read",
        "--access-token-format",
        "opaque",
        "--json",
    ];
    args.extend_from_slice(extra);
    let created = sesame(&args, env);
    assert!(created.status.success(), "{}", stderr(&created));
    serde_json::from_slice(&created.stdout).unwrap()
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

pub struct Server {
    child: Child,
    pub base: String,
}

/// A server left running by a failing test is killed, not leaked.
impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Server {
    pub async fn start(db: &str, extra: &[(&str, &str)]) -> Server {
        let port = free_port();
        let base = format!("http://127.0.0.1:{port}");
        let listen = format!("127.0.0.1:{port}");
        let mut env = vec![
            ("SESAME_DATABASE_URL", db),
            ("SESAME_LISTEN", listen.as_str()),
            ("SESAME_ISSUER", base.as_str()),
        ];
        env.extend_from_slice(extra);
        Self::spawn(&["serve"], port, &env).await
    }

    /// `sesame <args>` listening on `port` (which `env` must say), once it answers.
    pub async fn spawn(args: &[&str], port: u16, env: &[(&str, &str)]) -> Server {
        let base = format!("http://127.0.0.1:{port}");
        let child = command(args, env)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("serve starts");
        let http = reqwest::Client::new();
        let deadline = Instant::now() + Duration::from_secs(30);
        while http.get(format!("{base}/healthz")).send().await.is_err() {
            assert!(Instant::now() < deadline, "server did not come up");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Server { child, base }
    }

    /// Standard output up to and including the first line containing `marker`.
    pub async fn stdout_until(&mut self, marker: &str) -> String {
        use std::io::BufRead;
        let stdout = self.child.stdout.take().expect("stdout is piped");
        let marker = marker.to_owned();
        let (text, stdout) = tokio::task::spawn_blocking(move || {
            let mut reader = std::io::BufReader::new(stdout);
            let mut text = String::new();
            loop {
                let mut line = String::new();
                if reader.read_line(&mut line).unwrap() == 0 {
                    break;
                }
                text.push_str(&line);
                if line.contains(&marker) {
                    break;
                }
            }
            (text, reader.into_inner())
        })
        .await
        .unwrap();
        self.child.stdout = Some(stdout);
        text
    }

    /// Sends SIGTERM and returns (exit success, stderr).
    pub fn terminate(mut self) -> (bool, String) {
        let pid = self.child.id().to_string();
        assert!(
            Command::new("kill")
                .args(["-TERM", &pid])
                .status()
                .unwrap()
                .success()
        );
        let status = self.child.wait().unwrap();
        let mut err = String::new();
        self.child
            .stderr
            .take()
            .unwrap()
            .read_to_string(&mut err)
            .unwrap();
        (status.success(), err)
    }
}

async fn token(base: &str, id: &str, secret: &str) -> reqwest::Response {
    reqwest::Client::new()
        .post(format!("{base}/token"))
        .basic_auth(id, Some(secret))
        .form(&[("grant_type", "client_credentials")])
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn clients_managed_from_the_cli_work_against_the_server() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}/sesame.db", dir.path().display());
    let env = [("SESAME_DATABASE_URL", db.as_str())];

    let json = create_opaque_client(&env, "cli-svc", &["--client-name", "CLI service"]);
    let secret = json["client_secret"].as_str().unwrap().to_owned();
    assert_eq!(secret.len(), 43, "256-bit generated secret");
    assert_eq!(json["token_endpoint_auth_method"], "client_secret_basic");

    let again = sesame(
        &[
            "client",
            "create",
            "--client-id",
            "cli-svc",
            "--grant-type",
            "client_credentials",
        ],
        &env,
    );
    assert!(!again.status.success());
    assert_eq!(
        stderr(&again).trim(),
        "error: a client with client_id cli-svc already exists"
    );

    let listed = sesame(&["client", "list"], &env);
    let text = String::from_utf8_lossy(&listed.stdout);
    assert!(
        text.starts_with("CLIENT_ID") && text.contains("cli-svc") && text.contains("CLI service"),
        "{text}"
    );
    let shown = sesame(&["client", "show", "cli-svc", "--json"], &env);
    let shown: Value = serde_json::from_slice(&shown.stdout).unwrap();
    assert!(
        shown.get("client_secret").is_none(),
        "the secret is shown once only"
    );
    assert_eq!(shown["scope"], "api:read");

    let updated = sesame(
        &[
            "client",
            "update",
            "cli-svc",
            "--scope",
            "api:read api:write",
            "--json",
        ],
        &env,
    );
    assert!(updated.status.success(), "{}", stderr(&updated));
    assert_eq!(
        serde_json::from_slice::<Value>(&updated.stdout).unwrap()["scope"],
        "api:read api:write"
    );

    let server = Server::start(&db, &[("SESAME_CLIENT_CACHE_TTL", "0")]).await;
    let ok = token(&server.base, "cli-svc", &secret).await;
    assert_eq!(ok.status(), 200);
    let body: Value = ok.json().await.unwrap();
    assert!(body["access_token"].as_str().unwrap().starts_with("sat_"));
    assert_eq!(body["scope"], "api:read api:write");

    let rotated = sesame(&["client", "rotate-secret", "cli-svc", "--json"], &env);
    let new_secret = serde_json::from_slice::<Value>(&rotated.stdout).unwrap()["client_secret"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_ne!(new_secret, secret);
    assert_eq!(token(&server.base, "cli-svc", &secret).await.status(), 401);
    assert_eq!(
        token(&server.base, "cli-svc", &new_secret).await.status(),
        200
    );

    assert!(
        sesame(&["client", "delete", "cli-svc"], &env)
            .status
            .success()
    );
    assert_eq!(
        token(&server.base, "cli-svc", &new_secret).await.status(),
        401
    );
    let missing = sesame(&["client", "show", "cli-svc"], &env);
    assert!(!missing.status.success());
    assert_eq!(
        stderr(&missing).trim(),
        "error: no client with client_id cli-svc"
    );

    let (clean_exit, _) = server.terminate();
    assert!(clean_exit, "SIGTERM stops the server with success");
}

#[tokio::test]
async fn declared_clients_are_upserted_and_logs_never_carry_secrets_or_tokens() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}/sesame.db", dir.path().display());
    let secret = "a-hand-set-secret-that-is-long-enough-0123456789";
    let config = dir.path().join("sesame.toml");
    std::fs::write(
        &config,
        format!(
            r#"
log_format = "json"
log_level = "debug"

[[clients]]
client_id = "declared"
client_secret = "{secret}"
client_name = "Declared in the file"
grant_types = ["client_credentials"]
scope = "api:read"
"#
        ),
    )
    .unwrap();
    let config = config.display().to_string();
    let server = Server::start(&db, &[("SESAME_CONFIG", &config)]).await;
    let ok = token(&server.base, "declared", secret).await;
    assert_eq!(ok.status(), 200);
    let access_token = ok.json::<Value>().await.unwrap()["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        token(&server.base, "declared", "wrong-secret")
            .await
            .status(),
        401
    );
    // Introspection sends the token in the body: it must not be logged either.
    reqwest::Client::new()
        .post(format!("{}/introspect", server.base))
        .basic_auth("declared", Some(secret))
        .form(&[("token", access_token.as_str())])
        .send()
        .await
        .unwrap();

    let (clean_exit, logs) = server.terminate();
    assert!(clean_exit);
    assert!(!logs.is_empty());
    for line in logs.lines() {
        serde_json::from_str::<Value>(line)
            .unwrap_or_else(|e| panic!("not a JSON log line ({e}): {line}"));
    }
    assert!(!logs.contains(secret), "a client secret reached the log");
    assert!(
        !logs.contains("wrong-secret"),
        "a presented secret reached the log"
    );
    assert!(
        !logs.contains(&access_token),
        "an access token reached the log"
    );
    assert!(
        logs.contains("invalid_client"),
        "refusals are logged with their code"
    );
    // One access line per request: method, path without the query, status, time, client.
    let access: Vec<Value> = logs
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .filter(|l| l["message"] == "request")
        .collect();
    let introspection = access
        .iter()
        .find(|l| l["path"] == "/introspect")
        .unwrap_or_else(|| panic!("no access line for /introspect: {logs}"));
    assert_eq!(introspection["method"], "POST");
    assert_eq!(introspection["status"], 200);
    assert!(introspection["ms"].is_number());
    assert_eq!(
        introspection["span"]["client_id"], "declared",
        "{introspection}"
    );
}

#[test]
fn configuration_errors_name_the_key_and_exit_non_zero() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}/sesame.db", dir.path().display());
    let cases: [(&[(&str, &str)], &str); 4] = [
        (&[("SESAME_ACCESS_TOKEN_TTL", "5")], "access_token_ttl"),
        (&[("SESAME_ISSUER", "ftp://id.example")], "issuer"),
        (&[("SESAME_ISSUER", "http://id.example.com")], "https"),
        (&[("SESAME_LISTNE", "0.0.0.0:1")], "listne"),
    ];
    for (env, needle) in cases {
        let mut env = env.to_vec();
        env.push(("SESAME_DATABASE_URL", &db));
        let out = sesame(&["migrate"], &env);
        assert_eq!(out.status.code(), Some(1), "{env:?}");
        let err = stderr(&out);
        assert!(
            err.starts_with("error: ") && err.contains(needle),
            "{env:?}: {err}"
        );
        assert_eq!(
            err.trim().lines().count(),
            1,
            "one line, no backtrace: {err}"
        );
    }

    let config = dir.path().join("bad.toml");
    std::fs::write(&config, "[[clients]]\nclient_id = \"x\"\nclient_secret = \"short\"\ngrant_types = [\"client_credentials\"]\n").unwrap();
    let out = sesame(
        &["--config", &config.display().to_string(), "migrate"],
        &[("SESAME_DATABASE_URL", &db)],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("client_secret"), "{}", stderr(&out));

    let out = sesame(&["--config", "/nonexistent/sesame.toml", "migrate"], &[]);
    assert!(stderr(&out).contains("does not exist"), "{}", stderr(&out));

    let ok = sesame(&["migrate"], &[("SESAME_DATABASE_URL", &db)]);
    assert!(ok.status.success(), "{}", stderr(&ok));
}

#[test]
fn configuration_errors_say_where_what_and_what_was_meant() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}/sesame.db", dir.path().display());
    let file = dir.path().join("sesame.toml");
    type Case<'a> = (&'a str, &'a [(&'a str, &'a str)], &'a str);
    let cases: [Case; 6] = [
        (
            "issuerr = \"https://id.example\"\n",
            &[],
            "unknown key issuerr (did you mean issuer?)",
        ),
        (
            "access_token_ttl = \"long\"\n",
            &[],
            "key access_token_ttl: expected a whole number, found the string \"long\"",
        ),
        (
            "[[clients]]\nclient_id = \"a\"\nredirect_uri = []\n",
            &[],
            "key clients[0]: client a: unknown key redirect_uri (did you mean redirect_uris?)",
        ),
        (
            "",
            &[("SESAME_ACCESS_TOKEN_TTL", "abc")],
            "environment variable SESAME_ACCESS_TOKEN_TTL: expected a whole number",
        ),
        (
            "",
            &[("SESAME_LOG_LEVEL", "loud")],
            "log_level: \"loud\" is not a level",
        ),
        (
            "log_format = \"xml\"\n",
            &[],
            "key log_format: \"xml\" is not one of text, json",
        ),
    ];
    for (toml, env, says) in cases {
        std::fs::write(&file, toml).unwrap();
        let mut env = env.to_vec();
        env.push(("SESAME_DATABASE_URL", &db));
        let config = file.display().to_string();
        let out = sesame(&["--config", &config, "migrate"], &env);
        assert_eq!(out.status.code(), Some(1), "{toml} {env:?}");
        let err = stderr(&out);
        assert!(
            err.contains(says),
            "{toml} {env:?}\n  got: {err}\n  want: {says}"
        );
        assert!(!err.contains("default.") && !err.contains('`'), "{err}");
    }
}

#[test]
fn a_sqlite_database_in_a_missing_folder_gets_the_folder_or_says_why_not() {
    let dir = tempfile::tempdir().unwrap();
    let nested = dir.path().join("data/sesame.db");
    let url = format!("sqlite://{}", nested.display());
    let out = sesame(&["migrate"], &[("SESAME_DATABASE_URL", &url)]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(nested.exists());

    // A folder that cannot be made: a file stands where it would go.
    std::fs::write(dir.path().join("blocked"), "").unwrap();
    let url = format!("sqlite://{}/blocked/sesame.db", dir.path().display());
    let out = sesame(&["migrate"], &[("SESAME_DATABASE_URL", &url)]);
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    assert!(
        err.contains(&format!(
            "cannot open the SQLite database {}/blocked/sesame.db",
            dir.path().display()
        )),
        "{err}"
    );
}

#[test]
fn a_list_into_a_closed_pipe_ends_quietly() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}/sesame.db", dir.path().display());
    assert!(
        sesame(&["migrate"], &[("SESAME_DATABASE_URL", &db)])
            .status
            .success()
    );
    // `sesame keys list --json | head -0`: the reader is gone before anything is written.
    let mut child = command(&["keys", "list", "--json"], &[("SESAME_DATABASE_URL", &db)])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(stderr(&out), "", "no panic message");
    // Listing is only listing: no keys appear as a side effect.
    let listed = sesame(&["keys", "list", "--json"], &[("SESAME_DATABASE_URL", &db)]);
    assert_eq!(String::from_utf8_lossy(&listed.stdout).trim(), "[]");
}

#[test]
fn the_cli_refuses_clients_that_could_never_work() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}/sesame.db", dir.path().display());
    let env = [("SESAME_DATABASE_URL", db.as_str())];
    let create = |extra: &[&str]| {
        let mut args = vec!["client", "create", "--json"];
        args.extend_from_slice(extra);
        sesame(&args, &env)
    };
    let cases: [(&[&str], &str); 4] = [
        (
            &["--grant-type", "authorization_code"],
            "redirect_uris: the authorization_code grant needs at least one redirect URI",
        ),
        (
            &["--grant-type", "implicit", "--response-type", "id_token"],
            "redirect_uris: the implicit grant needs at least one redirect URI",
        ),
        (
            &["--redirect-uri", "https://*.app.example/cb"],
            "has a wildcard, but redirect URIs match exactly",
        ),
        (
            &[
                "--grant-type",
                "client_credentials",
                "--response-type",
                "code",
            ],
            "response_types: code needs the authorization_code grant",
        ),
    ];
    for (extra, says) in cases {
        let out = create(extra);
        assert_eq!(out.status.code(), Some(1), "{extra:?}");
        assert!(stderr(&out).contains(says), "{extra:?}: {}", stderr(&out));
    }
    let service = create(&["--client-id", "svc", "--grant-type", "client_credentials"]);
    assert!(service.status.success(), "{}", stderr(&service));
    let shown: Value = serde_json::from_slice(&service.stdout).unwrap();
    assert_eq!(shown["response_types"], serde_json::json!([]), "{shown}");
    let poster = create(&[
        "--client-id",
        "hub",
        "--redirect-uri",
        "https://hub.example/oauth_callback",
        "--token-endpoint-auth-method",
        "client_secret_post",
    ]);
    assert!(poster.status.success(), "{}", stderr(&poster));
    let shown: Value = serde_json::from_slice(&poster.stdout).unwrap();
    assert_eq!(shown["token_endpoint_auth_method"], "client_secret_post");
    assert_eq!(shown["response_types"], serde_json::json!(["code"]));
}

#[test]
fn user_create_says_when_there_is_no_password_and_refuses_a_bad_email() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}/sesame.db", dir.path().display());
    let env = [("SESAME_DATABASE_URL", db.as_str())];
    let bad = sesame(&["user", "create", "bob", "--email", "not-an-email"], &env);
    assert_eq!(bad.status.code(), Some(1));
    assert!(
        stderr(&bad).contains("email: \"not-an-email\" is not an email address"),
        "{}",
        stderr(&bad)
    );
    let bare = sesame(&["user", "create", "bob"], &env);
    assert!(bare.status.success(), "{}", stderr(&bare));
    assert!(
        stderr(&bare).contains("bob has no password") && stderr(&bare).contains("set-password bob"),
        "{}",
        stderr(&bare)
    );
}

#[test]
fn help_lists_the_environment_and_admin_output_is_scriptable() {
    let help = sesame(&["serve", "--help"], &[]);
    let text = String::from_utf8_lossy(&help.stdout);
    for expected in [
        "SESAME_LISTEN",
        "SESAME_ISSUER",
        "SESAME_DATABASE_URL",
        "--demo",
        "--database-url",
    ] {
        assert!(text.contains(expected), "{expected} in:\n{text}");
    }

    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}/sesame.db", dir.path().display());
    let config = dir.path().join("sesame.toml");
    std::fs::write(
        &config,
        "[[clients]]\nclient_id = \"declared\"\nclient_secret = \"a-declared-secret-of-32-characters\"\ngrant_types = [\"client_credentials\"]\n",
    )
    .unwrap();
    let env = [
        ("SESAME_DATABASE_URL", db.as_str()),
        ("SESAME_CONFIG", config.to_str().unwrap()),
    ];
    assert!(sesame(&["migrate"], &env).status.success());
    let listed: Value =
        serde_json::from_slice(&sesame(&["client", "list", "--json"], &env).stdout).unwrap();
    assert_eq!(
        listed[0]["client_id"], "declared",
        "declared clients exist after migrate: {listed}"
    );

    let rotated = sesame(&["keys", "rotate", "--json"], &env);
    assert!(rotated.status.success(), "{}", stderr(&rotated));
    let rotated: Value = serde_json::from_slice(&rotated.stdout).unwrap();
    assert_eq!(rotated["signing"].as_array().unwrap().len(), 4, "{rotated}");
    assert!(rotated["previous_keys_published_for"].as_i64().unwrap() > 3600);
}

#[tokio::test]
async fn an_admin_client_made_at_the_shell_drives_the_admin_api_and_the_shell_reads_the_trail() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}/sesame.db", dir.path().display());
    let env = [("SESAME_DATABASE_URL", db.as_str())];
    let made = sesame(
        &[
            "client",
            "create",
            "--client-id",
            "ops",
            "--admin",
            "--json",
        ],
        &env,
    );
    assert!(made.status.success(), "{}", stderr(&made));
    let json: Value = serde_json::from_slice(&made.stdout).unwrap();
    assert_eq!(json["admin"], true);
    assert_eq!(
        json["grant_types"],
        serde_json::json!(["client_credentials"])
    );
    assert_eq!(json["scope"], "sesame:admin");
    let secret = json["client_secret"].as_str().unwrap().to_owned();
    let refused = sesame(
        &[
            "client",
            "create",
            "--client-id",
            "web",
            "--scope",
            "openid sesame:admin",
            "--grant-type",
            "client_credentials",
        ],
        &env,
    );
    assert_eq!(
        stderr(&refused).trim(),
        "error: scope: sesame:admin is only for admin clients (admin = true)"
    );

    let operator = sesame(
        &["user", "create", "olive", "--role", "admin", "--json"],
        &env,
    );
    assert!(operator.status.success(), "{}", stderr(&operator));
    let olive: Value = serde_json::from_slice(&operator.stdout).unwrap();
    assert_eq!(olive["roles"], serde_json::json!(["admin"]));
    let unknown = sesame(&["user", "create", "oscar", "--role", "root"], &env);
    assert!(
        stderr(&unknown).contains("\"root\" is not a role (admin)"),
        "{}",
        stderr(&unknown)
    );

    let server = Server::start(&db, &[]).await;
    let issued: Value = token(&server.base, "ops", &secret)
        .await
        .json()
        .await
        .unwrap();
    let access = issued["access_token"].as_str().unwrap();
    let http = reqwest::Client::new();
    let created = http
        .post(format!("{}/admin/v1/users", server.base))
        .bearer_auth(access)
        .json(&serde_json::json!({"username": "grace", "email": "grace@example.com"}))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), 201);
    // A refused token request just before a graceful stop is in the trail after it.
    let refused = token(&server.base, "ops", "not-the-secret").await;
    assert_eq!(refused.status(), 401);
    let (stopped, _) = server.terminate();
    assert!(stopped);

    let trail = sesame(
        &["audit", "list", "--action", "token.refused", "--json"],
        &env,
    );
    let events: Value = serde_json::from_slice(&trail.stdout).unwrap();
    assert_eq!(events[0]["details"]["error"], "invalid_client", "{events}");
    let trail = sesame(&["audit", "list", "--action", "user"], &env);
    let text = String::from_utf8_lossy(&trail.stdout);
    assert!(
        text.starts_with("SEQ") && text.contains("user.created") && text.contains("client:ops"),
        "{text}"
    );
    let mine = sesame(
        &[
            "audit", "list", "--actor", "operator", "--action", "client", "--json",
        ],
        &env,
    );
    let events: Value = serde_json::from_slice(&mine.stdout).unwrap();
    assert_eq!(events[0]["action"], "client.created");
    assert_eq!(events[0]["target"], "client:ops");
    assert!(!String::from_utf8_lossy(&mine.stdout).contains(&secret));
    let none = sesame(&["audit", "list", "--action", "nothing"], &env);
    assert_eq!(stderr(&none).trim(), "no events match");
    let bad = sesame(&["audit", "list", "--limit", "0"], &env);
    assert!(!bad.status.success());
}

#[test]
fn user_mfa_enrols_an_authenticator_once_lists_and_removes_it() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}/sesame.db", dir.path().display());
    let env = [("SESAME_DATABASE_URL", db.as_str())];
    assert!(sesame(&["user", "create", "bob"], &env).status.success());
    let enrolled = sesame(&["user", "mfa", "enrol-totp", "bob", "--json"], &env);
    assert!(enrolled.status.success(), "{}", stderr(&enrolled));
    let shown: Value = serde_json::from_slice(&enrolled.stdout).unwrap();
    let uri = shown["otpauth_uri"].as_str().unwrap();
    assert!(
        uri.starts_with("otpauth://totp/127.0.0.1%3Abob?secret="),
        "{uri}"
    );
    assert_eq!(shown["recovery_codes"].as_array().unwrap().len(), 10);
    let id = shown["id"].as_str().unwrap().to_owned();
    // A second one: its codes are not made again (the first's still stand).
    let second = sesame(
        &[
            "user",
            "mfa",
            "enrol-totp",
            "bob",
            "--name",
            "Tablet",
            "--json",
        ],
        &env,
    );
    let second: Value = serde_json::from_slice(&second.stdout).unwrap();
    assert_eq!(second["recovery_codes"], Value::Null);

    let listed = sesame(&["user", "mfa", "list", "bob", "--json"], &env);
    let listed: Value = serde_json::from_slice(&listed.stdout).unwrap();
    assert_eq!(listed["factors"].as_array().unwrap().len(), 2);
    assert_eq!(listed["recovery_codes_left"], 10);
    assert!(
        !listed
            .to_string()
            .contains(shown["secret"].as_str().unwrap()),
        "no secret listed"
    );
    let table = sesame(&["user", "mfa", "list", "bob"], &env);
    let text = String::from_utf8_lossy(&table.stdout);
    assert!(
        text.contains("Tablet") && text.contains("10 recovery codes left"),
        "{text}"
    );

    let removed = sesame(&["user", "mfa", "remove", "bob", &id], &env);
    assert!(removed.status.success(), "{}", stderr(&removed));
    let missing = sesame(&["user", "mfa", "remove", "bob", &id], &env);
    assert_eq!(missing.status.code(), Some(1));
    assert!(
        stderr(&missing).contains(&format!("bob has no factor {id}")),
        "{}",
        stderr(&missing)
    );
    let nobody = sesame(&["user", "mfa", "list", "nobody"], &env);
    assert!(
        stderr(&nobody).contains("no user named nobody"),
        "{}",
        stderr(&nobody)
    );
}
