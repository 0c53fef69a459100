//! What the admin API reads and ends: pages of users, a user's sessions and consents, a
//! consent's revocation reaching every token under it, and the audit trail.

use crate::{delegation, token};
use sesame_core::audit::{AuditQuery, Origin, action};
use sesame_core::delegation::{CodeData, StoredCode, StoredRefreshToken};
use sesame_core::scope::Scopes;
use sesame_core::secret::SecretHash;
use sesame_core::session::BrowserSession;
use sesame_core::store::{Store, UserQuery};
use sesame_core::user::{StandardClaims, User};
use std::sync::Arc;

contract!(
    users_page_by_username_and_search_username_or_email,
    sessions_list_and_end_one_or_all,
    a_revoked_consent_ends_every_token_under_it,
    audit_events_list_newest_first_with_filters_and_sweep_by_age,
    a_change_from_a_stale_read_loses_to_the_change_made_meanwhile,
    every_delegation_of_a_user_is_revoked_at_once,
);

async fn a_change_from_a_stale_read_loses_to_the_change_made_meanwhile(store: Arc<dyn Store>) {
    use sesame_core::testing::web_client;
    let mut client = web_client("web", None);
    client.updated_at = 100;
    assert!(store.insert_client(&client).await.unwrap());
    let (mut first, mut second) = (client.clone(), client.clone());
    first.metadata.client_name = Some("First".into());
    first.updated_at = 101;
    second.metadata.client_name = Some("Second".into());
    second.updated_at = 101;
    assert!(store.replace_client(&first, 100).await.unwrap());
    assert!(
        !store.replace_client(&second, 100).await.unwrap(),
        "read before the first change"
    );
    let stored = store.get_client("web").await.unwrap().unwrap();
    assert_eq!(stored.metadata.client_name.as_deref(), Some("First"));
    // A write that carries an older time (a declared client at start) still moves the version
    // on, so a change read before it cannot land after it.
    let mut declared = first.clone();
    declared.updated_at = 50;
    store.upsert_client(&declared).await.unwrap();
    let stored = store.get_client("web").await.unwrap().unwrap();
    assert_eq!(stored.updated_at, 102);
    assert!(!store.replace_client(&second, 101).await.unwrap());
    declared.updated_at = 60;
    assert!(store.update_client(&declared).await.unwrap());
    assert_eq!(
        store.get_client("web").await.unwrap().unwrap().updated_at,
        103
    );
    let mut gone = client.clone();
    gone.client_id = "nobody".into();
    assert!(!store.replace_client(&gone, 100).await.unwrap());

    let user = User::new("ann", StandardClaims::default(), 100).unwrap();
    assert!(store.insert_user(&user).await.unwrap());
    let (mut a, mut b) = (user.clone(), user.clone());
    a.claims.name = Some("A".into());
    a.roles = vec![sesame_core::user::Role::Admin];
    a.updated_at = 101;
    b.claims.name = Some("B".into());
    b.updated_at = 101;
    assert!(store.replace_user(&a, 100).await.unwrap());
    assert!(!store.replace_user(&b, 100).await.unwrap());
    let mut older = a.clone();
    older.updated_at = 10;
    assert!(store.update_user(&older).await.unwrap());
    assert_eq!(
        store.get_user(&user.id).await.unwrap().unwrap().updated_at,
        102
    );
    older.updated_at = 101;
    let stored = store.get_user(&user.id).await.unwrap().unwrap();
    let mut expected = a.clone();
    expected.updated_at = 102;
    assert_eq!(stored, expected, "roles and claims round-trip");
}

