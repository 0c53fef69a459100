//! Sesame, an OAuth 2.0 and OpenID Connect identity provider: the HTTP server and the CLI.
//!
//! This package is the only place axum, clap and figment appear; the protocol lives in
//! `sesame-core` and storage in `sesame-store` (see ARCHITECTURE.md).

mod admin;
mod audit_trail;
mod background;
pub mod cli;
mod client_address;
pub mod config;
mod console;
mod error;
mod extract;
mod federation;
mod hourly;
mod limits;
pub mod manage;
mod oauth;
mod ops;
mod passkeys;
mod password;
mod registration;
mod router;
mod startup;
mod state;
pub mod telemetry;
mod trusted_proxies;
mod ui;

pub use config::Config;
pub use startup::{Application, StartupError, shutdown_signal};
