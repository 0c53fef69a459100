//! Sesame as a client of itself: the demo's application (`/demo`) and the admin console
//! (`/admin`) sign people in with an authorization code flow with PKCE as public first-party
//! clients, and redeem the code at the token endpoint's own logic, in-process. The state and
//! the PKCE verifier wait in a cookie between the start and the callback.

use super::error::PageError;
use crate::state::AppState;
use axum::http::{HeaderMap, HeaderValue};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use sesame_core::client_auth::Caller;
use sesame_core::error::TokenError;
use sesame_core::params::Params;
use sesame_core::secret::{SecretHash, random_token};
use sesame_core::token::TokenResponse;
use std::collections::BTreeMap;
use std::net::IpAddr;
use subtle::ConstantTimeEq;

/// A first-party client of Sesame: public (PKCE), the code flow to `callback` under the
/// issuer, `openid` only, no consent page (it is Sesame's own). Registered at every start.
pub fn client(
    client_id: &str,
    name: &str,
    issuer: &str,
    callback: &str,
) -> sesame_core::client::Client {
    use sesame_core::client::{AuthMethod, Client, ClientMetadata, GrantType};
    use sesame_core::clock::{Clock, SystemClock};
    let now = SystemClock.now();
    Client {
        client_id: client_id.to_owned(),
        secret_hash: None,
        metadata: ClientMetadata {
            client_name: Some(name.to_owned()),
            redirect_uris: vec![format!("{}{callback}", issuer.trim_end_matches('/'))],
            grant_types: vec![GrantType::AuthorizationCode],
            response_types: vec!["code".to_owned()],
            token_endpoint_auth_method: AuthMethod::None,
            scope: sesame_core::scope::Scopes::from_tokens(["openid".to_owned()]),
            skip_consent: true,
            ..Default::default()
        },
        created_at: now,
        updated_at: now,
    }
}

/// Seconds a sign-in may take between the start and the callback.
const FLOW_AGE: i64 = 600;

/// One first-party client and where its flow starts and returns.
pub struct FirstParty {
    pub client_id: &'static str,
    pub scope: &'static str,
    /// The page that starts the flow (named in the messages when it must start again).
    pub start: &'static str,
    pub callback: &'static str,
    /// The cookie that holds `state.verifier` meanwhile.
    pub cookie: &'static str,
}

/// An authorization request ready to send: the URL, its parameters (for a page that shows
/// them), and the cookie to set.
pub struct Started {
    pub authorize_url: String,
    pub params: Vec<(&'static str, String)>,
    pub cookie: HeaderValue,
}

impl FirstParty {
    /// A new state and PKCE verifier; `max_age` asks for a sign-in that recent (OIDC Core
    /// §3.1.2.1).
    pub fn start(&self, state: &AppState, max_age: Option<i64>) -> Started {
        let settings = state.provider.settings();
        let (flow_state, verifier) = (random_token(16), random_token(32));
        let challenge = URL_SAFE_NO_PAD.encode(SecretHash::of(&verifier).0);
        let mut params = vec![
            ("client_id", self.client_id.to_owned()),
            ("response_type", "code".to_owned()),
            ("scope", self.scope.to_owned()),
            ("redirect_uri", settings.endpoint(self.callback)),
            ("state", flow_state.clone()),
            ("code_challenge", challenge),
            ("code_challenge_method", "S256".to_owned()),
        ];
        if let Some(age) = max_age {
            params.push(("max_age", age.to_string()));
        }
        let query = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(params.iter().map(|(k, v)| (*k, v.as_str())))
            .finish();
        let authorize = settings.endpoint(sesame_core::endpoints::AUTHORIZE);
        Started {
            authorize_url: format!("{authorize}?{query}"),
            params,
            cookie: state
                .cookies
                .set(self.cookie, &format!("{flow_state}.{verifier}"), FLOW_AGE),
        }
    }

    /// [`FirstParty::start`] as the answer: a redirect to `/authorize`, the flow's cookie set.
    pub fn redirect(&self, state: &AppState, max_age: Option<i64>) -> axum::response::Response {
        let started = self.start(state, max_age);
        let mut response = super::respond::see_other(&started.authorize_url);
        response
            .headers_mut()
            .append(axum::http::header::SET_COOKIE, started.cookie);
        response
    }

