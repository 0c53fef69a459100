//! The key ring: every published key parsed once, the signer per algorithm, and the JWKS document.

use super::{Algorithm, KeyError, KeyState, MasterKey, Signer, StoredKey};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use std::collections::BTreeMap;
use std::sync::Arc;

#[derive(Debug, Default)]
pub struct KeyRing {
    /// Every published key by kid: next, active or retired.
    keys: BTreeMap<String, Arc<Signer>>,
    /// The newest active key per algorithm.
    active: BTreeMap<Algorithm, Arc<Signer>>,
    jwks: String,
    /// kids and their state, to tell whether a reload changed anything.
    fingerprint: String,
}

impl KeyRing {
    /// Builds the ring from the store's rows; keys past `publish_until` are left out.
    pub fn build(
        rows: &[StoredKey],
        master: Option<&MasterKey>,
        now: i64,
        previous: Option<&KeyRing>,
    ) -> Result<Self, KeyError> {
        let mut published: Vec<&StoredKey> = rows.iter().filter(|k| k.is_published(now)).collect();
        // Latest activation first, so the first active key of an algorithm is its signer.
        published.sort_by(|a, b| {
            (b.activates_at, b.created_at, &b.kid).cmp(&(a.activates_at, a.created_at, &a.kid))
        });
        // The states, not just the kids: a next key becoming active changes the signer.
        let fingerprint = published
            .iter()
            .map(|k| format!("{}:{}", k.kid, k.state(now).as_str()))
            .collect::<Vec<_>>()
            .join(",");
        let mut ring = KeyRing {
            fingerprint,
            ..Default::default()
        };
        for row in published {
            // Reuse the parsed key when the previous ring had it: RSA parsing is not free.
            let signer = match previous.and_then(|p| p.keys.get(&row.kid)) {
                Some(s) => Arc::clone(s),
                None => Arc::new(Signer::from_pkcs8(&row.kid, row.alg, &row.open(master)?)?),
            };
            if row.state(now) == KeyState::Active {
                ring.active
                    .entry(row.alg)
                    .or_insert_with(|| Arc::clone(&signer));
            }
            ring.keys.insert(row.kid.clone(), signer);
        }
        let keys: Vec<&serde_json::Value> = ring.keys.values().map(|s| s.public_jwk()).collect();
        ring.jwks = serde_json::json!({ "keys": keys }).to_string();
        Ok(ring)
    }

    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }

    /// The key that signs new tokens with `alg`.
    pub fn signer(&self, alg: Algorithm) -> Option<&Arc<Signer>> {
        self.active.get(&alg)
    }

    pub fn active_algorithms(&self) -> impl Iterator<Item = Algorithm> + '_ {
        self.active.keys().copied()
    }

    /// The JWKS document (RFC 7517 §5), public parts only.
    pub fn jwks_json(&self) -> &str {
        &self.jwks
    }

    /// Verifies a JWS compact serialisation made by one of these keys and returns its payload.
    /// `None` for anything malformed, unsigned by us, or with a header of the wrong type.
    pub fn verify_jws(&self, jws: &str, expected_typ: &str) -> Option<Vec<u8>> {
        let header = crate::jws::protected_header(jws).ok()?;
        let (input, sig) = jws.rsplit_once('.')?;
        let (_, payload) = input.split_once('.')?;
        let signer = self.keys.get(crate::jws::text(&header, "kid")?)?;
        // RFC 8725 §3.1: the algorithm is the key's, never whatever the header claims.
        let alg = crate::jws::text(&header, "alg");
        if alg != Some(signer.alg().as_str())
            || crate::jws::text(&header, "typ") != Some(expected_typ)
        {
            return None;
        }
        let sig = URL_SAFE_NO_PAD.decode(sig).ok()?;
        if !signer.verify(input.as_bytes(), &sig) {
            return None;
        }
        URL_SAFE_NO_PAD.decode(payload).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn key(alg: Algorithm, created_at: i64) -> StoredKey {
        StoredKey::generate(alg, None, created_at).unwrap()
    }

    #[test]
    fn newest_active_key_signs_and_retired_keys_stay_published_until_their_time() {
        let old = StoredKey {
            retired_at: Some(100),
            publish_until: Some(200),
            ..key(Algorithm::ES256, 1)
        };
        let new = key(Algorithm::ES256, 100);
        let ring = KeyRing::build(&[old.clone(), new.clone()], None, 150, None).unwrap();
        assert_eq!(ring.signer(Algorithm::ES256).unwrap().kid(), new.kid);
        assert!(ring.jwks_json().contains(&old.kid));

        let later = KeyRing::build(&[old.clone(), new.clone()], None, 200, Some(&ring)).unwrap();
        assert!(!later.jwks_json().contains(&old.kid));
        assert_ne!(ring.fingerprint(), later.fingerprint());
    }

    #[test]
    fn a_next_key_is_published_before_it_signs_and_its_predecessor_after() {
        let old = StoredKey {
            retired_at: Some(1000),
            publish_until: Some(5000),
            ..key(Algorithm::ES256, 1)
        };
        let next = StoredKey {
            activates_at: 1000,
            ..key(Algorithm::ES256, 500)
        };
        let rows = [old.clone(), next.clone()];
        let before = KeyRing::build(&rows, None, 999, None).unwrap();
        assert_eq!(before.signer(Algorithm::ES256).unwrap().kid(), old.kid);
        assert!(before.jwks_json().contains(&next.kid), "published ahead");
        let after = KeyRing::build(&rows, None, 1000, Some(&before)).unwrap();
        assert_eq!(after.signer(Algorithm::ES256).unwrap().kid(), next.kid);
        assert!(after.jwks_json().contains(&old.kid), "still verifies");
        assert_ne!(
            before.fingerprint(),
            after.fingerprint(),
            "a reload sees it"
        );
        assert_eq!(next.state(999), KeyState::Next);
        assert_eq!(old.state(1000), KeyState::Retired);
        assert_eq!(old.state(5000), KeyState::Expired);
    }

    #[test]
    fn verifies_only_its_own_tokens_of_the_right_type() {
        let ring = KeyRing::build(&[key(Algorithm::ES256, 1)], None, 2, None).unwrap();
        let jwt = ring
            .signer(Algorithm::ES256)
            .unwrap()
            .sign_jwt("at+jwt", &json!({"a": 1}))
            .unwrap();
        assert_eq!(ring.verify_jws(&jwt, "at+jwt").unwrap(), br#"{"a":1}"#);
        assert!(ring.verify_jws(&jwt, "JWT").is_none());
        let mut tampered = jwt.clone();
        tampered.insert(tampered.find('.').unwrap() + 1, 'x');
        assert!(ring.verify_jws(&tampered, "at+jwt").is_none());
        let other = KeyRing::build(&[key(Algorithm::ES256, 1)], None, 2, None).unwrap();
        assert!(other.verify_jws(&jwt, "at+jwt").is_none());
        assert!(ring.verify_jws("not.a.jwt", "at+jwt").is_none());
    }

    #[test]
    fn encrypted_keys_need_the_master_key() {
        let m = MasterKey::from_base64("MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=").unwrap();
        let sealed = StoredKey::generate(Algorithm::EdDSA, Some(&m), 1).unwrap();
        assert!(sealed.encrypted);
        assert!(KeyRing::build(std::slice::from_ref(&sealed), None, 2, None).is_err());
        assert!(KeyRing::build(&[sealed], Some(&m), 2, None).is_ok());
    }
}
