//! "Log in with another provider": upstream OpenID Connect providers and OAuth 2.0 providers with
//! a userinfo API. The HTTP layer talks to the upstream; this module holds the connections, the
//! single-use state of a round trip, and the rules that map an upstream identity to a user.

use crate::error::TokenError;
use crate::provider::Provider;
use crate::secret::random_token;
use crate::store::StoreError;
use crate::user::{StandardClaims, User};
use serde::{Deserialize, Serialize};

/// A round trip to the upstream must come back within this many seconds.
pub const STATE_TTL: i64 = 600;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ConnectionKind {
    /// Endpoints and keys by OpenID Connect Discovery; identity from the validated ID token.
    Oidc,
    /// Endpoints configured; identity from the userinfo API through a claim mapping.
    Oauth2,
}

/// An upstream identity provider, as configured (`[[connections]]`) or made by the CLI. The
/// client secret is kept apart, sealed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Connection {
    /// Used in `/federation/{id}/start` and `/callback`.
    pub id: String,
    pub kind: ConnectionKind,
    /// The login page shows "Continue with <display_name>".
    pub display_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issuer: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorization_endpoint: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_endpoint: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub userinfo_endpoint: Option<String>,
    pub client_id: String,
    #[serde(default)]
    pub scopes: Vec<String>,
    /// Link to an existing account with the same verified email.
    #[serde(default)]
    pub trust_email: bool,
    /// oauth2 kind: which userinfo fields hold the subject, the email and the name.
    #[serde(default = "default_subject")]
    pub subject_claim: String,
    #[serde(default = "default_email")]
    pub email_claim: String,
    #[serde(default = "default_name")]
    pub name_claim: String,
}

fn default_subject() -> String {
    "sub".into()
}
fn default_email() -> String {
    "email".into()
}
fn default_name() -> String {
    "name".into()
}

impl Connection {
    /// What a connection needs for its kind; the message names the field.
    pub fn validate(&self) -> Result<(), String> {
        let ok_id = !self.id.is_empty()
            && self.id.len() <= 64
            && self
                .id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_'));
        if !ok_id {
            return Err("id: 1 to 64 letters, digits, - or _".into());
        }
        let url = |name: &str, value: &Option<String>| -> Result<(), String> {
            match value {
                Some(v)
                    if url::Url::parse(v).is_ok_and(|u| matches!(u.scheme(), "https" | "http")) =>
                {
                    Ok(())
                }
                Some(_) => Err(format!("{name}: not an http(s) URL")),
                None => Err(format!("{name}: required for kind {:?}", self.kind).to_lowercase()),
            }
        };
        match self.kind {
            ConnectionKind::Oidc => url("issuer", &self.issuer),
            ConnectionKind::Oauth2 => {
                url("authorization_endpoint", &self.authorization_endpoint)?;
                url("token_endpoint", &self.token_endpoint)?;
                url("userinfo_endpoint", &self.userinfo_endpoint)
            }
        }
    }
}

/// One round trip to the upstream, bound to the browser and the pending authorization.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FederationState {
    pub state: String,
    pub connection_id: String,
    pub pending_id: String,
    /// base64url SHA-256 of the browser cookie (as for pending authorizations).
    pub browser: String,
    pub nonce: String,
    pub code_verifier: String,
    pub expires_at: i64,
}

impl FederationState {
    pub fn new(connection_id: &str, pending_id: &str, browser: String, now: i64) -> Self {
        Self {
            state: random_token(24),
            connection_id: connection_id.to_owned(),
            pending_id: pending_id.to_owned(),
            browser,
            nonce: random_token(24),
            code_verifier: random_token(48),
            expires_at: now + STATE_TTL,
        }
    }
}

/// Who the upstream says the user is.
#[derive(Debug, Clone, PartialEq)]
pub struct UpstreamIdentity {
    pub subject: String,
    pub email: Option<String>,
    pub email_verified: bool,
    pub name: Option<String>,
}

/// Why an upstream identity cannot sign in; shown on a page.
#[derive(Debug, thiserror::Error)]
pub enum MappingError {
    #[error(
        "an account with this email address already exists; sign in with your password, or ask an administrator to link the accounts"
    )]
    EmailConflict,
    #[error("this account is disabled")]
    Disabled,
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{0}")]
    Invalid(String),
}

/// Maps an upstream identity to a Sesame user: the linked one; else, when the connection trusts
/// upstream emails, the user with that verified email (linked now); else a new user created with
/// the link in one step, so a failure never leaves half a user.
pub async fn map_identity(
    provider: &Provider,
    connection: &Connection,
    identity: &UpstreamIdentity,
) -> Result<User, MappingError> {
    let store = provider.store();
    if let Some(user_id) = store
        .find_linked_user(&connection.id, &identity.subject)
        .await?
    {
        return match store.get_user(&user_id).await? {
            Some(user) if !user.disabled => Ok(user),
            Some(_) => Err(MappingError::Disabled),
            None => Err(MappingError::Invalid(
                "the linked account no longer exists".into(),
            )),
        };
    }
    let now = provider.now();
    let same_email = match &identity.email {
        Some(email) => store.list_users().await?.into_iter().find(|u| {
            u.claims
                .email
                .as_deref()
                .is_some_and(|e| e.eq_ignore_ascii_case(email))
        }),
        None => None,
    };
    if let Some(existing) = same_email {
        if !(connection.trust_email && identity.email_verified) {
            return Err(MappingError::EmailConflict);
        }
        if existing.disabled {
            return Err(MappingError::Disabled);
        }
        store
            .link_identity(&connection.id, &identity.subject, &existing.id, now)
            .await?;
        return Ok(existing);
    }
    let claims = StandardClaims {
        email: identity.email.clone(),
        email_verified: identity.email.as_ref().map(|_| identity.email_verified),
        name: identity.name.clone(),
        ..Default::default()
    };
    // A username that says where the account came from and cannot collide with a typed one.
    let username = format!("{}:{}", connection.id, random_token(9));
    let user = User::new(&username, claims, now).map_err(|e| MappingError::Invalid(e.0))?;
    if !store
        .create_linked_user(&user, &connection.id, &identity.subject, now)
        .await?
    {
        return Err(MappingError::Invalid(
            "the account could not be created; try again".into(),
        ));
    }
    Ok(user)
}

impl From<MappingError> for TokenError {
    fn from(e: MappingError) -> Self {
        match e {
            MappingError::Store(s) => s.into(),
            other => TokenError::invalid_request(other.to_string()),
        }
    }
}
