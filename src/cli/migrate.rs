//! `sesame migrate`

use super::CliError;
use super::output::say;
use crate::config::Config;
use crate::startup::{apply_declared, open_store};

/// Migrates, then applies the clients, users and connections the configuration declares (as
/// `serve` does at start), so `client list` shows them before the first start.
pub async fn run(config: Config) -> Result<(), CliError> {
    let store = open_store(&config).await?;
    apply_declared(&config, store.as_ref()).await?;
    say!(
        "database {} is up to date",
        redact_url(&config.database_url)
    );
    Ok(())
}

/// A database URL without its password, for messages.
pub fn redact_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        _ => url.to_owned(),
    }
}
