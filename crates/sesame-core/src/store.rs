//! Storage traits, one per aggregate, with their contracts written down.
//!
//! `Ok(None)` means "not found" and the caller decides what that means; [`StoreError`] means
//! only that the backend failed. Time is always a parameter (the core's clock), never the
//! database's `now()`. Single-use items are consumed by one atomic call.

use crate::audit::{AuditEvent, AuditQuery};
use crate::authorize::pending::PendingAuthorization;
use crate::client::Client;
use crate::delegation::{Delegation, StoredCode, StoredRefreshToken};
use crate::device::{DeviceCode, DeviceStatus};
use crate::federation::{Connection, FederationState};
use crate::keys::StoredKey;
use crate::mfa::Factor;
use crate::oauth1::{Oauth1Token, TokenStatus as Oauth1Status};
use crate::scope::Scopes;
use crate::secret::SecretHash;
use crate::session::BrowserSession;
use crate::user::User;
use async_trait::async_trait;

#[derive(Debug, Clone, thiserror::Error)]
pub enum StoreError {
    /// The backend cannot be reached (connection refused, pool timed out): retry later.
    #[error("store unavailable: {0}")]
    Unavailable(String),
    /// A row broke the store's own invariants (bad JSON, a wrong-sized hash).
    #[error("corrupt row: {0}")]
    Corrupt(String),
    #[error("store error: {0}")]
    Backend(String),
}

#[async_trait]
pub trait ClientStore: Send + Sync {
    async fn get_client(&self, client_id: &str) -> Result<Option<Client>, StoreError>;
    async fn list_clients(&self) -> Result<Vec<Client>, StoreError>;
    /// Inserts a new client; `Ok(false)` if the client_id is taken (nothing is changed then).
    async fn insert_client(&self, client: &Client) -> Result<bool, StoreError>;
    /// Inserts or replaces the client with this client_id (declarative config). Every write of
    /// a client or user moves its `updated_at` forward (to the one given, or one past the
    /// stored one if that is not later): it is the version [`ClientStore::replace_client`]
    /// compares.
    async fn upsert_client(&self, client: &Client) -> Result<(), StoreError>;
    /// Replaces an existing client; `Ok(false)` if there is none.
    async fn update_client(&self, client: &Client) -> Result<bool, StoreError>;
    /// Replaces the client only if its stored `updated_at` is still `read_at`, i.e. nobody
    /// changed it since it was read (a compare-and-set: of two racing changes from one read,
    /// one wins); `Ok(false)` otherwise, or if it is gone.
    async fn replace_client(&self, client: &Client, read_at: i64) -> Result<bool, StoreError>;
    /// `Ok(false)` if there was no such client. Everything issued to it ends with it, in the
    /// same transaction: the `jti`s of its recorded JWTs are revoked; its codes, refresh tokens,
    /// opaque tokens, device codes, consents and OAuth 1.0a secret and credentials are deleted.
    async fn delete_client(&self, client_id: &str) -> Result<bool, StoreError>;
}

/// A page of users in username order: those whose username or email contains `search`
/// (ASCII case-insensitively), with a username after `after` (the last of the previous page).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserQuery {
    pub search: Option<String>,
    pub after: Option<String>,
    pub limit: u32,
}

impl UserQuery {
    /// Whether a user passes the filters (the memory store's; SQL says the same).
    pub fn matches(&self, user: &User) -> bool {
        let contains = |hay: &str, needle: &str| {
            hay.to_ascii_lowercase()
                .contains(&needle.to_ascii_lowercase())
        };
        let found = self.search.as_deref().is_none_or(|q| {
            contains(&user.username, q)
                || user.claims.email.as_deref().is_some_and(|e| contains(e, q))
        });
        found
            && self
                .after
                .as_deref()
                .is_none_or(|a| user.username.as_str() > a)
    }
}

