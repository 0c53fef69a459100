//! Background work of a node: rotating signing keys on schedule and picking up keys rotated
//! elsewhere, sweeping expired rows and audit events past their retention, keeping the metrics
//! histograms fresh.

use crate::state::AppState;
use std::time::Duration;

/// How many rows of each kind one sweep deletes at most.
const SWEEP_BATCH: u32 = 1000;
/// Audit batches one sweep deletes at most.
const AUDIT_SWEEP_ROUNDS: u32 = 50;

pub fn spawn(
    state: &AppState,
    key_reload: Duration,
    sweep: Duration,
    audit_retention: Option<i64>,
) {
    let provider = state.provider.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(key_reload);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            match provider.rotate_keys_when_due().await {
                Ok(keys) => {
                    for key in keys {
                        tracing::info!(kid = %key.kid, alg = %key.alg, signs_from = key.activates_at, "next signing key published");
                    }
                }
                Err(e) => tracing::warn!(error = %e, "could not rotate signing keys"),
            }
            match provider.reload_keys().await {
                Ok(true) => tracing::info!("signing keys changed; key ring reloaded"),
                Ok(false) => {}
                Err(e) => tracing::warn!(error = %e, "could not reload signing keys"),
            }
        }
    });
    let provider = state.provider.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(sweep);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            match provider
                .store()
                .sweep_expired(provider.now(), SWEEP_BATCH)
                .await
            {
                Ok(0) => {}
                Ok(n) => tracing::debug!(rows = n, "swept expired rows"),
                Err(e) => tracing::warn!(error = %e, "sweep failed"),
            }
            let Some(retention) = audit_retention else {
                continue;
            };
            // A busy trail can grow by more than a batch per interval: sweep until a batch
            // comes back short (bounded, so one sweep never holds the writer for long).
            let before = provider.now() - retention;
            for _ in 0..AUDIT_SWEEP_ROUNDS {
                match provider.store().sweep_audit(before, SWEEP_BATCH).await {
                    Ok(n) if n < u64::from(SWEEP_BATCH) => break,
                    Ok(_) => {}
                    Err(e) => {
                        tracing::warn!(error = %e, "audit sweep failed");
                        break;
                    }
                }
            }
        }
    });
    let metrics = state.metrics.clone();
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(5));
        loop {
            tick.tick().await;
            metrics.run_upkeep();
        }
    });
}
