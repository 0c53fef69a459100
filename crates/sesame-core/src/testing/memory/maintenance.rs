use super::{MemoryStore, Tables};
use crate::store::{Maintenance, SPENT_RETENTION, StoreError, Tally};
use async_trait::async_trait;
use std::collections::HashMap;
use std::hash::Hash;

/// Removes up to `batch` entries of `map` that `expired` says have expired; returns how many.
fn sweep<K: Clone + Eq + Hash, V>(
    map: &mut HashMap<K, V>,
    batch: usize,
    expired: impl Fn(&V) -> bool,
) -> u64 {
    let gone: Vec<K> = map
        .iter()
        .filter(|(_, v)| expired(v))
        .map(|(k, _)| k.clone())
        .take(batch)
        .collect();
    for k in &gone {
        map.remove(k);
    }
    gone.len() as u64
}

/// The same kinds and the same rules as the SQL sweep, one bounded batch each.
fn sweep_all(t: &mut Tables, now: i64, batch: usize) -> u64 {
    let spent = now - SPENT_RETENTION;
    let mut n = 0;
    n += sweep(&mut t.tokens, batch, |v| v.expires_at <= now);
    n += sweep(&mut t.revoked_jtis, batch, |exp| *exp <= now);
    n += sweep(&mut t.assertion_jtis, batch, |exp| *exp <= now);
    let mut keys_gone = 0;
    t.keys.retain(|k| {
        let keep = k.is_published(now) || keys_gone >= batch;
        keys_gone += usize::from(!keep);
        keep
    });
    n += keys_gone as u64;
    n += sweep(&mut t.codes, batch, |c| c.expires_at <= spent);
    n += sweep(&mut t.refresh_tokens, batch, |r| r.expires_at <= now);
    n += sweep(&mut t.sessions, batch, |s| s.expires_at <= now);
    n += sweep(&mut t.pending, batch, |p| p.expires_at <= now);
    n += sweep(&mut t.login_failures, batch, |f| f.expires_at <= now);
    n += sweep(&mut t.revoked_delegations, batch, |exp| *exp <= now);
    n += sweep(&mut t.device_codes, batch, |d| d.expires_at <= spent);
    n += sweep(&mut t.federation_states, batch, |f| f.expires_at <= now);
    n += sweep(&mut t.oauth1_tokens, batch, |o| o.expires_at <= spent);
    n += sweep(&mut t.ceremonies, batch, |(_, exp)| *exp <= now);
    n
}

#[async_trait]
impl Maintenance for MemoryStore {
    async fn ping(&self) -> Result<(), StoreError> {
        Ok(())
    }

    async fn tally(&self, now: i64) -> Result<Tally, StoreError> {
        let t = self.tables();
        Ok(Tally {
            clients: t.clients.len() as u64,
            users: t.users.len() as u64,
            sessions: t.sessions.values().filter(|s| s.expires_at > now).count() as u64,
        })
    }

    async fn sweep_expired(&self, now: i64, batch: u32) -> Result<u64, StoreError> {
        let batch = usize::try_from(batch).unwrap_or(usize::MAX);
        Ok(sweep_all(&mut self.tables(), now, batch))
    }

    async fn migrate(&self) -> Result<(), StoreError> {
        Ok(())
    }
}
