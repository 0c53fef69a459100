//! The provider: settings, the store, the clock, the key ring and a short-lived client cache,
//! shared by every endpoint. It holds no per-request state, so any number of nodes can run it.

use crate::client::Client;
use crate::client_keys::{ClientKeys, Want};
use crate::clock::Clock;
use crate::csrf::{self, CsrfKey};
use crate::error::TokenError;
use crate::events::{Discard, Event, EventSink};
use crate::federation::upstream::Upstream;
use crate::keys::{Algorithm, KeyError, KeyRing, MasterKey, StoredKey};
use crate::oidc::subject::{self, PairwiseKey};
use crate::password::{InlineVerifier, PasswordVerifier};
use crate::store::{Store, StoreError};
use crate::throttle::NodeLimit;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};

/// Failed client authentications a node takes from one address within the throttle window.
pub const CLIENT_AUTH_FAILURES: u32 = 100;

/// What the provider needs to know from the configuration.
#[derive(Debug, Clone)]
pub struct Settings {
    /// The issuer identifier, exactly as configured (OIDC Discovery §3, RFC 8414 §2).
    pub issuer: String,
    /// Lifetime of access tokens, in seconds.
    pub access_token_ttl: i64,
    /// Lifetime of ID tokens, in seconds.
    pub id_token_ttl: i64,
    /// Lifetime of each refresh token, in seconds; every use rotates it and starts a new one.
    pub refresh_token_ttl: i64,
    /// How long after the user signed in a delegation's refresh tokens keep working, however often
    /// they are rotated (RFC 9700 §4.14.2), in seconds.
    pub refresh_token_max_lifetime: i64,
    /// Lifetime of a browser session (single sign-on), in seconds.
    pub session_ttl: i64,
    /// The algorithm JWT access tokens are signed with.
    pub access_token_signing_alg: Algorithm,
    /// The `aud` of access tokens (RFC 9068 §3); the issuer when not set.
    pub access_token_audience: Option<String>,
    /// The algorithms Sesame keeps a signing key for.
    pub signing_algorithms: Vec<Algorithm>,
    /// How long a node may serve a client from memory before reading it again, in seconds.
    pub client_cache_ttl: i64,
    /// How far a client assertion's `exp` may lie in the future, in seconds (bounds the replay store).
    pub max_assertion_lifetime: i64,
    /// How long each signing key signs before a scheduled rotation replaces it, in seconds;
    /// `None` rotates only when asked (`sesame keys rotate`).
    pub key_rotation_interval: Option<i64>,
    /// The languages the operator keeps claims in beyond the default one (OIDC Core §5.2),
    /// for discovery's `claims_locales_supported`; Sesame cannot know them otherwise.
    pub claims_locales_supported: Vec<String>,
    /// Every sign-in needs a second factor (a user without one enrols one after the password).
    pub require_mfa: bool,
}

impl Settings {
    pub fn new(issuer: impl Into<String>) -> Self {
        Self {
            issuer: issuer.into(),
            access_token_ttl: 3600,
            id_token_ttl: 3600,
            refresh_token_ttl: 30 * 24 * 3600,
            refresh_token_max_lifetime: 90 * 24 * 3600,
            session_ttl: 24 * 3600,
            access_token_signing_alg: Algorithm::ES256,
            access_token_audience: None,
            signing_algorithms: Algorithm::ALL.to_vec(),
            client_cache_ttl: 5,
            max_assertion_lifetime: 3600,
            claims_locales_supported: Vec::new(),
            key_rotation_interval: None,
            require_mfa: false,
        }
    }

    /// An endpoint URL under the issuer.
    pub fn endpoint(&self, path: &str) -> String {
        format!("{}{}", self.issuer.trim_end_matches('/'), path)
    }

    pub fn audience(&self) -> &str {
        self.access_token_audience
            .as_deref()
            .unwrap_or(&self.issuer)
    }

