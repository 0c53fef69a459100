//! Time-based one-time passwords (RFC 6238 over RFC 4226's HOTP): HMAC-SHA-1, six digits, a
//! 30-second step, and the step before and after accepted for clock drift. What makes a code
//! single use is the store (`FactorStore::spend_totp_step`): a step is spent once per factor,
//! on every node, and never an earlier one after a later one.

use aws_lc_rs::hmac;
use subtle::ConstantTimeEq;

/// Seconds per step (RFC 6238 §5.2's recommended X).
pub const STEP: i64 = 30;
/// Digits per code.
pub const DIGITS: u32 = 6;
/// Steps either side of now that still match (RFC 6238 §5.2: one is the usual allowance).
pub const DRIFT: i64 = 1;
/// Secret bytes: 160 bits, the HMAC-SHA-1 block RFC 4226 §4 recommends.
pub const SECRET_LEN: usize = 20;

/// The step `now` falls in (RFC 6238 §4.2's T, with T0 = 0).
pub fn step_at(now: i64) -> i64 {
    now.div_euclid(STEP)
}

/// RFC 4226 §5.3: the HOTP value of `counter`, as six digits.
pub fn code(secret: &[u8], counter: i64) -> String {
    let key = hmac::Key::new(hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, secret);
    let tag = hmac::sign(&key, &counter.to_be_bytes());
    let mac = tag.as_ref();
    let offset = usize::from(mac[mac.len() - 1] & 0x0f);
    let truncated = u32::from_be_bytes([
        mac[offset] & 0x7f,
        mac[offset + 1],
        mac[offset + 2],
        mac[offset + 3],
    ]);
    format!(
        "{:0width$}",
        truncated % 10u32.pow(DIGITS),
        width = DIGITS as usize
    )
}

/// The step whose code `typed` is, within [`DRIFT`] steps of `now`; `None` if none. Spaces are
/// ignored ("123 456" as authenticator apps show it). Every candidate is compared in constant
/// time, and all of them are computed, so the time taken says nothing of which matched.
pub fn matching_step(secret: &[u8], typed: &str, now: i64) -> Option<i64> {
    let typed: String = typed.chars().filter(|c| !c.is_whitespace()).collect();
    if typed.len() != DIGITS as usize || !typed.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let current = step_at(now);
    let mut found = None;
    for step in current - DRIFT..=current + DRIFT {
        let same: bool = code(secret, step).as_bytes().ct_eq(typed.as_bytes()).into();
        if same && found.is_none() {
            found = Some(step);
        }
    }
    found
}

/// A new random secret.
pub fn generate_secret() -> Vec<u8> {
    use aws_lc_rs::rand::{SecureRandom, SystemRandom};
    let mut secret = vec![0u8; SECRET_LEN];
    // As `secret::random_token`: without an OS random source nothing else would work either.
    #[allow(clippy::expect_used)]
    SystemRandom::new()
        .fill(&mut secret)
        .expect("the operating system's random number generator failed");
    secret
}

const BASE32: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/// RFC 4648 §6 base32 without padding: how authenticator apps take a secret.
pub fn base32(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len().div_ceil(5) * 8);
    for chunk in bytes.chunks(5) {
        let mut block = [0u8; 5];
        block[..chunk.len()].copy_from_slice(chunk);
        let bits = block.iter().fold(0u64, |acc, b| (acc << 8) | u64::from(*b));
        let chars = (chunk.len() * 8).div_ceil(5);
        for i in 0..chars {
            let index = (bits >> (35 - i * 5)) & 0x1f;
            out.push(char::from(BASE32[index as usize]));
        }
    }
    out
}

/// The inverse of [`base32`]: case and spaces ignored, padding allowed; `None` if not base32.
pub fn from_base32(text: &str) -> Option<Vec<u8>> {
    let mut bits = 0u64;
    let mut count = 0;
    let mut out = Vec::new();
    for c in text.chars().filter(|c| !c.is_whitespace() && *c != '=') {
        let value = BASE32
            .iter()
            .position(|b| char::from(*b) == c.to_ascii_uppercase())?;
        bits = (bits << 5) | value as u64;
        count += 5;
        if count >= 8 {
            count -= 8;
            out.push((bits >> count) as u8);
            bits &= (1 << count) - 1;
        }
    }
    Some(out)
}

