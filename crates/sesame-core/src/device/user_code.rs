//! User codes (RFC 8628 §6.1): 8 characters from 20 consonants (no vowels, so no words; no
//! look-alikes), shown as `XXXX-XXXX`, typed in any case with or without the dash.

use aws_lc_rs::rand::{SecureRandom, SystemRandom};

pub const ALPHABET: &[u8; 20] = b"BCDFGHJKLMNPQRSTVWXZ";
pub const LENGTH: usize = 8;

/// A new code in its stored (normalised) form: 8 letters, no dash. 20^8 ≈ 2^34.6 codes.
pub fn generate() -> Result<String, aws_lc_rs::error::Unspecified> {
    let rng = SystemRandom::new();
    let mut out = String::with_capacity(LENGTH);
    while out.len() < LENGTH {
        let mut byte = [0u8; 1];
        rng.fill(&mut byte)?;
        // 240 = 12 × 20: rejecting the rest keeps every letter equally likely.
        if byte[0] < 240 {
            out.push(char::from(ALPHABET[usize::from(byte[0] % 20)]));
        }
    }
    Ok(out)
}

/// What the user typed, in stored form; `None` if it cannot be a code.
pub fn normalize(input: &str) -> Option<String> {
    let code: String = input
        .chars()
        .filter(|c| !matches!(c, '-' | ' ' | '\t'))
        .map(|c| c.to_ascii_uppercase())
        .collect();
    (code.len() == LENGTH && code.bytes().all(|b| ALPHABET.contains(&b))).then_some(code)
}

/// `XXXX-XXXX`, as shown to the user.
pub fn display(code: &str) -> String {
    match code.split_at_checked(LENGTH / 2) {
        Some((a, b)) => format!("{a}-{b}"),
        None => code.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn generated_codes_round_trip_through_what_people_type() {
        for _ in 0..50 {
            let code = generate().unwrap();
            assert_eq!(normalize(&display(&code)).as_deref(), Some(code.as_str()));
            assert_eq!(
                normalize(&display(&code).to_lowercase()).as_deref(),
                Some(code.as_str())
            );
        }
        assert_eq!(normalize("wdjb-mjht").as_deref(), Some("WDJBMJHT"));
        assert_eq!(normalize("WDJB MJHT").as_deref(), Some("WDJBMJHT"));
        for bad in ["WDJB-MJH", "WDJB-MJHTX", "AEIO-UUUU", "WDJB-MJH1", ""] {
            assert_eq!(normalize(bad), None, "{bad}");
        }
    }
}
