//! Users: the login name, the argon2id hash, and the OIDC standard claims as one JSON document.

use super::{Db, SqlStore};
use crate::codec::{from_json, to_json};
use crate::errors::store_error;
use async_trait::async_trait;
use sesame_core::store::{StoreError, UserQuery, UserStore};
use sesame_core::user::User;

macro_rules! columns {
    () => {
        "id, username, password_hash, disabled, claims, created_at, updated_at, roles"
    };
}

#[derive(sqlx::FromRow)]
struct UserRow {
    id: String,
    username: String,
    password_hash: Option<String>,
    disabled: bool,
    claims: String,
    created_at: i64,
    updated_at: i64,
    roles: String,
}

impl TryFrom<UserRow> for User {
    type Error = StoreError;

    fn try_from(row: UserRow) -> Result<Self, StoreError> {
        Ok(User {
            claims: from_json("user claims", &row.claims)?,
            roles: from_json("user roles", &row.roles)?,
            id: row.id,
            username: row.username,
            password_hash: row.password_hash,
            disabled: row.disabled,
            created_at: row.created_at,
            updated_at: row.updated_at,
        })
    }
}

async fn find(
    pool: &super::Pool,
    sql: &'static str,
    key: &str,
) -> Result<Option<User>, StoreError> {
    sqlx::query_as::<_, UserRow>(sql)
        .bind(key)
        .fetch_optional(pool)
        .await
        .map_err(store_error)?
        .map(User::try_from)
        .transpose()
}

/// The `email` column: the claim lower-cased, searched without parsing the claims.
fn email_column(user: &User) -> Option<String> {
    user.claims.email.as_deref().map(str::to_ascii_lowercase)
}

/// A `LIKE` pattern matching `text` anywhere, its wildcards escaped (with `\`).
fn contains_pattern(text: &str) -> String {
    let mut pattern = String::from("%");
    for c in text.to_ascii_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

/// Replaces the user (only if its `updated_at` is still `read_at`, when given); `Ok(false)` if
/// it is gone, changed meanwhile, or the new username is someone else's.
async fn update(store: &SqlStore, user: &User, read_at: Option<i64>) -> Result<bool, StoreError> {
    let done = sqlx::query(
        "UPDATE users SET username = $2, password_hash = $3, disabled = $4, claims = $5, \
         updated_at = CASE WHEN $6 > updated_at THEN $6 ELSE updated_at + 1 END, email = $7, \
         roles = $9 WHERE id = $1 AND ($8 IS NULL OR updated_at = $8)",
    )
    .bind(&user.id)
    .bind(&user.username)
    .bind(&user.password_hash)
    .bind(user.disabled)
    .bind(to_json("user claims", &user.claims)?)
    .bind(user.updated_at)
    .bind(email_column(user))
    .bind(read_at)
    .bind(to_json("user roles", &user.roles)?)
    .execute(store.writes())
    .await;
    match done {
        Ok(done) => Ok(done.rows_affected() == 1),
        // The new username belongs to someone else.
        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => Ok(false),
        Err(e) => Err(store_error(e)),
    }
}

/// Inserts a user; `Ok(false)` when the username or id is taken. Federation calls it inside its
/// own transaction, so it takes any executor.
pub(super) async fn insert<'e, E>(executor: E, user: &User) -> Result<bool, StoreError>
where
    E: sqlx::Executor<'e, Database = Db>,
{
    let done = sqlx::query(concat!(
        "INSERT INTO users (",
        columns!(),
        ", email) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT DO NOTHING"
    ))
    .bind(&user.id)
    .bind(&user.username)
    .bind(&user.password_hash)
    .bind(user.disabled)
    .bind(to_json("user claims", &user.claims)?)
    .bind(user.created_at)
    .bind(user.updated_at)
    .bind(to_json("user roles", &user.roles)?)
    .bind(email_column(user))
    .execute(executor)
    .await
    .map_err(store_error)?;
    Ok(done.rows_affected() == 1)
}

#[async_trait]
impl UserStore for SqlStore {
    async fn get_user(&self, id: &str) -> Result<Option<User>, StoreError> {
        let sql = concat!("SELECT ", columns!(), " FROM users WHERE id = $1");
        find(&self.pool, sql, id).await
    }

    async fn get_user_by_username(&self, username: &str) -> Result<Option<User>, StoreError> {
        let sql = concat!("SELECT ", columns!(), " FROM users WHERE username = $1");
        find(&self.pool, sql, username).await
    }

    async fn list_users(&self) -> Result<Vec<User>, StoreError> {
        sqlx::query_as::<_, UserRow>(concat!(
            "SELECT ",
            columns!(),
            " FROM users ORDER BY username"
        ))
        .fetch_all(&self.pool)
        .await
        .map_err(store_error)?
        .into_iter()
        .map(User::try_from)
        .collect()
    }

    async fn search_users(&self, query: &UserQuery) -> Result<Vec<User>, StoreError> {
        // ASCII case is ignored on both backends (PostgreSQL's lower() folds other letters too).
        // The cursor is a plain range (every username is longer than ''), so a deep page starts
        // where the index says. The inner query reads only the `users_search` index: a search
        // that matches few users scans it instead of rows that also carry the claims.
        sqlx::query_as::<_, UserRow>(concat!(
            "SELECT ",
            columns!(),
            " FROM users WHERE username IN (SELECT username FROM users \
             WHERE ($1 IS NULL OR lower(username) LIKE $1 ESCAPE '\\' \
             OR email LIKE $1 ESCAPE '\\') AND username > coalesce($2, '') \
             ORDER BY username LIMIT $3) ORDER BY username"
        ))
        .bind(query.search.as_deref().map(contains_pattern))
        .bind(query.after.as_deref())
        .bind(i64::from(query.limit))
        .fetch_all(&self.pool)
        .await
        .map_err(store_error)?
        .into_iter()
        .map(User::try_from)
        .collect()
    }

    async fn insert_user(&self, user: &User) -> Result<bool, StoreError> {
        insert(self.writes(), user).await
    }

    async fn update_user(&self, user: &User) -> Result<bool, StoreError> {
        update(self, user, None).await
    }

    async fn replace_user(&self, user: &User, read_at: i64) -> Result<bool, StoreError> {
        update(self, user, Some(read_at)).await
    }

    async fn delete_user(&self, id: &str) -> Result<bool, StoreError> {
        let mut tx = self.begin_write().await?;
        for sql in [
            "DELETE FROM identity_links WHERE user_id = $1",
            "DELETE FROM browser_sessions WHERE user_id = $1",
            "DELETE FROM consents WHERE user_id = $1",
            "DELETE FROM factors WHERE user_id = $1",
            "DELETE FROM recovery_codes WHERE user_id = $1",
        ] {
            sqlx::query(sql)
                .bind(id)
                .execute(&mut *tx)
                .await
                .map_err(store_error)?;
        }
        let done = sqlx::query("DELETE FROM users WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await
            .map_err(store_error)?;
        tx.commit().await.map_err(store_error)?;
        Ok(done.rows_affected() == 1)
    }
}