#[async_trait]
pub trait UserStore: Send + Sync {
    async fn get_user(&self, id: &str) -> Result<Option<User>, StoreError>;
    async fn get_user_by_username(&self, username: &str) -> Result<Option<User>, StoreError>;
    async fn list_users(&self) -> Result<Vec<User>, StoreError>;
    /// Up to `query.limit` users of [`UserQuery`]; fast on a large table when `search` is
    /// unset (an index walk), a scan that stops at the page's end otherwise.
    async fn search_users(&self, query: &UserQuery) -> Result<Vec<User>, StoreError>;
    /// Inserts a new user; `Ok(false)` if the username or id is taken (nothing changes then).
    async fn insert_user(&self, user: &User) -> Result<bool, StoreError>;
    /// Replaces the user with this id; `Ok(false)` if there is none, or the new username is taken.
    async fn update_user(&self, user: &User) -> Result<bool, StoreError>;
    /// [`UserStore::update_user`], only if the stored `updated_at` is still `read_at` (as
    /// [`ClientStore::replace_client`]); `Ok(false)` also when it changed meanwhile.
    async fn replace_user(&self, user: &User, read_at: i64) -> Result<bool, StoreError>;
    /// `Ok(false)` if there was no such user. Its linked identities, sessions and consents go
    /// with it, in the same transaction (its tokens are refused anyway: the user is gone).
    async fn delete_user(&self, id: &str) -> Result<bool, StoreError>;
}

#[async_trait]
pub trait KeyStore: Send + Sync {
    async fn list_signing_keys(&self) -> Result<Vec<StoredKey>, StoreError>;
    /// Adds a key, unless its algorithm already has a latest (unretired) one: `Ok(false)` then,
    /// and nothing changes (so nodes starting at once create one key per algorithm, not one each).
    async fn insert_signing_key(&self, key: &StoredKey) -> Result<bool, StoreError>;
    /// In one transaction: retires the latest key of each new key's algorithm (setting
    /// `retired_at`, which may lie in the future, and `publish_until`) and inserts the new keys.
    async fn rotate_signing_keys(
        &self,
        new_keys: &[StoredKey],
        retired_at: i64,
        publish_until: i64,
    ) -> Result<(), StoreError>;
    /// The server secret named `name` (the CSRF key when no master key is set), storing
    /// `candidate` if there is none yet. Atomic: nodes starting at once all get the same one.
    async fn server_secret(&self, name: &str, candidate: &[u8]) -> Result<Vec<u8>, StoreError>;
}

/// An opaque access token as stored: only the SHA-256 of the token, never the token.
#[derive(Debug, Clone, PartialEq)]
pub struct OpaqueAccessToken {
    pub token_hash: SecretHash,
    pub jti: String,
    pub client_id: String,
    pub subject: String,
    pub scope: Scopes,
    pub audience: String,
    pub issued_at: i64,
    pub expires_at: i64,
    pub revoked_at: Option<i64>,
    /// The delegation the token came from; revoking the delegation revokes the token.
    pub delegation_id: Option<String>,
    /// Claims the client asked UserInfo to return (OIDC Core §5.5), beyond the scope's.
    pub userinfo_claims: Vec<String>,
}

#[async_trait]
pub trait TokenStore: Send + Sync {
    async fn insert_access_token(&self, token: &OpaqueAccessToken) -> Result<(), StoreError>;
    async fn find_access_token(
        &self,
        token_hash: &SecretHash,
    ) -> Result<Option<OpaqueAccessToken>, StoreError>;
    /// Marks the token revoked; `Ok(false)` if there was no such token.
    async fn revoke_access_token(
        &self,
        token_hash: &SecretHash,
        now: i64,
    ) -> Result<bool, StoreError>;
    /// Records a self-contained (JWT) token's `jti` as revoked until it would have expired.
    async fn revoke_jti(&self, jti: &str, expires_at: i64) -> Result<(), StoreError>;
    async fn is_jti_revoked(&self, jti: &str) -> Result<bool, StoreError>;
}

#[async_trait]
pub trait ReplayStore: Send + Sync {
    /// Records a client assertion's `jti` (RFC 7523 §3 item 7) until `expires_at`. `Ok(true)` the
    /// first time; `Ok(false)` if this client already used it. Atomic: of two racing calls with
    /// the same jti exactly one gets `true`.
    async fn record_assertion_jti(
        &self,
        client_id: &str,
        jti: &str,
        expires_at: i64,
    ) -> Result<bool, StoreError>;
}

