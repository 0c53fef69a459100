//! A client's public keys (RFC 7591 `jwks`, or the JWK Set at its `jwks_uri`): to verify its
//! `private_key_jwt` assertions and to encrypt ID tokens and UserInfo to it.
//!
//! A `jwks_uri` is read when first needed and kept [`JWKS_URI_TTL`] seconds per node; an
//! assertion naming a kid the kept copy lacks reads it again (such reads at most every
//! [`REFETCH_AFTER`] seconds), so a client that rotates its keys is followed at once.

use crate::client::Client;
use crate::error::TokenError;
use crate::federation::upstream::Upstream;
use serde_json::Value;
use std::collections::HashMap;
use std::sync::{Arc, RwLock};

/// How long a JWK Set read from a `jwks_uri` is used before it is read again.
pub const JWKS_URI_TTL: i64 = 300;
/// The least time between two reads of one `jwks_uri` forced by a kid the kept copy lacked:
/// a caller sending made-up kids cannot make Sesame hammer the client's key server.
pub const REFETCH_AFTER: i64 = 30;
/// How long a kept copy still serves while its `jwks_uri` cannot be reached.
pub const STALE_FOR: i64 = 3600;

#[derive(Clone)]
struct Kept {
    keys: Arc<Value>,
    fetched_at: i64,
    /// When a kid the copy lacked last made it read again.
    forced_at: Option<i64>,
}

#[derive(Default)]
pub struct ClientKeys {
    network: Option<Arc<dyn Upstream>>,
    kept: RwLock<HashMap<String, Kept>>,
}

/// When the keys are wanted: the usual way, or because the kept copy lacked a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Want {
    Usual,
    Newer,
}

impl ClientKeys {
    pub fn new(network: Option<Arc<dyn Upstream>>) -> Self {
        Self {
            network,
            kept: RwLock::default(),
        }
    }

    /// The client's JWK Set, if it has one.
    pub async fn get(
        &self,
        client: &Client,
        now: i64,
        want: Want,
    ) -> Result<Option<Arc<Value>>, TokenError> {
        if let Some(jwks) = &client.metadata.jwks {
            return Ok(Some(Arc::new(jwks.clone())));
        }
        let Some(uri) = &client.metadata.jwks_uri else {
            return Ok(None);
        };
        let kept = self.kept(uri);
        let fresh = kept.as_ref().is_some_and(|k| match want {
            Want::Usual => now - k.fetched_at < JWKS_URI_TTL,
            Want::Newer => k.forced_at.is_some_and(|f| now - f < REFETCH_AFTER),
        });
        if let (true, Some(k)) = (fresh, &kept) {
            return Ok(Some(Arc::clone(&k.keys)));
        }
        let forced_at = match want {
            Want::Newer => Some(now),
            Want::Usual => kept.as_ref().and_then(|k| k.forced_at),
        };
        match self.fetch(client, uri).await {
            Ok(keys) => {
                let keys = Arc::new(keys);
                if let Ok(mut map) = self.kept.write() {
                    map.insert(
                        uri.clone(),
                        Kept {
                            keys: Arc::clone(&keys),
                            fetched_at: now,
                            forced_at,
                        },
                    );
                }
                Ok(Some(keys))
            }
            // A client's key server that is down for a moment does not stop its users.
            Err(_)
                if kept
                    .as_ref()
                    .is_some_and(|k| now - k.fetched_at < STALE_FOR) =>
            {
                Ok(kept.map(|k| k.keys))
            }
            Err(e) => Err(e),
        }
    }

    fn kept(&self, uri: &str) -> Option<Kept> {
        let map = match self.kept.read() {
            Ok(map) => map,
            Err(poisoned) => poisoned.into_inner(),
        };
        map.get(uri).cloned()
    }

