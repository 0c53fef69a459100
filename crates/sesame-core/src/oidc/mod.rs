//! OpenID Connect: discovery, ID tokens, claims, subject identifiers, UserInfo and logout.

pub mod claims;
pub mod discovery;
pub mod id_token;
pub mod logout;
pub mod subject;
pub mod userinfo;
