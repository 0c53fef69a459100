//! `UserStore`: unique, case-sensitive usernames; updates that would take a used name fail.

use sesame_core::store::Store;
use std::sync::Arc;

contract!(users_round_trip_with_unique_usernames);

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
