//! OpenID Connect: discovery now; ID tokens, claims and UserInfo as they arrive.

pub mod discovery;
