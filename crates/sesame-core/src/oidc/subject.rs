//! Subject identifiers (OIDC Core §8): a public client sees the user's own `sub`; a pairwise
//! client sees one made for its sector alone, so clients of different sectors cannot tell they
//! serve the same person, while every client of one sector sees the same value.

use crate::client::Client;
use crate::secret::random_token;
use aws_lc_rs::hmac;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// The name of the pairwise key among the server secrets. Always stored, never derived from the
/// master key: a pairwise `sub` must outlive any change of master key, or every relying party
/// would see its users turn into strangers.
pub const SECRET_NAME: &str = "pairwise_subject";

/// The key pairwise subjects are computed with (OIDC Core §8.1 suggests a salted hash; an HMAC
/// under a server secret is that, done properly).
#[derive(Clone)]
pub struct PairwiseKey(hmac::Key);

impl PairwiseKey {
    pub fn new(secret: &[u8]) -> Self {
        Self(hmac::Key::new(hmac::HMAC_SHA256, secret))
    }

    /// A fresh secret to offer the store, for the first node to start.
    pub fn candidate() -> Vec<u8> {
        random_token(32).into_bytes()
    }

    /// The `sub` of user `user_id` at every client of `sector`.
    pub fn subject(&self, sector: &str, user_id: &str) -> String {
        self.mac(&[sector, user_id])
    }

    /// The `sub` `client` knows user `user_id` by.
    pub fn subject_for(&self, client: &Client, user_id: &str) -> String {
        match client.sector() {
            Some(sector) => self.subject(&sector, user_id),
            None => user_id.to_owned(),
        }
    }

    /// The `sid` `client` knows browser session `sid` by: one sid in the ID tokens of clients
    /// of different sectors would let them join their pairwise subjects on it.
    pub fn sid_for(&self, client: &Client, sid: &str) -> String {
        match client.sector() {
            Some(sector) => self.mac(&["sid", &sector, sid]),
            None => sid.to_owned(),
        }
    }

    /// HMAC over the parts, each ended by a NUL (none of them holds one), so no two lists of
    /// parts share an input.
    fn mac(&self, parts: &[&str]) -> String {
        let mut ctx = hmac::Context::with_key(&self.0);
        for part in parts {
            ctx.update(part.as_bytes());
            ctx.update(b"\0");
        }
        URL_SAFE_NO_PAD.encode(ctx.sign().as_ref())
    }
}

impl std::fmt::Debug for PairwiseKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PairwiseKey(redacted)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::SubjectType;
    use crate::testing::web_client;

    #[test]
    fn oidc_core_8_1_one_sector_one_sub_other_sectors_unrelated() {
        let key = PairwiseKey::new(b"a server secret of the tests....");
        let mut a = web_client("a", None);
        a.metadata.subject_type = SubjectType::Pairwise;
        let mut b = a.clone();
        b.client_id = "b".into();
        let mut elsewhere = a.clone();
        elsewhere.metadata.redirect_uris = vec!["https://elsewhere.example/cb".into()];
        let public = web_client("p", None);

        let at_a = key.subject_for(&a, "usr_1");
        assert_eq!(at_a, key.subject_for(&b, "usr_1"), "one sector, one sub");
        assert_ne!(at_a, key.subject_for(&elsewhere, "usr_1"));
        assert_ne!(at_a, key.subject_for(&a, "usr_2"));
        assert_ne!(at_a, "usr_1");
        assert_eq!(at_a.len(), 43, "256 bits, base64url");
        assert_eq!(key.subject_for(&public, "usr_1"), "usr_1");
        let other_key = PairwiseKey::new(b"another deployment's secret.....");
        assert_ne!(at_a, other_key.subject_for(&a, "usr_1"));
        // The session id too: one sector, one sid; another sector cannot join on it.
        assert_eq!(key.sid_for(&a, "sid-1"), key.sid_for(&b, "sid-1"));
        assert_ne!(key.sid_for(&a, "sid-1"), key.sid_for(&elsewhere, "sid-1"));
        assert_ne!(key.sid_for(&a, "sid-1"), key.subject_for(&a, "sid-1"));
        assert_eq!(key.sid_for(&public, "sid-1"), "sid-1");
    }
}