#[async_trait]
pub trait DelegationStore: Send + Sync {
    async fn insert_code(&self, code: &StoredCode) -> Result<(), StoreError>;
    /// The code with this hash, used or not (to tell a replay from a bad code).
    async fn find_code(&self, code_hash: &SecretHash) -> Result<Option<StoredCode>, StoreError>;
    /// Marks the code used if it is unused, unexpired and the client's, and returns it; `None`
    /// otherwise. Atomic: of two racing calls exactly one gets the code.
    async fn consume_code(
        &self,
        code_hash: &SecretHash,
        client_id: &str,
        now: i64,
    ) -> Result<Option<StoredCode>, StoreError>;
    async fn insert_refresh_token(&self, token: &StoredRefreshToken) -> Result<(), StoreError>;
    async fn find_refresh_token(
        &self,
        token_hash: &SecretHash,
    ) -> Result<Option<StoredRefreshToken>, StoreError>;
    /// Marks the token used (rotated) if it is unused, unrevoked, unexpired and the client's;
    /// `None` otherwise. Atomic like [`DelegationStore::consume_code`].
    async fn use_refresh_token(
        &self,
        token_hash: &SecretHash,
        client_id: &str,
        now: i64,
    ) -> Result<Option<StoredRefreshToken>, StoreError>;
    /// Revokes everything issued under the delegation, in one transaction: its refresh tokens, its
    /// recorded access tokens, and the `jti`s of its JWT access tokens; and remembers the delegation
    /// as revoked until `keep_until`, so tokens issued by a request racing this one are caught.
    async fn revoke_delegation(
        &self,
        delegation_id: &str,
        now: i64,
        keep_until: i64,
    ) -> Result<(), StoreError>;
    async fn is_delegation_revoked(&self, delegation_id: &str) -> Result<bool, StoreError>;
    /// Withdraws what a user let a client do, in one transaction: deletes the consent and
    /// revokes (as [`DelegationStore::revoke_delegation`]) every delegation of the user to the
    /// client that a code (used or not: its tokens may be being minted), refresh token, access
    /// token or approved device code names. Returns what it reached: the consent (a
    /// `skip_consent` client has none) and the delegations.
    async fn revoke_consent(
        &self,
        user_id: &str,
        client_id: &str,
        now: i64,
        keep_until: i64,
    ) -> Result<Withdrawn, StoreError>;
    /// Revokes every delegation of the user at every client, as [`DelegationStore::revoke_consent`]
    /// finds them, keeping the consents (a disabled account, a password set by an operator);
    /// returns how many delegations were revoked.
    async fn revoke_user_delegations(
        &self,
        user_id: &str,
        now: i64,
        keep_until: i64,
    ) -> Result<u64, StoreError>;
}

#[async_trait]
pub trait InteractionStore: Send + Sync {
    /// Sessions are keyed by the SHA-256 of the cookie value.
    async fn insert_session(
        &self,
        id_hash: &SecretHash,
        session: &BrowserSession,
    ) -> Result<(), StoreError>;
    async fn get_session(&self, id_hash: &SecretHash)
    -> Result<Option<BrowserSession>, StoreError>;
    async fn delete_session(&self, id_hash: &SecretHash) -> Result<(), StoreError>;

    async fn insert_pending(&self, pending: &PendingAuthorization) -> Result<(), StoreError>;
    async fn get_pending(&self, id: &str) -> Result<Option<PendingAuthorization>, StoreError>;
    /// Replaces a pending authorization that still exists; `Ok(false)` if it is gone.
    async fn update_pending(&self, pending: &PendingAuthorization) -> Result<bool, StoreError>;
    /// Deletes and returns it. Atomic: a request is resumed to completion at most once.
    async fn take_pending(&self, id: &str) -> Result<Option<PendingAuthorization>, StoreError>;

    /// The scopes this user has approved for this client.
    async fn get_consent(
        &self,
        user_id: &str,
        client_id: &str,
    ) -> Result<Option<Scopes>, StoreError>;
    async fn put_consent(
        &self,
        user_id: &str,
        client_id: &str,
        scope: &Scopes,
        now: i64,
    ) -> Result<(), StoreError>;
    /// Every consent of the user, by client_id.
    async fn list_consents(&self, user_id: &str) -> Result<Vec<Consent>, StoreError>;

