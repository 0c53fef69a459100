//! Checking a second factor after the first: a TOTP code of one of the user's authenticators,
//! or one of their recovery codes. Wrong codes are counted with the account's wrong passwords
//! (`crate::throttle`), so a guesser who has the password gets no more tries for the code.

use super::{Proof, recovery, totp};
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
    for factor in store.list_factors(&user.id).await? {
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
