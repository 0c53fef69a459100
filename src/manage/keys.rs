//! Signing keys: listed with their state, and rotated now (audited) from the shell and the API.

use super::{ManageError, Manager};
use sesame_core::audit::action;
use sesame_core::keys::StoredKey;
use sesame_core::provider::{Provider, ProviderError};
use sesame_core::store::StoreError;

/// A key as `sesame keys list --json` and the API show it; never its private part.
pub fn describe(k: &StoredKey, now: i64) -> serde_json::Value {
    serde_json::json!({
        "kid": k.kid, "alg": k.alg.as_str(), "state": k.state(now).as_str(),
        "encrypted": k.encrypted, "created_at": k.created_at,
        "activates_at": k.activates_at,
        "retired_at": k.retired_at, "publish_until": k.publish_until,
    })
}

impl Manager<'_> {
    /// A new key per algorithm, signing at once; the old ones stay published until every token
    /// they signed has expired.
    pub async fn rotate_keys(&self, provider: &Provider) -> Result<Vec<StoredKey>, ManageError> {
        let keys = provider.rotate_keys().await.map_err(|e| match e {
            ProviderError::Store(e) => ManageError::Store(e),
            e => ManageError::Store(StoreError::Backend(e.to_string())),
        })?;
        let kids: Vec<&str> = keys.iter().map(|k| k.kid.as_str()).collect();
        self.audit(
            action::KEYS_ROTATED,
            "keys".to_owned(),
            serde_json::json!({ "signing": kids }),
        )
        .await;
        Ok(keys)
    }
}
