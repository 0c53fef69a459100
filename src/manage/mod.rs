//! The operations behind the CLI's nouns and the admin API, written once: both validate the
//! same way, and every change is recorded in the audit trail with who made it.
//!
//! A [`Manager`] is one actor's session with the store: the shell's (`Origin::operator`), or an
//! admin API request's (the admin client and its address).

pub mod clients;
pub mod connections;
pub mod etag;
pub mod factors;
pub mod keys;
mod parse;
pub mod users;

use crate::config::Config;
use sesame_core::Provider;
use sesame_core::audit::Origin;
use sesame_core::clock::{Clock, SystemClock};
use sesame_core::keys::MasterKey;
use sesame_core::store::{Store, StoreError};

pub use etag::etag;
pub use parse::parse;

/// Why an operation did not happen, in terms the CLI prints and the API maps to a status.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ManageError {
    /// No such resource (404).
    #[error("{0}")]
    NotFound(String),
    /// The identifier or name is taken (409).
    #[error("{0}")]
    Conflict(String),
    /// The resource changed since the caller read it (412 on a stale `If-Match`).
    #[error("{0}")]
    Stale(String),
    /// The request breaks a rule; `field` names the member it is about (422 / 400).
    #[error("{message}")]
    Invalid {
        field: Option<String>,
        message: String,
    },
    /// The store failed (503 when unavailable, else 500).
    #[error("{0}")]
    Store(#[from] StoreError),
}

impl ManageError {
    pub fn invalid(field: Option<&str>, message: impl Into<String>) -> Self {
        Self::Invalid {
            field: field.map(str::to_owned),
            message: message.into(),
        }
    }
}

impl From<sesame_core::client::InvalidClientMetadata> for ManageError {
    fn from(e: sesame_core::client::InvalidClientMetadata) -> Self {
        Self::Invalid {
            field: e.field().map(str::to_owned),
            message: e.0,
        }
    }
}

impl From<sesame_core::user::InvalidUser> for ManageError {
    fn from(e: sesame_core::user::InvalidUser) -> Self {
        let field = e.0.split_once(": ").map(|(f, _)| f.to_owned());
        Self::Invalid {
            field,
            message: e.0,
        }
    }
}

/// One actor's changes: the store, the master key that seals secrets, and how long a revoked
/// delegation is remembered.
pub struct Manager<'a> {
    pub store: &'a dyn Store,
    pub master_key: Option<&'a MasterKey>,
    pub origin: Origin,
    pub now: i64,
    /// Seconds a revoked delegation is remembered: as long as a token of it can be alive.
    pub revocation_memory: i64,
    /// The running provider whose caches a change must reach (none at the shell).
    provider: Option<&'a Provider>,
}

impl<'a> Manager<'a> {
    /// The shell's manager (`sesame client ...`, `sesame user ...`); `master_key` is
    /// `config.master_key()`, kept by the caller.
    pub fn operator(
        config: &Config,
        store: &'a dyn Store,
        master_key: Option<&'a MasterKey>,
    ) -> Self {
        let settings = config.settings();
        Self {
            store,
            master_key,
            origin: Origin::operator(),
            now: SystemClock.now(),
            revocation_memory: settings.revocation_memory(),
            provider: None,
        }
    }

    /// An admin API request's manager.
    pub fn for_request(provider: &'a Provider, origin: Origin) -> Self {
        let settings = provider.settings();
        Self {
            store: provider.store(),
            master_key: provider.master_key(),
            origin,
            now: provider.now(),
            revocation_memory: settings.revocation_memory(),
            provider: Some(provider),
        }
    }

    /// The `updated_at` of a change to a resource read with `read_at`: now, and always later
    /// than the version it replaces, so `updated_at` tells versions apart (the store's
    /// compare-and-set relies on it). A burst of changes within one second runs ahead of the
    /// clock by a second per change; that `updated_at` is also the OIDC claim, which only
    /// promises to change when the user does.
    fn next_version(&self, read_at: i64) -> i64 {
        self.now.max(read_at + 1)
    }

    /// Why a compare-and-set found the resource changed: a stale `If-Match` (412), or a change
    /// that raced this one (409: read it again and retry).
    fn changed_meanwhile(what: String, if_match: Option<&str>) -> ManageError {
        match if_match {
            Some(_) => {
                ManageError::Stale(format!("{what} changed since it was read; read it again"))
            }
            None => ManageError::Conflict(format!(
                "{what} changed while this change was made; try again"
            )),
        }
    }

    /// A client changed: this node stops using its cached copy now.
    fn client_changed(&self, client_id: &str) {
        if let Some(provider) = self.provider {
            provider.forget_client(client_id);
        }
    }

    /// Records what this actor did. The change has happened: a trail that cannot be written is
    /// logged loudly, never turned into a failure of the change.
    pub async fn audit(&self, action: &str, target: String, details: serde_json::Value) {
        let event = self.origin.event(self.now, action, Some(target), details);
        if let Err(e) = self.store.record_audit(std::slice::from_ref(&event)).await {
            tracing::error!(error = %e, action, "could not record an audit event");
        }
    }
}
