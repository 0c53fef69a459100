//! `LoginThrottle`: failures counted within a window, locks, and clearing on success.

use sesame_core::store::Store;
use std::sync::Arc;

contract!(login_failures_count_lock_and_clear);

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
