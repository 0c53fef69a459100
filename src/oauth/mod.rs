//! The OAuth 2.0 / OpenID Connect endpoints: thin handlers that extract, call the core, respond.

pub mod authorize;
pub mod device_authorization;
pub mod discovery;
pub mod introspection;
pub mod jwks;
pub mod logout;
pub mod oauth1;
pub mod revocation;
pub mod token;
pub mod userinfo;
