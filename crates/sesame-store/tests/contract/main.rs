//! One contract suite for every store: the core's memory store, SQLite always, and PostgreSQL
//! when `SESAME_TEST_POSTGRES_URL` is set (each PostgreSQL test in a schema of its own, so tests
//! run in parallel). One file per aggregate, as in `src/queries/`; each test is a function of an
//! `Arc<dyn Store>` that `contract!` runs once per backend.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

use sesame_core::delegation::Delegation;
use sesame_core::oidc::claims::ClaimsRequest;
use sesame_core::scope::Scopes;
use sesame_core::secret::SecretHash;
use sesame_core::store::{OpaqueAccessToken, Store};
use sesame_core::testing::{MemoryStore, skip_or_fail};
use sesame_store::PoolSettings;
use std::sync::Arc;

/// Runs each named test on every backend: `on_memory::name`, `on_sqlite::name`,
/// `on_postgres::name`.
macro_rules! contract {
    ($($name:ident),* $(,)?) => {
        mod on_memory {
            $(#[tokio::test] async fn $name() { super::$name(crate::memory()).await; })*
        }
        mod on_sqlite {
            $(#[tokio::test] async fn $name() { super::$name(crate::sqlite().await.store).await; })*
        }
        mod on_postgres {
            $(#[tokio::test] async fn $name() {
                if let Some(db) = crate::postgres().await { super::$name(db.store).await; }
            })*
        }
    };
}

mod administration;
mod clients;
mod delegations;
mod device;
mod factors;
mod federation;
mod interactions;
mod keys;
mod maintenance;
mod migrations;
mod oauth1;
mod replay;
mod throttle;
mod tokens;
mod users;

pub struct TestDb {
    pub store: Arc<dyn Store>,
    pub url: String,
    _dir: Option<tempfile::TempDir>,
}

pub fn memory() -> Arc<dyn Store> {
    Arc::new(MemoryStore::default())
}

pub async fn sqlite() -> TestDb {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}/sesame.db", dir.path().display());
    let store = sesame_store::connect(&url, &PoolSettings::default())
        .await
        .expect("sqlite");
    store.migrate().await.expect("migrate");
    TestDb {
        store,
        url,
        _dir: Some(dir),
    }
}

/// A fresh schema on the test server, or `None` (with a note, or a failure in CI) when none is
/// configured.
pub async fn postgres() -> Option<TestDb> {
    let Ok(base) = std::env::var("SESAME_TEST_POSTGRES_URL") else {
        skip_or_fail(
            "SESAME_TEST_POSTGRES_URL is not set, so the PostgreSQL contract tests did not run",
        );
        return None;
    };
    let schema = format!(
        "contract_{}",
        sesame_core::secret::random_token(9)
            .to_lowercase()
            .replace(['-', '_'], "x")
    );
    let url = sesame_store::testing_schema_url(&base, &schema)
        .await
        .expect("schema");
    // Small pools: many tests share one server and its connection limit.
    let pool = PoolSettings {
        max_connections: 3,
        ..PoolSettings::default()
    };
    let store = sesame_store::connect(&url, &pool)
        .await
        .expect("postgres schema");
    store.migrate().await.expect("migrate");
    Some(TestDb {
        store,
        url,
        _dir: None,
    })
}

/// An opaque access token of client `svc`, expiring at `expires_at`.
pub fn token(hash: &SecretHash, expires_at: i64) -> OpaqueAccessToken {
    OpaqueAccessToken {
        token_hash: hash.clone(),
        jti: "jti-1".into(),
        client_id: "svc".into(),
        subject: "svc".into(),
        scope: Scopes::parse("a b").unwrap(),
        audience: "https://api.test".into(),
        issued_at: 100,
        expires_at,
        revoked_at: None,
        delegation_id: None,
        userinfo_claims: Vec::new(),
    }
}

/// A delegation of `usr_1` to the client `web`.
pub fn delegation(delegation_id: &str) -> Delegation {
    Delegation {
        delegation_id: delegation_id.into(),
        client_id: "web".into(),
        user_id: "usr_1".into(),
        scope: Scopes::parse("openid offline_access").unwrap(),
        auth_time: 90,
        sid: Some("sid-1".into()),
        claims: ClaimsRequest {
            userinfo: vec!["email".into()],
            id_token: Vec::new(),
            id_token_sub: Some("usr_1".into()),
            essential_acr: false,
            acr_values: vec!["2".into()],
            locales: vec!["de".into()],
        },
        amr: vec!["pwd".into(), "otp".into(), "mfa".into()],
    }
}

/// Runs `attempt` 12 times at once and returns what the winners got.
pub async fn race<T, F, Fut>(attempt: F) -> Vec<T>
where
    T: Send + 'static,
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = Option<T>> + Send + 'static,
{
    let racers: Vec<_> = (0..12).map(|_| tokio::spawn(attempt())).collect();
    let mut won = Vec::new();
    for r in racers {
        won.extend(r.await.unwrap());
    }
    won
}