    /// The longest any token signed today can live: how long a retired key stays published.
    pub fn max_signed_token_ttl(&self) -> i64 {
        self.access_token_ttl.max(self.id_token_ttl)
    }

    /// How long a revoked delegation is remembered: as long as any token of it can be alive.
    pub fn revocation_memory(&self) -> i64 {
        self.refresh_token_max_lifetime
            .max(self.max_signed_token_ttl())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ProviderError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Key(#[from] KeyError),
}

pub struct Provider {
    store: Arc<dyn Store>,
    clock: Arc<dyn Clock>,
    settings: Settings,
    master_key: Option<MasterKey>,
    /// The ring, and the number of the store read it was built from ([`Provider::reload_keys`]).
    keys: RwLock<(u64, Arc<KeyRing>)>,
    /// Store reads of the keys, numbered as they start.
    key_reads: std::sync::atomic::AtomicU64,
    clients: ClientCache,
    passwords: Arc<dyn PasswordVerifier>,
    events: Arc<dyn EventSink>,
    client_auth_failures: NodeLimit,
    csrf: CsrfKey,
    pairwise: PairwiseKey,
    client_keys: ClientKeys,
}

impl Provider {
    /// Makes sure a signing key exists for every configured algorithm, then loads the ring.
    pub async fn start(
        store: Arc<dyn Store>,
        clock: Arc<dyn Clock>,
        settings: Settings,
        master_key: Option<MasterKey>,
    ) -> Result<Self, ProviderError> {
        let now = clock.now();
        let rows = store.list_signing_keys().await?;
        for alg in &settings.signing_algorithms {
            if !rows.iter().any(|k| k.alg == *alg && k.is_latest()) {
                let key = StoredKey::generate(*alg, master_key.as_ref(), now)?;
                // Another node starting at the same moment may win; its key serves as well.
                store.insert_signing_key(&key).await?;
            }
        }
        let rows = store.list_signing_keys().await?;
        let ring = KeyRing::build(&rows, master_key.as_ref(), now, None)?;
        let clients = ClientCache::new(settings.client_cache_ttl);
        // Derived from the master key when there is one; otherwise stored, once for all nodes.
        let csrf = match &master_key {
            Some(master) => CsrfKey::new(&master.derive(csrf::SECRET_NAME)),
            None => {
                let candidate = CsrfKey::candidate();
                CsrfKey::new(&store.server_secret(csrf::SECRET_NAME, &candidate).await?)
            }
        };
        let pairwise = PairwiseKey::new(
            &store
                .server_secret(subject::SECRET_NAME, &PairwiseKey::candidate())
                .await?,
        );
        Ok(Self {
            store,
            clock,
            settings,
            master_key,
            keys: RwLock::new((0, Arc::new(ring))),
            key_reads: std::sync::atomic::AtomicU64::new(0),
            clients,
            passwords: Arc::new(InlineVerifier),
            events: Arc::new(Discard),
            client_auth_failures: NodeLimit::new(CLIENT_AUTH_FAILURES),
            csrf,
            pairwise,
            client_keys: ClientKeys::default(),
        })
    }

    /// Sets where password hashes are checked (the server: off the async runtime).
    pub fn with_password_verifier(mut self, verifier: Arc<dyn PasswordVerifier>) -> Self {
        self.passwords = verifier;
        self
    }

    /// Sets the network clients' `jwks_uri`s are read over (the server: HTTP; without it only
    /// registered `jwks` serve).
    pub fn with_network(mut self, network: Arc<dyn Upstream>) -> Self {
        self.client_keys = ClientKeys::new(Some(network));
        self
    }

    /// The client's public keys: its registered `jwks`, or the set at its `jwks_uri`.
    pub async fn client_jwks(
        &self,
        client: &Client,
        want: Want,
    ) -> Result<Option<Arc<serde_json::Value>>, TokenError> {
        self.client_keys.get(client, self.now(), want).await
    }

    /// Sets where events go (the server: metrics and the log).
    pub fn with_event_sink(mut self, events: Arc<dyn EventSink>) -> Self {
        self.events = events;
        self
    }

    pub fn record(&self, event: Event) {
        self.events.record(event);
    }

    /// The key of the pages' CSRF tokens.
    pub fn csrf(&self) -> &CsrfKey {
        &self.csrf
    }

    /// The `sub` `client` knows user `user_id` by: the user's own, or the pairwise one of the
    /// client's sector (OIDC Core §8). Wherever a subject leaves Sesame for a client, it is this.
    pub fn subject_for(&self, client: &Client, user_id: &str) -> String {
        self.pairwise.subject_for(client, user_id)
    }

    /// The `sid` `client` knows a browser session by (per sector, as the `sub`).
    pub fn sid_for(&self, client: &Client, sid: &str) -> String {
        self.pairwise.sid_for(client, sid)
    }

    /// This node's count of failed client authentications per client address.
    pub fn client_auth_failures(&self) -> &NodeLimit {
        &self.client_auth_failures
    }

    /// The master key secrets are sealed with, if one is configured.
    pub fn master_key(&self) -> Option<&MasterKey> {
        self.master_key.as_ref()
    }

    pub fn passwords(&self) -> &dyn PasswordVerifier {
        self.passwords.as_ref()
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    pub fn store(&self) -> &dyn Store {
        self.store.as_ref()
    }

    pub fn now(&self) -> i64 {
        self.clock.now()
    }

    pub fn key_ring(&self) -> Arc<KeyRing> {
        match self.keys.read() {
            Ok(ring) => Arc::clone(&ring.1),
            Err(poisoned) => Arc::clone(&poisoned.into_inner().1),
        }
    }

    /// Re-reads the keys from the store (another node or the CLI may have rotated them).
    /// Returns whether the ring changed.
    ///
    /// Reads are numbered as they start, and a ring built from an earlier read never replaces
    /// one built from a later: a rotation reloads after its commit, so a background reload
    /// that read the store just before it cannot put the old keys back.
    pub async fn reload_keys(&self) -> Result<bool, ProviderError> {
        use std::sync::atomic::Ordering;
        let read = self.key_reads.fetch_add(1, Ordering::SeqCst) + 1;
        let rows = self.store.list_signing_keys().await?;
        let current = self.key_ring();
        let ring = KeyRing::build(&rows, self.master_key.as_ref(), self.now(), Some(&current))?;
        if ring.fingerprint() == current.fingerprint() {
            return Ok(false);
        }
        let mut slot = match self.keys.write() {
            Ok(slot) => slot,
            Err(poisoned) => poisoned.into_inner(),
        };
        if slot.0 > read {
            return Ok(false);
        }
        *slot = (read, Arc::new(ring));
        Ok(true)
    }

    /// The client, from memory if it was read less than `client_cache_ttl` seconds ago.
    ///
    /// When the cached copy is older, one request reads the store while the others keep using
    /// that copy for the few milliseconds this takes: without that, every request in flight on
    /// a busy node would read the same row at the same moment.
    pub async fn client(&self, client_id: &str) -> Result<Option<Arc<Client>>, StoreError> {
        let now = self.now();
        let refresh = match self.clients.lookup(client_id, now) {
            Lookup::Fresh(client) | Lookup::BeingRefreshed(client) => return Ok(Some(client)),
            Lookup::Refresh(guard) => Some(guard),
            Lookup::Missing => None,
        };
        let fetched = self.store.get_client(client_id).await?;
        drop(refresh);
        match fetched {
            Some(client) => {
                let client = Arc::new(client);
                self.clients.put(Arc::clone(&client), now);
                Ok(Some(client))
            }
            None => {
                self.clients.forget(client_id);
                Ok(None)
            }
        }
    }
}

impl Provider {
    /// Drops this node's cached copy of a client that was just changed here, so the change
    /// holds on this node at once (other nodes see it within `client_cache_ttl`).
    pub fn forget_client(&self, client_id: &str) {
        self.clients.forget(client_id);
    }
}

/// Clients are read on every token request; caching them for a few seconds saves a store round
/// trip per request. A change made elsewhere (CLI, another node) is seen within the TTL.
struct ClientCache {
    ttl: i64,
    entries: RwLock<HashMap<String, Arc<CachedClient>>>,
}

struct CachedClient {
    client: Arc<Client>,
    fetched_at: i64,
    refreshing: AtomicBool,
}

enum Lookup {
    Fresh(Arc<Client>),
    /// Stale, and another request is reading it again: use this copy meanwhile.
    BeingRefreshed(Arc<Client>),
    /// Stale, and this request reads it again; the guard lets others in if it is dropped.
    Refresh(RefreshGuard),
    Missing,
}

/// Clears the "being refreshed" mark even if the refreshing request is cancelled midway.
struct RefreshGuard(Arc<CachedClient>);

impl Drop for RefreshGuard {
    fn drop(&mut self) {
        self.0.refreshing.store(false, Ordering::Release);
    }
}

/// Enough for every client of a large deployment; past it the cache starts over.
const CLIENT_CACHE_CAPACITY: usize = 10_000;

impl ClientCache {
    fn new(ttl: i64) -> Self {
        Self {
            ttl,
            entries: RwLock::new(HashMap::new()),
        }
    }

    fn lookup(&self, client_id: &str, now: i64) -> Lookup {
        let Some(entry) = self
            .entries
            .read()
            .ok()
            .and_then(|entries| entries.get(client_id).cloned())
        else {
            return Lookup::Missing;
        };
        if now - entry.fetched_at < self.ttl {
            return Lookup::Fresh(Arc::clone(&entry.client));
        }
        if entry.refreshing.swap(true, Ordering::AcqRel) {
            Lookup::BeingRefreshed(Arc::clone(&entry.client))
        } else {
            Lookup::Refresh(RefreshGuard(entry))
        }
    }

    fn put(&self, client: Arc<Client>, now: i64) {
        if self.ttl <= 0 {
            return;
        }
        if let Ok(mut entries) = self.entries.write() {
            if entries.len() >= CLIENT_CACHE_CAPACITY {
                entries.clear();
            }
            let entry = CachedClient {
                client: Arc::clone(&client),
                fetched_at: now,
                refreshing: AtomicBool::new(false),
            };
            entries.insert(client.client_id.clone(), Arc::new(entry));
        }
    }

    fn forget(&self, client_id: &str) {
        if let Ok(mut entries) = self.entries.write() {
            entries.remove(client_id);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{T0, service_client};

    fn cached(ttl: i64) -> ClientCache {
        let cache = ClientCache::new(ttl);
        let secret = crate::secret::Secret::generate();
        cache.put(Arc::new(service_client("svc", &secret, "a")), T0);
        cache
    }

    #[test]
    fn a_stale_entry_is_refreshed_by_one_request_while_the_others_use_it() {
        let cache = cached(5);
        assert!(matches!(cache.lookup("svc", T0 + 4), Lookup::Fresh(_)));
        let first = cache.lookup("svc", T0 + 5);
        assert!(matches!(first, Lookup::Refresh(_)));
        assert!(matches!(
            cache.lookup("svc", T0 + 5),
            Lookup::BeingRefreshed(_)
        ));
        // The refreshing request gave up (cancelled or failed): the next one takes over.
        drop(first);
        assert!(matches!(cache.lookup("svc", T0 + 6), Lookup::Refresh(_)));
    }

    #[test]
    fn forgotten_and_unknown_clients_are_missing() {
        let cache = cached(5);
        cache.forget("svc");
        assert!(matches!(cache.lookup("svc", T0), Lookup::Missing));
        assert!(matches!(cached(0).lookup("other", T0), Lookup::Missing));
    }
}
