//! Configuration: `sesame.toml` (or `--config`/`SESAME_CONFIG`), every key overridable by a
//! `SESAME_<KEY>` environment variable. `sesame.example.toml` documents every key; a test keeps
//! the two in step.

mod declared;
mod error;
mod field_names;

pub use declared::{ClientConfig, ConnectionConfig, UserConfig};
pub use error::ConfigError;

use figment::Figment;
use figment::providers::{Env, Format, Toml};
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use sesame_core::client::validate_client_id;
use sesame_core::keys::Algorithm;
use sesame_core::params::MAX_FORM_BYTES;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

#[derive(Debug, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    pub issuer: String,
    pub listen: SocketAddr,
    pub database_url: String,
    pub database_max_connections: u32,
    pub database_timeout_seconds: u64,
    pub log_format: LogFormat,
    pub log_level: String,
    pub master_key: Option<SecretString>,
    pub access_token_ttl: i64,
    pub access_token_signing_alg: Algorithm,
    pub access_token_audience: Option<String>,
    pub id_token_ttl: i64,
    pub refresh_token_ttl: i64,
    pub refresh_token_max_lifetime: i64,
    pub session_ttl: i64,
    pub client_cache_ttl: i64,
    pub key_reload_interval: u64,
    pub key_rotation_interval: i64,
    pub sweep_interval: u64,
    /// Seconds audit events are kept; 0 keeps them forever.
    pub audit_retention: i64,
    pub shutdown_timeout: u64,
    pub max_body_bytes: usize,
    pub max_header_bytes: usize,
    pub trusted_proxies: Vec<String>,
    pub claims_locales_supported: Vec<String>,
    /// Every sign-in needs a second factor; a user without one enrols one after the password.
    pub require_mfa: bool,
    pub metrics_listen: Option<SocketAddr>,
    pub metrics_token: Option<SecretString>,
    pub clients: Vec<ClientConfig>,
    pub users: Vec<UserConfig>,
    pub connections: Vec<ConnectionConfig>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            issuer: "http://127.0.0.1:8080".to_owned(),
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            database_url: "sqlite://sesame.db".to_owned(),
            database_max_connections: 8,
            database_timeout_seconds: 3,
            log_format: LogFormat::Text,
            log_level: "info".to_owned(),
            master_key: None,
            access_token_ttl: 3600,
            access_token_signing_alg: Algorithm::ES256,
            access_token_audience: None,
            id_token_ttl: 3600,
            refresh_token_ttl: 30 * 24 * 3600,
            refresh_token_max_lifetime: 90 * 24 * 3600,
            session_ttl: 24 * 3600,
            client_cache_ttl: 5,
            key_reload_interval: 5,
            key_rotation_interval: 90 * 86_400,
            sweep_interval: 60,
            audit_retention: 90 * 86_400,
            shutdown_timeout: 30,
            max_body_bytes: MAX_FORM_BYTES,
            max_header_bytes: 32 * 1024,
            trusted_proxies: Vec::new(),
            claims_locales_supported: Vec::new(),
            require_mfa: false,
            metrics_listen: None,
            metrics_token: None,
            clients: Vec::new(),
            users: Vec::new(),
            connections: Vec::new(),
        }
    }
}

/// Environment variables with this prefix that are not configuration keys.
const NOT_CONFIG: [&str; 1] = ["config"];

impl Config {
    /// Reads the file (when given or when `sesame.toml` exists) and the environment.
    pub fn load(path: Option<&Path>) -> Result<Self, ConfigError> {
        // Missing keys take `Config::default()` (serde(default)), so no defaults layer is needed.
        let mut figment = Figment::new();
        match path {
            Some(path) if !path.exists() => {
                return Err(ConfigError(format!(
                    "config file {} does not exist",
                    path.display()
                )));
            }
            Some(path) => figment = figment.merge(Toml::file_exact(path)),
            None if Path::new("sesame.toml").exists() => {
                figment = figment.merge(Toml::file_exact(PathBuf::from("sesame.toml")))
            }
            None => {}
        }
        // SESAME_TEST_* variables belong to the test suite, not to the server.
        let env = Env::prefixed("SESAME_")
            .ignore(&NOT_CONFIG)
            .filter(|key| !key.as_str().starts_with("test_"));
        Self::extract(figment.merge(env))
    }

