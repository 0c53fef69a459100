//! The authorization endpoint's rules in the order the specifications set them, and the
//! responses it builds, on the memory store.

use super::response::AuthorizationResponse;
use super::{AuthorizeError, flow::Next};
use crate::ErrorCode;
use crate::response_type::ResponseMode;
use crate::store::ClientStore;
use crate::testing::{self, CHALLENGE, REDIRECT_URI, answered, authorize, param, register};

const CODE: &str = "response_type=code&client_id=web&redirect_uri=https://app.example/cb";

/// The error rendered to the user (never redirected).
fn rendered(next: Result<Next, AuthorizeError>, says: &str) {
    match next {
        Err(AuthorizeError::Render(e)) => {
            assert_eq!(e.code, ErrorCode::InvalidRequest);
            assert!(e.description.contains(says), "{e}");
        }
        other => panic!("expected a rendered error, got {other:?}"),
    }
}

/// The error redirected to the client, with its `error` and words of its description.
fn redirected(
    next: Result<Next, AuthorizeError>,
    code: ErrorCode,
    says: &str,
) -> AuthorizationResponse {
    let Err(AuthorizeError::Redirect(r)) = next else {
        panic!("expected a redirected error, got {next:?}");
    };
    assert_eq!(param(&r, "error"), Some(code.as_str()), "{r:?}");
    assert!(
        param(&r, "error_description").unwrap().contains(says),
        "{r:?}"
    );
    r
}

#[tokio::test]
async fn rfc6749_4_1_2_1_an_unknown_client_is_rendered_never_redirected() {
    let (p, store, _) = testing::provider().await;
    register(&store, "web", true).await;
    let next = authorize(&p, &CODE.replace("client_id=web", "client_id=ghost"), None).await;
    rendered(next, "not registered");
    let next = authorize(
        &p,
        "response_type=code&redirect_uri=https://app.example/cb",
        None,
    )
    .await;
    rendered(next, "no client_id");
}

#[tokio::test]
async fn rfc6749_4_1_2_1_a_missing_or_unregistered_redirect_uri_is_rendered() {
    let (p, store, _) = testing::provider().await;
    register(&store, "web", true).await;
    let evil = CODE.replace("app.example", "evil.example") + "&scope=openid";
    rendered(
        authorize(&p, &evil, None).await,
        "redirect_uri is not registered",
    );
    let none = "response_type=code&client_id=web&scope=openid";
    rendered(authorize(&p, none, None).await, "no redirect_uri");
    // Checked before anything else: even a broken response_type is not redirected.
    let both = evil.replace("response_type=code", "response_type=magic");
    rendered(authorize(&p, &both, None).await, "redirect_uri");
}

#[tokio::test]
async fn rfc6749_4_1_2_1_response_type_errors_go_back_to_the_client_with_state_and_iss() {
    let (p, store, _) = testing::provider().await;
    register(&store, "web", true).await;
    let missing = "client_id=web&redirect_uri=https://app.example/cb&scope=openid&state=xyz";
    let r = redirected(
        authorize(&p, missing, None).await,
        ErrorCode::InvalidRequest,
        "required",
    );
    // RFC 6749 §4.1.2.1: state comes back; RFC 9207 §2: so does iss.
    assert_eq!(param(&r, "state"), Some("xyz"));
    assert_eq!(param(&r, "iss"), Some("https://id.test"));
    let unknown = format!("{missing}&response_type=magic");
    let code = ErrorCode::UnsupportedResponseType;
    redirected(authorize(&p, &unknown, None).await, code, "not supported");
}

