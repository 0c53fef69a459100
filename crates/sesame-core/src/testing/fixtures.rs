//! Clients, users and sign-ins for the core's tests, so each test states only what it is about.

#![allow(clippy::unwrap_used, clippy::expect_used)] // fixtures: a failure is a failed test

use super::{MemoryStore, T0};
use crate::authorize::flow::{self, Next};
use crate::authorize::response::AuthorizationResponse;
use crate::authorize::{self, AuthorizeError};
use crate::client::{AuthMethod, Client, ClientMetadata, GrantType};
use crate::params::Params;
use crate::provider::Provider;
use crate::response_type::ResponseType;
use crate::scope::Scopes;
use crate::secret::Secret;
use crate::session::{self, BrowserSession};
use crate::store::{ClientStore, UserStore};
use crate::user::{StandardClaims, User};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use std::sync::LazyLock;

/// The redirect URI the fixture web clients register.
pub const REDIRECT_URI: &str = "https://app.example/cb";
/// The password of every fixture user.
pub const PASSWORD: &str = "correct horse battery staple";
/// The client address of every fixture request (TEST-NET-1).
pub const ADDRESS: std::net::IpAddr = std::net::IpAddr::V4(std::net::Ipv4Addr::new(192, 0, 2, 10));

/// The binding cookie of the fixture browser.
pub const BROWSER: &str = "browser-cookie-of-the-tests";

/// Hashed once: argon2 is slow on purpose, and every fixture user shares the password.
static PASSWORD_HASH: LazyLock<String> =
    LazyLock::new(|| crate::password::hash_password(PASSWORD).unwrap());

/// A user with [`PASSWORD`] and an email.
pub async fn user(store: &MemoryStore, username: &str) -> User {
    let claims = StandardClaims {
        email: Some(format!("{username}@example.com")),
        email_verified: Some(true),
        name: Some(username.to_owned()),
        ..Default::default()
    };
    let mut user = User::new(username, claims, T0).unwrap();
    user.password_hash = Some(PASSWORD_HASH.clone());
    assert!(store.insert_user(&user).await.unwrap());
    user
}

/// A web client of `client_id` redirecting to [`REDIRECT_URI`], without a consent page.
/// Confidential (client_secret_basic) with a secret: the code, refresh, implicit, device and
/// password grants and every response type. Public (PKCE) without: the code, refresh and
/// device grants and `code`.
pub fn web_client(client_id: &str, secret: Option<&Secret>) -> Client {
    let grants = match secret {
        Some(_) => vec![
            GrantType::AuthorizationCode,
            GrantType::RefreshToken,
            GrantType::Implicit,
            GrantType::DeviceCode,
            GrantType::Password,
        ],
        None => vec![
            GrantType::AuthorizationCode,
            GrantType::RefreshToken,
            GrantType::DeviceCode,
        ],
    };
    Client {
        client_id: client_id.to_owned(),
        secret_hash: secret.map(Secret::hash),
        metadata: ClientMetadata {
            client_name: Some(format!("The {client_id} app")),
            redirect_uris: vec![REDIRECT_URI.to_owned()],
            grant_types: grants,
            response_types: match secret {
                Some(_) => ResponseType::SUPPORTED.map(str::to_owned).to_vec(),
                None => vec!["code".to_owned()],
            },
            token_endpoint_auth_method: match secret {
                Some(_) => AuthMethod::ClientSecretBasic,
                None => AuthMethod::None,
            },
            scope: Scopes::parse("openid profile email offline_access api:read").unwrap(),
            skip_consent: true,
            ..Default::default()
        },
        created_at: T0,
        updated_at: T0,
    }
}

/// Registers [`web_client`] and returns its secret (confidential) or `None` (public).
pub async fn register(store: &MemoryStore, client_id: &str, confidential: bool) -> Option<Secret> {
    let secret = confidential.then(Secret::generate);
    let client = web_client(client_id, secret.as_ref());
    client.validate().unwrap();
    assert!(store.insert_client(&client).await.unwrap());
    secret
}

/// `Authorization: Basic` for a client.
pub fn basic(client_id: &str, secret: &Secret) -> String {
    let pair = format!("{client_id}:{}", secret.expose());
    format!("Basic {}", STANDARD.encode(pair))
}

/// Form parameters from `a=b&c=d` (the test writes the encoding).
pub fn form(body: &str) -> Params {
    Params::parse(body.as_bytes()).unwrap()
}

