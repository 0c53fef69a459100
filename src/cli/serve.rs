//! `sesame serve [--demo]`

use super::CliError;
use crate::config::Config;
use crate::startup::{Application, shutdown_signal};
use crate::telemetry;
use clap::Args;
use sesame_core::client::{AccessTokenFormat, AuthMethod, Client, ClientMetadata, GrantType};
use sesame_core::clock::{Clock, SystemClock};
use sesame_core::scope::Scopes;
use sesame_core::secret::Secret;

#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Seed demo clients with fresh secrets and print how to use them.
    #[arg(long)]
    demo: bool,
}

/// The demo's machine-to-machine clients: one with JWT access tokens, one with opaque ones.
const DEMO_CLIENTS: [(&str, AccessTokenFormat); 2] = [
    ("demo-service", AccessTokenFormat::Jwt),
    ("demo-service-opaque", AccessTokenFormat::Opaque),
];

pub async fn run(config: Config, args: ServeArgs) -> Result<(), CliError> {
    telemetry::init(config.log_format, &config.log_level);
    let app = Application::build(&config).await?;
    tracing::info!(
        issuer = %config.issuer,
        listen = %config.listen,
        port = app.port(),
        database = %super::migrate::redact_url(&config.database_url),
        "sesame is listening"
    );
    if args.demo {
        seed_demo(&app, &config).await?;
    }
    app.run_until_stopped(shutdown_signal()).await?;
    Ok(())
}

async fn seed_demo(app: &Application, config: &Config) -> Result<(), CliError> {
    let now = SystemClock.now();
    let mut secrets = Vec::new();
    for (client_id, format) in DEMO_CLIENTS {
        let secret = Secret::generate();
        let client = Client {
            client_id: client_id.to_owned(),
            secret_hash: Some(secret.hash()),
            metadata: ClientMetadata {
                client_name: Some(format!("Sesame demo service ({format:?} tokens)")),
                grant_types: vec![GrantType::ClientCredentials],
                token_endpoint_auth_method: AuthMethod::ClientSecretBasic,
                scope: Scopes::parse("api:read api:write")?,
                access_token_format: format,
                ..Default::default()
            },
            created_at: now,
            updated_at: now,
        };
        app.provider().store().upsert_client(&client).await?;
        secrets.push((client_id, secret));
    }
    let issuer = &config.issuer;
    println!("\nSesame demo is running.");
    println!("  issuer:        {issuer}");
    println!("  discovery:     {issuer}/.well-known/openid-configuration");
    for (client_id, secret) in &secrets {
        println!("  client:        {client_id}");
        println!("  client secret: {}", secret.expose());
    }
    let (client_id, secret) = &secrets[0];
    println!("\nGet an access token (client credentials):");
    println!(
        "  curl -s -u {client_id}:{} -d grant_type=client_credentials -d scope=api:read {issuer}/token",
        secret.expose()
    );
    println!("\nThe secrets are new at every --demo start. Stop with Ctrl-C.\n");
    Ok(())
}