    /// The configuration the providers give, completed and validated.
    fn extract(figment: Figment) -> Result<Self, ConfigError> {
        let mut config: Config = figment.extract()?;
        if !figment.contains("issuer") {
            config.issuer = issuer_for(config.listen)?;
        }
        config.validate()?;
        Ok(config)
    }

    /// What is allowed but probably not meant, for the server to log once at start.
    pub fn warnings(&self) -> Vec<String> {
        let mut warnings = Vec::new();
        if let Ok(issuer) = url::Url::parse(&self.issuer)
            && is_loopback(&issuer)
            && issuer.port_or_known_default() != Some(self.listen.port())
        {
            warnings.push(format!(
                "the issuer {} is on this machine but Sesame listens on port {}: clients will \
                 not reach it there (unset issuer to follow listen, or set both)",
                self.issuer,
                self.listen.port()
            ));
        }
        warnings
    }

    /// A configuration from TOML text alone, validated (no file, no environment).
    pub fn from_toml(text: &str) -> Result<Self, ConfigError> {
        Self::extract(Figment::new().merge(Toml::string(text)))
    }

    /// Checks what types alone cannot.
    pub fn validate(&self) -> Result<(), ConfigError> {
        validate_issuer(&self.issuer)?;
        if !(60..=86_400).contains(&self.access_token_ttl) {
            return Err(ConfigError(
                "access_token_ttl: must be between 60 and 86400 seconds".to_owned(),
            ));
        }
        for (name, value, min, max) in [
            ("id_token_ttl", self.id_token_ttl, 60, 86_400),
            (
                "refresh_token_ttl",
                self.refresh_token_ttl,
                60,
                366 * 86_400,
            ),
            (
                "refresh_token_max_lifetime",
                self.refresh_token_max_lifetime,
                60,
                3660 * 86_400,
            ),
            ("session_ttl", self.session_ttl, 60, 366 * 86_400),
        ] {
            if !(min..=max).contains(&value) {
                return Err(ConfigError(format!(
                    "{name}: must be between {min} and {max} seconds"
                )));
            }
        }
        validate_log_level(&self.log_level)?;
        if !(1024..=MAX_FORM_BYTES).contains(&self.max_body_bytes) {
            return Err(ConfigError(format!(
                "max_body_bytes: must be between 1024 and {MAX_FORM_BYTES}"
            )));
        }
        if !(4096..=256 * 1024).contains(&self.max_header_bytes) {
            return Err(ConfigError(
                "max_header_bytes: must be between 4096 and 262144".to_owned(),
            ));
        }
        crate::trusted_proxies::TrustedProxies::parse(&self.trusted_proxies)
            .map_err(ConfigError)?;
        if let Some(bad) = self
            .claims_locales_supported
            .iter()
            .find(|t| !sesame_core::user::is_language_tag(t))
        {
            return Err(ConfigError(format!(
                "claims_locales_supported: {bad:?} is not a BCP 47 language tag (such as de or pt-BR)"
            )));
        }
        if !(0..=60).contains(&self.client_cache_ttl) {
            return Err(ConfigError(
                "client_cache_ttl: must be between 0 and 60 seconds (a deleted or changed client \
                 stays in effect on other nodes that long)"
                    .to_owned(),
            ));
        }
        if let Some(token) = &self.metrics_token
            && token.expose_secret().chars().count() < 32
        {
            return Err(ConfigError(
                "metrics_token: must be at least 32 characters (for example `openssl rand -hex 32`)"
                    .to_owned(),
            ));
        }
        if self.metrics_listen == Some(self.listen) && self.listen.port() != 0 {
            return Err(ConfigError(
                "metrics_listen: must differ from listen (metrics get a port of their own)"
                    .to_owned(),
            ));
        }
        if self.database_max_connections == 0 {
            return Err(ConfigError(
                "database_max_connections: must be at least 1".to_owned(),
            ));
        }
        if self.key_reload_interval == 0 || self.sweep_interval == 0 {
            return Err(ConfigError(
                "key_reload_interval and sweep_interval: must be at least 1 second".to_owned(),
            ));
        }
        if self.audit_retention < 0 {
            return Err(ConfigError(
                "audit_retention: seconds to keep audit events (0 keeps them forever), not negative"
                    .to_owned(),
            ));
        }
        // A retired key stays published a minute past its last token: the other nodes must
        // have switched to its successor by then.
        if self.key_reload_interval > 60 {
            return Err(ConfigError(
                "key_reload_interval: must be at most 60 seconds (nodes switch to a new signing \
                 key that late)"
                    .to_owned(),
            ));
        }
        let shortest = 2 * sesame_core::keys::KEY_PUBLISH_AHEAD;
        if self.key_rotation_interval != 0
            && !(shortest..=3660 * 86_400).contains(&self.key_rotation_interval)
        {
            return Err(ConfigError(format!(
                "key_rotation_interval: must be 0 (rotate only with `sesame keys rotate`) or \
                 between {shortest} seconds (2 days: the next key is published a day ahead) \
                 and 316224000 (3660 days)"
            )));
        }
        if let Some(key) = &self.master_key {
            sesame_core::keys::MasterKey::from_base64(key.expose_secret())
                .map_err(|e| ConfigError(format!("master_key: {e}")))?;
        }
        let mut seen = std::collections::HashSet::new();
        for client in &self.clients {
            validate_client_id(&client.client_id).map_err(|e| ConfigError(e.to_string()))?;
            if !seen.insert(client.client_id.as_str()) {
                return Err(ConfigError(format!(
                    "clients: client_id {} appears twice",
                    client.client_id
                )));
            }
            client.to_client(0).map_err(ConfigError)?;
        }
        let mut seen = std::collections::HashSet::new();
        for user in &self.users {
            user.validate()?;
            if !seen.insert(user.username.as_str()) {
                return Err(ConfigError(format!(
                    "users: username {} appears twice",
                    user.username
                )));
            }
        }
        Ok(())
    }

