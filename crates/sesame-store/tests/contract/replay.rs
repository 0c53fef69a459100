//! `ReplayStore`: a client assertion's `jti` is accepted once, per client, under races.

use sesame_core::store::Store;
use std::sync::Arc;

contract!(assertion_jti_is_single_use_under_concurrency);

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