    async fn fetch(&self, client: &Client, uri: &str) -> Result<Value, TokenError> {
        let failed = |why: String| {
            TokenError::server_error(format!(
                "the jwks_uri of client {} could not be read: {why}",
                client.client_id
            ))
        };
        let network = self
            .network
            .as_ref()
            .ok_or_else(|| failed("this provider has no network".into()))?;
        let keys = network
            .get_json(uri, None)
            .await
            .map_err(|e| failed(format!("{uri}: {}", e.detail())))?;
        if keys.get("keys").is_none_or(|k| !k.is_array()) {
            return Err(failed(format!("{uri}: not a JWK Set")));
        }
        Ok(keys)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::federation::upstream::UpstreamError;
    use crate::testing::web_client;
    use async_trait::async_trait;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// A key server that answers a numbered set each time, or is down.
    struct KeyServer {
        reads: AtomicUsize,
        down: std::sync::atomic::AtomicBool,
    }

    #[async_trait]
    impl Upstream for KeyServer {
        async fn get_json(&self, url: &str, _: Option<&str>) -> Result<Value, UpstreamError> {
            assert_eq!(url, "https://app.example/jwks");
            if self.down.load(Ordering::SeqCst) {
                return Err(UpstreamError::Unreachable("connection failed".into()));
            }
            let n = self.reads.fetch_add(1, Ordering::SeqCst);
            Ok(serde_json::json!({"keys": [{"kid": format!("k{n}")}]}))
        }
        async fn post_form(
            &self,
            _: &str,
            _: (&str, &str),
            _: &[(&str, &str)],
        ) -> Result<(u16, Value), UpstreamError> {
            unreachable!("keys are only read")
        }
    }

    fn kid(keys: &Arc<Value>) -> String {
        keys["keys"][0]["kid"].as_str().unwrap().to_owned()
    }

    #[tokio::test]
    async fn rfc7591_a_jwks_uri_is_kept_a_while_and_read_again_for_a_new_kid() {
        let server = Arc::new(KeyServer {
            reads: AtomicUsize::new(0),
            down: false.into(),
        });
        let keys = ClientKeys::new(Some(server.clone()));
        let mut client = web_client("web", None);
        client.metadata.jwks_uri = Some("https://app.example/jwks".into());
        let at = |now, want| {
            let (keys, client) = (&keys, &client);
            async move { keys.get(client, now, want).await.unwrap().unwrap() }
        };
        assert_eq!(kid(&at(1000, Want::Usual).await), "k0");
        assert_eq!(kid(&at(1000 + JWKS_URI_TTL - 1, Want::Usual).await), "k0");
        assert_eq!(
            kid(&at(1001, Want::Newer).await),
            "k1",
            "a missing kid reads again"
        );
        assert_eq!(
            kid(&at(1002, Want::Newer).await),
            "k1",
            "but not again until REFETCH_AFTER"
        );
        assert_eq!(kid(&at(1001 + REFETCH_AFTER, Want::Newer).await), "k2");
        let later = 1001 + REFETCH_AFTER + JWKS_URI_TTL;
        assert_eq!(kid(&at(later, Want::Usual).await), "k3");
        // Down: the kept copy serves for a while, then the error shows.
        server.down.store(true, Ordering::SeqCst);
        assert_eq!(kid(&at(later + JWKS_URI_TTL, Want::Usual).await), "k3");
        let err = keys
            .get(&client, later + STALE_FOR, Want::Usual)
            .await
            .unwrap_err();
        let cause = err.cause.unwrap_or_default();
        assert!(cause.contains("jwks_uri of client web"), "{cause}");
    }

    #[tokio::test]
    async fn registered_keys_need_no_network_and_no_keys_is_none() {
        let keys = ClientKeys::new(None);
        let mut client = web_client("web", None);
        assert!(keys.get(&client, 0, Want::Usual).await.unwrap().is_none());
        client.metadata.jwks = Some(serde_json::json!({"keys": [{"kid": "inline"}]}));
        assert_eq!(
            kid(&keys.get(&client, 0, Want::Usual).await.unwrap().unwrap()),
            "inline"
        );
        client.metadata.jwks = None;
        client.metadata.jwks_uri = Some("https://app.example/jwks".into());
        assert!(
            keys.get(&client, 0, Want::Usual).await.is_err(),
            "no network to read it"
        );
    }
}
