//! One contract suite, run against SQLite always and PostgreSQL when `SESAME_TEST_POSTGRES_URL`
//! is set (each PostgreSQL test in a schema of its own, so tests run in parallel).

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

use sesame_core::authorize::AuthorizationRequest;
use sesame_core::authorize::pending::PendingAuthorization;
use sesame_core::device::{DeviceCode, DeviceStatus};
use sesame_core::federation::{Connection, FederationState};
use sesame_core::grant::{CodeData, Grant, StoredCode, StoredRefreshToken};
use sesame_core::keys::{Algorithm, StoredKey};
use sesame_core::oauth1::{Oauth1Token, TokenKind as Oauth1Kind, TokenStatus as Oauth1Status};
use sesame_core::oidc::claims::ClaimsRequest;
use sesame_core::scope::Scopes;
use sesame_core::secret::{Secret, SecretHash};
use sesame_core::session::BrowserSession;
use sesame_core::store::*;
use sesame_core::testing::service_client;
use sesame_core::user::User;
use sesame_store::PoolSettings;
use std::sync::Arc;

struct TestDb {
    store: Arc<dyn Store>,
    url: String,
    _dir: Option<tempdir::Dir>,
}

mod tempdir {
    /// A directory removed when dropped (no extra crate for one test helper).
    pub struct Dir(pub std::path::PathBuf);
    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
    pub fn new() -> Dir {
        let path = std::env::temp_dir().join(format!(
            "sesame-contract-{}",
            sesame_core::secret::random_token(9)
        ));
        std::fs::create_dir_all(&path).expect("temp dir");
        Dir(path)
    }
}

