//! Second factors: kept per user, a TOTP step and a recovery code spent once even by racing
//! nodes, never an older step after a newer one, and gone with the user.

use crate::race;
use sesame_core::mfa::{Factor, recovery};
use sesame_core::store::Store;
use sesame_core::user::{StandardClaims, User};
use std::sync::Arc;

contract!(
    factors_are_listed_removed_and_go_with_their_user,
    a_totp_step_is_spent_once_and_never_an_older_one_after,
    recovery_codes_are_spent_once_and_replaced_whole,
    a_passkey_is_registered_once_found_by_its_credential_and_updated_by_compare_and_set,
    a_ceremony_is_taken_once_and_not_after_it_expires,
);

async fn user(store: &Arc<dyn Store>, name: &str) -> User {
    let user = User::new(name, StandardClaims::default(), 100).unwrap();
    assert!(store.insert_user(&user).await.unwrap());
    user
}

fn totp(user: &User, name: &str, created_at: i64) -> Factor {
    Factor::totp(None, &user.id, name, b"12345678901234567890", created_at).unwrap()
}

async fn factors_are_listed_removed_and_go_with_their_user(store: Arc<dyn Store>) {
    let alice = user(&store, "alice").await;
    let bob = user(&store, "bob").await;
    let phone = totp(&alice, "Phone", 200);
    let tablet = totp(&alice, "Tablet", 100);
    store.insert_factor(&phone).await.unwrap();
    store.insert_factor(&tablet).await.unwrap();
    store
        .insert_factor(&totp(&bob, "Bob's", 100))
        .await
        .unwrap();
    let listed = store.list_factors(&alice.id).await.unwrap();
    assert_eq!(
        listed,
        [tablet.clone(), phone.clone()],
        "oldest first, as stored"
    );
    assert_eq!(
        listed[1].totp_secret(None).unwrap(),
        b"12345678901234567890"
    );
    assert!(
        !store.delete_factor(&bob.id, &phone.id).await.unwrap(),
        "not bob's"
    );
    assert!(store.delete_factor(&alice.id, &phone.id).await.unwrap());
    assert_eq!(store.list_factors(&alice.id).await.unwrap(), [tablet]);
    let (_, hashes) = recovery::generate();
    store
        .replace_recovery_codes(&alice.id, &hashes, 100)
        .await
        .unwrap();
    assert!(store.delete_user(&alice.id).await.unwrap());
    assert!(store.list_factors(&alice.id).await.unwrap().is_empty());
    assert_eq!(store.unused_recovery_codes(&alice.id).await.unwrap(), 0);
    assert_eq!(store.list_factors(&bob.id).await.unwrap().len(), 1);
}

async fn a_totp_step_is_spent_once_and_never_an_older_one_after(store: Arc<dyn Store>) {
    let alice = user(&store, "alice").await;
    let phone = totp(&alice, "Phone", 100);
    store.insert_factor(&phone).await.unwrap();
    let (user_id, id) = (alice.id.clone(), phone.id.clone());
    let winners = race(|| {
        let (store, user_id, id) = (store.clone(), user_id.clone(), id.clone());
        async move {
            let spent = store.spend_totp_step(&user_id, &id, 50, 1500).await;
            spent.unwrap().then_some(())
        }
    })
    .await;
    assert_eq!(winners.len(), 1, "one of the racers spends the step");
    assert!(
        !store
            .spend_totp_step(&user_id, &id, 49, 1501)
            .await
            .unwrap()
    );
    assert!(
        store
            .spend_totp_step(&user_id, &id, 51, 1530)
            .await
            .unwrap()
    );
    let stored = &store.list_factors(&user_id).await.unwrap()[0];
    assert_eq!(
        (stored.last_step, stored.last_used_at),
        (Some(51), Some(1530))
    );
    assert!(
        !store
            .spend_totp_step(&user_id, "fct_none", 99, 1)
            .await
            .unwrap()
    );
}

async fn recovery_codes_are_spent_once_and_replaced_whole(store: Arc<dyn Store>) {
    let alice = user(&store, "alice").await;
    let (codes, hashes) = recovery::generate();
    store
        .replace_recovery_codes(&alice.id, &hashes, 100)
        .await
        .unwrap();
    assert_eq!(store.unused_recovery_codes(&alice.id).await.unwrap(), 10);
    let code = recovery::hash(&codes[0]);
    let user_id = alice.id.clone();
    let winners = race(|| {
        let (store, user_id, code) = (store.clone(), user_id.clone(), code.clone());
        async move {
            let spent = store.spend_recovery_code(&user_id, &code, 200).await;
            spent.unwrap().then_some(())
        }
    })
    .await;
    assert_eq!(winners.len(), 1, "one of the racers spends the code");
    assert_eq!(store.unused_recovery_codes(&alice.id).await.unwrap(), 9);
    let bob = user(&store, "bob").await;
    let other = recovery::hash(&codes[1]);
    assert!(
        !store
            .spend_recovery_code(&bob.id, &other, 200)
            .await
            .unwrap(),
        "alice's"
    );
    let (_, fresh) = recovery::generate();
    store
        .replace_recovery_codes(&alice.id, &fresh, 300)
        .await
        .unwrap();
    assert!(
        !store
            .spend_recovery_code(&alice.id, &other, 300)
            .await
            .unwrap(),
        "replaced"
    );
    assert_eq!(store.unused_recovery_codes(&alice.id).await.unwrap(), 10);
}

async fn a_passkey_is_registered_once_found_by_its_credential_and_updated_by_compare_and_set(
    store: Arc<dyn Store>,
) {
    let alice = user(&store, "alice").await;
    let bob = user(&store, "bob").await;
    let key = Factor::passkey(
        &alice.id,
        "Laptop",
        "cred-1",
        b"{\"counter\":1}".to_vec(),
        100,
    );
    assert!(store.insert_passkey(&key).await.unwrap());
    let copy = Factor::passkey(&bob.id, "Stolen", "cred-1", b"{}".to_vec(), 100);
    assert!(
        !store.insert_passkey(&copy).await.unwrap(),
        "one credential, one account"
    );
    let found = store.find_passkey("cred-1").await.unwrap().unwrap();
    assert_eq!(found, key);
    assert!(store.find_passkey("cred-2").await.unwrap().is_none());
    let later = b"{\"counter\":2}";
    assert!(
        store
            .update_passkey(&alice.id, &key.id, &key.secret, later, 200)
            .await
            .unwrap()
    );
    assert!(
        !store
            .update_passkey(&alice.id, &key.id, &key.secret, b"{}", 201)
            .await
            .unwrap(),
        "a stale read loses"
    );
    let stored = store.find_passkey("cred-1").await.unwrap().unwrap();
    assert_eq!(
        (stored.secret.as_slice(), stored.last_used_at),
        (&later[..], Some(200))
    );
    assert_eq!(stored.kind, sesame_core::mfa::FactorKind::Passkey);
}

async fn a_ceremony_is_taken_once_and_not_after_it_expires(store: Arc<dyn Store>) {
    store.put_ceremony("c1", "state-1", 500).await.unwrap();
    store.put_ceremony("c2", "state-2", 500).await.unwrap();
    assert_eq!(
        store.take_ceremony("c1", 100).await.unwrap().as_deref(),
        Some("state-1")
    );
    assert_eq!(store.take_ceremony("c1", 100).await.unwrap(), None, "once");
    assert_eq!(
        store.take_ceremony("c2", 500).await.unwrap(),
        None,
        "expired"
    );
    assert_eq!(store.take_ceremony("none", 100).await.unwrap(), None);
}
