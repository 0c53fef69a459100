//! argon2id off the async runtime. A hash takes ~20 ms of CPU and 19 MiB; it runs on a small
//! pool of dedicated threads, one per core, fed through a queue whose length a semaphore bounds,
//! and each thread keeps its argon2 memory for the next check. Measured under 8 concurrent
//! logins: tokio's elastic blocking pool with a fresh allocation per check grew the process to
//! 950 MiB; dedicated threads allocating per check, 230-270 MiB (glibc keeps freed blocks in
//! each thread's heap); dedicated threads reusing their memory stay near 60 MiB.

use sesame_core::password::{self, HashingMemory, PasswordError};
use std::sync::mpsc::{Receiver, SyncSender, sync_channel};
use std::sync::{Arc, LazyLock, Mutex};
use std::time::Duration;
use tokio::sync::{Semaphore, oneshot};

type Job = Box<dyn FnOnce(&mut HashingMemory) + Send>;

struct Hashers {
    queue: SyncSender<Job>,
    /// One permit per queue slot: a job is only sent when it fits.
    slots: Arc<Semaphore>,
}

static HASHERS: LazyLock<Hashers> = LazyLock::new(|| {
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    let (queue, jobs) = sync_channel::<Job>(threads * 4);
    let jobs = Arc::new(Mutex::new(jobs));
    for i in 0..threads {
        let jobs = Arc::clone(&jobs);
        let spawned = std::thread::Builder::new()
            .name(format!("argon2-{i}"))
            .spawn(move || work(&jobs));
        if let Err(e) = spawned {
            tracing::error!(error = %e, "could not start a password hashing thread");
        }
    }
    Hashers {
        queue,
        slots: Arc::new(Semaphore::new(threads * 4)),
    }
});

fn work(jobs: &Mutex<Receiver<Job>>) {
    let mut memory = HashingMemory::default();
    loop {
        let job = match jobs.lock() {
            Ok(receiver) => receiver.recv(),
            Err(_) => return,
        };
        match job {
            Ok(job) => job(&mut memory),
            Err(_) => return,
        }
    }
}

/// How long a check waits for a hashing slot before it is answered "busy": long enough for a
/// burst to pass (a slot frees every ~20 ms per core), short enough that a flood of logins
/// hears 503 at once instead of queueing for minutes behind each other.
const SLOT_WAIT: Duration = Duration::from_secs(1);

/// Runs `work` on a hashing thread and waits for it without blocking the runtime; `None` when
/// no slot freed within `wait` (or the thread failed). Sign-ins wait [`SLOT_WAIT`]; setting a
/// password (an operator's, or the start's declared users) waits its turn however long.
async fn on_hasher<T: Send + 'static>(
    wait: Option<Duration>,
    work: impl FnOnce(&mut HashingMemory) -> T + Send + 'static,
) -> Option<T> {
    let hashers = &*HASHERS;
    let waiting = Arc::clone(&hashers.slots).acquire_owned();
    let slot = match wait {
        Some(wait) => tokio::time::timeout(wait, waiting).await.ok()?.ok()?,
        None => waiting.await.ok()?,
    };
    let (reply, answer) = oneshot::channel();
    let job: Job = Box::new(move |memory| {
        let _ = reply.send(work(memory));
        // The slot is free once the work is done, even if the request gave up meanwhile.
        drop(slot);
    });
    hashers.queue.try_send(job).ok()?;
    answer.await.ok()
}

pub async fn hash_off_runtime(password: String) -> Result<String, PasswordError> {
    on_hasher(None, move |memory| {
        password::hash_password_in(&password, memory)
    })
    .await
    .unwrap_or_else(|| Err(PasswordError::Hash("the hashing thread failed".into())))
}

/// The server's password verifier: argon2 on a hashing thread.
pub struct BlockingVerifier;

#[async_trait::async_trait]
impl password::PasswordVerifier for BlockingVerifier {
    async fn verify(&self, hash: String, password: String) -> Result<bool, password::Busy> {
        let check = move |memory: &mut HashingMemory| {
            password::verify_password_in(&hash, &password, memory)
        };
        let verdict = on_hasher(Some(SLOT_WAIT), check).await;
        if verdict.is_none() {
            metrics::counter!("sesame_password_checks_busy_total").increment(1);
        }
        verdict.ok_or(password::Busy)
    }
}
