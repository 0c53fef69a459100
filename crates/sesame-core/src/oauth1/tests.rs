//! The three legs and the request checks of OAuth 1.0a (RFC 5849) on the memory store, with
//! requests signed here by the spec's rules (oauthlib signs them again in the e2e tests).

use super::error::Problem;
use super::flow::{self, Answer};
use super::request::{SignedRequest, base_uri, verify};
use super::signature::{self, Method};
use super::{CredentialsResponse, TIMESTAMP_WINDOW, TokenKind};
use crate::endpoints;
use crate::provider::Provider;
use crate::secret::Secret;
use crate::store::{ClientStore, Oauth1Store};
use crate::testing::{self, REDIRECT_URI, T0, web_client};
use crate::user::User;

/// A consumer that signs its requests with HMAC-SHA1.
struct Consumer {
    key: &'static str,
    secret: Secret,
}

/// A request as signed: the Authorization header, ready for [`SignedRequest`].
struct Signed {
    path: &'static str,
    header: String,
}

impl Signed {
    fn request(&self) -> SignedRequest<'_> {
        SignedRequest {
            method: "POST",
            path: self.path,
            query: "",
            authorization: Some(&self.header),
            form: None,
        }
    }
}

impl Consumer {
    async fn registered(store: &testing::MemoryStore) -> Self {
        let secret = Secret::generate();
        let mut client = web_client("legacy", Some(&secret));
        client.metadata.oauth1 = true;
        assert!(store.insert_client(&client).await.unwrap());
        let sealed = crate::sealed::seal(None, "legacy", secret.expose()).unwrap();
        store.put_oauth1_secret("legacy", &sealed).await.unwrap();
        Self {
            key: "legacy",
            secret,
        }
    }

    /// Signs a POST to `path` with `extra` protocol parameters at `timestamp`.
    fn sign(
        &self,
        p: &Provider,
        path: &'static str,
        extra: &[(&str, &str)],
        token_secret: &str,
        timestamp: i64,
    ) -> Signed {
        let timestamp = timestamp.to_string();
        let nonce = crate::secret::random_token(12);
        let mut params: Vec<(String, String)> = [
            ("oauth_consumer_key", self.key),
            ("oauth_signature_method", "HMAC-SHA1"),
            ("oauth_timestamp", timestamp.as_str()),
            ("oauth_nonce", nonce.as_str()),
            ("oauth_version", "1.0"),
        ]
        .iter()
        .chain(extra)
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let base = signature::base_string("POST", &base_uri(&p.settings().endpoint(path)), &params);
        let sig = signature::sign(Method::HmacSha1, &base, self.secret.expose(), token_secret);
        params.push(("oauth_signature".into(), sig.unwrap()));
        let fields: Vec<String> = params
            .iter()
            .map(|(k, v)| format!("{k}=\"{}\"", signature::encode(v)))
            .collect();
        Signed {
            path,
            header: format!("OAuth realm=\"sesame\", {}", fields.join(", ")),
        }
    }
}

impl Consumer {
    /// Leg 1 (§2.1), signed now, out of band.
    fn leg1(&self, p: &Provider) -> Signed {
        let path = endpoints::OAUTH1_REQUEST_TOKEN;
        self.sign(p, path, &[("oauth_callback", "oob")], "", p.now())
    }

    /// Leg 1 (§2.1) with this callback: the temporary credentials.
    async fn temporary(&self, p: &Provider, callback: &str) -> CredentialsResponse {
        let leg1 = self.sign(
            p,
            endpoints::OAUTH1_REQUEST_TOKEN,
            &[("oauth_callback", callback)],
            "",
            p.now(),
        );
        flow::request_token(p, &leg1.request()).await.unwrap()
    }

    /// Leg 3 (§2.3) signed with the temporary credentials, at `at`.
    fn exchange(
        &self,
        p: &Provider,
        temporary: &CredentialsResponse,
        verifier: &str,
        at: i64,
    ) -> Signed {
        let extra = [
            ("oauth_token", temporary.oauth_token.as_str()),
            ("oauth_verifier", verifier),
        ];
        let path = endpoints::OAUTH1_ACCESS_TOKEN;
        self.sign(p, path, &extra, &temporary.oauth_token_secret, at)
    }
}

