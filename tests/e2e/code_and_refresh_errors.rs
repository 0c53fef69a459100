//! The token endpoint's user delegations under attack: replayed, stolen or expired codes, PKCE
//! failures, refresh token reuse and scope widening; and UserInfo's bearer errors.

use crate::helpers::{TestApp, spawn_app};
use crate::interaction::{Browser, REDIRECT, alice, pkce_pair, web_client};
use serde_json::Value;
use sesame_core::client::AuthMethod;
use sesame_core::delegation::{CodeData, Delegation, StoredCode};
use sesame_core::scope::Scopes;
use sesame_core::secret::{Secret, SecretHash};

pub struct Setup {
    app: TestApp,
    secret: Secret,
    browser: Browser,
}

async fn setup() -> Setup {
    setup_on(spawn_app().await).await
}

/// Alice and the clients `web` (confidential) and `spa` (public) on `app`.
pub async fn setup_on(app: TestApp) -> Setup {
    alice(&app).await;
    let secret = web_client(&app, "web", AuthMethod::ClientSecretBasic, |m| {
        m.skip_consent = true
    })
    .await
    .unwrap();
    web_client(&app, "spa", AuthMethod::None, |m| m.skip_consent = true).await;
    let browser = Browser::new(&app);
    Setup {
        app,
        secret,
        browser,
    }
}

/// A code for `client_id`, with a PKCE challenge when given.
async fn new_code(s: &Setup, client_id: &str, challenge: Option<&str>, scope: &str) -> String {
    let mut params = vec![
        ("client_id", client_id),
        ("response_type", "code"),
        ("redirect_uri", REDIRECT),
        ("scope", scope),
    ];
    if let Some(c) = challenge {
        params.push(("code_challenge", c));
        params.push(("code_challenge_method", "S256"));
    }
    let query = crate::helpers::serde_urlencoded(&params);
    let callback = s
        .browser
        .sign_in(&format!("{}/authorize?{query}", s.app.base))
        .await;
    callback.param("code").expect("a code")
}

async fn redeem(s: &Setup, code: &str, extra: &[(&str, &str)]) -> crate::helpers::Reply {
    let mut form = vec![
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", REDIRECT),
    ];
    form.extend_from_slice(extra);
    s.app
        .post_form("/token", Some(("web", &s.secret)), &form)
        .await
}

/// A refresh token and an access token of a fresh offline_access delegation to `web`.
async fn offline_tokens(s: &Setup) -> (String, String) {
    let code = new_code(s, "web", None, "openid offline_access").await;
    let tokens: Value = redeem(s, &code, &[]).await.json();
    (
        tokens["refresh_token"].as_str().unwrap().to_owned(),
        tokens["access_token"].as_str().unwrap().to_owned(),
    )
}

async fn refresh(s: &Setup, token: &str, scope: Option<&str>) -> crate::helpers::Reply {
    let mut form = vec![("grant_type", "refresh_token"), ("refresh_token", token)];
    if let Some(scope) = scope {
        form.push(("scope", scope));
    }
    s.app
        .post_form("/token", Some(("web", &s.secret)), &form)
        .await
}

async fn introspect(app: &TestApp, token: &str, who: (&str, &Secret)) -> Value {
    app.post_form("/introspect", Some(who), &[("token", token)])
        .await
        .json()
}