    /// The user's sessions unexpired at `now`, newest sign-in first.
    async fn list_sessions(
        &self,
        user_id: &str,
        now: i64,
    ) -> Result<Vec<BrowserSession>, StoreError>;
    /// Ends the user's session with this `sid`, or all of them when `sid` is `None`; returns
    /// how many ended. Every node stops honouring them at once (sessions are not cached).
    async fn delete_sessions(&self, user_id: &str, sid: Option<&str>) -> Result<u64, StoreError>;
}

/// What [`DelegationStore::revoke_consent`] reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Withdrawn {
    /// There was a consent, and it is gone.
    pub consent: bool,
    /// How many delegations were revoked.
    pub delegations: u64,
}

/// What a user approved for one client, and when.
#[derive(Debug, Clone, PartialEq)]
pub struct Consent {
    pub client_id: String,
    pub scope: Scopes,
    pub granted_at: i64,
}

#[async_trait]
pub trait DeviceStore: Send + Sync {
    /// `Ok(false)` if the user code is taken (nothing changes then).
    async fn insert_device_code(&self, code: &DeviceCode) -> Result<bool, StoreError>;
    async fn find_device_code(&self, hash: &SecretHash) -> Result<Option<DeviceCode>, StoreError>;
    async fn find_device_code_by_user_code(
        &self,
        user_code: &str,
    ) -> Result<Option<DeviceCode>, StoreError>;
    /// Records a poll and the interval from now on.
    async fn poll_device_code(
        &self,
        hash: &SecretHash,
        now: i64,
        interval: i64,
    ) -> Result<(), StoreError>;
    /// Approves (with the delegation) or denies a pending, unexpired code; `Ok(false)` otherwise.
    async fn settle_device_code(
        &self,
        user_code: &str,
        status: DeviceStatus,
        delegation: Option<&Delegation>,
        now: i64,
    ) -> Result<bool, StoreError>;
    /// Marks an approved, unexpired code of this client redeemed and returns it. Atomic: of two
    /// racing polls exactly one gets it.
    async fn redeem_device_code(
        &self,
        hash: &SecretHash,
        client_id: &str,
        now: i64,
    ) -> Result<Option<DeviceCode>, StoreError>;
}

#[async_trait]
pub trait Oauth1Store: Send + Sync {
    /// Replaces the sealed consumer secret of an OAuth 1.0a client.
    async fn put_oauth1_secret(&self, client_id: &str, sealed: &[u8]) -> Result<(), StoreError>;
    async fn get_oauth1_secret(&self, client_id: &str) -> Result<Option<Vec<u8>>, StoreError>;
    /// Forgets it (the client left OAuth 1.0a or stopped using a secret).
    async fn delete_oauth1_secret(&self, client_id: &str) -> Result<(), StoreError>;
    async fn insert_oauth1_token(&self, token: &Oauth1Token) -> Result<(), StoreError>;
    async fn find_oauth1_token(&self, token: &str) -> Result<Option<Oauth1Token>, StoreError>;
    /// The user's answer to pending, unexpired temporary credentials: `Authorized` with the
    /// user and the verifier's hash, or `Denied`. `Ok(false)` if they were not pending.
    async fn answer_oauth1_token(
        &self,
        token: &str,
        status: Oauth1Status,
        user_id: Option<&str>,
        verifier_hash: Option<&SecretHash>,
        now: i64,
    ) -> Result<bool, StoreError>;
    /// Marks authorized, unexpired temporary credentials of this client used and returns them.
    /// Atomic: of two racing exchanges exactly one gets them.
    async fn exchange_oauth1_token(
        &self,
        token: &str,
        client_id: &str,
        now: i64,
    ) -> Result<Option<Oauth1Token>, StoreError>;
}

