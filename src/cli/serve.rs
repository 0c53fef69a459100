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
    /// Seed demo clients and a demo user with fresh secrets and print how to use them. The
    /// demo runs on a temporary database deleted at exit, never the configured one, unless
    /// --database-url names one.
    #[arg(long)]
    demo: bool,
    /// The database to use, instead of database_url from the configuration.
    #[arg(long, value_name = "URL")]
    database_url: Option<String>,
}

/// The demo's temporary SQLite database; its files go when the demo ends.
struct DemoDatabase(std::path::PathBuf);

impl DemoDatabase {
    fn new() -> Self {
        let name = format!("sesame-demo-{}.db", std::process::id());
        Self(std::env::temp_dir().join(name))
    }

    fn url(&self) -> String {
        format!("sqlite://{}", self.0.display())
    }
}

impl Drop for DemoDatabase {
    fn drop(&mut self) {
        for suffix in ["", "-wal", "-shm"] {
            let mut path = self.0.clone().into_os_string();
            path.push(suffix);
            let _ = std::fs::remove_file(path);
        }
    }
}

/// The demo's machine-to-machine clients: one with JWT access tokens, one with opaque ones.
const DEMO_CLIENTS: [(&str, AccessTokenFormat); 2] = [
    ("demo-service", AccessTokenFormat::Jwt),
    ("demo-service-opaque", AccessTokenFormat::Opaque),
];

pub async fn run(mut config: Config, args: ServeArgs) -> Result<(), CliError> {
    let demo_database = (args.demo && args.database_url.is_none()).then(DemoDatabase::new);
    if let Some(url) = args
        .database_url
        .clone()
        .or(demo_database.as_ref().map(DemoDatabase::url))
    {
        config.database_url = url;
    }
    telemetry::init(config.log_format, &config.log_level);
    for warning in config.warnings() {
        tracing::warn!("{warning}");
    }
    let app = if args.demo {
        Application::build_demo(&config).await?
    } else {
        Application::build(&config).await?
    };
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
        seed_demo(&app, &config, demo_database.is_some()).await?;
    }
    app.run_until_stopped(shutdown_signal()).await?;
    Ok(())
}

async fn seed_demo(app: &Application, config: &Config, temporary: bool) -> Result<(), CliError> {
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
    seed_demo_spa(app, &config.issuer, now).await?;
    let issuer = &config.issuer;
    say!("\nSesame demo is running.");
    say!("  issuer:        {issuer}");
    say!("  discovery:     {issuer}/.well-known/openid-configuration");
    if temporary {
        say!("  database:      temporary, deleted at exit (--database-url keeps one)");
    } else {
        let database = super::migrate::redact_url(&config.database_url);
        say!("  database:      {database}");
    }
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
    say!("\nSign in as a person, in a browser:");
    say!("  open:          {issuer}{}", crate::ui::demo::START);
    say!("  user:          demo");
    say!("  password:      {user_password}");
    say!(
        "  The page plays an application (the public client {}): it sends you to sign in, \
         then shows the code it got back, the token request it made and the tokens.",
        crate::ui::demo::CLIENT_ID
    );
    say!("\nManage it in the admin console, signed in as demo:");
    say!("  open:          {issuer}{}", crate::console::HOME);
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
    // The demo's person is also its operator: the console lets them in.
    user.roles = vec![sesame_core::user::Role::Admin];
    user.updated_at = now;
    if !store.update_user(&user).await? {
        store.insert_user(&user).await?;
    }
    Ok(password)
}

/// A public client: code + PKCE, returning to the demo's own page (and to any loopback port,
/// RFC 8252 §7.3, for a native tool someone tries).
async fn seed_demo_spa(app: &Application, issuer: &str, now: i64) -> Result<(), CliError> {
    let client = Client {
        client_id: crate::ui::demo::CLIENT_ID.to_owned(),
        secret_hash: None,
        metadata: ClientMetadata {
            client_name: Some("Sesame demo app".into()),
            redirect_uris: vec![
                format!("{issuer}{}", crate::ui::demo::CALLBACK),
                "http://127.0.0.1/callback".into(),
            ],
            grant_types: vec![GrantType::AuthorizationCode, GrantType::RefreshToken],
            token_endpoint_auth_method: AuthMethod::None,
            scope: Scopes::parse(crate::ui::demo::SCOPE)?,
            ..Default::default()
        },
        created_at: now,
        updated_at: now,
    };
    app.provider().store().upsert_client(&client).await?;
    Ok(())
}
