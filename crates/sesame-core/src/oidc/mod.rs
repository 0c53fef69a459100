//! OpenID Connect: discovery, ID tokens, claims, UserInfo and logout.

pub mod claims;
pub mod discovery;
pub mod id_token;
pub mod logout;
pub mod userinfo;
