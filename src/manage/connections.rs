//! Upstream identity providers: saved (with the client secret sealed) and deleted by the same
//! rules from the shell and the API.

use super::{ManageError, Manager};
use sesame_core::audit::action;
use sesame_core::federation::Connection;
use sesame_core::store::StoreError;

impl Manager<'_> {
    /// Creates or replaces the connection with this id; `secret` is its client secret there,
    /// `None` to keep the one already saved (the console's "leave empty to keep").
    pub async fn save_connection(
        &self,
        connection: &Connection,
        secret: Option<&str>,
    ) -> Result<(), ManageError> {
        connection
            .validate()
            .map_err(|e| ManageError::invalid(None, e))?;
        let existing = self.store.get_connection(&connection.id).await?;
        let sealed = match (secret, &existing) {
            (Some(""), _) | (None, None) => {
                return Err(ManageError::invalid(
                    Some("client_secret"),
                    "client_secret: must not be empty",
                ));
            }
            (Some(secret), _) => sesame_core::sealed::seal(self.master_key, &connection.id, secret)
                .map_err(|e| ManageError::Store(StoreError::Backend(e.to_string())))?,
            (None, Some((_, sealed))) => sealed.clone(),
        };
        let before = existing.map(|(c, _)| c);
        self.store.upsert_connection(connection, &sealed).await?;
        self.audit(
            action::CONNECTION_SAVED,
            format!("connection:{}", connection.id),
            serde_json::json!({ "before": before, "after": connection }),
        )
        .await;
        Ok(())
    }

    /// Deletes the connection and the identities linked through it.
    pub async fn delete_connection(&self, id: &str) -> Result<(), ManageError> {
        let before = self.store.get_connection(id).await?.map(|(c, _)| c);
        if !self.store.delete_connection(id).await? {
            return Err(ManageError::NotFound(format!("no connection {id}")));
        }
        self.audit(
            action::CONNECTION_DELETED,
            format!("connection:{id}"),
            serde_json::json!({ "before": before }),
        )
        .await;
        Ok(())
    }
}
