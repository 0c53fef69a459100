//! RFC 7515 §4.1.11: a JWS whose `crit` header names an extension Sesame does not implement is
//! refused wherever Sesame accepts a JWS, even when signed by Sesame's own key (client assertions:
//! `client_auth.rs`; upstream ID tokens: the core's federation tests).

use crate::helpers::{TestApp, spawn_app};
use crate::interaction::{Browser, REDIRECT, alice, web_client};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};
use sesame_core::client::AuthMethod;
use sesame_core::keys::Algorithm;

/// An ID token for `web` about `sub`, signed by the server's RS256 key with `extra` header members.
fn id_token(app: &TestApp, sub: &str, extra: Value) -> String {
    let ring = app.provider.key_ring();
    let signer = ring.signer(Algorithm::RS256).unwrap();
    let mut header = json!({"alg": "RS256", "typ": "JWT", "kid": signer.kid()});
    for (k, v) in extra.as_object().unwrap() {
        header[k] = v.clone();
    }
    let now = jsonwebtoken::get_current_timestamp();
    let claims = json!({"iss": app.base, "sub": sub, "aud": "web", "azp": "web",
        "iat": now, "exp": now + 300, "auth_time": now});
    let input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(claims.to_string())
    );
    let sig = signer.sign(input.as_bytes()).unwrap();
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(sig))
}

#[tokio::test]
async fn rfc7515_4_1_11_an_id_token_hint_with_a_critical_extension_is_refused() {
    let app = spawn_app().await;
    let sub = alice(&app).await;
    web_client(&app, "web", AuthMethod::ClientSecretBasic, |_| {}).await;
    let browser = Browser::new(&app);
    let authorize = |hint: String| {
        let browser = &browser;
        async move {
            browser
                .authorize(&[
                    ("client_id", "web"),
                    ("redirect_uri", REDIRECT),
                    ("response_type", "code"),
                    ("scope", "openid"),
                    ("id_token_hint", &hint),
                ])
                .await
        }
    };
    let good = authorize(id_token(&app, &sub, json!({}))).await;
    assert!(
        good.location.as_deref().unwrap().contains("/login?id="),
        "the hand-signed hint itself is good: {:?}",
        good.location
    );
    let crit = json!({"crit": ["https://example.com/ext"], "https://example.com/ext": 1});
    let refused = authorize(id_token(&app, &sub, crit.clone())).await;
    assert_eq!(refused.param("error").as_deref(), Some("invalid_request"));
    assert!(
        refused
            .param("error_description")
            .unwrap()
            .contains("id_token_hint")
    );
    // RP-Initiated Logout reads the same hints the same way.
    let hint = id_token(&app, &sub, crit);
    let query = crate::helpers::serde_urlencoded(&[("id_token_hint", &hint)]);
    let logout = browser.get(&format!("/logout?{query}")).await;
    assert_eq!(logout.status, 400, "{}", logout.body);
}
