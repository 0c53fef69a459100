//! Passwords: argon2id (RFC 9106) with the OWASP parameters (19 MiB, 2 passes, 1 lane), stored as
//! PHC strings. Hashing costs ~20 ms of CPU: callers on an async runtime run it on a blocking
//! thread.

use argon2::Argon2;
use argon2::password_hash::{PasswordHasher, PasswordVerifier as _};
use async_trait::async_trait;
use aws_lc_rs::rand::{SecureRandom, SystemRandom};

/// NIST SP 800-63B §5.1.1.2: at least 8 characters; no composition rules.
pub const MIN_PASSWORD_CHARS: usize = 8;
/// Long enough for any passphrase, short enough that nobody makes the hash do megabytes.
pub const MAX_PASSWORD_BYTES: usize = 1024;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    #[error("the password must be at least {MIN_PASSWORD_CHARS} characters")]
    TooShort,
    #[error("the password must be at most {MAX_PASSWORD_BYTES} bytes")]
    TooLong,
    #[error("password hashing failed: {0}")]
    Hash(String),
    #[error("password_hash is not an argon2 PHC string ($argon2id$...)")]
    BadHash,
}

/// Checks a new password against the length rules.
pub fn validate_password(password: &str) -> Result<(), PasswordError> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(PasswordError::TooShort);
    }
    if password.len() > MAX_PASSWORD_BYTES {
        return Err(PasswordError::TooLong);
    }
    Ok(())
}

/// A PHC string `$argon2id$v=19$m=19456,t=2,p=1$salt$hash` with a fresh 128-bit salt.
pub fn hash_password(password: &str) -> Result<String, PasswordError> {
    validate_password(password)?;
    let mut salt = [0u8; 16];
    SystemRandom::new()
        .fill(&mut salt)
        .map_err(|e| PasswordError::Hash(e.to_string()))?;
    Argon2::default()
        .hash_password_with_salt(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| PasswordError::Hash(e.to_string()))
}

/// [`hash_password`] in `memory` (a hashing thread's, kept between calls): the same PHC string,
/// without a fresh 19 MiB allocation per hash, which the allocator keeps mapped afterwards (a
/// start that hashed 8 declared users' passwords had grown to 159 MiB).
pub fn hash_password_in(
    password: &str,
    memory: &mut HashingMemory,
) -> Result<String, PasswordError> {
    use argon2::password_hash::phc::{Output, ParamsString, PasswordHash, Salt};
    validate_password(password)?;
    let fail = |e: &dyn std::fmt::Display| PasswordError::Hash(e.to_string());
    let mut salt = [0u8; 16];
    SystemRandom::new().fill(&mut salt).map_err(|e| fail(&e))?;
    let argon = Argon2::default();
    let params = argon.params().clone();
    let blocks = params.block_count();
    if memory.0.len() < blocks {
        memory.0.resize(blocks, argon2::Block::default());
    }
    let mut out = [0u8; argon2::Params::DEFAULT_OUTPUT_LEN];
    argon
        .hash_password_into_with_memory(
            password.as_bytes(),
            &salt,
            &mut out,
            &mut memory.0[..blocks],
        )
        .map_err(|e| fail(&e))?;
    let phc = PasswordHash {
        algorithm: argon2::Algorithm::default().ident(),
        version: Some(argon2::Version::default().into()),
        params: ParamsString::try_from(&params).map_err(|e| fail(&e))?,
        salt: Some(Salt::new(&salt).map_err(|e| fail(&e))?),
        hash: Some(Output::new(&out).map_err(|e| fail(&e))?),
    };
    Ok(phc.to_string())
}

/// Accepts an argon2 hash given in the configuration (`password_hash = "$argon2id$..."`).
pub fn validate_password_hash(hash: &str) -> Result<(), PasswordError> {
    match argon2::password_hash::phc::PasswordHash::new(hash) {
        Ok(parsed) if parsed.algorithm.as_str().starts_with("argon2") => Ok(()),
        _ => Err(PasswordError::BadHash),
    }
}

/// Whether `password` matches `hash` (constant time inside argon2's comparison).
pub fn verify_password(hash: &str, password: &str) -> bool {
    password.len() <= MAX_PASSWORD_BYTES
        && Argon2::default()
            .verify_password(password.as_bytes(), hash)
            .is_ok()
}

/// Argon2's working memory, kept by a thread that verifies many passwords: allocating 19 MiB per
/// check makes glibc's malloc keep the freed blocks in the thread's heap, where they pile up.
#[derive(Default)]
pub struct HashingMemory(Vec<argon2::Block>);

/// The largest memory cost accepted from a stored hash (KiB): bounds what one check may take.
const MAX_M_COST: u32 = 256 * 1024;

