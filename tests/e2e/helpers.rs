//! A freshly started server per test, with its own SQLite database in a temp directory.

use reqwest::header::HeaderMap;
use serde_json::Value;
use sesame::{Application, Config};
use sesame_core::Provider;
use sesame_core::client::{AccessTokenFormat, AuthMethod, Client, ClientMetadata, GrantType};
use sesame_core::clock::{Clock, SystemClock};
use sesame_core::scope::Scopes;
use sesame_core::secret::Secret;
use std::sync::Arc;

pub struct TestApp {
    pub base: String,
    /// Where it listens (the issuer may be an https URL a proxy would serve).
    pub addr: std::net::SocketAddr,
    /// The `metrics_listen` address, when the test configured one.
    pub metrics_addr: Option<std::net::SocketAddr>,
    pub http: reqwest::Client,
    pub provider: Arc<Provider>,
    pub database_url: String,
    _dir: tempfile::TempDir,
}

/// A response as the tests look at it.
pub struct Reply {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: String,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }

    /// Asserts an RFC 6749 §5.2 error with this status, code, and description (`says` is part
    /// of it), so an error answered for another reason fails the test.
    #[track_caller]
    pub fn assert_error(&self, status: u16, error: &str, says: &str) {
        assert_eq!(self.status, status, "body: {}", self.body);
        let json = self.json();
        assert_eq!(json["error"], error, "body: {}", self.body);
        let description = json["error_description"].as_str().unwrap_or_default();
        assert!(description.contains(says), "body: {}", self.body);
        assert_eq!(self.headers["cache-control"], "no-store");
        if status == 401 {
            let challenge = self.headers["www-authenticate"].to_str().unwrap();
            assert!(challenge.starts_with("Basic "), "{challenge}");
        }
    }
}

/// Whether a test's tool or server is missing: says why it skipped, or fails under
/// `SESAME_TEST_REQUIRE_ALL=1` (set by `.ci/run`, so nothing is silently skipped in CI).
pub fn missing(what: Option<&str>) -> bool {
    match what {
        Some(reason) => {
            sesame_core::testing::skip_or_fail(reason);
            true
        }
        None => false,
    }
}

/// Why the browser tests cannot run here, if they cannot: they need Node's playwright-core
/// (`npm ci --prefix tests/node`) and Debian's Chromium (or `SESAME_TEST_CHROMIUM`).
pub fn chromium_missing() -> bool {
    let chromium = std::env::var("SESAME_TEST_CHROMIUM").unwrap_or("/usr/bin/chromium".into());
    let driver = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/node/node_modules/playwright-core"
    );
    missing(if !std::path::Path::new(&chromium).exists() {
        Some(
            "Chromium is not installed (apt-get install chromium, or set SESAME_TEST_CHROMIUM), so the browser test did not run",
        )
    } else if !std::path::Path::new(driver).exists() {
        Some(
            "playwright-core is not installed (npm ci --prefix tests/node), so the browser test did not run",
        )
    } else {
        None
    })
}

