//! `LoginThrottle`: attempts counted within a window before the guess is checked, racing
//! attempts each counted, a right guess given back, locks that keep the count.

use sesame_core::store::Store;
use std::sync::Arc;

contract!(
    attempts_count_within_the_window,
    racing_attempts_get_distinct_counts,
    a_released_attempt_is_given_back_and_never_below_zero,
    a_lock_is_taken_once_keeps_the_count_and_is_lifted_by_its_holder,
    racing_attempts_take_a_lock_once,
);

async fn attempts_count_within_the_window(store: Arc<dyn Store>) {
    assert_eq!(store.count_attempt("alice", 100, 0).await.unwrap(), 1);
    assert_eq!(store.count_attempt("alice", 101, 0).await.unwrap(), 2);
    assert_eq!(
        store.count_attempt("bob", 101, 0).await.unwrap(),
        1,
        "per key"
    );
    // Attempts before the window no longer count.
    assert_eq!(store.count_attempt("alice", 500, 200).await.unwrap(), 1);
    store.clear_login_failures("alice").await.unwrap();
    assert_eq!(store.count_attempt("alice", 501, 200).await.unwrap(), 1);
}

/// The race of a throttle checked before and counted after the guess: here every racing
/// attempt is counted first, so at most `max` of them can see a count within the limit.
async fn racing_attempts_get_distinct_counts(store: Arc<dyn Store>) {
    let racers: Vec<_> = (0..24)
        .map(|_| {
            let store = Arc::clone(&store);
            tokio::spawn(async move { store.count_attempt("alice", 100, 0).await.unwrap() })
        })
        .collect();
    let mut counts = Vec::new();
    for r in racers {
        counts.push(r.await.unwrap());
    }
    counts.sort();
    assert_eq!(counts, (1..=24).collect::<Vec<u32>>());
}

async fn a_released_attempt_is_given_back_and_never_below_zero(store: Arc<dyn Store>) {
    store.count_attempt("alice", 100, 0).await.unwrap();
    store.count_attempt("alice", 101, 0).await.unwrap();
    store.release_attempt("alice", false).await.unwrap();
    assert_eq!(store.count_attempt("alice", 102, 0).await.unwrap(), 2);
    for _ in 0..3 {
        store.release_attempt("alice", false).await.unwrap();
    }
    store.release_attempt("nobody", true).await.unwrap();
    assert_eq!(store.count_attempt("alice", 103, 0).await.unwrap(), 1);
}

async fn a_lock_is_taken_once_keeps_the_count_and_is_lifted_by_its_holder(store: Arc<dyn Store>) {
    assert!(
        !store.take_lock("alice", 100, 900).await.unwrap(),
        "no attempts, nothing to lock"
    );
    for t in 0..3 {
        store.count_attempt("alice", 100 + t, 0).await.unwrap();
    }
    assert!(
        store
            .login_locked_until("alice", 500)
            .await
            .unwrap()
            .is_none()
    );
    assert!(store.take_lock("alice", 500, 900).await.unwrap());
    assert!(
        !store.take_lock("alice", 600, 700).await.unwrap(),
        "locked already"
    );
    assert_eq!(
        store.login_locked_until("alice", 600).await.unwrap(),
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
    assert_eq!(
        store.count_attempt("alice", 901, 0).await.unwrap(),
        4,
        "kept"
    );
    assert!(
        store.take_lock("alice", 901, 1200).await.unwrap(),
        "after it ends, again"
    );
    store.release_attempt("alice", true).await.unwrap();
    assert!(
        store
            .login_locked_until("alice", 902)
            .await
            .unwrap()
            .is_none(),
        "lifted"
    );
    store.clear_login_failures("alice").await.unwrap();
    assert_eq!(store.count_attempt("alice", 903, 0).await.unwrap(), 1);
}

async fn racing_attempts_take_a_lock_once(store: Arc<dyn Store>) {
    store.count_attempt("alice", 100, 0).await.unwrap();
    let racers: Vec<_> = (0..16)
        .map(|_| {
            let store = Arc::clone(&store);
            tokio::spawn(async move { store.take_lock("alice", 100, 400).await.unwrap() })
        })
        .collect();
    let mut taken = 0;
    for r in racers {
        taken += usize::from(r.await.unwrap());
    }
    assert_eq!(taken, 1);
}
