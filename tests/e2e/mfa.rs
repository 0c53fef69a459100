//! Second factors end to end: a password then an authenticator's code (computed here from the
//! enrolled secret), wrong and replayed codes refused, a recovery code working once, step-up
//! through `acr_values` with an enrolment on the way, `acr` and `amr` checked by the
//! `openidconnect` relying party, and what only takes a password refusing such an account.

use crate::helpers::{TestApp, spawn_app};
use crate::interaction::{Browser, PASSWORD, REDIRECT, alice, web_client};
use openidconnect::core::{CoreAuthenticationFlow, CoreClient, CoreProviderMetadata};
use openidconnect::{
    AuthenticationContextClass, AuthorizationCode, ClientId, ClientSecret, CsrfToken, IssuerUrl,
    Nonce, RedirectUrl, TokenResponse,
};
use sesame_core::audit::AuditQuery;
use sesame_core::client::AuthMethod;
use sesame_core::mfa::{Factor, recovery, totp};

const SECRET: &[u8] = b"12345678901234567890";

/// Enrols an authenticator with [`SECRET`] for `sub`, and ten recovery codes (returned).
pub async fn enrol(app: &TestApp, sub: &str) -> Vec<String> {
    let now = app.provider.now();
    let factor = Factor::totp(app.provider.master_key(), sub, "Phone", SECRET, now).unwrap();
    let store = app.provider.store();
    store.insert_factor(&factor).await.unwrap();
    let (codes, hashes) = recovery::generate();
    store
        .replace_recovery_codes(sub, &hashes, now)
        .await
        .unwrap();
    codes
}

/// The code an authenticator with `secret` shows now.
pub fn code_now(app: &TestApp, secret: &[u8]) -> String {
    totp::code(secret, totp::step_at(app.provider.now()))
}

/// From `/authorize` (a URL) to the second-factor page, signing in as alice.
async fn to_second_factor(browser: &Browser, authorize: &str) -> crate::interaction::Page {
    let started = browser.get(authorize).await;
    let login = browser.follow(&started).await;
    let after_password = browser.log_in(&login, "alice", PASSWORD).await;
    assert_eq!(after_password.status, 303, "{}", after_password.body);
    let next = after_password.location.clone().unwrap();
    assert!(next.contains("/login/second-factor?id="), "{next}");
    browser.follow(&after_password).await
}

async fn send_code(
    browser: &Browser,
    page: &crate::interaction::Page,
    code: &str,
) -> crate::interaction::Page {
    let id = page.field("id").unwrap();
    let csrf = page.field("csrf_token").unwrap();
    browser
        .post(
            "/login/second-factor",
            &[("id", &id), ("csrf_token", &csrf), ("code", code)],
        )
        .await
}

async fn relying_party(
    app: &TestApp,
    secret: &sesame_core::secret::Secret,
) -> (
    CoreClient<
        openidconnect::EndpointSet,
        openidconnect::EndpointNotSet,
        openidconnect::EndpointNotSet,
        openidconnect::EndpointNotSet,
        openidconnect::EndpointMaybeSet,
        openidconnect::EndpointMaybeSet,
    >,
    reqwest::Client,
) {
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let metadata =
        CoreProviderMetadata::discover_async(IssuerUrl::new(app.base.clone()).unwrap(), &http)
            .await
            .unwrap();
    let acr = metadata
        .acr_values_supported()
        .expect("acr_values_supported");
    assert_eq!(
        acr.iter().map(|a| a.as_str()).collect::<Vec<_>>(),
        ["1", "2"]
    );
    let client = CoreClient::from_provider_metadata(
        metadata,
        ClientId::new("web".into()),
        Some(ClientSecret::new(secret.expose().into())),
    )
    .set_redirect_uri(RedirectUrl::new(REDIRECT.into()).unwrap());
    (client, http)
}

