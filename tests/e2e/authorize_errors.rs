//! Every error of the authorization endpoint and the pages, with its exact code: what must not
//! redirect (unknown client, unregistered redirect URI) shows a 400 page; the rest goes back to
//! the client with `state` and `iss` in the requested response mode.

use crate::helpers::spawn_app;
use crate::interaction::{Browser, PASSWORD, REDIRECT, alice, web_client};
use sesame_core::client::{AuthMethod, GrantType};

const CODE: [(&str, &str); 3] = [
    ("client_id", "web"),
    ("response_type", "code"),
    ("redirect_uri", REDIRECT),
];

fn with<'a>(extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut v: Vec<(&str, &str)> = CODE.to_vec();
    for (k, val) in extra {
        v.retain(|(key, _)| key != k);
        if !val.is_empty() {
            v.push((k, val));
        }
    }
    v
}

#[tokio::test]
async fn untrusted_client_or_redirect_uri_gets_a_page_never_a_redirect() {
    let app = spawn_app().await;
    web_client(&app, "web", AuthMethod::ClientSecretBasic, |_| {}).await;
    let browser = Browser::new(&app);
    for params in [
        with(&[("client_id", "nobody"), ("scope", "openid")]),
        with(&[
            ("redirect_uri", "https://evil.example/cb"),
            ("scope", "openid"),
        ]),
        with(&[("redirect_uri", ""), ("scope", "openid")]),
        with(&[
            ("redirect_uri", "https://app.example/cb/extra"),
            ("scope", "openid"),
        ]),
        with(&[("client_id", "")]),
    ] {
        let page = browser.authorize(&params).await;
        assert_eq!(page.status, 400, "{params:?}: {}", page.body);
        assert!(page.location.is_none(), "{params:?} must not redirect");
        assert_eq!(page.headers["x-frame-options"], "DENY");
        assert!(page.body.contains("invalid_request"));
    }
    // A repeated parameter cannot be trusted either.
    let page = browser
        .get(&format!(
            "/authorize?client_id=web&client_id=web&redirect_uri={REDIRECT}&response_type=code"
        ))
        .await;
    assert_eq!(page.status, 400);
}

