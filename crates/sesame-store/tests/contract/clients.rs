//! `ClientStore`: unique client_ids, replace, update, delete with what hangs off a client.

use sesame_core::scope::Scopes;
use sesame_core::secret::Secret;
use sesame_core::store::Store;
use sesame_core::testing::service_client;
use std::sync::Arc;

contract!(clients_round_trip, upsert_keeps_created_at);

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
