//! Sesame's storage: the core's store traits on SQLite (the embedded default) and PostgreSQL
//! (several stateless nodes sharing one database).
//!
//! Both backends accept the same SQL (`$N` parameters, `ON CONFLICT`, `RETURNING`, row values),
//! so the queries are written once, one file per aggregate in `queries/`, and compiled natively
//! for each backend's pool; only connection setup and migrations differ. The contract suite in
//! `tests/contract/` runs the same checks against both and against the core's memory store.

mod codec;
mod errors;
mod postgres;
mod sqlite;
mod token_batcher;

pub use postgres::{PostgresStore, SWEEP_LOCK};
pub use sqlite::SqliteStore;

use sesame_core::store::{Store, StoreError};
use std::sync::Arc;
use std::time::Duration;

/// Connection pool settings shared by both backends.
#[derive(Debug, Clone)]
pub struct PoolSettings {
    pub max_connections: u32,
    /// How long a request waits for a connection before the store counts as unavailable.
    pub acquire_timeout: Duration,
}

impl Default for PoolSettings {
    fn default() -> Self {
        Self {
            max_connections: 8,
            acquire_timeout: Duration::from_secs(3),
        }
    }
}

/// Opens the database named by `url` (`sqlite://…` or `postgres://…`).
pub async fn connect(url: &str, pool: &PoolSettings) -> Result<Arc<dyn Store>, StoreError> {
    if url.starts_with("sqlite:") {
        Ok(Arc::new(SqliteStore::connect(url, pool).await?))
    } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        Ok(Arc::new(PostgresStore::connect(url, pool).await?))
    } else {
        Err(StoreError::Backend(
            "database_url must start with sqlite: or postgres://".to_owned(),
        ))
    }
}

/// Creates `schema` on the PostgreSQL server at `base_url` and returns a URL whose connections
/// use it: how the tests give every test a database of its own on one server.
pub async fn testing_schema_url(base_url: &str, schema: &str) -> Result<String, StoreError> {
    postgres::create_schema(base_url, schema).await?;
    let sep = if base_url.contains('?') { '&' } else { '?' };
    Ok(format!(
        "{base_url}{sep}options=-c%20search_path%3D{schema}"
    ))
}