/// How an authenticator app names a Sesame: the issuer's host (the whole issuer if it has none).
pub fn issuer_label(issuer: &str) -> String {
    url::Url::parse(issuer)
        .ok()
        .and_then(|u| u.host_str().map(str::to_owned))
        .unwrap_or_else(|| issuer.to_owned())
}

/// The `otpauth://` URI an authenticator app reads from the QR code (the Key Uri Format that
/// Google Authenticator defined and every app follows): the issuer and account as its label.
pub fn otpauth_uri(issuer: &str, account: &str, secret: &[u8]) -> String {
    let label: String = form_urlencoded::byte_serialize(format!("{issuer}:{account}").as_bytes())
        .collect::<String>()
        .replace('+', "%20");
    let query = form_urlencoded::Serializer::new(String::new())
        .append_pair("secret", &base32(secret))
        .append_pair("issuer", issuer)
        .append_pair("algorithm", "SHA1")
        .append_pair("digits", &DIGITS.to_string())
        .append_pair("period", &STEP.to_string())
        .finish();
    format!("otpauth://totp/{label}?{query}")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 Appendix B, SHA-1 rows (eight digits there; the last six are ours).
    #[test]
    fn rfc6238_test_vectors() {
        let secret = b"12345678901234567890";
        for (time, eight) in [
            (59, "94287082"),
            (1_111_111_109, "07081804"),
            (1_111_111_111, "14050471"),
            (1_234_567_890, "89005924"),
            (2_000_000_000, "69279037"),
            (20_000_000_000, "65353130"),
        ] {
            assert_eq!(code(secret, step_at(time)), eight[2..], "at {time}");
        }
    }

    #[test]
    fn a_code_matches_its_step_and_one_either_side_only() {
        let secret = b"12345678901234567890";
        let now = 1_111_111_111;
        let here = step_at(now);
        assert_eq!(matching_step(secret, &code(secret, here), now), Some(here));
        assert_eq!(
            matching_step(secret, &code(secret, here - 1), now),
            Some(here - 1)
        );
        assert_eq!(
            matching_step(secret, &code(secret, here + 1), now),
            Some(here + 1)
        );
        assert_eq!(matching_step(secret, &code(secret, here - 2), now), None);
        assert_eq!(matching_step(secret, &code(secret, here + 2), now), None);
        let spaced = format!("{} {}", &code(secret, here)[..3], &code(secret, here)[3..]);
        assert_eq!(matching_step(secret, &spaced, now), Some(here));
        for junk in ["", "12345", "1234567", "abcdef", "１２３４５６"] {
            assert_eq!(matching_step(secret, junk, now), None, "{junk:?}");
        }
    }

    /// RFC 4648 §10.
    #[test]
    fn base32_both_ways() {
        for (plain, encoded) in [
            ("", ""),
            ("f", "MY"),
            ("fo", "MZXQ"),
            ("foo", "MZXW6"),
            ("foob", "MZXW6YQ"),
            ("fooba", "MZXW6YTB"),
            ("foobar", "MZXW6YTBOI"),
        ] {
            assert_eq!(base32(plain.as_bytes()), encoded);
            assert_eq!(from_base32(encoded).unwrap(), plain.as_bytes());
        }
        assert_eq!(from_base32("mzxw 6ytb oi======").unwrap(), b"foobar");
        assert_eq!(from_base32("MZ1"), None);
        let secret = generate_secret();
        assert_eq!(secret.len(), SECRET_LEN);
        assert_eq!(from_base32(&base32(&secret)).unwrap(), secret);
    }

    #[test]
    fn the_uri_names_issuer_and_account() {
        let uri = otpauth_uri("Sesame", "alice smith", b"foobar");
        assert_eq!(
            uri,
            "otpauth://totp/Sesame%3Aalice%20smith?secret=MZXW6YTBOI&issuer=Sesame&algorithm=SHA1&digits=6&period=30"
        );
    }
}
