//! Sesame's protocol core: the OAuth 2.0 and OpenID Connect rules, with no HTTP and no SQL.
//!
//! The HTTP layer hands this crate parsed parameters and the raw `Authorization` header; the core
//! validates, decides and mints, and answers with a response to serialise or an RFC error. Storage
//! is reached only through the traits in [`store`]; time only through [`clock::Clock`].

pub mod audit;
pub mod authorize;
pub mod bearer;
pub mod client;
pub mod client_auth;
pub mod client_keys;
pub mod clock;
pub mod csrf;
pub mod delegation;
pub mod device;
pub mod endpoints;
pub mod error;
pub mod events;
pub mod federation;
pub mod introspection;
pub mod jws;
pub mod keys;
pub mod login;
pub mod mfa;
pub mod oauth1;
pub mod oidc;
pub mod params;
pub mod password;
pub mod pkce;
pub mod provider;
pub mod response_type;
pub mod revocation;
pub mod scope;
pub mod sealed;
pub mod secret;
pub mod session;
pub mod store;
pub mod throttle;
pub mod token;
pub mod user;

#[cfg(any(test, feature = "testing"))]
pub mod testing;

pub use error::{ErrorCode, TokenError};
pub use provider::{Provider, Settings};
