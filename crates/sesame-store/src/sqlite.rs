//! SQLite, the embedded default: one file, created and migrated on start, WAL mode.

use crate::errors::store_error;
use crate::queries::sql_store;
use crate::{Backend, PoolSettings};
use sesame_core::store::StoreError;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use std::str::FromStr;
use std::time::Duration;

pub struct SqliteStore {
    pool: sqlx::SqlitePool,
}

impl Backend for SqliteStore {
    type Db = sqlx::Sqlite;
}

impl SqliteStore {
    /// Write transactions take the write lock up front: a deferred transaction that later
    /// upgrades from reading to writing fails with SQLITE_BUSY instead of waiting its turn.
    const BEGIN_WRITE: &str = "BEGIN IMMEDIATE";

    pub async fn connect(url: &str, pool: &PoolSettings) -> Result<Self, StoreError> {
        let options = SqliteConnectOptions::from_str(url)
            .map_err(|e| StoreError::Backend(format!("database_url: {e}")))?
            .create_if_missing(true)
            // WAL lets readers run beside the one writer; NORMAL is durable across crashes of
            // the process (only an OS crash can lose the last transactions).
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .busy_timeout(Duration::from_secs(5))
            .foreign_keys(true);
        let pool = SqlitePoolOptions::new()
            .max_connections(pool.max_connections)
            .acquire_timeout(pool.acquire_timeout)
            .connect_with(options)
            .await
            .map_err(store_error)?;
        Ok(Self { pool })
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

sql_store!(SqliteStore);
