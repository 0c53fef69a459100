//! The in-memory store: every store trait on a few maps behind one mutex, split by aggregate as
//! the SQL stores are. It follows the same written contracts and runs the same contract suite
//! (`sesame-store/tests/contract/`), so unit tests of the core can trust it.

mod audit;
mod clients;
mod delegations;
mod device;
mod factors;
mod federation;
mod interactions;
mod keys;
mod maintenance;
mod oauth1;
mod replay;
mod throttle;
mod tokens;
mod users;

use crate::audit::AuditEvent;
use crate::authorize::pending::PendingAuthorization;
use crate::client::Client;
use crate::delegation::{StoredCode, StoredRefreshToken};
use crate::device::DeviceCode;
use crate::federation::{Connection, FederationState};
use crate::keys::StoredKey;
use crate::oauth1::Oauth1Token;
use crate::scope::Scopes;
use crate::session::BrowserSession;
use crate::store::OpaqueAccessToken;
use crate::user::User;
use std::collections::HashMap;
use std::sync::{Mutex, MutexGuard};

/// Failed sign-ins of one throttle key, as the SQL stores keep them.
#[derive(Debug, Clone, Copy)]
struct Failures {
    count: u32,
    window_start: i64,
    locked_until: i64,
    /// The row outlives the window it counts and the lock it holds.
    expires_at: i64,
}

#[derive(Default)]
struct Tables {
    clients: HashMap<String, Client>,
    users: HashMap<String, User>,
    keys: Vec<StoredKey>,
    server_secrets: HashMap<String, Vec<u8>>,
    tokens: HashMap<[u8; 32], OpaqueAccessToken>,
    /// jti → until when it is remembered.
    revoked_jtis: HashMap<String, i64>,
    assertion_jtis: HashMap<(String, String), i64>,
    codes: HashMap<[u8; 32], StoredCode>,
    refresh_tokens: HashMap<[u8; 32], StoredRefreshToken>,
    /// delegation_id → until when it is remembered.
    revoked_delegations: HashMap<String, i64>,
    sessions: HashMap<[u8; 32], BrowserSession>,
    pending: HashMap<String, PendingAuthorization>,
    /// (user, client) → (scope, granted_at)
    consents: HashMap<(String, String), (Scopes, i64)>,
    device_codes: HashMap<[u8; 32], DeviceCode>,
    oauth1_secrets: HashMap<String, Vec<u8>>,
    oauth1_tokens: HashMap<String, Oauth1Token>,
    connections: HashMap<String, (Connection, Vec<u8>)>,
    /// (connection, subject) → user
    links: HashMap<(String, String), String>,
    federation_states: HashMap<String, FederationState>,
    login_failures: HashMap<String, Failures>,
    audit: Vec<AuditEvent>,
    factors: Vec<crate::mfa::Factor>,
    /// (user, code hash) → used at
    recovery_codes: HashMap<(String, [u8; 32]), Option<i64>>,
    /// id → (state, expires_at)
    ceremonies: HashMap<String, (String, i64)>,
}

/// Follows the same contracts as the SQL stores, with one mutex around everything.
#[derive(Default)]
pub struct MemoryStore(Mutex<Tables>);

impl MemoryStore {
    fn tables(&self) -> MutexGuard<'_, Tables> {
        self.0.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// A row's next `updated_at`: the new one, or one past the stored one if that is not later (as
/// the SQL stores write it), so a version is never reused.
fn next_updated_at(new: i64, stored: i64) -> i64 {
    if new > stored { new } else { stored + 1 }
}

/// Whether a user with this id or username exists (the unique columns of `users`).
fn user_taken(t: &Tables, user: &User) -> bool {
    t.users.contains_key(&user.id) || t.users.values().any(|u| u.username == user.username)
}
