//! The device code delegation (RFC 8628 §3.4, §3.5): the device polls until the user has answered.

use super::{TokenResponse, delegated};
use crate::client::Client;
use crate::device::{DeviceStatus, SLOW_DOWN_STEP};
use crate::error::{ErrorCode, TokenError};
use crate::params::Params;
use crate::provider::Provider;
use crate::secret::SecretHash;

pub async fn exchange(
    provider: &Provider,
    client: &Client,
    params: &Params,
) -> Result<TokenResponse, TokenError> {
    let hash = SecretHash::of(params.require("device_code")?);
    let now = provider.now();
    let store = provider.store();
    let invalid =
        || TokenError::invalid_grant("the device_code is invalid or was issued to another client");
    let code = store.find_device_code(&hash).await?.ok_or_else(invalid)?;
    if code.client_id != client.client_id {
        return Err(invalid());
    }
    if code.status == DeviceStatus::Redeemed {
        return Err(TokenError::invalid_grant(
            "the device_code was already used",
        ));
    }
    if code.expires_at <= now {
        return Err(TokenError::with_code(
            ErrorCode::ExpiredToken,
            "the device_code has expired; start again",
        ));
    }
    match code.status {
        DeviceStatus::Pending => {
            // RFC 8628 §3.5: polling faster than the interval earns slow_down and 5 s more.
            let too_fast = code.last_polled_at.is_some_and(|t| now - t < code.interval);
            let interval = if too_fast {
                code.interval + SLOW_DOWN_STEP
            } else {
                code.interval
            };
            store.poll_device_code(&hash, now, interval).await?;
            Err(if too_fast {
                TokenError::with_code(
                    ErrorCode::SlowDown,
                    format!("polling too fast; wait {interval} seconds between requests"),
                )
            } else {
                TokenError::with_code(
                    ErrorCode::AuthorizationPending,
                    "the user has not answered yet",
                )
            })
        }
        DeviceStatus::Denied => Err(TokenError::with_code(
            ErrorCode::AccessDenied,
            "the user denied the request",
        )),
        DeviceStatus::Redeemed => Err(TokenError::invalid_grant(
            "the device_code was already used",
        )),
        DeviceStatus::Approved => {
            // One atomic statement: of two racing polls (or nodes) one gets the tokens.
            let Some(approved) = store
                .redeem_device_code(&hash, &client.client_id, now)
                .await?
            else {
                return Err(TokenError::invalid_grant(
                    "the device_code was already used",
                ));
            };
            let delegation = approved.delegation.ok_or_else(|| {
                TokenError::server_error("an approved device code has no delegation")
            })?;
            let user = delegated::user_of(provider, &delegation).await?;
            delegated::still_granted(provider, &delegation).await?;
            delegated::issue_all(provider, client, &user, &delegation).await
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::Provider;
    use crate::device::authorization::{DeviceAuthorizationResponse, authorize};
    use crate::device::verification::{CodeEntry, Guesser, decide, enter_code};
    use crate::device::{DEVICE_CODE_TTL, POLL_INTERVAL, SLOW_DOWN_STEP};
    use crate::secret::Secret;
    use crate::testing::{self, basic, form, register, rejected, token_request};
    use crate::{ErrorCode, TokenError};

    const GUESSER: Guesser<'static> = Guesser {
        browser: testing::BROWSER,
        address: std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST),
    };

    async fn started(
        p: &Provider,
        store: &testing::MemoryStore,
    ) -> (Secret, DeviceAuthorizationResponse) {
        let tv = register(store, "tv", true).await.unwrap();
        let started = authorize(
            p,
            testing::caller(Some(&basic("tv", &tv))),
            form("scope=openid+offline_access"),
        )
        .await
        .unwrap();
        (tv, started)
    }

    async fn poll(p: &Provider, tv: &Secret, device_code: &str) -> Result<(), TokenError> {
        let body = format!(
            "grant_type=urn:ietf:params:oauth:grant-type:device_code&device_code={device_code}"
        );
        token_request(p, Some(&basic("tv", tv)), &body)
            .await
            .map(|_| ())
    }

    /// The user types the code, signed in as alice, and answers.
    async fn answer(p: &Provider, store: &testing::MemoryStore, user_code: &str, allow: bool) {
        let alice = testing::user(store, "alice").await;
        let session = testing::signed_in(p, &alice).await;
        let CodeEntry::Found(code) = enter_code(p, GUESSER, user_code).await.unwrap() else {
            panic!("the code is live");
        };
        assert!(decide(p, &code, &alice, &session, allow).await.unwrap());
    }

    #[tokio::test]
    async fn rfc8628_3_5_authorization_pending_until_the_user_answers_then_tokens_once() {
        let (p, store, clock) = testing::provider().await;
        let (tv, started) = started(&p, &store).await;
        let pending = poll(&p, &tv, &started.device_code).await;
        rejected(pending, ErrorCode::AuthorizationPending, "not answered");
        answer(&p, &store, &started.user_code, true).await;
        clock.advance(POLL_INTERVAL);
        let body = format!(
            "grant_type=urn:ietf:params:oauth:grant-type:device_code&device_code={}",
            started.device_code
        );
        let tokens = token_request(&p, Some(&basic("tv", &tv)), &body)
            .await
            .unwrap();
        assert!(tokens.refresh_token.is_some() && tokens.id_token.is_some());
        clock.advance(POLL_INTERVAL);
        rejected(
            poll(&p, &tv, &started.device_code).await,
            ErrorCode::InvalidGrant,
            "already used",
        );
    }

    #[tokio::test]
    async fn rfc8628_3_5_polling_faster_than_the_interval_is_slow_down_plus_five_seconds() {
        let (p, store, clock) = testing::provider().await;
        let (tv, started) = started(&p, &store).await;
        assert_eq!(started.interval, POLL_INTERVAL);
        let _ = poll(&p, &tv, &started.device_code).await;
        let fast = poll(&p, &tv, &started.device_code).await;
        let slower = POLL_INTERVAL + SLOW_DOWN_STEP;
        rejected(fast, ErrorCode::SlowDown, &format!("wait {slower} seconds"));
        // The new interval holds: polling at the old one is still too fast.
        clock.advance(POLL_INTERVAL);
        let still = poll(&p, &tv, &started.device_code).await;
        rejected(
            still,
            ErrorCode::SlowDown,
            &format!("wait {} seconds", slower + SLOW_DOWN_STEP),
        );
        clock.advance(slower + SLOW_DOWN_STEP);
        rejected(
            poll(&p, &tv, &started.device_code).await,
            ErrorCode::AuthorizationPending,
            "",
        );
    }

    #[tokio::test]
    async fn a_device_whose_approval_was_revoked_before_it_polled_gets_nothing() {
        use crate::store::{DelegationStore, UserStore};
        let (p, store, clock) = testing::provider().await;
        let (tv, started) = started(&p, &store).await;
        answer(&p, &store, &started.user_code, true).await;
        let alice = store.get_user_by_username("alice").await.unwrap().unwrap();
        let now = testing::T0;
        store
            .revoke_user_delegations(&alice.id, now, now + 3600)
            .await
            .unwrap();
        clock.advance(POLL_INTERVAL);
        rejected(
            poll(&p, &tv, &started.device_code).await,
            ErrorCode::InvalidGrant,
            "revoked",
        );
    }

    #[tokio::test]
    async fn rfc8628_3_5_a_denied_request_is_access_denied() {
        let (p, store, _) = testing::provider().await;
        let (tv, started) = started(&p, &store).await;
        answer(&p, &store, &started.user_code, false).await;
        rejected(
            poll(&p, &tv, &started.device_code).await,
            ErrorCode::AccessDenied,
            "denied",
        );
    }

    #[tokio::test]
    async fn rfc8628_3_5_an_expired_device_code_is_expired_token() {
        let (p, store, clock) = testing::provider().await;
        let (tv, started) = started(&p, &store).await;
        clock.advance(DEVICE_CODE_TTL);
        rejected(
            poll(&p, &tv, &started.device_code).await,
            ErrorCode::ExpiredToken,
            "expired",
        );
    }

    #[tokio::test]
    async fn rfc8628_3_4_another_clients_device_code_is_invalid_grant() {
        let (p, store, _) = testing::provider().await;
        let (_, started) = started(&p, &store).await;
        let other = register(&store, "other", true).await.unwrap();
        let body = format!(
            "grant_type=urn:ietf:params:oauth:grant-type:device_code&device_code={}",
            started.device_code
        );
        let r = token_request(&p, Some(&basic("other", &other)), &body).await;
        rejected(r, ErrorCode::InvalidGrant, "another client");
        let r = token_request(
            &p,
            Some(&basic("other", &other)),
            "grant_type=urn:ietf:params:oauth:grant-type:device_code",
        )
        .await;
        rejected(r, ErrorCode::InvalidRequest, "device_code");
    }
}
