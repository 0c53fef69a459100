//! `sesame audit list`: the audit trail, newest first, with the API's filters.

use super::{CliError, output};
use crate::config::Config;
use crate::startup::open_store;
use clap::Subcommand;
use sesame_core::audit::AuditQuery;

#[derive(Debug, Subcommand)]
pub enum AuditCommand {
    /// List recorded events, newest first.
    List {
        /// An action (client.created) or a noun, for all of its actions (client).
        #[arg(long)]
        action: Option<String>,
        /// operator, client:<client_id>, user:<sub> or anonymous.
        #[arg(long)]
        actor: Option<String>,
        /// client:<client_id>, user:<sub>, connection:<id>.
        #[arg(long)]
        target: Option<String>,
        /// Only events at or after this Unix time.
        #[arg(long)]
        since: Option<i64>,
        /// Only events older than this one (the `seq` of the last event of the previous page).
        #[arg(long)]
        before: Option<i64>,
        #[arg(long, default_value_t = 50, value_parser = clap::value_parser!(u32).range(1..=1000))]
        limit: u32,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
}

pub async fn run(config: Config, command: AuditCommand) -> Result<(), CliError> {
    let store = open_store(&config).await?;
    let AuditCommand::List {
        action,
        actor,
        target,
        since,
        before,
        limit,
        json,
    } = command;
    let query = AuditQuery {
        action,
        actor,
        target,
        since,
        before,
        limit,
    };
    let events = store.list_audit(&query).await?;
    if json {
        output::json(&serde_json::to_value(&events)?);
        return Ok(());
    }
    if events.is_empty() {
        eprintln!("no events match");
    }
    let rows: Vec<Vec<String>> = events
        .iter()
        .map(|e| {
            vec![
                e.seq.to_string(),
                output::time(e.at),
                e.action.clone(),
                e.actor.clone(),
                e.target.clone().unwrap_or_default(),
                e.address.clone().unwrap_or_default(),
            ]
        })
        .collect();
    output::table(
        &["SEQ", "TIME (UTC)", "ACTION", "ACTOR", "TARGET", "ADDRESS"],
        &rows,
    );
    if events.len() == limit as usize
        && let Some(last) = events.last()
    {
        eprintln!("more: sesame audit list --before {}", last.seq);
    }
    Ok(())
}
