//! `Oauth1Store`: consumer secrets (gone with their client), temporary credentials answered
//! once and exchanged once.

use sesame_core::oauth1::{Oauth1Token, TokenKind as Oauth1Kind, TokenStatus as Oauth1Status};
use sesame_core::secret::{Secret, SecretHash};
use sesame_core::store::Store;
use sesame_core::testing::service_client;
use std::sync::Arc;

contract!(oauth1_secrets_and_credentials);

async fn oauth1_secrets_and_credentials(store: Arc<dyn Store>) {
    let secret = Secret::new("s".repeat(40));
    store
        .insert_client(&service_client("legacy", &secret, ""))
        .await
        .unwrap();
    store.put_oauth1_secret("legacy", b"\x00one").await.unwrap();
    store.put_oauth1_secret("legacy", b"\x00two").await.unwrap();
    assert_eq!(
        store.get_oauth1_secret("legacy").await.unwrap().unwrap(),
        b"\x00two"
    );
    assert!(store.delete_client("legacy").await.unwrap());
    assert!(
        store.get_oauth1_secret("legacy").await.unwrap().is_none(),
        "gone with the client"
    );

    let temporary = Oauth1Token {
        token: "tmp".into(),
        kind: Oauth1Kind::Temporary,
        client_id: "legacy".into(),
        sealed_secret: b"\x00ts".to_vec(),
        callback: Some("oob".into()),
        verifier_hash: None,
        user_id: None,
        status: Oauth1Status::Pending,
        expires_at: 700,
    };
    store.insert_oauth1_token(&temporary).await.unwrap();
    assert_eq!(
        store.find_oauth1_token("tmp").await.unwrap().unwrap(),
        temporary
    );
    assert!(
        store
            .exchange_oauth1_token("tmp", "legacy", 100)
            .await
            .unwrap()
            .is_none(),
        "not approved"
    );
    let verifier = SecretHash::of("v");
    assert!(
        !store
            .answer_oauth1_token(
                "tmp",
                Oauth1Status::Authorized,
                Some("usr_1"),
                Some(&verifier),
                700
            )
            .await
            .unwrap()
    );
    assert!(
        store
            .answer_oauth1_token(
                "tmp",
                Oauth1Status::Authorized,
                Some("usr_1"),
                Some(&verifier),
                100
            )
            .await
            .unwrap()
    );
    assert!(
        !store
            .answer_oauth1_token("tmp", Oauth1Status::Denied, None, None, 101)
            .await
            .unwrap(),
        "answered once"
    );
    let racers = (0..8).map(|_| {
        let store = Arc::clone(&store);
        tokio::spawn(async move {
            store
                .exchange_oauth1_token("tmp", "legacy", 110)
                .await
                .unwrap()
        })
    });
    let mut won = Vec::new();
    for r in racers {
        won.extend(r.await.unwrap());
    }
    assert_eq!(won.len(), 1, "temporary credentials are exchanged once");
    assert_eq!(won[0].user_id.as_deref(), Some("usr_1"));
    assert_eq!(won[0].verifier_hash, Some(verifier));
}
