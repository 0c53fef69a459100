//! `FederationStore`: connections, identity links made with their user or not at all, and
//! round-trip states taken once.

use sesame_core::federation::{Connection, FederationState};
use sesame_core::store::Store;
use sesame_core::user::User;
use std::sync::Arc;

contract!(federation_links_are_atomic_and_states_single_use);

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