/// Upstream identity providers, the identities linked to users, and round trips in flight.
#[async_trait]
pub trait FederationStore: Send + Sync {
    async fn upsert_connection(
        &self,
        connection: &Connection,
        sealed_secret: &[u8],
    ) -> Result<(), StoreError>;
    async fn list_connections(&self) -> Result<Vec<Connection>, StoreError>;
    /// The connection and its sealed client secret.
    async fn get_connection(&self, id: &str) -> Result<Option<(Connection, Vec<u8>)>, StoreError>;
    /// Deletes the connection and the identities linked through it.
    async fn delete_connection(&self, id: &str) -> Result<bool, StoreError>;
    async fn find_linked_user(
        &self,
        connection_id: &str,
        subject: &str,
    ) -> Result<Option<String>, StoreError>;
    /// `Ok(false)` if this upstream subject is linked already.
    async fn link_identity(
        &self,
        connection_id: &str,
        subject: &str,
        user_id: &str,
        now: i64,
    ) -> Result<bool, StoreError>;
    /// Inserts the user and its link in one transaction; `Ok(false)` (and nothing) if either is
    /// taken.
    async fn create_linked_user(
        &self,
        user: &User,
        connection_id: &str,
        subject: &str,
        now: i64,
    ) -> Result<bool, StoreError>;
    /// (connection id, upstream subject) pairs.
    async fn list_linked_identities(
        &self,
        user_id: &str,
    ) -> Result<Vec<(String, String)>, StoreError>;
    async fn unlink_identity(&self, user_id: &str, connection_id: &str)
    -> Result<bool, StoreError>;
    async fn insert_federation_state(&self, state: &FederationState) -> Result<(), StoreError>;
    /// Deletes and returns it: a callback is accepted once.
    async fn take_federation_state(
        &self,
        state: &str,
    ) -> Result<Option<FederationState>, StoreError>;
}

/// The audit trail (`crate::audit`), shared by every node.
#[async_trait]
pub trait AuditStore: Send + Sync {
    /// Appends the events in order; each gets the next `seq`.
    async fn record_audit(&self, events: &[AuditEvent]) -> Result<(), StoreError>;
    /// Up to `query.limit` matching events, newest (highest `seq`) first.
    async fn list_audit(&self, query: &AuditQuery) -> Result<Vec<AuditEvent>, StoreError>;
    /// Deletes up to `batch` events older than `before` (the retention); returns how many.
    async fn sweep_audit(&self, before: i64, batch: u32) -> Result<u64, StoreError>;
}

/// Guesses counted per throttle key (an account, a client address, a browser; see
/// `sesame_core::throttle`), in the store so every node shares them.
#[async_trait]
pub trait LoginThrottle: Send + Sync {
    /// Counts one attempt under `key`, before the guess is checked; attempts counted before
    /// `window_start` no longer count. Returns the count within the window, this one included.
    /// Atomic: racing calls get distinct counts, so at most `max` of them see a count `<= max`.
    async fn count_attempt(
        &self,
        key: &str,
        now: i64,
        window_start: i64,
    ) -> Result<u32, StoreError>;
    /// Takes back one counted attempt (its guess was right; never below zero), and lifts the
    /// key's lock when `unlock` (the attempt that held it proved the secret).
    async fn release_attempt(&self, key: &str, unlock: bool) -> Result<(), StoreError>;
    /// Locks the key until `until` if it is not locked at `now`; `Ok(true)` when this call
    /// locked it. Atomic: of racing calls exactly one gets `true`. The count is kept, so later
    /// failures in the window lock it for longer.
    async fn take_lock(&self, key: &str, now: i64, until: i64) -> Result<bool, StoreError>;
    /// Until when the key is locked, if it is.
    async fn login_locked_until(&self, key: &str, now: i64) -> Result<Option<i64>, StoreError>;
    /// Forgets the key's attempts and lock (an operator's unlock).
    async fn clear_login_failures(&self, key: &str) -> Result<(), StoreError>;
}

/// How long spent single-use records (authorization codes, device codes, OAuth 1.0a
/// credentials) are kept past their expiry, in seconds: a replay that comes late still finds the
/// code and revokes what it issued (RFC 6749 §4.1.2), and a late poll hears `expired_token`.
pub const SPENT_RETENTION: i64 = 600;

