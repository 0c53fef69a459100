//! The core's security events into the audit trail: sign-ins, refusals, lockouts, consents,
//! refused token requests and revocations. They happen on hot paths, so they are handed to a
//! bounded queue and written in batches by one task; a flood that fills the queue drops events
//! (counted in `sesame_audit_dropped_total`) rather than slowing sign-in down. A node that stops
//! gracefully flushes the queue first.

use sesame_core::audit::{AuditEvent, action};
use sesame_core::clock::{Clock, SystemClock};
use sesame_core::events::{Event, EventSink, Guess, Refusal};
use sesame_core::store::Store;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};

/// Events waiting to be written, at most.
const QUEUE: usize = 4096;
/// Events written in one transaction, at most.
const BATCH: usize = 256;

/// An [`EventSink`] that passes every event to `inner` (metrics and logs) and keeps the audit
/// trail's share of them.
pub struct AuditTrail {
    inner: Arc<dyn EventSink>,
    queue: mpsc::Sender<AuditEvent>,
    /// Asks the writer to write everything queued, and to say when it has.
    flushes: mpsc::Sender<oneshot::Sender<()>>,
}

impl AuditTrail {
    /// Starts the writer on the current runtime.
    pub fn spawn(store: Arc<dyn Store>, inner: Arc<dyn EventSink>) -> Self {
        let (queue, mut events) = mpsc::channel::<AuditEvent>(QUEUE);
        let (flushes, mut flush_requests) = mpsc::channel::<oneshot::Sender<()>>(4);
        tokio::spawn(async move {
            let mut batch = Vec::with_capacity(BATCH);
            loop {
                tokio::select! {
                    taken = events.recv_many(&mut batch, BATCH) => {
                        if taken == 0 {
                            return;
                        }
                        write(store.as_ref(), &mut batch).await;
                    }
                    Some(done) = flush_requests.recv() => {
                        while let Ok(event) = events.try_recv() {
                            batch.push(event);
                            if batch.len() == BATCH {
                                write(store.as_ref(), &mut batch).await;
                            }
                        }
                        write(store.as_ref(), &mut batch).await;
                        let _ = done.send(());
                    }
                }
            }
        });
        Self {
            inner,
            queue,
            flushes,
        }
    }

    /// Writes what is queued, waiting at most a few seconds (a store that is down loses the
    /// queue's events, as it would have anyway).
    pub async fn flush(&self) {
        let (done, written) = oneshot::channel();
        if self.flushes.send(done).await.is_ok() {
            let _ = tokio::time::timeout(Duration::from_secs(5), written).await;
        }
    }
}

async fn write(store: &dyn Store, batch: &mut Vec<AuditEvent>) {
    if batch.is_empty() {
        return;
    }
    if let Err(e) = store.record_audit(batch).await {
        tracing::warn!(error = %e, events = batch.len(), "could not write audit events");
    }
    batch.clear();
}

impl EventSink for AuditTrail {
    fn record(&self, event: Event) {
        if self
            .queue
            .try_send(audit_event(&event, SystemClock.now()))
            .is_err()
        {
            metrics::counter!("sesame_audit_dropped_total").increment(1);
        }
        self.inner.record(event);
    }
}