async fn sqlite() -> TestDb {
    let dir = tempdir::new();
    let url = format!("sqlite://{}/sesame.db", dir.0.display());
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

/// A fresh schema on the test server, or `None` (with a note) when none is configured.
async fn postgres() -> Option<TestDb> {
    let Ok(base) = std::env::var("SESAME_TEST_POSTGRES_URL") else {
        eprintln!(
            "skipped: SESAME_TEST_POSTGRES_URL is not set, so the PostgreSQL contract tests did not run"
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

macro_rules! contract {
    ($($name:ident),* $(,)?) => {
        mod on_sqlite {
            $(#[tokio::test] async fn $name() { super::$name(super::sqlite().await.store).await; })*
        }
        mod on_postgres {
            $(#[tokio::test] async fn $name() {
                if let Some(db) = super::postgres().await { super::$name(db.store).await; }
            })*
        }
    };
}

contract!(
    clients_round_trip,
    users_round_trip_with_unique_usernames,
    keys_rotate_per_algorithm,
    opaque_tokens_and_revoked_jtis,
    assertion_jti_is_single_use_under_concurrency,
    sweep_removes_only_expired_rows,
    migrate_is_idempotent,
    concurrent_token_inserts_are_all_committed,
    codes_are_spent_once_under_concurrency,
    refresh_rotation_and_grant_revocation,
    sessions_pending_authorizations_and_consents,
    login_failures_count_lock_and_clear,
    device_codes_settle_once_and_redeem_once,
    oauth1_secrets_and_credentials,
    federation_links_are_atomic_and_states_single_use,
);

async fn clients_round_trip(store: Arc<dyn Store>) {
    let secret = Secret::generate();
    let mut c = service_client("svc", &secret, "api:read");
    assert!(store.insert_client(&c).await.unwrap());
    assert!(
        !store.insert_client(&c).await.unwrap(),
        "a taken client_id is not inserted twice"
    );
    let got = store.get_client("svc").await.unwrap().unwrap();
    assert_eq!(got, c);
    assert!(got.secret_hash.unwrap().verify(secret.expose()));
    assert!(store.get_client("nobody").await.unwrap().is_none());

    c.metadata.scope = Scopes::parse("api:read api:write").unwrap();
    c.updated_at += 10;
    assert!(store.update_client(&c).await.unwrap());
    assert_eq!(
        store
            .get_client("svc")
            .await
            .unwrap()
            .unwrap()
            .metadata
            .scope,
        c.metadata.scope
    );
    assert!(
        !store
            .update_client(&service_client("ghost", &secret, ""))
            .await
            .unwrap()
    );

    store
        .upsert_client(&service_client("other", &secret, "x"))
        .await
        .unwrap();
    let ids: Vec<String> = store
        .list_clients()
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.client_id)
        .collect();
    assert_eq!(ids, ["other", "svc"]);

    assert!(store.delete_client("svc").await.unwrap());
    assert!(!store.delete_client("svc").await.unwrap());
    assert!(store.get_client("svc").await.unwrap().is_none());
}

async fn keys_rotate_per_algorithm(store: Arc<dyn Store>) {
    let es = StoredKey::generate(Algorithm::ES256, None, 100).unwrap();
    let ed = StoredKey::generate(Algorithm::EdDSA, None, 100).unwrap();
    assert!(store.insert_signing_key(&es).await.unwrap());
    assert!(store.insert_signing_key(&ed).await.unwrap());
    let second = StoredKey::generate(Algorithm::ES256, None, 150).unwrap();
    assert!(
        !store.insert_signing_key(&second).await.unwrap(),
        "one active key per algorithm"
    );
    let new_es = StoredKey::generate(Algorithm::ES256, None, 200).unwrap();
    store
        .rotate_signing_keys(std::slice::from_ref(&new_es), 200, 500)
        .await
        .unwrap();

    let keys = store.list_signing_keys().await.unwrap();
    assert_eq!(keys.len(), 3);
    let find = |kid: &str| keys.iter().find(|k| k.kid == kid).unwrap().clone();
    assert_eq!(find(&es.kid).retired_at, Some(200));
    assert_eq!(find(&es.kid).publish_until, Some(500));
    assert_eq!(find(&ed.kid), ed, "other algorithms are untouched");
    assert_eq!(find(&new_es.kid), new_es);
}

fn token(hash: &SecretHash, expires_at: i64) -> OpaqueAccessToken {
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
        grant_id: None,
        userinfo_claims: Vec::new(),
    }
}

async fn opaque_tokens_and_revoked_jtis(store: Arc<dyn Store>) {
    let hash = SecretHash::of("sat_one");
    let t = token(&hash, 1000);
    store.insert_access_token(&t).await.unwrap();
    assert_eq!(store.find_access_token(&hash).await.unwrap().unwrap(), t);
    assert!(
        store
            .find_access_token(&SecretHash::of("sat_two"))
            .await
            .unwrap()
            .is_none()
    );

    assert!(store.revoke_access_token(&hash, 150).await.unwrap());
    assert!(store.revoke_access_token(&hash, 160).await.unwrap());
    assert_eq!(
        store
            .find_access_token(&hash)
            .await
            .unwrap()
            .unwrap()
            .revoked_at,
        Some(150),
        "first revocation time is kept"
    );
    assert!(
        !store
            .revoke_access_token(&SecretHash::of("sat_two"), 150)
            .await
            .unwrap()
    );

    assert!(!store.is_jti_revoked("j").await.unwrap());
    store.revoke_jti("j", 1000).await.unwrap();
    store.revoke_jti("j", 1000).await.unwrap();
    assert!(store.is_jti_revoked("j").await.unwrap());
}

async fn assertion_jti_is_single_use_under_concurrency(store: Arc<dyn Store>) {
    let attempts = (0..16).map(|_| {
        let store = Arc::clone(&store);
        tokio::spawn(async move {
            store
                .record_assertion_jti("svc", "same", 1000)
                .await
                .unwrap()
        })
    });
    let mut wins = 0;
    for a in attempts {
        wins += usize::from(a.await.unwrap());
    }
    assert_eq!(wins, 1, "exactly one of the racing calls records the jti");
    assert!(
        store
            .record_assertion_jti("other", "same", 1000)
            .await
            .unwrap(),
        "jtis are per client"
    );
}

async fn sweep_removes_only_expired_rows(store: Arc<dyn Store>) {
    for i in 0..5 {
        store
            .insert_access_token(&token(&SecretHash::of(&format!("old{i}")), 100))
            .await
            .unwrap();
    }
    store
        .insert_access_token(&token(&SecretHash::of("live"), 1000))
        .await
        .unwrap();
    store.revoke_jti("old", 100).await.unwrap();
    store.revoke_jti("live", 1000).await.unwrap();
    store.record_assertion_jti("svc", "old", 100).await.unwrap();
    let mut retired = StoredKey::generate(Algorithm::ES256, None, 1).unwrap();
    retired.retired_at = Some(50);
    retired.publish_until = Some(100);
    store.insert_signing_key(&retired).await.unwrap();
    let active = StoredKey::generate(Algorithm::ES256, None, 60).unwrap();
    store.insert_signing_key(&active).await.unwrap();

    // Batches of 2: the five old tokens need three rounds.
    let mut total = 0;
    for _ in 0..3 {
        total += store.sweep_expired(500, 2).await.unwrap();
    }
    assert_eq!(total, 5 + 1 + 1 + 1);
    assert_eq!(store.sweep_expired(500, 2).await.unwrap(), 0);
    assert!(
        store
            .find_access_token(&SecretHash::of("live"))
            .await
            .unwrap()
            .is_some()
    );
    assert!(store.is_jti_revoked("live").await.unwrap());
    assert!(!store.is_jti_revoked("old").await.unwrap());
    assert!(
        store
            .record_assertion_jti("svc", "old", 1000)
            .await
            .unwrap()
    );
    let kids: Vec<String> = store
        .list_signing_keys()
        .await
        .unwrap()
        .into_iter()
        .map(|k| k.kid)
        .collect();
    assert_eq!(kids, [active.kid]);
}

async fn migrate_is_idempotent(store: Arc<dyn Store>) {
    store.migrate().await.unwrap();
    store.ping().await.unwrap();
}

/// Several nodes: while one holds the sweep lock, another's sweep skips the round.
#[tokio::test]
async fn postgres_sweep_runs_on_one_node_at_a_time() {
    use sqlx::Connection;
    let Some(db) = postgres().await else { return };
    db.store
        .insert_access_token(&token(&SecretHash::of("old"), 100))
        .await
        .unwrap();
    let mut other_node = sqlx::PgConnection::connect(&db.url).await.unwrap();
    let held: bool =
        sqlx::query_scalar("SELECT pg_try_advisory_lock($1, hashtext(current_schema()))")
            .bind(sesame_store::SWEEP_LOCK)
            .fetch_one(&mut other_node)
            .await
            .unwrap();
    assert!(held);
    assert_eq!(
        db.store.sweep_expired(500, 10).await.unwrap(),
        0,
        "skipped while another node sweeps"
    );
    sqlx::query("SELECT pg_advisory_unlock($1, hashtext(current_schema()))")
        .bind(sesame_store::SWEEP_LOCK)
        .execute(&mut other_node)
        .await
        .unwrap();
    assert_eq!(db.store.sweep_expired(500, 10).await.unwrap(), 1);
}

async fn concurrent_token_inserts_are_all_committed(store: Arc<dyn Store>) {
    // More at once than one SQLite batch holds, so several batches commit.
    let inserts = (0..600).map(|i| {
        let store = Arc::clone(&store);
        tokio::spawn(async move {
            let mut t = token(&SecretHash::of(&format!("tok{i}")), 1000);
            t.jti = format!("jti-{i}");
            store.insert_access_token(&t).await
        })
    });
    for insert in inserts {
        insert.await.unwrap().unwrap();
    }
    for i in [0, 255, 256, 599] {
        let found = store
            .find_access_token(&SecretHash::of(&format!("tok{i}")))
            .await
            .unwrap();
        assert_eq!(found.unwrap().jti, format!("jti-{i}"));
    }
}

async fn users_round_trip_with_unique_usernames(store: Arc<dyn Store>) {
    use sesame_core::user::{StandardClaims, User};
    let claims = StandardClaims {
        email: Some("alice@example.com".into()),
        email_verified: Some(true),
        name: Some("Alice Liddell".into()),
        ..Default::default()
    };
    let mut alice = User::new("alice", claims, 100).unwrap();
    alice.password_hash = Some("$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaA".into());
    assert!(store.insert_user(&alice).await.unwrap());
    let twin = User::new("alice", StandardClaims::default(), 100).unwrap();
    assert!(
        !store.insert_user(&twin).await.unwrap(),
        "usernames are unique"
    );
    assert_eq!(store.get_user(&alice.id).await.unwrap().unwrap(), alice);
    assert_eq!(
        store.get_user_by_username("alice").await.unwrap().unwrap(),
        alice
    );
    assert!(
        store.get_user_by_username("Alice").await.unwrap().is_none(),
        "case matters"
    );

    let bob = User::new("bob", StandardClaims::default(), 100).unwrap();
    assert!(store.insert_user(&bob).await.unwrap());
    let mut renamed = bob.clone();
    renamed.username = "alice".into();
    assert!(
        !store.update_user(&renamed).await.unwrap(),
        "cannot take a used username"
    );
    alice.disabled = true;
    alice.updated_at = 200;
    assert!(store.update_user(&alice).await.unwrap());
    assert!(store.get_user(&alice.id).await.unwrap().unwrap().disabled);
    let names: Vec<String> = store
        .list_users()
        .await
        .unwrap()
        .into_iter()
        .map(|u| u.username)
        .collect();
    assert_eq!(names, ["alice", "bob"]);
    assert!(store.delete_user(&bob.id).await.unwrap());
    assert!(!store.delete_user(&bob.id).await.unwrap());
}

fn grant(grant_id: &str) -> Grant {
    Grant {
        grant_id: grant_id.into(),
        client_id: "web".into(),
        user_id: "usr_1".into(),
        scope: Scopes::parse("openid offline_access").unwrap(),
        auth_time: 90,
        sid: Some("sid-1".into()),
        claims: ClaimsRequest {
            userinfo: vec!["email".into()],
            id_token: Vec::new(),
        },
    }
}

async fn codes_are_spent_once_under_concurrency(store: Arc<dyn Store>) {
    let hash = SecretHash::of("code-1");
    let code = StoredCode {
        code_hash: hash.clone(),
        grant: grant("g1"),
        data: CodeData {
            redirect_uri: "https://app.example/cb".into(),
            code_challenge: Some("c".repeat(43)),
            nonce: Some("n".into()),
        },
        expires_at: 160,
        used_at: None,
    };
    store.insert_code(&code).await.unwrap();
    assert_eq!(store.find_code(&hash).await.unwrap().unwrap(), code);
    assert!(
        store
            .consume_code(&hash, "other", 100)
            .await
            .unwrap()
            .is_none(),
        "another client's"
    );
    assert!(
        store
            .consume_code(&hash, "web", 160)
            .await
            .unwrap()
            .is_none(),
        "expired"
    );
    let attempts = (0..12).map(|_| {
        let store = Arc::clone(&store);
        let hash = hash.clone();
        tokio::spawn(async move { store.consume_code(&hash, "web", 100).await.unwrap() })
    });
    let mut wins = Vec::new();
    for a in attempts {
        wins.extend(a.await.unwrap());
    }
    assert_eq!(wins.len(), 1, "exactly one racing redemption wins");
    assert_eq!(wins[0].grant, code.grant);
    assert_eq!(
        store.find_code(&hash).await.unwrap().unwrap().used_at,
        Some(100)
    );
}

async fn refresh_rotation_and_grant_revocation(store: Arc<dyn Store>) {
    let first = StoredRefreshToken {
        token_hash: SecretHash::of("srt_1"),
        grant: grant("g2"),
        issued_at: 100,
        expires_at: 1000,
        used_at: None,
        revoked_at: None,
    };
    store.insert_refresh_token(&first).await.unwrap();
    assert!(
        store
            .use_refresh_token(&first.token_hash, "other", 110)
            .await
            .unwrap()
            .is_none()
    );
    let used = store
        .use_refresh_token(&first.token_hash, "web", 110)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(used.grant, first.grant);
    assert!(
        store
            .use_refresh_token(&first.token_hash, "web", 111)
            .await
            .unwrap()
            .is_none(),
        "rotated"
    );
    let second = StoredRefreshToken {
        token_hash: SecretHash::of("srt_2"),
        issued_at: 110,
        ..first.clone()
    };
    store.insert_refresh_token(&second).await.unwrap();
    // An access token of the grant (a JWT's record) and one of another grant.
    let mut mine = token(&SecretHash::of("jwt-of-g2"), 1000);
    mine.jti = "jti-g2".into();
    mine.grant_id = Some("g2".into());
    mine.userinfo_claims = vec!["email".into()];
    store.insert_access_token(&mine).await.unwrap();
    assert_eq!(
        store
            .find_access_token(&mine.token_hash)
            .await
            .unwrap()
            .unwrap(),
        mine
    );
    let mut other = token(&SecretHash::of("sat_other"), 1000);
    other.jti = "jti-other".into();
    other.grant_id = Some("g3".into());
    store.insert_access_token(&other).await.unwrap();

    assert!(!store.is_grant_revoked("g2").await.unwrap());
    store.revoke_grant("g2", 120, 5000).await.unwrap();
    store.revoke_grant("g2", 130, 5000).await.unwrap();
    assert!(store.is_grant_revoked("g2").await.unwrap());
    assert!(!store.is_grant_revoked("g3").await.unwrap());
    assert_eq!(
        store
            .find_refresh_token(&second.token_hash)
            .await
            .unwrap()
            .unwrap()
            .revoked_at,
        Some(120)
    );
    assert!(
        store
            .use_refresh_token(&second.token_hash, "web", 121)
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(
        store
            .find_access_token(&mine.token_hash)
            .await
            .unwrap()
            .unwrap()
            .revoked_at,
        Some(120)
    );
    assert!(store.is_jti_revoked("jti-g2").await.unwrap());
    assert!(!store.is_jti_revoked("jti-other").await.unwrap());
    assert_eq!(
        store
            .find_access_token(&other.token_hash)
            .await
            .unwrap()
            .unwrap()
            .revoked_at,
        None
    );
}

async fn sessions_pending_authorizations_and_consents(store: Arc<dyn Store>) {
    let id = SecretHash::of("cookie");
    let session = BrowserSession {
        sid: "sid".into(),
        user_id: "usr_1".into(),
        auth_time: 100,
        expires_at: 1000,
    };
    store.insert_session(&id, &session).await.unwrap();
    assert_eq!(store.get_session(&id).await.unwrap().unwrap(), session);
    store.delete_session(&id).await.unwrap();
    assert!(store.get_session(&id).await.unwrap().is_none());

    let request: AuthorizationRequest = serde_json::from_value(serde_json::json!({
        "client_id": "web", "redirect_uri": "https://app.example/cb",
        "response_type": {"code": true, "id_token": false, "token": false},
        "response_mode": "query", "scope": "openid", "state": "s"
    }))
    .unwrap();
    let mut pending = PendingAuthorization {
        id: "p1".into(),
        browser: PendingAuthorization::browser_binding("browser"),
        request,
        user_id: None,
        expires_at: 700,
    };
    store.insert_pending(&pending).await.unwrap();
    pending.user_id = Some("usr_1".into());
    assert!(store.update_pending(&pending).await.unwrap());
    assert_eq!(store.get_pending("p1").await.unwrap().unwrap(), pending);
    let takers = (0..8).map(|_| {
        let store = Arc::clone(&store);
        tokio::spawn(async move { store.take_pending("p1").await.unwrap() })
    });
    let mut taken = 0;
    for t in takers {
        taken += usize::from(t.await.unwrap().is_some());
    }
    assert_eq!(
        taken, 1,
        "a pending authorization is resumed to the end once"
    );
    assert!(!store.update_pending(&pending).await.unwrap());

    assert!(store.get_consent("usr_1", "web").await.unwrap().is_none());
    store
        .put_consent("usr_1", "web", &Scopes::parse("openid").unwrap(), 1)
        .await
        .unwrap();
    store
        .put_consent("usr_1", "web", &Scopes::parse("openid email").unwrap(), 2)
        .await
        .unwrap();
    assert_eq!(
        store
            .get_consent("usr_1", "web")
            .await
            .unwrap()
            .unwrap()
            .to_string(),
        "openid email"
    );
}

async fn login_failures_count_lock_and_clear(store: Arc<dyn Store>) {
    assert_eq!(
        store.record_login_failure("alice", 100, 0).await.unwrap(),
        1
    );
    assert_eq!(
        store.record_login_failure("alice", 101, 0).await.unwrap(),
        2
    );
    assert_eq!(store.record_login_failure("bob", 101, 0).await.unwrap(), 1);
    // Failures before the window no longer count.
    assert_eq!(
        store.record_login_failure("alice", 500, 200).await.unwrap(),
        1
    );
    assert!(
        store
            .login_locked_until("alice", 500)
            .await
            .unwrap()
            .is_none()
    );
    store.lock_login("alice", 900).await.unwrap();
    assert_eq!(
        store.login_locked_until("alice", 500).await.unwrap(),
        Some(900)
    );
    assert!(
        store
            .login_locked_until("alice", 900)
            .await
            .unwrap()
            .is_none(),
        "over at 900"
    );
    store.clear_login_failures("alice").await.unwrap();
    assert!(
        store
            .login_locked_until("alice", 500)
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(
        store.record_login_failure("alice", 501, 200).await.unwrap(),
        1
    );
}

async fn device_codes_settle_once_and_redeem_once(store: Arc<dyn Store>) {
    let hash = SecretHash::of("sdc_1");
    let code = DeviceCode {
        device_code_hash: hash.clone(),
        user_code: "BCDFGHJK".into(),
        client_id: "tv".into(),
        scope: Scopes::parse("openid").unwrap(),
        status: DeviceStatus::Pending,
        grant: None,
        interval: 5,
        last_polled_at: None,
        expires_at: 700,
    };
    assert!(store.insert_device_code(&code).await.unwrap());
    let twin = DeviceCode {
        device_code_hash: SecretHash::of("sdc_2"),
        ..code.clone()
    };
    assert!(
        !store.insert_device_code(&twin).await.unwrap(),
        "user codes are unique"
    );
    assert_eq!(store.find_device_code(&hash).await.unwrap().unwrap(), code);
    store.poll_device_code(&hash, 100, 10).await.unwrap();
    let polled = store
        .find_device_code_by_user_code("BCDFGHJK")
        .await
        .unwrap()
        .unwrap();
    assert_eq!((polled.last_polled_at, polled.interval), (Some(100), 10));
    assert!(
        store
            .redeem_device_code(&hash, "tv", 110)
            .await
            .unwrap()
            .is_none(),
        "not approved yet"
    );

    assert!(
        !store
            .settle_device_code("BCDFGHJK", DeviceStatus::Approved, Some(&grant("g9")), 700)
            .await
            .unwrap(),
        "expired"
    );
    assert!(
        store
            .settle_device_code("BCDFGHJK", DeviceStatus::Approved, Some(&grant("g9")), 120)
            .await
            .unwrap()
    );
    assert!(
        !store
            .settle_device_code("BCDFGHJK", DeviceStatus::Denied, None, 121)
            .await
            .unwrap(),
        "answered once"
    );
    assert!(
        store
            .redeem_device_code(&hash, "other", 130)
            .await
            .unwrap()
            .is_none()
    );
    let racers = (0..8).map(|_| {
        let store = Arc::clone(&store);
        let hash = hash.clone();
        tokio::spawn(async move { store.redeem_device_code(&hash, "tv", 130).await.unwrap() })
    });
    let mut won = Vec::new();
    for r in racers {
        won.extend(r.await.unwrap());
    }
    assert_eq!(won.len(), 1, "one redemption");
    assert_eq!(won[0].grant.as_ref().unwrap().grant_id, "g9");
    assert_eq!(
        store.find_device_code(&hash).await.unwrap().unwrap().status,
        DeviceStatus::Redeemed
    );
}

async fn oauth1_secrets_and_credentials(store: Arc<dyn Store>) {
    let secret = Secret::new("s".repeat(40));
    store
        .insert_client(&service_client("legacy", &secret, ""))
        .await
        .unwrap();
    store.put_oauth1_secret("legacy", b"\x00one").await.unwrap();
    store.put_oauth1_secret("legacy", b"\x00two").await.unwrap();
    assert_eq!(
        store.get_oauth1_secret("legacy").await.unwrap().unwrap(),
        b"\x00two"
    );
    assert!(store.delete_client("legacy").await.unwrap());
    assert!(
        store.get_oauth1_secret("legacy").await.unwrap().is_none(),
        "gone with the client"
    );

    let temporary = Oauth1Token {
        token: "tmp".into(),
        kind: Oauth1Kind::Temporary,
        client_id: "legacy".into(),
        sealed_secret: b"\x00ts".to_vec(),
        callback: Some("oob".into()),
        verifier_hash: None,
        user_id: None,
        status: Oauth1Status::Pending,
        expires_at: 700,
    };
    store.insert_oauth1_token(&temporary).await.unwrap();
    assert_eq!(
        store.find_oauth1_token("tmp").await.unwrap().unwrap(),
        temporary
    );
    assert!(
        store
            .exchange_oauth1_token("tmp", "legacy", 100)
            .await
            .unwrap()
            .is_none(),
        "not approved"
    );
    let verifier = SecretHash::of("v");
    assert!(
        !store
            .answer_oauth1_token(
                "tmp",
                Oauth1Status::Authorized,
                Some("usr_1"),
                Some(&verifier),
                700
            )
            .await
            .unwrap()
    );
    assert!(
        store
            .answer_oauth1_token(
                "tmp",
                Oauth1Status::Authorized,
                Some("usr_1"),
                Some(&verifier),
                100
            )
            .await
            .unwrap()
    );
    assert!(
        !store
            .answer_oauth1_token("tmp", Oauth1Status::Denied, None, None, 101)
            .await
            .unwrap(),
        "answered once"
    );
    let racers = (0..8).map(|_| {
        let store = Arc::clone(&store);
        tokio::spawn(async move {
            store
                .exchange_oauth1_token("tmp", "legacy", 110)
                .await
                .unwrap()
        })
    });
    let mut won = Vec::new();
    for r in racers {
        won.extend(r.await.unwrap());
    }
    assert_eq!(won.len(), 1, "temporary credentials are exchanged once");
    assert_eq!(won[0].user_id.as_deref(), Some("usr_1"));
    assert_eq!(won[0].verifier_hash, Some(verifier));
}

async fn federation_links_are_atomic_and_states_single_use(store: Arc<dyn Store>) {
    let connection: Connection = serde_json::from_value(serde_json::json!({
        "id": "corp", "kind": "oidc", "display_name": "Corp", "issuer": "https://idp.example",
        "client_id": "sesame"
    }))
    .unwrap();
    store
        .upsert_connection(&connection, b"\x00s1")
        .await
        .unwrap();
    store
        .upsert_connection(&connection, b"\x00s2")
        .await
        .unwrap();
    assert_eq!(
        store.get_connection("corp").await.unwrap().unwrap(),
        (connection.clone(), b"\x00s2".to_vec())
    );
    assert_eq!(store.list_connections().await.unwrap(), vec![connection]);

    let user = User::new("corp:abc", Default::default(), 1).unwrap();
    assert!(
        store
            .create_linked_user(&user, "corp", "sub-1", 1)
            .await
            .unwrap()
    );
    assert_eq!(
        store
            .find_linked_user("corp", "sub-1")
            .await
            .unwrap()
            .as_deref(),
        Some(user.id.as_str())
    );
    // The same subject again, with another user: neither the user nor the link is made.
    let twin = User::new("corp:def", Default::default(), 1).unwrap();
    assert!(
        !store
            .create_linked_user(&twin, "corp", "sub-1", 1)
            .await
            .unwrap()
    );
    assert!(
        store.get_user(&twin.id).await.unwrap().is_none(),
        "no half-made user"
    );
    assert!(
        store
            .link_identity("corp", "sub-2", &user.id, 2)
            .await
            .unwrap()
    );
    assert!(
        !store
            .link_identity("corp", "sub-2", &user.id, 2)
            .await
            .unwrap()
    );
    assert_eq!(
        store.list_linked_identities(&user.id).await.unwrap().len(),
        2
    );
    assert!(store.unlink_identity(&user.id, "corp").await.unwrap());
    assert!(
        store
            .find_linked_user("corp", "sub-1")
            .await
            .unwrap()
            .is_none()
    );

    let state = FederationState::new("corp", "pending-1", "browser".into(), 100);
    store.insert_federation_state(&state).await.unwrap();
    let takers = (0..8).map(|_| {
        let store = Arc::clone(&store);
        let key = state.state.clone();
        tokio::spawn(async move { store.take_federation_state(&key).await.unwrap() })
    });
    let mut taken = Vec::new();
    for t in takers {
        taken.extend(t.await.unwrap());
    }
    assert_eq!(taken, vec![state], "a callback is accepted once");
    assert!(store.delete_connection("corp").await.unwrap());
}