#[tokio::test]
async fn password_then_authenticator_code_and_the_relying_party_reads_acr_and_amr() {
    let app = spawn_app().await;
    let sub = alice(&app).await;
    let codes = enrol(&app, &sub).await;
    let secret = web_client(&app, "web", AuthMethod::ClientSecretBasic, |m| {
        m.skip_consent = true;
    })
    .await
    .unwrap();
    let (client, http) = relying_party(&app, &secret).await;
    let (url, _, nonce) = client
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .url();

    let browser = Browser::new(&app);
    let page = to_second_factor(&browser, url.as_str()).await;
    assert_eq!(page.status, 200);
    // The enrolment page is not a way round the factor the user has.
    let id = page.field("id").unwrap();
    let sideways = browser.get(&format!("/login/enrol?id={id}")).await;
    assert_eq!(sideways.status, 400, "{}", sideways.body);
    let csrf = page.field("csrf_token").unwrap();
    let forced = browser
        .post(
            "/login/enrol",
            &[("id", &id), ("csrf_token", &csrf), ("code", "123456")],
        )
        .await;
    assert_eq!(forced.status, 400, "{}", forced.body);
    assert_eq!(
        app.provider.store().list_factors(&sub).await.unwrap().len(),
        1
    );
    assert!(page.text().contains("authenticator"), "{}", page.text());
    // A wrong code: refused, counted, the page asks again.
    let right = code_now(&app, SECRET);
    let wrong = if right == "000000" {
        "111111"
    } else {
        "000000"
    };
    let refused = send_code(&browser, &page, wrong).await;
    assert_eq!(refused.status, 401, "{}", refused.body);
    assert!(refused.text().contains("not right"), "{}", refused.text());
    let done = send_code(&browser, &page, &right).await;
    assert_eq!(done.status, 303, "{}", done.body);
    let code = done.param("code").expect("a code");
    let tokens = client
        .exchange_code(AuthorizationCode::new(code))
        .unwrap()
        .request_async(&http)
        .await
        .unwrap();
    let claims = tokens
        .id_token()
        .unwrap()
        .claims(&client.id_token_verifier(), &nonce)
        .unwrap();
    assert_eq!(
        claims.auth_context_ref(),
        Some(&AuthenticationContextClass::new("2".into()))
    );
    let amr: Vec<&str> = claims
        .auth_method_refs()
        .unwrap()
        .iter()
        .map(|a| a.as_str())
        .collect();
    assert_eq!(amr, ["pwd", "otp", "mfa"]);

    // The same code again, in another browser with the password: spent.
    let other = Browser::new(&app);
    let page = to_second_factor(&other, url.as_str()).await;
    let replayed = send_code(&other, &page, &right).await;
    assert_eq!(replayed.status, 401, "a code works once: {}", replayed.body);
    // A recovery code instead: once.
    let recovered = send_code(&other, &page, &codes[3].to_uppercase()).await;
    assert_eq!(recovered.status, 303, "{}", recovered.body);
    let third = Browser::new(&app);
    let page = to_second_factor(&third, url.as_str()).await;
    let again = send_code(&third, &page, &codes[3]).await;
    assert_eq!(again.status, 401, "a recovery code works once");
    assert_eq!(
        app.provider
            .store()
            .unused_recovery_codes(&sub)
            .await
            .unwrap(),
        9
    );

    // Each is in the audit trail.
    let events = app
        .provider
        .store()
        .list_audit(&AuditQuery {
            action: Some("mfa".into()),
            limit: 50,
            ..Default::default()
        })
        .await
        .unwrap();
    let actions: Vec<&str> = events.iter().map(|e| e.action.as_str()).collect();
    for action in ["mfa.succeeded", "mfa.recovery_code_used", "mfa.failed"] {
        assert!(actions.contains(&action), "{action}: {actions:?}");
    }
}

