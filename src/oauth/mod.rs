//! The OAuth 2.0 / OpenID Connect endpoints: thin handlers that extract, call the core, respond.

pub mod discovery;
pub mod introspect;
pub mod jwks;
pub mod revoke;
pub mod token;
