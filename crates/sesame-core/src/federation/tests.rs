//! The round trip to an upstream provider end to end on the memory store and a fixed clock,
//! with the upstream played by a fake that signs real ES256 ID tokens.

use super::id_token::LEEWAY;
use super::round_trip::{self, Arrival, Callback, FederationError};
use super::upstream::{Upstream, UpstreamError};
use super::{Connection, STATE_TTL};
use crate::authorize::flow::Next;
use crate::authorize::pending::PendingAuthorization;
use crate::clock::FixedClock;
use crate::provider::Provider;
use crate::store::{FederationStore, InteractionStore};
use crate::testing::{self, BROWSER, MemoryStore, T0};
use async_trait::async_trait;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};
use std::sync::{Arc, Mutex};

const ISSUER: &str = "https://idp.test";
const SUBJECT: &str = "upstream-subject-1";

/// An OpenID provider that answers from what the test set.
struct FakeIdp {
    pkcs8: Vec<u8>,
    jwk: Value,
    sends_iss: bool,
    /// What the next ID token says (the test edits it); `nonce` is filled in from the request.
    claims: Mutex<Value>,
    /// The kid, algorithm or key of the next ID token.
    header: Mutex<jsonwebtoken::Header>,
    userinfo: Mutex<Value>,
    nonce: Mutex<String>,
    /// Every token request's form.
    token_requests: Mutex<Vec<Vec<(String, String)>>>,
}

impl FakeIdp {
    fn new(sends_iss: bool) -> Arc<Self> {
        let rng = SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng).unwrap();
        let pair =
            EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref()).unwrap();
        let point = pair.public_key().as_ref();
        let jwk = json!({
            "kty": "EC", "crv": "P-256", "kid": "idp-1", "alg": "ES256", "use": "sig",
            "x": URL_SAFE_NO_PAD.encode(&point[1..33]), "y": URL_SAFE_NO_PAD.encode(&point[33..65]),
        });
        let mut header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::ES256);
        header.kid = Some("idp-1".into());
        Arc::new(Self {
            pkcs8: pkcs8.as_ref().to_vec(),
            jwk,
            sends_iss,
            claims: Mutex::new(json!({
                "iss": ISSUER, "aud": "sesame", "sub": SUBJECT, "iat": T0, "exp": T0 + 300,
                "email": "ann@corp.example", "email_verified": true,
            })),
            header: Mutex::new(header),
            userinfo: Mutex::new(json!({"sub": SUBJECT, "name": "Ann Upstream"})),
            nonce: Mutex::new(String::new()),
            token_requests: Mutex::new(Vec::new()),
        })
    }

    fn claim(&self, name: &str, value: Value) {
        self.claims.lock().unwrap()[name] = value;
    }

    fn id_token(&self) -> String {
        let mut claims = self.claims.lock().unwrap().clone();
        if claims.get("nonce").is_none() {
            claims["nonce"] = Value::from(self.nonce.lock().unwrap().clone());
        }
        let header = self.header.lock().unwrap().clone();
        let key = match header.alg {
            jsonwebtoken::Algorithm::HS256 => jsonwebtoken::EncodingKey::from_secret(b"shared"),
            _ => jsonwebtoken::EncodingKey::from_ec_der(&self.pkcs8),
        };
        jsonwebtoken::encode(&header, &claims, &key).unwrap()
    }
}

#[async_trait]
impl Upstream for FakeIdp {
    async fn get_json(&self, url: &str, bearer: Option<&str>) -> Result<Value, UpstreamError> {
        match url {
            "https://idp.test/.well-known/openid-configuration" => Ok(json!({
                "issuer": ISSUER,
                "authorization_endpoint": "https://idp.test/authorize?tenant=t1",
                "token_endpoint": "https://idp.test/token",
                "userinfo_endpoint": "https://idp.test/userinfo",
                "jwks_uri": "https://idp.test/jwks",
                "authorization_response_iss_parameter_supported": self.sends_iss,
            })),
            "https://idp.test/jwks" => Ok(json!({"keys": [self.jwk]})),
            "https://idp.test/userinfo" if bearer == Some("at-1") => {
                Ok(self.userinfo.lock().unwrap().clone())
            }
            other => Err(UpstreamError::Protocol(format!("{other} answered 404"))),
        }
    }

