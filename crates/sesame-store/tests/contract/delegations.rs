//! `DelegationStore`: codes spent once, refresh tokens rotated once, and a revoked delegation
//! reaching every token issued under it.

use crate::{delegation, token};
use sesame_core::delegation::{CodeData, StoredCode, StoredRefreshToken};
use sesame_core::secret::SecretHash;
use sesame_core::store::Store;
use std::sync::Arc;

contract!(
    codes_are_spent_once_under_concurrency,
    refresh_rotation_and_delegation_revocation
);

async fn codes_are_spent_once_under_concurrency(store: Arc<dyn Store>) {
    let hash = SecretHash::of("code-1");
    let code = StoredCode {
        code_hash: hash.clone(),
        delegation: delegation("g1"),
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
    assert_eq!(wins[0].delegation, code.delegation);
    assert_eq!(
        store.find_code(&hash).await.unwrap().unwrap().used_at,
        Some(100)
    );
}

async fn refresh_rotation_and_delegation_revocation(store: Arc<dyn Store>) {
    let first = StoredRefreshToken {
        token_hash: SecretHash::of("srt_1"),
        delegation: delegation("g2"),
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
    assert_eq!(used.delegation, first.delegation);
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
    // An access token of the delegation (a JWT's record) and one of another delegation.
    let mut mine = token(&SecretHash::of("jwt-of-g2"), 1000);
    mine.jti = "jti-g2".into();
    mine.delegation_id = Some("g2".into());
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
    other.delegation_id = Some("g3".into());
    store.insert_access_token(&other).await.unwrap();

    assert!(!store.is_delegation_revoked("g2").await.unwrap());
    store.revoke_delegation("g2", 120, 5000).await.unwrap();
    store.revoke_delegation("g2", 130, 5000).await.unwrap();
    assert!(store.is_delegation_revoked("g2").await.unwrap());
    assert!(!store.is_delegation_revoked("g3").await.unwrap());
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
