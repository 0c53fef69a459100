//! Logging: JSON lines or human text. Handlers never log bodies or headers, so secrets and
//! tokens cannot reach the log.

use crate::config::LogFormat;
use sesame_core::events::{Event, EventSink, Guess};
use std::fmt::Write as _;
use std::io::IsTerminal;
use tracing_subscriber::EnvFilter;
use tracing_subscriber::field::MakeExt;
use tracing_subscriber::fmt::FormatFields;
use tracing_subscriber::fmt::format;

/// Installs the global subscriber; `RUST_LOG` overrides the configured level.
pub fn init(format: LogFormat, level: &str) {
    let filter = EnvFilter::try_from_default_env()
        .or_else(|_| EnvFilter::try_new(level))
        .unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        // Colours only for a person at a terminal, never escape codes in a log file.
        .with_ansi(std::io::stderr().is_terminal());
    // A second init (tests starting several servers) keeps the first subscriber.
    let _ = match format {
        // JSON strings escape control characters already.
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
        LogFormat::Text => builder.fmt_fields(escaped_fields()).try_init(),
    };
}

/// Text-log fields with every control character escaped. Logged values include what users
/// and upstream providers typed (usernames, client ids, upstream error descriptions), and the
/// default formatter writes `%` values raw: a newline in a username would forge a log line.
fn escaped_fields() -> impl for<'w> FormatFields<'w> + Send + Sync + 'static {
    format::debug_fn(|w, field, value| {
        let text = format!("{value:?}");
        if field.name() == "message" {
            write!(w, "{}", Escaped(&text))
        } else {
            write!(w, "{field}={}", Escaped(&text))
        }
    })
    .delimited(" ")
}

/// Shows control characters (and the Unicode line and paragraph separators) as Rust escapes.
struct Escaped<'a>(&'a str);

impl std::fmt::Display for Escaped<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for c in self.0.chars() {
            if c.is_control() || c == '\u{2028}' || c == '\u{2029}' {
                write!(f, "{}", c.escape_default())?;
            } else {
                f.write_char(c)?;
            }
        }
        Ok(())
    }
}

/// The core's events as metrics and warnings.
pub struct Telemetry;

impl EventSink for Telemetry {
    fn record(&self, event: Event) {
        match event {
            Event::SignInRefused { .. } => {
                metrics::counter!("sesame_login_failures_total").increment(1);
            }
            Event::SecondFactorRefused { .. } => {
                metrics::counter!("sesame_second_factor_failures_total").increment(1);
            }
            Event::PasskeyCloned { user_id, .. } => {
                tracing::warn!(sub = %user_id, "a passkey's sign counter went back: a cloned authenticator was refused");
                metrics::counter!("sesame_second_factor_failures_total").increment(1);
            }
            Event::Locked {
                guess: Guess::Password | Guess::SecondFactor,
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
            // Counted where they happen (tokens issued, revocations) or kept by the audit trail.
            Event::SignedIn { .. }
            | Event::SecondFactorUsed { .. }
            | Event::ConsentGranted { .. }
            | Event::TokenRefused { .. }
            | Event::TokenRevoked { .. } => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    /// What the subscriber writes, kept for the assertions.
    #[derive(Clone, Default)]
    struct Captured(Arc<Mutex<Vec<u8>>>);

    impl std::io::Write for Captured {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_typed_value_cannot_forge_a_log_line_or_a_terminal_escape() {
        let captured = Captured::default();
        let writer = captured.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_writer(move || writer.clone())
            .with_ansi(false)
            .fmt_fields(escaped_fields())
            .finish();
        let typed =
            "alice\n2026-12-02T00:00:00Z  INFO sesame: admin signed in\x1b[2J\r\u{85}\u{2028}";
        tracing::subscriber::with_default(subscriber, || {
            tracing::warn!(account = %typed, "locked");
            tracing::warn!("message {typed}");
        });
        let out = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
        assert_eq!(out.lines().count(), 2, "{out}");
        assert!(
            !out.lines()
                .flat_map(str::chars)
                .any(|c| c.is_control() || c == '\u{2028}'),
            "{out:?}"
        );
        assert!(
            out.contains(r"account=alice\n2026-12-02T00:00:00Z  INFO"),
            "{out}"
        );
        assert!(out.contains(r"\u{1b}[2J\r\u{85}\u{2028}"), "{out}");
    }
}