    async fn post_form(
        &self,
        url: &str,
        basic: (&str, &str),
        form: &[(&str, &str)],
    ) -> Result<(u16, Value), UpstreamError> {
        assert_eq!(url, "https://idp.test/token");
        assert_eq!(
            basic,
            ("sesame", "upstream%2Bsecret"),
            "RFC 6749 §2.3.1 encoding"
        );
        let form: Vec<(String, String)> = form
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        self.token_requests.lock().unwrap().push(form);
        Ok((
            200,
            json!({"access_token": "at-1", "id_token": self.id_token()}),
        ))
    }
}

struct Setup {
    provider: Provider,
    store: Arc<MemoryStore>,
    clock: Arc<FixedClock>,
    idp: Arc<FakeIdp>,
    pending: PendingAuthorization,
}

async fn setup(sends_iss: bool) -> Setup {
    let (provider, store, clock) = testing::provider().await;
    testing::register(&store, "web", true).await;
    let corp: Connection = serde_json::from_value(json!({
        "id": "corp", "kind": "oidc", "display_name": "Corp", "issuer": ISSUER,
        "client_id": "sesame", "scopes": ["email"]
    }))
    .unwrap();
    let sealed = crate::sealed::seal(None, "corp", "upstream+secret").unwrap();
    store.upsert_connection(&corp, &sealed).await.unwrap();
    let query = "response_type=code&client_id=web&redirect_uri=https://app.example/cb&scope=openid";
    let Ok(Next::Login(id)) = testing::authorize(&provider, query, None).await else {
        panic!("a request waiting for sign-in");
    };
    let pending = store.get_pending(&id).await.unwrap().unwrap();
    Setup {
        provider,
        store,
        clock,
        idp: FakeIdp::new(sends_iss),
        pending,
    }
}

/// The query parameters of the authorization URL `start` sent the browser to.
fn sent(url: &str) -> Vec<(String, String)> {
    url::Url::parse(url)
        .unwrap()
        .query_pairs()
        .into_owned()
        .collect()
}

fn get<'a>(pairs: &'a [(String, String)], name: &str) -> &'a str {
    pairs
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
        .unwrap_or_else(|| panic!("{name} in {pairs:?}"))
}

impl Setup {
    /// Starts a round trip and returns its `state`, having told the fake its nonce.
    async fn depart(&self) -> String {
        let url = round_trip::start(&self.provider, self.idp.as_ref(), "corp", &self.pending)
            .await
            .unwrap();
        let query = sent(&url);
        *self.idp.nonce.lock().unwrap() = get(&query, "nonce").to_owned();
        get(&query, "state").to_owned()
    }

    async fn arrive(&self, state: &str, iss: Option<&str>) -> Result<Arrival, FederationError> {
        let callback = Callback {
            state: Some(state),
            code: Some("upstream-code"),
            error: None,
            iss,
        };
        round_trip::finish(
            &self.provider,
            self.idp.as_ref(),
            "corp",
            callback,
            Some(BROWSER),
        )
        .await
    }

    /// A round trip with the ID token as the test set it.
    async fn round_trip(&self) -> Result<Arrival, FederationError> {
        let state = self.depart().await;
        self.arrive(&state, Some(ISSUER)).await
    }
}

fn invalid_id_token(r: Result<Arrival, FederationError>, says: &str) {
    match r {
        Err(FederationError::Upstream {
            error: UpstreamError::InvalidIdToken(why),
            ..
        }) => assert!(why.contains(says), "{why}"),
        other => panic!("expected an invalid ID token ({says}), got {other:?}"),
    }
}

