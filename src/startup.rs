//! Building a running node from a configuration: store, migrations, declarative clients,
//! provider, router, listener.

use crate::audit_trail::AuditTrail;
use crate::config::Config;
use crate::federation::upstream::HttpUpstream;
use crate::router::router;
use crate::state::AppState;
use crate::{background, ops};
use axum::Router;
use secrecy::ExposeSecret;
use sesame_core::Provider;
use sesame_core::clock::{Clock, SystemClock};
use sesame_core::oidc::discovery;
use sesame_core::provider::ProviderError;
use sesame_core::store::{Store, StoreError};
use sesame_core::user::{StandardClaims, User};
use sesame_store::PoolSettings;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    #[error("database: {0}")]
    Store(#[from] StoreError),
    #[error("signing keys: {0}")]
    Keys(#[from] sesame_core::keys::KeyError),
    #[error("HTTP client for upstream identity providers: {0}")]
    UpstreamClient(#[from] reqwest::Error),
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        addr: std::net::SocketAddr,
        source: std::io::Error,
    },
}

impl From<ProviderError> for StartupError {
    fn from(e: ProviderError) -> Self {
        match e {
            ProviderError::Store(e) => Self::Store(e),
            ProviderError::Key(e) => Self::Keys(e),
        }
    }
}

/// Connects to the configured database and brings its schema up to date.
pub async fn open_store(config: &Config) -> Result<Arc<dyn Store>, StartupError> {
    let pool = PoolSettings {
        max_connections: config.database_max_connections,
        acquire_timeout: Duration::from_secs(config.database_timeout_seconds),
    };
    let store = sesame_store::connect(&config.database_url, &pool).await?;
    store.migrate().await?;
    Ok(store)
}

/// The provider on `store`, with a signing key for every algorithm, and the audit trail its
/// events go to (flush it before the process ends).
pub async fn provider(
    config: &Config,
    store: Arc<dyn Store>,
) -> Result<(Provider, Arc<AuditTrail>), StartupError> {
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let trail = Arc::new(AuditTrail::spawn(
        store.clone(),
        Arc::new(crate::telemetry::Telemetry),
    ));
    let provider = Provider::start(store, clock, config.settings(), config.master_key())
        .await?
        .with_password_verifier(Arc::new(crate::password::BlockingVerifier))
        .with_event_sink(trail.clone())
        .with_network(network()?);
    Ok((provider, trail))
}

/// The network for upstream providers and clients' jwks_uri: HTTP with timeouts, no redirects.
fn network() -> Result<Arc<HttpUpstream>, StartupError> {
    Ok(Arc::new(HttpUpstream::new()?))
}

/// Upserts the `[[clients]]` of the configuration (GitOps: the file is the truth for them).
/// The configuration file's `[[clients]]`, `[[users]]` and `[[connections]]`, into the store.
pub async fn apply_declared(config: &Config, store: &dyn Store) -> Result<(), StartupError> {
    apply_declared_clients(config, store).await?;
    apply_declared_users(config, store).await?;
    apply_declared_connections(config, store).await
}

async fn apply_declared_clients(config: &Config, store: &dyn Store) -> Result<(), StartupError> {
    let now = SystemClock.now();
    for declared in &config.clients {
        let client = declared
            .to_client(now)
            .map_err(crate::config::ConfigError)?;
        let stored = store.get_client(&client.client_id).await?;
        crate::registration::verify_remote(&client, stored.as_ref())
            .await
            .map_err(|e| crate::config::ConfigError(format!("client {}: {e}", client.client_id)))?;
        store.upsert_client(&client).await?;
        // OAuth 1.0a signs with the consumer secret itself: keep it, sealed; or forget it when
        // the declaration no longer has one.
        match (client.metadata.oauth1, &declared.client_secret) {
            (true, Some(secret)) => {
                use secrecy::ExposeSecret;
                let sealed = sesame_core::oauth1::seal(
                    config.master_key().as_ref(),
                    &client.client_id,
                    secret.expose_secret(),
                )
                .map_err(|e| {
                    crate::config::ConfigError(format!("client {}: {e}", client.client_id))
                })?;
                store.put_oauth1_secret(&client.client_id, &sealed).await?;
            }
            _ => store.delete_oauth1_secret(&client.client_id).await?,
        }
    }
    Ok(())
}

/// Creates or replaces the `[[connections]]` of the configuration (client secrets sealed).
async fn apply_declared_connections(
    config: &Config,
    store: &dyn Store,
) -> Result<(), StartupError> {
    use secrecy::ExposeSecret;
    for declared in &config.connections {
        let c = &declared.connection;
        let sealed = sesame_core::sealed::seal(
            config.master_key().as_ref(),
            &c.id,
            declared.client_secret.expose_secret(),
        )
        .map_err(|e| crate::config::ConfigError(format!("connection {}: {e}", c.id)))?;
        store.upsert_connection(c, &sealed).await?;
    }
    Ok(())
}

/// Creates or updates the `[[users]]` of the configuration, matched by username. A configured
/// password is hashed only when it is not already the stored one, so restarts cost no argon2.
async fn apply_declared_users(config: &Config, store: &dyn Store) -> Result<(), StartupError> {
    use secrecy::ExposeSecret;
    use sesame_core::password::PasswordVerifier;
    let now = SystemClock.now();
    for declared in &config.users {
        let invalid = |e: &dyn std::fmt::Display| {
            crate::config::ConfigError(format!("user {}: {e}", declared.username))
        };
        let existing = store.get_user_by_username(&declared.username).await?;
        let mut user = match existing.clone() {
            Some(user) => user,
            None => User::new(&declared.username, StandardClaims::default(), now)
                .map_err(|e| invalid(&e))?,
        };
        user.claims = declared.claims.clone();
        user.disabled = declared.disabled;
        user.roles = declared.roles.clone();
        user.updated_at = now;
        if let Some(hash) = &declared.password_hash {
            user.password_hash = Some(hash.clone());
        } else if let Some(password) = &declared.password {
            let current = user.password_hash.clone().unwrap_or_default();
            let unchanged = crate::password::BlockingVerifier
                .verify(current, password.expose_secret().to_owned())
                .await;
            // At start nothing else hashes: busy would mean a failed thread, so hash again.
            if unchanged != Ok(true) {
                let hash = crate::password::hash_off_runtime(password.expose_secret().to_owned())
                    .await
                    .map_err(|e| invalid(&e))?;
                user.password_hash = Some(hash);
            }
        }
        let saved = match existing {
            Some(_) => store.update_user(&user).await?,
            None => store.insert_user(&user).await?,
        };
        if !saved {
            return Err(
                invalid(&"another node created this user at the same time; restart").into(),
            );
        }
    }
    Ok(())
}

/// The admin console's client, as this issuer needs it (`crate::console`). An issuer whose
/// redirect URIs cannot be registered (plain http off loopback) gets no console, and says so.
/// Sesame's own clients, registered at every start: the admin console and the account page.
async fn register_first_party(config: &Config, store: &dyn Store) -> Result<(), StartupError> {
    let clients = [
        ("admin console", crate::console::client(&config.issuer)),
        ("account page", crate::ui::account::client(&config.issuer)),
    ];
    for (what, client) in clients {
        match client.validate() {
            Ok(()) => store.upsert_client(&client).await?,
            Err(e) => {
                tracing::warn!(error = %e, "no {what}: its redirect URI cannot be registered for this issuer");
            }
        }
    }
    Ok(())
}

async fn bind(addr: std::net::SocketAddr) -> Result<TcpListener, StartupError> {
    TcpListener::bind(addr)
        .await
        .map_err(|source| StartupError::Listen { addr, source })
}

/// A node, bound to its port, not yet serving.
pub struct Application {
    listener: TcpListener,
    router: Router,
    /// `metrics_listen`: metrics and probes on a port of their own.
    ops: Option<(TcpListener, Router)>,
    state: AppState,
    shutdown_timeout: Duration,
    /// Written out when the node stops.
    audit: Arc<AuditTrail>,
}

impl Application {
    /// Binds `config.listen` and builds the node.
    pub async fn build(config: &Config) -> Result<Self, StartupError> {
        Self::build_on(config, bind(config.listen).await?).await
    }

    /// Builds the node on a listener bound already (tests bind port 0 first to learn the
    /// issuer URL).
    pub async fn build_on(config: &Config, listener: TcpListener) -> Result<Self, StartupError> {
        Self::build_with(config, listener, false).await
    }

    /// [`Application::build`], with the demo's application pages (`serve --demo`).
    pub async fn build_demo(config: &Config) -> Result<Self, StartupError> {
        Self::build_with(config, bind(config.listen).await?, true).await
    }

    async fn build_with(
        config: &Config,
        listener: TcpListener,
        demo: bool,
    ) -> Result<Self, StartupError> {
        let store = open_store(config).await?;
        apply_declared(config, store.as_ref()).await?;
        register_first_party(config, store.as_ref()).await?;
        let (provider, audit) = provider(config, store).await?;
        let provider = Arc::new(provider);
        let state = AppState {
            discovery: discovery::metadata(provider.settings()).to_string().into(),
            provider,
            metrics: ops::recorder(),
            issued: Default::default(),
            passkeys: crate::passkeys::Passkeys::for_issuer(&config.issuer).map(Arc::new),
            upstream: network()?,
            trusted_proxies: crate::trusted_proxies::TrustedProxies::parse(&config.trusted_proxies)
                .map_err(crate::config::ConfigError)?,
            cookies: crate::ui::cookies::CookiePolicy::for_issuer(&config.issuer),
            limits: crate::limits::Limits {
                body: config.max_body_bytes,
                headers: config.max_header_bytes,
            },
        };
        background::spawn(
            &state,
            Duration::from_secs(config.key_reload_interval),
            Duration::from_secs(config.sweep_interval),
            (config.audit_retention > 0).then_some(config.audit_retention),
        );
        let (main_metrics, own_metrics) = ops::MetricsAccess::for_listeners(
            config.metrics_token.as_ref().map(|t| t.expose_secret()),
            config.metrics_listen.is_some(),
        );
        let ops = match config.metrics_listen {
            Some(addr) => Some((bind(addr).await?, ops::router(state.clone(), own_metrics))),
            None => None,
        };
        Ok(Self {
            listener,
            router: router(state.clone(), main_metrics, demo),
            ops,
            state,
            shutdown_timeout: Duration::from_secs(config.shutdown_timeout),
            audit,
        })
    }

    pub fn port(&self) -> u16 {
        self.listener.local_addr().map(|a| a.port()).unwrap_or(0)
    }

    /// Where `metrics_listen` is bound, when it is configured.
    pub fn metrics_addr(&self) -> Option<std::net::SocketAddr> {
        self.ops.as_ref().and_then(|(l, _)| l.local_addr().ok())
    }

    pub fn provider(&self) -> &Arc<Provider> {
        &self.state.provider
    }

    /// Serves until `shutdown` completes, then lets in-flight requests finish (up to the
    /// configured shutdown timeout).
    pub async fn run_until_stopped(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let (stopping_tx, stopping_rx) = tokio::sync::oneshot::channel::<()>();
        let (ops_stop_tx, mut ops_stop_rx) = tokio::sync::watch::channel(false);
        let signal = async move {
            shutdown.await;
            let _ = ops_stop_tx.send(true);
            let _ = stopping_tx.send(());
        };
        if let Some((listener, ops)) = self.ops {
            let stop = async move {
                let _ = ops_stop_rx.wait_for(|stopped| *stopped).await;
            };
            tokio::spawn(async move {
                if let Err(e) = axum::serve(listener, ops)
                    .with_graceful_shutdown(stop)
                    .await
                {
                    tracing::error!(error = %e, "the metrics listener failed");
                }
            });
        }
        // The peer address feeds the device page's rate limit.
        let app = self
            .router
            .into_make_service_with_connect_info::<std::net::SocketAddr>();
        let serve = axum::serve(self.listener, app).with_graceful_shutdown(signal);
        let grace = self.shutdown_timeout;
        let drain_deadline = async move {
            if stopping_rx.await.is_ok() {
                tokio::time::sleep(grace).await;
            } else {
                std::future::pending::<()>().await;
            }
        };
        let stopped = tokio::select! {
            result = serve => result,
            _ = drain_deadline => {
                tracing::warn!("shutdown timeout reached with requests still in flight");
                Ok(())
            }
        };
        self.audit.flush().await;
        stopped
    }
}

/// Completes on SIGTERM or Ctrl-C. The handlers are installed when this is called, not when the
/// future is first polled, so a signal that arrives as soon as the server answers is not lost
/// (the default action would kill the process without draining).
#[cfg(unix)]
pub fn shutdown_signal() -> impl Future<Output = ()> + Send + 'static {
    use tokio::signal::unix::{SignalKind, signal};
    let terminate = signal(SignalKind::terminate());
    let interrupt = signal(SignalKind::interrupt());
    async move {
        match (terminate, interrupt) {
            (Ok(mut terminate), Ok(mut interrupt)) => {
                tokio::select! {
                    _ = terminate.recv() => {},
                    _ = interrupt.recv() => {},
                }
            }
            // Without handlers the default actions apply; wait for nothing.
            _ => std::future::pending::<()>().await,
        }
        tracing::info!("shutting down: finishing in-flight requests");
    }
}

#[cfg(not(unix))]
pub fn shutdown_signal() -> impl Future<Output = ()> + Send + 'static {
    async {
        let _ = tokio::signal::ctrl_c().await;
        tracing::info!("shutting down: finishing in-flight requests");
    }
}
