//! Browser sessions: single sign-on across clients and nodes. The cookie holds a random value;
//! the store keeps only its SHA-256, so a database leak does not hand out sessions. Every sign-in
//! starts a new session with a new value, so a value planted before login is worth nothing after
//! it; a session counts only while its user may still sign in.

use crate::provider::Provider;
use crate::secret::{Secret, SecretHash, random_token};
use crate::store::StoreError;
use crate::user::{User, active_user};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BrowserSession {
    /// The public session id put in ID tokens (`sid`); not the cookie value.
    pub sid: String,
    pub user_id: String,
    pub auth_time: i64,
    pub expires_at: i64,
    /// How the user signed in (RFC 8176 values: `pwd`, `otp`, `mfa`); empty for an upstream
    /// provider's sign-in, which says nothing Sesame can vouch for.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub amr: Vec<String>,
}

/// A session the browser presented: the row and the key it is stored under.
#[derive(Debug, Clone, PartialEq)]
pub struct Presented {
    pub session: BrowserSession,
    pub key: SecretHash,
}

/// The unexpired session whose cookie value this is, whoever its user is now (logout ends even
/// a disabled user's session).
pub async fn find(
    provider: &Provider,
    cookie: Option<&str>,
) -> Result<Option<Presented>, StoreError> {
    let Some(value) = cookie else {
        return Ok(None);
    };
    let key = SecretHash::of(value);
    let session = provider.store().get_session(&key).await?;
    Ok(session
        .filter(|s| s.expires_at > provider.now())
        .map(|session| Presented { session, key }))
}

/// The session and its user, if the user may still sign in: who the browser is signed in as.
pub async fn signed_in(
    provider: &Provider,
    cookie: Option<&str>,
) -> Result<Option<(BrowserSession, User)>, StoreError> {
    let Some(found) = find(provider, cookie).await? else {
        return Ok(None);
    };
    let user = active_user(provider.store(), &found.session.user_id).await?;
    Ok(user.map(|u| (found.session, u)))
}

/// Starts a session for `user_id`, signed in by `amr`: the row, and the cookie value to hand
/// to the browser (the only time it exists outside the browser).
pub async fn start(
    provider: &Provider,
    user_id: &str,
    amr: Vec<String>,
) -> Result<(BrowserSession, Secret), StoreError> {
    let now = provider.now();
    let value = Secret::generate();
    let session = BrowserSession {
        sid: random_token(16),
        user_id: user_id.to_owned(),
        auth_time: now,
        expires_at: now + provider.settings().session_ttl,
        amr,
    };
    provider
        .store()
        .insert_session(&value.hash(), &session)
        .await?;
    Ok((session, value))
}

pub async fn end(provider: &Provider, key: &SecretHash) -> Result<(), StoreError> {
    provider.store().delete_session(key).await
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::UserStore;
    use crate::testing::{self, T0};

    #[tokio::test]
    async fn a_session_is_found_by_its_cookie_until_it_expires() {
        let (provider, store, clock) = testing::provider().await;
        let user = User::new("alice", Default::default(), T0).unwrap();
        store.insert_user(&user).await.unwrap();
        let (session, cookie) = start(&provider, &user.id, vec!["pwd".into()])
            .await
            .unwrap();
        assert_eq!(session.auth_time, T0);
        let found = find(&provider, Some(cookie.expose()))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(found.session, session);
        assert_eq!(
            found.key,
            cookie.hash(),
            "stored under the hash, not the value"
        );
        assert!(find(&provider, Some("forged")).await.unwrap().is_none());
        assert!(find(&provider, None).await.unwrap().is_none());
        clock.advance(provider.settings().session_ttl);
        assert!(
            find(&provider, Some(cookie.expose()))
                .await
                .unwrap()
                .is_none()
        );
    }

    #[tokio::test]
    async fn every_start_is_a_new_session_and_end_ends_it() {
        let (provider, store, _) = testing::provider().await;
        let user = User::new("alice", Default::default(), T0).unwrap();
        store.insert_user(&user).await.unwrap();
        let (a, first) = start(&provider, &user.id, vec!["pwd".into()])
            .await
            .unwrap();
        let (b, second) = start(&provider, &user.id, vec!["pwd".into()])
            .await
            .unwrap();
        assert_ne!((a.sid, first.expose()), (b.sid, second.expose()));
        end(&provider, &first.hash()).await.unwrap();
        assert!(
            find(&provider, Some(first.expose()))
                .await
                .unwrap()
                .is_none()
        );
        assert!(
            signed_in(&provider, Some(second.expose()))
                .await
                .unwrap()
                .is_some()
        );
    }

    #[tokio::test]
    async fn a_disabled_users_session_signs_no_one_in_but_can_be_found_to_end_it() {
        let (provider, store, _) = testing::provider().await;
        let mut user = User::new("alice", Default::default(), T0).unwrap();
        store.insert_user(&user).await.unwrap();
        let (_, cookie) = start(&provider, &user.id, vec!["pwd".into()])
            .await
            .unwrap();
        user.disabled = true;
        store.update_user(&user).await.unwrap();
        assert!(
            signed_in(&provider, Some(cookie.expose()))
                .await
                .unwrap()
                .is_none()
        );
        assert!(
            find(&provider, Some(cookie.expose()))
                .await
                .unwrap()
                .is_some()
        );
    }
}
