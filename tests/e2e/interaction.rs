//! A browser as the sign-in tests need it: a cookie jar, no automatic redirects, and the form
//! fields of Sesame's pages read from the HTML; plus fixtures for users and web clients.

use crate::helpers::TestApp;
use sesame_core::client::{AuthMethod, ClientMetadata, GrantType};
use sesame_core::scope::Scopes;
use sesame_core::secret::Secret;
use sesame_core::user::{StandardClaims, User};
use url::Url;

pub const PASSWORD: &str = "correct horse battery staple";
pub const REDIRECT: &str = "https://app.example/cb";

/// A user `alice` with a password, an email and a name; returns her `sub`.
pub async fn alice(app: &TestApp) -> String {
    let claims = StandardClaims {
        name: Some("Alice Liddell".into()),
        email: Some("alice@example.com".into()),
        email_verified: Some(true),
        ..Default::default()
    };
    let mut user = User::new("alice", claims, 1).unwrap();
    user.password_hash = Some(sesame_core::password::hash_password(PASSWORD).unwrap());
    assert!(app.provider.store().insert_user(&user).await.unwrap());
    user.id
}

/// A web client for the code flow with refresh tokens; confidential unless `method` is `None`.
pub async fn web_client(
    app: &TestApp,
    client_id: &str,
    method: AuthMethod,
    customize: impl FnOnce(&mut ClientMetadata),
) -> Option<Secret> {
    app.client_with(client_id, method, |m| {
        m.client_name = Some(format!("The {client_id} app"));
        m.grant_types = vec![GrantType::AuthorizationCode, GrantType::RefreshToken];
        m.response_types = vec!["code".into()];
        m.redirect_uris = vec![REDIRECT.into()];
        m.post_logout_redirect_uris = vec!["https://app.example/bye".into()];
        m.scope = Scopes::parse("openid profile email offline_access api:read").unwrap();
        customize(m);
    })
    .await
}

pub struct Browser {
    pub http: reqwest::Client,
    pub base: String,
}

/// What a step of the interaction answered.
pub struct Page {
    pub status: u16,
    pub location: Option<String>,
    pub headers: reqwest::header::HeaderMap,
    pub body: String,
}

impl Page {
    /// The value of a hidden or prefilled form field.
    pub fn field(&self, name: &str) -> Option<String> {
        let marker = format!("name=\"{name}\" value=\"");
        let start = self.body.find(&marker)? + marker.len();
        let end = self.body[start..].find('"')? + start;
        Some(unescape(&self.body[start..end]))
    }

    /// The page with HTML character references decoded (the templates escape `/` too).
    pub fn text(&self) -> String {
        unescape(&self.body)
    }

    pub fn is_login(&self) -> bool {
        self.body.contains("name=\"password\"")
    }

    pub fn is_consent(&self) -> bool {
        self.body.contains("name=\"decision\" value=\"allow\"")
    }

    /// The parameters the client receives (query or fragment of the redirect).
    pub fn callback(&self) -> Vec<(String, String)> {
        let location = self
            .location
            .as_deref()
            .unwrap_or_else(|| panic!("no redirect: {} {}", self.status, self.body));
        let url = Url::parse(location).unwrap();
        let raw = url
            .fragment()
            .map(str::to_owned)
            .or(url.query().map(str::to_owned))
            .unwrap_or_default();
        form_urlencoded::parse(raw.as_bytes())
            .into_owned()
            .collect()
    }

    pub fn param(&self, name: &str) -> Option<String> {
        self.callback()
            .into_iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v)
    }
}

impl Browser {
    pub fn new(app: &TestApp) -> Self {
        Self::at(&app.base)
    }

    /// A browser for the Sesame at `base` (a server started some other way).
    pub fn at(base: &str) -> Self {
        Self {
            http: reqwest::Client::builder()
                .cookie_store(true)
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            base: base.to_owned(),
        }
    }

    async fn page(response: reqwest::Response) -> Page {
        Page {
            status: response.status().as_u16(),
            location: response
                .headers()
                .get("location")
                .map(|v| v.to_str().unwrap().to_owned()),
            headers: response.headers().clone(),
            body: response.text().await.unwrap(),
        }
    }

    /// GETs a URL (absolute, or a path on Sesame).
    pub async fn get(&self, url: &str) -> Page {
        let url = if url.starts_with('/') {
            format!("{}{url}", self.base)
        } else {
            url.to_owned()
        };
        Self::page(self.http.get(url).send().await.unwrap()).await
    }

    /// GETs a path on Sesame as a browser navigating to it (`Accept: text/html`).
    pub async fn get_html(&self, path: &str) -> Page {
        let request = self
            .http
            .get(format!("{}{path}", self.base))
            .header("accept", "text/html,application/xhtml+xml,*/*;q=0.8");
        Self::page(request.send().await.unwrap()).await
    }

