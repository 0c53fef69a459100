//! The OAuth 2.0 / OpenID Connect endpoints: thin handlers that extract, call the core, respond.

pub mod authorize;
pub mod device_authorization;
pub mod discovery;
pub mod end_session;
pub mod introspect;
pub mod jwks;
pub mod oauth1;
pub mod revoke;
pub mod token;
pub mod userinfo;