/// Second factors and recovery codes (`crate::mfa`), shared by every node.
#[async_trait]
pub trait FactorStore: Send + Sync {
    /// The user's factors, oldest first.
    async fn list_factors(&self, user_id: &str) -> Result<Vec<Factor>, StoreError>;
    async fn insert_factor(&self, factor: &Factor) -> Result<(), StoreError>;
    /// `Ok(false)` if the user has no factor with this id.
    async fn delete_factor(&self, user_id: &str, id: &str) -> Result<bool, StoreError>;
    /// Spends TOTP `step` of the factor: `Ok(true)` only if no step as late was spent before,
    /// atomically, so a code works once on all nodes together and an older one never after.
    async fn spend_totp_step(
        &self,
        user_id: &str,
        id: &str,
        step: i64,
        now: i64,
    ) -> Result<bool, StoreError>;
    /// Replaces the user's recovery codes with these (hashes of new ones; none to remove them).
    async fn replace_recovery_codes(
        &self,
        user_id: &str,
        codes: &[SecretHash],
        now: i64,
    ) -> Result<(), StoreError>;
    /// Spends one unused recovery code: `Ok(true)` once, on any node.
    async fn spend_recovery_code(
        &self,
        user_id: &str,
        code: &SecretHash,
        now: i64,
    ) -> Result<bool, StoreError>;
    /// How many recovery codes the user has left.
    async fn unused_recovery_codes(&self, user_id: &str) -> Result<u64, StoreError>;
    /// The passkey with this credential id, whoever's it is (a passwordless sign-in).
    async fn find_passkey(&self, credential_id: &str) -> Result<Option<Factor>, StoreError>;
    /// Inserts a passkey unless its credential id is registered already (to anyone):
    /// `Ok(false)` then, and nothing changes.
    async fn insert_passkey(&self, factor: &Factor) -> Result<bool, StoreError>;
    /// Writes a passkey's record after a sign-in (its counter, its backup state), only if the
    /// stored one is still `read` (a racing sign-in with a clone is not lost under it).
    async fn update_passkey(
        &self,
        user_id: &str,
        id: &str,
        read: &[u8],
        record: &[u8],
        now: i64,
    ) -> Result<bool, StoreError>;
    /// Keeps a WebAuthn ceremony's state (its challenge) until `expires_at`, under `id`.
    async fn put_ceremony(&self, id: &str, state: &str, expires_at: i64) -> Result<(), StoreError>;
    /// Takes a ceremony's state, once: a second take of the same id gets `None`.
    async fn take_ceremony(&self, id: &str, now: i64) -> Result<Option<String>, StoreError>;
}

/// How much the store holds, for the console's dashboard.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Tally {
    pub clients: u64,
    pub users: u64,
    /// Browser sessions not expired at the time asked.
    pub sessions: u64,
}

#[async_trait]
pub trait Maintenance: Send + Sync {
    /// Cheap round trip proving the backend answers (readiness).
    async fn ping(&self) -> Result<(), StoreError>;
    /// How many clients, users and sessions unexpired at `now` there are, in one round trip
    /// (a count, so it reads every row: for a page an operator opens, not a hot path).
    async fn tally(&self, now: i64) -> Result<Tally, StoreError>;
    /// Deletes up to `batch` expired rows of each kind and returns how many went. Each of these
    /// goes once it has expired: access tokens, revoked jtis, assertion jtis and nonces, keys
    /// no longer published, refresh tokens, sessions, pending authorizations, login failures,
    /// revoked delegations, federation round trips. Codes, device codes and OAuth 1.0a
    /// credentials go [`SPENT_RETENTION`] seconds after expiry. A row expires at `expires_at`
    /// (`publish_until` for keys) when that is `<= now`.
    async fn sweep_expired(&self, now: i64, batch: u32) -> Result<u64, StoreError>;
    /// Brings the schema up to date (idempotent).
    async fn migrate(&self) -> Result<(), StoreError>;
}

/// Everything Sesame keeps.
pub trait Store:
    ClientStore
    + UserStore
    + KeyStore
    + TokenStore
    + ReplayStore
    + DelegationStore
    + InteractionStore
    + DeviceStore
    + Oauth1Store
    + FederationStore
    + LoginThrottle
    + AuditStore
    + FactorStore
    + Maintenance
{
}

impl<T> Store for T where
    T: ClientStore
        + UserStore
        + KeyStore
        + TokenStore
        + ReplayStore
        + DelegationStore
        + InteractionStore
        + DeviceStore
        + Oauth1Store
        + FederationStore
        + LoginThrottle
        + AuditStore
        + FactorStore
        + Maintenance
{
}