async fn userinfo(app: &TestApp, token: &str) -> reqwest::Response {
    app.http
        .get(app.url("/userinfo"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_replayed_code_is_refused_and_revokes_what_it_issued() {
    let s = setup().await;
    let code = new_code(&s, "web", None, "openid offline_access").await;
    let first = redeem(&s, &code, &[]).await;
    assert_eq!(first.status, 200, "{}", first.body);
    let tokens: Value = first.json();
    let access = tokens["access_token"].as_str().unwrap();
    assert_eq!(userinfo(&s.app, access).await.status(), 200);

    redeem(&s, &code, &[]).await.assert_error(
        400,
        "invalid_grant",
        "the authorization code was already used; the tokens issued",
    );
    assert_eq!(
        userinfo(&s.app, access).await.status(),
        401,
        "access token revoked"
    );
    let refresh_token = tokens["refresh_token"].as_str().unwrap();
    refresh(&s, refresh_token, None).await.assert_error(
        400,
        "invalid_grant",
        "the refresh token is invalid, expired, revoked, or was",
    );
}

#[tokio::test]
async fn a_code_is_bound_to_its_client_redirect_uri_and_lifetime() {
    let s = setup().await;
    let other = s
        .app
        .client_with("other", AuthMethod::ClientSecretBasic, |m| {
            m.grant_types = vec![sesame_core::client::GrantType::AuthorizationCode];
            m.redirect_uris = vec![REDIRECT.into()];
        })
        .await
        .unwrap();
    let code = new_code(&s, "web", None, "openid").await;
    let stolen = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", REDIRECT),
    ];
    s.app
        .post_form("/token", Some(("other", &other)), &stolen)
        .await
        .assert_error(
            400,
            "invalid_grant",
            "the authorization code is invalid, expired, or was issued",
        );
    s.app
        .post_form(
            "/token",
            Some(("web", &s.secret)),
            &[
                ("grant_type", "authorization_code"),
                ("code", &code),
                ("redirect_uri", "https://app.example/other"),
            ],
        )
        .await
        .assert_error(
            400,
            "invalid_grant",
            "redirect_uri does not match the authorization request",
        );
    s.app
        .post_form(
            "/token",
            Some(("web", &s.secret)),
            &[("grant_type", "authorization_code"), ("code", &code)],
        )
        .await
        .assert_error(
            400,
            "invalid_request",
            "the redirect_uri parameter is missing",
        );
    // None of that spent the code: the rightful client still redeems it.
    assert_eq!(redeem(&s, &code, &[]).await.status, 200);

    // An expired code, planted in the store as the server would have stored it.
    let now = sesame_core::clock::Clock::now(&sesame_core::clock::SystemClock);
    let sub = s
        .app
        .provider
        .store()
        .get_user_by_username("alice")
        .await
        .unwrap()
        .unwrap()
        .id;
    let old = StoredCode {
        code_hash: SecretHash::of("expired-code"),
        delegation: Delegation {
            delegation_id: "g-old".into(),
            client_id: "web".into(),
            user_id: sub,
            scope: Scopes::parse("openid").unwrap(),
            auth_time: now - 120,
            sid: None,
            claims: Default::default(),
            amr: Vec::new(),
        },
        data: CodeData {
            redirect_uri: REDIRECT.into(),
            code_challenge: None,
            nonce: None,
        },
        expires_at: now - 60,
        used_at: None,
    };
    s.app.provider.store().insert_code(&old).await.unwrap();
    redeem(&s, "expired-code", &[]).await.assert_error(
        400,
        "invalid_grant",
        "the authorization code is invalid, expired, or was issued",
    );
    redeem(&s, "no-such-code", &[]).await.assert_error(
        400,
        "invalid_grant",
        "the authorization code is invalid, expired, or was issued",
    );
}

#[tokio::test]
async fn pkce_verifier_must_match_and_cannot_be_dropped_or_added() {
    let s = setup().await;
    let (verifier, challenge) = pkce_pair();
    let spa = |code: &str, verifier: Option<&str>| {
        let mut form = vec![
            ("grant_type", "authorization_code".to_owned()),
            ("code", code.to_owned()),
            ("redirect_uri", REDIRECT.to_owned()),
            ("client_id", "spa".to_owned()),
        ];
        if let Some(v) = verifier {
            form.push(("code_verifier", v.to_owned()));
        }
        form
    };
    let code = new_code(&s, "spa", Some(&challenge), "openid").await;
    let (wrong, _) = pkce_pair();
    for (form, says) in [
        (spa(&code, None), "code_verifier is required"),
        (
            spa(&code, Some(&wrong)),
            "code_verifier does not match the code_challenge",
        ),
    ] {
        let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
        s.app
            .post_form("/token", None, &pairs)
            .await
            .assert_error(400, "invalid_grant", says);
    }
    let ok = spa(&code, Some(&verifier));
    let pairs: Vec<(&str, &str)> = ok.iter().map(|(k, v)| (*k, v.as_str())).collect();
    assert_eq!(s.app.post_form("/token", None, &pairs).await.status, 200);

    // A verifier for a code issued without a challenge is a downgrade attempt (RFC 9700 §4.8.2).
    let plain = new_code(&s, "web", None, "openid").await;
    redeem(&s, &plain, &[("code_verifier", &verifier)])
        .await
        .assert_error(
            400,
            "invalid_grant",
            "code_verifier was sent, but the authorization request had",
        );
}

#[tokio::test]
async fn refresh_reuse_revokes_the_family_and_scope_only_narrows() {
    let s = setup().await;
    let code = new_code(&s, "web", None, "openid email offline_access").await;
    let tokens: Value = redeem(&s, &code, &[]).await.json();
    let r1 = tokens["refresh_token"].as_str().unwrap().to_owned();
    refresh(&s, &r1, Some("openid email phone"))
        .await
        .assert_error(
            400,
            "invalid_scope",
            "the scope phone was not granted; a refresh can only narrow",
        );
    let narrowed = refresh(&s, &r1, Some("openid")).await;
    assert_eq!(narrowed.status, 200, "{}", narrowed.body);
    let narrowed: Value = narrowed.json();
    assert_eq!(narrowed["scope"], "openid");
    let r2 = narrowed["refresh_token"].as_str().unwrap().to_owned();
    let a2 = narrowed["access_token"].as_str().unwrap().to_owned();
    // The rotated token again: reuse. The whole family ends, r2 and its access token included.
    refresh(&s, &r1, None).await.assert_error(
        400,
        "invalid_grant",
        "the refresh token was already used; every token of its",
    );
    refresh(&s, &r2, None).await.assert_error(
        400,
        "invalid_grant",
        "the refresh token is invalid, expired, revoked, or was",
    );
    assert_eq!(userinfo(&s.app, &a2).await.status(), 401);
}

#[tokio::test]
async fn userinfo_answers_bearer_errors_per_rfc_6750() {
    let s = setup().await;
    let no_token = s.app.http.get(s.app.url("/userinfo")).send().await.unwrap();
    assert_eq!(no_token.status(), 401);
    assert_eq!(
        no_token.headers()["www-authenticate"],
        "Bearer realm=\"sesame\""
    );
    let bad = userinfo(&s.app, "not-a-token").await;
    assert_eq!(bad.status(), 401);
    assert!(
        bad.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .contains("error=\"invalid_token\"")
    );
    // A machine token has no openid scope.
    let svc = s
        .app
        .service_client("svc", sesame_core::client::AccessTokenFormat::Jwt)
        .await;
    let machine = s.app.access_token("svc", &svc).await;
    let forbidden = userinfo(&s.app, &machine).await;
    assert_eq!(forbidden.status(), 403);
    assert!(
        forbidden.headers()["www-authenticate"]
            .to_str()
            .unwrap()
            .contains("insufficient_scope")
    );
    // POST with the form parameter works; both ways at once does not.
    let code = new_code(&s, "web", None, "openid email").await;
    let tokens: Value = redeem(&s, &code, &[]).await.json();
    let access = tokens["access_token"].as_str().unwrap();
    let form = s
        .app
        .http
        .post(s.app.url("/userinfo"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("access_token={access}"))
        .send()
        .await
        .unwrap();
    assert_eq!(form.status(), 200);
    let both = s
        .app
        .http
        .post(s.app.url("/userinfo"))
        .bearer_auth(access)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(format!("access_token={access}"))
        .send()
        .await
        .unwrap();
    assert_eq!(both.status(), 400);
}

#[tokio::test]
async fn revoking_a_refresh_token_ends_its_delegation() {
    let s = setup().await;
    let (refresh_token, access) = offline_tokens(&s).await;
    let (refresh_token, access) = (refresh_token.as_str(), access.as_str());
    let revoked = s
        .app
        .post_form(
            "/revoke",
            Some(("web", &s.secret)),
            &[
                ("token", refresh_token),
                ("token_type_hint", "refresh_token"),
            ],
        )
        .await;
    assert_eq!(revoked.status, 200);
    refresh(&s, refresh_token, None).await.assert_error(
        400,
        "invalid_grant",
        "the refresh token is invalid, expired, revoked, or was",
    );
    assert_eq!(
        userinfo(&s.app, access).await.status(),
        401,
        "the delegation's access token too"
    );
}

#[tokio::test]
async fn introspection_describes_refresh_tokens_to_their_client_and_drops_disabled_users() {
    let s = setup().await;
    let (refresh_token, access) = offline_tokens(&s).await;
    let (refresh_token, access) = (refresh_token.as_str(), access.as_str());
    let described = introspect(&s.app, refresh_token, ("web", &s.secret)).await;
    assert_eq!(described["active"], true);
    assert_eq!(described["token_type"], "refresh_token");
    assert_eq!(described["scope"], "openid offline_access");
    let other = s
        .app
        .service_client("rs", sesame_core::client::AccessTokenFormat::Jwt)
        .await;
    assert_eq!(
        introspect(&s.app, refresh_token, ("rs", &other)).await,
        serde_json::json!({"active": false})
    );
    assert_eq!(
        introspect(&s.app, access, ("rs", &other)).await["active"],
        true
    );

    // Disabling the user ends what their tokens say.
    let store = s.app.provider.store();
    let mut alice = store.get_user_by_username("alice").await.unwrap().unwrap();
    alice.disabled = true;
    store.update_user(&alice).await.unwrap();
    assert_eq!(
        introspect(&s.app, access, ("rs", &other)).await["active"],
        false
    );
    assert_eq!(
        introspect(&s.app, refresh_token, ("web", &s.secret)).await["active"],
        false
    );
}

/// RFC 6749 §4.1.2: twenty redemptions of one code at once. Exactly one gets tokens; the others
/// are replays, and a replay revokes everything issued from the code, the winner's tokens too
/// (the one policy on every backend and node; SECURITY.md).
pub async fn racing_redemptions_have_one_winner_whose_tokens_the_replays_revoke(s: &Setup) {
    let code = new_code(s, "web", None, "openid offline_access").await;
    let racers: Vec<_> = (0..20)
        .map(|_| {
            let request = s
                .app
                .http
                .post(s.app.url("/token"))
                .basic_auth("web", Some(s.secret.expose()))
                .form(&[
                    ("grant_type", "authorization_code"),
                    ("code", code.as_str()),
                    ("redirect_uri", REDIRECT),
                ]);
            tokio::spawn(crate::helpers::send(request))
        })
        .collect();
    let mut winners = Vec::new();
    for r in racers {
        let reply = r.await.unwrap();
        match reply.status {
            200 => winners.push(reply.json()),
            // A loser is a replay: it finds the code spent, or the delegation an earlier loser
            // already revoked.
            _ => {
                reply.assert_error(400, "invalid_grant", "");
                let said = reply.json()["error_description"].to_string();
                assert!(
                    said.contains("already used") || said.contains("revoked"),
                    "{said}"
                );
            }
        }
    }
    assert_eq!(winners.len(), 1, "exactly one redemption wins");
    let won = &winners[0];
    for token in [&won["access_token"], &won["refresh_token"]] {
        let form = [("token", token.as_str().unwrap())];
        let reply = s
            .app
            .post_form("/introspect", Some(("web", &s.secret)), &form)
            .await;
        let active = reply.json()["active"].clone();
        assert_eq!(active, false, "revoked by the replays");
    }
}

#[tokio::test]
async fn rfc6749_4_1_2_racing_redemptions_on_sqlite() {
    racing_redemptions_have_one_winner_whose_tokens_the_replays_revoke(&setup().await).await;
}
