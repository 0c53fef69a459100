//! Signing in with a username and password, shared by the login page, the device page, the
//! OAuth 1.0a approval page and the password grant. After repeated failures an account is locked
//! for a while, on every node at once (the counts live in the store). Unknown usernames are
//! counted and timed the same way, so the answer never tells which accounts exist.

use crate::events::{Event, Guess, Refusal};
use crate::provider::Provider;
use crate::store::StoreError;
use crate::throttle::{self, Locked, Target};
use crate::user::User;
use std::net::IpAddr;
use std::sync::LazyLock;

/// Why a sign-in was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LoginFailure {
    /// Wrong username or password; the caller must not say which.
    Invalid,
    /// Too many failures: refused until then.
    Locked { until: i64 },
    /// The password was right but the account is disabled. Pages answer it exactly as
    /// [`LoginFailure::Invalid`]; it is told apart for the log and the audit only.
    Disabled,
    /// The password was right, but this sign-in also needs a second factor, which the caller
    /// cannot ask for ([`authenticate_password_only`]).
    NeedsSecondFactor,
    /// Every password check is taken: try again in a few seconds (nothing was counted).
    Busy,
}

/// An argon2id hash of a random password, checked when the username is unknown so the answer
/// takes as long as for a real account.
static DECOY_HASH: LazyLock<String> = LazyLock::new(|| {
    crate::password::hash_password(&crate::secret::random_token(16)).unwrap_or_default()
});

/// Checks a username and password from a client at `address`, throttled per account and per
/// address (`crate::throttle`): the attempt is counted before the hash is checked, a right
/// password on an enabled account gives it back, and a disabled account counts like a wrong
/// password (its page answers the same, so the answer never confirms a password).
pub async fn authenticate(
    provider: &Provider,
    address: IpAddr,
    username: &str,
    password: &str,
) -> Result<Result<User, LoginFailure>, StoreError> {
    let checked = check(provider, address, username, password).await?;
    if let Ok(user) = &checked {
        provider.record(Event::SignedIn {
            user_id: user.id.clone(),
            address,
        });
    }
    Ok(checked)
}

/// [`authenticate`] but for the record of a success, which the caller makes (or does not).
async fn check(
    provider: &Provider,
    address: IpAddr,
    username: &str,
    password: &str,
) -> Result<Result<User, LoginFailure>, StoreError> {
    let username = username.trim();
    let account = username.to_lowercase();
    let refused = |why, user_id: Option<&str>| {
        provider.record(Event::SignInRefused {
            account: account.clone(),
            why,
            user_id: user_id.map(str::to_owned),
            address,
        })
    };
    let targets = [Target::Account(&account), Target::PasswordsFrom(address)];
    let attempt = match throttle::attempt(provider, Guess::Password, &targets).await? {
        Ok(attempt) => attempt,
        Err(Locked { until }) => {
            refused(Refusal::Locked, None);
            return Ok(Err(LoginFailure::Locked { until }));
        }
    };
    let user = provider.store().get_user_by_username(username).await?;
    let hash = user
        .as_ref()
        .and_then(|u| u.password_hash.clone())
        .unwrap_or_else(|| DECOY_HASH.clone());
    let Ok(verified) = provider.passwords().verify(hash, password.to_owned()).await else {
        attempt.abandoned(provider).await?;
        return Ok(Err(LoginFailure::Busy));
    };
    let why = match &user {
        Some(user) if verified && user.may_sign_in() => {
            attempt.succeeded(provider).await?;
            return Ok(Ok(user.clone()));
        }
        Some(_) if verified => Refusal::Disabled,
        _ => Refusal::Invalid,
    };
    refused(why, user.as_ref().map(|u| u.id.as_str()));
    let lock = attempt.failed(provider).await?;
    Ok(Err(match (lock, why) {
        (Some(until), _) => LoginFailure::Locked { until },
        (None, Refusal::Disabled) => LoginFailure::Disabled,
        (None, _) => LoginFailure::Invalid,
    }))
}

