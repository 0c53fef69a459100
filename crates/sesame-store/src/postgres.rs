//! PostgreSQL, for several stateless nodes behind a load balancer.

use crate::errors::store_error;
use crate::queries::sql_store;
use crate::{Backend, PoolSettings};
use sesame_core::store::StoreError;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use std::str::FromStr;

pub struct PostgresStore {
    pool: sqlx::PgPool,
}

impl Backend for PostgresStore {
    type Db = sqlx::Postgres;
}

impl PostgresStore {
    pub async fn connect(url: &str, pool: &PoolSettings) -> Result<Self, StoreError> {
        let options = PgConnectOptions::from_str(url)
            .map_err(|e| StoreError::Backend(format!("database_url: {e}")))?;
        let pool = PgPoolOptions::new()
            .max_connections(pool.max_connections)
            .acquire_timeout(pool.acquire_timeout)
            .connect_with(options)
            .await
            .map_err(store_error)?;
        Ok(Self { pool })
    }

    fn migrator() -> sqlx::migrate::Migrator {
        sqlx::migrate!("./migrations/postgres")
    }
}

sql_store!(PostgresStore);

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
    let store = PostgresStore::connect(base_url, &PoolSettings::default()).await?;
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "CREATE SCHEMA IF NOT EXISTS {schema}"
    )))
    .execute(&store.pool)
    .await
    .map_err(store_error)?;
    Ok(())
}
