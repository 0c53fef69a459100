//! `sesame user create|list|show|set-password|disable|enable|unlock|delete|unlink`

use super::output::say;
use super::{CliError, output};
use crate::config::Config;
use crate::manage::Manager;
use crate::manage::users::{NewUser, describe};
use crate::startup::open_store;
use clap::{Args, Subcommand};
use sesame_core::user::{Address, Role, StandardClaims, User};
use std::io::BufRead;

#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a user; with --password-stdin the first line of standard input is its password
    /// (without it the user has none, and can sign in only through an upstream provider).
    Create {
        username: String,
        /// Read the password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
        /// admin: may sign in to the admin console (/admin). Repeat for several.
        #[arg(long = "role", value_parser = parse_role)]
        roles: Vec<Role>,
        #[command(flatten)]
        claims: Box<ClaimArgs>,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// List users.
    List {
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Show one user (never the password hash).
    Show {
        username: String,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Set a user's password from the first line of standard input.
    SetPassword {
        username: String,
        /// Required: passwords are not taken as arguments, which end up in shell history.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Stop a user from signing in by any flow.
    Disable { username: String },
    /// Let a disabled user sign in again.
    Enable { username: String },
    /// Lift the hold on a user's sign-ins after repeated wrong passwords.
    Unlock { username: String },
    /// Delete a user.
    Delete { username: String },
    /// A user's second factors: list, remove, enrol an authenticator.
    #[command(subcommand)]
    Mfa(super::mfa::MfaCommand),
    /// Remove the link between a user and their identity at an upstream provider.
    Unlink {
        username: String,
        /// The connection id, as in `sesame connection list`.
        connection: String,
    },
}

impl UserCommand {
    /// The existing user this command changes, if any.
    fn changes_user(&self) -> Option<&str> {
        match self {
            Self::SetPassword { username, .. }
            | Self::Disable { username }
            | Self::Enable { username }
            | Self::Unlock { username }
            | Self::Delete { username }
            | Self::Unlink { username, .. } => Some(username),
            Self::Create { .. } | Self::List { .. } | Self::Show { .. } | Self::Mfa(_) => None,
        }
    }
}

/// OIDC standard claims as flags.
#[derive(Debug, Args)]
pub struct ClaimArgs {
    /// The email claim.
    #[arg(long)]
    email: Option<String>,
    /// Whether the email address is known to be the user's (true or false).
    #[arg(long)]
    email_verified: Option<bool>,
    /// The full name.
    #[arg(long)]
    name: Option<String>,
    /// The given (first) name.
    #[arg(long)]
    given_name: Option<String>,
    /// The family (last) name.
    #[arg(long)]
    family_name: Option<String>,
    /// The name shown to applications; default: the username.
    #[arg(long)]
    preferred_username: Option<String>,
    /// A BCP 47 language tag, such as en-GB.
    #[arg(long)]
    locale: Option<String>,
    /// The phone number, E.164 preferred (+441234567890).
    #[arg(long)]
    phone_number: Option<String>,
    /// Whether the phone number is known to be the user's (true or false).
    #[arg(long)]
    phone_number_verified: Option<bool>,
    #[command(flatten)]
    address: AddressArgs,
    /// A claim in another language: NAME#TAG=VALUE, such as name#de=Alicia (OIDC Core §5.2).
    /// Repeat for several.
    #[arg(long = "localized", value_parser = parse_localized)]
    localized: Vec<(String, String)>,
}

fn parse_localized(value: &str) -> Result<(String, String), String> {
    value
        .split_once('=')
        .map(|(name, v)| (name.to_owned(), v.to_owned()))
        .ok_or_else(|| "expected NAME#TAG=VALUE, such as name#de=Alicia".to_owned())
}

/// The `address` claim's parts (OIDC Core §5.1.1), released by the address scope.
#[derive(Debug, Args)]
pub struct AddressArgs {
    /// The whole postal address as it is printed (lines separated by \n).
    #[arg(long = "address-formatted")]
    formatted: Option<String>,
    /// Street, house number, apartment.
    #[arg(long)]
    street_address: Option<String>,
    /// City or locality.
    #[arg(long)]
    locality: Option<String>,
    /// State, province or region.
    #[arg(long)]
    region: Option<String>,
    #[arg(long)]
    postal_code: Option<String>,
    /// Country name or ISO 3166-1 code.
    #[arg(long)]
    country: Option<String>,
}

impl From<AddressArgs> for Option<Address> {
    fn from(a: AddressArgs) -> Self {
        // An empty flag is no value, as in a form left blank.
        let given = |v: Option<String>| v.filter(|v| !v.trim().is_empty());
        let address = Address {
            formatted: given(a.formatted),
            street_address: given(a.street_address),
            locality: given(a.locality),
            region: given(a.region),
            postal_code: given(a.postal_code),
            country: given(a.country),
        };
        (!address.is_empty()).then_some(address)
    }
}

impl From<ClaimArgs> for StandardClaims {
    fn from(a: ClaimArgs) -> Self {
        StandardClaims {
            email: a.email,
            email_verified: a.email_verified,
            name: a.name,
            given_name: a.given_name,
            family_name: a.family_name,
            preferred_username: a.preferred_username,
            locale: a.locale,
            phone_number: a.phone_number,
            phone_number_verified: a.phone_number_verified,
            address: a.address.into(),
            localized: a.localized.into_iter().collect(),
            ..Default::default()
        }
    }
}

pub async fn run(config: Config, command: UserCommand) -> Result<(), CliError> {
    let store = open_store(&config).await?;
    if let Some(name) = command.changes_user()
        && config.users.iter().any(|u| u.username == name)
    {
        eprintln!(
            "note: {name} is declared in the config file; the next start restores it from there"
        );
    }
    let master_key = config.master_key();
    let manager = Manager::operator(&config, store.as_ref(), master_key.as_ref());
    match command {
        UserCommand::Create {
            username,
            password_stdin,
            roles,
            claims,
            json,
        } => {
            let password = password_stdin.then(read_password).transpose()?;
            let new = NewUser {
                username: username.clone(),
                claims: (*claims).into(),
                password,
                disabled: false,
                roles,
            };
            let user = manager.create_user(new).await?;
            if !password_stdin {
                eprintln!(
                    "note: {username} has no password, so cannot sign in with one; set it with \
                     `sesame user set-password {username} --password-stdin`"
                );
            }
            print_user(&user, json);
        }
        UserCommand::List { json } => {
            let users = store.list_users().await?;
            if json {
                output::json(&serde_json::Value::Array(
                    users.iter().map(describe).collect(),
                ));
            } else {
                let rows: Vec<Vec<String>> = users
                    .iter()
                    .map(|u| {
                        vec![
                            u.username.clone(),
                            u.id.clone(),
                            u.claims.email.clone().unwrap_or_default(),
                            u.claims.name.clone().unwrap_or_default(),
                            if u.disabled { "disabled" } else { "active" }.to_owned(),
                        ]
                    })
                    .collect();
                output::table(&["USERNAME", "SUBJECT", "EMAIL", "NAME", "STATE"], &rows);
            }
        }
        UserCommand::Show { username, json } => {
            let user = manager.find_user_named(&username).await?;
            let links = store.list_linked_identities(&user.id).await?;
            let locked_until = manager.locked_until(&user).await?;
            if json {
                let mut v = describe(&user);
                v["locked_until"] = locked_until.into();
                v["linked_identities"] = links
                    .iter()
                    .map(|(c, s)| serde_json::json!({"connection": c, "subject": s}))
                    .collect();
                output::json(&v);
            } else {
                print_user(&user, false);
                if let Some(until) = locked_until {
                    say!(
                        "{:<22} until {} UTC, after repeated wrong passwords (sesame user unlock {username})",
                        "locked",
                        output::time(until)
                    );
                }
                for (connection, subject) in links {
                    say!("{:<22} {connection}: {subject}", "linked identity");
                }
            }
        }
        UserCommand::Mfa(command) => super::mfa::run(&manager, &config.issuer, command).await?,
        UserCommand::Unlink {
            username,
            connection,
        } => {
            let user = manager.find_user_named(&username).await?;
            manager.unlink_identity(&user, &connection).await?;
            say!("unlinked {username} from {connection}");
        }
        UserCommand::SetPassword {
            username,
            password_stdin,
        } => {
            if !password_stdin {
                return Err(CliError(
                    "give the new password on standard input with --password-stdin".to_owned(),
                ));
            }
            let user = manager.find_user_named(&username).await?;
            manager.set_password(user, read_password()?).await?;
            say!("password of {username} changed");
        }
        UserCommand::Disable { username } => {
            set_disabled(&manager, &username, true).await?;
            say!("{username} is disabled");
        }
        UserCommand::Enable { username } => {
            set_disabled(&manager, &username, false).await?;
            say!("{username} is enabled");
        }
        UserCommand::Unlock { username } => {
            let user = manager.find_user_named(&username).await?;
            match manager.unlock_user(&user).await? {
                Some(_) => say!("{username} is unlocked"),
                None => say!("{username} was not locked; its failed sign-ins are forgotten"),
            }
        }
        UserCommand::Delete { username } => {
            let user = manager.find_user_named(&username).await?;
            manager.delete_user(&user).await?;
            say!("deleted user {username}");
        }
    }
    Ok(())
}

async fn set_disabled(
    manager: &Manager<'_>,
    username: &str,
    disabled: bool,
) -> Result<(), CliError> {
    let user = manager.find_user_named(username).await?;
    manager
        .update_user(user, None, |p| {
            p.disabled = disabled;
            Ok(())
        })
        .await?;
    Ok(())
}

fn parse_role(value: &str) -> Result<Role, String> {
    serde_json::from_value(serde_json::Value::String(value.to_owned()))
        .map_err(|_| format!("{value:?} is not a role (admin)"))
}

/// The first line of standard input, without its line ending.
fn read_password() -> Result<String, CliError> {
    let mut line = String::new();
    std::io::stdin().lock().read_line(&mut line)?;
    let password = line.trim_end_matches(['\n', '\r']).to_owned();
    sesame_core::password::validate_password(&password)?;
    Ok(password)
}

fn print_user(user: &User, json: bool) {
    if json {
        output::json(&describe(user));
        return;
    }
    say!("{:<22} {}", "username", user.username);
    say!("{:<22} {}", "sub", user.id);
    say!(
        "{:<22} {}",
        "state",
        if user.disabled { "disabled" } else { "active" }
    );
    say!(
        "{:<22} {}",
        "password",
        if user.password_hash.is_some() {
            "set"
        } else {
            "none"
        }
    );
    if let Ok(serde_json::Value::Object(mut claims)) = serde_json::to_value(&user.claims) {
        // Each claim in another language on a line of its own, by its tagged name.
        claims.remove("localized");
        let localized = user
            .claims
            .localized
            .iter()
            .map(|(k, v)| (k.clone(), serde_json::Value::from(v.clone())));
        for (name, value) in claims.into_iter().chain(localized) {
            say!(
                "{name:<22} {}",
                value
                    .as_str()
                    .map(str::to_owned)
                    .unwrap_or(value.to_string())
            );
        }
    }
    say!("{:<22} {}", "created", output::time(user.created_at));
}
