//! What can go wrong with an upstream provider, apart from the calls that meet it (the
//! `Upstream` trait and the ID token checks both answer with it).

/// Why a round trip failed, for the page (never a secret, never a raw upstream body).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UpstreamError {
    #[error("could not reach the identity provider ({0})")]
    Unreachable(String),
    #[error("the identity provider answered unexpectedly ({0})")]
    Protocol(String),
    #[error("the identity provider's ID token is not valid ({0})")]
    InvalidIdToken(String),
}

impl UpstreamError {
    /// What went wrong without naming an identity provider, for the other sites the same
    /// network reaches (a client's `jwks_uri` or sector identifier document).
    pub fn detail(&self) -> String {
        match self {
            Self::Unreachable(why) => format!("unreachable ({why})"),
            Self::Protocol(why) | Self::InvalidIdToken(why) => why.clone(),
        }
    }
}
