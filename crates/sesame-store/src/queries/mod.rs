//! The store traits in SQL, one file per aggregate.
//!
//! Both backends accept the same SQL (`$N` parameters, `ON CONFLICT`, `RETURNING`, row values),
//! so every query is written once. This module is compiled twice, inside `sqlite.rs` and inside
//! `postgres.rs`, each of which names its sqlx database `Db` and its store `SqlStore`: the same
//! text becomes native code for each pool, with no runtime branch on the backend. What differs
//! between the backends is a method of `SqlStore`, which every backend provides:
//!
//! - `self.pool`: the reading pool; `self.writes()`: the pool writes go to;
//! - `self.begin_write()`: a transaction that may write (SQLite takes its lock up front);
//! - `self.store_access_token(token)`: one insert, batched where the backend gains from it;
//! - `SqlStore::try_sweep_lock(tx)`: whether this node sweeps now; `SqlStore::migrator()`.
//!
//! Rows come back through `#[derive(sqlx::FromRow)]` structs and become core types by
//! `TryFrom`: a column change touches the migration, the row struct and its query, in one file.

use super::{Db, SqlStore};

mod audit;
mod clients;
mod delegations;
mod device;
mod factors;
mod federation;
mod interactions;
mod keys;
mod maintenance;
mod oauth1;
mod replay;
mod throttle;
mod tokens;
mod users;

type Pool = sqlx::Pool<Db>;