    pub async fn post(&self, path: &str, form: &[(&str, &str)]) -> Page {
        let body = crate::helpers::serde_urlencoded(form);
        let response = self
            .http
            .post(format!("{}{path}", self.base))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .unwrap();
        Self::page(response).await
    }

    /// `/authorize` with these parameters.
    pub async fn authorize(&self, params: &[(&str, &str)]) -> Page {
        let query = crate::helpers::serde_urlencoded(params);
        self.get(&format!("/authorize?{query}")).await
    }

    /// Follows a redirect to one of Sesame's pages.
    pub async fn follow(&self, page: &Page) -> Page {
        let location = page
            .location
            .as_deref()
            .unwrap_or_else(|| panic!("expected a redirect, got {} {}", page.status, page.body));
        self.get(location).await
    }

    /// Submits the login form shown on `login`.
    pub async fn log_in(&self, login: &Page, username: &str, password: &str) -> Page {
        assert!(
            login.is_login(),
            "not the login page: {} {}",
            login.status,
            login.body
        );
        let id = login.field("id").unwrap();
        let csrf = login.field("csrf_token").unwrap();
        self.post(
            "/login",
            &[
                ("id", &id),
                ("csrf_token", &csrf),
                ("username", username),
                ("password", password),
            ],
        )
        .await
    }

    /// Answers the consent form shown on `consent`.
    pub async fn consent(&self, consent: &Page, decision: &str) -> Page {
        assert!(
            consent.is_consent(),
            "not the consent page: {} {}",
            consent.status,
            consent.body
        );
        let id = consent.field("id").unwrap();
        let csrf = consent.field("csrf_token").unwrap();
        self.post(
            "/consent",
            &[("id", &id), ("csrf_token", &csrf), ("decision", decision)],
        )
        .await
    }

    /// From an authorization request to the client's redirect: logs in as alice when asked,
    /// allows when asked. Returns the final redirect to the client.
    pub async fn sign_in(&self, start: &str) -> Page {
        let mut page = self.get(start).await;
        for _ in 0..4 {
            let Some(location) = page.location.clone() else {
                panic!("stuck at {} {}", page.status, page.body);
            };
            if !location.starts_with(&self.base) && !location.starts_with('/') {
                return page;
            }
            let shown = self.get(&location).await;
            page = if shown.is_login() {
                self.log_in(&shown, "alice", PASSWORD).await
            } else if shown.is_consent() {
                self.consent(&shown, "allow").await
            } else {
                shown
            };
        }
        panic!("too many steps");
    }
}

/// Signs alice in at the confidential (client_secret_post) `client_id` with the code flow and
/// redeems the code; returns the token response.
pub async fn code_flow_tokens(
    app: &TestApp,
    client_id: &str,
    secret: &str,
    scope: &str,
) -> serde_json::Value {
    let client = (client_id, secret, REDIRECT);
    Browser::new(app)
        .code_tokens(app, client, &[("scope", scope), ("nonce", "n-7")])
        .await
}

impl Browser {
    /// The code flow in this browser at the client_secret_post client `(client_id, secret,
    /// redirect_uri)`, with `params` beside those: signs alice in when asked, consents when
    /// asked, redeems the code; returns the token response.
    pub async fn code_tokens(
        &self,
        app: &TestApp,
        (client_id, secret, redirect_uri): (&str, &str, &str),
        params: &[(&str, &str)],
    ) -> serde_json::Value {
        let mut all = vec![
            ("client_id", client_id),
            ("response_type", "code"),
            ("redirect_uri", redirect_uri),
        ];
        all.extend_from_slice(params);
        let query = crate::helpers::serde_urlencoded(&all);
        let code = self
            .sign_in(&format!("{}/authorize?{query}", app.base))
            .await
            .param("code")
            .unwrap();
        let reply = app
            .post_form(
                "/token",
                None,
                &[
                    ("grant_type", "authorization_code"),
                    ("code", &code),
                    ("redirect_uri", redirect_uri),
                    ("client_id", client_id),
                    ("client_secret", secret),
                ],
            )
            .await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        reply.json()
    }
}

/// A random PKCE verifier and its S256 challenge.
pub fn pkce_pair() -> (String, String) {
    use base64::Engine;
    let verifier = sesame_core::secret::random_token(32);
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, verifier.as_bytes());
    let challenge = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest.as_ref());
    (verifier, challenge)
}

fn unescape(s: &str) -> String {
    s.replace("&#x2f;", "/")
        .replace("&quot;", "\"")
        .replace("&#x27;", "'")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&amp;", "&")
}
