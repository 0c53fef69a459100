//! PostgreSQL, for several stateless nodes behind a load balancer.

use crate::PoolSettings;
use crate::errors::store_error;
use sesame_core::store::StoreError;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use std::str::FromStr;

/// The advisory lock of the sweeper is (SWEEP_LOCK, hash of the schema): every node of one
/// deployment shares it, and deployments in other schemas of the same database do not.
pub const SWEEP_LOCK: i32 = 0x5345_5357;

pub struct PostgresStore {
    pool: sqlx::PgPool,
}

/// The shared SQL of `queries/`, compiled for PostgreSQL (and, on purpose, again for SQLite).
#[allow(clippy::duplicate_mod)]
#[path = "queries/mod.rs"]
mod queries;
type Db = sqlx::Postgres;
type SqlStore = PostgresStore;

impl PostgresStore {
    pub async fn connect(url: &str, pool: &PoolSettings) -> Result<Self, StoreError> {
        let options = PgConnectOptions::from_str(url)
            .map_err(|e| StoreError::Backend(format!("database_url: {e}")))?;
        let pool = PgPoolOptions::new()
            // Keep every connection open: opening one costs PostgreSQL a process, and under load
            // that took seconds, long enough for queued requests to time out.
            .min_connections(pool.max_connections)
            .max_connections(pool.max_connections)
            .acquire_timeout(pool.acquire_timeout)
            .connect_with(options)
            .await
            .map_err(store_error)?;
        Ok(Self { pool })
    }

    /// PostgreSQL handles concurrent writers itself: one pool for everything.
    fn writes(&self) -> &sqlx::PgPool {
        &self.pool
    }

    async fn begin_write(&self) -> Result<sqlx::Transaction<'_, Db>, StoreError> {
        self.pool.begin().await.map_err(store_error)
    }

    async fn store_access_token(
        &self,
        token: &sesame_core::store::OpaqueAccessToken,
    ) -> Result<(), StoreError> {
        Self::insert_access_token_rows(&self.pool, std::slice::from_ref(token)).await
    }

    fn migrator() -> sqlx::migrate::Migrator {
        sqlx::migrate!("./migrations/postgres")
    }

    /// One node sweeps at a time: a transaction-scoped advisory lock, released at commit, that
    /// other nodes do not wait for.
    async fn try_sweep_lock(
        tx: &mut sqlx::Transaction<'_, sqlx::Postgres>,
    ) -> Result<bool, StoreError> {
        sqlx::query_scalar("SELECT pg_try_advisory_xact_lock($1, hashtext(current_schema()))")
            .bind(SWEEP_LOCK)
            .fetch_one(&mut **tx)
            .await
            .map_err(store_error)
    }
}

/// Creates a schema (tests give each test its own).
pub(crate) async fn create_schema(base_url: &str, schema: &str) -> Result<(), StoreError> {
    if !schema
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
    {
        return Err(StoreError::Backend(format!(
            "unsafe schema name {schema:?}"
        )));
    }
    use sqlx::Connection;
    let mut conn = sqlx::PgConnection::connect(base_url)
        .await
        .map_err(store_error)?;
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "CREATE SCHEMA IF NOT EXISTS {schema}"
    )))
    .execute(&mut conn)
    .await
    .map_err(store_error)?;
    let _ = conn.close().await;
    Ok(())
}