/// What the trail keeps of an event: who (the user, or nobody known), from where, to whom.
fn audit_event(event: &Event, now: i64) -> AuditEvent {
    let (action, actor, address, target, details) = match event {
        Event::SignedIn { user_id, address } => (
            action::LOGIN_SUCCEEDED,
            format!("user:{user_id}"),
            Some(address.to_string()),
            Some(format!("user:{user_id}")),
            serde_json::Value::Null,
        ),
        Event::SignInRefused {
            account,
            why,
            user_id,
            address,
        } => {
            let why = match why {
                Refusal::Invalid => "invalid",
                Refusal::Disabled => "disabled",
                Refusal::Locked => "locked",
                Refusal::NeedsSecondFactor => "needs_second_factor",
            };
            // A known account is named by its id; a name that matched no account is kept
            // shortened (it may be a password typed into the wrong box).
            let details = match user_id {
                Some(_) => serde_json::json!({ "why": why }),
                None => serde_json::json!({
                    "why": why,
                    "account": account.chars().take(64).collect::<String>(),
                }),
            };
            (
                action::LOGIN_FAILED,
                "anonymous".to_owned(),
                Some(address.to_string()),
                user_id.as_ref().map(|id| format!("user:{id}")),
                details,
            )
        }
        Event::Locked { guess, key, until } => (
            action::LOCKOUT,
            "anonymous".to_owned(),
            None,
            None,
            serde_json::json!({ "key": key, "until": until, "guess": match guess {
                Guess::Password => "password",
                Guess::UserCode => "user_code",
                Guess::ClientAuthentication => "client_authentication",
                Guess::SecondFactor => "second_factor",
            }}),
        ),
        Event::SecondFactorUsed {
            user_id,
            proof,
            address,
        } => (
            match proof {
                sesame_core::mfa::Proof::RecoveryCode => action::RECOVERY_CODE_USED,
                sesame_core::mfa::Proof::Totp | sesame_core::mfa::Proof::Passkey => {
                    action::MFA_SUCCEEDED
                }
            },
            format!("user:{user_id}"),
            Some(address.to_string()),
            Some(format!("user:{user_id}")),
            serde_json::json!({ "proof": proof.as_str() }),
        ),
        Event::PasskeyCloned {
            user_id,
            factor_id,
            address,
        } => (
            action::PASSKEY_CLONED,
            "anonymous".to_owned(),
            Some(address.to_string()),
            Some(format!("user:{user_id}")),
            serde_json::json!({ "factor": factor_id }),
        ),
        Event::SecondFactorRefused {
            user_id,
            locked,
            address,
        } => (
            action::MFA_FAILED,
            "anonymous".to_owned(),
            Some(address.to_string()),
            Some(format!("user:{user_id}")),
            serde_json::json!({ "why": if *locked { "locked" } else { "invalid" } }),
        ),
        Event::ConsentGranted {
            user_id,
            client_id,
            scope,
        } => (
            action::CONSENT_GRANTED,
            format!("user:{user_id}"),
            None,
            Some(format!("user:{user_id}")),
            serde_json::json!({ "client_id": client_id, "scope": scope }),
        ),
        Event::TokenRefused {
            grant_type,
            error,
            address,
        } => (
            action::TOKEN_REFUSED,
            "anonymous".to_owned(),
            Some(address.to_string()),
            None,
            serde_json::json!({ "grant_type": grant_type, "error": error }),
        ),
        Event::TokenRevoked { address } => (
            action::TOKEN_REVOKED,
            "anonymous".to_owned(),
            Some(address.to_string()),
            None,
            serde_json::Value::Null,
        ),
    };
    AuditEvent {
        seq: 0,
        at: now,
        action: action.to_owned(),
        actor,
        address,
        target,
        details,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sesame_core::audit::AuditQuery;
    use sesame_core::events::Discard;
    use sesame_core::store::AuditStore;
    use sesame_core::testing::MemoryStore;
    use std::net::{IpAddr, Ipv4Addr};

    const ADDRESS: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

    async fn written(store: &MemoryStore) -> Vec<AuditEvent> {
        let all = AuditQuery {
            limit: 1000,
            ..Default::default()
        };
        store.list_audit(&all).await.unwrap()
    }

    // One thread: the writer runs only when the test awaits, so what flush delivers is seen.
    #[tokio::test(flavor = "current_thread")]
    async fn a_flush_writes_everything_queued_before_it() {
        let store = Arc::new(MemoryStore::default());
        let trail = AuditTrail::spawn(store.clone(), Arc::new(Discard));
        for i in 0..300 {
            trail.record(Event::SignedIn {
                user_id: format!("usr_{i}"),
                address: ADDRESS,
            });
        }
        assert!(
            written(&store).await.is_empty(),
            "nothing is written inline"
        );
        trail.flush().await;
        let events = written(&store).await;
        assert_eq!(events.len(), 300, "more than one batch, all of it");
        assert_eq!(events[0].target.as_deref(), Some("user:usr_299"));
        assert_eq!(events[0].action, action::LOGIN_SUCCEEDED);
    }

    #[test]
    fn a_refusal_names_a_known_account_by_id_and_an_unknown_one_by_a_short_name() {
        let known = audit_event(
            &Event::SignInRefused {
                account: "alice".into(),
                why: Refusal::Invalid,
                user_id: Some("usr_1".into()),
                address: ADDRESS,
            },
            100,
        );
        assert_eq!(known.target.as_deref(), Some("user:usr_1"));
        assert_eq!(known.details, serde_json::json!({"why": "invalid"}));
        let typed = "x".repeat(200);
        let unknown = audit_event(
            &Event::SignInRefused {
                account: typed,
                why: Refusal::Invalid,
                user_id: None,
                address: ADDRESS,
            },
            100,
        );
        assert_eq!(unknown.target, None);
        assert_eq!(unknown.details["account"].as_str().unwrap().len(), 64);
        assert_eq!(unknown.address.as_deref(), Some("127.0.0.1"));
    }
}