#[tokio::test]
async fn oauth_multiple_response_types_5_tokens_never_travel_in_a_query() {
    let (p, store, _) = testing::provider().await;
    register(&store, "web", true).await;
    let q = CODE.replace("response_type=code", "response_type=id_token")
        + "&scope=openid&nonce=n&response_mode=query";
    let r = redirected(
        authorize(&p, &q, None).await,
        ErrorCode::InvalidRequest,
        "query",
    );
    assert_eq!(
        r.mode,
        ResponseMode::Query,
        "the error itself uses the requested mode"
    );
    let q = format!("{CODE}&scope=openid&response_mode=carrier_pigeon");
    redirected(
        authorize(&p, &q, None).await,
        ErrorCode::InvalidRequest,
        "response_mode",
    );
}

#[tokio::test]
async fn rfc7591_2_1_a_response_type_the_client_did_not_register_is_unauthorized_client() {
    let (p, store, _) = testing::provider().await;
    register(&store, "web", true).await;
    let mut web = store.get_client("web").await.unwrap().unwrap();
    web.metadata.response_types = vec!["code".into()];
    store.update_client(&web).await.unwrap();
    let q = CODE.replace("response_type=code", "response_type=id_token") + "&scope=openid&nonce=n";
    redirected(
        authorize(&p, &q, None).await,
        ErrorCode::UnauthorizedClient,
        "id_token",
    );
}

#[tokio::test]
async fn oidc_core_6_request_objects_are_refused_by_their_own_codes() {
    let (p, store, _) = testing::provider().await;
    register(&store, "web", true).await;
    let q = format!("{CODE}&scope=openid&request=eyJhbGciOiJub25lIn0.e30.");
    redirected(
        authorize(&p, &q, None).await,
        ErrorCode::RequestNotSupported,
        "request",
    );
    let q = format!("{CODE}&scope=openid&request_uri=https://app.example/r");
    redirected(
        authorize(&p, &q, None).await,
        ErrorCode::RequestUriNotSupported,
        "request_uri",
    );
}

#[tokio::test]
async fn rfc6749_3_3_the_scope_is_required_and_within_the_clients() {
    let (p, store, _) = testing::provider().await;
    register(&store, "web", true).await;
    redirected(
        authorize(&p, CODE, None).await,
        ErrorCode::InvalidScope,
        "required",
    );
    let q = format!("{CODE}&scope=openid+admin");
    redirected(
        authorize(&p, &q, None).await,
        ErrorCode::InvalidScope,
        "admin",
    );
}

#[tokio::test]
async fn rfc7636_4_4_1_public_clients_must_send_an_s256_challenge() {
    let (p, store, _) = testing::provider().await;
    register(&store, "spa", false).await;
    let q = CODE.replace("client_id=web", "client_id=spa") + "&scope=openid";
    redirected(
        authorize(&p, &q, None).await,
        ErrorCode::InvalidRequest,
        "PKCE",
    );
    // RFC 9700 §2.1.1: plain (or no method, which means plain) is refused.
    let plain = format!("{q}&code_challenge={CHALLENGE}&code_challenge_method=plain");
    redirected(
        authorize(&p, &plain, None).await,
        ErrorCode::InvalidRequest,
        "S256",
    );
    let implied = format!("{q}&code_challenge={CHALLENGE}");
    redirected(
        authorize(&p, &implied, None).await,
        ErrorCode::InvalidRequest,
        "S256",
    );
    let short = format!("{q}&code_challenge=abc&code_challenge_method=S256");
    redirected(
        authorize(&p, &short, None).await,
        ErrorCode::InvalidRequest,
        "43 characters",
    );
}

#[tokio::test]
async fn oidc_core_3_2_2_1_an_id_token_in_the_front_channel_needs_a_nonce_and_openid() {
    let (p, store, _) = testing::provider().await;
    register(&store, "web", true).await;
    // §3.2.2.1, §3.3.2.11: required exactly when this endpoint returns an ID token.
    for rt in [
        "id_token",
        "id_token+token",
        "code+id_token",
        "code+id_token+token",
    ] {
        let q =
            CODE.replace("response_type=code", &format!("response_type={rt}")) + "&scope=openid";
        let r = redirected(
            authorize(&p, &q, None).await,
            ErrorCode::InvalidRequest,
            "nonce",
        );
        assert_eq!(r.mode, ResponseMode::Fragment, "{rt}");
    }
    let implicit = CODE.replace("response_type=code", "response_type=id_token");
    let q = format!("{implicit}&scope=profile&nonce=n");
    redirected(
        authorize(&p, &q, None).await,
        ErrorCode::InvalidRequest,
        "openid",
    );
}

