//! A client's public keys (RFC 7591 `jwks`, or the JWK Set at its `jwks_uri`): to verify its
//! `private_key_jwt` assertions and to encrypt ID tokens and UserInfo to it.
//!
//! A `jwks_uri` is read when first needed and kept [`JWKS_URI_TTL`] seconds per node; an
//! assertion naming a kid the kept copy lacks reads it again (such reads at most every
//! [`REFETCH_AFTER`] seconds), so a client that rotates its keys is followed at once. One read
//! of a URI runs at a time, and after a failed one nobody reads for [`AFTER_FAILURE`] seconds:
//! the kept copy serves meanwhile, and callers cannot make Sesame hammer the client's server.

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

/// What a node knows of one `jwks_uri`.
#[derive(Clone, Default)]
struct Kept {
    /// The last set read, and when.
    keys: Option<Arc<Value>>,
    fetched_at: i64,
    /// When a read last began. Claimed before reading, so requests arriving meanwhile use the
    /// kept copy instead of reading too.
    started_at: Option<i64>,
    /// When a kid the copy lacked last made it read again.
    forced_at: Option<i64>,
    /// When the last read failed.
    failed_at: Option<i64>,
}

/// How long a read may be under way before another request may start one (the network's
/// timeout is 10 s).
pub const READ_TAKES_AT_MOST: i64 = 15;
/// After a failed read, how long nobody reads again (the kept copy, if any, serves).
pub const AFTER_FAILURE: i64 = 30;

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

    /// The client's JWK Set, if it has one. When its `jwks_uri` cannot be read and no kept copy
    /// serves, `temporarily_unavailable` (503 with Retry-After): the request can succeed later.
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
        let kept = match self.claim_read(uri, now, want) {
            Ok(kept) => kept,
            // No read now: the kept copy serves (a stale one for a while), else the read's error.
            Err(kept) => {
                let usable = kept.keys.filter(|_| now - kept.fetched_at < STALE_FOR);
                return usable.map(Some).ok_or_else(|| {
                    TokenError::temporarily_unavailable(format!(
                        "the jwks_uri of client {} could not be read lately",
                        client.client_id
                    ))
                });
            }
        };
        let read = self.fetch(client, uri).await;
        let mut map = match self.kept.write() {
            Ok(map) => map,
            Err(poisoned) => poisoned.into_inner(),
        };
        let entry = map.entry(uri.clone()).or_default();
        match read {
            Ok(keys) => {
                let keys = Arc::new(keys);
                entry.keys = Some(Arc::clone(&keys));
                entry.fetched_at = now;
                entry.failed_at = None;
                Ok(Some(keys))
            }
            Err(e) => {
                entry.failed_at = Some(now);
                // A client's key server that is down for a moment does not stop its users.
                match kept.keys.filter(|_| now - kept.fetched_at < STALE_FOR) {
                    Some(keys) => Ok(Some(keys)),
                    None => Err(e),
                }
            }
        }
    }

    /// Decides, under the lock, whether this request reads the set: `Ok` (with what was kept)
    /// when it does, and the read is marked as begun; `Err` (with what is kept) when the kept
    /// copy must do: it is fresh, another read is under way, or the last one failed lately.
    fn claim_read(&self, uri: &str, now: i64, want: Want) -> Result<Kept, Kept> {
        let mut map = match self.kept.write() {
            Ok(map) => map,
            Err(poisoned) => poisoned.into_inner(),
        };
        let entry = map.entry(uri.to_owned()).or_default();
        let has_keys = entry.keys.is_some();
        let within = |at: Option<i64>, span: i64| at.is_some_and(|t| now - t < span);
        let fresh = has_keys
            && match want {
                Want::Usual => now - entry.fetched_at < JWKS_URI_TTL,
                Want::Newer => within(entry.forced_at, REFETCH_AFTER),
            };
        let busy = within(entry.started_at, READ_TAKES_AT_MOST)
            && entry.started_at > entry.failed_at
            && entry
                .started_at
                .is_some_and(|t| !has_keys || t > entry.fetched_at);
        if fresh || busy || within(entry.failed_at, AFTER_FAILURE) {
            return Err(entry.clone());
        }
        entry.started_at = Some(now);
        if want == Want::Newer {
            entry.forced_at = Some(now);
        }
        Ok(entry.clone())
    }

    async fn fetch(&self, client: &Client, uri: &str) -> Result<Value, TokenError> {
        let failed = |why: String| {
            TokenError::temporarily_unavailable(format!(
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
        let down_at = later + JWKS_URI_TTL;
        assert_eq!(kid(&at(down_at, Want::Usual).await), "k3");
        // Back up, but nobody reads again until AFTER_FAILURE has passed.
        server.down.store(false, Ordering::SeqCst);
        assert_eq!(
            kid(&at(down_at + 1, Want::Newer).await),
            "k3",
            "no read after a failure"
        );
        assert_eq!(server.reads.load(Ordering::SeqCst), 4);
        assert_eq!(kid(&at(down_at + AFTER_FAILURE, Want::Usual).await), "k4");
        server.down.store(true, Ordering::SeqCst);
        let gone = down_at + AFTER_FAILURE + STALE_FOR;
        let err = keys.get(&client, gone, Want::Usual).await.unwrap_err();
        let cause = err.cause.unwrap_or_default();
        assert!(cause.contains("jwks_uri of client web"), "{cause}");
    }

    #[test]
    fn one_read_at_a_time_per_uri() {
        let keys = ClientKeys::new(None);
        let uri = "https://app.example/jwks";
        assert!(
            keys.claim_read(uri, 100, Want::Usual).is_ok(),
            "the first reads"
        );
        assert!(
            keys.claim_read(uri, 100, Want::Newer).is_err(),
            "others wait for it"
        );
        assert!(
            keys.claim_read(uri, 100 + READ_TAKES_AT_MOST, Want::Usual)
                .is_ok(),
            "a hung read is given up"
        );
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