/// The user's answer on the approval page.
async fn answered(
    p: &Provider,
    temporary: &CredentialsResponse,
    user: &User,
    allow: bool,
) -> Answer {
    let pending = flow::pending(p, &temporary.oauth_token)
        .await
        .unwrap()
        .unwrap();
    flow::answer(p, &pending, user, allow).await.unwrap()
}

fn problem<T: std::fmt::Debug>(r: Result<T, super::error::Oauth1Error>) -> Problem {
    r.unwrap_err().problem
}

#[tokio::test]
async fn rfc5849_2_the_three_legs_end_in_token_credentials_for_the_user() {
    let (p, store, _) = testing::provider().await;
    let consumer = Consumer::registered(&store).await;
    let alice = testing::user(&store, "alice").await;
    let temporary = consumer.temporary(&p, REDIRECT_URI).await;
    assert_eq!(temporary.oauth_callback_confirmed, Some("true"));
    let Answer::Redirect(to) = answered(&p, &temporary, &alice, true).await else {
        panic!("a registered callback gets a redirect");
    };
    let back = url::Url::parse(&to).unwrap();
    let verifier = back
        .query_pairs()
        .find(|(k, _)| k == "oauth_verifier")
        .unwrap()
        .1
        .into_owned();
    let leg3 = consumer.exchange(&p, &temporary, &verifier, T0 + 1);
    let access = flow::access_token(&p, &leg3.request()).await.unwrap();
    let call = consumer.sign(
        &p,
        endpoints::OAUTH1_USERINFO,
        &[("oauth_token", &access.oauth_token)],
        &access.oauth_token_secret,
        T0 + 2,
    );
    let claims = flow::userinfo(&p, &call.request()).await.unwrap();
    assert_eq!(claims["sub"], alice.id.as_str());
    // §2.3: the temporary credentials are exchanged once.
    let again = consumer.exchange(&p, &temporary, &verifier, T0 + 3);
    assert_eq!(
        problem(flow::access_token(&p, &again.request()).await),
        Problem::TokenUsed
    );
}

#[tokio::test]
async fn rfc5849_2_1_the_callback_must_be_registered_or_oob() {
    let (p, store, _) = testing::provider().await;
    let consumer = Consumer::registered(&store).await;
    let evil = consumer.sign(
        &p,
        endpoints::OAUTH1_REQUEST_TOKEN,
        &[("oauth_callback", "https://evil.example/cb")],
        "",
        T0,
    );
    assert_eq!(
        problem(flow::request_token(&p, &evil.request()).await),
        Problem::ParameterRejected
    );
    let none = consumer.sign(&p, endpoints::OAUTH1_REQUEST_TOKEN, &[], "", T0);
    assert_eq!(
        problem(flow::request_token(&p, &none.request()).await),
        Problem::ParameterAbsent
    );
    let temporary = consumer.temporary(&p, "oob").await;
    let alice = testing::user(&store, "alice").await;
    let shown = answered(&p, &temporary, &alice, true).await;
    assert!(matches!(shown, Answer::ShowVerifier(_)), "{shown:?}");
}

#[tokio::test]
async fn rfc5849_2_3_a_wrong_verifier_or_a_denial_gets_no_token_credentials() {
    let (p, store, _) = testing::provider().await;
    let consumer = Consumer::registered(&store).await;
    let alice = testing::user(&store, "alice").await;
    for allow in [true, false] {
        let temporary = consumer.temporary(&p, "oob").await;
        answered(&p, &temporary, &alice, allow).await;
        let leg3 = consumer.exchange(&p, &temporary, "guessed", T0);
        let expected = if allow {
            Problem::TokenRejected
        } else {
            Problem::PermissionDenied
        };
        assert_eq!(
            problem(flow::access_token(&p, &leg3.request()).await),
            expected
        );
    }
}

