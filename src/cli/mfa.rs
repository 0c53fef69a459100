//! `sesame user mfa ...`: an operator's view of a user's second factors: list them, remove one
//! (a lost phone), or enrol an authenticator for automation (the `otpauth://` URI and the
//! recovery codes printed once).

use super::CliError;
use super::output::{self, say};
use crate::manage::Manager;
use crate::manage::factors::describe;
use clap::Subcommand;
use sesame_core::mfa::totp;

#[derive(Debug, Subcommand)]
pub enum MfaCommand {
    /// List a user's second factors and how many recovery codes are left.
    List {
        username: String,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Remove a factor (its id from `list`); with the last one go the recovery codes.
    Remove { username: String, factor: String },
    /// Enrol an authenticator (TOTP) for the user; prints its otpauth:// URI, and the
    /// recovery codes when it is the user's first factor, this once.
    EnrolTotp {
        username: String,
        /// What the user will see it called.
        #[arg(long, default_value = "Authenticator app")]
        name: String,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
}

pub async fn run(manager: &Manager<'_>, issuer: &str, command: MfaCommand) -> Result<(), CliError> {
    match command {
        MfaCommand::List { username, json } => {
            let user = manager.find_user_named(&username).await?;
            let factors = manager.factors(&user).await?;
            let left = manager.store.unused_recovery_codes(&user.id).await?;
            if json {
                output::json(&serde_json::json!({
                    "factors": factors.iter().map(describe).collect::<Vec<_>>(),
                    "recovery_codes_left": left,
                }));
                return Ok(());
            }
            let rows: Vec<Vec<String>> = factors
                .iter()
                .map(|f| {
                    vec![
                        f.id.clone(),
                        f.kind.as_str().to_owned(),
                        f.name.clone(),
                        output::time(f.created_at),
                        f.last_used_at.map(output::time).unwrap_or_default(),
                    ]
                })
                .collect();
            output::table(&["ID", "KIND", "NAME", "ENROLLED", "LAST USED"], &rows);
            say!("{left} recovery codes left");
        }
        MfaCommand::Remove { username, factor } => {
            let user = manager.find_user_named(&username).await?;
            manager.remove_factor(&user, &factor).await?;
            say!("removed {factor} from {username}");
        }
        MfaCommand::EnrolTotp {
            username,
            name,
            json,
        } => {
            let user = manager.find_user_named(&username).await?;
            let secret = totp::generate_secret();
            let enrolled = manager.enrol_totp(&user, &name, &secret, None).await?;
            let uri = totp::otpauth_uri(&totp::issuer_label(issuer), &user.username, &secret);
            if json {
                let mut v = describe(&enrolled.factor);
                v["otpauth_uri"] = uri.into();
                v["secret"] = totp::base32(&secret).into();
                v["recovery_codes"] = enrolled.recovery_codes.into();
                output::json(&v);
            } else {
                say!("enrolled {} for {username}", enrolled.factor.id);
                say!("{uri}");
                for code in enrolled.recovery_codes.iter().flatten() {
                    say!("recovery code {code}");
                }
                eprintln!("note: shown only now; hand them to {username} over a safe channel");
            }
        }
    }
    Ok(())
}