#[tokio::test]
async fn oidc_core_3_1_a_round_trip_with_pkce_signs_in_a_new_linked_user() {
    let s = setup(true).await;
    let url = round_trip::start(&s.provider, s.idp.as_ref(), "corp", &s.pending)
        .await
        .unwrap();
    assert!(
        url.starts_with("https://idp.test/authorize?tenant=t1&"),
        "{url}"
    );
    let query = sent(&url);
    assert_eq!(
        get(&query, "scope"),
        "openid email",
        "openid first for an OIDC connection"
    );
    assert_eq!(get(&query, "code_challenge_method"), "S256");
    assert_eq!(
        get(&query, "redirect_uri"),
        "https://id.test/federation/corp/callback"
    );
    *s.idp.nonce.lock().unwrap() = get(&query, "nonce").to_owned();
    let arrival = s.arrive(get(&query, "state"), Some(ISSUER)).await.unwrap();
    assert_eq!(arrival.pending_id, s.pending.id);
    assert!(arrival.user.username.starts_with("corp:"));
    assert_eq!(
        arrival.user.claims.name.as_deref(),
        Some("Ann Upstream"),
        "from UserInfo"
    );
    // RFC 7636 §4.5: the verifier sent to the token endpoint is the challenge's.
    let requests = s.idp.token_requests.lock().unwrap().clone();
    let verifier = get(&requests[0], "code_verifier");
    assert_eq!(crate::pkce::s256(verifier), get(&query, "code_challenge"));
    assert_eq!(
        get(&requests[0], "redirect_uri"),
        get(&query, "redirect_uri")
    );
    let linked = s.store.find_linked_user("corp", SUBJECT).await.unwrap();
    assert_eq!(linked, Some(arrival.user.id));
}

#[tokio::test]
async fn rfc6749_10_12_a_callback_is_accepted_once_within_its_time_from_its_browser() {
    let s = setup(true).await;
    let state = s.depart().await;
    assert!(s.arrive(&state, Some(ISSUER)).await.is_ok());
    let replay = s.arrive(&state, Some(ISSUER)).await;
    assert!(matches!(replay, Err(FederationError::Gone)), "{replay:?}");

    let state = s.depart().await;
    s.clock.advance(STATE_TTL);
    let late = s.arrive(&state, Some(ISSUER)).await;
    assert!(matches!(late, Err(FederationError::Gone)), "{late:?}");

    let state = s.depart().await;
    let callback = Callback {
        state: Some(&state),
        code: Some("c"),
        ..Default::default()
    };
    let other = Some("another browser");
    let stolen = round_trip::finish(&s.provider, s.idp.as_ref(), "corp", callback, other).await;
    assert!(
        matches!(stolen, Err(FederationError::OtherBrowser)),
        "{stolen:?}"
    );
    let state = s.depart().await;
    let callback = Callback {
        state: Some(&state),
        ..callback
    };
    let elsewhere = round_trip::finish(
        &s.provider,
        s.idp.as_ref(),
        "rival",
        callback,
        Some(BROWSER),
    );
    assert!(matches!(elsewhere.await, Err(FederationError::Gone)));
}

#[tokio::test]
async fn rfc9207_2_4_a_response_from_another_issuer_or_without_the_announced_iss_is_refused() {
    let s = setup(true).await;
    for iss in [Some("https://evil.test"), None] {
        let state = s.depart().await;
        match s.arrive(&state, iss).await {
            Err(FederationError::Upstream {
                error: UpstreamError::Protocol(why),
                ..
            }) => assert!(why.contains("iss"), "{why}"),
            other => panic!("a mix-up must be refused, got {other:?}"),
        }
    }
    // An upstream that does not announce RFC 9207 may leave iss out.
    let quiet = setup(false).await;
    let state = quiet.depart().await;
    assert!(quiet.arrive(&state, None).await.is_ok());
}

#[tokio::test]
async fn rfc6749_4_1_2_1_an_upstream_error_is_shown_and_spends_the_state() {
    let s = setup(true).await;
    let state = s.depart().await;
    let callback = Callback {
        state: Some(&state),
        error: Some("access_denied"),
        ..Default::default()
    };
    let r = round_trip::finish(&s.provider, s.idp.as_ref(), "corp", callback, Some(BROWSER)).await;
    let Err(e @ FederationError::Refused { .. }) = r else {
        panic!("{r:?}");
    };
    assert!(
        e.to_string()
            .contains("Corp did not sign you in (access_denied)")
    );
    assert!(matches!(
        s.arrive(&state, Some(ISSUER)).await,
        Err(FederationError::Gone)
    ));
}

