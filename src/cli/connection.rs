//! `sesame connection create|list|delete`: upstream identity providers ("log in with ...").

use super::output::say;
use super::{CliError, output};
use crate::config::Config;
use crate::manage::Manager;
use crate::manage::connections::Precondition;
use crate::startup::open_store;
use clap::{Args, Subcommand};
use sesame_core::federation::{Connection, ConnectionKind};
use std::io::BufRead;

#[derive(Debug, Subcommand)]
pub enum ConnectionCommand {
    /// Add or replace a connection; its client secret is read from standard input.
    Create(Box<CreateArgs>),
    /// List connections.
    List {
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Delete a connection (users keep their accounts; their links through it go).
    Delete { id: String },
}

#[derive(Debug, Args)]
pub struct CreateArgs {
    /// Used in /federation/{id}/start and /callback.
    #[arg(long)]
    id: String,
    /// oidc (discovery) or oauth2 (configured endpoints and a userinfo API).
    #[arg(long, value_parser = ["oidc", "oauth2"])]
    kind: String,
    /// What the login page's "Continue with ..." button says.
    #[arg(long)]
    display_name: String,
    /// The upstream's issuer; its endpoints are discovered from it (OpenID Connect).
    #[arg(long)]
    issuer: Option<String>,
    /// The upstream's authorization endpoint (plain OAuth 2.0, without discovery).
    #[arg(long)]
    authorization_endpoint: Option<String>,
    /// The upstream's token endpoint (plain OAuth 2.0).
    #[arg(long)]
    token_endpoint: Option<String>,
    /// The upstream's userinfo endpoint (plain OAuth 2.0).
    #[arg(long)]
    userinfo_endpoint: Option<String>,
    /// Sesame's client_id at the upstream.
    #[arg(long)]
    client_id: String,
    /// Required: the client secret at the upstream, as the first line of standard input.
    #[arg(long)]
    client_secret_stdin: bool,
    /// A scope to ask the upstream for. Repeat, or give several separated by spaces.
    #[arg(long = "scope")]
    scopes: Vec<String>,
    /// Link to an existing account with the same verified email.
    #[arg(long)]
    trust_email: bool,
    /// The upstream claim that identifies the person.
    #[arg(long, default_value = "sub")]
    subject_claim: String,
    /// The upstream claim holding the email address.
    #[arg(long, default_value = "email")]
    email_claim: String,
    /// The upstream claim holding the display name.
    #[arg(long, default_value = "name")]
    name_claim: String,
}

pub async fn run(config: Config, command: ConnectionCommand) -> Result<(), CliError> {
    let store = open_store(&config).await?;
    match command {
        ConnectionCommand::Create(a) => {
            if !a.client_secret_stdin {
                return Err(CliError(
                    "give the client secret on standard input with --client-secret-stdin".into(),
                ));
            }
            let mut secret = String::new();
            std::io::stdin().lock().read_line(&mut secret)?;
            let secret = secret.trim_end_matches(['\n', '\r']);
            if secret.is_empty() {
                return Err(CliError("the client secret is empty".into()));
            }
            let connection = Connection {
                id: a.id,
                kind: if a.kind == "oidc" {
                    ConnectionKind::Oidc
                } else {
                    ConnectionKind::Oauth2
                },
                display_name: a.display_name,
                issuer: a.issuer,
                authorization_endpoint: a.authorization_endpoint,
                token_endpoint: a.token_endpoint,
                userinfo_endpoint: a.userinfo_endpoint,
                client_id: a.client_id,
                scopes: a
                    .scopes
                    .iter()
                    .flat_map(|s| s.split_whitespace())
                    .map(str::to_owned)
                    .collect(),
                trust_email: a.trust_email,
                subject_claim: a.subject_claim,
                email_claim: a.email_claim,
                name_claim: a.name_claim,
            };
            let master_key = config.master_key();
            Manager::operator(&config, store.as_ref(), master_key.as_ref())
                .save_connection(&connection, Some(secret), Precondition::Any)
                .await?;
            say!(
                "connection {} saved; register {}/federation/{}/callback as the redirect URI at the provider",
                connection.id,
                config.issuer.trim_end_matches('/'),
                connection.id
            );
        }
        ConnectionCommand::List { json } => {
            let connections = store.list_connections().await?;
            if json {
                output::json(&serde_json::to_value(&connections).unwrap_or_default());
            } else {
                let rows: Vec<Vec<String>> = connections
                    .iter()
                    .map(|c| {
                        vec![
                            c.id.clone(),
                            format!("{:?}", c.kind).to_lowercase(),
                            c.display_name.clone(),
                            c.issuer
                                .clone()
                                .or(c.authorization_endpoint.clone())
                                .unwrap_or_default(),
                        ]
                    })
                    .collect();
                output::table(&["ID", "KIND", "NAME", "ISSUER / AUTHORIZATION"], &rows);
            }
        }
        ConnectionCommand::Delete { id } => {
            let master_key = config.master_key();
            Manager::operator(&config, store.as_ref(), master_key.as_ref())
                .delete_connection(&id)
                .await?;
            if config.connections.iter().any(|c| c.connection.id == id) {
                eprintln!("note: {id} is declared in the config file; the next start recreates it");
            }
            say!("deleted connection {id}");
        }
    }
    Ok(())
}
