//! "Log in with another provider": upstream OpenID Connect providers and OAuth 2.0 providers with
//! a userinfo API. The whole round trip is here, with the network behind the
//! [`upstream::Upstream`] trait: the connections, the single-use state of a round trip bound to
//! the browser, the checks on what the upstream answers, and the rules that map an upstream
//! identity to a user. The server only carries HTTP in and out.

mod connection;
mod error;
pub mod id_token;
mod mapping;
pub mod round_trip;
pub mod upstream;

pub use connection::{Connection, ConnectionKind};
pub use mapping::{MappingError, UpstreamIdentity, map_identity};
pub use round_trip::FederationState;

/// A round trip to the upstream must come back within this many seconds.
pub const STATE_TTL: i64 = 600;

#[cfg(test)]
mod tests;
