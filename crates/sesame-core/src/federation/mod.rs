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
        // Provisioned usernames are `<id>:<12 characters>`, within the 64 of a username.
        let ok_id = !self.id.is_empty()
            && self.id.len() <= 48
            && self
                .id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_'));
        if !ok_id {
            return Err("id: 1 to 48 letters, digits, - or _".into());
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
    let same_email: Vec<User> = match &identity.email {
        Some(email) => store
            .list_users()
            .await?
            .into_iter()
            .filter(|u| {
                u.claims
                    .email
                    .as_deref()
                    .is_some_and(|e| e.eq_ignore_ascii_case(email))
            })
            .collect(),
        None => Vec::new(),
    };
    if !same_email.is_empty() {
        // Linking by email hands an account to whoever controls the address upstream: only
        // when the connection is trusted, the upstream verified it, exactly one local account
        // has it and verified it too (no pre-registered trap), and that account has no other
        // identity at this provider (an address reassigned upstream is not the same person).
        let [existing] = same_email.as_slice() else {
            return Err(MappingError::EmailConflict);
        };
        let linked_here = store
            .list_linked_identities(&existing.id)
            .await?
            .iter()
            .any(|(c, _)| *c == connection.id);
        if !(connection.trust_email
            && identity.email_verified
            && existing.claims.email_verified == Some(true)
            && !linked_here)
        {
            return Err(MappingError::EmailConflict);
        }
        if existing.disabled {
            return Err(MappingError::Disabled);
        }
        if !store
            .link_identity(&connection.id, &identity.subject, &existing.id, now)
            .await?
        {
            return Err(MappingError::Invalid(
                "the identity was linked meanwhile; try again".into(),
            ));
        }
        return Ok(existing.clone());
    }
    let claims = StandardClaims {
        email: identity.email.clone(),
        // Verified only as far as this connection is trusted to say so.
        email_verified: identity
            .email
            .as_ref()
            .map(|_| connection.trust_email && identity.email_verified),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{FederationStore, UserStore};
    use crate::testing;

    fn corp(trust_email: bool) -> Connection {
        serde_json::from_value(serde_json::json!({
            "id": "corp", "kind": "oidc", "display_name": "Corp",
            "issuer": "https://idp.example", "client_id": "sesame", "trust_email": trust_email
        }))
        .unwrap()
    }

    fn from_upstream(subject: &str, email: &str) -> UpstreamIdentity {
        UpstreamIdentity {
            subject: subject.into(),
            email: Some(email.into()),
            email_verified: true,
            name: None,
        }
    }

    async fn local(
        store: &testing::MemoryStore,
        name: &str,
        email: &str,
        verified: Option<bool>,
    ) -> User {
        let claims = StandardClaims {
            email: Some(email.into()),
            email_verified: verified,
            ..Default::default()
        };
        let user = User::new(name, claims, testing::T0).unwrap();
        store.insert_user(&user).await.unwrap();
        user
    }

    #[tokio::test]
    async fn a_trusted_verified_email_links_only_a_verified_unique_unlinked_account() {
        let (provider, store, _) = testing::provider().await;
        // Someone registered the address without verifying it: no takeover.
        local(&store, "trap", "v@example.com", None).await;
        let e = map_identity(
            &provider,
            &corp(true),
            &from_upstream("s1", "v@example.com"),
        )
        .await;
        assert!(matches!(e, Err(MappingError::EmailConflict)));

        let owner = local(&store, "owner", "o@example.com", Some(true)).await;
        let linked = map_identity(
            &provider,
            &corp(true),
            &from_upstream("s2", "o@example.com"),
        )
        .await
        .unwrap();
        assert_eq!(linked.id, owner.id);
        // The same address under a new subject at the same provider: reassigned, refused.
        let e = map_identity(
            &provider,
            &corp(true),
            &from_upstream("s3", "o@example.com"),
        )
        .await;
        assert!(matches!(e, Err(MappingError::EmailConflict)));
        // Two local accounts with one address: ambiguous, refused.
        local(&store, "twin-a", "t@example.com", Some(true)).await;
        local(&store, "twin-b", "t@example.com", Some(true)).await;
        let e = map_identity(
            &provider,
            &corp(true),
            &from_upstream("s4", "t@example.com"),
        )
        .await;
        assert!(matches!(e, Err(MappingError::EmailConflict)));
    }

    #[tokio::test]
    async fn untrusted_connections_never_link_by_email_nor_vouch_for_it() {
        let (provider, store, _) = testing::provider().await;
        local(&store, "owner", "o@example.com", Some(true)).await;
        let e = map_identity(
            &provider,
            &corp(false),
            &from_upstream("s1", "o@example.com"),
        )
        .await;
        assert!(matches!(e, Err(MappingError::EmailConflict)));
        let made = map_identity(
            &provider,
            &corp(false),
            &from_upstream("s2", "new@example.com"),
        )
        .await
        .unwrap();
        assert_eq!(
            made.claims.email_verified,
            Some(false),
            "not vouched for by an untrusted provider"
        );
        assert!(made.username.starts_with("corp:"));
        let again = map_identity(
            &provider,
            &corp(false),
            &from_upstream("s2", "other@example.com"),
        )
        .await
        .unwrap();
        assert_eq!(again.id, made.id, "the link, not the email, finds the user");
        assert_eq!(
            store.list_linked_identities(&made.id).await.unwrap().len(),
            1
        );
    }
}
