//! An in-memory store and fixtures, so the protocol core is tested without a database.

use crate::authorize::pending::PendingAuthorization;
use crate::client::{AuthMethod, Client, ClientMetadata, GrantType};
use crate::clock::FixedClock;
use crate::device::{DeviceCode, DeviceStatus};
use crate::federation::{Connection, FederationState};
use crate::grant::{Grant, StoredCode, StoredRefreshToken};
use crate::keys::Algorithm;
use crate::keys::StoredKey;
use crate::oauth1::{Oauth1Token, TokenKind, TokenStatus};
use crate::provider::{Provider, Settings};
use crate::scope::Scopes;
use crate::secret::{Secret, SecretHash};
use crate::session::BrowserSession;
use crate::store::*;
use crate::user::User;
use async_trait::async_trait;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

#[derive(Default)]
struct Tables {
    clients: HashMap<String, Client>,
    users: HashMap<String, User>,
    keys: Vec<StoredKey>,
    tokens: HashMap<[u8; 32], OpaqueAccessToken>,
    revoked_jtis: HashMap<String, i64>,
    assertion_jtis: HashMap<(String, String), i64>,
    codes: HashMap<[u8; 32], StoredCode>,
    refresh_tokens: HashMap<[u8; 32], StoredRefreshToken>,
    sessions: HashMap<[u8; 32], BrowserSession>,
    pending: HashMap<String, PendingAuthorization>,
    consents: HashMap<(String, String), Scopes>,
    revoked_grants: HashMap<String, i64>,
    oauth1_secrets: HashMap<String, Vec<u8>>,
    connections: HashMap<String, (Connection, Vec<u8>)>,
    /// (connection, subject) → user
    links: HashMap<(String, String), String>,
    federation_states: HashMap<String, FederationState>,
    oauth1_tokens: HashMap<String, Oauth1Token>,
    device_codes: HashMap<[u8; 32], DeviceCode>,
    /// account → (failures, window start, locked until)
    login_failures: HashMap<String, (u32, i64, i64)>,
}

/// Follows the same contracts as the SQL stores, with one mutex around everything.
#[derive(Default)]
pub struct MemoryStore(Mutex<Tables>);