/// [`authenticate`] for what can ask for nothing but a password (the device and OAuth 1.0a
/// approval pages, the password grant): a user who enrolled a second factor, or a sign-in
/// that must use one, is refused, and only once the password was right, so the refusal tells
/// nothing to whoever does not know it.
pub async fn authenticate_password_only(
    provider: &Provider,
    address: IpAddr,
    username: &str,
    password: &str,
    client_requires_mfa: bool,
) -> Result<Result<User, LoginFailure>, StoreError> {
    let user = match check(provider, address, username, password).await? {
        Ok(user) => user,
        Err(failure) => return Ok(Err(failure)),
    };
    let has_factor = !provider.store().list_factors(&user.id).await?.is_empty();
    if has_factor || client_requires_mfa || provider.settings().require_mfa {
        provider.record(Event::SignInRefused {
            account: username.trim().to_lowercase(),
            why: Refusal::NeedsSecondFactor,
            user_id: Some(user.id),
            address,
        });
        return Ok(Err(LoginFailure::NeedsSecondFactor));
    }
    provider.record(Event::SignedIn {
        user_id: user.id.clone(),
        address,
    });
    Ok(Ok(user))
}

/// When a lock ends, in words: "in 1 minute", "in 15 minutes" (rounded up).
pub fn retry_in(until: i64, now: i64) -> String {
    let minutes = ((until - now).max(1) + 59) / 60;
    format!("in {minutes} minute{}", if minutes == 1 { "" } else { "s" })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::UserStore;
    use crate::testing::{self, ADDRESS, PASSWORD, T0};
    use std::net::Ipv4Addr;

    async fn alice(store: &testing::MemoryStore, disabled: bool) {
        let mut alice = testing::user(store, "alice").await;
        alice.disabled = disabled;
        store.update_user(&alice).await.unwrap();
    }

    /// From a different address each time, so only the account's own limit is met.
    fn elsewhere(i: u8) -> IpAddr {
        IpAddr::V4(Ipv4Addr::new(198, 51, 100, i))
    }

    #[tokio::test]
    async fn the_fifth_failure_locks_the_account_for_30_seconds_even_against_the_right_password() {
        let (provider, store, clock, events) = testing::provider_with_recorder().await;
        alice(&store, false).await;
        for i in 1..5 {
            let r = authenticate(&provider, elsewhere(i), "alice", "wrong")
                .await
                .unwrap();
            assert_eq!(r.unwrap_err(), LoginFailure::Invalid);
        }
        let r = authenticate(&provider, elsewhere(5), "ALICE", "wrong")
            .await
            .unwrap();
        let until = T0 + 30;
        assert_eq!(r.unwrap_err(), LoginFailure::Locked { until });
        let r = authenticate(&provider, ADDRESS, "alice", PASSWORD).await;
        assert_eq!(r.unwrap().unwrap_err(), LoginFailure::Locked { until });
        let recorded = events.take();
        let locks: Vec<&Event> = recorded
            .iter()
            .filter(|e| matches!(e, Event::Locked { .. }))
            .collect();
        let key = "account:alice".to_owned();
        assert_eq!(
            locks,
            [&Event::Locked {
                guess: Guess::Password,
                key,
                until
            }]
        );
        assert_eq!(
            recorded.last(),
            Some(&Event::SignInRefused {
                account: "alice".into(),
                why: Refusal::Locked,
                user_id: None,
                address: ADDRESS,
            })
        );
        clock.advance(30);
        let r = authenticate(&provider, ADDRESS, "alice", PASSWORD).await;
        assert!(
            r.unwrap().is_ok(),
            "the lock is short: the owner gets in after it"
        );
    }

    #[tokio::test]
    async fn racing_sign_ins_check_at_most_the_limit_of_passwords() {
        let (provider, store, _, events) = testing::provider_with_recorder().await;
        alice(&store, false).await;
        let provider = std::sync::Arc::new(provider);
        let racers: Vec<_> = (0..16u8)
            .map(|i| {
                let provider = std::sync::Arc::clone(&provider);
                tokio::spawn(async move {
                    authenticate(&provider, elsewhere(i), "alice", "wrong")
                        .await
                        .unwrap()
                })
            })
            .collect();
        for r in racers {
            let _ = r.await.unwrap();
        }
        let checked = events
            .take()
            .into_iter()
            .filter(|e| {
                matches!(
                    e,
                    Event::SignInRefused {
                        why: Refusal::Invalid,
                        ..
                    }
                )
            })
            .count();
        assert!(checked <= 5, "{checked} passwords were checked");
    }

    #[tokio::test]
    async fn one_address_is_limited_across_accounts() {
        let (provider, _, _) = testing::provider().await;
        let mut locked = None;
        for i in 0..200 {
            let name = format!("user{i}");
            if let Err(LoginFailure::Locked { until }) =
                authenticate(&provider, ADDRESS, &name, "wrong")
                    .await
                    .unwrap()
            {
                locked = Some((i, until));
                break;
            }
        }
        let (at, until) = locked.expect("the address is locked at some point");
        assert_eq!(at, 99, "the hundredth failure from one address locks it");
        assert_eq!(until, T0 + crate::throttle::MAX_LOCK);
        let other = authenticate(&provider, elsewhere(9), "user0", "wrong")
            .await
            .unwrap();
        assert_eq!(
            other.unwrap_err(),
            LoginFailure::Invalid,
            "other addresses go on"
        );
    }

    /// Every hashing slot taken.
    struct Busy;

    #[async_trait::async_trait]
    impl crate::password::PasswordVerifier for Busy {
        async fn verify(&self, _: String, _: String) -> Result<bool, crate::password::Busy> {
            Err(crate::password::Busy)
        }
    }

    #[tokio::test]
    async fn a_check_that_cannot_start_is_busy_and_counts_nothing() {
        let (provider, store, _) = testing::provider().await;
        alice(&store, false).await;
        let busy = provider.with_password_verifier(std::sync::Arc::new(Busy));
        for _ in 0..10 {
            let r = authenticate(&busy, ADDRESS, "alice", "wrong")
                .await
                .unwrap();
            assert_eq!(r.unwrap_err(), LoginFailure::Busy, "never a wrong password");
        }
        let locked = crate::throttle::account_locked_until(store.as_ref(), "alice", T0).await;
        assert_eq!(locked.unwrap(), None, "ten busy answers lock nothing");
    }

    #[tokio::test]
    async fn unknown_usernames_are_refused_and_counted_like_real_ones() {
        let (provider, _, _) = testing::provider().await;
        for i in 1..5 {
            let r = authenticate(&provider, elsewhere(i), "nobody", "x")
                .await
                .unwrap();
            assert_eq!(r.unwrap_err(), LoginFailure::Invalid);
        }
        let r = authenticate(&provider, ADDRESS, " nobody ", "x")
            .await
            .unwrap();
        assert!(matches!(r, Err(LoginFailure::Locked { .. })), "{r:?}");
    }

    #[tokio::test]
    async fn a_disabled_account_counts_its_right_password_as_a_failure() {
        let (provider, store, _, events) = testing::provider_with_recorder().await;
        alice(&store, true).await;
        let r = authenticate(&provider, ADDRESS, "alice", "wrong")
            .await
            .unwrap();
        assert_eq!(r.unwrap_err(), LoginFailure::Invalid);
        let r = authenticate(&provider, ADDRESS, "alice", PASSWORD)
            .await
            .unwrap();
        assert_eq!(r.unwrap_err(), LoginFailure::Disabled);
        let alice_id = store
            .get_user_by_username("alice")
            .await
            .unwrap()
            .unwrap()
            .id;
        assert_eq!(
            events.take().last(),
            Some(&Event::SignInRefused {
                account: "alice".into(),
                why: Refusal::Disabled,
                user_id: Some(alice_id),
                address: ADDRESS,
            })
        );
        for _ in 0..3 {
            let _ = authenticate(&provider, ADDRESS, "alice", PASSWORD)
                .await
                .unwrap();
        }
        let r = authenticate(&provider, ADDRESS, "alice", PASSWORD)
            .await
            .unwrap();
        assert!(
            matches!(r, Err(LoginFailure::Locked { .. })),
            "counted: {r:?}"
        );
    }

    #[test]
    fn retry_in_rounds_up_to_whole_minutes() {
        assert_eq!(retry_in(T0 + 1, T0), "in 1 minute");
        assert_eq!(retry_in(T0 + 61, T0), "in 2 minutes");
        assert_eq!(retry_in(T0 + 900, T0), "in 15 minutes");
        assert_eq!(retry_in(T0, T0), "in 1 minute");
    }
}
