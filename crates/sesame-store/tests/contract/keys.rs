//! `KeyStore`: one latest key per algorithm; rotation retires and inserts in one step.

use sesame_core::keys::{Algorithm, StoredKey};
use sesame_core::store::Store;
use std::sync::Arc;

contract!(
    keys_rotate_per_algorithm,
    a_server_secret_is_created_once_for_every_node
);

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
    // Scheduled: published at 200, signing from 300, when the old key retires.
    let new_es = StoredKey {
        activates_at: 300,
        ..StoredKey::generate(Algorithm::ES256, None, 200).unwrap()
    };
    store
        .rotate_signing_keys(std::slice::from_ref(&new_es), 300, 500)
        .await
        .unwrap();

    let keys = store.list_signing_keys().await.unwrap();
    assert_eq!(keys.len(), 3);
    let find = |kid: &str| keys.iter().find(|k| k.kid == kid).unwrap().clone();
    assert_eq!(find(&es.kid).retired_at, Some(300));
    assert_eq!(find(&es.kid).publish_until, Some(500));
    assert_eq!(find(&ed.kid), ed, "other algorithms are untouched");
    assert_eq!(find(&new_es.kid), new_es, "activates_at included");
}

/// Nodes starting at once each offer a secret; every one of them gets the first stored.
async fn a_server_secret_is_created_once_for_every_node(store: Arc<dyn Store>) {
    let offers: Vec<_> = (0..8u8)
        .map(|i| {
            let store = Arc::clone(&store);
            tokio::spawn(async move { store.server_secret("csrf", &[i; 32]).await.unwrap() })
        })
        .collect();
    let mut got = Vec::new();
    for o in offers {
        got.push(o.await.unwrap());
    }
    assert!(got.iter().all(|g| *g == got[0] && g.len() == 32), "{got:?}");
    let again = store.server_secret("csrf", &[99; 32]).await.unwrap();
    assert_eq!(again, got[0], "kept, not replaced");
    let other = store.server_secret("other", &[7; 32]).await.unwrap();
    assert_eq!(other, vec![7; 32]);
}