    pub fn master_key(&self) -> Option<sesame_core::keys::MasterKey> {
        self.master_key
            .as_ref()
            .and_then(|k| sesame_core::keys::MasterKey::from_base64(k.expose_secret()).ok())
    }

    /// The protocol core's settings this configuration makes.
    pub fn settings(&self) -> sesame_core::Settings {
        let config = self;
        let mut settings = sesame_core::Settings::new(config.issuer.clone());
        settings.access_token_ttl = config.access_token_ttl;
        settings.id_token_ttl = config.id_token_ttl;
        settings.refresh_token_ttl = config.refresh_token_ttl;
        settings.refresh_token_max_lifetime = config.refresh_token_max_lifetime;
        settings.session_ttl = config.session_ttl;
        settings.access_token_signing_alg = config.access_token_signing_alg;
        settings.access_token_audience = config.access_token_audience.clone();
        settings.client_cache_ttl = config.client_cache_ttl;
        settings.claims_locales_supported = config.claims_locales_supported.clone();
        settings.require_mfa = config.require_mfa;
        settings.key_rotation_interval =
            (config.key_rotation_interval != 0).then_some(config.key_rotation_interval);
        if !settings
            .signing_algorithms
            .contains(&config.access_token_signing_alg)
        {
            settings
                .signing_algorithms
                .push(config.access_token_signing_alg);
        }
        settings
    }

