//! `sesame client create|list|show|update|delete|rotate-secret`, with RFC 7591 names as flags.

use super::output::say;
use super::{CliError, output};
use crate::config::Config;
use crate::manage::clients::{Saved, describe};
use crate::manage::{ManageError, Manager};
use crate::startup::open_store;
use clap::{Args, Subcommand};
use serde::de::DeserializeOwned;
use sesame_core::client::{
    ADMIN_SCOPE, AccessTokenFormat, AuthMethod, Client, ClientMetadata, GrantType, SubjectType,
};
use sesame_core::keys::Algorithm;
use sesame_core::keys::jwe::{ContentEncryption, KeyManagement};
use sesame_core::scope::Scopes;
use sesame_core::secret::Secret;
use std::path::PathBuf;

#[derive(Debug, Subcommand)]
pub enum ClientCommand {
    /// Register a client; a generated secret is shown once.
    Create {
        /// Defaults to a random identifier.
        #[arg(long)]
        client_id: Option<String>,
        #[command(flatten)]
        metadata: MetadataArgs,
        /// A service for the admin API: client_credentials with the sesame:admin scope.
        #[arg(long)]
        admin: bool,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// List clients.
    List {
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Show one client.
    Show {
        client_id: String,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Change a client's metadata; flags not given keep their value, list flags replace the list.
    Update {
        client_id: String,
        #[command(flatten)]
        metadata: MetadataArgs,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Delete a client.
    Delete { client_id: String },
    /// Replace a client's secret; the new one is shown once and the old one stops working.
    RotateSecret {
        client_id: String,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
}

/// RFC 7591 metadata as flags.
#[derive(Debug, Args)]
pub struct MetadataArgs {
    /// The name people see on the consent page.
    #[arg(long)]
    client_name: Option<String>,
    /// Repeat for several.
    #[arg(long = "redirect-uri")]
    redirect_uris: Vec<String>,
    /// Where RP-initiated logout may return to. Repeat for several.
    #[arg(long = "post-logout-redirect-uri")]
    post_logout_redirect_uris: Vec<String>,
    /// authorization_code, refresh_token, client_credentials, password, implicit,
    /// urn:ietf:params:oauth:grant-type:device_code. Repeat for several.
    #[arg(long = "grant-type", value_parser = parse_name::<GrantType>)]
    grant_types: Vec<GrantType>,
    /// code, id_token, "id_token token", "code id_token", ... Repeat for several; default: code with the authorization_code grant.
    #[arg(long = "response-type")]
    response_types: Vec<String>,
    /// client_secret_basic, client_secret_post, private_key_jwt or none.
    #[arg(long, value_parser = parse_name::<AuthMethod>)]
    token_endpoint_auth_method: Option<AuthMethod>,
    /// A scope the client may ask for. Repeat, or give several separated by spaces.
    #[arg(long = "scope")]
    scopes: Vec<String>,
    /// The ID token algorithm: RS256 (default), ES256, PS256 or EdDSA.
    #[arg(long, value_parser = parse_name::<Algorithm>)]
    id_token_signed_response_alg: Option<Algorithm>,
    /// Answer UserInfo as a JWT signed with this algorithm (RS256, ES256, PS256 or EdDSA).
    #[arg(long, value_parser = parse_name::<Algorithm>)]
    userinfo_signed_response_alg: Option<Algorithm>,
    /// Encrypt ID tokens to the client's key (--jwks-file): RSA-OAEP-256, ECDH-ES,
    /// ECDH-ES+A128KW or ECDH-ES+A256KW.
    #[arg(long, value_parser = parse_name::<KeyManagement>)]
    id_token_encrypted_response_alg: Option<KeyManagement>,
    /// A128CBC-HS256 (default), A128GCM or A256GCM.
    #[arg(long, value_parser = parse_name::<ContentEncryption>)]
    id_token_encrypted_response_enc: Option<ContentEncryption>,
    /// Encrypt UserInfo responses to the client's key, as for ID tokens.
    #[arg(long, value_parser = parse_name::<KeyManagement>)]
    userinfo_encrypted_response_alg: Option<KeyManagement>,
    /// A128CBC-HS256 (default), A128GCM or A256GCM.
    #[arg(long, value_parser = parse_name::<ContentEncryption>)]
    userinfo_encrypted_response_enc: Option<ContentEncryption>,
    /// public (default: every client sees the user's own sub) or pairwise (one sub per sector,
    /// OIDC Core §8).
    #[arg(long, value_parser = parse_name::<SubjectType>)]
    subject_type: Option<SubjectType>,
    /// An https URL serving a JSON array of the redirect URIs of every client of the sector;
    /// fetched and checked now. Needed by a pairwise client with redirect URIs on several hosts.
    #[arg(long)]
    sector_identifier_uri: Option<String>,
    /// jwt or opaque.
    #[arg(long, value_parser = parse_name::<AccessTokenFormat>)]
    access_token_format: Option<AccessTokenFormat>,
    /// true for a first-party client that needs no consent page.
    #[arg(long)]
    skip_consent: Option<bool>,
    /// true to let the client sign OAuth 1.0a requests too (consumer key = client_id).
    #[arg(long)]
    oauth1: Option<bool>,
    /// A JWK Set file with the client's public keys (private_key_jwt, encrypted responses).
    #[arg(long)]
    jwks_file: Option<PathBuf>,
    /// Where the client publishes its JWK Set instead (https); read now and when needed.
    #[arg(long)]
    jwks_uri: Option<String>,
}

/// Parses a flag value with the same names as the config file and RFC 7591.
fn parse_name<T: DeserializeOwned>(value: &str) -> Result<T, String> {
    serde_json::from_value(serde_json::Value::String(value.to_owned())).map_err(|e| e.to_string())
}

impl MetadataArgs {
    fn apply(self, m: &mut ClientMetadata) -> Result<(), CliError> {
        if let Some(v) = self.client_name {
            m.client_name = Some(v);
        }
        if !self.redirect_uris.is_empty() {
            m.redirect_uris = self.redirect_uris;
        }
        if !self.post_logout_redirect_uris.is_empty() {
            m.post_logout_redirect_uris = self.post_logout_redirect_uris;
        }
        // Response types not given follow the grant types given (`code` for
        // authorization_code), as in the configuration file.
        if !self.grant_types.is_empty() && self.response_types.is_empty() {
            m.response_types = ClientMetadata::default_response_types(&self.grant_types);
        }
        if !self.grant_types.is_empty() {
            m.grant_types = self.grant_types;
        }
        if !self.response_types.is_empty() {
            m.response_types = self.response_types;
        }
        if let Some(v) = self.token_endpoint_auth_method {
            m.token_endpoint_auth_method = v;
        }
        if !self.scopes.is_empty() {
            m.scope = Scopes::parse(&self.scopes.join(" "))?;
        }
        if let Some(v) = self.id_token_signed_response_alg {
            m.id_token_signed_response_alg = v;
        }
        if let Some(v) = self.userinfo_signed_response_alg {
            m.userinfo_signed_response_alg = Some(v);
        }
        if let Some(v) = self.id_token_encrypted_response_alg {
            m.id_token_encrypted_response_alg = Some(v);
        }
        if let Some(v) = self.id_token_encrypted_response_enc {
            m.id_token_encrypted_response_enc = Some(v);
        }
        if let Some(v) = self.userinfo_encrypted_response_alg {
            m.userinfo_encrypted_response_alg = Some(v);
        }
        if let Some(v) = self.userinfo_encrypted_response_enc {
            m.userinfo_encrypted_response_enc = Some(v);
        }
        if let Some(v) = self.subject_type {
            m.subject_type = v;
        }
        if let Some(v) = self.sector_identifier_uri {
            m.sector_identifier_uri = Some(v);
        }
        if let Some(v) = self.access_token_format {
            m.access_token_format = v;
        }
        if let Some(v) = self.skip_consent {
            m.skip_consent = v;
        }
        if let Some(v) = self.oauth1 {
            m.oauth1 = v;
        }
        if let Some(uri) = self.jwks_uri {
            m.jwks_uri = Some(uri);
        }
        if let Some(path) = self.jwks_file {
            let text = std::fs::read_to_string(&path)
                .map_err(|e| CliError(format!("{}: {e}", path.display())))?;
            let jwks: serde_json::Value = serde_json::from_str(&text)
                .map_err(|e| CliError(format!("{}: not JSON: {e}", path.display())))?;
            m.jwks = Some(jwks);
        }
        Ok(())
    }
}

pub async fn run(config: Config, command: ClientCommand) -> Result<(), CliError> {
    let store = open_store(&config).await?;
    let master_key = config.master_key();
    let manager = Manager::operator(&config, store.as_ref(), master_key.as_ref());
    let declared = |id: &str| config.clients.iter().any(|c| c.client_id == id);
    match command {
        ClientCommand::Create {
            client_id,
            metadata,
            admin,
            json,
        } => {
            let mut m = ClientMetadata::default();
            metadata.apply(&mut m)?;
            if admin {
                admin_defaults(&mut m);
            }
            let saved = manager.create_client(client_id, m).await?;
            print_saved(&saved, json);
        }
        ClientCommand::List { json } => {
            let clients = store.list_clients().await?;
            if json {
                output::json(&serde_json::Value::Array(
                    clients.iter().map(describe).collect(),
                ));
            } else {
                let rows: Vec<Vec<String>> = clients
                    .iter()
                    .map(|c| {
                        vec![
                            c.client_id.clone(),
                            c.metadata.client_name.clone().unwrap_or_default(),
                            c.metadata.token_endpoint_auth_method.as_str().to_owned(),
                            c.metadata
                                .grant_types
                                .iter()
                                .map(|g| g.as_str())
                                .collect::<Vec<_>>()
                                .join(","),
                            c.metadata.scope.to_string(),
                        ]
                    })
                    .collect();
                output::table(
                    &["CLIENT_ID", "NAME", "AUTH METHOD", "GRANT TYPES", "SCOPE"],
                    &rows,
                );
            }
        }
        ClientCommand::Show { client_id, json } => {
            let client = manager.find_client(&client_id).await?;
            print_client(&client, None, json);
        }
        ClientCommand::Update {
            client_id,
            metadata,
            json,
        } => {
            let mut flags = Some(metadata);
            let saved = manager
                .update_client(&client_id, None, |m| {
                    flags
                        .take()
                        .map_or(Ok(()), |f| f.apply(m))
                        .map_err(|e| ManageError::invalid(None, e.0))
                })
                .await?;
            if declared(&client_id) {
                eprintln!(
                    "note: {client_id} is declared in the config file; the next start restores it from there"
                );
            }
            print_saved(&saved, json);
        }
        ClientCommand::Delete { client_id } => {
            manager.delete_client(&client_id).await?;
            if declared(&client_id) {
                eprintln!(
                    "note: {client_id} is declared in the config file; the next start recreates it"
                );
            }
            say!("deleted client {client_id}");
        }
        ClientCommand::RotateSecret { client_id, json } => {
            let saved = manager.rotate_client_secret(&client_id).await?;
            print_saved(&saved, json);
        }
    }
    Ok(())
}

/// `--admin`: a service for the admin API, the client_credentials grant and the admin scope,
/// unless the flags said otherwise (validation then says what is wrong).
fn admin_defaults(m: &mut ClientMetadata) {
    m.admin = true;
    if m.grant_types == ClientMetadata::default().grant_types {
        m.grant_types = vec![GrantType::ClientCredentials];
        m.response_types = Vec::new();
    }
    if !m.scope.contains(ADMIN_SCOPE) {
        let mut scope = m.scope.to_string();
        scope.push(' ');
        scope.push_str(ADMIN_SCOPE);
        if let Ok(s) = Scopes::parse(scope.trim()) {
            m.scope = s;
        }
    }
}

fn print_saved(saved: &Saved, json: bool) {
    for note in &saved.notes {
        eprintln!("note: {note}");
    }
    print_client(&saved.client, saved.secret.as_ref(), json);
}

fn print_client(client: &Client, secret: Option<&Secret>, json: bool) {
    if json {
        let mut v = describe(client);
        if let Some(secret) = secret {
            v["client_secret"] = secret.expose().into();
        }
        output::json(&v);
        return;
    }
    let m = &client.metadata;
    let list = |v: &[String]| v.join(" ");
    let encryption = |e: Option<sesame_core::client::Encryption>| {
        e.map_or("none".to_owned(), |(alg, enc)| format!("{alg} {enc}"))
    };
    let mut rows = vec![
        ("client_id", client.client_id.clone()),
        ("client_name", m.client_name.clone().unwrap_or_default()),
        (
            "token_endpoint_auth_method",
            m.token_endpoint_auth_method.as_str().to_owned(),
        ),
        (
            "grant_types",
            m.grant_types
                .iter()
                .map(|g| g.as_str())
                .collect::<Vec<_>>()
                .join(" "),
        ),
        ("response_types", list(&m.response_types)),
        ("redirect_uris", list(&m.redirect_uris)),
        (
            "post_logout_redirect_uris",
            list(&m.post_logout_redirect_uris),
        ),
        ("scope", m.scope.to_string()),
        (
            "access_token_format",
            format!("{:?}", m.access_token_format).to_lowercase(),
        ),
        (
            "id_token_signed_response_alg",
            m.id_token_signed_response_alg.to_string(),
        ),
        (
            "userinfo_signed_response_alg",
            m.userinfo_signed_response_alg
                .map_or("none".to_owned(), |a| a.to_string()),
        ),
        ("jwks_uri", m.jwks_uri.clone().unwrap_or("none".to_owned())),
        ("subject_type", m.subject_type.as_str().to_owned()),
        (
            "sector_identifier_uri",
            m.sector_identifier_uri.clone().unwrap_or("none".to_owned()),
        ),
        ("id_token_encryption", encryption(m.id_token_encryption())),
        ("userinfo_encryption", encryption(m.userinfo_encryption())),
        ("skip_consent", m.skip_consent.to_string()),
        ("created", output::time(client.created_at)),
    ];
    if let Some(secret) = secret {
        rows.push(("client_secret", secret.expose().to_owned()));
    }
    for (k, v) in rows {
        say!("{k:<28} {v}");
    }
    if secret.is_some() {
        say!(
            "\nThe client secret is shown only now; it is stored hashed and cannot be shown again."
        );
    }
}
