//! Recovery codes: ten single-use codes shown once when a first factor is enrolled (or when
//! the user asks for new ones), for the day the phone is lost. Each holds 80 random bits, so
//! a SHA-256 of it is as safe to store as a token's.

use crate::secret::SecretHash;

/// How many a user gets at a time.
pub const COUNT: usize = 10;

/// Crockford's base32: no i, l, o or u, so a code read aloud or copied by hand survives (an o
/// typed is read as 0, an i or l as 1).
const ALPHABET: &[u8; 32] = b"0123456789abcdefghjkmnpqrstvwxyz";

/// New codes, as shown (`xxxx-xxxx-xxxx-xxxx`), with the hashes to store.
pub fn generate() -> (Vec<String>, Vec<SecretHash>) {
    use aws_lc_rs::rand::{SecureRandom, SystemRandom};
    let rng = SystemRandom::new();
    let codes: Vec<String> = (0..COUNT)
        .map(|_| {
            let mut bytes = [0u8; 16];
            #[allow(clippy::expect_used)]
            rng.fill(&mut bytes)
                .expect("the operating system's random number generator failed");
            let chars: Vec<char> = bytes
                .iter()
                .map(|b| char::from(ALPHABET[usize::from(b % 32)]))
                .collect();
            chars
                .chunks(4)
                .map(|c| c.iter().collect::<String>())
                .collect::<Vec<_>>()
                .join("-")
        })
        .collect();
    let hashes = codes.iter().map(|c| hash(c)).collect();
    (codes, hashes)
}

/// The hash of a code as typed: case, spaces and dashes do not matter, nor o for 0 or i and l
/// for 1.
pub fn hash(typed: &str) -> SecretHash {
    let normal: String = typed
        .chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .map(|c| match c.to_ascii_lowercase() {
            'o' => '0',
            'i' | 'l' => '1',
            c => c,
        })
        .collect();
    SecretHash::of(&normal)
}

/// Whether `typed` could be a recovery code (so a TOTP code is not looked up as one).
pub fn looks_like_one(typed: &str) -> bool {
    typed.chars().filter(|c| c.is_ascii_alphanumeric()).count() == 16
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ten_distinct_codes_whose_hashes_match_however_typed() {
        let (codes, hashes) = generate();
        assert_eq!(codes.len(), COUNT);
        let distinct: std::collections::HashSet<_> = codes.iter().collect();
        assert_eq!(distinct.len(), COUNT);
        let first = &codes[0];
        assert_eq!(first.len(), 19);
        assert!(looks_like_one(first));
        assert!(!looks_like_one("123456"));
        assert!(hash(&first.to_uppercase().replace('-', " ")) == hashes[0]);
        assert!(hash(&codes[1]) != hashes[0]);
        assert!(hash("0000-1111-aaaa-bbbb") == hash("oOoO iLil AAAA BBBB"));
    }
}
