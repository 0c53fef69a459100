//! `sesame migrate`

use super::CliError;
use super::output::say;
use crate::config::Config;
use crate::startup::open_store;

pub async fn run(config: Config) -> Result<(), CliError> {
    open_store(&config).await?;
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
