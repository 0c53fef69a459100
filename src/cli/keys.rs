//! `sesame keys list|rotate`

use super::output::say;
use super::{CliError, output};
use crate::config::Config;
use crate::manage::Manager;
use crate::manage::keys::describe;
use crate::startup::{open_store, provider};
use clap::Subcommand;
use sesame_core::clock::{Clock, SystemClock};

#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// List signing keys and their state.
    List {
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Add a new key per algorithm and sign with it at once (for a key that must stop signing
    /// now; `key_rotation_interval` rotates on a schedule); old keys stay published until every
    /// token they signed has expired.
    Rotate {
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
}

pub async fn run(config: Config, command: KeysCommand) -> Result<(), CliError> {
    let store = open_store(&config).await?;
    match command {
        KeysCommand::List { json } => {
            let now = SystemClock.now();
            // Only listed: the first `serve` (or `keys rotate`) creates them.
            let keys = store.list_signing_keys().await?;
            if keys.is_empty() && !json {
                eprintln!("no signing keys yet: the first `sesame serve` creates them");
            }
            let state = |k: &sesame_core::keys::StoredKey| k.state(now).as_str();
            if json {
                output::json(&serde_json::Value::Array(
                    keys.iter().map(|k| describe(k, now)).collect(),
                ));
            } else {
                let rows: Vec<Vec<String>> = keys
                    .iter()
                    .map(|k| {
                        vec![
                            k.kid.clone(),
                            k.alg.to_string(),
                            state(k).to_owned(),
                            output::time(k.created_at),
                            output::time(k.activates_at),
                            k.publish_until.map(output::time).unwrap_or_default(),
                            if k.encrypted { "yes" } else { "no" }.to_owned(),
                        ]
                    })
                    .collect();
                output::table(
                    &[
                        "KID",
                        "ALG",
                        "STATE",
                        "CREATED (UTC)",
                        "SIGNS FROM",
                        "PUBLISHED UNTIL",
                        "ENCRYPTED",
                    ],
                    &rows,
                );
            }
        }
        KeysCommand::Rotate { json } => {
            // Starting the provider creates the first keys if there are none yet.
            let (provider, audit) = provider(&config, store.clone()).await?;
            let master_key = config.master_key();
            let new_keys = Manager::operator(&config, store.as_ref(), master_key.as_ref())
                .rotate_keys(&provider)
                .await?;
            audit.flush().await;
            let published_for = provider.settings().max_signed_token_ttl() + 60;
            if json {
                output::json(&serde_json::json!({
                    "signing": new_keys
                        .iter()
                        .map(|k| serde_json::json!({"kid": k.kid, "alg": k.alg.as_str()}))
                        .collect::<Vec<_>>(),
                    "previous_keys_published_for": published_for,
                    "nodes_reload_within": config.key_reload_interval,
                }));
            } else {
                for k in &new_keys {
                    say!("{}  {}  now signing", k.kid, k.alg);
                }
                say!(
                    "previous keys stay published for {published_for} s more; running nodes pick the change up within {} s",
                    config.key_reload_interval
                );
            }
        }
    }
    Ok(())
}
