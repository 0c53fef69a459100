use super::{MemoryStore, Tables, next_updated_at, user_taken};
use crate::store::{StoreError, UserQuery, UserStore};
use crate::user::User;
use async_trait::async_trait;

#[async_trait]
impl UserStore for MemoryStore {
    async fn get_user(&self, id: &str) -> Result<Option<User>, StoreError> {
        Ok(self.tables().users.get(id).cloned())
    }

    async fn get_user_by_username(&self, username: &str) -> Result<Option<User>, StoreError> {
        let t = self.tables();
        Ok(t.users.values().find(|u| u.username == username).cloned())
    }

    async fn list_users(&self) -> Result<Vec<User>, StoreError> {
        let mut v: Vec<User> = self.tables().users.values().cloned().collect();
        v.sort_by(|a, b| a.username.cmp(&b.username));
        Ok(v)
    }

    async fn search_users(&self, query: &UserQuery) -> Result<Vec<User>, StoreError> {
        let mut v = self.list_users().await?;
        v.retain(|u| query.matches(u));
        v.truncate(query.limit as usize);
        Ok(v)
    }

    async fn insert_user(&self, user: &User) -> Result<bool, StoreError> {
        let mut t = self.tables();
        if user_taken(&t, user) {
            return Ok(false);
        }
        t.users.insert(user.id.clone(), user.clone());
        Ok(true)
    }

    async fn update_user(&self, user: &User) -> Result<bool, StoreError> {
        Ok(replace(&mut self.tables(), user, None))
    }

    async fn replace_user(&self, user: &User, read_at: i64) -> Result<bool, StoreError> {
        Ok(replace(&mut self.tables(), user, Some(read_at)))
    }

    async fn delete_user(&self, id: &str) -> Result<bool, StoreError> {
        let mut t = self.tables();
        t.links.retain(|_, user| user != id);
        t.sessions.retain(|_, s| s.user_id != id);
        t.consents.retain(|(user, _), _| user != id);
        t.factors.retain(|f| f.user_id != id);
        t.recovery_codes.retain(|(user, _), _| user != id);
        Ok(t.users.remove(id).is_some())
    }
}

/// Replaces a stored user (only if its `updated_at` is still `read_at`, when given) unless the
/// new username is someone else's, keeping when it was created.
fn replace(t: &mut Tables, user: &User, read_at: Option<i64>) -> bool {
    let taken = t
        .users
        .values()
        .any(|u| u.username == user.username && u.id != user.id);
    match t.users.get_mut(&user.id) {
        Some(existing) if !taken && read_at.is_none_or(|r| r == existing.updated_at) => {
            let (created_at, stored) = (existing.created_at, existing.updated_at);
            *existing = user.clone();
            existing.created_at = created_at;
            existing.updated_at = next_updated_at(user.updated_at, stored);
            true
        }
        _ => false,
    }
}