/// A session of `user` that signed in now.
pub async fn signed_in(provider: &Provider, user: &User) -> BrowserSession {
    session::start(provider, &user.id, vec![crate::mfa::amr::PWD.into()])
        .await
        .unwrap()
        .0
}

/// Runs an authorization request (its query) to its first step for the fixture browser.
pub async fn authorize(
    provider: &Provider,
    query: &str,
    session: Option<&BrowserSession>,
) -> Result<Next, AuthorizeError> {
    let params = Params::parse(query.as_bytes()).unwrap();
    let (request, client) = authorize::validate(provider, &params).await?;
    flow::start(provider, &client, request, session, BROWSER).await
}

/// The response an authorization request answered at once.
pub fn answered(next: Result<Next, AuthorizeError>) -> AuthorizationResponse {
    match next {
        Ok(Next::Respond(r)) => r,
        Err(AuthorizeError::Redirect(r)) => r,
        other => panic!("expected an answer to the client, got {other:?}"),
    }
}

/// A parameter of an authorization response.
pub fn param<'a>(response: &'a AuthorizationResponse, name: &str) -> Option<&'a str> {
    response
        .params
        .iter()
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.as_str())
}

/// A verifier and its S256 challenge (RFC 7636 Appendix B).
pub const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
pub const CHALLENGE: &str = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";

/// An authorization code for `client_id` (with PKCE) issued to `user`'s fresh session.
pub async fn code(provider: &Provider, client_id: &str, user: &User, scope: &str) -> String {
    let session = signed_in(provider, user).await;
    let scope = scope.replace(' ', "+");
    let query = format!(
        "response_type=code&client_id={client_id}&redirect_uri={REDIRECT_URI}&scope={scope}\
         &state=s1&nonce=n1&code_challenge={CHALLENGE}&code_challenge_method=S256"
    );
    let answer = answered(authorize(provider, &query, Some(&session)).await);
    param(&answer, "code").expect("a code").to_owned()
}

/// A token request with optional client authentication; the response alone.
pub async fn token_request(
    provider: &Provider,
    authorization: Option<&str>,
    body: &str,
) -> Result<crate::token::TokenResponse, crate::TokenError> {
    crate::token::exchange(provider, caller(authorization), form(body))
        .await
        .map(|(r, _)| r)
}

/// Asserts the error, its code, and words of its description.
#[track_caller]
pub fn rejected<T: std::fmt::Debug>(
    r: Result<T, crate::TokenError>,
    code: crate::ErrorCode,
    says: &str,
) {
    let e = r.unwrap_err();
    assert_eq!(e.code, code, "{e}");
    assert!(e.description.contains(says), "{e}");
}

/// Asserts the error, its code, and its cause for the log: where the description is the same
/// for several reasons on purpose, the cause tells the test which one it met.
#[track_caller]
pub fn rejected_because<T: std::fmt::Debug>(
    r: Result<T, crate::TokenError>,
    code: crate::ErrorCode,
    cause: &str,
) {
    let e = r.unwrap_err();
    assert_eq!(e.code, code, "{e}");
    assert_eq!(e.cause.as_deref(), Some(cause), "{e}");
}

/// Tokens for `user` at the confidential client `client_id`, through a code.
pub async fn user_tokens(
    provider: &Provider,
    client_id: &str,
    secret: &Secret,
    user: &User,
    scope: &str,
) -> crate::token::TokenResponse {
    let code = code(provider, client_id, user, scope).await;
    let body = format!(
        "grant_type=authorization_code&code={code}&redirect_uri={REDIRECT_URI}\
         &code_verifier={VERIFIER}"
    );
    token_request(provider, Some(&basic(client_id, secret)), &body)
        .await
        .unwrap()
}

/// The usual scene: a provider, the confidential client `web` and its secret, the user `alice`.
pub struct Web {
    pub p: Provider,
    pub store: std::sync::Arc<MemoryStore>,
    pub clock: std::sync::Arc<crate::clock::FixedClock>,
    pub web: Secret,
    pub alice: User,
}

pub async fn web_and_alice() -> Web {
    let (p, store, clock) = super::provider().await;
    let web = register(&store, "web", true).await.unwrap();
    let alice = user(&store, "alice").await;
    Web {
        p,
        store,
        clock,
        web,
        alice,
    }
}

/// A request from the fixture address with this `Authorization` header.
pub fn caller(authorization: Option<&str>) -> crate::client_auth::Caller<'_> {
    crate::client_auth::Caller {
        authorization,
        address: ADDRESS,
    }
}
