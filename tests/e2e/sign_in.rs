//! Sign-in end to end with the `openidconnect` crate as the relying party: code flow for a
//! confidential and a public (PKCE) client, ID token checked through the JWKS only, UserInfo,
//! refresh, and logout. The login and consent forms are driven over HTTP with a cookie jar.

use crate::helpers::spawn_app;
use crate::interaction::{Browser, REDIRECT, alice, web_client};
use openidconnect::core::{
    CoreAuthenticationFlow, CoreClient, CoreProviderMetadata, CoreUserInfoClaims,
};
use openidconnect::{
    AccessTokenHash, AuthorizationCode, ClientId, ClientSecret, CsrfToken, IssuerUrl, Nonce,
    OAuth2TokenResponse, PkceCodeChallenge, RedirectUrl, Scope, TokenResponse,
};
use sesame_core::client::AuthMethod;

fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

#[tokio::test]
async fn confidential_client_signs_in_refreshes_reads_userinfo_and_logs_out() {
    let app = spawn_app().await;
    let sub = alice(&app).await;
    let secret = web_client(&app, "web", AuthMethod::ClientSecretBasic, |_| {})
        .await
        .unwrap();
    let http = http();
    let metadata =
        CoreProviderMetadata::discover_async(IssuerUrl::new(app.base.clone()).unwrap(), &http)
            .await
            .unwrap();
    let client = CoreClient::from_provider_metadata(
        metadata,
        ClientId::new("web".into()),
        Some(ClientSecret::new(secret.expose().into())),
    )
    .set_redirect_uri(RedirectUrl::new(REDIRECT.into()).unwrap());
    let (url, state, nonce) = client
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .add_scope(Scope::new("email".into()))
        .add_scope(Scope::new("profile".into()))
        .add_scope(Scope::new("offline_access".into()))
        .url();

    let browser = Browser::new(&app);
    let callback = browser.sign_in(url.as_str()).await;
    assert_eq!(
        callback.param("state").as_deref(),
        Some(state.secret().as_str())
    );
    assert_eq!(
        callback.param("iss").as_deref(),
        Some(app.base.as_str()),
        "RFC 9207 iss"
    );
    let code = callback.param("code").expect("a code");

    let tokens = client
        .exchange_code(AuthorizationCode::new(code))
        .unwrap()
        .request_async(&http)
        .await
        .unwrap();
    let id_token = tokens.id_token().expect("an ID token");
    let verifier = client.id_token_verifier();
    let claims = id_token
        .claims(&verifier, &nonce)
        .expect("ID token verifies through the JWKS");
    assert_eq!(claims.subject().as_str(), sub);
    assert!(claims.auth_time().is_some());
    let expected = AccessTokenHash::from_token(
        tokens.access_token(),
        id_token.signing_alg().unwrap(),
        id_token.signing_key(&verifier).unwrap(),
    )
    .unwrap();
    assert_eq!(claims.access_token_hash(), Some(&expected), "at_hash");
    assert!(
        tokens.refresh_token().is_some(),
        "offline_access gives a refresh token"
    );

    let info: CoreUserInfoClaims = client
        .user_info(
            tokens.access_token().clone(),
            Some(claims.subject().clone()),
        )
        .unwrap()
        .request_async(&http)
        .await
        .unwrap();
    assert_eq!(info.email().unwrap().as_str(), "alice@example.com");
    assert_eq!(info.email_verified(), Some(true));

    let refreshed = client
        .exchange_refresh_token(tokens.refresh_token().unwrap())
        .unwrap()
        .request_async(&http)
        .await
        .unwrap();
    assert_ne!(
        refreshed.refresh_token().unwrap().secret(),
        tokens.refresh_token().unwrap().secret(),
        "rotated"
    );
    let refreshed_id = refreshed
        .id_token()
        .unwrap()
        .claims(&verifier, |_: Option<&Nonce>| Ok(()))
        .unwrap();
    assert_eq!(refreshed_id.subject().as_str(), sub);

    // Single sign-on: a second request goes straight back with a code (consent remembered).
    let again = browser
        .authorize(&[
            ("client_id", "web"),
            ("response_type", "code"),
            ("redirect_uri", REDIRECT),
            ("scope", "openid email"),
            ("state", "s2"),
        ])
        .await;
    assert!(
        again.param("code").is_some(),
        "no pages the second time: {:?}",
        again.location
    );

    // RP-initiated logout with the hint returns to the registered URI with state.
    let hint = id_token.to_string();
    let out = browser
        .get(&format!(
            "/logout?{}",
            crate::helpers::serde_urlencoded(&[
                ("id_token_hint", &hint),
                ("post_logout_redirect_uri", "https://app.example/bye"),
                ("state", "bye-state")
            ])
        ))
        .await;
    assert_eq!(out.status, 303, "{}", out.body);
    assert_eq!(
        out.location.as_deref(),
        Some("https://app.example/bye?state=bye-state")
    );
    // The session is gone: prompt=none now needs a login.
    let none = browser
        .authorize(&[
            ("client_id", "web"),
            ("response_type", "code"),
            ("redirect_uri", REDIRECT),
            ("scope", "openid"),
            ("prompt", "none"),
        ])
        .await;
    assert_eq!(none.param("error").as_deref(), Some("login_required"));
}

#[tokio::test]
async fn public_client_uses_pkce_and_the_crate_checks_everything() {
    let app = spawn_app().await;
    alice(&app).await;
    web_client(&app, "spa", AuthMethod::None, |m| m.skip_consent = true).await;
    let http = http();
    let metadata =
        CoreProviderMetadata::discover_async(IssuerUrl::new(app.base.clone()).unwrap(), &http)
            .await
            .unwrap();
    let client = CoreClient::from_provider_metadata(metadata, ClientId::new("spa".into()), None)
        .set_redirect_uri(RedirectUrl::new(REDIRECT.into()).unwrap());
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, _, nonce) = client
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .set_pkce_challenge(challenge)
        .url();
    let browser = Browser::new(&app);
    // skip_consent: login, then straight back.
    let login = browser.follow(&browser.get(url.as_str()).await).await;
    let callback = browser
        .log_in(&login, "alice", crate::interaction::PASSWORD)
        .await;
    let code = callback
        .param("code")
        .expect("a code without a consent page");
    let tokens = client
        .exchange_code(AuthorizationCode::new(code))
        .unwrap()
        .set_pkce_verifier(verifier)
        .request_async(&http)
        .await
        .unwrap();
    tokens
        .id_token()
        .unwrap()
        .claims(&client.id_token_verifier(), &nonce)
        .unwrap();
    assert!(
        tokens.refresh_token().is_none(),
        "no offline_access, no refresh token"
    );
}