#[tokio::test]
async fn other_errors_go_back_with_state_and_iss() {
    let app = spawn_app().await;
    web_client(&app, "web", AuthMethod::ClientSecretBasic, |m| {
        m.grant_types.push(GrantType::Implicit);
        m.response_types.push("id_token".into());
    })
    .await;
    web_client(&app, "spa", AuthMethod::None, |_| {}).await;
    let browser = Browser::new(&app);
    let challenge = "a".repeat(43);
    // Each row: the request, its error, and words of the description that say why.
    type Row<'a> = (Vec<(&'a str, &'a str)>, &'a str, &'a str);
    let cases: Vec<Row> = vec![
        (
            with(&[("response_type", "token"), ("scope", "openid")]),
            "unsupported_response_type",
            "this response_type is not supported",
        ),
        (
            with(&[("response_type", ""), ("scope", "openid")]),
            "invalid_request",
            "response_type is required",
        ),
        (
            with(&[
                ("response_type", "code id_token"),
                ("scope", "openid"),
                ("nonce", "n"),
            ]),
            "unauthorized_client",
            "not registered for response_type=code id_token",
        ),
        (
            with(&[("scope", "openid admin")]),
            "invalid_scope",
            "the client may not request the scope admin",
        ),
        (with(&[]), "invalid_scope", "scope is required"),
        (
            with(&[("scope", "openid"), ("prompt", "none login")]),
            "invalid_request",
            "prompt=none cannot be combined",
        ),
        (
            with(&[("scope", "openid"), ("prompt", "none")]),
            "login_required",
            "the user must sign in",
        ),
        (
            with(&[("scope", "openid"), ("max_age", "soon")]),
            "invalid_request",
            "max_age must be a number of seconds",
        ),
        (
            with(&[("scope", "openid"), ("claims", "not json")]),
            "invalid_request",
            "claims: not a JSON object",
        ),
        (
            with(&[
                ("scope", "openid"),
                ("claims", r#"{"id_token":{"email":{"essential":"yes"}}}"#),
            ]),
            "invalid_request",
            "claims: essential must be true or false",
        ),
        (
            with(&[
                ("scope", "openid"),
                ("claims", r#"{"id_token":{"sub":{"value":"a"}}}"#),
                ("id_token_hint", "x"),
            ]),
            "invalid_request",
            "id_token_hint is not an ID token",
        ),
        (
            with(&[
                ("scope", "openid"),
                (
                    "claims",
                    r#"{"id_token":{"acr":{"essential":true,"values":["urn:example:gold"]}}}"#,
                ),
            ]),
            "unmet_authentication_requirements",
            "an essential acr was requested with values this server does not assert",
        ),
        (
            with(&[("scope", "openid"), ("display", "fullscreen")]),
            "invalid_request",
            "display must be one of page, popup, touch, wap",
        ),
        (
            with(&[("scope", "openid"), ("ui_locales", "en_GB")]),
            "invalid_request",
            "ui_locales: en_GB is not a BCP 47 language tag",
        ),
        (
            with(&[("scope", "openid"), ("request", "eyJ...")]),
            "request_not_supported",
            "request objects are not supported",
        ),
        (
            with(&[("scope", "openid"), ("request_uri", "https://x")]),
            "request_uri_not_supported",
            "request_uri is not supported",
        ),
        (
            with(&[("scope", "openid"), ("response_mode", "jwt")]),
            "invalid_request",
            "response_mode is not supported",
        ),
        (
            with(&[("scope", "openid"), ("code_challenge", &challenge)]),
            "invalid_request",
            "code_challenge_method must be S256",
        ),
        (
            with(&[
                ("scope", "openid"),
                ("code_challenge", &challenge),
                ("code_challenge_method", "plain"),
            ]),
            "invalid_request",
            "code_challenge_method must be S256",
        ),
        (
            with(&[("client_id", "spa"), ("scope", "openid")]),
            "invalid_request",
            "public clients must use PKCE",
        ),
    ];
    for (mut params, error, says) in cases {
        params.push(("state", "xyz"));
        let page = browser.authorize(&params).await;
        assert_eq!(page.status, 303, "{params:?}: {}", page.body);
        assert!(
            page.location.as_deref().unwrap().starts_with(REDIRECT),
            "{params:?}"
        );
        assert_eq!(page.param("error").as_deref(), Some(error), "{params:?}");
        let description = page.param("error_description").unwrap_or_default();
        assert!(description.contains(says), "{params:?}: {description}");
        assert_eq!(page.param("state").as_deref(), Some("xyz"));
        assert_eq!(page.param("iss").as_deref(), Some(app.base.as_str()));
    }
    // Implicit: the nonce is required, and the error travels in the fragment.
    let page = browser
        .authorize(&with(&[
            ("response_type", "id_token"),
            ("scope", "openid"),
            ("state", "f"),
        ]))
        .await;
    let location = page.location.clone().unwrap();
    assert!(location.starts_with(&format!("{REDIRECT}#")), "{location}");
    assert_eq!(page.param("error").as_deref(), Some("invalid_request"));
    assert!(page.param("error_description").unwrap().contains("nonce"));
    // query mode cannot carry tokens.
    let page = browser
        .authorize(&with(&[
            ("response_type", "id_token"),
            ("scope", "openid"),
            ("nonce", "n"),
            ("response_mode", "query"),
        ]))
        .await;
    assert_eq!(page.param("error").as_deref(), Some("invalid_request"));
}

#[tokio::test]
async fn forms_without_the_csrf_token_are_refused_and_sign_no_one_in() {
    let app = spawn_app().await;
    alice(&app).await;
    web_client(&app, "web", AuthMethod::ClientSecretBasic, |_| {}).await;
    let browser = Browser::new(&app);
    let login = browser
        .follow(&browser.authorize(&with(&[("scope", "openid")])).await)
        .await;
    assert!(login.is_login());
    for h in [
        "x-frame-options",
        "content-security-policy",
        "referrer-policy",
        "cache-control",
    ] {
        assert!(login.headers.contains_key(h), "{h}");
    }
    assert!(
        login.headers["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("frame-ancestors 'none'")
    );
    let id = login.field("id").unwrap();
    for csrf in [None, Some("forged")] {
        let mut form = vec![
            ("id", id.as_str()),
            ("username", "alice"),
            ("password", PASSWORD),
        ];
        if let Some(c) = csrf {
            form.push(("csrf_token", c));
        }
        let refused = browser.post("/login", &form).await;
        assert_eq!(refused.status, 403, "{}", refused.body);
        assert!(!refused.headers.contains_key("set-cookie"), "no session");
    }
    // A real login reaches consent; the consent form needs the token too.
    let consent = browser
        .follow(&browser.log_in(&login, "alice", PASSWORD).await)
        .await;
    assert!(consent.is_consent());
    assert!(consent.body.contains("Know who you are"), "scopes in words");
    let refused = browser
        .post(
            "/consent",
            &[("id", &consent.field("id").unwrap()), ("decision", "allow")],
        )
        .await;
    assert_eq!(refused.status, 403);
    // Deny goes back as access_denied.
    let denied = browser.consent(&consent, "deny").await;
    assert_eq!(denied.param("error").as_deref(), Some("access_denied"));
    // The pending request is spent: the same form cannot be answered twice.
    let again = browser.consent(&consent, "allow").await;
    assert_eq!(again.status, 400, "{}", again.body);
}

#[tokio::test]
async fn another_browser_cannot_continue_a_pending_request() {
    let app = spawn_app().await;
    alice(&app).await;
    web_client(&app, "web", AuthMethod::ClientSecretBasic, |_| {}).await;
    let victim = Browser::new(&app);
    let start = victim.authorize(&with(&[("scope", "openid")])).await;
    let attacker = Browser::new(&app);
    let page = attacker.follow(&start).await;
    assert_eq!(page.status, 400);
    assert!(page.body.contains("another browser"));
}

#[tokio::test]
async fn repeated_failures_lock_the_account_with_a_clear_message() {
    let app = spawn_app().await;
    alice(&app).await;
    web_client(&app, "web", AuthMethod::ClientSecretBasic, |_| {}).await;
    let browser = Browser::new(&app);
    let login = browser
        .follow(&browser.authorize(&with(&[("scope", "openid")])).await)
        .await;
    for attempt in 1..=5 {
        let page = browser.log_in(&login, "alice", "wrong password").await;
        let expected = if attempt < 5 { 401 } else { 429 };
        assert_eq!(page.status, expected, "attempt {attempt}");
        assert!(page.is_login());
    }
    let locked = browser.log_in(&login, "alice", PASSWORD).await;
    assert_eq!(locked.status, 429, "even the right password waits");
    assert!(locked.body.contains("locked"), "{}", locked.body);
    // An unknown user gets the same answer as a wrong password.
    let unknown = browser.log_in(&login, "mallory", "whatever").await;
    assert_eq!(unknown.status, 401);
    assert!(unknown.body.contains("username or password is not correct"));
}

#[tokio::test]
async fn form_post_answers_with_a_self_submitting_form_and_a_strict_policy() {
    let app = spawn_app().await;
    alice(&app).await;
    web_client(&app, "web", AuthMethod::ClientSecretBasic, |m| {
        m.grant_types.push(GrantType::Implicit);
        m.response_types = vec!["id_token".into()];
        m.skip_consent = true;
    })
    .await;
    let browser = Browser::new(&app);
    let params = with(&[
        ("response_type", "id_token"),
        ("scope", "openid email"),
        ("nonce", "n-0S6_WzA2Mj"),
        ("state", "af0ifjsldkj"),
        ("response_mode", "form_post"),
    ]);
    let login = browser.follow(&browser.authorize(&params).await).await;
    let page = browser.log_in(&login, "alice", PASSWORD).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.text().contains(&format!("action=\"{REDIRECT}\"")));
    assert_eq!(page.field("state").as_deref(), Some("af0ifjsldkj"));
    assert_eq!(page.field("iss").as_deref(), Some(app.base.as_str()));
    let csp = page.headers["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("script-src 'sha256-"), "{csp}");
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    let (_, claims) = crate::helpers::jwt_parts(&page.field("id_token").unwrap());
    assert_eq!(claims["nonce"], "n-0S6_WzA2Mj");
    assert_eq!(
        claims["email"], "alice@example.com",
        "id_token only: scope claims in the ID token"
    );
    assert!(claims.get("at_hash").is_none());
}

#[tokio::test]
async fn claims_beyond_the_consented_scope_need_consent_again() {
    let app = spawn_app().await;
    alice(&app).await;
    web_client(&app, "web", AuthMethod::ClientSecretBasic, |_| {}).await;
    let browser = Browser::new(&app);
    // Consent to openid only.
    let first = browser
        .sign_in(&format!(
            "{}/authorize?{}",
            app.base,
            crate::helpers::serde_urlencoded(&with(&[("scope", "openid")]))
        ))
        .await;
    assert!(first.param("code").is_some());
    // The same scope asking for the email claim by name: not silently released.
    let claims = r#"{"id_token":{"email":null}}"#;
    let silent = browser
        .authorize(&with(&[
            ("scope", "openid"),
            ("prompt", "none"),
            ("claims", claims),
        ]))
        .await;
    assert_eq!(silent.param("error").as_deref(), Some("consent_required"));
    let asked = browser
        .follow(
            &browser
                .authorize(&with(&[("scope", "openid"), ("claims", claims)]))
                .await,
        )
        .await;
    assert!(asked.is_consent());
    assert!(asked.body.contains("See your email"), "{}", asked.body);
}

#[tokio::test]
async fn a_login_as_someone_else_than_the_id_token_hint_names_is_refused() {
    let app = spawn_app().await;
    alice(&app).await;
    let mut bob = sesame_core::user::User::new("bob", Default::default(), 1).unwrap();
    bob.password_hash = Some(sesame_core::password::hash_password("bob's long password").unwrap());
    app.provider.store().insert_user(&bob).await.unwrap();
    let secret = web_client(&app, "web", AuthMethod::ClientSecretBasic, |m| {
        m.skip_consent = true
    })
    .await
    .unwrap();
    // An ID token for alice.
    let browser = Browser::new(&app);
    let code = browser
        .sign_in(&format!(
            "{}/authorize?{}",
            app.base,
            crate::helpers::serde_urlencoded(&with(&[("scope", "openid")]))
        ))
        .await
        .param("code")
        .unwrap();
    let tokens = app
        .post_form(
            "/token",
            Some(("web", &secret)),
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", REDIRECT),
            ],
        )
        .await
        .json();
    let hint = tokens["id_token"].as_str().unwrap();
    // In another browser, bob signs in although the client asked for alice.
    let other = Browser::new(&app);
    let login = other
        .follow(
            &other
                .authorize(&with(&[("scope", "openid"), ("id_token_hint", hint)]))
                .await,
        )
        .await;
    let answer = other.log_in(&login, "bob", "bob's long password").await;
    assert_eq!(answer.param("error").as_deref(), Some("login_required"));
    assert!(answer.param("code").is_none());
}

#[tokio::test]
async fn post_to_authorize_continues_as_a_get_with_the_cookies() {
    let app = spawn_app().await;
    web_client(&app, "web", AuthMethod::ClientSecretBasic, |_| {}).await;
    let browser = Browser::new(&app);
    let posted = browser
        .post("/authorize", &with(&[("scope", "openid"), ("state", "p")]))
        .await;
    assert_eq!(posted.status, 303);
    let location = posted.location.clone().unwrap();
    assert!(
        location.starts_with(&format!("{}/authorize?", app.base)),
        "{location}"
    );
    let login = browser.follow(&browser.get(&location).await).await;
    assert!(login.is_login());
}