#[tokio::test]
async fn oidc_core_3_1_2_6_prompt_none_without_a_session_is_login_required() {
    let (p, store, _) = testing::provider().await;
    register(&store, "web", true).await;
    let q = format!("{CODE}&scope=openid&prompt=none&state=s");
    let r = redirected(
        authorize(&p, &q, None).await,
        ErrorCode::LoginRequired,
        "sign in",
    );
    assert_eq!(param(&r, "state"), Some("s"));
}

#[tokio::test]
async fn oidc_core_3_1_2_3_a_request_that_needs_the_user_is_parked_for_this_browser() {
    let (p, store, _) = testing::provider().await;
    register(&store, "web", true).await;
    let q = format!("{CODE}&scope=openid&state=s");
    let Ok(Next::Login(id)) = authorize(&p, &q, None).await else {
        panic!("expected the login page");
    };
    let (pending, _) = super::pending::load(&p, Some(&id), Some(testing::BROWSER))
        .await
        .unwrap();
    assert_eq!(pending.request.state.as_deref(), Some("s"));
    let elsewhere = super::pending::load(&p, Some(&id), Some("another browser")).await;
    assert!(matches!(
        elsewhere,
        Err(super::pending::PendingError::OtherBrowser)
    ));
    let none = super::pending::load(&p, Some(&id), None).await;
    assert!(matches!(
        none,
        Err(super::pending::PendingError::OtherBrowser)
    ));
}

#[tokio::test]
async fn rfc6749_4_1_2_a_signed_in_user_gets_a_code_with_state_and_iss_in_the_query() {
    let (p, store, _) = testing::provider().await;
    register(&store, "web", true).await;
    let alice = testing::user(&store, "alice").await;
    let session = testing::signed_in(&p, &alice).await;
    let q = format!("{CODE}&scope=openid&state=s%26t");
    let r = answered(authorize(&p, &q, Some(&session)).await);
    assert_eq!(r.mode, ResponseMode::Query);
    let location = r.location();
    assert!(
        location.starts_with(&format!("{REDIRECT_URI}?code=")),
        "{location}"
    );
    assert!(
        location.contains("&state=s%26t&iss=https%3A%2F%2Fid.test"),
        "{location}"
    );
}

