//! `DeviceStore`: unique user codes, one answer, one redemption.

use crate::delegation;
use sesame_core::device::{DeviceCode, DeviceStatus};
use sesame_core::scope::Scopes;
use sesame_core::secret::SecretHash;
use sesame_core::store::Store;
use std::sync::Arc;

contract!(device_codes_settle_once_and_redeem_once);

async fn device_codes_settle_once_and_redeem_once(store: Arc<dyn Store>) {
    let hash = SecretHash::of("sdc_1");
    let code = DeviceCode {
        device_code_hash: hash.clone(),
        user_code: "BCDFGHJK".into(),
        client_id: "tv".into(),
        scope: Scopes::parse("openid").unwrap(),
        status: DeviceStatus::Pending,
        delegation: None,
        interval: 5,
        last_polled_at: None,
        expires_at: 700,
    };
    assert!(store.insert_device_code(&code).await.unwrap());
    let twin = DeviceCode {
        device_code_hash: SecretHash::of("sdc_2"),
        ..code.clone()
    };
    assert!(
        !store.insert_device_code(&twin).await.unwrap(),
        "user codes are unique"
    );
    assert_eq!(store.find_device_code(&hash).await.unwrap().unwrap(), code);
    store.poll_device_code(&hash, 100, 10).await.unwrap();
    let polled = store
        .find_device_code_by_user_code("BCDFGHJK")
        .await
        .unwrap()
        .unwrap();
    assert_eq!((polled.last_polled_at, polled.interval), (Some(100), 10));
    assert!(
        store
            .redeem_device_code(&hash, "tv", 110)
            .await
            .unwrap()
            .is_none(),
        "not approved yet"
    );

    assert!(
        !store
            .settle_device_code(
                "BCDFGHJK",
                DeviceStatus::Approved,
                Some(&delegation("g9")),
                700
            )
            .await
            .unwrap(),
        "expired"
    );
    assert!(
        store
            .settle_device_code(
                "BCDFGHJK",
                DeviceStatus::Approved,
                Some(&delegation("g9")),
                120
            )
            .await
            .unwrap()
    );
    assert!(
        !store
            .settle_device_code("BCDFGHJK", DeviceStatus::Denied, None, 121)
            .await
            .unwrap(),
        "answered once"
    );
    assert!(
        store
            .redeem_device_code(&hash, "other", 130)
            .await
            .unwrap()
            .is_none()
    );
    let racers = (0..8).map(|_| {
        let store = Arc::clone(&store);
        let hash = hash.clone();
        tokio::spawn(async move { store.redeem_device_code(&hash, "tv", 130).await.unwrap() })
    });
    let mut won = Vec::new();
    for r in racers {
        won.extend(r.await.unwrap());
    }
    assert_eq!(won.len(), 1, "one redemption");
    assert_eq!(won[0].delegation.as_ref().unwrap().delegation_id, "g9");
    assert_eq!(
        store.find_device_code(&hash).await.unwrap().unwrap().status,
        DeviceStatus::Redeemed
    );
}
