//! Clients: registered, changed, deleted and given new secrets by the same rules from the shell
//! and the admin API (`Client::validate`, and what `registration::verify_remote` reads).

use super::{ManageError, Manager, etag::matches};
use sesame_core::audit::action;
use sesame_core::client::{Client, ClientMetadata};
use sesame_core::secret::{Secret, random_token};
use sesame_core::store::StoreError;

/// A client as it was saved, with the secret when a new one was made (shown once), and what
/// the operator should know about it.
pub struct Saved {
    pub client: Client,
    pub secret: Option<Secret>,
    pub notes: Vec<String>,
}

/// The client as RFC 7591 metadata, plus `client_id` and when it was issued; never the hash of
/// its secret. The API's representation, the CLI's `--json` and the audit trail's.
pub fn describe(client: &Client) -> serde_json::Value {
    let mut v = serde_json::to_value(&client.metadata).unwrap_or_default();
    v["client_id"] = client.client_id.clone().into();
    v["client_id_issued_at"] = client.created_at.into();
    v
}

/// The ETag of a client's representation.
pub fn etag(client: &Client) -> String {
    super::etag(&describe(client))
}

/// Sesame's own clients: the admin console's (`crate::console`) and the account page's
/// (`crate::ui::account`). Sesame registers them again at every start, so a change to one
/// would be undone by the next restart (or lock people out until then): it is refused.
pub const CONSOLE_CLIENT_ID: &str = "sesame-console";
pub const ACCOUNT_CLIENT_ID: &str = "sesame-account";

fn refuse_own(client_id: &str) -> Result<(), ManageError> {
    if [CONSOLE_CLIENT_ID, ACCOUNT_CLIENT_ID].contains(&client_id) {
        return Err(ManageError::Conflict(format!(
            "{client_id} is one of Sesame's own clients: Sesame registers it at every start, \
             so it cannot be changed, given a secret or deleted"
        )));
    }
    Ok(())
}

fn target(client_id: &str) -> String {
    format!("client:{client_id}")
}