#[tokio::test]
async fn oidc_core_3_1_3_7_id_token_times_are_checked_on_the_providers_clock() {
    let s = setup(true).await;
    s.idp.claim("exp", json!(T0 - LEEWAY));
    invalid_id_token(s.round_trip().await, "expired");
    s.idp.claim("exp", json!(T0 + 300));
    s.idp.claim("iat", json!(T0 - STATE_TTL - LEEWAY - 1));
    invalid_id_token(s.round_trip().await, "iat");
    s.idp.claim("iat", json!(T0 + LEEWAY + 1));
    invalid_id_token(s.round_trip().await, "iat");
    s.idp.claim("iat", json!(T0));
    s.idp.claim("nbf", json!(T0 + LEEWAY + 1));
    invalid_id_token(s.round_trip().await, "not yet valid");
    // The same token is good once the fixed clock reaches it.
    s.clock.advance(LEEWAY + 1);
    s.idp.claim("iat", json!(T0 + LEEWAY + 1));
    s.idp.claim("exp", json!(T0 + 600));
    assert!(s.round_trip().await.is_ok());
}

#[tokio::test]
async fn oidc_core_3_1_3_7_the_id_token_must_be_for_us_with_our_nonce() {
    let s = setup(true).await;
    s.idp.claim("nonce", json!("someone else's"));
    invalid_id_token(s.round_trip().await, "nonce");
    s.idp
        .claims
        .lock()
        .unwrap()
        .as_object_mut()
        .unwrap()
        .remove("nonce");
    s.idp.claim("aud", json!("another-client"));
    invalid_id_token(s.round_trip().await, "InvalidAudience");
    s.idp.claim("aud", json!(["sesame", "another-client"]));
    invalid_id_token(s.round_trip().await, "azp");
    s.idp.claim("azp", json!("another-client"));
    invalid_id_token(s.round_trip().await, "azp");
    s.idp.claim("azp", json!("sesame"));
    assert!(s.round_trip().await.is_ok());
    s.idp.claim("iss", json!("https://evil.test"));
    invalid_id_token(s.round_trip().await, "InvalidIssuer");
}

#[tokio::test]
async fn oidc_core_3_1_3_7_only_the_upstreams_published_asymmetric_keys_count() {
    let s = setup(true).await;
    s.idp.header.lock().unwrap().kid = Some("unknown".into());
    invalid_id_token(s.round_trip().await, "does not publish");
    *s.idp.header.lock().unwrap() = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256);
    invalid_id_token(s.round_trip().await, "symmetric");
}

#[tokio::test]
async fn rfc7515_4_1_11_an_upstream_id_token_with_a_critical_extension_is_refused() {
    let s = setup(true).await;
    s.idp.header.lock().unwrap().crit = Some(vec!["https://idp.test/ext".into()]);
    invalid_id_token(s.round_trip().await, "crit");
    s.idp.header.lock().unwrap().crit = None;
    assert!(s.round_trip().await.is_ok());
}

#[tokio::test]
async fn oidc_core_5_3_2_userinfo_about_another_subject_is_refused() {
    let s = setup(true).await;
    *s.idp.userinfo.lock().unwrap() = json!({"sub": "someone-else", "name": "Mallory"});
    match s.round_trip().await {
        Err(FederationError::Upstream {
            error: UpstreamError::Protocol(why),
            ..
        }) => assert!(why.contains("another subject"), "{why}"),
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn an_identity_that_clashes_with_a_local_account_is_a_refusal_not_a_takeover() {
    let s = setup(true).await;
    let mut ann = crate::user::User::new("ann", Default::default(), T0).unwrap();
    ann.claims.email = Some("ann@corp.example".into());
    ann.claims.email_verified = Some(true);
    crate::store::UserStore::insert_user(s.store.as_ref(), &ann)
        .await
        .unwrap();
    let r = s.round_trip().await;
    assert!(
        matches!(
            r,
            Err(FederationError::Refusal(super::MappingError::EmailConflict))
        ),
        "{r:?}"
    );
}

#[tokio::test]
async fn unknown_connections_are_not_found() {
    let s = setup(true).await;
    let r = round_trip::start(&s.provider, s.idp.as_ref(), "nobody", &s.pending).await;
    assert!(matches!(r, Err(FederationError::UnknownConnection)));
}