#[tokio::test]
async fn oidc_core_3_1_2_2_a_claims_request_for_another_sub_is_not_answered_for_this_user() {
    let (p, store, _) = testing::provider().await;
    register(&store, "web", true).await;
    let alice = testing::user(&store, "alice").await;
    let session = testing::signed_in(&p, &alice).await;
    let claims = |sub: &str| {
        let value = format!(r#"{{"id_token":{{"sub":{{"value":"{sub}"}}}}}}"#);
        let encoded: String = url::form_urlencoded::byte_serialize(value.as_bytes()).collect();
        format!("{CODE}&scope=openid&prompt=none&claims={encoded}")
    };
    let r = answered(authorize(&p, &claims(&alice.id), Some(&session)).await);
    assert!(
        param(&r, "code").is_some(),
        "the session is the user asked for"
    );
    redirected(
        authorize(&p, &claims("usr_someone_else"), Some(&session)).await,
        ErrorCode::LoginRequired,
        "sign in",
    );
}

#[test]
fn oidc_core_5_5_a_claim_in_another_language_is_consented_to_as_the_claim() {
    let (p_scope, claims) = (
        crate::scope::Scopes::parse("openid email").unwrap(),
        crate::oidc::claims::ClaimsRequest {
            id_token: vec!["nickname#de".into(), "email#de".into(), "sub".into()],
            ..Default::default()
        },
    );
    let request = super::AuthorizationRequest {
        client_id: "web".into(),
        redirect_uri: REDIRECT_URI.into(),
        response_type: crate::response_type::ResponseType::parse("code").unwrap(),
        response_mode: ResponseMode::Query,
        scope: p_scope,
        state: None,
        nonce: None,
        code_challenge: None,
        prompt: Default::default(),
        max_age: None,
        login_hint: None,
        claims,
        id_token_hint_sub: None,
        acr: None,
    };
    assert_eq!(
        request.consent_items().to_string(),
        "openid email claim:nickname",
        "email is the scope's already; sub is not user data"
    );
}

#[tokio::test]
async fn oidc_core_3_1_2_1_display_takes_the_four_values() {
    let (p, store, _) = testing::provider().await;
    register(&store, "web", true).await;
    let alice = testing::user(&store, "alice").await;
    let session = testing::signed_in(&p, &alice).await;
    for display in ["page", "popup", "touch", "wap"] {
        let q = format!("{CODE}&scope=openid&display={display}");
        assert!(param(&answered(authorize(&p, &q, Some(&session)).await), "code").is_some());
    }
    let q = format!("{CODE}&scope=openid&display=fullscreen");
    redirected(
        authorize(&p, &q, Some(&session)).await,
        ErrorCode::InvalidRequest,
        "display must be one of page",
    );
}

#[tokio::test]
async fn oidc_core_3_3_2_11_code_token_needs_no_nonce_in_either_mode() {
    let (p, store, _) = testing::provider().await;
    register(&store, "web", true).await;
    let alice = testing::user(&store, "alice").await;
    let session = testing::signed_in(&p, &alice).await;
    let q = CODE.replace("response_type=code", "response_type=code+token") + "&scope=openid";
    for (extra, mode) in [
        ("", ResponseMode::Fragment),
        ("&response_mode=form_post", ResponseMode::FormPost),
    ] {
        let r = answered(authorize(&p, &format!("{q}{extra}"), Some(&session)).await);
        assert_eq!(r.mode, mode);
        assert!(param(&r, "code").is_some() && param(&r, "access_token").is_some());
        assert!(
            param(&r, "id_token").is_none(),
            "code token returns no ID token here"
        );
    }
}

#[tokio::test]
async fn oidc_core_3_3_2_5_hybrid_answers_in_the_fragment_with_a_code_and_tokens() {
    let (p, store, _) = testing::provider().await;
    register(&store, "web", true).await;
    let alice = testing::user(&store, "alice").await;
    let session = testing::signed_in(&p, &alice).await;
    let q = CODE.replace("response_type=code", "response_type=code+id_token+token")
        + "&scope=openid&nonce=n";
    let r = answered(authorize(&p, &q, Some(&session)).await);
    assert_eq!(r.mode, ResponseMode::Fragment);
    for name in [
        "code",
        "id_token",
        "access_token",
        "token_type",
        "expires_in",
        "iss",
    ] {
        assert!(param(&r, name).is_some(), "{name} in {r:?}");
    }
    assert!(r.location().starts_with(&format!("{REDIRECT_URI}#code=")));
    let form_post = format!("{q}&response_mode=form_post");
    let r = answered(authorize(&p, &form_post, Some(&session)).await);
    assert_eq!(r.mode, ResponseMode::FormPost);
}

#[test]
fn rfc6749_3_1_2_a_query_in_the_registered_redirect_uri_is_kept() {
    let r = AuthorizationResponse {
        redirect_uri: "https://app.example/cb?tenant=a".into(),
        mode: ResponseMode::Query,
        params: vec![("code", "c".into())],
    };
    assert_eq!(r.location(), "https://app.example/cb?tenant=a&code=c");
}
