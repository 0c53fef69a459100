//! `ClientStore`: unique client_ids, replace, update, delete with what hangs off a client.

use sesame_core::scope::Scopes;
use sesame_core::secret::Secret;
use sesame_core::store::Store;
use sesame_core::testing::service_client;
use std::sync::Arc;

contract!(
    clients_round_trip,
    upsert_keeps_created_at,
    deleting_a_client_ends_everything_issued_to_it,
);

async fn clients_round_trip(store: Arc<dyn Store>) {
    let secret = Secret::generate();
    let mut c = service_client("svc", &secret, "api:read");
    assert!(store.insert_client(&c).await.unwrap());
    assert!(
        !store.insert_client(&c).await.unwrap(),
        "a taken client_id is not inserted twice"
    );
    let got = store.get_client("svc").await.unwrap().unwrap();
    assert_eq!(got, c);
    assert!(got.secret_hash.unwrap().verify(secret.expose()));
    assert!(store.get_client("nobody").await.unwrap().is_none());

    c.metadata.scope = Scopes::parse("api:read api:write").unwrap();
    c.updated_at += 10;
    assert!(store.update_client(&c).await.unwrap());
    assert_eq!(
        store
            .get_client("svc")
            .await
            .unwrap()
            .unwrap()
            .metadata
            .scope,
        c.metadata.scope
    );
    assert!(
        !store
            .update_client(&service_client("ghost", &secret, ""))
            .await
            .unwrap()
    );

    store
        .upsert_client(&service_client("other", &secret, "x"))
        .await
        .unwrap();
    let ids: Vec<String> = store
        .list_clients()
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.client_id)
        .collect();
    assert_eq!(ids, ["other", "svc"]);

    assert!(store.delete_client("svc").await.unwrap());
    assert!(!store.delete_client("svc").await.unwrap());
    assert!(store.get_client("svc").await.unwrap().is_none());
}

async fn upsert_keeps_created_at(store: Arc<dyn Store>) {
    let secret = Secret::generate();
    let mut c = service_client("svc", &secret, "a");
    store.upsert_client(&c).await.unwrap();
    c.created_at += 100;
    c.updated_at += 100;
    c.metadata.scope = Scopes::parse("a b").unwrap();
    store.upsert_client(&c).await.unwrap();
    let got = store.get_client("svc").await.unwrap().unwrap();
    assert_eq!(got.metadata.scope, c.metadata.scope, "metadata replaced");
    assert_eq!(got.updated_at, c.updated_at);
    assert_eq!(got.created_at, c.created_at - 100, "created_at kept");
}

/// A client deleted and made again under its id inherits nothing of the old one.
async fn deleting_a_client_ends_everything_issued_to_it(store: Arc<dyn Store>) {
    use crate::{delegation, token};
    use sesame_core::delegation::{CodeData, StoredCode, StoredRefreshToken};
    use sesame_core::secret::SecretHash;
    let secret = Secret::generate();
    store
        .insert_client(&service_client("web", &secret, "openid"))
        .await
        .unwrap();
    let code = StoredCode {
        code_hash: SecretHash::of("code"),
        delegation: delegation("d1"),
        data: CodeData {
            redirect_uri: "https://app.example/cb".into(),
            code_challenge: None,
            nonce: None,
        },
        expires_at: 1000,
        used_at: None,
    };
    store.insert_code(&code).await.unwrap();
    let refresh = StoredRefreshToken {
        token_hash: SecretHash::of("srt"),
        delegation: delegation("d1"),
        issued_at: 1,
        expires_at: 1000,
        used_at: None,
        revoked_at: None,
    };
    store.insert_refresh_token(&refresh).await.unwrap();
    let mut access = token(&SecretHash::of("jwt-record"), 1000);
    access.client_id = "web".into();
    access.jti = "jti-of-web".into();
    store.insert_access_token(&access).await.unwrap();
    let scope = Scopes::parse("openid").unwrap();
    store.put_consent("usr_1", "web", &scope, 1).await.unwrap();

    assert!(store.delete_client("web").await.unwrap());
    assert!(store.find_code(&code.code_hash).await.unwrap().is_none());
    let hash = &refresh.token_hash;
    assert!(store.find_refresh_token(hash).await.unwrap().is_none());
    let hash = &access.token_hash;
    assert!(store.find_access_token(hash).await.unwrap().is_none());
    assert!(
        store.is_jti_revoked("jti-of-web").await.unwrap(),
        "its JWTs die too"
    );
    assert!(store.get_consent("usr_1", "web").await.unwrap().is_none());
}
