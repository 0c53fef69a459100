//! SQLite, the embedded default: one file, created and migrated on start, WAL mode.

use crate::PoolSettings;
use crate::errors::store_error;
use crate::token_batcher::TokenBatcher;
use sesame_core::store::StoreError;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use std::str::FromStr;
use std::time::Duration;

/// Reads go to a pool of connections; writes to a single connection, because SQLite takes one
/// writer at a time anyway: queueing writers in the pool is fair and prompt, where several
/// connections contending for the file lock back off in sleeps of up to 100 ms.
pub struct SqliteStore {
    pool: sqlx::SqlitePool,
    writer: sqlx::SqlitePool,
    tokens: TokenBatcher,
}

/// The shared SQL of `queries/`, compiled for SQLite (and, on purpose, again for PostgreSQL:
/// one SQL text, native code for each pool).
#[allow(clippy::duplicate_mod)]
#[path = "queries/mod.rs"]
mod queries;
type Db = sqlx::Sqlite;
type SqlStore = SqliteStore;

impl SqliteStore {
    pub async fn connect(url: &str, pool: &PoolSettings) -> Result<Self, StoreError> {
        let options = SqliteConnectOptions::from_str(url)
            .map_err(|e| StoreError::Backend(format!("database_url: {e}")))?
            .create_if_missing(true)
            // WAL lets readers run beside the one writer; NORMAL is durable across crashes of
            // the process (only an OS crash can lose the last transactions).
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(5))
            // Checkpoints run in the background (below), so the automatic one at the default
            // 1000 pages finds little left to copy; the WAL file is cut back after a checkpoint.
            .pragma("journal_size_limit", "67108864")
            .foreign_keys(true);
        // The file is created when missing; so is its folder (`sqlite://data/sesame.db`).
        let path = options.get_filename().to_owned();
        let cannot_open = |why: String| {
            StoreError::Backend(format!(
                "cannot open the SQLite database {}: {why}",
                path.display()
            ))
        };
        if let Some(folder) = path.parent().filter(|f| !f.as_os_str().is_empty())
            && !folder.exists()
        {
            std::fs::create_dir_all(folder).map_err(|e| {
                cannot_open(format!(
                    "its folder {} cannot be created: {e}",
                    folder.display()
                ))
            })?;
        }
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .acquire_timeout(pool.acquire_timeout)
            .connect_with(options.clone())
            .await
            .map_err(|e| cannot_open(e.to_string()))?;
        let readers = SqlitePoolOptions::new()
            .max_connections(pool.max_connections)
            .acquire_timeout(pool.acquire_timeout)
            .connect_with(options)
            .await
            .map_err(store_error)?;
        let batch_writer = writer.clone();
        let tokens = TokenBatcher::spawn(move |batch| {
            let pool = batch_writer.clone();
            async move { Self::insert_access_token_rows(&pool, &batch).await }
        });
        spawn_checkpointer(readers.clone());
        Ok(Self {
            pool: readers,
            writer,
            tokens,
        })
    }

    fn writes(&self) -> &sqlx::SqlitePool {
        &self.writer
    }

    /// Write transactions take the write lock up front: a deferred transaction that later
    /// upgrades from reading to writing fails with SQLITE_BUSY instead of waiting its turn.
    async fn begin_write(&self) -> Result<sqlx::Transaction<'_, Db>, StoreError> {
        self.writer
            .begin_with("BEGIN IMMEDIATE")
            .await
            .map_err(store_error)
    }

    async fn store_access_token(
        &self,
        token: &sesame_core::store::OpaqueAccessToken,
    ) -> Result<(), StoreError> {
        self.tokens.insert(token).await
    }

    fn migrator() -> sqlx::migrate::Migrator {
        sqlx::migrate!("./migrations/sqlite")
    }

    /// A SQLite file has one writer at a time and one node: the sweep needs no lock of its own.
    async fn try_sweep_lock(
        _tx: &mut sqlx::Transaction<'_, sqlx::Sqlite>,
    ) -> Result<bool, StoreError> {
        Ok(true)
    }
}

/// Copies the WAL back into the database four times a second with a PASSIVE checkpoint, which never
/// blocks the writer. Left to the automatic checkpoint, that work (and its fsync) would fall on
/// whichever commit crossed the threshold, stalling every token request queued behind it.
fn spawn_checkpointer(pool: sqlx::SqlitePool) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_millis(250));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            // A failure here is retried at the next tick; the automatic checkpoint is the backstop.
            let _ = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
                .execute(&pool)
                .await;
        }
    });
}