impl Manager<'_> {
    pub async fn find_client(&self, client_id: &str) -> Result<Client, ManageError> {
        self.store
            .get_client(client_id)
            .await?
            .ok_or_else(|| ManageError::NotFound(format!("no client with client_id {client_id}")))
    }

    /// Registers a client; a secret is generated for a secret-based method.
    pub async fn create_client(
        &self,
        client_id: Option<String>,
        metadata: ClientMetadata,
    ) -> Result<Saved, ManageError> {
        let secret = metadata
            .token_endpoint_auth_method
            .uses_secret()
            .then(Secret::generate);
        let client = Client {
            client_id: client_id.unwrap_or_else(|| random_token(12)),
            secret_hash: secret.as_ref().map(Secret::hash),
            metadata,
            created_at: self.now,
            updated_at: self.now,
        };
        client.validate()?;
        crate::registration::verify_remote(&client, None).await?;
        if !self.store.insert_client(&client).await? {
            return Err(ManageError::Conflict(format!(
                "a client with client_id {} already exists",
                client.client_id
            )));
        }
        let notes = self.keep_oauth1_secret(&client, secret.as_ref()).await?;
        let after = describe(&client);
        self.audit(
            action::CLIENT_CREATED,
            target(&client.client_id),
            serde_json::json!({ "after": after }),
        )
        .await;
        Ok(Saved {
            client,
            secret,
            notes,
        })
    }

    /// Changes a client's metadata with `change`, refusing if `if_match` names another version.
    /// Switching to or from a secret-based method makes or drops the secret.
    pub async fn update_client(
        &self,
        client_id: &str,
        if_match: Option<&str>,
        change: impl FnOnce(&mut ClientMetadata) -> Result<(), ManageError>,
    ) -> Result<Saved, ManageError> {
        refuse_own(client_id)?;
        let mut client = self.find_client(client_id).await?;
        let what = || format!("client {client_id}");
        if let Some(tag) = if_match
            && !matches(tag, &etag(&client))
        {
            return Err(Self::changed_meanwhile(what(), if_match));
        }
        let before = client.clone();
        change(&mut client.metadata)?;
        let was_secret = before.metadata.token_endpoint_auth_method.uses_secret();
        let now_secret = client.metadata.token_endpoint_auth_method.uses_secret();
        let secret = (now_secret && !was_secret).then(Secret::generate);
        if let Some(s) = &secret {
            client.secret_hash = Some(s.hash());
        }
        if !now_secret {
            client.secret_hash = None;
        }
        client.updated_at = self.next_version(before.updated_at);
        client.validate()?;
        crate::registration::verify_remote(&client, Some(&before)).await?;
        if !self
            .store
            .replace_client(&client, before.updated_at)
            .await?
        {
            // Gone, or changed by someone else since it was read: never overwritten.
            self.find_client(client_id).await?;
            return Err(Self::changed_meanwhile(what(), if_match));
        }
        self.client_changed(client_id);
        let notes = self.keep_oauth1_secret(&client, secret.as_ref()).await?;
        self.audit(
            action::CLIENT_UPDATED,
            target(client_id),
            serde_json::json!({ "before": describe(&before), "after": describe(&client) }),
        )
        .await;
        Ok(Saved {
            client,
            secret,
            notes,
        })
    }

    /// Deletes a client and everything issued to it.
    pub async fn delete_client(&self, client_id: &str) -> Result<(), ManageError> {
        refuse_own(client_id)?;
        let client = self.find_client(client_id).await?;
        if !self.store.delete_client(client_id).await? {
            return Err(ManageError::NotFound(format!(
                "no client with client_id {client_id}"
            )));
        }
        self.client_changed(client_id);
        self.audit(
            action::CLIENT_DELETED,
            target(client_id),
            serde_json::json!({ "before": describe(&client) }),
        )
        .await;
        Ok(())
    }

    /// A new secret, shown once; the old one stops working at once on this node and within
    /// `client_cache_ttl` on the others.
    pub async fn rotate_client_secret(&self, client_id: &str) -> Result<Saved, ManageError> {
        refuse_own(client_id)?;
        let mut client = self.find_client(client_id).await?;
        if !client.metadata.token_endpoint_auth_method.uses_secret() {
            return Err(ManageError::invalid(
                Some("token_endpoint_auth_method"),
                format!(
                    "client {client_id} uses {} and has no secret",
                    client.metadata.token_endpoint_auth_method.as_str()
                ),
            ));
        }
        let secret = Secret::generate();
        let read_at = client.updated_at;
        client.secret_hash = Some(secret.hash());
        client.updated_at = self.next_version(read_at);
        if !self.store.replace_client(&client, read_at).await? {
            self.find_client(client_id).await?;
            return Err(Self::changed_meanwhile(format!("client {client_id}"), None));
        }
        self.client_changed(client_id);
        let notes = self.keep_oauth1_secret(&client, Some(&secret)).await?;
        self.audit(
            action::CLIENT_SECRET_ROTATED,
            target(client_id),
            serde_json::Value::Null,
        )
        .await;
        Ok(Saved {
            client,
            secret: Some(secret),
            notes,
        })
    }

    /// OAuth 1.0a signs with the consumer secret itself: an `oauth1` client's new secret is
    /// also kept sealed with the master key. Without a new secret, an `oauth1` client that has
    /// none gets a note: its HMAC requests fail until its secret is rotated.
    async fn keep_oauth1_secret(
        &self,
        client: &Client,
        secret: Option<&Secret>,
    ) -> Result<Vec<String>, ManageError> {
        let id = &client.client_id;
        if !client.metadata.oauth1 || !client.metadata.token_endpoint_auth_method.uses_secret() {
            // No longer an OAuth 1.0a consumer with a secret: the old secret must stop working.
            self.store.delete_oauth1_secret(id).await?;
            return Ok(Vec::new());
        }
        match secret {
            Some(secret) => {
                let sealed = sesame_core::oauth1::seal(self.master_key, id, secret.expose())
                    .map_err(|e| ManageError::Store(StoreError::Backend(e.to_string())))?;
                self.store.put_oauth1_secret(id, &sealed).await?;
                Ok(Vec::new())
            }
            None if self.store.get_oauth1_secret(id).await?.is_none() => Ok(vec![format!(
                "{id} has no OAuth 1.0a consumer secret yet; rotate its secret to give it one"
            )]),
            None => Ok(Vec::new()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sesame_core::audit::Origin;
    use sesame_core::client::GrantType;

    fn service() -> ClientMetadata {
        ClientMetadata {
            grant_types: vec![GrantType::ClientCredentials],
            response_types: Vec::new(),
            ..Default::default()
        }
    }

    // The clock does not move: every change lands in the same second.
    #[tokio::test]
    async fn changes_within_one_second_are_versions_apart_and_a_stale_read_loses() {
        let (provider, _, _) = sesame_core::testing::provider().await;
        let manager = Manager::for_request(&provider, Origin::operator());
        let saved = manager
            .create_client(Some("svc".into()), service())
            .await
            .unwrap();
        let read = etag(&saved.client);
        let rename = |name: &'static str| {
            move |m: &mut ClientMetadata| {
                m.client_name = Some(name.into());
                Ok(())
            }
        };
        let first = manager
            .update_client("svc", Some(&read), rename("First"))
            .await
            .unwrap();
        assert!(first.client.updated_at > saved.client.updated_at);
        let stale = manager
            .update_client("svc", Some(&read), rename("Second"))
            .await;
        assert!(
            matches!(stale, Err(ManageError::Stale(_))),
            "{:?}",
            stale.err()
        );
        let next = manager
            .update_client("svc", Some(&etag(&first.client)), rename("Third"))
            .await
            .unwrap();
        assert!(next.client.updated_at > first.client.updated_at);
        let stored = manager.find_client("svc").await.unwrap();
        assert_eq!(stored.metadata.client_name.as_deref(), Some("Third"));
        assert_eq!(etag(&stored), etag(&next.client));
    }
}
