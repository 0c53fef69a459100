//! `TokenStore`: opaque access tokens by hash, first revocation kept, revoked JWT `jti`s.

use crate::token;
use sesame_core::secret::SecretHash;
use sesame_core::store::Store;
use std::sync::Arc;

contract!(
    opaque_tokens_and_revoked_jtis,
    concurrent_token_inserts_are_all_committed
);

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
