//! The `sesame` command line: one file per noun.

mod audit;
mod client;
mod connection;
mod keys;
mod mfa;
mod migrate;
pub(crate) mod output;
mod serve;
mod user;

use crate::config::Config;
use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, Parser)]
#[command(
    name = "sesame",
    version,
    about = "An OAuth 2.0 and OpenID Connect identity provider"
)]
pub struct Cli {
    /// Configuration file (default: ./sesame.toml when present).
    #[arg(long, global = true, env = "SESAME_CONFIG", value_name = "FILE")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

// Parsed once per process: the size of the largest variant does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
enum Command {
    /// Run the server.
    Serve(serve::ServeArgs),
    /// Apply database migrations and exit.
    Migrate,
    /// Manage OAuth clients.
    #[command(subcommand)]
    Client(client::ClientCommand),
    /// Manage users.
    #[command(subcommand)]
    User(user::UserCommand),
    /// Manage signing keys.
    #[command(subcommand)]
    Keys(keys::KeysCommand),
    /// Manage upstream identity providers ("log in with ...").
    #[command(subcommand)]
    Connection(connection::ConnectionCommand),
    /// Read the audit trail.
    #[command(subcommand)]
    Audit(audit::AuditCommand),
}

/// A user-facing failure: printed as one line, exit status 1.
#[derive(Debug)]
pub struct CliError(pub String);

impl<E: std::fmt::Display> From<E> for CliError {
    fn from(e: E) -> Self {
        Self(e.to_string())
    }
}

pub fn main() -> ExitCode {
    let command =
        Cli::command().mut_subcommand("serve", |serve| serve.after_help(environment_help()));
    let cli = match Cli::from_arg_matches(&command.get_matches()) {
        Ok(cli) => cli,
        Err(e) => e.exit(),
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(CliError(message)) => {
            eprintln!("error: {message}");
            ExitCode::FAILURE
        }
    }
}

/// `serve --help`'s list of the environment variables: every configuration key.
fn environment_help() -> String {
    let tables = ["clients", "users", "connections"];
    let names: Vec<String> = Config::keys()
        .iter()
        .filter(|k| !tables.contains(k))
        .map(|k| format!("  SESAME_{}", k.to_uppercase()))
        .collect();
    format!(
        "Every configuration key can be set in the environment, which overrides the file \
         (sesame.example.toml documents each):\n{}\n  SESAME_CONFIG (the file itself)",
        names.join("\n")
    )
}

async fn run(cli: Cli) -> Result<(), CliError> {
    let config = Config::load(cli.config.as_deref())?;
    match cli.command {
        Command::Serve(args) => serve::run(config, args).await,
        Command::Migrate => migrate::run(config).await,
        Command::Client(command) => client::run(config, command).await,
        Command::User(command) => user::run(config, command).await,
        Command::Keys(command) => keys::run(config, command).await,
        Command::Connection(command) => connection::run(config, command).await,
        Command::Audit(command) => audit::run(config, command).await,
    }
}
