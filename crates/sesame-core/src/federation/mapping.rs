//! Who an upstream identity is here: the linked user, an existing user with the same verified
//! email (only where the connection is trusted to say so), or a new user made with its link.

use super::upstream::UpstreamError;
use super::{Connection, ConnectionKind};
use crate::error::TokenError;
use crate::provider::Provider;
use crate::secret::random_token;
use crate::store::StoreError;
use crate::user::{StandardClaims, User};
use serde_json::Value;

/// Who the upstream says the user is.
#[derive(Debug, Clone, PartialEq)]
pub struct UpstreamIdentity {
    pub subject: String,
    pub email: Option<String>,
    pub email_verified: bool,
    pub name: Option<String>,
}

impl UpstreamIdentity {
    /// Reads the identity from what the upstream said: the standard claim names for OpenID
    /// Connect (OIDC Core §5.1), the connection's claim mapping for an OAuth 2.0 API.
    pub fn from_claims(c: &Connection, claims: &Value) -> Result<Self, UpstreamError> {
        let (sub, email, name) = match c.kind {
            ConnectionKind::Oidc => ("sub", "email", "name"),
            ConnectionKind::Oauth2 => (
                c.subject_claim.as_str(),
                c.email_claim.as_str(),
                c.name_claim.as_str(),
            ),
        };
        let subject = match claims.get(sub) {
            Some(Value::String(s)) => s.clone(),
            // OAuth 2.0 APIs often number their users (GitHub's `id`): compared as text.
            Some(Value::Number(n)) if c.kind == ConnectionKind::Oauth2 => n.to_string(),
            _ => {
                return Err(UpstreamError::Protocol(format!(
                    "the identity has no {sub}"
                )));
            }
        };
        // OIDC Core §2: `sub` is at most 255 ASCII characters; an empty one would merge users.
        if subject.is_empty() || subject.len() > 255 {
            return Err(UpstreamError::Protocol(
                "the subject identifier is empty or too long".into(),
            ));
        }
        let text = |name: &str| claims.get(name).and_then(Value::as_str).map(str::to_owned);
        Ok(Self {
            subject,
            email: text(email),
            // Only an explicit `email_verified: true` counts.
            email_verified: claims
                .get("email_verified")
                .and_then(Value::as_bool)
                .unwrap_or(false),
            name: text(name),
        })
    }
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
            Some(user) if user.may_sign_in() => Ok(user),
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
        if !existing.may_sign_in() {
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
    use crate::federation::Connection;
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
