//! The store traits in SQL that SQLite and PostgreSQL both accept, instantiated once per backend.
//!
//! `sql_store!(Type)` implements every trait for a struct with a `pool: sqlx::Pool<DB>` field
//! (reads), a `writes()` method (the pool writes go to), `store_access_token()`, `BEGIN_WRITE`,
//! `try_sweep_lock()` and `migrator()`. Single-use and multi-row operations are one statement or one
//! transaction, so racing nodes cannot both win.

macro_rules! sql_store {
    ($store:ty) => {
        const _: () = {
            use crate::errors::store_error;
            use crate::rows;
            use async_trait::async_trait;
            use sesame_core::authorize::pending::PendingAuthorization;
            use sesame_core::client::Client;
            use sesame_core::device::{DeviceCode, DeviceStatus};
            use sesame_core::grant::{Grant, StoredCode, StoredRefreshToken};
            use sesame_core::federation::{Connection, FederationState};
            use sesame_core::oauth1::Oauth1Token;
            use sesame_core::scope::Scopes;
            use sesame_core::session::BrowserSession;
            use sesame_core::keys::StoredKey;
            use sesame_core::secret::SecretHash;
            use sesame_core::store::*;
            use sesame_core::user::User;
            use sqlx::Row;

            const CLIENT_COLUMNS: &str = "client_id, secret_hash, metadata, created_at, updated_at";

            type Db = <$store as crate::Backend>::Db;
            type DbRow = <Db as sqlx::Database>::Row;

            /// The row with this key, mapped; `Ok(None)` when there is none.
            async fn fetch_by_key<T>(
                pool: &sqlx::Pool<Db>,
                sql: String,
                key: &str,
                map: fn(&DbRow) -> Result<T, StoreError>,
            ) -> Result<Option<T>, StoreError> {
                let row = sqlx::query(sqlx::AssertSqlSafe(sql))
                    .bind(key)
                    .fetch_optional(pool)
                    .await
                    .map_err(store_error)?;
                row.as_ref().map(map).transpose()
            }

            /// Every row, mapped.
            async fn fetch_all<T>(
                pool: &sqlx::Pool<Db>,
                sql: String,
                map: fn(&DbRow) -> Result<T, StoreError>,
            ) -> Result<Vec<T>, StoreError> {
                sqlx::query(sqlx::AssertSqlSafe(sql))
                    .fetch_all(pool)
                    .await
                    .map_err(store_error)?
                    .iter()
                    .map(map)
                    .collect()
            }

            fn client_row(row: &DbRow) -> Result<Client, StoreError> {
                rows::client(
                    row.try_get("client_id").map_err(store_error)?,
                    row.try_get("secret_hash").map_err(store_error)?,
                    &row.try_get::<String, _>("metadata").map_err(store_error)?,
                    row.try_get("created_at").map_err(store_error)?,
                    row.try_get("updated_at").map_err(store_error)?,
                )
            }

            #[async_trait]
            impl ClientStore for $store {
                async fn get_client(&self, client_id: &str) -> Result<Option<Client>, StoreError> {
                    fetch_by_key(&self.pool, format!("SELECT {CLIENT_COLUMNS} FROM clients WHERE client_id = $1"), client_id, client_row).await
                }

                async fn list_clients(&self) -> Result<Vec<Client>, StoreError> {
                    fetch_all(&self.pool, format!("SELECT {CLIENT_COLUMNS} FROM clients ORDER BY client_id"), client_row).await
                }

                async fn insert_client(&self, client: &Client) -> Result<bool, StoreError> {
                    let done = sqlx::query(
                        "INSERT INTO clients (client_id, secret_hash, metadata, created_at, updated_at) \
                         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (client_id) DO NOTHING",
                    )
                    .bind(&client.client_id)
                    .bind(client.secret_hash.as_ref().map(|h| h.0.to_vec()))
                    .bind(rows::metadata_json(client)?)
                    .bind(client.created_at)
                    .bind(client.updated_at)
                    .execute(self.writes())
                    .await
                    .map_err(store_error)?;
                    Ok(done.rows_affected() == 1)
                }

                async fn upsert_client(&self, client: &Client) -> Result<(), StoreError> {
                    sqlx::query(
                        "INSERT INTO clients (client_id, secret_hash, metadata, created_at, updated_at) \
                         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (client_id) DO UPDATE SET \
                         secret_hash = excluded.secret_hash, metadata = excluded.metadata, \
                         updated_at = excluded.updated_at",
                    )
                    .bind(&client.client_id)
                    .bind(client.secret_hash.as_ref().map(|h| h.0.to_vec()))
                    .bind(rows::metadata_json(client)?)
                    .bind(client.created_at)
                    .bind(client.updated_at)
                    .execute(self.writes())
                    .await
                    .map_err(store_error)?;
                    Ok(())
                }

                async fn update_client(&self, client: &Client) -> Result<bool, StoreError> {
                    let done = sqlx::query(
                        "UPDATE clients SET secret_hash = $2, metadata = $3, updated_at = $4 \
                         WHERE client_id = $1",
                    )
                    .bind(&client.client_id)
                    .bind(client.secret_hash.as_ref().map(|h| h.0.to_vec()))
                    .bind(rows::metadata_json(client)?)
                    .bind(client.updated_at)
                    .execute(self.writes())
                    .await
                    .map_err(store_error)?;
                    Ok(done.rows_affected() == 1)
                }

                async fn delete_client(&self, client_id: &str) -> Result<bool, StoreError> {
                    let mut tx = self
                        .writes()
                        .begin_with(<$store>::BEGIN_WRITE)
                        .await
                        .map_err(store_error)?;
                    // A client made again under this id must not inherit the old secret or the
                    // OAuth 1.0a credentials issued to the old one.
                    for table in ["oauth1_secrets", "oauth1_tokens"] {
                        sqlx::query(sqlx::AssertSqlSafe(format!("DELETE FROM {table} WHERE client_id = $1")))
                            .bind(client_id)
                            .execute(&mut *tx)
                            .await
                            .map_err(store_error)?;
                    }
                    let done = sqlx::query("DELETE FROM clients WHERE client_id = $1")
                        .bind(client_id)
                        .execute(&mut *tx)
                        .await
                        .map_err(store_error)?;
                    tx.commit().await.map_err(store_error)?;
                    Ok(done.rows_affected() == 1)
                }
            }

            const USER_COLUMNS: &str =
                "id, username, password_hash, disabled, claims, created_at, updated_at";

            fn user_row(row: &DbRow) -> Result<User, StoreError> {
                rows::user(
                    row.try_get("id").map_err(store_error)?,
                    row.try_get("username").map_err(store_error)?,
                    row.try_get("password_hash").map_err(store_error)?,
                    row.try_get("disabled").map_err(store_error)?,
                    &row.try_get::<String, _>("claims").map_err(store_error)?,
                    row.try_get("created_at").map_err(store_error)?,
                    row.try_get("updated_at").map_err(store_error)?,
                )
            }

            #[async_trait]
            impl UserStore for $store {
                async fn get_user(&self, id: &str) -> Result<Option<User>, StoreError> {
                    fetch_by_key(&self.pool, format!("SELECT {USER_COLUMNS} FROM users WHERE id = $1"), id, user_row).await
                }

                async fn get_user_by_username(&self, username: &str) -> Result<Option<User>, StoreError> {
                    fetch_by_key(&self.pool, format!("SELECT {USER_COLUMNS} FROM users WHERE username = $1"), username, user_row).await
                }

                async fn list_users(&self) -> Result<Vec<User>, StoreError> {
                    fetch_all(&self.pool, format!("SELECT {USER_COLUMNS} FROM users ORDER BY username"), user_row).await
                }

                async fn insert_user(&self, user: &User) -> Result<bool, StoreError> {
                    insert_user_row(self.writes(), user).await
                }

                async fn update_user(&self, user: &User) -> Result<bool, StoreError> {
                    let done = sqlx::query(
                        "UPDATE users SET username = $2, password_hash = $3, disabled = $4, \
                         claims = $5, updated_at = $6 WHERE id = $1",
                    )
                    .bind(&user.id)
                    .bind(&user.username)
                    .bind(&user.password_hash)
                    .bind(user.disabled)
                    .bind(rows::claims_json(user)?)
                    .bind(user.updated_at)
                    .execute(self.writes())
                    .await;
                    match done {
                        Ok(done) => Ok(done.rows_affected() == 1),
                        // The new username belongs to someone else.
                        Err(sqlx::Error::Database(e)) if e.is_unique_violation() => Ok(false),
                        Err(e) => Err(store_error(e)),
                    }
                }

                async fn delete_user(&self, id: &str) -> Result<bool, StoreError> {
                    delete_with_links(self.writes(), "users", "id", "user_id", id).await
                }
            }

            #[async_trait]
            impl KeyStore for $store {
                async fn list_signing_keys(&self) -> Result<Vec<StoredKey>, StoreError> {
                    let rows = sqlx::query(
                        "SELECT kid, alg, private_key, encrypted, created_at, retired_at, publish_until \
                         FROM signing_keys ORDER BY created_at, kid",
                    )
                    .fetch_all(&self.pool)
                    .await
                    .map_err(store_error)?;
                    rows.iter()
                        .map(|r| {
                            rows::signing_key(
                                r.try_get("kid").map_err(store_error)?,
                                &r.try_get::<String, _>("alg").map_err(store_error)?,
                                r.try_get("private_key").map_err(store_error)?,
                                r.try_get("encrypted").map_err(store_error)?,
                                r.try_get("created_at").map_err(store_error)?,
                                r.try_get("retired_at").map_err(store_error)?,
                                r.try_get("publish_until").map_err(store_error)?,
                            )
                        })
                        .collect()
                }

                async fn insert_signing_key(&self, key: &StoredKey) -> Result<bool, StoreError> {
                    insert_key(self.writes(), key).await
                }

                async fn rotate_signing_keys(
                    &self,
                    new_keys: &[StoredKey],
                    retired_at: i64,
                    publish_until: i64,
                ) -> Result<(), StoreError> {
                    let mut tx = self
                        .writes()
                        .begin_with(<$store>::BEGIN_WRITE)
                        .await
                        .map_err(store_error)?;
                    for key in new_keys {
                        sqlx::query(
                            "UPDATE signing_keys SET retired_at = $1, publish_until = $2 \
                             WHERE alg = $3 AND retired_at IS NULL",
                        )
                        .bind(retired_at)
                        .bind(publish_until)
                        .bind(key.alg.as_str())
                        .execute(&mut *tx)
                        .await
                        .map_err(store_error)?;
                        if !insert_key(&mut *tx, key).await? {
                            return Err(StoreError::Backend(format!(
                                "another rotation of the {} key ran at the same time; nothing was changed",
                                key.alg
                            )));
                        }
                    }
                    tx.commit().await.map_err(store_error)
                }
            }

            /// `Ok(false)` when the username or id is taken.
            async fn insert_user_row<'e, E>(executor: E, user: &User) -> Result<bool, StoreError>
            where
                E: sqlx::Executor<'e, Database = <$store as crate::Backend>::Db>,
            {
                let done = sqlx::query(
                    "INSERT INTO users (id, username, password_hash, disabled, claims, created_at, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING",
                )
                .bind(&user.id)
                .bind(&user.username)
                .bind(&user.password_hash)
                .bind(user.disabled)
                .bind(rows::claims_json(user)?)
                .bind(user.created_at)
                .bind(user.updated_at)
                .execute(executor)
                .await
                .map_err(store_error)?;
                Ok(done.rows_affected() == 1)
            }

            /// `Ok(false)` when the algorithm has an active key already (the partial unique index).
            async fn insert_key<'e, E>(executor: E, key: &StoredKey) -> Result<bool, StoreError>
            where
                E: sqlx::Executor<'e, Database = <$store as crate::Backend>::Db>,
            {
                let done = sqlx::query(
                    "INSERT INTO signing_keys \
                     (kid, alg, private_key, encrypted, created_at, retired_at, publish_until) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7) \
                     ON CONFLICT (alg) WHERE retired_at IS NULL DO NOTHING",
                )
                .bind(&key.kid)
                .bind(key.alg.as_str())
                .bind(&key.private_key)
                .bind(key.encrypted)
                .bind(key.created_at)
                .bind(key.retired_at)
                .bind(key.publish_until)
                .execute(executor)
                .await
                .map_err(store_error)?;
                Ok(done.rows_affected() == 1)
            }

            impl $store {
                /// Inserts access tokens in one statement (SQLite batches concurrent issuance
                /// through it; PostgreSQL inserts one at a time).
                async fn insert_access_token_rows(
                    pool: &sqlx::Pool<<$store as crate::Backend>::Db>,
                    tokens: &[OpaqueAccessToken],
                ) -> Result<(), StoreError> {
                    let mut insert = sqlx::QueryBuilder::new(
                        "INSERT INTO access_tokens (token_hash, jti, client_id, subject, scope, \
                         audience, issued_at, expires_at, revoked_at, grant_id, userinfo_claims) ",
                    );
                    insert.push_values(tokens, |mut row, t| {
                        row.push_bind(t.token_hash.0.to_vec())
                            .push_bind(t.jti.clone())
                            .push_bind(t.client_id.clone())
                            .push_bind(t.subject.clone())
                            .push_bind(t.scope.to_string())
                            .push_bind(t.audience.clone())
                            .push_bind(t.issued_at)
                            .push_bind(t.expires_at)
                            .push_bind(t.revoked_at)
                            .push_bind(t.grant_id.clone())
                            .push_bind(rows::names_json(&t.userinfo_claims));
                    });
                    insert.build().execute(pool).await.map_err(store_error)?;
                    Ok(())
                }
            }

            #[async_trait]
            impl TokenStore for $store {
                async fn insert_access_token(&self, t: &OpaqueAccessToken) -> Result<(), StoreError> {
                    self.store_access_token(t).await
                }

                async fn find_access_token(
                    &self,
                    token_hash: &SecretHash,
                ) -> Result<Option<OpaqueAccessToken>, StoreError> {
                    let row = sqlx::query(
                        "SELECT token_hash, jti, client_id, subject, scope, audience, issued_at, \
                         expires_at, revoked_at, grant_id, userinfo_claims FROM access_tokens \
                         WHERE token_hash = $1",
                    )
                    .bind(token_hash.0.to_vec())
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(store_error)?;
                    let Some(r) = row else { return Ok(None) };
                    rows::access_token(
                        r.try_get("token_hash").map_err(store_error)?,
                        r.try_get("jti").map_err(store_error)?,
                        r.try_get("client_id").map_err(store_error)?,
                        r.try_get("subject").map_err(store_error)?,
                        &r.try_get::<String, _>("scope").map_err(store_error)?,
                        r.try_get("audience").map_err(store_error)?,
                        r.try_get("issued_at").map_err(store_error)?,
                        r.try_get("expires_at").map_err(store_error)?,
                        r.try_get("revoked_at").map_err(store_error)?,
                        r.try_get("grant_id").map_err(store_error)?,
                        r.try_get("userinfo_claims").map_err(store_error)?,
                    )
                    .map(Some)
                }

                async fn revoke_access_token(
                    &self,
                    token_hash: &SecretHash,
                    now: i64,
                ) -> Result<bool, StoreError> {
                    let done = sqlx::query(
                        "UPDATE access_tokens SET revoked_at = COALESCE(revoked_at, $2) \
                         WHERE token_hash = $1",
                    )
                    .bind(token_hash.0.to_vec())
                    .bind(now)
                    .execute(self.writes())
                    .await
                    .map_err(store_error)?;
                    Ok(done.rows_affected() == 1)
                }

                async fn revoke_jti(&self, jti: &str, expires_at: i64) -> Result<(), StoreError> {
                    sqlx::query(
                        "INSERT INTO revoked_jtis (jti, expires_at) VALUES ($1, $2) \
                         ON CONFLICT (jti) DO NOTHING",
                    )
                    .bind(jti)
                    .bind(expires_at)
                    .execute(self.writes())
                    .await
                    .map_err(store_error)?;
                    Ok(())
                }

                async fn is_jti_revoked(&self, jti: &str) -> Result<bool, StoreError> {
                    let row = sqlx::query("SELECT 1 FROM revoked_jtis WHERE jti = $1")
                        .bind(jti)
                        .fetch_optional(&self.pool)
                        .await
                        .map_err(store_error)?;
                    Ok(row.is_some())
                }
            }

            #[async_trait]
            impl ReplayStore for $store {
                async fn record_assertion_jti(
                    &self,
                    client_id: &str,
                    jti: &str,
                    expires_at: i64,
                ) -> Result<bool, StoreError> {
                    let done = sqlx::query(
                        "INSERT INTO assertion_jtis (client_id, jti, expires_at) VALUES ($1, $2, $3) \
                         ON CONFLICT (client_id, jti) DO NOTHING",
                    )
                    .bind(client_id)
                    .bind(jti)
                    .bind(expires_at)
                    .execute(self.writes())
                    .await
                    .map_err(store_error)?;
                    Ok(done.rows_affected() == 1)
                }
            }

            const CODE_COLUMNS: &str = "code_hash, data, expires_at, used_at";

            fn code_row(row: &DbRow) -> Result<StoredCode, StoreError> {
                rows::code(
                    row.try_get("code_hash").map_err(store_error)?,
                    &row.try_get::<String, _>("data").map_err(store_error)?,
                    row.try_get("expires_at").map_err(store_error)?,
                    row.try_get("used_at").map_err(store_error)?,
                )
            }

            const REFRESH_COLUMNS: &str =
                "token_hash, grant_data, issued_at, expires_at, used_at, revoked_at";

            fn refresh_row(row: &DbRow) -> Result<StoredRefreshToken, StoreError> {
                rows::refresh_token(
                    row.try_get("token_hash").map_err(store_error)?,
                    &row.try_get::<String, _>("grant_data").map_err(store_error)?,
                    row.try_get("issued_at").map_err(store_error)?,
                    row.try_get("expires_at").map_err(store_error)?,
                    row.try_get("used_at").map_err(store_error)?,
                    row.try_get("revoked_at").map_err(store_error)?,
                )
            }

            /// The row with this hash (or other binary key), mapped.
            async fn fetch_by_hash<T>(
                pool: &sqlx::Pool<Db>,
                sql: String,
                hash: &SecretHash,
                map: fn(&DbRow) -> Result<T, StoreError>,
            ) -> Result<Option<T>, StoreError> {
                let row = sqlx::query(sqlx::AssertSqlSafe(sql))
                    .bind(hash.0.to_vec())
                    .fetch_optional(pool)
                    .await
                    .map_err(store_error)?;
                row.as_ref().map(map).transpose()
            }

            /// Marks a single-use row used, if it still may be, and returns it: one statement.
            async fn spend<T>(
                pool: &sqlx::Pool<Db>,
                sql: String,
                hash: &SecretHash,
                client_id: &str,
                now: i64,
                map: fn(&DbRow) -> Result<T, StoreError>,
            ) -> Result<Option<T>, StoreError> {
                let row = sqlx::query(sqlx::AssertSqlSafe(sql))
                    .bind(hash.0.to_vec())
                    .bind(client_id)
                    .bind(now)
                    .fetch_optional(pool)
                    .await
                    .map_err(store_error)?;
                row.as_ref().map(map).transpose()
            }

            #[async_trait]
            impl GrantStore for $store {
                async fn insert_code(&self, code: &StoredCode) -> Result<(), StoreError> {
                    sqlx::query(
                        "INSERT INTO authorization_codes \
                         (code_hash, grant_id, client_id, data, expires_at, used_at) \
                         VALUES ($1, $2, $3, $4, $5, $6)",
                    )
                    .bind(code.code_hash.0.to_vec())
                    .bind(&code.grant.grant_id)
                    .bind(&code.grant.client_id)
                    .bind(rows::code_json(code)?)
                    .bind(code.expires_at)
                    .bind(code.used_at)
                    .execute(self.writes())
                    .await
                    .map_err(store_error)?;
                    Ok(())
                }

                async fn find_code(&self, code_hash: &SecretHash) -> Result<Option<StoredCode>, StoreError> {
                    fetch_by_hash(&self.pool, format!("SELECT {CODE_COLUMNS} FROM authorization_codes WHERE code_hash = $1"), code_hash, code_row).await
                }

                async fn consume_code(
                    &self,
                    code_hash: &SecretHash,
                    client_id: &str,
                    now: i64,
                ) -> Result<Option<StoredCode>, StoreError> {
                    spend(
                        self.writes(),
                        format!(
                            "UPDATE authorization_codes SET used_at = $3 WHERE code_hash = $1 \
                             AND client_id = $2 AND used_at IS NULL AND expires_at > $3 \
                             RETURNING {CODE_COLUMNS}"
                        ),
                        code_hash,
                        client_id,
                        now,
                        code_row,
                    )
                    .await
                }

                async fn insert_refresh_token(&self, t: &StoredRefreshToken) -> Result<(), StoreError> {
                    sqlx::query(
                        "INSERT INTO refresh_tokens (token_hash, grant_id, client_id, grant_data, \
                         issued_at, expires_at, used_at, revoked_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                    )
                    .bind(t.token_hash.0.to_vec())
                    .bind(&t.grant.grant_id)
                    .bind(&t.grant.client_id)
                    .bind(rows::grant_json(&t.grant)?)
                    .bind(t.issued_at)
                    .bind(t.expires_at)
                    .bind(t.used_at)
                    .bind(t.revoked_at)
                    .execute(self.writes())
                    .await
                    .map_err(store_error)?;
                    Ok(())
                }

                async fn find_refresh_token(
                    &self,
                    token_hash: &SecretHash,
                ) -> Result<Option<StoredRefreshToken>, StoreError> {
                    fetch_by_hash(&self.pool, format!("SELECT {REFRESH_COLUMNS} FROM refresh_tokens WHERE token_hash = $1"), token_hash, refresh_row).await
                }

                async fn use_refresh_token(
                    &self,
                    token_hash: &SecretHash,
                    client_id: &str,
                    now: i64,
                ) -> Result<Option<StoredRefreshToken>, StoreError> {
                    spend(
                        self.writes(),
                        format!(
                            "UPDATE refresh_tokens SET used_at = $3 WHERE token_hash = $1 \
                             AND client_id = $2 AND used_at IS NULL AND revoked_at IS NULL \
                             AND expires_at > $3 RETURNING {REFRESH_COLUMNS}"
                        ),
                        token_hash,
                        client_id,
                        now,
                        refresh_row,
                    )
                    .await
                }

                async fn revoke_grant(&self, grant_id: &str, now: i64, keep_until: i64) -> Result<(), StoreError> {
                    let mut tx = self
                        .writes()
                        .begin_with(<$store>::BEGIN_WRITE)
                        .await
                        .map_err(store_error)?;
                    sqlx::query(
                        "INSERT INTO revoked_grants (grant_id, expires_at) VALUES ($1, $2) \
                         ON CONFLICT (grant_id) DO NOTHING",
                    )
                    .bind(grant_id)
                    .bind(keep_until)
                    .execute(&mut *tx)
                    .await
                    .map_err(store_error)?;
                    // JWT access tokens cannot be changed, only listed as revoked by jti.
                    sqlx::query(
                        "INSERT INTO revoked_jtis (jti, expires_at) SELECT jti, expires_at \
                         FROM access_tokens WHERE grant_id = $1 ON CONFLICT (jti) DO NOTHING",
                    )
                    .bind(grant_id)
                    .execute(&mut *tx)
                    .await
                    .map_err(store_error)?;
                    for table in ["refresh_tokens", "access_tokens"] {
                        sqlx::query(sqlx::AssertSqlSafe(format!(
                            "UPDATE {table} SET revoked_at = COALESCE(revoked_at, $2) WHERE grant_id = $1"
                        )))
                        .bind(grant_id)
                        .bind(now)
                        .execute(&mut *tx)
                        .await
                        .map_err(store_error)?;
                    }
                    tx.commit().await.map_err(store_error)
                }

                async fn is_grant_revoked(&self, grant_id: &str) -> Result<bool, StoreError> {
                    let row = sqlx::query("SELECT 1 FROM revoked_grants WHERE grant_id = $1")
                        .bind(grant_id)
                        .fetch_optional(&self.pool)
                        .await
                        .map_err(store_error)?;
                    Ok(row.is_some())
                }
            }

            const DEVICE_COLUMNS: &str = "device_code_hash, user_code, client_id, scope, status, \
                grant_data, poll_interval, last_polled_at, expires_at";

            fn device_row(row: &DbRow) -> Result<DeviceCode, StoreError> {
                rows::device_code(
                    row.try_get("device_code_hash").map_err(store_error)?,
                    row.try_get("user_code").map_err(store_error)?,
                    row.try_get("client_id").map_err(store_error)?,
                    &row.try_get::<String, _>("scope").map_err(store_error)?,
                    &row.try_get::<String, _>("status").map_err(store_error)?,
                    row.try_get("grant_data").map_err(store_error)?,
                    row.try_get("poll_interval").map_err(store_error)?,
                    row.try_get("last_polled_at").map_err(store_error)?,
                    row.try_get("expires_at").map_err(store_error)?,
                )
            }

            #[async_trait]
            impl DeviceStore for $store {
                async fn insert_device_code(&self, d: &DeviceCode) -> Result<bool, StoreError> {
                    let done = sqlx::query(
                        "INSERT INTO device_codes (device_code_hash, user_code, client_id, scope, status, \
                         grant_data, poll_interval, last_polled_at, expires_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (user_code) DO NOTHING",
                    )
                    .bind(d.device_code_hash.0.to_vec())
                    .bind(&d.user_code)
                    .bind(&d.client_id)
                    .bind(d.scope.to_string())
                    .bind(d.status.as_str())
                    .bind(d.grant.as_ref().map(rows::grant_json).transpose()?)
                    .bind(d.interval)
                    .bind(d.last_polled_at)
                    .bind(d.expires_at)
                    .execute(self.writes())
                    .await
                    .map_err(store_error)?;
                    Ok(done.rows_affected() == 1)
                }

                async fn find_device_code(&self, hash: &SecretHash) -> Result<Option<DeviceCode>, StoreError> {
                    fetch_by_hash(&self.pool, format!("SELECT {DEVICE_COLUMNS} FROM device_codes WHERE device_code_hash = $1"), hash, device_row).await
                }

                async fn find_device_code_by_user_code(&self, user_code: &str) -> Result<Option<DeviceCode>, StoreError> {
                    fetch_by_key(&self.pool, format!("SELECT {DEVICE_COLUMNS} FROM device_codes WHERE user_code = $1"), user_code, device_row).await
                }

                async fn poll_device_code(&self, hash: &SecretHash, now: i64, interval: i64) -> Result<(), StoreError> {
                    sqlx::query(
                        "UPDATE device_codes SET last_polled_at = $2, poll_interval = $3 WHERE device_code_hash = $1",
                    )
                    .bind(hash.0.to_vec())
                    .bind(now)
                    .bind(interval)
                    .execute(self.writes())
                    .await
                    .map_err(store_error)?;
                    Ok(())
                }

                async fn settle_device_code(
                    &self,
                    user_code: &str,
                    status: DeviceStatus,
                    grant: Option<&Grant>,
                    now: i64,
                ) -> Result<bool, StoreError> {
                    let done = sqlx::query(
                        "UPDATE device_codes SET status = $2, grant_data = $3 \
                         WHERE user_code = $1 AND status = 'pending' AND expires_at > $4",
                    )
                    .bind(user_code)
                    .bind(status.as_str())
                    .bind(grant.map(rows::grant_json).transpose()?)
                    .bind(now)
                    .execute(self.writes())
                    .await
                    .map_err(store_error)?;
                    Ok(done.rows_affected() == 1)
                }

                async fn redeem_device_code(
                    &self,
                    hash: &SecretHash,
                    client_id: &str,
                    now: i64,
                ) -> Result<Option<DeviceCode>, StoreError> {
                    spend(
                        self.writes(),
                        format!(
                            "UPDATE device_codes SET status = 'redeemed' WHERE device_code_hash = $1 \
                             AND client_id = $2 AND status = 'approved' AND expires_at > $3 \
                             RETURNING {DEVICE_COLUMNS}"
                        ),
                        hash,
                        client_id,
                        now,
                        device_row,
                    )
                    .await
                }
            }

            fn session_row(row: &DbRow) -> Result<BrowserSession, StoreError> {
                Ok(BrowserSession {
                    sid: row.try_get("sid").map_err(store_error)?,
                    user_id: row.try_get("user_id").map_err(store_error)?,
                    auth_time: row.try_get("auth_time").map_err(store_error)?,
                    expires_at: row.try_get("expires_at").map_err(store_error)?,
                })
            }

            fn pending_row(row: &DbRow) -> Result<PendingAuthorization, StoreError> {
                rows::pending(&row.try_get::<String, _>("data").map_err(store_error)?)
            }

            #[async_trait]
            impl InteractionStore for $store {
                async fn insert_session(
                    &self,
                    id_hash: &SecretHash,
                    s: &BrowserSession,
                ) -> Result<(), StoreError> {
                    sqlx::query(
                        "INSERT INTO browser_sessions (id_hash, sid, user_id, auth_time, expires_at) \
                         VALUES ($1, $2, $3, $4, $5)",
                    )
                    .bind(id_hash.0.to_vec())
                    .bind(&s.sid)
                    .bind(&s.user_id)
                    .bind(s.auth_time)
                    .bind(s.expires_at)
                    .execute(self.writes())
                    .await
                    .map_err(store_error)?;
                    Ok(())
                }

                async fn get_session(&self, id_hash: &SecretHash) -> Result<Option<BrowserSession>, StoreError> {
                    fetch_by_hash(&self.pool, "SELECT sid, user_id, auth_time, expires_at FROM browser_sessions WHERE id_hash = $1".to_owned(), id_hash, session_row).await
                }

                async fn delete_session(&self, id_hash: &SecretHash) -> Result<(), StoreError> {
                    sqlx::query("DELETE FROM browser_sessions WHERE id_hash = $1")
                        .bind(id_hash.0.to_vec())
                        .execute(self.writes())
                        .await
                        .map_err(store_error)?;
                    Ok(())
                }

                async fn insert_pending(&self, p: &PendingAuthorization) -> Result<(), StoreError> {
                    sqlx::query(
                        "INSERT INTO pending_authorizations (id, data, expires_at) VALUES ($1, $2, $3)",
                    )
                    .bind(&p.id)
                    .bind(rows::pending_json(p)?)
                    .bind(p.expires_at)
                    .execute(self.writes())
                    .await
                    .map_err(store_error)?;
                    Ok(())
                }

                async fn get_pending(&self, id: &str) -> Result<Option<PendingAuthorization>, StoreError> {
                    fetch_by_key(&self.pool, "SELECT data FROM pending_authorizations WHERE id = $1".to_owned(), id, pending_row).await
                }

                async fn update_pending(&self, p: &PendingAuthorization) -> Result<bool, StoreError> {
                    let done = sqlx::query("UPDATE pending_authorizations SET data = $2 WHERE id = $1")
                        .bind(&p.id)
                        .bind(rows::pending_json(p)?)
                        .execute(self.writes())
                        .await
                        .map_err(store_error)?;
                    Ok(done.rows_affected() == 1)
                }

                async fn take_pending(&self, id: &str) -> Result<Option<PendingAuthorization>, StoreError> {
                    fetch_by_key(self.writes(), "DELETE FROM pending_authorizations WHERE id = $1 RETURNING data".to_owned(), id, pending_row).await
                }

                async fn get_consent(&self, user_id: &str, client_id: &str) -> Result<Option<Scopes>, StoreError> {
                    let row = sqlx::query("SELECT scope FROM consents WHERE user_id = $1 AND client_id = $2")
                        .bind(user_id)
                        .bind(client_id)
                        .fetch_optional(&self.pool)
                        .await
                        .map_err(store_error)?;
                    row.map(|r| rows::scope(&r.try_get::<String, _>("scope").map_err(store_error)?))
                        .transpose()
                }

                async fn put_consent(
                    &self,
                    user_id: &str,
                    client_id: &str,
                    scope: &Scopes,
                    now: i64,
                ) -> Result<(), StoreError> {
                    sqlx::query(
                        "INSERT INTO consents (user_id, client_id, scope, granted_at) VALUES ($1, $2, $3, $4) \
                         ON CONFLICT (user_id, client_id) DO UPDATE SET scope = excluded.scope, \
                         granted_at = excluded.granted_at",
                    )
                    .bind(user_id)
                    .bind(client_id)
                    .bind(scope.to_string())
                    .bind(now)
                    .execute(self.writes())
                    .await
                    .map_err(store_error)?;
                    Ok(())
                }
            }

            const OAUTH1_COLUMNS: &str = "token, kind, client_id, sealed_secret, callback, \
                verifier_hash, user_id, status, expires_at";

            fn oauth1_row(row: &DbRow) -> Result<Oauth1Token, StoreError> {
                rows::oauth1_token(
                    row.try_get("token").map_err(store_error)?,
                    &row.try_get::<String, _>("kind").map_err(store_error)?,
                    row.try_get("client_id").map_err(store_error)?,
                    row.try_get("sealed_secret").map_err(store_error)?,
                    row.try_get("callback").map_err(store_error)?,
                    row.try_get("verifier_hash").map_err(store_error)?,
                    row.try_get("user_id").map_err(store_error)?,
                    &row.try_get::<String, _>("status").map_err(store_error)?,
                    row.try_get("expires_at").map_err(store_error)?,
                )
            }

            #[async_trait]
            impl Oauth1Store for $store {
                async fn put_oauth1_secret(&self, client_id: &str, sealed: &[u8]) -> Result<(), StoreError> {
                    sqlx::query(
                        "INSERT INTO oauth1_secrets (client_id, sealed) VALUES ($1, $2) \
                         ON CONFLICT (client_id) DO UPDATE SET sealed = excluded.sealed",
                    )
                    .bind(client_id)
                    .bind(sealed.to_vec())
                    .execute(self.writes())
                    .await
                    .map_err(store_error)?;
                    Ok(())
                }

                async fn delete_oauth1_secret(&self, client_id: &str) -> Result<(), StoreError> {
                    sqlx::query("DELETE FROM oauth1_secrets WHERE client_id = $1")
                        .bind(client_id)
                        .execute(self.writes())
                        .await
                        .map_err(store_error)?;
                    Ok(())
                }

                async fn get_oauth1_secret(&self, client_id: &str) -> Result<Option<Vec<u8>>, StoreError> {
                    let row = sqlx::query("SELECT sealed FROM oauth1_secrets WHERE client_id = $1")
                        .bind(client_id)
                        .fetch_optional(&self.pool)
                        .await
                        .map_err(store_error)?;
                    row.map(|r| r.try_get("sealed").map_err(store_error)).transpose()
                }

                async fn insert_oauth1_token(&self, t: &Oauth1Token) -> Result<(), StoreError> {
                    sqlx::query(
                        "INSERT INTO oauth1_tokens (token, kind, client_id, sealed_secret, callback, \
                         verifier_hash, user_id, status, expires_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                    )
                    .bind(&t.token)
                    .bind(t.kind.as_str())
                    .bind(&t.client_id)
                    .bind(t.sealed_secret.clone())
                    .bind(t.callback.clone())
                    .bind(t.verifier_hash.as_ref().map(|h| h.0.to_vec()))
                    .bind(t.user_id.clone())
                    .bind(t.status.as_str())
                    .bind(t.expires_at)
                    .execute(self.writes())
                    .await
                    .map_err(store_error)?;
                    Ok(())
                }

                async fn find_oauth1_token(&self, token: &str) -> Result<Option<Oauth1Token>, StoreError> {
                    fetch_by_key(&self.pool, format!("SELECT {OAUTH1_COLUMNS} FROM oauth1_tokens WHERE token = $1"), token, oauth1_row).await
                }

                async fn answer_oauth1_token(
                    &self,
                    token: &str,
                    status: sesame_core::oauth1::TokenStatus,
                    user_id: Option<&str>,
                    verifier_hash: Option<&SecretHash>,
                    now: i64,
                ) -> Result<bool, StoreError> {
                    let done = sqlx::query(
                        "UPDATE oauth1_tokens SET status = $2, user_id = $3, verifier_hash = $4 \
                         WHERE token = $1 AND kind = 'temporary' AND status = 'pending' AND expires_at > $5",
                    )
                    .bind(token)
                    .bind(status.as_str())
                    .bind(user_id)
                    .bind(verifier_hash.map(|h| h.0.to_vec()))
                    .bind(now)
                    .execute(self.writes())
                    .await
                    .map_err(store_error)?;
                    Ok(done.rows_affected() == 1)
                }

                async fn exchange_oauth1_token(
                    &self,
                    token: &str,
                    client_id: &str,
                    now: i64,
                ) -> Result<Option<Oauth1Token>, StoreError> {
                    let row = sqlx::query(sqlx::AssertSqlSafe(format!(
                        "UPDATE oauth1_tokens SET status = 'used' WHERE token = $1 AND client_id = $2 \
                         AND kind = 'temporary' AND status = 'authorized' AND expires_at > $3 \
                         RETURNING {OAUTH1_COLUMNS}"
                    )))
                    .bind(token)
                    .bind(client_id)
                    .bind(now)
                    .fetch_optional(self.writes())
                    .await
                    .map_err(store_error)?;
                    row.as_ref().map(oauth1_row).transpose()
                }
            }

            fn connection_row(row: &DbRow) -> Result<(Connection, Vec<u8>), StoreError> {
                Ok((
                    rows::connection(&row.try_get::<String, _>("data").map_err(store_error)?)?,
                    row.try_get("sealed_secret").map_err(store_error)?,
                ))
            }

            fn federation_state_row(row: &DbRow) -> Result<FederationState, StoreError> {
                rows::federation_state(&row.try_get::<String, _>("data").map_err(store_error)?)
            }

            /// Deletes a user or a connection and, in the same transaction, its identity links.
            async fn delete_with_links(
                pool: &sqlx::Pool<Db>,
                table: &str,
                key: &str,
                link_column: &str,
                id: &str,
            ) -> Result<bool, StoreError> {
                let mut tx = pool.begin_with(<$store>::BEGIN_WRITE).await.map_err(store_error)?;
                sqlx::query(sqlx::AssertSqlSafe(format!("DELETE FROM identity_links WHERE {link_column} = $1")))
                    .bind(id)
                    .execute(&mut *tx)
                    .await
                    .map_err(store_error)?;
                let done = sqlx::query(sqlx::AssertSqlSafe(format!("DELETE FROM {table} WHERE {key} = $1")))
                    .bind(id)
                    .execute(&mut *tx)
                    .await
                    .map_err(store_error)?;
                tx.commit().await.map_err(store_error)?;
                Ok(done.rows_affected() == 1)
            }

            /// Inserts a link; `Ok(false)` if this upstream subject is linked already.
            async fn insert_link<'e, E>(executor: E, connection_id: &str, subject: &str, user_id: &str, now: i64) -> Result<bool, StoreError>
            where
                E: sqlx::Executor<'e, Database = <$store as crate::Backend>::Db>,
            {
                let done = sqlx::query(
                    "INSERT INTO identity_links (connection_id, subject, user_id, created_at) \
                     VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
                )
                .bind(connection_id)
                .bind(subject)
                .bind(user_id)
                .bind(now)
                .execute(executor)
                .await
                .map_err(store_error)?;
                Ok(done.rows_affected() == 1)
            }

            #[async_trait]
            impl FederationStore for $store {
                async fn upsert_connection(&self, c: &Connection, sealed_secret: &[u8]) -> Result<(), StoreError> {
                    sqlx::query(
                        "INSERT INTO connections (id, data, sealed_secret) VALUES ($1, $2, $3) \
                         ON CONFLICT (id) DO UPDATE SET data = excluded.data, sealed_secret = excluded.sealed_secret",
                    )
                    .bind(&c.id)
                    .bind(rows::connection_json(c)?)
                    .bind(sealed_secret.to_vec())
                    .execute(self.writes())
                    .await
                    .map_err(store_error)?;
                    Ok(())
                }

                async fn list_connections(&self) -> Result<Vec<Connection>, StoreError> {
                    Ok(fetch_all(&self.pool, "SELECT data, sealed_secret FROM connections ORDER BY id".to_owned(), connection_row)
                        .await?
                        .into_iter()
                        .map(|(c, _)| c)
                        .collect())
                }

                async fn get_connection(&self, id: &str) -> Result<Option<(Connection, Vec<u8>)>, StoreError> {
                    fetch_by_key(&self.pool, "SELECT data, sealed_secret FROM connections WHERE id = $1".to_owned(), id, connection_row).await
                }

                async fn delete_connection(&self, id: &str) -> Result<bool, StoreError> {
                    // A connection made again under this id may be another issuer: its subjects
                    // must not land on the old users.
                    delete_with_links(self.writes(), "connections", "id", "connection_id", id).await
                }

                async fn find_linked_user(&self, connection_id: &str, subject: &str) -> Result<Option<String>, StoreError> {
                    let row = sqlx::query("SELECT user_id FROM identity_links WHERE connection_id = $1 AND subject = $2")
                        .bind(connection_id)
                        .bind(subject)
                        .fetch_optional(&self.pool)
                        .await
                        .map_err(store_error)?;
                    row.map(|r| r.try_get("user_id").map_err(store_error)).transpose()
                }

                async fn link_identity(&self, connection_id: &str, subject: &str, user_id: &str, now: i64) -> Result<bool, StoreError> {
                    insert_link(self.writes(), connection_id, subject, user_id, now).await
                }

                async fn create_linked_user(&self, user: &User, connection_id: &str, subject: &str, now: i64) -> Result<bool, StoreError> {
                    let mut tx = self
                        .writes()
                        .begin_with(<$store>::BEGIN_WRITE)
                        .await
                        .map_err(store_error)?;
                    // Both or neither: a failed login never leaves a user without its link.
                    if !insert_user_row(&mut *tx, user).await? || !insert_link(&mut *tx, connection_id, subject, &user.id, now).await? {
                        tx.rollback().await.map_err(store_error)?;
                        return Ok(false);
                    }
                    tx.commit().await.map_err(store_error)?;
                    Ok(true)
                }

                async fn list_linked_identities(&self, user_id: &str) -> Result<Vec<(String, String)>, StoreError> {
                    let rows = sqlx::query("SELECT connection_id, subject FROM identity_links WHERE user_id = $1 ORDER BY connection_id, subject")
                        .bind(user_id)
                        .fetch_all(&self.pool)
                        .await
                        .map_err(store_error)?;
                    rows.iter()
                        .map(|r| Ok((r.try_get("connection_id").map_err(store_error)?, r.try_get("subject").map_err(store_error)?)))
                        .collect()
                }

                async fn unlink_identity(&self, user_id: &str, connection_id: &str) -> Result<bool, StoreError> {
                    let done = sqlx::query("DELETE FROM identity_links WHERE user_id = $1 AND connection_id = $2")
                        .bind(user_id)
                        .bind(connection_id)
                        .execute(self.writes())
                        .await
                        .map_err(store_error)?;
                    Ok(done.rows_affected() > 0)
                }

                async fn insert_federation_state(&self, f: &FederationState) -> Result<(), StoreError> {
                    sqlx::query("INSERT INTO federation_states (state, data, expires_at) VALUES ($1, $2, $3)")
                        .bind(&f.state)
                        .bind(rows::federation_state_json(f)?)
                        .bind(f.expires_at)
                        .execute(self.writes())
                        .await
                        .map_err(store_error)?;
                    Ok(())
                }

                async fn take_federation_state(&self, state: &str) -> Result<Option<FederationState>, StoreError> {
                    fetch_by_key(self.writes(), "DELETE FROM federation_states WHERE state = $1 RETURNING data".to_owned(), state, federation_state_row).await
                }
            }

            #[async_trait]
            impl LoginThrottle for $store {
                async fn record_login_failure(
                    &self,
                    account: &str,
                    now: i64,
                    window_start: i64,
                ) -> Result<u32, StoreError> {
                    // The row outlives the window it counts.
                    let expires_at = now + (now - window_start);
                    let row = sqlx::query(
                        "INSERT INTO login_failures (account, failures, window_start, locked_until, expires_at) \
                         VALUES ($1, 1, $2, 0, $4) ON CONFLICT (account) DO UPDATE SET \
                         failures = CASE WHEN login_failures.window_start <= $3 THEN 1 \
                                    ELSE login_failures.failures + 1 END, \
                         window_start = CASE WHEN login_failures.window_start <= $3 THEN $2 \
                                        ELSE login_failures.window_start END, \
                         expires_at = CASE WHEN login_failures.expires_at > $4 \
                                      THEN login_failures.expires_at ELSE $4 END \
                         RETURNING failures",
                    )
                    .bind(account)
                    .bind(now)
                    .bind(window_start)
                    .bind(expires_at)
                    .fetch_one(self.writes())
                    .await
                    .map_err(store_error)?;
                    let failures: i64 = row.try_get("failures").map_err(store_error)?;
                    Ok(u32::try_from(failures).unwrap_or(u32::MAX))
                }

                async fn lock_login(&self, account: &str, until: i64) -> Result<(), StoreError> {
                    sqlx::query(
                        "UPDATE login_failures SET failures = 0, locked_until = $2, \
                         expires_at = CASE WHEN expires_at > $2 THEN expires_at ELSE $2 END \
                         WHERE account = $1",
                    )
                    .bind(account)
                    .bind(until)
                    .execute(self.writes())
                    .await
                    .map_err(store_error)?;
                    Ok(())
                }

                async fn login_locked_until(&self, account: &str, now: i64) -> Result<Option<i64>, StoreError> {
                    let row = sqlx::query(
                        "SELECT locked_until FROM login_failures WHERE account = $1 AND locked_until > $2",
                    )
                    .bind(account)
                    .bind(now)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(store_error)?;
                    row.map(|r| r.try_get("locked_until").map_err(store_error))
                        .transpose()
                }

                async fn clear_login_failures(&self, account: &str) -> Result<(), StoreError> {
                    sqlx::query("DELETE FROM login_failures WHERE account = $1")
                        .bind(account)
                        .execute(self.writes())
                        .await
                        .map_err(store_error)?;
                    Ok(())
                }
            }

            #[async_trait]
            impl Maintenance for $store {
                async fn ping(&self) -> Result<(), StoreError> {
                    sqlx::query("SELECT 1")
                        .execute(&self.pool)
                        .await
                        .map_err(store_error)?;
                    Ok(())
                }

                async fn sweep_expired(&self, now: i64, batch: u32) -> Result<u64, StoreError> {
                    // Bounded batches keep each delete short, so sweeping never stalls requests.
                    const SWEEPS: [&str; 13] = [
                        "DELETE FROM access_tokens WHERE token_hash IN \
                         (SELECT token_hash FROM access_tokens WHERE expires_at <= $1 LIMIT $2)",
                        "DELETE FROM revoked_jtis WHERE jti IN \
                         (SELECT jti FROM revoked_jtis WHERE expires_at <= $1 LIMIT $2)",
                        "DELETE FROM assertion_jtis WHERE (client_id, jti) IN \
                         (SELECT client_id, jti FROM assertion_jtis WHERE expires_at <= $1 LIMIT $2)",
                        "DELETE FROM signing_keys WHERE kid IN \
                         (SELECT kid FROM signing_keys WHERE publish_until <= $1 LIMIT $2)",
                        // Codes, device codes and OAuth 1.0a credentials stay ten minutes past
                        // expiry, so a late replay still revokes and a late poll hears "expired".
                        "DELETE FROM authorization_codes WHERE code_hash IN \
                         (SELECT code_hash FROM authorization_codes WHERE expires_at <= $1 - 600 LIMIT $2)",
                        "DELETE FROM refresh_tokens WHERE token_hash IN \
                         (SELECT token_hash FROM refresh_tokens WHERE expires_at <= $1 LIMIT $2)",
                        "DELETE FROM browser_sessions WHERE id_hash IN \
                         (SELECT id_hash FROM browser_sessions WHERE expires_at <= $1 LIMIT $2)",
                        "DELETE FROM pending_authorizations WHERE id IN \
                         (SELECT id FROM pending_authorizations WHERE expires_at <= $1 LIMIT $2)",
                        "DELETE FROM login_failures WHERE account IN \
                         (SELECT account FROM login_failures WHERE expires_at <= $1 LIMIT $2)",
                        "DELETE FROM revoked_grants WHERE grant_id IN \
                         (SELECT grant_id FROM revoked_grants WHERE expires_at <= $1 LIMIT $2)",
                        "DELETE FROM device_codes WHERE device_code_hash IN \
                         (SELECT device_code_hash FROM device_codes WHERE expires_at <= $1 - 600 LIMIT $2)",
                        "DELETE FROM federation_states WHERE state IN \
                         (SELECT state FROM federation_states WHERE expires_at <= $1 LIMIT $2)",
                        "DELETE FROM oauth1_tokens WHERE token IN \
                         (SELECT token FROM oauth1_tokens WHERE expires_at <= $1 - 600 LIMIT $2)",
                    ];
                    let mut tx = self
                        .writes()
                        .begin_with(<$store>::BEGIN_WRITE)
                        .await
                        .map_err(store_error)?;
                    // With several nodes, one sweeps and the others skip this round.
                    if !<$store>::try_sweep_lock(&mut tx).await? {
                        return Ok(0);
                    }
                    let mut deleted = 0;
                    for sql in SWEEPS {
                        deleted += sqlx::query(sql)
                            .bind(now)
                            .bind(i64::from(batch))
                            .execute(&mut *tx)
                            .await
                            .map_err(store_error)?
                            .rows_affected();
                    }
                    tx.commit().await.map_err(store_error)?;
                    Ok(deleted)
                }

                async fn migrate(&self) -> Result<(), StoreError> {
                    Self::migrator()
                        .run(self.writes())
                        .await
                        .map_err(crate::errors::migrate_error)
                }
            }
        };
    };
}

pub(crate) use sql_store;
