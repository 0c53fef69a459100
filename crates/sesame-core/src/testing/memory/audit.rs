use super::MemoryStore;
use crate::audit::{AuditEvent, AuditQuery};
use crate::store::{AuditStore, StoreError};
use async_trait::async_trait;

#[async_trait]
impl AuditStore for MemoryStore {
    async fn record_audit(&self, events: &[AuditEvent]) -> Result<(), StoreError> {
        let mut t = self.tables();
        for e in events {
            let seq = t.audit.last().map_or(1, |last| last.seq + 1);
            t.audit.push(AuditEvent { seq, ..e.clone() });
        }
        Ok(())
    }

    async fn list_audit(&self, query: &AuditQuery) -> Result<Vec<AuditEvent>, StoreError> {
        let t = self.tables();
        Ok(t.audit
            .iter()
            .rev()
            .filter(|e| query.matches(e))
            .take(query.limit as usize)
            .cloned()
            .collect())
    }

    async fn sweep_audit(&self, before: i64, batch: u32) -> Result<u64, StoreError> {
        let mut t = self.tables();
        let old: Vec<i64> = t
            .audit
            .iter()
            .filter(|e| e.at < before)
            .take(batch as usize)
            .map(|e| e.seq)
            .collect();
        t.audit.retain(|e| !old.contains(&e.seq));
        Ok(old.len() as u64)
    }
}