async fn every_delegation_of_a_user_is_revoked_at_once(store: Arc<dyn Store>) {
    let scope = Scopes::parse("openid").unwrap();
    store.put_consent("usr_1", "web", &scope, 90).await.unwrap();
    for (hash, id, client) in [("r1", "d1", "web"), ("r2", "d2", "other")] {
        let mut d = delegation(id);
        d.client_id = client.into();
        let refresh = StoredRefreshToken {
            token_hash: SecretHash::of(hash),
            delegation: d,
            issued_at: 100,
            expires_at: 10_000,
            used_at: None,
            revoked_at: None,
        };
        store.insert_refresh_token(&refresh).await.unwrap();
    }
    let mut someone_else = delegation("d3");
    someone_else.user_id = "usr_2".into();
    store
        .insert_refresh_token(&StoredRefreshToken {
            token_hash: SecretHash::of("r3"),
            delegation: someone_else,
            issued_at: 100,
            expires_at: 10_000,
            used_at: None,
            revoked_at: None,
        })
        .await
        .unwrap();
    assert_eq!(
        store
            .revoke_user_delegations("usr_1", 120, 10_000)
            .await
            .unwrap(),
        2
    );
    assert!(store.is_delegation_revoked("d1").await.unwrap());
    assert!(store.is_delegation_revoked("d2").await.unwrap());
    assert!(!store.is_delegation_revoked("d3").await.unwrap());
    assert_eq!(
        store.list_consents("usr_1").await.unwrap().len(),
        1,
        "consents stay"
    );
}

async fn users_page_by_username_and_search_username_or_email(store: Arc<dyn Store>) {
    for (name, email) in [
        ("carol", Some("Carol@Example.com")),
        ("alice", Some("alice@wonder.land")),
        ("bob", None),
        ("dave_x", Some("d@example.com")),
    ] {
        let claims = StandardClaims {
            email: email.map(str::to_owned),
            ..Default::default()
        };
        assert!(
            store
                .insert_user(&User::new(name, claims, 100).unwrap())
                .await
                .unwrap()
        );
    }
    let tally = store.tally(0).await.unwrap();
    assert_eq!((tally.users, tally.clients), (4, 0), "{tally:?}");
    let page = |search: Option<&str>, after: Option<&str>, limit| UserQuery {
        search: search.map(str::to_owned),
        after: after.map(str::to_owned),
        limit,
    };
    let names =
        |users: Vec<User>| -> Vec<String> { users.into_iter().map(|u| u.username).collect() };
    let first = store.search_users(&page(None, None, 2)).await.unwrap();
    assert_eq!(names(first), ["alice", "bob"]);
    let next = store
        .search_users(&page(None, Some("bob"), 2))
        .await
        .unwrap();
    assert_eq!(names(next), ["carol", "dave_x"]);
    let found = store
        .search_users(&page(Some("EXAMPLE.com"), None, 10))
        .await
        .unwrap();
    assert_eq!(
        names(found),
        ["carol", "dave_x"],
        "email, case-insensitively"
    );
    let by_name = store
        .search_users(&page(Some("LIC"), None, 10))
        .await
        .unwrap();
    assert_eq!(names(by_name), ["alice"]);
    let wildcard = store
        .search_users(&page(Some("_"), None, 10))
        .await
        .unwrap();
    assert_eq!(
        names(wildcard),
        ["dave_x"],
        "_ is a character, not a wildcard"
    );
    let percent = store
        .search_users(&page(Some("%"), None, 10))
        .await
        .unwrap();
    assert!(percent.is_empty());
    // The email column follows updates.
    let mut bob = store.get_user_by_username("bob").await.unwrap().unwrap();
    bob.claims.email = Some("bob@example.com".into());
    assert!(store.update_user(&bob).await.unwrap());
    let found = store
        .search_users(&page(Some("example.com"), None, 10))
        .await
        .unwrap();
    assert_eq!(names(found), ["bob", "carol", "dave_x"]);
}