#[tokio::test]
async fn acr_values_2_steps_a_password_session_up_and_enrols_an_authenticator_on_the_way() {
    let app = spawn_app().await;
    let sub = alice(&app).await;
    let secret = web_client(&app, "web", AuthMethod::ClientSecretBasic, |m| {
        m.skip_consent = true;
    })
    .await
    .unwrap();
    let browser = Browser::new(&app);
    let params = |acr: Option<&'static str>| {
        let mut p = vec![
            ("client_id", "web"),
            ("response_type", "code"),
            ("redirect_uri", REDIRECT),
            ("scope", "openid"),
        ];
        p.extend(acr.map(|a| ("acr_values", a)));
        p
    };
    let id_token_claims = async |code: String| {
        let reply = app
            .post_form(
                "/token",
                Some(("web", &secret)),
                &[
                    ("grant_type", "authorization_code"),
                    ("code", &code),
                    ("redirect_uri", REDIRECT),
                ],
            )
            .await;
        assert_eq!(reply.status, 200, "{}", reply.body);
        let id_token = reply.json()["id_token"].as_str().unwrap().to_owned();
        crate::helpers::jwt_parts(&id_token).1
    };
    // A password alone: level 1.
    let first = browser
        .sign_in(&format!(
            "{}/authorize?{}",
            app.base,
            crate::helpers::serde_urlencoded(&params(None))
        ))
        .await;
    let claims = id_token_claims(first.param("code").unwrap()).await;
    assert_eq!(
        (claims["acr"].as_str(), &claims["amr"]),
        (Some("1"), &serde_json::json!(["pwd"]))
    );

    // prompt=none cannot step up.
    let mut silent = params(Some("2"));
    silent.push(("prompt", "none"));
    let refused = browser.authorize(&silent).await;
    assert_eq!(refused.param("error").as_deref(), Some("login_required"));

    // acr_values=2: signed in again, and with no factor yet, an authenticator is enrolled.
    let started = browser.authorize(&params(Some("2"))).await;
    let login = browser.follow(&started).await;
    assert!(
        login.is_login(),
        "a level-1 session is not enough: {}",
        login.body
    );
    let after_password = browser.log_in(&login, "alice", PASSWORD).await;
    assert!(
        after_password
            .location
            .as_deref()
            .unwrap()
            .contains("/login/enrol?id=")
    );
    let enrol_page = browser.follow(&after_password).await;
    assert!(
        enrol_page.body.contains("<svg"),
        "a QR code drawn on the page"
    );
    let key = enrol_page
        .text()
        .split("<code class=\"key\">")
        .nth(1)
        .and_then(|rest| rest.split("</code>").next())
        .unwrap()
        .replace(' ', "");
    let enrolled_secret = totp::from_base32(&key).unwrap();
    let id = enrol_page.field("id").unwrap();
    let csrf = enrol_page.field("csrf_token").unwrap();
    let wrong = browser
        .post(
            "/login/enrol",
            &[("id", &id), ("csrf_token", &csrf), ("code", "12")],
        )
        .await;
    assert_eq!(wrong.status, 401);
    let code = code_now(&app, &enrolled_secret);
    let codes_page = browser
        .post(
            "/login/enrol",
            &[("id", &id), ("csrf_token", &csrf), ("code", &code)],
        )
        .await;
    assert_eq!(codes_page.status, 200, "{}", codes_page.body);
    assert_eq!(
        codes_page.body.matches("<li><code>").count(),
        10,
        "ten recovery codes"
    );
    let store = app.provider.store();
    assert_eq!(store.list_factors(&sub).await.unwrap().len(), 1);
    assert_eq!(store.unused_recovery_codes(&sub).await.unwrap(), 10);
    let done = browser
        .post(
            "/login/enrol/continue",
            &[("id", &id), ("csrf_token", &csrf)],
        )
        .await;
    let claims = id_token_claims(done.param("code").expect("a code")).await;
    assert_eq!(claims["acr"], "2");
    assert_eq!(claims["amr"], serde_json::json!(["pwd", "otp", "mfa"]));

    // The pending request is spent: its proof cannot be replayed for another session.
    let replay = browser
        .post(
            "/login/enrol/continue",
            &[("id", &id), ("csrf_token", &csrf)],
        )
        .await;
    assert!(
        replay.location.is_none() && [400, 403].contains(&replay.status),
        "{} {}",
        replay.status,
        replay.body
    );
    // The code that confirmed the enrolment cannot sign in again.
    assert!(
        !store
            .spend_totp_step(
                &sub,
                &store.list_factors(&sub).await.unwrap()[0].id,
                totp::step_at(app.provider.now()),
                app.provider.now()
            )
            .await
            .unwrap()
    );
    // Now a level-2 session: prompt=none with acr_values=2 goes straight back.
    let silent_ok = browser.authorize(&silent).await;
    assert!(
        silent_ok.param("code").is_some(),
        "{:?}",
        silent_ok.location
    );
}

#[tokio::test]
async fn what_takes_only_a_password_refuses_an_account_with_a_second_factor() {
    let app = spawn_app().await;
    let sub = alice(&app).await;
    let secret = web_client(&app, "web", AuthMethod::ClientSecretBasic, |m| {
        m.grant_types.push(sesame_core::client::GrantType::Password);
    })
    .await
    .unwrap();
    let grant = [
        ("grant_type", "password"),
        ("username", "alice"),
        ("password", PASSWORD),
        ("scope", "openid"),
    ];
    let before = app
        .post_form("/token", Some(("web", &secret)), &grant)
        .await;
    assert_eq!(before.status, 200, "{}", before.body);
    enrol(&app, &sub).await;
    app.post_form("/token", Some(("web", &secret)), &grant)
        .await
        .assert_error(400, "invalid_grant", "this sign-in needs a second factor");
    // A wrong password is still only a wrong password: nothing said about factors.
    let wrong = [("password", "nope"), grant[0], grant[1], grant[3]];
    app.post_form("/token", Some(("web", &secret)), &wrong)
        .await
        .assert_error(
            400,
            "invalid_grant",
            "the username or password is not correct",
        );
}

