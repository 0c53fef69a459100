//! Authorization responses (RFC 6749 §4.1.2, OIDC Core §3.2.2.5 and §3.3.2.5): what goes back,
//! with `state` and the RFC 9207 `iss`, in the requested response mode.

use super::AuthorizationRequest;
use crate::client::Client;
use crate::delegation::{CodeData, Delegation, StoredCode};
use crate::error::TokenError;
use crate::oidc::id_token::{self, IdTokenRequest};
use crate::provider::Provider;
use crate::response_type::ResponseMode;
use crate::secret::{SecretHash, random_token};
use crate::session::BrowserSession;
use crate::token::issue_access_token;
use crate::user::User;

/// Authorization codes live this long, in seconds (RFC 9700 §4.2.1: short).
pub const CODE_TTL: i64 = 60;

/// Where and how the client is answered, known once the client and redirect URI are trusted.
#[derive(Debug, Clone, PartialEq)]
pub struct ReturnPath {
    pub redirect_uri: String,
    pub mode: ResponseMode,
    pub state: Option<String>,
}

/// A response for the HTTP layer to deliver: a redirect (query or fragment) or an
/// auto-submitting form (form_post).
#[derive(Debug, Clone, PartialEq)]
pub struct AuthorizationResponse {
    pub redirect_uri: String,
    pub mode: ResponseMode,
    pub params: Vec<(&'static str, String)>,
}

impl AuthorizationResponse {
    fn new(back: &ReturnPath, issuer: &str, mut params: Vec<(&'static str, String)>) -> Self {
        if let Some(state) = &back.state {
            params.push(("state", state.clone()));
        }
        // RFC 9207 §2: on every response, success or error.
        params.push(("iss", issuer.to_owned()));
        Self {
            redirect_uri: back.redirect_uri.clone(),
            mode: back.mode,
            params,
        }
    }

    pub fn error(back: &ReturnPath, issuer: &str, error: &TokenError) -> Self {
        Self::new(
            back,
            issuer,
            vec![
                ("error", error.code.as_str().to_owned()),
                ("error_description", error.description.to_string()),
            ],
        )
    }

    /// The `Location` for query and fragment modes. A query already in the registered URI is
    /// kept (RFC 6749 §3.1.2).
    pub fn location(&self) -> String {
        let encoded = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(self.params.iter().map(|(k, v)| (*k, v.as_str())))
            .finish();
        match self.mode {
            ResponseMode::Fragment => format!("{}#{encoded}", self.redirect_uri),
            _ if self.redirect_uri.contains('?') => format!("{}&{encoded}", self.redirect_uri),
            _ => format!("{}?{encoded}", self.redirect_uri),
        }
    }

    pub fn is_error(&self) -> bool {
        self.params.iter().any(|(k, _)| *k == "error")
    }
}

/// Issues what the response type asks for to a signed-in user who has consented.
pub async fn issue(
    provider: &Provider,
    client: &Client,
    request: &AuthorizationRequest,
    user: &User,
    session: &BrowserSession,
) -> Result<AuthorizationResponse, TokenError> {
    let now = provider.now();
    let delegation = Delegation {
        delegation_id: random_token(16),
        client_id: client.client_id.clone(),
        user_id: user.id.clone(),
        scope: request.scope.clone(),
        auth_time: session.auth_time,
        sid: Some(session.sid.clone()),
        claims: request.claims.clone(),
        amr: session.amr.clone(),
    };
    let rt = request.response_type;
    let mut params = Vec::new();
    let mut code = None;
    if rt.code {
        let value = random_token(32);
        let stored = StoredCode {
            code_hash: SecretHash::of(&value),
            delegation: delegation.clone(),
            data: CodeData {
                redirect_uri: request.redirect_uri.clone(),
                code_challenge: request.code_challenge.clone(),
                nonce: request.nonce.clone(),
            },
            expires_at: now + CODE_TTL,
            used_at: None,
        };
        provider.store().insert_code(&stored).await?;
        params.push(("code", value.clone()));
        code = Some(value);
    }
    let mut access_token = None;
    if rt.token {
        let issued = issue_access_token(
            provider,
            client,
            &user.id,
            &delegation.scope,
            Some(&delegation),
        )
        .await?;
        params.push(("access_token", issued.token.clone()));
        params.push(("token_type", "Bearer".to_owned()));
        params.push(("expires_in", issued.expires_in.to_string()));
        params.push(("scope", delegation.scope.to_string()));
        access_token = Some(issued.token);
    }
    if rt.id_token {
        let token = id_token::issue(
            provider,
            client,
            user,
            &delegation,
            IdTokenRequest {
                nonce: request.nonce.as_deref(),
                access_token: access_token.as_deref(),
                code: code.as_deref(),
                // OIDC Core §5.4: with no access token to call UserInfo, the scope's claims
                // go in the ID token.
                scope_claims: !rt.token && !rt.code,
            },
        )
        .await?;
        params.push(("id_token", token));
    }
    Ok(AuthorizationResponse::new(
        &request.return_path(),
        &provider.settings().issuer,
        params,
    ))
}