/// Like [`verify_password`], reusing `memory` for argon2's blocks.
pub fn verify_password_in(hash: &str, password: &str, memory: &mut HashingMemory) -> bool {
    if password.len() > MAX_PASSWORD_BYTES {
        return false;
    }
    let Ok(parsed) = argon2::password_hash::phc::PasswordHash::new(hash) else {
        return false;
    };
    let (Ok(algorithm), Ok(params)) = (
        argon2::Algorithm::new(parsed.algorithm.as_str()),
        argon2::Params::try_from(&parsed),
    ) else {
        return false;
    };
    let version = match parsed.version.map(argon2::Version::try_from) {
        None => argon2::Version::default(),
        Some(Ok(v)) => v,
        Some(Err(_)) => return false,
    };
    let (Some(salt), Some(expected)) = (&parsed.salt, &parsed.hash) else {
        return false;
    };
    if params.m_cost() > MAX_M_COST {
        return false;
    }
    let blocks = params.block_count();
    if memory.0.len() < blocks {
        memory.0.resize(blocks, argon2::Block::default());
    }
    let expected = expected.as_bytes();
    let mut out = vec![0u8; expected.len()];
    Argon2::new(algorithm, version, params)
        .hash_password_into_with_memory(
            password.as_bytes(),
            salt,
            &mut out,
            &mut memory.0[..blocks],
        )
        .is_ok()
        && subtle::ConstantTimeEq::ct_eq(out.as_slice(), expected).into()
}

/// Where password hashes are checked. The core only awaits it: the server runs argon2 on a
/// blocking thread so the async workers keep serving; tests and the CLI verify inline.
#[async_trait]
pub trait PasswordVerifier: Send + Sync {
    /// Whether `password` is the one `hash` was made of; `Err(Busy)` when no check could start
    /// in time (every hashing slot taken), so a flood of sign-ins is answered at once instead
    /// of queueing for minutes. Busy is no verdict: it must not count as a wrong password.
    async fn verify(&self, hash: String, password: String) -> Result<bool, Busy>;
}

/// The password hashing threads are all taken, and stayed so for longer than a request waits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Busy;

/// Verifies on the calling thread.
pub struct InlineVerifier;

#[async_trait]
impl PasswordVerifier for InlineVerifier {
    async fn verify(&self, hash: String, password: String) -> Result<bool, Busy> {
        Ok(verify_password(&hash, &password))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reusing_memory_verifies_the_same() {
        let hash = hash_password("correct horse battery").unwrap();
        let mut memory = HashingMemory::default();
        assert!(verify_password_in(
            &hash,
            "correct horse battery",
            &mut memory
        ));
        assert!(!verify_password_in(
            &hash,
            "wrong horse battery",
            &mut memory
        ));
        assert!(verify_password_in(
            &hash,
            "correct horse battery",
            &mut memory
        ));
        assert!(!verify_password_in("not a hash", "x", &mut memory));
    }

    #[test]
    fn a_hash_made_in_kept_memory_is_the_same_phc_string_as_a_fresh_one() {
        let mut memory = HashingMemory::default();
        let kept = hash_password_in("correct horse battery", &mut memory).unwrap();
        let fresh = hash_password("correct horse battery").unwrap();
        // Same algorithm, version and parameters; salts differ.
        let head = |h: &str| h.rsplitn(3, '$').nth(2).unwrap().to_owned();
        assert_eq!(head(&kept), head(&fresh), "{kept} vs {fresh}");
        assert!(verify_password(&kept, "correct horse battery"));
        assert!(verify_password_in(
            &kept,
            "correct horse battery",
            &mut memory
        ));
        assert!(!verify_password(&kept, "wrong horse battery"));
        assert_ne!(
            kept,
            hash_password_in("correct horse battery", &mut memory).unwrap()
        );
        assert_eq!(
            hash_password_in("short", &mut memory),
            Err(PasswordError::TooShort)
        );
    }

    #[test]
    fn hashes_verify_only_their_password_and_are_salted() {
        let a = hash_password("correct horse").unwrap();
        let b = hash_password("correct horse").unwrap();
        assert!(a.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{a}");
        assert_ne!(a, b);
        assert!(verify_password(&a, "correct horse"));
        assert!(!verify_password(&a, "correct horsf"));
        assert!(!verify_password("not a hash", "correct horse"));
        assert!(validate_password_hash(&a).is_ok());
        assert!(validate_password_hash("$2b$10$bcrypt").is_err());
    }

    #[test]
    fn length_rules() {
        assert_eq!(hash_password("short").unwrap_err(), PasswordError::TooShort);
        assert_eq!(
            validate_password(&"x".repeat(1025)).unwrap_err(),
            PasswordError::TooLong
        );
        assert!(validate_password("eight ch").is_ok());
    }
}
