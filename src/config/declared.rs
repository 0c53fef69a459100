//! The declarative tables of the configuration: `[[clients]]`, `[[users]]` and
//! `[[connections]]`, upserted on every start (the file is the truth for them).

use super::ConfigError;
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use sesame_core::client::{Client, ClientMetadata, validate_client_secret};
use sesame_core::password::{validate_password, validate_password_hash};
use sesame_core::secret::Secret;
use sesame_core::user::{Role, StandardClaims, validate_username};
use std::collections::BTreeMap;

/// A `[[connections]]` table: an upstream identity provider and its client secret there.
#[derive(Debug, Deserialize)]
#[serde(try_from = "BTreeMap<String, serde_json::Value>")]
pub struct ConnectionConfig {
    pub connection: sesame_core::federation::Connection,
    pub client_secret: SecretString,
}

impl TryFrom<BTreeMap<String, serde_json::Value>> for ConnectionConfig {
    type Error = String;

    fn try_from(mut table: BTreeMap<String, serde_json::Value>) -> Result<Self, String> {
        let id = table
            .get("id")
            .and_then(|v| v.as_str())
            .unwrap_or("(no id)")
            .to_owned();
        let client_secret = match table.remove("client_secret") {
            Some(serde_json::Value::String(s)) => SecretString::from(s),
            _ => return Err(format!("connection {id}: client_secret must be a string")),
        };
        if let Some(e) = super::error::unknown_key(
            table.keys(),
            super::field_names::of::<sesame_core::federation::Connection>(),
        ) {
            return Err(format!("connection {id}: {e}"));
        }
        let connection: sesame_core::federation::Connection =
            serde_json::from_value(serde_json::Value::Object(table.into_iter().collect()))
                .map_err(|e| format!("connection {id}: {e}"))?;
        connection
            .validate()
            .map_err(|e| format!("connection {id}: {e}"))?;
        Ok(Self {
            connection,
            client_secret,
        })
    }
}

/// A `[[clients]]` table: `client_id`, `client_secret`, and RFC 7591 metadata.
#[derive(Debug, Deserialize)]
#[serde(try_from = "BTreeMap<String, serde_json::Value>")]
pub struct ClientConfig {
    pub client_id: String,
    pub client_secret: Option<SecretString>,
    pub metadata: ClientMetadata,
}

impl TryFrom<BTreeMap<String, serde_json::Value>> for ClientConfig {
    type Error = String;

    fn try_from(mut table: BTreeMap<String, serde_json::Value>) -> Result<Self, String> {
        let client_id = match table.remove("client_id") {
            Some(serde_json::Value::String(id)) => id,
            _ => return Err("client_id: missing (a string is required)".to_owned()),
        };
        let client_secret = match table.remove("client_secret") {
            None => None,
            Some(serde_json::Value::String(s)) => Some(SecretString::from(s)),
            Some(_) => {
                return Err(format!(
                    "client {client_id}: client_secret must be a string"
                ));
            }
        };
        if let Some(e) =
            super::error::unknown_key(table.keys(), super::field_names::of::<ClientMetadata>())
        {
            return Err(format!("client {client_id}: {e}"));
        }
        let names_response_types = table.contains_key("response_types");
        let mut metadata: ClientMetadata =
            serde_json::from_value(serde_json::Value::Object(table.into_iter().collect()))
                .map_err(|e| format!("client {client_id}: {e}"))?;
        if !names_response_types {
            metadata.response_types = ClientMetadata::default_response_types(&metadata.grant_types);
        }
        Ok(Self {
            client_id,
            client_secret,
            metadata,
        })
    }
}

impl ClientConfig {
    /// The client as stored; the secret only as its hash.
    pub fn to_client(&self, now: i64) -> Result<Client, String> {
        let secret = self
            .client_secret
            .as_ref()
            .map(|s| {
                validate_client_secret(s.expose_secret())?;
                Ok(Secret::new(s.expose_secret()).hash())
            })
            .transpose()
            .map_err(|e: sesame_core::client::InvalidClientMetadata| {
                format!("client {}: {e}", self.client_id)
            })?;
        let client = Client {
            client_id: self.client_id.clone(),
            secret_hash: secret,
            metadata: self.metadata.clone(),
            created_at: now,
            updated_at: now,
        };
        client
            .validate()
            .map_err(|e| format!("client {}: {e}", self.client_id))?;
        Ok(client)
    }
}

/// A `[[users]]` table: `username`, `password` or `password_hash`, `disabled`, and OIDC standard
/// claims by their names.
#[derive(Debug, Deserialize)]
#[serde(try_from = "BTreeMap<String, serde_json::Value>")]
pub struct UserConfig {
    pub username: String,
    pub password: Option<SecretString>,
    pub password_hash: Option<String>,
    pub disabled: bool,
    pub roles: Vec<Role>,
    pub claims: StandardClaims,
}

impl TryFrom<BTreeMap<String, serde_json::Value>> for UserConfig {
    type Error = String;

    fn try_from(mut table: BTreeMap<String, serde_json::Value>) -> Result<Self, String> {
        let username = match table.remove("username") {
            Some(serde_json::Value::String(name)) => name,
            _ => return Err("username: missing (a string is required)".to_owned()),
        };
        let mut text = |key: &str| match table.remove(key) {
            None => Ok(None),
            Some(serde_json::Value::String(s)) => Ok(Some(s)),
            Some(_) => Err(format!("user {username}: {key} must be a string")),
        };
        let password = text("password")?.map(SecretString::from);
        let password_hash = text("password_hash")?;
        let disabled = match table.remove("disabled") {
            None => false,
            Some(serde_json::Value::Bool(b)) => b,
            Some(_) => return Err(format!("user {username}: disabled must be true or false")),
        };
        let roles = match table.remove("roles") {
            None => Vec::new(),
            Some(v) => serde_json::from_value(v).map_err(|_| {
                format!("user {username}: roles must be a list of roles (\"admin\")")
            })?,
        };
        if let Some(e) =
            super::error::unknown_key(table.keys(), super::field_names::of::<StandardClaims>())
        {
            return Err(format!("user {username}: {e}"));
        }
        let claims = serde_json::from_value(serde_json::Value::Object(table.into_iter().collect()))
            .map_err(|e| format!("user {username}: {e}"))?;
        Ok(Self {
            username,
            password,
            password_hash,
            disabled,
            roles,
            claims,
        })
    }
}

impl UserConfig {
    pub(super) fn validate(&self) -> Result<(), ConfigError> {
        let fail = |e: &dyn std::fmt::Display| ConfigError(format!("user {}: {e}", self.username));
        validate_username(&self.username).map_err(|e| fail(&e))?;
        self.claims.validate().map_err(|e| fail(&e))?;
        match (&self.password, &self.password_hash) {
            (Some(_), Some(_)) => Err(fail(&"give password or password_hash, not both")),
            (Some(p), None) => validate_password(p.expose_secret()).map_err(|e| fail(&e)),
            (None, Some(h)) => validate_password_hash(h).map_err(|e| fail(&e)),
            (None, None) => Ok(()),
        }
    }
}