#[tokio::test]
async fn rfc5849_3_3_the_timestamp_must_be_near_and_the_nonce_new() {
    let (p, store, _) = testing::provider().await;
    let consumer = Consumer::registered(&store).await;
    let extra = [("oauth_callback", "oob")];
    let old = consumer.sign(
        &p,
        endpoints::OAUTH1_REQUEST_TOKEN,
        &extra,
        "",
        T0 - TIMESTAMP_WINDOW - 1,
    );
    let e = verify(&p, &old.request(), None).await.unwrap_err();
    assert_eq!(e.problem, Problem::TimestampRefused);
    let window = format!("{}-{}", T0 - TIMESTAMP_WINDOW, T0 + TIMESTAMP_WINDOW);
    assert_eq!(e.detail, Some(("oauth_acceptable_timestamps", window)));
    let once = consumer.sign(&p, endpoints::OAUTH1_REQUEST_TOKEN, &extra, "", T0);
    assert!(verify(&p, &once.request(), None).await.is_ok());
    assert_eq!(
        problem(verify(&p, &once.request(), None).await),
        Problem::NonceUsed
    );
}

#[tokio::test]
async fn rfc5849_3_4_a_signature_over_anything_else_is_signature_invalid() {
    let (p, store, _) = testing::provider().await;
    let consumer = Consumer::registered(&store).await;
    let signed = consumer.leg1(&p);
    // The same header presented at another endpoint: another base string URI.
    let moved = SignedRequest {
        path: endpoints::OAUTH1_ACCESS_TOKEN,
        ..signed.request()
    };
    assert_eq!(
        problem(verify(&p, &moved, None).await),
        Problem::SignatureInvalid
    );
    let forged = Consumer {
        key: "legacy",
        secret: Secret::generate(),
    };
    let bad = forged.leg1(&p);
    assert_eq!(
        problem(verify(&p, &bad.request(), None).await),
        Problem::SignatureInvalid
    );
}

#[tokio::test]
async fn rfc5849_3_2_unknown_consumers_and_clients_without_oauth1_are_refused() {
    let (p, store, _) = testing::provider().await;
    testing::register(&store, "web", true).await;
    for key in ["web", "nobody"] {
        let stranger = Consumer {
            key,
            secret: Secret::generate(),
        };
        let signed = stranger.sign(&p, endpoints::OAUTH1_REQUEST_TOKEN, &[], "", T0);
        assert_eq!(
            problem(verify(&p, &signed.request(), None).await),
            Problem::ConsumerKeyUnknown
        );
    }
}

#[tokio::test]
async fn rfc5849_3_5_a_protocol_parameter_sent_twice_is_rejected() {
    let (p, store, _) = testing::provider().await;
    let consumer = Consumer::registered(&store).await;
    let signed = consumer.leg1(&p);
    let twice = SignedRequest {
        query: "oauth_nonce=again",
        ..signed.request()
    };
    assert_eq!(
        problem(verify(&p, &twice, None).await),
        Problem::ParameterRejected
    );
    let missing = SignedRequest {
        authorization: None,
        ..signed.request()
    };
    assert_eq!(
        problem(verify(&p, &missing, None).await),
        Problem::ParameterAbsent
    );
}

#[tokio::test]
async fn rfc5849_3_2_an_expired_or_foreign_token_is_refused() {
    let (p, store, clock) = testing::provider().await;
    let consumer = Consumer::registered(&store).await;
    let temporary = consumer.temporary(&p, "oob").await;
    // Temporary credentials are not token credentials.
    let call = consumer.sign(
        &p,
        endpoints::OAUTH1_USERINFO,
        &[("oauth_token", &temporary.oauth_token)],
        &temporary.oauth_token_secret,
        T0,
    );
    assert_eq!(
        problem(verify(&p, &call.request(), Some(TokenKind::Access)).await),
        Problem::TokenRejected
    );
    clock.advance(super::TEMPORARY_TTL);
    let late = consumer.exchange(&p, &temporary, "v", p.now());
    assert_eq!(
        problem(flow::access_token(&p, &late.request()).await),
        Problem::TokenExpired
    );
}
