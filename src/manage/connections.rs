//! Upstream identity providers: saved (with the client secret sealed) and deleted by the same
//! rules from the shell and the API.

use super::{ManageError, Manager};
use sesame_core::audit::action;
use sesame_core::federation::Connection;
use sesame_core::store::StoreError;

impl Manager<'_> {
    /// Creates or replaces the connection with this id; `secret` is its client secret there.
    pub async fn save_connection(
        &self,
        connection: &Connection,
        secret: &str,
    ) -> Result<(), ManageError> {
        connection
            .validate()
            .map_err(|e| ManageError::invalid(None, e))?;
        if secret.is_empty() {
            return Err(ManageError::invalid(
                Some("client_secret"),
                "client_secret: must not be empty",
            ));
        }
        let before = self
            .store
            .get_connection(&connection.id)
            .await?
            .map(|(c, _)| c);
        let sealed = sesame_core::sealed::seal(self.master_key, &connection.id, secret)
            .map_err(|e| ManageError::Store(StoreError::Backend(e.to_string())))?;
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
