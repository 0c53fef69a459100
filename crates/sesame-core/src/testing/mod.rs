//! What the core's tests (and the tests of crates built on it) need: an in-memory store that
//! keeps the store contracts, a provider on it with a fixed clock, and fixtures.

mod fixtures;
mod memory;

pub use fixtures::*;
pub use memory::MemoryStore;

use crate::client::{AuthMethod, Client, ClientMetadata, GrantType};
use crate::clock::FixedClock;
use crate::events::{Event, EventSink};
use crate::keys::Algorithm;
use crate::provider::{Provider, Settings};
use crate::scope::Scopes;
use crate::secret::Secret;
use std::sync::{Arc, Mutex};

/// The fixed time every fixture starts at.
pub const T0: i64 = 1_700_000_000;

/// A provider on a memory store and a fixed clock, issuer `https://id.test`.
pub async fn provider() -> (Provider, Arc<MemoryStore>, Arc<FixedClock>) {
    let (provider, store, clock, _) = provider_with_recorder().await;
    (provider, store, clock)
}

/// Keeps the events a provider reports, for tests to look at.
#[derive(Default)]
pub struct Recorder(Mutex<Vec<Event>>);

impl Recorder {
    /// The events so far, oldest first; the recorder starts empty again.
    pub fn take(&self) -> Vec<Event> {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(|p| p.into_inner()))
    }
}

impl EventSink for Recorder {
    fn record(&self, event: Event) {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).push(event);
    }
}

/// [`provider`], with the events it reports kept in a [`Recorder`].
pub async fn provider_with_recorder() -> (Provider, Arc<MemoryStore>, Arc<FixedClock>, Arc<Recorder>)
{
    let store = Arc::new(MemoryStore::default());
    let clock = Arc::new(FixedClock::at(T0));
    let mut settings = Settings::new("https://id.test");
    // Tests change clients between calls and expect to see it.
    settings.client_cache_ttl = 0;
    // One RSA key is enough for unit tests; generating more only slows them.
    settings.signing_algorithms = vec![Algorithm::RS256, Algorithm::ES256, Algorithm::EdDSA];
    let recorder = Arc::new(Recorder::default());
    #[allow(clippy::expect_used)]
    let provider = Provider::start(store.clone(), clock.clone(), settings, None)
        .await
        .expect("provider starts on a memory store")
        .with_event_sink(recorder.clone());
    (provider, store, clock, recorder)
}

/// A confidential client_credentials client with this secret and scope.
pub fn service_client(client_id: &str, secret: &Secret, scope: &str) -> Client {
    #[allow(clippy::expect_used)]
    let scope = Scopes::parse(scope).expect("fixture scope");
    Client {
        client_id: client_id.to_owned(),
        secret_hash: Some(secret.hash()),
        metadata: ClientMetadata {
            grant_types: vec![GrantType::ClientCredentials],
            token_endpoint_auth_method: AuthMethod::ClientSecretBasic,
            scope,
            ..Default::default()
        },
        created_at: T0,
        updated_at: T0,
    }
}

/// The switch CI sets (`.ci/run`) so that a test whose tool or server is missing fails there
/// instead of skipping.
pub const REQUIRE_ALL: &str = "SESAME_TEST_REQUIRE_ALL";

/// Says that a test did not run and why; with `SESAME_TEST_REQUIRE_ALL=1` that is a failure.
#[allow(clippy::panic)]
pub fn skip_or_fail(reason: &str) {
    if std::env::var(REQUIRE_ALL).is_ok_and(|v| v == "1") {
        panic!("{reason}; {REQUIRE_ALL}=1 requires every test to run");
    }
    eprintln!("skipped: {reason}");
}