async fn sessions_list_and_end_one_or_all(store: Arc<dyn Store>) {
    let session = |sid: &str, user: &str, auth_time, expires_at| BrowserSession {
        sid: sid.into(),
        user_id: user.into(),
        auth_time,
        expires_at,
        amr: vec!["pwd".into()],
    };
    for (cookie, s) in [
        ("c1", session("s1", "usr_1", 100, 1000)),
        ("c2", session("s2", "usr_1", 200, 1000)),
        ("c3", session("s3", "usr_1", 50, 150)),
        ("c4", session("s4", "usr_2", 100, 1000)),
    ] {
        store
            .insert_session(&SecretHash::of(cookie), &s)
            .await
            .unwrap();
    }
    let sids = |v: Vec<BrowserSession>| -> Vec<String> { v.into_iter().map(|s| s.sid).collect() };
    let live = store.list_sessions("usr_1", 160).await.unwrap();
    assert_eq!(sids(live), ["s2", "s1"], "newest first, expired left out");
    let tally = store.tally(160).await.unwrap();
    assert_eq!(
        tally.sessions, 3,
        "unexpired sessions of every user: {tally:?}"
    );
    assert_eq!(
        store.tally(1000).await.unwrap().sessions,
        0,
        "expired at expires_at"
    );
    assert_eq!(
        store.delete_sessions("usr_2", Some("s1")).await.unwrap(),
        0,
        "another user's session is not theirs to end"
    );
    assert_eq!(store.delete_sessions("usr_1", Some("s1")).await.unwrap(), 1);
    assert!(
        store
            .get_session(&SecretHash::of("c1"))
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(store.delete_sessions("usr_1", None).await.unwrap(), 2);
    assert!(store.list_sessions("usr_1", 0).await.unwrap().is_empty());
    assert_eq!(sids(store.list_sessions("usr_2", 0).await.unwrap()), ["s4"]);

    // A deleted user's sessions and consents go with it.
    let user = User::new("gone", StandardClaims::default(), 100).unwrap();
    assert!(store.insert_user(&user).await.unwrap());
    let kept = session("s5", &user.id, 100, 1000);
    store
        .insert_session(&SecretHash::of("c5"), &kept)
        .await
        .unwrap();
    let scope = Scopes::parse("openid").unwrap();
    store
        .put_consent(&user.id, "web", &scope, 100)
        .await
        .unwrap();
    assert!(store.delete_user(&user.id).await.unwrap());
    assert!(store.list_sessions(&user.id, 0).await.unwrap().is_empty());
    assert!(store.list_consents(&user.id).await.unwrap().is_empty());
}

async fn a_revoked_consent_ends_every_token_under_it(store: Arc<dyn Store>) {
    let scope = Scopes::parse("openid offline_access").unwrap();
    store.put_consent("usr_1", "web", &scope, 90).await.unwrap();
    store
        .put_consent("usr_1", "other", &scope, 95)
        .await
        .unwrap();
    let consents = store.list_consents("usr_1").await.unwrap();
    let clients: Vec<&str> = consents.iter().map(|c| c.client_id.as_str()).collect();
    assert_eq!(clients, ["other", "web"]);
    assert_eq!(consents[1].granted_at, 90);
    assert_eq!(consents[1].scope, scope);

    // One delegation lives on in a refresh token, one in an unused code, one in an access token.
    let refresh = StoredRefreshToken {
        token_hash: SecretHash::of("rt"),
        delegation: delegation("d-refresh"),
        issued_at: 100,
        expires_at: 10_000,
        used_at: None,
        revoked_at: None,
    };
    store.insert_refresh_token(&refresh).await.unwrap();
    let code = StoredCode {
        code_hash: SecretHash::of("code"),
        delegation: delegation("d-code"),
        data: CodeData {
            redirect_uri: "https://app.example/cb".into(),
            code_challenge: None,
            nonce: None,
        },
        expires_at: 160,
        used_at: None,
    };
    store.insert_code(&code).await.unwrap();
    // A code just redeemed, whose tokens are being minted while the consent is revoked.
    let mut redeemed = code.clone();
    redeemed.code_hash = SecretHash::of("code-redeemed");
    redeemed.delegation.delegation_id = "d-minting".into();
    store.insert_code(&redeemed).await.unwrap();
    assert!(
        store
            .consume_code(&redeemed.code_hash, "web", 100)
            .await
            .unwrap()
            .is_some()
    );
    let mut access = token(&SecretHash::of("at"), 5000);
    access.client_id = "web".into();
    access.subject = "usr_1".into();
    access.delegation_id = Some("d-access".into());
    store.insert_access_token(&access).await.unwrap();
    // A device the user approved, which has not polled for its tokens yet.
    let device = sesame_core::device::DeviceCode {
        device_code_hash: SecretHash::of("sdc"),
        user_code: "BCDFGHJK".into(),
        client_id: "web".into(),
        scope: scope.clone(),
        status: sesame_core::device::DeviceStatus::Pending,
        delegation: None,
        interval: 5,
        last_polled_at: None,
        expires_at: 700,
    };
    assert!(store.insert_device_code(&device).await.unwrap());
    let approved = delegation("d-device");
    let settled = store
        .settle_device_code(
            "BCDFGHJK",
            sesame_core::device::DeviceStatus::Approved,
            Some(&approved),
            100,
        )
        .await
        .unwrap();
    assert!(settled);
    // Another client's delegation of the same user stays.
    let mut elsewhere = refresh.clone();
    elsewhere.token_hash = SecretHash::of("rt-other");
    elsewhere.delegation.delegation_id = "d-other".into();
    elsewhere.delegation.client_id = "other".into();
    store.insert_refresh_token(&elsewhere).await.unwrap();

    let withdrawn = store
        .revoke_consent("usr_1", "web", 120, 10_000)
        .await
        .unwrap();
    assert!(withdrawn.consent);
    assert_eq!(withdrawn.delegations, 5);
    for id in ["d-refresh", "d-code", "d-access", "d-minting", "d-device"] {
        assert!(store.is_delegation_revoked(id).await.unwrap(), "{id}");
    }
    assert!(!store.is_delegation_revoked("d-other").await.unwrap());
    let rt = store.find_refresh_token(&refresh.token_hash).await.unwrap();
    assert_eq!(rt.unwrap().revoked_at, Some(120));
    assert!(store.is_jti_revoked(&access.jti).await.unwrap());
    let consents = store.list_consents("usr_1").await.unwrap();
    assert_eq!(consents.len(), 1);
    let again = store
        .revoke_consent("usr_1", "web", 130, 10_000)
        .await
        .unwrap();
    assert!(!again.consent, "no consent left to revoke");
}

async fn audit_events_list_newest_first_with_filters_and_sweep_by_age(store: Arc<dyn Store>) {
    let operator = Origin::operator();
    let events = [
        operator.event(
            100,
            action::CLIENT_CREATED,
            Some("client:web".into()),
            serde_json::json!({"after": {"client_name": "Web"}}),
        ),
        operator.event(
            110,
            action::USER_CREATED,
            Some("user:usr_1".into()),
            serde_json::Value::Null,
        ),
        operator.event(
            120,
            action::CLIENT_UPDATED,
            Some("client:web".into()),
            serde_json::Value::Null,
        ),
        operator.event(
            130,
            action::LOGIN_FAILED,
            None,
            serde_json::json!({"account": "bob"}),
        ),
    ];
    store.record_audit(&events).await.unwrap();
    store.record_audit(&[]).await.unwrap();
    let all = store
        .list_audit(&AuditQuery {
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    let actions: Vec<&str> = all.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions,
        [
            action::LOGIN_FAILED,
            action::CLIENT_UPDATED,
            action::USER_CREATED,
            action::CLIENT_CREATED
        ]
    );
    assert!(all.windows(2).all(|w| w[0].seq > w[1].seq));
    assert_eq!(all[3].details["after"]["client_name"], "Web");
    assert_eq!(all[3].actor, "operator");

    let clients = store
        .list_audit(&AuditQuery {
            action: Some("client".into()),
            limit: 1,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(clients.len(), 1);
    assert_eq!(clients[0].action, action::CLIENT_UPDATED);
    for other in ["CLIENT", "clien", "client.%"] {
        let none = AuditQuery {
            action: Some(other.into()),
            limit: 10,
            ..Default::default()
        };
        assert!(store.list_audit(&none).await.unwrap().is_empty(), "{other}");
    }
    let older = store
        .list_audit(&AuditQuery {
            action: Some("client".into()),
            before: Some(clients[0].seq),
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(older.len(), 1, "the next page starts below the cursor");
    assert_eq!(older[0].action, action::CLIENT_CREATED);
    let exact = AuditQuery {
        action: Some(action::USER_CREATED.into()),
        target: Some("user:usr_1".into()),
        since: Some(110),
        actor: Some("operator".into()),
        limit: 10,
        ..Default::default()
    };
    assert_eq!(store.list_audit(&exact).await.unwrap().len(), 1);

    assert_eq!(store.sweep_audit(120, 10).await.unwrap(), 2);
    let left = store
        .list_audit(&AuditQuery {
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(left.len(), 2);
    assert!(left.iter().all(|e| e.at >= 120));
}
