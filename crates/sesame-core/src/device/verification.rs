//! The user's side of the device grant at `/device` (RFC 8628 §3.3): the typed user code, with
//! the brute-force protection of §5.1 (guesses limited per browser, per network address and for
//! everyone at once, counted before the code is looked up; see `crate::throttle`), and the
//! user's answer.

use super::{DeviceCode, DeviceStatus, user_code};
use crate::delegation::Delegation;
use crate::error::TokenError;
use crate::events::Guess;
use crate::provider::Provider;
use crate::secret::random_token;
use crate::session::BrowserSession;
use crate::throttle::{self, Locked, Target};
use crate::user::User;
use std::net::IpAddr;

/// Who is typing the code: the browser (its binding cookie) and its network address.
#[derive(Debug, Clone, Copy)]
pub struct Guesser<'a> {
    pub browser: &'a str,
    pub address: IpAddr,
}

impl Guesser<'_> {
    /// RFC 8628 §5.1: guesses are limited per browser, per address, and for everyone at once.
    fn targets(&self) -> [Target<'_>; 3] {
        [
            Target::UserCodesIn(self.browser),
            Target::UserCodesFrom(self.address),
            Target::AllUserCodes,
        ]
    }
}

/// What a typed code leads to.
#[derive(Debug, PartialEq)]
pub enum CodeEntry {
    /// A live request waiting for the user's answer.
    Found(Box<DeviceCode>),
    /// Unknown, expired or already answered: counted as a wrong guess.
    Wrong,
    /// Too many wrong guesses from this browser or address: refused until then.
    Locked { until: i64 },
}

/// RFC 8628 §3.3 and §5.1: looks up the typed code unless the guesser is locked out, and counts
/// a wrong one against both the browser and the address.
pub async fn enter_code(
    provider: &Provider,
    guesser: Guesser<'_>,
    typed: &str,
) -> Result<CodeEntry, TokenError> {
    let targets = guesser.targets();
    let attempt = match throttle::attempt(provider, Guess::UserCode, &targets).await? {
        Ok(attempt) => attempt,
        Err(Locked { until }) => return Ok(CodeEntry::Locked { until }),
    };
    if let Some(code) = find_pending(provider, typed).await? {
        attempt.succeeded(provider).await?;
        return Ok(CodeEntry::Found(Box::new(code)));
    }
    Ok(match attempt.failed(provider).await? {
        Some(until) => CodeEntry::Locked { until },
        None => CodeEntry::Wrong,
    })
}

/// The live, undecided request a user code names; `None` for an unknown, expired or already
/// answered code (the page says so, and counts it as a wrong guess).
async fn find_pending(provider: &Provider, typed: &str) -> Result<Option<DeviceCode>, TokenError> {
    let Some(code) = user_code::normalize(typed) else {
        return Ok(None);
    };
    Ok(provider
        .store()
        .find_device_code_by_user_code(&code)
        .await?
        .filter(|d| d.status == DeviceStatus::Pending && d.expires_at > provider.now()))
}

