//! Upstream identity providers: saved (with the client secret sealed) and deleted by the same
//! rules from the shell and the API.

use super::etag::matches;
use super::{ManageError, Manager};
use sesame_core::audit::action;
use sesame_core::federation::Connection;
use sesame_core::store::StoreError;

/// What must hold of the stored connection for a save to go ahead (RFC 9110 §13.1).
#[derive(Debug, Clone, Copy)]
pub enum Precondition<'a> {
    /// Nothing: create or replace.
    Any,
    /// `If-None-Match: *`: only a new one (the console's "Add a connection").
    Absent,
    /// `If-Match`: only the version read.
    Matches(&'a str),
}

/// The ETag of a connection's representation.
pub fn etag(connection: &Connection) -> String {
    super::etag(&serde_json::to_value(connection).unwrap_or_default())
}

/// Whether the client secret would go to the same place, as the same client.
fn same_upstream(a: &Connection, b: &Connection) -> bool {
    (
        a.kind,
        &a.issuer,
        &a.authorization_endpoint,
        &a.token_endpoint,
        &a.userinfo_endpoint,
        &a.client_id,
    ) == (
        b.kind,
        &b.issuer,
        &b.authorization_endpoint,
        &b.token_endpoint,
        &b.userinfo_endpoint,
        &b.client_id,
    )
}

impl Manager<'_> {
    /// Creates or replaces the connection with this id, if `precondition` holds; `secret` is
    /// its client secret there, `None` to keep the saved one. A kept secret goes only where it
    /// went before: with another kind, issuer, endpoint or client_id it must be typed again,
    /// or whoever may edit connections could send it to a server of their own.
    pub async fn save_connection(
        &self,
        connection: &Connection,
        secret: Option<&str>,
        precondition: Precondition<'_>,
    ) -> Result<(), ManageError> {
        connection
            .validate()
            .map_err(|e| ManageError::invalid(None, e))?;
        let existing = self.store.get_connection(&connection.id).await?;
        let what = || format!("connection {}", connection.id);
        match (precondition, &existing) {
            (Precondition::Absent, Some(_)) => {
                return Err(ManageError::Conflict(format!(
                    "a connection with id {} already exists",
                    connection.id
                )));
            }
            (Precondition::Matches(tag), Some((current, _))) if !matches(tag, &etag(current)) => {
                return Err(Self::changed_meanwhile(what(), Some(tag)));
            }
            (Precondition::Matches(tag), None) => {
                return Err(Self::changed_meanwhile(what(), Some(tag)));
            }
            _ => {}
        }
        let sealed = match (secret, &existing) {
            (Some(""), _) | (None, None) => {
                return Err(ManageError::invalid(
                    Some("client_secret"),
                    "client_secret: must not be empty",
                ));
            }
            (Some(secret), _) => sesame_core::sealed::seal(self.master_key, &connection.id, secret)
                .map_err(|e| ManageError::Store(StoreError::Backend(e.to_string())))?,
            (None, Some((before, _))) if !same_upstream(before, connection) => {
                return Err(ManageError::invalid(
                    Some("client_secret"),
                    "client_secret: type it again: the provider it is sent to changed",
                ));
            }
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
