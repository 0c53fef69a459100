//! Rotating signing keys: at once (`sesame keys rotate`) or on the `key_rotation_interval`
//! schedule, which publishes the next key [`KEY_PUBLISH_AHEAD`] before it signs.

use super::{Algorithm, KEY_PUBLISH_AHEAD, KeyError, StoredKey};
use crate::provider::{Provider, ProviderError};

impl Provider {
    /// Adds a new key for every configured algorithm and makes it the signer now; the old keys
    /// stay published until every token they signed has expired. For a key that must stop
    /// signing at once: resource servers that cached the JWKS fetch it again on the new kid.
    pub async fn rotate_keys(&self) -> Result<Vec<StoredKey>, ProviderError> {
        let algorithms = self.settings().signing_algorithms.clone();
        self.rotate(&algorithms, self.now()).await
    }

    /// The scheduled rotation (`key_rotation_interval`): once an algorithm's latest key has
    /// signed for the interval less [`KEY_PUBLISH_AHEAD`], its successor is published, to sign
    /// a day later. Every node runs this; a second node finding the successor does nothing.
    pub async fn rotate_keys_when_due(&self) -> Result<Vec<StoredKey>, ProviderError> {
        let Some(interval) = self.settings().key_rotation_interval else {
            return Ok(Vec::new());
        };
        let now = self.now();
        let rows = self.store().list_signing_keys().await?;
        let due: Vec<Algorithm> = self
            .settings()
            .signing_algorithms
            .iter()
            .copied()
            .filter(|alg| {
                rows.iter()
                    .filter(|k| k.alg == *alg && k.is_latest())
                    .all(|k| k.activates_at + interval - KEY_PUBLISH_AHEAD <= now)
            })
            .collect();
        if due.is_empty() {
            return Ok(Vec::new());
        }
        self.rotate(&due, now + KEY_PUBLISH_AHEAD).await
    }

    /// New keys for `algorithms`, signing from `activation`, when their predecessors retire.
    async fn rotate(
        &self,
        algorithms: &[Algorithm],
        activation: i64,
    ) -> Result<Vec<StoredKey>, ProviderError> {
        let now = self.now();
        let new_keys = algorithms
            .iter()
            .map(|alg| {
                let key = StoredKey::generate(*alg, self.master_key(), now)?;
                Ok(StoredKey {
                    activates_at: activation,
                    ..key
                })
            })
            .collect::<Result<Vec<_>, KeyError>>()?;
        // A minute of grace for clock skew between nodes and resource servers.
        let publish_until = activation + self.settings().max_signed_token_ttl() + 60;
        self.store()
            .rotate_signing_keys(&new_keys, activation, publish_until)
            .await?;
        self.reload_keys().await?;
        Ok(new_keys)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::Clock;
    use crate::clock::FixedClock;
    use crate::keys::KeyState;
    use crate::provider::Settings;
    use crate::store::{KeyStore, Maintenance};
    use crate::testing::{MemoryStore, T0};
    use std::sync::Arc;

    const DAY: i64 = 86_400;

    async fn rotating_every(days: i64) -> (Provider, Arc<MemoryStore>, Arc<FixedClock>) {
        let store = Arc::new(MemoryStore::default());
        let clock = Arc::new(FixedClock::at(T0));
        let mut settings = Settings::new("https://id.test");
        settings.signing_algorithms = vec![Algorithm::ES256];
        settings.key_rotation_interval = Some(days * DAY);
        let provider = Provider::start(store.clone(), clock.clone(), settings, None)
            .await
            .unwrap();
        (provider, store, clock)
    }

    fn signer(provider: &Provider) -> String {
        provider
            .key_ring()
            .signer(Algorithm::ES256)
            .unwrap()
            .kid()
            .to_owned()
    }

    #[tokio::test]
    async fn rfc7517_the_next_key_is_published_a_day_before_it_signs() {
        let (provider, store, clock) = rotating_every(30).await;
        let first = signer(&provider);
        clock.advance(29 * DAY - 1);
        assert!(provider.rotate_keys_when_due().await.unwrap().is_empty());

        clock.advance(1);
        let next = provider.rotate_keys_when_due().await.unwrap();
        assert_eq!(next.len(), 1);
        let next = &next[0];
        assert_eq!(next.activates_at, T0 + 30 * DAY);
        assert_eq!(signer(&provider), first, "the old key signs until then");
        assert!(provider.key_ring().jwks_json().contains(&next.kid));
        assert!(
            provider.rotate_keys_when_due().await.unwrap().is_empty(),
            "a second node finds the successor and does nothing"
        );

        clock.advance(DAY);
        assert!(provider.reload_keys().await.unwrap());
        assert_eq!(signer(&provider), next.kid);
        assert!(provider.key_ring().jwks_json().contains(&first));

        // Published while its last token can live (plus a minute), then gone and swept.
        let last_token = provider.settings().max_signed_token_ttl() + 60;
        clock.advance(last_token);
        provider.reload_keys().await.unwrap();
        assert!(!provider.key_ring().jwks_json().contains(&first));
        store.sweep_expired(clock.now(), 100).await.unwrap();
        let kids: Vec<String> = store
            .list_signing_keys()
            .await
            .unwrap()
            .into_iter()
            .map(|k| k.kid)
            .collect();
        assert_eq!(kids, vec![next.kid.clone()]);
    }

    #[tokio::test]
    async fn rotating_at_once_overtakes_a_scheduled_key_which_then_never_signs() {
        let (provider, store, clock) = rotating_every(30).await;
        clock.advance(29 * DAY);
        let scheduled = provider.rotate_keys_when_due().await.unwrap().remove(0);
        let now = provider.rotate_keys().await.unwrap().remove(0);
        assert_eq!(signer(&provider), now.kid);
        let rows = store.list_signing_keys().await.unwrap();
        let row = rows.iter().find(|k| k.kid == scheduled.kid).unwrap();
        assert_eq!(row.state(clock.now()), KeyState::Retired);
        clock.advance(DAY);
        provider.reload_keys().await.unwrap();
        assert_eq!(
            signer(&provider),
            now.kid,
            "the overtaken key did not take over"
        );
    }

    #[tokio::test]
    async fn without_an_interval_keys_rotate_only_when_asked() {
        let (provider, _, clock) = crate::testing::provider().await;
        clock.advance(3660 * DAY);
        assert!(provider.rotate_keys_when_due().await.unwrap().is_empty());
    }
}
