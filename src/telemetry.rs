//! Logging: JSON lines or human text. Handlers never log bodies or headers, so secrets and
//! tokens cannot reach the log.

use crate::config::LogFormat;
use sesame_core::events::{Event, EventSink, Guess};
use tracing_subscriber::EnvFilter;

/// Installs the global subscriber; `RUST_LOG` overrides the configured level.
pub fn init(format: LogFormat, level: &str) {
    let filter = EnvFilter::try_from_default_env()
        .or_else(|_| EnvFilter::try_new(level))
        .unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    // A second init (tests starting several servers) keeps the first subscriber.
    let _ = match format {
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
        LogFormat::Text => builder.try_init(),
    };
}

/// The core's events as metrics and warnings.
pub struct Telemetry;

impl EventSink for Telemetry {
    fn record(&self, event: Event) {
        match event {
            Event::SignInRefused { .. } => {
                metrics::counter!("sesame_login_failures_total").increment(1);
            }
            Event::Locked {
                guess: Guess::Password,
                key,
                ..
            } => {
                tracing::warn!(account = %key, "account locked after repeated sign-in failures");
                metrics::counter!("sesame_login_lockouts_total").increment(1);
            }
            Event::Locked {
                guess: Guess::ClientAuthentication,
                key,
                ..
            } => {
                tracing::warn!(address = %key, "client authentication refused from an address after repeated failures");
                metrics::counter!("sesame_client_auth_lockouts_total").increment(1);
            }
            Event::Locked {
                guess: Guess::UserCode,
                key,
                ..
            } => {
                tracing::warn!(throttle = %key, "device code entry locked after repeated wrong codes");
                metrics::counter!("sesame_user_code_lockouts_total").increment(1);
            }
        }
    }
}