/// A node whose metrics have a listener of their own (`metrics_listen`), read with
/// [`TestApp::scrape`].
pub async fn spawn_app_with_metrics() -> TestApp {
    spawn_app_with(|c| c.metrics_listen = Some(([127, 0, 0, 1], 0).into())).await
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

pub async fn spawn_app_with(customize: impl FnOnce(&mut Config)) -> TestApp {
    let dir = tempfile::tempdir().expect("temp dir");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = listener.local_addr().unwrap().port();
    let mut config = Config {
        issuer: format!("http://127.0.0.1:{port}"),
        listen: listener.local_addr().unwrap(),
        database_url: format!("sqlite://{}/sesame.db", dir.path().display()),
        key_reload_interval: 1,
        client_cache_ttl: 1,
        ..Config::default()
    };
    customize(&mut config);
    config.validate().expect("test config is valid");
    let app = Application::build_on(&config, listener)
        .await
        .expect("app builds");
    let provider = app.provider().clone();
    let metrics_addr = app.metrics_addr();
    tokio::spawn(app.run_until_stopped(std::future::pending()));
    TestApp {
        base: config.issuer.clone(),
        addr: config.listen,
        metrics_addr,
        http: reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap(),
        provider,
        database_url: config.database_url,
        _dir: dir,
    }
}

impl TestApp {
    /// `GET /metrics` on the metrics listener (see [`spawn_app_with_metrics`]).
    pub async fn scrape(&self) -> Reply {
        let addr = self
            .metrics_addr
            .expect("the test configured metrics_listen");
        send(self.http.get(format!("http://{addr}/metrics"))).await
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// Registers a confidential client_credentials client and returns its secret.
    pub async fn service_client(&self, client_id: &str, format: AccessTokenFormat) -> Secret {
        self.client_with(client_id, AuthMethod::ClientSecretBasic, |m| {
            m.access_token_format = format
        })
        .await
        .expect("secret-based client has a secret")
    }

    /// Registers a client with `api:read api:write` and the client_credentials grant, changed by
    /// `customize`; returns its secret when the method uses one.
    pub async fn client_with(
        &self,
        client_id: &str,
        method: AuthMethod,
        customize: impl FnOnce(&mut ClientMetadata),
    ) -> Option<Secret> {
        let now = SystemClock.now();
        let secret = method.uses_secret().then(Secret::generate);
        let mut metadata = ClientMetadata {
            grant_types: vec![GrantType::ClientCredentials],
            token_endpoint_auth_method: method,
            scope: Scopes::parse("api:read api:write").unwrap(),
            ..Default::default()
        };
        let default_response_types = metadata.response_types.clone();
        customize(&mut metadata);
        // As in the configuration file: response types not set follow the grant types.
        if metadata.response_types == default_response_types {
            metadata.response_types = ClientMetadata::default_response_types(&metadata.grant_types);
        }
        let client = Client {
            client_id: client_id.to_owned(),
            secret_hash: secret.as_ref().map(Secret::hash),
            metadata,
            created_at: now,
            updated_at: now,
        };
        client.validate().expect("fixture client is valid");
        assert!(self.provider.store().insert_client(&client).await.unwrap());
        secret
    }

    /// POSTs a form with optional Basic credentials.
    pub async fn post_form(
        &self,
        path: &str,
        basic: Option<(&str, &Secret)>,
        form: &[(&str, &str)],
    ) -> Reply {
        let mut request = self
            .http
            .post(self.url(path))
            .header("content-type", "application/x-www-form-urlencoded");
        if let Some((id, secret)) = basic {
            request = request.basic_auth(id, Some(secret.expose()));
        }
        let body = serde_urlencoded(form);
        send(request.body(body)).await
    }

    /// GET /userinfo with this bearer token.
    pub async fn userinfo(&self, access_token: &str) -> reqwest::Response {
        self.http
            .get(self.url("/userinfo"))
            .bearer_auth(access_token)
            .send()
            .await
            .unwrap()
    }

    pub async fn get(&self, path: &str) -> Reply {
        send(self.http.get(self.url(path))).await
    }

    /// A client_credentials request by a Basic client, whatever the answer.
    pub async fn client_credentials(&self, client_id: &str, secret: &Secret) -> Reply {
        self.post_form(
            "/token",
            Some((client_id, secret)),
            &[("grant_type", "client_credentials")],
        )
        .await
    }

    /// The access token of a successful client_credentials request.
    pub async fn access_token(&self, client_id: &str, secret: &Secret) -> String {
        let token = self.token(client_id, secret, None).await;
        token["access_token"]
            .as_str()
            .expect("access_token")
            .to_owned()
    }

    /// A client_credentials token for a Basic client.
    pub async fn token(&self, client_id: &str, secret: &Secret, scope: Option<&str>) -> Value {
        let mut form = vec![("grant_type", "client_credentials")];
        if let Some(scope) = scope {
            form.push(("scope", scope));
        }
        let reply = self
            .post_form("/token", Some((client_id, secret)), &form)
            .await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        reply.json()
    }
}

pub async fn send(request: reqwest::RequestBuilder) -> Reply {
    let response = request.send().await.expect("request sent");
    Reply {
        status: response.status().as_u16(),
        headers: response.headers().clone(),
        body: response.text().await.expect("body"),
    }
}

/// Form encoding without pulling in another crate for the tests.
pub fn serde_urlencoded(pairs: &[(&str, &str)]) -> String {
    let mut out = form_urlencoded::Serializer::new(String::new());
    for (k, v) in pairs {
        out.append_pair(k, v);
    }
    out.finish()
}

/// The parts of a compact JWS, decoded.
pub fn jwt_parts(jwt: &str) -> (Value, Value) {
    use base64::Engine;
    let mut parts = jwt.split('.');
    let decode = |p: Option<&str>| -> Value {
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(p.expect("jwt part"))
            .expect("base64url");
        serde_json::from_slice(&bytes).expect("json")
    };
    (decode(parts.next()), decode(parts.next()))
}

pub async fn get_json(http: &reqwest::Client, url: &str) -> Value {
    let response = http.get(url).send().await.expect("request sent");
    response.json().await.expect("a JSON body")
}

/// The kids a node publishes at /jwks.
pub async fn jwks_kids(http: &reqwest::Client, base: &str) -> Vec<String> {
    let jwks = get_json(http, &format!("{base}/jwks")).await;
    jwks["keys"]
        .as_array()
        .expect("keys")
        .iter()
        .map(|k| k["kid"].as_str().expect("kid").to_owned())
        .collect()
}

/// Serves `document` as JSON on a free loopback port, as a client's site serves its JWK Set or
/// sector identifier document; returns its URL. `document` can be changed while it serves.
pub async fn serve_json_shared(document: Arc<std::sync::RwLock<Value>>) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/document.json", listener.local_addr().unwrap());
    let app = axum::Router::new().route(
        "/document.json",
        axum::routing::get(move || {
            let document = document.read().unwrap().clone();
            async move { axum::Json(document) }
        }),
    );
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    url
}

/// [`serve_json_shared`] of a document that does not change.
pub async fn serve_json(document: Value) -> String {
    serve_json_shared(Arc::new(std::sync::RwLock::new(document))).await
}

/// Runs `tests/node/{script}` with `input` as its JSON argument on a blocking thread (the
/// in-process server must keep serving meanwhile); its one line of JSON output. A failure
/// shows what the script said.
pub async fn node(script: &'static str, input: Value) -> Value {
    let output = tokio::task::spawn_blocking(move || {
        std::process::Command::new("node")
            .arg(format!(
                "{}/tests/node/{script}",
                env!("CARGO_MANIFEST_DIR")
            ))
            .arg(input.to_string())
            .output()
            .expect("node runs")
    })
    .await
    .unwrap();
    assert!(
        output.status.success(),
        "{script} failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("one JSON line")
}
