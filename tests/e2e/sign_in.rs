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

/// The `openidconnect` crate's client for `client_id`, set up from discovery alone.
async fn relying_party(
    app: &crate::helpers::TestApp,
    client_id: &str,
    secret: &sesame_core::secret::Secret,
) -> (RelyingParty, reqwest::Client) {
    let http = http();
    let metadata =
        CoreProviderMetadata::discover_async(IssuerUrl::new(app.base.clone()).unwrap(), &http)
            .await
            .unwrap();
    let client = CoreClient::from_provider_metadata(
        metadata,
        ClientId::new(client_id.into()),
        Some(ClientSecret::new(secret.expose().into())),
    )
    .set_redirect_uri(RedirectUrl::new(REDIRECT.into()).unwrap());
    (client, http)
}

type RelyingParty = CoreClient<
    openidconnect::EndpointSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointNotSet,
    openidconnect::EndpointMaybeSet,
    openidconnect::EndpointMaybeSet,
>;

#[tokio::test]
async fn confidential_client_signs_in_refreshes_reads_userinfo_and_logs_out() {
    let app = spawn_app().await;
    let sub = alice(&app).await;
    let secret = web_client(&app, "web", AuthMethod::ClientSecretBasic, |_| {})
        .await
        .unwrap();
    let (client, http) = relying_party(&app, "web", &secret).await;
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

/// Verifies an ID token with the JWKS alone (jsonwebtoken, independent of Sesame's signer).
async fn verify_id_token(
    app: &crate::helpers::TestApp,
    token: &str,
    alg: jsonwebtoken::Algorithm,
    audience: &str,
) -> serde_json::Value {
    let jwks: jsonwebtoken::jwk::JwkSet = app
        .http
        .get(app.url("/jwks"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let header = jsonwebtoken::decode_header(token).unwrap();
    assert_eq!(header.alg, alg);
    let jwk = jwks
        .find(header.kid.as_deref().unwrap())
        .expect("kid in the JWKS");
    let mut validation = jsonwebtoken::Validation::new(alg);
    validation.set_issuer(&[&app.base]);
    validation.set_audience(&[audience]);
    jsonwebtoken::decode::<serde_json::Value>(
        token,
        &jsonwebtoken::DecodingKey::from_jwk(jwk).unwrap(),
        &validation,
    )
    .expect("ID token verifies with the JWKS")
    .claims
}

fn left_half_sha256(value: &str) -> String {
    use base64::Engine;
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, value.as_bytes());
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(&digest.as_ref()[..16])
}

#[tokio::test]
async fn hybrid_response_hashes_code_and_token_and_the_claims_request_reaches_userinfo() {
    let app = spawn_app().await;
    alice(&app).await;
    web_client(&app, "web", AuthMethod::ClientSecretBasic, |m| {
        m.grant_types.push(sesame_core::client::GrantType::Implicit);
        m.response_types = vec!["code id_token token".into()];
        m.id_token_signed_response_alg = sesame_core::keys::Algorithm::PS256;
        m.skip_consent = true;
    })
    .await;
    let browser = Browser::new(&app);
    let query = crate::helpers::serde_urlencoded(&[
        ("client_id", "web"),
        ("response_type", "code id_token token"),
        ("redirect_uri", REDIRECT),
        ("scope", "openid"),
        ("nonce", "n-42"),
        (
            "claims",
            r#"{"userinfo":{"name":null},"id_token":{"email":{"essential":true}}}"#,
        ),
    ]);
    let callback = browser
        .sign_in(&format!("{}/authorize?{query}", app.base))
        .await;
    assert!(
        callback.location.as_deref().unwrap().contains('#'),
        "hybrid defaults to the fragment"
    );
    let code = callback.param("code").unwrap();
    let access = callback.param("access_token").unwrap();
    let claims = verify_id_token(
        &app,
        &callback.param("id_token").unwrap(),
        jsonwebtoken::Algorithm::PS256,
        "web",
    )
    .await;
    assert_eq!(claims["nonce"], "n-42");
    assert_eq!(claims["c_hash"], left_half_sha256(&code));
    assert_eq!(claims["at_hash"], left_half_sha256(&access));
    assert_eq!(
        claims["email"], "alice@example.com",
        "claims request for the ID token"
    );
    assert!(claims.get("name").is_none());
    assert!(claims["sid"].is_string() && claims["auth_time"].is_i64());

    let info: serde_json::Value = app
        .http
        .get(app.url("/userinfo"))
        .bearer_auth(&access)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(info["name"], "Alice Liddell", "claims request for UserInfo");
    assert!(
        info.get("email").is_none(),
        "no email scope, no userinfo email request"
    );
    assert_eq!(info["sub"], claims["sub"]);
}

#[tokio::test]
async fn eddsa_and_es256_id_tokens_verify_and_prompt_login_asks_again() {
    let app = spawn_app().await;
    alice(&app).await;
    for (client_id, alg, jwt_alg) in [
        (
            "ed",
            sesame_core::keys::Algorithm::EdDSA,
            jsonwebtoken::Algorithm::EdDSA,
        ),
        (
            "es",
            sesame_core::keys::Algorithm::ES256,
            jsonwebtoken::Algorithm::ES256,
        ),
    ] {
        let secret = web_client(&app, client_id, AuthMethod::ClientSecretPost, |m| {
            m.id_token_signed_response_alg = alg;
            m.skip_consent = true;
        })
        .await
        .unwrap();
        let browser = Browser::new(&app);
        let query = crate::helpers::serde_urlencoded(&[
            ("client_id", client_id),
            ("response_type", "code"),
            ("redirect_uri", REDIRECT),
            ("scope", "openid"),
            ("nonce", "nn"),
        ]);
        let code = browser
            .sign_in(&format!("{}/authorize?{query}", app.base))
            .await
            .param("code")
            .unwrap();
        let tokens = app
            .post_form(
                "/token",
                None,
                &[
                    ("grant_type", "authorization_code"),
                    ("code", &code),
                    ("redirect_uri", REDIRECT),
                    ("client_id", client_id),
                    ("client_secret", secret.expose()),
                ],
            )
            .await
            .json();
        let token = tokens["id_token"].as_str().unwrap();
        let claims = verify_id_token(&app, token, jwt_alg, client_id).await;
        assert_eq!(claims["nonce"], "nn");

        // prompt=login: the session exists, yet the login page comes back.
        let again = browser
            .authorize(&[
                ("client_id", client_id),
                ("response_type", "code"),
                ("redirect_uri", REDIRECT),
                ("scope", "openid"),
                ("prompt", "login"),
            ])
            .await;
        assert!(browser.follow(&again).await.is_login());
    }
}

#[tokio::test]
async fn oidc_core_5_4_address_and_phone_scopes_release_their_claims_at_userinfo() {
    use sesame_core::user::{Address, StandardClaims, User};
    let app = spawn_app().await;
    let claims = StandardClaims {
        email: Some("alice@example.com".into()),
        phone_number: Some("+441865000000".into()),
        phone_number_verified: Some(true),
        address: Some(Address {
            street_address: Some("1 Rabbit Hole".into()),
            locality: Some("Oxford".into()),
            country: Some("GB".into()),
            ..Default::default()
        }),
        ..Default::default()
    };
    let mut user = User::new("alice", claims, 1).unwrap();
    user.password_hash =
        Some(sesame_core::password::hash_password(crate::interaction::PASSWORD).unwrap());
    app.provider.store().insert_user(&user).await.unwrap();
    let secret = web_client(&app, "web", AuthMethod::ClientSecretPost, |m| {
        m.scope = sesame_core::scope::Scopes::parse("openid address phone").unwrap();
    })
    .await
    .unwrap();
    let discovery = app.get("/.well-known/openid-configuration").await.json();
    for scope in ["openid", "profile", "email", "address", "phone"] {
        assert!(
            discovery["scopes_supported"]
                .as_array()
                .unwrap()
                .contains(&scope.into()),
            "{scope}"
        );
    }
    let tokens =
        crate::interaction::code_flow_tokens(&app, "web", secret.expose(), "openid address phone")
            .await;
    let info = userinfo_of(&app, &tokens).await;
    assert_eq!(
        info["address"],
        serde_json::json!({"street_address": "1 Rabbit Hole", "locality": "Oxford", "country": "GB"}),
        "§5.1.1: one JSON object"
    );
    assert_eq!(info["phone_number"], "+441865000000");
    assert_eq!(info["phone_number_verified"], true);
    assert!(info.get("email").is_none(), "no email scope");
}

/// The code flow at the client_secret_post client `web` with these authorization parameters.
async fn code_tokens(
    app: &crate::helpers::TestApp,
    secret: &str,
    params: &[(&str, &str)],
) -> serde_json::Value {
    Browser::new(app)
        .code_tokens(app, ("web", secret, REDIRECT), params)
        .await
}

async fn userinfo_of(
    app: &crate::helpers::TestApp,
    tokens: &serde_json::Value,
) -> serde_json::Value {
    let access_token = tokens["access_token"].as_str().unwrap();
    app.userinfo(access_token).await.json().await.unwrap()
}

#[tokio::test]
async fn oidc_core_5_2_claims_locales_and_tagged_claims_reach_userinfo_and_the_id_token() {
    use sesame_core::user::{StandardClaims, User};
    let app = spawn_app().await;
    let mut claims = StandardClaims {
        name: Some("Alice Liddell".into()),
        ..Default::default()
    };
    claims
        .localized
        .insert("name#de".into(), "Alicia Liddell".into());
    claims.localized.insert("nickname#de".into(), "Ali".into());
    let mut user = User::new("alice", claims, 1).unwrap();
    user.password_hash =
        Some(sesame_core::password::hash_password(crate::interaction::PASSWORD).unwrap());
    app.provider.store().insert_user(&user).await.unwrap();
    let secret = web_client(&app, "web", AuthMethod::ClientSecretPost, |_| {})
        .await
        .unwrap();
    let secret = secret.expose();

    // A claim asked for by its tagged name, without the scope that holds it.
    let tokens = code_tokens(
        &app,
        secret,
        &[
            ("scope", "openid email"),
            ("ui_locales", "de"),
            ("claims", r#"{"id_token":{"nickname#de":null}}"#),
        ],
    )
    .await;
    let (_, id_token) = crate::helpers::jwt_parts(tokens["id_token"].as_str().unwrap());
    assert_eq!(id_token["nickname#de"], "Ali");
    assert!(id_token.get("name#de").is_none());
    let info = userinfo_of(&app, &tokens).await;
    assert!(
        info.get("name").is_none() && info.get("name#de").is_none(),
        "{info}"
    );

    // claims_locales: the profile scope's claims in German beside the default language.
    let tokens = code_tokens(
        &app,
        secret,
        &[("scope", "openid profile"), ("claims_locales", "de fr")],
    )
    .await;
    let info = userinfo_of(&app, &tokens).await;
    assert_eq!(info["name"], "Alice Liddell");
    assert_eq!(info["name#de"], "Alicia Liddell");
    assert_eq!(info["nickname#de"], "Ali");
    assert!(
        info.get("name#fr").is_none(),
        "only what the user has: {info}"
    );

    // A malformed tag is the client's mistake, told at its redirect URI.
    let query = crate::helpers::serde_urlencoded(&[
        ("client_id", "web"),
        ("response_type", "code"),
        ("redirect_uri", REDIRECT),
        ("scope", "openid"),
        ("claims_locales", "de_DE"),
    ]);
    let refused = Browser::new(&app)
        .get(&format!("{}/authorize?{query}", app.base))
        .await;
    assert_eq!(refused.param("error").as_deref(), Some("invalid_request"));
    assert!(
        refused
            .param("error_description")
            .unwrap()
            .contains("claims_locales: de_DE is not a BCP 47 language tag")
    );
}

/// The `openidconnect` crate as the relying party of a pairwise client with signed UserInfo:
/// it verifies the ID token and the UserInfo JWT through the JWKS, and that both name the same
/// (pairwise) subject.
#[tokio::test]
async fn the_openidconnect_crate_verifies_a_pairwise_sub_and_signed_userinfo() {
    use sesame_core::client::SubjectType;
    let app = spawn_app().await;
    let own = alice(&app).await;
    let secret = web_client(&app, "rp", AuthMethod::ClientSecretBasic, |m| {
        m.subject_type = SubjectType::Pairwise;
        m.userinfo_signed_response_alg = Some(sesame_core::keys::Algorithm::RS256);
        m.skip_consent = true;
    })
    .await
    .unwrap();
    let (client, http) = relying_party(&app, "rp", &secret).await;
    let (url, _, nonce) = client
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .add_scope(Scope::new("email".into()))
        .url();
    let code = Browser::new(&app)
        .sign_in(url.as_str())
        .await
        .param("code")
        .unwrap();
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
        .expect("the ID token verifies");
    assert_ne!(claims.subject().as_str(), own, "pairwise");
    let info: CoreUserInfoClaims = client
        .user_info(
            tokens.access_token().clone(),
            Some(claims.subject().clone()),
        )
        .unwrap()
        .require_signed_response(true)
        .request_async(&http)
        .await
        .expect("a signed UserInfo JWT for the same subject");
    assert_eq!(info.email().unwrap().as_str(), "alice@example.com");
}

#[tokio::test]
async fn oidc_core_5_5_the_claims_request_reaches_userinfo_with_an_opaque_token_too() {
    let app = spawn_app().await;
    alice(&app).await;
    let secret = web_client(&app, "web", AuthMethod::ClientSecretPost, |m| {
        m.access_token_format = sesame_core::client::AccessTokenFormat::Opaque;
    })
    .await
    .unwrap();
    let tokens = code_tokens(
        &app,
        secret.expose(),
        &[
            ("scope", "openid"),
            ("claims", r#"{"userinfo":{"name":null}}"#),
        ],
    )
    .await;
    assert!(tokens["access_token"].as_str().unwrap().starts_with("sat_"));
    let info = userinfo_of(&app, &tokens).await;
    assert_eq!(
        info["name"], "Alice Liddell",
        "read from the token's record: {info}"
    );
    assert!(info.get("email").is_none());
}
