//! argon2id on a blocking thread: a hash takes ~20 ms of CPU and 19 MiB, which must not stall
//! the async workers serving other requests. At most one hash per core runs at a time: more
//! would not finish sooner, and a flood of logins would otherwise start hundreds of blocking
//! threads holding 19 MiB each (measured: 950 MiB resident under 8 concurrent logins).

use sesame_core::password::{self, PasswordError};
use std::sync::{Arc, LazyLock};
use tokio::sync::Semaphore;

static HASHING: LazyLock<Arc<Semaphore>> = LazyLock::new(|| {
    Arc::new(Semaphore::new(
        std::thread::available_parallelism().map_or(2, |n| n.get()),
    ))
});

/// Runs `work` on a blocking thread once a hashing slot is free. The slot travels with the
/// work: a request that gives up (timeout, disconnect) does not free it while argon2 still runs.
async fn limited<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> Option<T> {
    let slot = Arc::clone(&HASHING).acquire_owned().await.ok()?;
    tokio::task::spawn_blocking(move || {
        let result = work();
        drop(slot);
        result
    })
    .await
    .ok()
}

pub async fn hash_off_runtime(password: String) -> Result<String, PasswordError> {
    limited(move || password::hash_password(&password))
        .await
        .unwrap_or_else(|| Err(PasswordError::Hash("the hashing thread failed".into())))
}

/// The server's password verifier: argon2 on a blocking thread.
pub struct BlockingVerifier;

#[async_trait::async_trait]
impl password::PasswordVerifier for BlockingVerifier {
    async fn verify(&self, hash: String, password: String) -> bool {
        limited(move || password::verify_password(&hash, &password))
            .await
            .unwrap_or(false)
    }
}