    /// The code the callback received and the verifier this browser kept, once the state that
    /// came back is checked to be the one it sent (RFC 6749 §10.12).
    pub fn returned(
        &self,
        state: &AppState,
        headers: &HeaderMap,
        query: &BTreeMap<String, String>,
    ) -> Result<(String, String), PageError> {
        let start = state.provider.settings().endpoint(self.start);
        let remembered = state.cookies.get(headers, self.cookie);
        let (Some((flow_state, verifier)), Some(code), Some(returned)) = (
            remembered.as_deref().and_then(|c| c.split_once('.')),
            query.get("code"),
            query.get("state"),
        ) else {
            return Err(PageError::BadRequest(format!(
                "This page is where a sign-in returns to. Start it at {start}."
            )));
        };
        if !bool::from(returned.as_bytes().ct_eq(flow_state.as_bytes())) {
            return Err(PageError::BadRequest(format!(
                "The sign-in that came back is not the one this browser started. Start again at \
                 {start}."
            )));
        }
        Ok((code.clone(), verifier.to_owned()))
    }

    /// The token request the client makes for `code`.
    pub fn token_request(
        &self,
        state: &AppState,
        code: &str,
        verifier: &str,
    ) -> Vec<(&'static str, String)> {
        vec![
            ("grant_type", "authorization_code".to_owned()),
            ("code", code.to_owned()),
            (
                "redirect_uri",
                state.provider.settings().endpoint(self.callback),
            ),
            ("client_id", self.client_id.to_owned()),
            ("code_verifier", verifier.to_owned()),
        ]
    }

    /// The token endpoint's answer to `request`, from a browser at `address`.
    pub async fn redeem(
        &self,
        state: &AppState,
        address: IpAddr,
        request: &[(&'static str, String)],
    ) -> Result<TokenResponse, TokenError> {
        let body = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(request.iter().map(|(k, v)| (*k, v.as_str())))
            .finish();
        let params = Params::parse(body.as_bytes())?;
        let caller = Caller {
            authorization: None,
            address,
        };
        let (tokens, _) = sesame_core::token::exchange(&state.provider, caller, params).await?;
        Ok(tokens)
    }

    /// At the callback: the code redeemed, and the user of this browser's session, who the ID
    /// token says signed in. Every way this fails is a page saying where to start again.
    pub async fn signed_in_user(
        &self,
        state: &AppState,
        address: IpAddr,
        browser: &super::browser::Browser,
        headers: &HeaderMap,
        query: &BTreeMap<String, String>,
    ) -> Result<sesame_core::user::User, PageError> {
        let start = state.provider.settings().endpoint(self.start);
        if let Some(error) = query.get("error") {
            // Only a code of RFC 6749's shape is shown: the query is anyone's to write.
            let code = Some(error.as_str())
                .filter(|e| e.len() <= 40 && e.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'))
                .unwrap_or("an error");
            return Err(PageError::BadRequest(format!(
                "Signing in did not finish ({code}). Start again at {start}."
            )));
        }
        let (code, verifier) = self.returned(state, headers, query)?;
        let request = self.token_request(state, &code, &verifier);
        let tokens = self
            .redeem(state, address, &request)
            .await
            .map_err(PageError::from)?;
        // The ID token came straight from the token logic: its subject is who signed in.
        let subject = tokens
            .id_token
            .as_deref()
            .and_then(payload)
            .and_then(|claims| claims["sub"].as_str().map(str::to_owned));
        let signed_in = sesame_core::session::signed_in(&state.provider, browser.session())
            .await
            .map_err(|e| PageError::Unavailable(e.to_string()))?;
        let Some((_, user)) = signed_in else {
            return Err(PageError::BadRequest(
                "This browser's session ended while signing in. Sign in again.".into(),
            ));
        };
        if subject.as_deref() != Some(user.id.as_str()) {
            return Err(PageError::BadRequest(
                "The sign-in belongs to another session of this browser. Sign in again.".into(),
            ));
        }
        Ok(user)
    }

    /// The cookie cleared: a reload must not redeem the code again.
    pub fn forget(&self, state: &AppState) -> HeaderValue {
        state.cookies.set(self.cookie, "", 0)
    }
}

/// The claims of a JWT, decoded for reading (it came straight from the token logic).
pub fn payload(jwt: &str) -> Option<serde_json::Value> {
    let part = jwt.split('.').nth(1)?;
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).ok()?).ok()
}