impl MemoryStore {
    fn tables(&self) -> MutexGuard<'_, Tables> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[async_trait]
impl ClientStore for MemoryStore {
    async fn get_client(&self, client_id: &str) -> Result<Option<Client>, StoreError> {
        Ok(self.tables().clients.get(client_id).cloned())
    }
    async fn list_clients(&self) -> Result<Vec<Client>, StoreError> {
        let mut v: Vec<Client> = self.tables().clients.values().cloned().collect();
        v.sort_by(|a, b| a.client_id.cmp(&b.client_id));
        Ok(v)
    }
    async fn insert_client(&self, client: &Client) -> Result<bool, StoreError> {
        let mut t = self.tables();
        if t.clients.contains_key(&client.client_id) {
            return Ok(false);
        }
        t.clients.insert(client.client_id.clone(), client.clone());
        Ok(true)
    }
    async fn upsert_client(&self, client: &Client) -> Result<(), StoreError> {
        self.tables()
            .clients
            .insert(client.client_id.clone(), client.clone());
        Ok(())
    }
    async fn update_client(&self, client: &Client) -> Result<bool, StoreError> {
        let mut t = self.tables();
        match t.clients.get_mut(&client.client_id) {
            Some(c) => {
                *c = client.clone();
                Ok(true)
            }
            None => Ok(false),
        }
    }
    async fn delete_client(&self, client_id: &str) -> Result<bool, StoreError> {
        let mut t = self.tables();
        t.oauth1_secrets.remove(client_id);
        t.oauth1_tokens.retain(|_, o| o.client_id != client_id);
        Ok(t.clients.remove(client_id).is_some())
    }
}

#[async_trait]
impl UserStore for MemoryStore {
    async fn get_user(&self, id: &str) -> Result<Option<User>, StoreError> {
        Ok(self.tables().users.get(id).cloned())
    }
    async fn get_user_by_username(&self, username: &str) -> Result<Option<User>, StoreError> {
        Ok(self
            .tables()
            .users
            .values()
            .find(|u| u.username == username)
            .cloned())
    }
    async fn list_users(&self) -> Result<Vec<User>, StoreError> {
        let mut v: Vec<User> = self.tables().users.values().cloned().collect();
        v.sort_by(|a, b| a.username.cmp(&b.username));
        Ok(v)
    }
    async fn insert_user(&self, user: &User) -> Result<bool, StoreError> {
        let mut t = self.tables();
        if t.users.contains_key(&user.id) || t.users.values().any(|u| u.username == user.username) {
            return Ok(false);
        }
        t.users.insert(user.id.clone(), user.clone());
        Ok(true)
    }
    async fn update_user(&self, user: &User) -> Result<bool, StoreError> {
        let mut t = self.tables();
        let taken = t
            .users
            .values()
            .any(|u| u.username == user.username && u.id != user.id);
        match t.users.get_mut(&user.id) {
            Some(existing) if !taken => {
                *existing = user.clone();
                Ok(true)
            }
            _ => Ok(false),
        }
    }
    async fn delete_user(&self, id: &str) -> Result<bool, StoreError> {
        let mut t = self.tables();
        t.links.retain(|_, user| user != id);
        Ok(t.users.remove(id).is_some())
    }
}

#[async_trait]
impl KeyStore for MemoryStore {
    async fn list_signing_keys(&self) -> Result<Vec<StoredKey>, StoreError> {
        Ok(self.tables().keys.clone())
    }
    async fn insert_signing_key(&self, key: &StoredKey) -> Result<bool, StoreError> {
        let mut t = self.tables();
        if key.is_active() && t.keys.iter().any(|k| k.alg == key.alg && k.is_active()) {
            return Ok(false);
        }
        t.keys.push(key.clone());
        Ok(true)
    }
    async fn rotate_signing_keys(
        &self,
        new_keys: &[StoredKey],
        retired_at: i64,
        publish_until: i64,
    ) -> Result<(), StoreError> {
        let mut t = self.tables();
        for k in t.keys.iter_mut() {
            if k.retired_at.is_none() && new_keys.iter().any(|n| n.alg == k.alg) {
                k.retired_at = Some(retired_at);
                k.publish_until = Some(publish_until);
            }
        }
        t.keys.extend(new_keys.iter().cloned());
        Ok(())
    }
}

#[async_trait]
impl TokenStore for MemoryStore {
    async fn insert_access_token(&self, token: &OpaqueAccessToken) -> Result<(), StoreError> {
        self.tables()
            .tokens
            .insert(token.token_hash.0, token.clone());
        Ok(())
    }
    async fn find_access_token(
        &self,
        token_hash: &SecretHash,
    ) -> Result<Option<OpaqueAccessToken>, StoreError> {
        Ok(self.tables().tokens.get(&token_hash.0).cloned())
    }
    async fn revoke_access_token(
        &self,
        token_hash: &SecretHash,
        now: i64,
    ) -> Result<bool, StoreError> {
        Ok(match self.tables().tokens.get_mut(&token_hash.0) {
            Some(t) => {
                t.revoked_at.get_or_insert(now);
                true
            }
            None => false,
        })
    }
    async fn revoke_jti(&self, jti: &str, expires_at: i64) -> Result<(), StoreError> {
        self.tables()
            .revoked_jtis
            .insert(jti.to_owned(), expires_at);
        Ok(())
    }
    async fn is_jti_revoked(&self, jti: &str) -> Result<bool, StoreError> {
        Ok(self.tables().revoked_jtis.contains_key(jti))
    }
}

#[async_trait]
impl ReplayStore for MemoryStore {
    async fn record_assertion_jti(
        &self,
        client_id: &str,
        jti: &str,
        expires_at: i64,
    ) -> Result<bool, StoreError> {
        let key = (client_id.to_owned(), jti.to_owned());
        let mut t = self.tables();
        if t.assertion_jtis.contains_key(&key) {
            return Ok(false);
        }
        t.assertion_jtis.insert(key, expires_at);
        Ok(true)
    }
}

#[async_trait]
impl GrantStore for MemoryStore {
    async fn insert_code(&self, code: &StoredCode) -> Result<(), StoreError> {
        self.tables().codes.insert(code.code_hash.0, code.clone());
        Ok(())
    }
    async fn find_code(&self, code_hash: &SecretHash) -> Result<Option<StoredCode>, StoreError> {
        Ok(self.tables().codes.get(&code_hash.0).cloned())
    }
    async fn consume_code(
        &self,
        code_hash: &SecretHash,
        client_id: &str,
        now: i64,
    ) -> Result<Option<StoredCode>, StoreError> {
        let mut t = self.tables();
        Ok(match t.codes.get_mut(&code_hash.0) {
            Some(c)
                if c.used_at.is_none() && c.expires_at > now && c.grant.client_id == client_id =>
            {
                c.used_at = Some(now);
                Some(c.clone())
            }
            _ => None,
        })
    }
    async fn insert_refresh_token(&self, token: &StoredRefreshToken) -> Result<(), StoreError> {
        self.tables()
            .refresh_tokens
            .insert(token.token_hash.0, token.clone());
        Ok(())
    }
    async fn find_refresh_token(
        &self,
        token_hash: &SecretHash,
    ) -> Result<Option<StoredRefreshToken>, StoreError> {
        Ok(self.tables().refresh_tokens.get(&token_hash.0).cloned())
    }
    async fn use_refresh_token(
        &self,
        token_hash: &SecretHash,
        client_id: &str,
        now: i64,
    ) -> Result<Option<StoredRefreshToken>, StoreError> {
        let mut t = self.tables();
        Ok(match t.refresh_tokens.get_mut(&token_hash.0) {
            Some(r)
                if r.used_at.is_none()
                    && r.revoked_at.is_none()
                    && r.expires_at > now
                    && r.grant.client_id == client_id =>
            {
                r.used_at = Some(now);
                Some(r.clone())
            }
            _ => None,
        })
    }
    async fn revoke_grant(
        &self,
        grant_id: &str,
        now: i64,
        keep_until: i64,
    ) -> Result<(), StoreError> {
        let mut t = self.tables();
        t.revoked_grants.insert(grant_id.to_owned(), keep_until);
        for r in t.refresh_tokens.values_mut() {
            if r.grant.grant_id == grant_id {
                r.revoked_at.get_or_insert(now);
            }
        }
        let mut jtis = Vec::new();
        for a in t.tokens.values_mut() {
            if a.grant_id.as_deref() == Some(grant_id) {
                a.revoked_at.get_or_insert(now);
                jtis.push((a.jti.clone(), a.expires_at));
            }
        }
        t.revoked_jtis.extend(jtis);
        Ok(())
    }
    async fn is_grant_revoked(&self, grant_id: &str) -> Result<bool, StoreError> {
        Ok(self.tables().revoked_grants.contains_key(grant_id))
    }
}

#[async_trait]
impl DeviceStore for MemoryStore {
    async fn insert_device_code(&self, code: &DeviceCode) -> Result<bool, StoreError> {
        let mut t = self.tables();
        if t.device_codes
            .values()
            .any(|d| d.user_code == code.user_code)
        {
            return Ok(false);
        }
        t.device_codes.insert(code.device_code_hash.0, code.clone());
        Ok(true)
    }
    async fn find_device_code(&self, hash: &SecretHash) -> Result<Option<DeviceCode>, StoreError> {
        Ok(self.tables().device_codes.get(&hash.0).cloned())
    }
    async fn find_device_code_by_user_code(
        &self,
        user_code: &str,
    ) -> Result<Option<DeviceCode>, StoreError> {
        Ok(self
            .tables()
            .device_codes
            .values()
            .find(|d| d.user_code == user_code)
            .cloned())
    }
    async fn poll_device_code(
        &self,
        hash: &SecretHash,
        now: i64,
        interval: i64,
    ) -> Result<(), StoreError> {
        if let Some(d) = self.tables().device_codes.get_mut(&hash.0) {
            d.last_polled_at = Some(now);
            d.interval = interval;
        }
        Ok(())
    }
    async fn settle_device_code(
        &self,
        user_code: &str,
        status: DeviceStatus,
        grant: Option<&Grant>,
        now: i64,
    ) -> Result<bool, StoreError> {
        let mut t = self.tables();
        let Some(d) = t.device_codes.values_mut().find(|d| {
            d.user_code == user_code && d.status == DeviceStatus::Pending && d.expires_at > now
        }) else {
            return Ok(false);
        };
        d.status = status;
        d.grant = grant.cloned();
        Ok(true)
    }
    async fn redeem_device_code(
        &self,
        hash: &SecretHash,
        client_id: &str,
        now: i64,
    ) -> Result<Option<DeviceCode>, StoreError> {
        let mut t = self.tables();
        Ok(match t.device_codes.get_mut(&hash.0) {
            Some(d)
                if d.status == DeviceStatus::Approved
                    && d.expires_at > now
                    && d.client_id == client_id =>
            {
                d.status = DeviceStatus::Redeemed;
                Some(d.clone())
            }
            _ => None,
        })
    }
}

#[async_trait]
impl InteractionStore for MemoryStore {
    async fn insert_session(
        &self,
        id_hash: &SecretHash,
        session: &BrowserSession,
    ) -> Result<(), StoreError> {
        self.tables().sessions.insert(id_hash.0, session.clone());
        Ok(())
    }
    async fn get_session(
        &self,
        id_hash: &SecretHash,
    ) -> Result<Option<BrowserSession>, StoreError> {
        Ok(self.tables().sessions.get(&id_hash.0).cloned())
    }
    async fn delete_session(&self, id_hash: &SecretHash) -> Result<(), StoreError> {
        self.tables().sessions.remove(&id_hash.0);
        Ok(())
    }
    async fn insert_pending(&self, pending: &PendingAuthorization) -> Result<(), StoreError> {
        self.tables()
            .pending
            .insert(pending.id.clone(), pending.clone());
        Ok(())
    }
    async fn get_pending(&self, id: &str) -> Result<Option<PendingAuthorization>, StoreError> {
        Ok(self.tables().pending.get(id).cloned())
    }
    async fn update_pending(&self, pending: &PendingAuthorization) -> Result<bool, StoreError> {
        Ok(match self.tables().pending.get_mut(&pending.id) {
            Some(p) => {
                *p = pending.clone();
                true
            }
            None => false,
        })
    }
    async fn take_pending(&self, id: &str) -> Result<Option<PendingAuthorization>, StoreError> {
        Ok(self.tables().pending.remove(id))
    }
    async fn get_consent(
        &self,
        user_id: &str,
        client_id: &str,
    ) -> Result<Option<Scopes>, StoreError> {
        let key = (user_id.to_owned(), client_id.to_owned());
        Ok(self.tables().consents.get(&key).cloned())
    }
    async fn put_consent(
        &self,
        user_id: &str,
        client_id: &str,
        scope: &Scopes,
        _now: i64,
    ) -> Result<(), StoreError> {
        let key = (user_id.to_owned(), client_id.to_owned());
        self.tables().consents.insert(key, scope.clone());
        Ok(())
    }
}

#[async_trait]
impl Oauth1Store for MemoryStore {
    async fn put_oauth1_secret(&self, client_id: &str, sealed: &[u8]) -> Result<(), StoreError> {
        self.tables()
            .oauth1_secrets
            .insert(client_id.to_owned(), sealed.to_vec());
        Ok(())
    }
    async fn delete_oauth1_secret(&self, client_id: &str) -> Result<(), StoreError> {
        self.tables().oauth1_secrets.remove(client_id);
        Ok(())
    }
    async fn get_oauth1_secret(&self, client_id: &str) -> Result<Option<Vec<u8>>, StoreError> {
        Ok(self.tables().oauth1_secrets.get(client_id).cloned())
    }
    async fn insert_oauth1_token(&self, token: &Oauth1Token) -> Result<(), StoreError> {
        self.tables()
            .oauth1_tokens
            .insert(token.token.clone(), token.clone());
        Ok(())
    }
    async fn find_oauth1_token(&self, token: &str) -> Result<Option<Oauth1Token>, StoreError> {
        Ok(self.tables().oauth1_tokens.get(token).cloned())
    }
    async fn answer_oauth1_token(
        &self,
        token: &str,
        status: TokenStatus,
        user_id: Option<&str>,
        verifier_hash: Option<&SecretHash>,
        now: i64,
    ) -> Result<bool, StoreError> {
        let mut t = self.tables();
        Ok(match t.oauth1_tokens.get_mut(token) {
            Some(o)
                if o.kind == TokenKind::Temporary
                    && o.status == TokenStatus::Pending
                    && o.expires_at > now =>
            {
                o.status = status;
                o.user_id = user_id.map(str::to_owned);
                o.verifier_hash = verifier_hash.cloned();
                true
            }
            _ => false,
        })
    }
    async fn exchange_oauth1_token(
        &self,
        token: &str,
        client_id: &str,
        now: i64,
    ) -> Result<Option<Oauth1Token>, StoreError> {
        let mut t = self.tables();
        Ok(match t.oauth1_tokens.get_mut(token) {
            Some(o)
                if o.kind == TokenKind::Temporary
                    && o.status == TokenStatus::Authorized
                    && o.expires_at > now
                    && o.client_id == client_id =>
            {
                o.status = TokenStatus::Used;
                Some(o.clone())
            }
            _ => None,
        })
    }
}

#[async_trait]
impl FederationStore for MemoryStore {
    async fn upsert_connection(
        &self,
        connection: &Connection,
        sealed_secret: &[u8],
    ) -> Result<(), StoreError> {
        self.tables().connections.insert(
            connection.id.clone(),
            (connection.clone(), sealed_secret.to_vec()),
        );
        Ok(())
    }
    async fn list_connections(&self) -> Result<Vec<Connection>, StoreError> {
        let mut v: Vec<Connection> = self
            .tables()
            .connections
            .values()
            .map(|(c, _)| c.clone())
            .collect();
        v.sort_by(|a, b| a.id.cmp(&b.id));
        Ok(v)
    }
    async fn get_connection(&self, id: &str) -> Result<Option<(Connection, Vec<u8>)>, StoreError> {
        Ok(self.tables().connections.get(id).cloned())
    }
    async fn delete_connection(&self, id: &str) -> Result<bool, StoreError> {
        let mut t = self.tables();
        t.links.retain(|(connection, _), _| connection != id);
        Ok(t.connections.remove(id).is_some())
    }
    async fn find_linked_user(
        &self,
        connection_id: &str,
        subject: &str,
    ) -> Result<Option<String>, StoreError> {
        let key = (connection_id.to_owned(), subject.to_owned());
        Ok(self.tables().links.get(&key).cloned())
    }
    async fn link_identity(
        &self,
        connection_id: &str,
        subject: &str,
        user_id: &str,
        _now: i64,
    ) -> Result<bool, StoreError> {
        let key = (connection_id.to_owned(), subject.to_owned());
        let mut t = self.tables();
        if t.links.contains_key(&key) {
            return Ok(false);
        }
        t.links.insert(key, user_id.to_owned());
        Ok(true)
    }
    async fn create_linked_user(
        &self,
        user: &User,
        connection_id: &str,
        subject: &str,
        _now: i64,
    ) -> Result<bool, StoreError> {
        let key = (connection_id.to_owned(), subject.to_owned());
        let mut t = self.tables();
        let taken = t.users.contains_key(&user.id)
            || t.users.values().any(|u| u.username == user.username)
            || t.links.contains_key(&key);
        if taken {
            return Ok(false);
        }
        t.users.insert(user.id.clone(), user.clone());
        t.links.insert(key, user.id.clone());
        Ok(true)
    }
    async fn list_linked_identities(
        &self,
        user_id: &str,
    ) -> Result<Vec<(String, String)>, StoreError> {
        let mut v: Vec<(String, String)> = self
            .tables()
            .links
            .iter()
            .filter(|(_, u)| *u == user_id)
            .map(|(k, _)| k.clone())
            .collect();
        v.sort();
        Ok(v)
    }
    async fn unlink_identity(
        &self,
        user_id: &str,
        connection_id: &str,
    ) -> Result<bool, StoreError> {
        let mut t = self.tables();
        let before = t.links.len();
        t.links
            .retain(|(c, _), u| !(u == user_id && c == connection_id));
        Ok(t.links.len() != before)
    }
    async fn insert_federation_state(&self, state: &FederationState) -> Result<(), StoreError> {
        self.tables()
            .federation_states
            .insert(state.state.clone(), state.clone());
        Ok(())
    }
    async fn take_federation_state(
        &self,
        state: &str,
    ) -> Result<Option<FederationState>, StoreError> {
        Ok(self.tables().federation_states.remove(state))
    }
}

#[async_trait]
impl LoginThrottle for MemoryStore {
    async fn record_login_failure(
        &self,
        account: &str,
        now: i64,
        window_start: i64,
    ) -> Result<u32, StoreError> {
        let mut t = self.tables();
        let entry = t
            .login_failures
            .entry(account.to_owned())
            .or_insert((0, now, 0));
        if entry.1 <= window_start {
            *entry = (0, now, entry.2);
        }
        entry.0 += 1;
        Ok(entry.0)
    }
    async fn lock_login(&self, account: &str, until: i64) -> Result<(), StoreError> {
        let mut t = self.tables();
        let entry = t
            .login_failures
            .entry(account.to_owned())
            .or_insert((0, 0, 0));
        *entry = (0, entry.1, until);
        Ok(())
    }
    async fn login_locked_until(&self, account: &str, now: i64) -> Result<Option<i64>, StoreError> {
        Ok(self
            .tables()
            .login_failures
            .get(account)
            .map(|e| e.2)
            .filter(|until| *until > now))
    }
    async fn clear_login_failures(&self, account: &str) -> Result<(), StoreError> {
        self.tables().login_failures.remove(account);
        Ok(())
    }
}

#[async_trait]
impl Maintenance for MemoryStore {
    async fn ping(&self) -> Result<(), StoreError> {
        Ok(())
    }
    async fn sweep_expired(&self, now: i64, _batch: u32) -> Result<u64, StoreError> {
        let mut t = self.tables();
        let before = t.tokens.len() + t.revoked_jtis.len() + t.assertion_jtis.len() + t.keys.len();
        t.tokens.retain(|_, v| v.expires_at > now);
        t.revoked_jtis.retain(|_, exp| *exp > now);
        t.assertion_jtis.retain(|_, exp| *exp > now);
        t.keys.retain(|k| k.is_published(now));
        let after = t.tokens.len() + t.revoked_jtis.len() + t.assertion_jtis.len() + t.keys.len();
        Ok((before - after) as u64)
    }
    async fn migrate(&self) -> Result<(), StoreError> {
        Ok(())
    }
}

/// The fixed time every fixture starts at.
pub const T0: i64 = 1_700_000_000;

/// A provider on a memory store and a fixed clock, issuer `https://id.test`.
pub async fn provider() -> (Provider, Arc<MemoryStore>, Arc<FixedClock>) {
    let store = Arc::new(MemoryStore::default());
    let clock = Arc::new(FixedClock::at(T0));
    let mut settings = Settings::new("https://id.test");
    // Tests change clients between calls and expect to see it.
    settings.client_cache_ttl = 0;
    // One RSA key is enough for unit tests; generating more only slows them.
    settings.signing_algorithms = vec![Algorithm::RS256, Algorithm::ES256, Algorithm::EdDSA];
    #[allow(clippy::expect_used)]
    let provider = Provider::start(store.clone(), clock.clone(), settings, None)
        .await
        .expect("provider starts on a memory store");
    (provider, store, clock)
}

/// A confidential client_credentials client with this secret and scope.
pub fn service_client(client_id: &str, secret: &Secret, scope: &str) -> Client {
    #[allow(clippy::expect_used)]
    let scope = Scopes::parse(scope).expect("fixture scope");
    Client {
        client_id: client_id.to_owned(),
        secret_hash: Some(secret.hash()),
        metadata: ClientMetadata {
            grant_types: vec![GrantType::ClientCredentials],
            token_endpoint_auth_method: AuthMethod::ClientSecretBasic,
            scope,
            ..Default::default()
        },
        created_at: T0,
        updated_at: T0,
    }
}
