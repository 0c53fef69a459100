//! `sesame serve [--demo]`

use super::CliError;
use super::output::say;
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
    let metrics = match (app.metrics_addr(), &config.metrics_token) {
        (Some(addr), None) => format!("http://{addr}/metrics"),
        (Some(addr), Some(_)) => format!("http://{addr}/metrics (bearer metrics_token)"),
        (None, Some(_)) => "/metrics on the main listener (bearer metrics_token)".to_owned(),
        (None, None) => "off (set metrics_listen or metrics_token)".to_owned(),
    };
    tracing::info!(
        issuer = %config.issuer,
        listen = %config.listen,
        port = app.port(),
        metrics,
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
    let user_password = seed_demo_user(app, now).await?;
    seed_demo_spa(app, now).await?;
    let issuer = &config.issuer;
    say!("\nSesame demo is running.");
    say!("  issuer:        {issuer}");
    say!("  discovery:     {issuer}/.well-known/openid-configuration");
    for (client_id, secret) in &secrets {
        say!("  client:        {client_id}");
        say!("  client secret: {}", secret.expose());
    }
    let (client_id, secret) = &secrets[0];
    say!("\nGet an access token (client credentials):");
    say!(
        "  curl -s -u {client_id}:{} -d grant_type=client_credentials -d scope=api:read {issuer}/token",
        secret.expose()
    );
    let verifier = sesame_core::secret::random_token(32);
    let challenge = base64::Engine::encode(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD,
        sesame_core::secret::SecretHash::of(&verifier).0,
    );
    say!("\nSign in as a user (public client demo-spa, PKCE):");
    say!("  user:          demo");
    say!("  password:      {user_password}");
    say!(
        "  open:          {issuer}/authorize?client_id=demo-spa&response_type=code&scope=openid%20profile%20email&redirect_uri=http://127.0.0.1:9999/callback&state=demo&code_challenge={challenge}&code_challenge_method=S256"
    );
    say!(
        "  then:          curl -s -d grant_type=authorization_code -d client_id=demo-spa -d redirect_uri=http://127.0.0.1:9999/callback -d code_verifier={verifier} -d code=CODE_FROM_THE_REDIRECT {issuer}/token"
    );
    say!("\nThe secrets and the password are new at every --demo start. Stop with Ctrl-C.\n");
    Ok(())
}

/// The demo user `demo`, with a new random password each start.
async fn seed_demo_user(app: &Application, now: i64) -> Result<String, CliError> {
    let password = sesame_core::secret::random_token(12);
    let hash = crate::password::hash_off_runtime(password.clone()).await?;
    let store = app.provider().store();
    let claims = sesame_core::user::StandardClaims {
        name: Some("Demo User".into()),
        email: Some("demo@example.com".into()),
        email_verified: Some(true),
        ..Default::default()
    };
    let mut user = match store.get_user_by_username("demo").await? {
        Some(existing) => existing,
        None => sesame_core::user::User::new("demo", claims, now)?,
    };
    user.password_hash = Some(hash);
    user.updated_at = now;
    if !store.update_user(&user).await? {
        store.insert_user(&user).await?;
    }
    Ok(password)
}

/// A public single-page app: code + PKCE, loopback redirect (any port, RFC 8252 §7.3).
async fn seed_demo_spa(app: &Application, now: i64) -> Result<(), CliError> {
    let client = Client {
        client_id: "demo-spa".to_owned(),
        secret_hash: None,
        metadata: ClientMetadata {
            client_name: Some("Sesame demo app".into()),
            redirect_uris: vec!["http://127.0.0.1/callback".into()],
            grant_types: vec![GrantType::AuthorizationCode, GrantType::RefreshToken],
            token_endpoint_auth_method: AuthMethod::None,
            scope: Scopes::parse("openid profile email offline_access")?,
            ..Default::default()
        },
        created_at: now,
        updated_at: now,
    };
    app.provider().store().upsert_client(&client).await?;
    Ok(())
}