    /// The names of every top-level key, as serde sees them (for the example-file test).
    pub fn keys() -> &'static [&'static str] {
        field_names::of::<Config>()
    }
}

/// The issuer when none is configured: the listen address itself on a loopback address, and
/// 127.0.0.1 on an unspecified one (0.0.0.0). Any other address is one clients reach through
/// TLS at a name Sesame cannot guess.
fn issuer_for(listen: SocketAddr) -> Result<String, ConfigError> {
    let ip = listen.ip();
    if ip.is_loopback() {
        Ok(format!("http://{listen}"))
    } else if ip.is_unspecified() {
        Ok(format!("http://127.0.0.1:{}", listen.port()))
    } else {
        Err(ConfigError(format!(
            "issuer: not set, and listen ({listen}) is not a loopback address: set issuer to the \
             https URL clients reach Sesame at (SESAME_ISSUER=https://id.example.com)"
        )))
    }
}

/// A level, or `target=level` directives separated by commas (`info,sesame=debug`). A bare
/// word that is not a level would be taken as a target name and silence everything else.
fn validate_log_level(value: &str) -> Result<(), ConfigError> {
    const LEVELS: [&str; 6] = ["trace", "debug", "info", "warn", "error", "off"];
    let is_level = |l: &str| LEVELS.contains(&l.trim().to_ascii_lowercase().as_str());
    let fits = value
        .split(',')
        .all(|directive| match directive.split_once('=') {
            Some((target, level)) => !target.trim().is_empty() && is_level(level),
            None => is_level(directive),
        });
    if fits {
        Ok(())
    } else {
        Err(ConfigError(format!(
            "log_level: {value:?} is not a level (trace, debug, info, warn, error or off) nor \
             target=level directives such as \"info,sesame=debug\""
        )))
    }
}

/// RFC 8414 §2 / OIDC Discovery §3: an https URL with no query or fragment; plain http only
/// for a loopback issuer (development and tests).
fn validate_issuer(issuer: &str) -> Result<(), ConfigError> {
    let bad = |why: &str| ConfigError(format!("issuer: {issuer:?} {why}"));
    let url = url::Url::parse(issuer).map_err(|_| bad("is not an absolute URL"))?;
    if url.query().is_some() || url.fragment().is_some() {
        return Err(bad("must not have a query or fragment"));
    }
    if issuer.ends_with('/') {
        return Err(bad("must not end with a slash"));
    }
    match url.scheme() {
        "https" => Ok(()),
        "http" if is_loopback(&url) => Ok(()),
        "http" => Err(bad(
            "must use https (http is allowed only for a loopback host)",
        )),
        _ => Err(bad("must be an https URL")),
    }
}

