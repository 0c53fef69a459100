//! `Maintenance`: the sweep removes every kind of expired row in bounded batches, keeps spent
//! single-use records [`SPENT_RETENTION`] seconds past expiry, and runs on one node at a time.

use crate::{delegation, token};
use sesame_core::authorize::pending::PendingAuthorization;
use sesame_core::delegation::{CodeData, StoredCode, StoredRefreshToken};
use sesame_core::device::{DeviceCode, DeviceStatus};
use sesame_core::federation::FederationState;
use sesame_core::keys::{Algorithm, StoredKey};
use sesame_core::oauth1::{Oauth1Token, TokenKind, TokenStatus};
use sesame_core::scope::Scopes;
use sesame_core::secret::SecretHash;
use sesame_core::session::BrowserSession;
use sesame_core::store::{SPENT_RETENTION, Store};
use std::sync::Arc;

contract!(
    sweep_removes_only_expired_rows,
    sweep_reaches_every_kind,
    spent_single_use_records_outlive_expiry_by_the_retention,
    migrate_is_idempotent,
);

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
    assert_eq!(kids(&store).await, [active.kid]);
}

/// The kids of the keys the store still has.
async fn kids(store: &Arc<dyn Store>) -> Vec<String> {
    let keys = store.list_signing_keys().await.unwrap();
    keys.into_iter().map(|k| k.kid).collect()
}

async fn migrate_is_idempotent(store: Arc<dyn Store>) {
    store.migrate().await.unwrap();
    store.ping().await.unwrap();
}

const NOW: i64 = 10_000;

fn code(name: &str, expires_at: i64) -> StoredCode {
    StoredCode {
        code_hash: SecretHash::of(name),
        delegation: delegation(name),
        data: CodeData {
            redirect_uri: "https://app.example/cb".into(),
            code_challenge: None,
            nonce: None,
        },
        expires_at,
        used_at: Some(expires_at - 50),
    }
}

fn device_code(name: &str, user_code: &str, expires_at: i64) -> DeviceCode {
    DeviceCode {
        device_code_hash: SecretHash::of(name),
        user_code: user_code.into(),
        client_id: "tv".into(),
        scope: Scopes::parse("openid").unwrap(),
        status: DeviceStatus::Redeemed,
        delegation: None,
        interval: 5,
        last_polled_at: None,
        expires_at,
    }
}

fn oauth1_token(name: &str, expires_at: i64) -> Oauth1Token {
    Oauth1Token {
        token: name.into(),
        kind: TokenKind::Temporary,
        client_id: "legacy".into(),
        sealed_secret: b"\x00s".to_vec(),
        callback: None,
        verifier_hash: None,
        user_id: None,
        status: TokenStatus::Used,
        expires_at,
    }
}

fn pending(id: &str, expires_at: i64) -> PendingAuthorization {
    PendingAuthorization {
        id: id.into(),
        browser: PendingAuthorization::browser_binding("browser"),
        request: serde_json::from_value(serde_json::json!({
            "client_id": "web", "redirect_uri": "https://app.example/cb",
            "response_type": {"code": true, "id_token": false, "token": false},
            "response_mode": "query", "scope": "openid"
        }))
        .unwrap(),
        user_id: None,
        first_factor: None,
        expires_at,
    }
}

fn session(expires_at: i64) -> BrowserSession {
    BrowserSession {
        sid: "sid".into(),
        user_id: "usr_1".into(),
        auth_time: 1,
        expires_at,
        amr: vec!["pwd".into()],
    }
}

fn refresh(name: &str, expires_at: i64) -> StoredRefreshToken {
    StoredRefreshToken {
        token_hash: SecretHash::of(name),
        delegation: delegation(name),
        issued_at: 1,
        expires_at,
        used_at: None,
        revoked_at: None,
    }
}

