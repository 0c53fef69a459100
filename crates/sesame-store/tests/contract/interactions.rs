//! `InteractionStore`: browser sessions, pending authorizations taken once, consents replaced.

use sesame_core::authorize::AuthorizationRequest;
use sesame_core::authorize::pending::PendingAuthorization;
use sesame_core::scope::Scopes;
use sesame_core::secret::SecretHash;
use sesame_core::session::BrowserSession;
use sesame_core::store::Store;
use std::sync::Arc;

contract!(sessions_pending_authorizations_and_consents);

async fn sessions_pending_authorizations_and_consents(store: Arc<dyn Store>) {
    let id = SecretHash::of("cookie");
    let session = BrowserSession {
        sid: "sid".into(),
        user_id: "usr_1".into(),
        auth_time: 100,
        expires_at: 1000,
        amr: vec!["pwd".into(), "otp".into(), "mfa".into()],
    };
    store.insert_session(&id, &session).await.unwrap();
    assert_eq!(store.get_session(&id).await.unwrap().unwrap(), session);
    store.delete_session(&id).await.unwrap();
    assert!(store.get_session(&id).await.unwrap().is_none());

    let request: AuthorizationRequest = serde_json::from_value(serde_json::json!({
        "client_id": "web", "redirect_uri": "https://app.example/cb",
        "response_type": {"code": true, "id_token": false, "token": false},
        "response_mode": "query", "scope": "openid", "state": "s"
    }))
    .unwrap();
    let mut pending = PendingAuthorization {
        id: "p1".into(),
        browser: PendingAuthorization::browser_binding("browser"),
        request,
        user_id: None,
        first_factor: None,
        expires_at: 700,
    };
    store.insert_pending(&pending).await.unwrap();
    pending.user_id = Some("usr_1".into());
    assert!(store.update_pending(&pending).await.unwrap());
    assert_eq!(store.get_pending("p1").await.unwrap().unwrap(), pending);
    let takers = (0..8).map(|_| {
        let store = Arc::clone(&store);
        tokio::spawn(async move { store.take_pending("p1").await.unwrap() })
    });
    let mut taken = 0;
    for t in takers {
        taken += usize::from(t.await.unwrap().is_some());
    }
    assert_eq!(
        taken, 1,
        "a pending authorization is resumed to the end once"
    );
    assert!(!store.update_pending(&pending).await.unwrap());

    assert!(store.get_consent("usr_1", "web").await.unwrap().is_none());
    store
        .put_consent("usr_1", "web", &Scopes::parse("openid").unwrap(), 1)
        .await
        .unwrap();
    store
        .put_consent("usr_1", "web", &Scopes::parse("openid email").unwrap(), 2)
        .await
        .unwrap();
    assert_eq!(
        store
            .get_consent("usr_1", "web")
            .await
            .unwrap()
            .unwrap()
            .to_string(),
        "openid email"
    );
}