#[tokio::test]
async fn a_client_that_requires_mfa_and_the_deployments_policy_ask_for_it() {
    let app = crate::helpers::spawn_app_with(|c| c.require_mfa = true).await;
    alice(&app).await;
    web_client(&app, "web", AuthMethod::ClientSecretBasic, |_| {}).await;
    let browser = Browser::new(&app);
    let started = browser
        .authorize(&[
            ("client_id", "web"),
            ("response_type", "code"),
            ("redirect_uri", REDIRECT),
            ("scope", "openid"),
        ])
        .await;
    let login = browser.follow(&started).await;
    let after = browser.log_in(&login, "alice", PASSWORD).await;
    assert!(
        after
            .location
            .as_deref()
            .unwrap()
            .contains("/login/enrol?id="),
        "require_mfa: enrol after the password"
    );
}

#[tokio::test]
async fn an_owner_adds_an_authenticator_on_the_account_page_in_chromium_and_signs_in_with_it() {
    if crate::helpers::chromium_missing() {
        return;
    }
    let app = spawn_app().await;
    let sub = alice(&app).await;
    let shots = format!("{}/target/screenshots/account", env!("CARGO_MANIFEST_DIR"));
    let input = serde_json::json!({
        "base": app.base, "username": "alice", "password": PASSWORD, "screenshot_dir": shots,
    });
    let result = crate::helpers::node("account.mjs", input).await;
    assert!(result["account"].as_str().unwrap().contains("My phone"));
    let store = app.provider.store();
    let factors = store.list_factors(&sub).await.unwrap();
    assert_eq!(factors.len(), 1);
    assert_eq!(factors[0].name, "My phone");
    assert!(factors[0].last_used_at.is_some(), "used to sign in");
    // The codes the page showed are the ones that work.
    let codes = result["codes"].as_array().unwrap();
    assert_eq!(codes.len(), 10);
    let first = recovery::hash(codes[0].as_str().unwrap());
    assert!(
        store
            .spend_recovery_code(&sub, &first, app.provider.now())
            .await
            .unwrap()
    );
}

#[tokio::test]
async fn passkeys_in_chromium_register_sign_in_as_second_factor_and_alone_and_a_clone_is_refused() {
    if crate::helpers::chromium_missing() {
        return;
    }
    // WebAuthn ties a passkey to a domain name: this Sesame is served as localhost.
    let app =
        crate::helpers::spawn_app_with(|c| c.issuer = c.issuer.replace("127.0.0.1", "localhost"))
            .await;
    let sub = alice(&app).await;
    let shots = format!("{}/target/screenshots/passkeys", env!("CARGO_MANIFEST_DIR"));
    let input = serde_json::json!({
        "base": app.base, "username": "alice", "password": PASSWORD, "screenshot_dir": shots,
    });
    let result = crate::helpers::node("passkey.mjs", input).await;
    assert!(
        result["cloned"].as_str().unwrap().contains("looks copied"),
        "{result}"
    );
    assert!(
        result["removed"]
            .as_str()
            .unwrap()
            .contains("a password alone signs you in")
    );
    let store = app.provider.store();
    assert!(store.list_factors(&sub).await.unwrap().is_empty());
    let events = store
        .list_audit(&AuditQuery {
            action: Some("mfa".into()),
            limit: 100,
            ..Default::default()
        })
        .await
        .unwrap();
    let actions: Vec<&str> = events.iter().map(|e| e.action.as_str()).collect();
    for action in [
        "mfa.factor_enrolled",
        "mfa.succeeded",
        "mfa.passkey_cloned",
        "mfa.recovery_code_used",
        "mfa.factor_removed",
    ] {
        assert!(actions.contains(&action), "{action}: {actions:?}");
    }
    let passkey_proofs = events
        .iter()
        .filter(|e| e.action == "mfa.succeeded" && e.details["proof"] == "passkey")
        .count();
    assert_eq!(passkey_proofs, 2, "as second factor, and alone");
}

#[tokio::test]
async fn a_session_from_before_an_enrolment_is_not_enough_afterwards() {
    let app = spawn_app().await;
    let sub = alice(&app).await;
    web_client(&app, "web", AuthMethod::ClientSecretBasic, |m| {
        m.skip_consent = true
    })
    .await;
    let browser = Browser::new(&app);
    let authorize = [
        ("client_id", "web"),
        ("response_type", "code"),
        ("redirect_uri", REDIRECT),
        ("scope", "openid"),
    ];
    let first = browser
        .sign_in(&format!(
            "{}/authorize?{}",
            app.base,
            crate::helpers::serde_urlencoded(&authorize)
        ))
        .await;
    assert!(first.param("code").is_some());
    // Signed in with the password alone; then the user (elsewhere) enrols an authenticator.
    enrol(&app, &sub).await;
    let again = browser.authorize(&authorize).await;
    assert!(
        again.param("code").is_none(),
        "not straight back: {:?}",
        again.location
    );
    let login = browser.follow(&again).await;
    assert!(
        login.is_login(),
        "signed in again, with the factor: {}",
        login.body
    );
}