/// The user's answer. `Ok(false)` when the code was answered meanwhile or has expired.
pub async fn decide(
    provider: &Provider,
    code: &DeviceCode,
    user: &User,
    session: &BrowserSession,
    allow: bool,
) -> Result<bool, TokenError> {
    let now = provider.now();
    let (status, delegation) = if allow {
        let delegation = Delegation {
            delegation_id: random_token(16),
            client_id: code.client_id.clone(),
            user_id: user.id.clone(),
            scope: code.scope.clone(),
            auth_time: session.auth_time,
            sid: Some(session.sid.clone()),
            claims: Default::default(),
            amr: session.amr.clone(),
        };
        (DeviceStatus::Approved, Some(delegation))
    } else {
        (DeviceStatus::Denied, None)
    };
    Ok(provider
        .store()
        .settle_device_code(&code.user_code, status, delegation.as_ref(), now)
        .await?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device::authorization::authorize;
    use crate::store::DeviceStore;
    use crate::testing::{self, basic, form, register};
    use std::net::Ipv4Addr;

    fn from(browser: &str, last_octet: u8) -> Guesser<'_> {
        Guesser {
            browser,
            address: IpAddr::V4(Ipv4Addr::new(192, 0, 2, last_octet)),
        }
    }

    #[tokio::test]
    async fn rfc8628_3_3_the_code_is_found_however_it_is_typed() {
        let (p, store, _) = testing::provider().await;
        let tv = register(&store, "tv", true).await.unwrap();
        let started = authorize(&p, testing::caller(Some(&basic("tv", &tv))), form(""))
            .await
            .unwrap();
        let typed = started.user_code.to_lowercase().replace('-', " ");
        let entry = enter_code(&p, from("b", 1), &typed).await.unwrap();
        assert!(matches!(entry, CodeEntry::Found(c) if c.client_id == "tv"));
    }

    #[tokio::test]
    async fn rfc8628_5_1_ten_wrong_codes_lock_the_browser_and_the_address() {
        let (p, store, clock) = testing::provider().await;
        let tv = register(&store, "tv", true).await.unwrap();
        let started = authorize(&p, testing::caller(Some(&basic("tv", &tv))), form(""))
            .await
            .unwrap();
        for _ in 1..Target::UserCodesIn("b").policy().max {
            assert_eq!(
                enter_code(&p, from("b", 1), "BBBB-BBBB").await.unwrap(),
                CodeEntry::Wrong
            );
        }
        let locked = enter_code(&p, from("b", 1), "BBBB-BBBB").await.unwrap();
        assert!(matches!(locked, CodeEntry::Locked { .. }), "{locked:?}");
        // Locked even for the right code, from the same browser on another address, and from
        // another browser on the same address.
        for guesser in [from("b", 1), from("b", 2), from("other", 1)] {
            let entry = enter_code(&p, guesser, &started.user_code).await.unwrap();
            assert!(matches!(entry, CodeEntry::Locked { .. }), "{guesser:?}");
        }
        let elsewhere = enter_code(&p, from("other", 2), &started.user_code)
            .await
            .unwrap();
        assert!(matches!(elsewhere, CodeEntry::Found(_)));
        clock.advance(crate::throttle::MAX_LOCK);
        let fresh = authorize(&p, testing::caller(Some(&basic("tv", &tv))), form(""))
            .await
            .unwrap();
        let later = enter_code(&p, from("b", 1), &fresh.user_code)
            .await
            .unwrap();
        assert!(matches!(later, CodeEntry::Found(_)), "the lock ends");
    }

    #[tokio::test]
    async fn rfc8628_3_3_an_answered_or_expired_code_is_wrong_and_answered_once() {
        let (p, store, clock) = testing::provider().await;
        let tv = register(&store, "tv", true).await.unwrap();
        let alice = testing::user(&store, "alice").await;
        let session = testing::signed_in(&p, &alice).await;
        let started = authorize(&p, testing::caller(Some(&basic("tv", &tv))), form(""))
            .await
            .unwrap();
        let CodeEntry::Found(code) = enter_code(&p, from("b", 1), &started.user_code)
            .await
            .unwrap()
        else {
            panic!("live code");
        };
        assert!(decide(&p, &code, &alice, &session, true).await.unwrap());
        assert!(
            !decide(&p, &code, &alice, &session, false).await.unwrap(),
            "once"
        );
        let approved = store
            .find_device_code(&code.device_code_hash)
            .await
            .unwrap()
            .unwrap();
        let delegation = approved.delegation.unwrap();
        assert_eq!(
            (delegation.user_id, delegation.sid),
            (alice.id, Some(session.sid))
        );
        let entry = enter_code(&p, from("b", 1), &started.user_code)
            .await
            .unwrap();
        assert_eq!(entry, CodeEntry::Wrong, "answered");
        let second = authorize(&p, testing::caller(Some(&basic("tv", &tv))), form(""))
            .await
            .unwrap();
        clock.advance(crate::device::DEVICE_CODE_TTL);
        let entry = enter_code(&p, from("b", 1), &second.user_code)
            .await
            .unwrap();
        assert_eq!(entry, CodeEntry::Wrong, "expired");
    }
}