/// One expired and one live row of each of the thirteen kinds: the sweep takes exactly the
/// expired ones (the memory store once swept four kinds and left the rest to grow).
async fn sweep_reaches_every_kind(store: Arc<dyn Store>) {
    let (old, live) = (NOW - 1, NOW + 1);
    // Spent single-use records are kept past expiry; these are past that too.
    let (spent, kept) = (NOW - SPENT_RETENTION, NOW + 1);
    let s = &store;
    for (name, at) in [("old", old), ("live", live)] {
        let mut t = token(&SecretHash::of(&format!("sat_{name}")), at);
        t.jti = format!("jti-{name}");
        s.insert_access_token(&t).await.unwrap();
        s.revoke_jti(&format!("revoked-{name}"), at).await.unwrap();
        s.record_assertion_jti("svc", name, at).await.unwrap();
        s.insert_refresh_token(&refresh(&format!("srt_{name}"), at))
            .await
            .unwrap();
        s.insert_session(&SecretHash::of(name), &session(at))
            .await
            .unwrap();
        s.insert_pending(&pending(name, at)).await.unwrap();
        s.revoke_delegation(&format!("revoked-{name}"), 1, at)
            .await
            .unwrap();
        let mut round_trip = FederationState::new("corp", name, "browser".into(), 0);
        round_trip.state = format!("state-{name}");
        round_trip.expires_at = at;
        s.insert_federation_state(&round_trip).await.unwrap();
        // A failure at `at - 100` counting over 100 s: the row lives until `at`.
        s.count_attempt(name, at - 100, at - 200).await.unwrap();
    }
    for (name, at, user_code) in [("spent", spent, "BCDFGHJK"), ("kept", kept, "LMNPQRST")] {
        s.insert_code(&code(name, at)).await.unwrap();
        s.insert_device_code(&device_code(name, user_code, at))
            .await
            .unwrap();
        s.insert_oauth1_token(&oauth1_token(name, at))
            .await
            .unwrap();
    }
    let mut retired = StoredKey::generate(Algorithm::ES256, None, 1).unwrap();
    retired.retired_at = Some(2);
    retired.publish_until = Some(old);
    s.insert_signing_key(&retired).await.unwrap();
    let current = StoredKey::generate(Algorithm::ES256, None, 3).unwrap();
    s.insert_signing_key(&current).await.unwrap();

    assert_eq!(
        s.sweep_expired(NOW, 1).await.unwrap(),
        13,
        "one row of each kind"
    );
    assert_eq!(s.sweep_expired(NOW, 1).await.unwrap(), 0);

    for (name, gone) in [("old", true), ("live", false)] {
        let hash = SecretHash::of(&format!("sat_{name}"));
        assert_eq!(
            s.find_access_token(&hash).await.unwrap().is_none(),
            gone,
            "token {name}"
        );
        let jti = format!("revoked-{name}");
        assert_eq!(!s.is_jti_revoked(&jti).await.unwrap(), gone, "jti {name}");
        let again = s.record_assertion_jti("svc", name, live).await.unwrap();
        assert_eq!(again, gone, "assertion jti {name}");
        let hash = SecretHash::of(&format!("srt_{name}"));
        assert_eq!(
            s.find_refresh_token(&hash).await.unwrap().is_none(),
            gone,
            "refresh {name}"
        );
        let hash = SecretHash::of(name);
        assert_eq!(
            s.get_session(&hash).await.unwrap().is_none(),
            gone,
            "session {name}"
        );
        assert_eq!(
            s.get_pending(name).await.unwrap().is_none(),
            gone,
            "pending {name}"
        );
        let revoked = s.is_delegation_revoked(&jti).await.unwrap();
        assert_eq!(!revoked, gone, "revoked delegation {name}");
        let round_trip = s
            .take_federation_state(&format!("state-{name}"))
            .await
            .unwrap();
        assert_eq!(round_trip.is_none(), gone, "federation state {name}");
        // A swept failure row starts counting again at one.
        let count = s.count_attempt(name, NOW, 0).await.unwrap();
        assert_eq!(count == 1, gone, "login failures {name}");
    }
    for (name, gone) in [("spent", true), ("kept", false)] {
        let hash = SecretHash::of(name);
        assert_eq!(
            s.find_code(&hash).await.unwrap().is_none(),
            gone,
            "code {name}"
        );
        let device = s.find_device_code(&hash).await.unwrap();
        assert_eq!(device.is_none(), gone, "device code {name}");
        let oauth1 = s.find_oauth1_token(name).await.unwrap();
        assert_eq!(oauth1.is_none(), gone, "oauth1 {name}");
    }
    assert_eq!(kids(s).await, [current.kid]);
}

/// RFC 6749 §4.1.2: a code replayed after it expired must still be found, to revoke what it
/// issued. It is kept [`SPENT_RETENTION`] seconds, and not a second longer.
async fn spent_single_use_records_outlive_expiry_by_the_retention(store: Arc<dyn Store>) {
    let s = &store;
    s.insert_code(&code("c", 100)).await.unwrap();
    s.insert_device_code(&device_code("d", "BCDFGHJK", 100))
        .await
        .unwrap();
    s.insert_oauth1_token(&oauth1_token("o", 100))
        .await
        .unwrap();
    let just_before = 100 + SPENT_RETENTION - 1;
    assert_eq!(s.sweep_expired(just_before, 10).await.unwrap(), 0);
    assert!(s.find_code(&SecretHash::of("c")).await.unwrap().is_some());
    assert_eq!(s.sweep_expired(100 + SPENT_RETENTION, 10).await.unwrap(), 3);
    assert!(s.find_code(&SecretHash::of("c")).await.unwrap().is_none());
    assert!(
        s.find_device_code(&SecretHash::of("d"))
            .await
            .unwrap()
            .is_none()
    );
    assert!(s.find_oauth1_token("o").await.unwrap().is_none());
}

/// Several nodes: while one holds the sweep lock, another's sweep skips the round.
#[tokio::test]
async fn postgres_sweep_runs_on_one_node_at_a_time() {
    use sqlx::Connection;
    let Some(db) = crate::postgres().await else {
        return;
    };
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