pub fn is_loopback(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Domain(d)) => d == "localhost",
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXAMPLE: &str = include_str!("../../sesame.example.toml");

    #[test]
    fn the_example_file_parses_and_validates() {
        let config =
            Config::from_toml(EXAMPLE).expect("sesame.example.toml is a valid configuration");
        assert_eq!(config.clients.len(), 3);
        let portal = &config.clients[2].metadata;
        assert!(portal.id_token_encryption().is_some());
        assert!(
            portal
                .check_encryption_keys(portal.jwks.as_ref().unwrap())
                .is_ok()
        );
        assert_eq!(
            portal.subject_type,
            sesame_core::client::SubjectType::Pairwise
        );
        assert_eq!(config.users.len(), 2);
        assert_eq!(config.users[0].claims.email_verified, Some(true));
        let address = config.users[0].claims.address.as_ref().unwrap();
        assert_eq!(address.locality.as_deref(), Some("Oxford"));
        // Made by argon2-cffi: hashes from other implementations verify.
        let bob = config.users[1].password_hash.as_deref().unwrap();
        assert!(sesame_core::password::verify_password(
            bob,
            "bob-example-password"
        ));
    }

    #[test]
    fn the_example_file_documents_every_key() {
        let keys = Config::keys();
        assert!(keys.len() >= 16, "field names were read: {keys:?}");
        for key in keys {
            let set = format!("\n{key} =");
            let commented = format!("\n# {key} =");
            let table = format!("[[{key}]]");
            assert!(
                EXAMPLE.contains(&set) || EXAMPLE.contains(&commented) || EXAMPLE.contains(&table),
                "sesame.example.toml does not document {key}"
            );
            let env = format!("SESAME_{}", key.to_uppercase());
            // Tables of tables have no environment form.
            let table_only = ["clients", "users", "connections"].contains(key);
            assert!(
                table_only || EXAMPLE.contains(&env),
                "{env} is not mentioned"
            );
        }
    }

    #[test]
    fn defaults_are_valid_and_match_the_design() {
        let c = Config::default();
        c.validate().unwrap();
        assert_eq!(c.issuer, "http://127.0.0.1:8080");
        assert_eq!(c.listen.to_string(), "127.0.0.1:8080");
        assert_eq!(c.database_url, "sqlite://sesame.db");
    }

    #[test]
    fn unknown_client_fields_are_refused_with_the_clients_name() {
        let err = Figment::new()
            .merge(Toml::string(
                "[[clients]]\nclient_id = \"a\"\nredirect_uri = []\n",
            ))
            .extract::<Config>()
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("client a") && err.contains("redirect_uri"),
            "{err}"
        );
    }

    #[test]
    fn a_metrics_token_must_be_long_and_metrics_need_a_port_of_their_own() {
        let short = Config {
            metrics_token: Some(SecretString::from("short")),
            ..Config::default()
        };
        assert!(short.validate().unwrap_err().0.contains("32 characters"));
        let shared = Config {
            metrics_listen: Some(Config::default().listen),
            ..Config::default()
        };
        assert!(
            shared
                .validate()
                .unwrap_err()
                .0
                .contains("differ from listen")
        );
    }

    #[test]
    fn log_levels_are_levels_or_target_directives() {
        for good in ["info", "WARN", "off", "info,sesame=debug", "sqlx=warn"] {
            assert!(validate_log_level(good).is_ok(), "{good}");
        }
        for bad in ["loud", "", "info,", "sesame=loud", "=info"] {
            let e = validate_log_level(bad).unwrap_err().0;
            assert!(e.contains("is not a level"), "{bad}: {e}");
        }
    }

    #[test]
    fn without_an_issuer_it_follows_listen() {
        let at = |s: &str| issuer_for(s.parse().unwrap());
        assert_eq!(at("127.0.0.1:9000").unwrap(), "http://127.0.0.1:9000");
        assert_eq!(at("[::1]:9000").unwrap(), "http://[::1]:9000");
        assert_eq!(at("0.0.0.0:9000").unwrap(), "http://127.0.0.1:9000");
        assert!(at("10.0.0.5:9000").unwrap_err().0.contains("set issuer"));
        let apart = Config {
            listen: "127.0.0.1:9000".parse().unwrap(),
            ..Config::default()
        };
        assert!(apart.warnings()[0].contains("listens on port 9000"));
        assert!(Config::default().warnings().is_empty());
    }

    #[test]
    fn issuer_rules() {
        assert!(validate_issuer("https://id.example.com").is_ok());
        assert!(validate_issuer("https://id.example.com/tenant").is_ok());
        assert!(validate_issuer("http://localhost:8080").is_ok());
        assert!(validate_issuer("http://[::1]:8080").is_ok());
        assert!(validate_issuer("http://id.example.com").is_err());
        assert!(validate_issuer("https://id.example.com/").is_err());
        assert!(validate_issuer("https://id.example.com?x=1").is_err());
        assert!(validate_issuer("id.example.com").is_err());
    }
}
