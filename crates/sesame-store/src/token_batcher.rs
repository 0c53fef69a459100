//! Group commit for SQLite token issuance: concurrent requests that each need one row written
//! share one INSERT and one commit.
//!
//! SQLite takes one writer at a time, so under load each request would otherwise wait its turn
//! for a statement and a commit of its own. A task drains whatever requests are queued (up to
//! [`MAX_BATCH`]), writes them in one statement, and answers each only after the commit, so a
//! token is never handed out before its row is durable.

use sesame_core::store::{OpaqueAccessToken, StoreError};
use std::future::Future;
use tokio::sync::{mpsc, oneshot};

/// Rows per statement: 9 bound values each stays far below SQLite's variable limit.
const MAX_BATCH: usize = 256;

type Job = (OpaqueAccessToken, oneshot::Sender<Result<(), StoreError>>);

pub(crate) struct TokenBatcher {
    jobs: mpsc::Sender<Job>,
}

impl TokenBatcher {
    /// Starts the writing task; `write` inserts a batch in one statement.
    pub(crate) fn spawn<W, F>(write: W) -> Self
    where
        W: Fn(Vec<OpaqueAccessToken>) -> F + Send + 'static,
        F: Future<Output = Result<(), StoreError>> + Send,
    {
        let (jobs, mut queue) = mpsc::channel::<Job>(4 * MAX_BATCH);
        tokio::spawn(async move {
            let mut batch: Vec<Job> = Vec::with_capacity(MAX_BATCH);
            while queue.recv_many(&mut batch, MAX_BATCH).await > 0 {
                let (tokens, replies): (Vec<_>, Vec<_>) = batch.drain(..).unzip();
                let result = write(tokens).await;
                for reply in replies {
                    // The requester may have gone (client hung up): nothing to tell it.
                    let _ = reply.send(result.clone());
                }
            }
        });
        Self { jobs }
    }

    /// Queues the token and returns once its batch is committed.
    pub(crate) async fn insert(&self, token: &OpaqueAccessToken) -> Result<(), StoreError> {
        let stopped = || StoreError::Unavailable("the token writer has stopped".to_owned());
        let (reply, committed) = oneshot::channel();
        self.jobs
            .send((token.clone(), reply))
            .await
            .map_err(|_| stopped())?;
        committed.await.map_err(|_| stopped())?
    }
}
