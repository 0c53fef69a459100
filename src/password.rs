//! argon2id on a blocking thread: a hash takes ~20 ms of CPU, which must not stall the async
//! workers serving other requests.

use sesame_core::password::{self, PasswordError};

pub async fn hash_off_runtime(password: String) -> Result<String, PasswordError> {
    tokio::task::spawn_blocking(move || password::hash_password(&password))
        .await
        .map_err(|e| PasswordError::Hash(e.to_string()))?
}

/// The server's password verifier: argon2 on a blocking thread.
pub struct BlockingVerifier;

#[async_trait::async_trait]
impl password::PasswordVerifier for BlockingVerifier {
    async fn verify(&self, hash: String, password: String) -> bool {
        tokio::task::spawn_blocking(move || password::verify_password(&hash, &password))
            .await
            .unwrap_or(false)
    }
}
