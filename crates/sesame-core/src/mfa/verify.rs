//! Checking a second factor after the first: a TOTP code of one of the user's authenticators,
//! or one of their recovery codes. Wrong codes are counted with the account's wrong passwords
//! (`crate::throttle`), so a guesser who has the password gets no more tries for the code.

use super::{FactorKind, Proof, recovery, totp};
use crate::events::{Event, Guess};
use crate::provider::Provider;
use crate::store::StoreError;
use crate::throttle::{self, Locked, Target};
use crate::user::User;
use std::net::IpAddr;

/// Why a second factor was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SecondFactorFailure {
    /// Wrong, spent (a code used once already, or an older one), or no factor to check it with.
    Invalid,
    /// Too many wrong passwords and codes: refused until then.
    Locked { until: i64 },
}

/// Checks `typed` as `user`'s second factor, from a client at `address`.
pub async fn verify(
    provider: &Provider,
    address: IpAddr,
    user: &User,
    typed: &str,
) -> Result<Result<Proof, SecondFactorFailure>, StoreError> {
    let account = user.username.to_lowercase();
    let targets = [Target::Account(&account), Target::PasswordsFrom(address)];
    let refused = |locked| {
        provider.record(Event::SecondFactorRefused {
            user_id: user.id.clone(),
            locked,
            address,
        })
    };
    let attempt = match throttle::attempt(provider, Guess::SecondFactor, &targets).await? {
        Ok(attempt) => attempt,
        Err(Locked { until }) => {
            refused(true);
            return Ok(Err(SecondFactorFailure::Locked { until }));
        }
    };
    match check(provider, user, typed).await? {
        Some(proof) => {
            attempt.succeeded(provider).await?;
            provider.record(Event::SecondFactorUsed {
                user_id: user.id.clone(),
                proof,
                address,
            });
            Ok(Ok(proof))
        }
        None => {
            let lock = attempt.failed(provider).await?;
            refused(lock.is_some());
            Ok(Err(match lock {
                Some(until) => SecondFactorFailure::Locked { until },
                None => SecondFactorFailure::Invalid,
            }))
        }
    }
}

/// The proof `typed` is, spent in the store; `None` if it is none.
async fn check(provider: &Provider, user: &User, typed: &str) -> Result<Option<Proof>, StoreError> {
    let store = provider.store();
    let now = provider.now();
    if recovery::looks_like_one(typed) {
        let spent = store
            .spend_recovery_code(&user.id, &recovery::hash(typed), now)
            .await?;
        return Ok(spent.then_some(Proof::RecoveryCode));
    }
    let factors = store.list_factors(&user.id).await?;
    for factor in factors.iter().filter(|f| f.kind == FactorKind::Totp) {
        let secret = factor
            .totp_secret(provider.master_key())
            .map_err(|e| StoreError::Corrupt(format!("factor {}: {}", factor.id, e.description)))?;
        if let Some(step) = totp::matching_step(&secret, typed, now) {
            // A code of a step already spent (a replay, here or on another node) is no proof.
            let fresh = store
                .spend_totp_step(&user.id, &factor.id, step, now)
                .await?;
            return Ok(fresh.then_some(Proof::Totp));
        }
    }
    Ok(None)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mfa::Factor;
    use crate::store::FactorStore;
    use crate::testing::{self, ADDRESS, PASSWORD, T0};

    const SECRET: &[u8] = b"12345678901234567890";

    async fn enrolled() -> (
        Provider,
        std::sync::Arc<testing::MemoryStore>,
        std::sync::Arc<crate::clock::FixedClock>,
        User,
    ) {
        let (provider, store, clock) = testing::provider().await;
        let user = testing::user(&store, "alice").await;
        let factor = Factor::totp(None, &user.id, "Phone", SECRET, T0).unwrap();
        store.insert_factor(&factor).await.unwrap();
        // A passkey beside it is no TOTP secret to try codes against.
        let passkey = Factor::passkey(&user.id, "Key", "cred", b"{}".to_vec(), T0);
        assert!(store.insert_passkey(&passkey).await.unwrap());
        (provider, store, clock, user)
    }

    #[tokio::test]
    async fn a_code_works_once_in_its_window_and_not_after_a_later_one() {
        let (provider, _, clock, user) = enrolled().await;
        let now = totp::code(SECRET, totp::step_at(T0));
        let next = totp::code(SECRET, totp::step_at(T0) + 1);
        let before = totp::code(SECRET, totp::step_at(T0) - 1);
        assert_eq!(
            verify(&provider, ADDRESS, &user, &now).await.unwrap(),
            Ok(Proof::Totp)
        );
        assert_eq!(
            verify(&provider, ADDRESS, &user, &now).await.unwrap(),
            Err(SecondFactorFailure::Invalid),
            "replayed"
        );
        assert_eq!(
            verify(&provider, ADDRESS, &user, &next).await.unwrap(),
            Ok(Proof::Totp)
        );
        assert_eq!(
            verify(&provider, ADDRESS, &user, &before).await.unwrap(),
            Err(SecondFactorFailure::Invalid),
            "an earlier step after a later one"
        );
        // Two steps on, the code of then is the one that works.
        clock.advance(2 * totp::STEP);
        let later = totp::code(SECRET, totp::step_at(T0 + 2 * totp::STEP));
        assert_eq!(
            verify(&provider, ADDRESS, &user, &later).await.unwrap(),
            Ok(Proof::Totp)
        );
    }

    #[tokio::test]
    async fn a_recovery_code_works_once() {
        let (provider, store, _, user) = enrolled().await;
        let (codes, hashes) = recovery::generate();
        store
            .replace_recovery_codes(&user.id, &hashes, T0)
            .await
            .unwrap();
        let typed = codes[0].to_uppercase();
        assert_eq!(
            verify(&provider, ADDRESS, &user, &typed).await.unwrap(),
            Ok(Proof::RecoveryCode)
        );
        assert_eq!(
            verify(&provider, ADDRESS, &user, &typed).await.unwrap(),
            Err(SecondFactorFailure::Invalid)
        );
    }

    #[tokio::test]
    async fn wrong_codes_count_with_wrong_passwords_and_lock_the_account() {
        let (provider, _, _, user) = enrolled().await;
        for _ in 0..3 {
            let wrong = crate::login::authenticate(&provider, ADDRESS, "alice", "wrong").await;
            assert!(wrong.unwrap().is_err());
        }
        assert_eq!(
            verify(&provider, ADDRESS, &user, "000000").await.unwrap(),
            Err(SecondFactorFailure::Invalid)
        );
        // The fifth guess, a code, locks the account, against the right password too.
        let locked = verify(&provider, ADDRESS, &user, "999999").await.unwrap();
        assert!(
            matches!(locked, Err(SecondFactorFailure::Locked { .. })),
            "{locked:?}"
        );
        let password = crate::login::authenticate(&provider, ADDRESS, "alice", PASSWORD).await;
        assert!(
            matches!(
                password.unwrap(),
                Err(crate::login::LoginFailure::Locked { .. })
            ),
            "one count for both"
        );
    }
}
