//! Users and what they hold: created, changed, locked out and unlocked, signed out, and their
//! consents and linked identities withdrawn, by the same rules from the shell and the API.

use super::{ManageError, Manager, etag::matches};
use sesame_core::audit::action;
use sesame_core::store::{Consent, UserQuery};
use sesame_core::throttle;
use sesame_core::user::{Role, StandardClaims, User, validate_username};

/// The user as the API and `--json` show them, shaped like a `[[users]]` table: the claims
/// beside `sub`, `username` and the state; never the password hash.
pub fn describe(user: &User) -> serde_json::Value {
    let mut v = serde_json::to_value(&user.claims).unwrap_or_default();
    v["sub"] = user.id.clone().into();
    v["username"] = user.username.clone().into();
    v["disabled"] = user.disabled.into();
    v["roles"] = serde_json::to_value(&user.roles).unwrap_or_default();
    v["has_password"] = user.password_hash.is_some().into();
    v["created_at"] = user.created_at.into();
    v["updated_at"] = user.updated_at.into();
    v
}

pub fn etag(user: &User) -> String {
    super::etag(&describe(user))
}

fn target(user: &User) -> String {
    format!("user:{}", user.id)
}

/// What an update may change: the username, the claims, the state, the roles.
#[derive(Debug, Clone, PartialEq)]
pub struct Profile {
    pub username: String,
    pub claims: StandardClaims,
    pub disabled: bool,
    pub roles: Vec<Role>,
}

/// A user to create; the password, when given, is checked and hashed.
#[derive(Debug, Clone, Default)]
pub struct NewUser {
    pub username: String,
    pub claims: StandardClaims,
    pub password: Option<String>,
    pub disabled: bool,
    pub roles: Vec<Role>,
}

/// Roles are kept sorted and without repeats.
fn normalized(mut roles: Vec<Role>) -> Vec<Role> {
    roles.sort();
    roles.dedup();
    roles
}

impl Manager<'_> {
    /// By subject (the API's identifier).
    pub async fn find_user(&self, id: &str) -> Result<User, ManageError> {
        self.store
            .get_user(id)
            .await?
            .ok_or_else(|| ManageError::NotFound(format!("no user with sub {id}")))
    }

    /// By login name (the CLI's).
    pub async fn find_user_named(&self, username: &str) -> Result<User, ManageError> {
        self.store
            .get_user_by_username(username)
            .await?
            .ok_or_else(|| ManageError::NotFound(format!("no user named {username}")))
    }

    pub async fn list_users(&self, query: &UserQuery) -> Result<Vec<User>, ManageError> {
        Ok(self.store.search_users(query).await?)
    }

    /// A new user; the password, when given, is checked and hashed off the runtime.
    pub async fn create_user(&self, new: NewUser) -> Result<User, ManageError> {
        new.claims.validate()?;
        let mut user = User::new(&new.username, new.claims, self.now)?;
        user.disabled = new.disabled;
        user.roles = normalized(new.roles);
        if let Some(password) = new.password {
            user.password_hash = Some(hash(password).await?);
        }
        if !self.store.insert_user(&user).await? {
            return Err(ManageError::Conflict(format!(
                "a user named {} already exists",
                new.username
            )));
        }
        self.audit(
            action::USER_CREATED,
            target(&user),
            serde_json::json!({ "after": describe(&user) }),
        )
        .await;
        Ok(user)
    }

    /// Changes the username, claims or state with `change`, refusing a stale `if_match`.
    /// Disabling ends the user's sessions and revokes every delegation (so enabling the account
    /// again brings back no token issued before).
    pub async fn update_user(
        &self,
        user: User,
        if_match: Option<&str>,
        change: impl FnOnce(&mut Profile) -> Result<(), ManageError>,
    ) -> Result<User, ManageError> {
        if let Some(tag) = if_match
            && !matches(tag, &etag(&user))
        {
            return Err(Self::changed_meanwhile(
                format!("user {}", user.username),
                if_match,
            ));
        }
        let mut profile = Profile {
            username: user.username.clone(),
            claims: user.claims.clone(),
            disabled: user.disabled,
            roles: user.roles.clone(),
        };
        change(&mut profile)?;
        validate_username(&profile.username)?;
        profile.claims.validate()?;
        let before = user.clone();
        let mut user = user;
        user.username = profile.username;
        user.claims = profile.claims;
        user.disabled = profile.disabled;
        user.roles = normalized(profile.roles);
        let user = self.save(user, &before, if_match).await?;
        // Every time, not only when it changes: a disable whose sign-out failed is finished
        // by sending it again (ending nothing twice is harmless).
        if user.disabled {
            self.sign_out_everywhere(&user).await?;
        }
        self.audit(
            action::USER_UPDATED,
            target(&user),
            serde_json::json!({ "before": describe(&before), "after": describe(&user) }),
        )
        .await;
        Ok(user)
    }

    /// Sets the password (checked and hashed here) and lifts any lockout: it is the one the
    /// user will type now. Whoever held the old one is signed out: sessions end and every
    /// delegation is revoked.
    pub async fn set_password(&self, user: User, password: String) -> Result<User, ManageError> {
        let before = user.clone();
        let mut user = user;
        user.password_hash = Some(hash(password).await?);
        let user = self.save(user, &before, None).await?;
        throttle::unlock_account(self.store, &user.username).await?;
        self.sign_out_everywhere(&user).await?;
        self.audit(
            action::USER_PASSWORD_SET,
            target(&user),
            serde_json::Value::Null,
        )
        .await;
        Ok(user)
    }

    /// Until when repeated wrong passwords lock the account, if they do.
    pub async fn locked_until(&self, user: &User) -> Result<Option<i64>, ManageError> {
        Ok(throttle::account_locked_until(self.store, &user.username, self.now).await?)
    }

    /// Lifts a lockout and forgets the failed sign-ins; returns until when it was locked.
    pub async fn unlock_user(&self, user: &User) -> Result<Option<i64>, ManageError> {
        let held = self.locked_until(user).await?;
        throttle::unlock_account(self.store, &user.username).await?;
        self.audit(
            action::USER_UNLOCKED,
            target(user),
            serde_json::json!({ "locked_until": held }),
        )
        .await;
        Ok(held)
    }

    pub async fn delete_user(&self, user: &User) -> Result<(), ManageError> {
        if !self.store.delete_user(&user.id).await? {
            return Err(ManageError::NotFound(format!(
                "no user with sub {}",
                user.id
            )));
        }
        self.audit(
            action::USER_DELETED,
            target(user),
            serde_json::json!({ "before": describe(user) }),
        )
        .await;
        Ok(())
    }

    pub async fn unlink_identity(&self, user: &User, connection: &str) -> Result<(), ManageError> {
        if !self.store.unlink_identity(&user.id, connection).await? {
            return Err(ManageError::NotFound(format!(
                "{} has no identity linked through {connection}",
                user.username
            )));
        }
        self.audit(
            action::USER_IDENTITY_UNLINKED,
            target(user),
            serde_json::json!({ "connection": connection }),
        )
        .await;
        Ok(())
    }

    /// Ends one session (by its `sid`) or all of the user's; single sign-on stops on every node.
    pub async fn revoke_sessions(
        &self,
        user: &User,
        sid: Option<&str>,
    ) -> Result<u64, ManageError> {
        let ended = self.store.delete_sessions(&user.id, sid).await?;
        if let Some(sid) = sid
            && ended == 0
        {
            return Err(ManageError::NotFound(format!(
                "{} has no session {sid}",
                user.username
            )));
        }
        self.audit(
            action::SESSION_REVOKED,
            target(user),
            serde_json::json!({ "sid": sid, "ended": ended }),
        )
        .await;
        Ok(ended)
    }

    pub async fn consents(&self, user: &User) -> Result<Vec<Consent>, ManageError> {
        Ok(self.store.list_consents(&user.id).await?)
    }

    /// Withdraws the consent and ends every token the client holds for the user (a
    /// `skip_consent` client has no consent, only tokens: those end too).
    pub async fn revoke_consent(&self, user: &User, client_id: &str) -> Result<(), ManageError> {
        let keep_until = self.now + self.revocation_memory;
        let withdrawn = self
            .store
            .revoke_consent(&user.id, client_id, self.now, keep_until)
            .await?;
        if !withdrawn.consent && withdrawn.delegations == 0 {
            return Err(ManageError::NotFound(format!(
                "{} has neither consented to {client_id} nor holds its tokens",
                user.username
            )));
        }
        self.audit(
            action::CONSENT_REVOKED,
            target(user),
            serde_json::json!({
                "client_id": client_id,
                "consent": withdrawn.consent,
                "delegations": withdrawn.delegations,
            }),
        )
        .await;
        Ok(())
    }

    /// Ends every session of the user and revokes every delegation, at every client.
    async fn sign_out_everywhere(&self, user: &User) -> Result<(), ManageError> {
        self.store.delete_sessions(&user.id, None).await?;
        let keep_until = self.now + self.revocation_memory;
        self.store
            .revoke_user_delegations(&user.id, self.now, keep_until)
            .await?;
        Ok(())
    }

    /// Writes the user if nobody changed it since `before` was read, and returns it as stored
    /// (with its new `updated_at`, so its ETag is the one a later `If-Match` must send).
    async fn save(
        &self,
        mut user: User,
        before: &User,
        if_match: Option<&str>,
    ) -> Result<User, ManageError> {
        user.updated_at = self.next_version(before.updated_at);
        if self.store.replace_user(&user, before.updated_at).await? {
            return Ok(user);
        }
        // Gone, changed meanwhile, or the new name is someone else's.
        match self.store.get_user(&user.id).await? {
            None => Err(ManageError::NotFound(format!(
                "no user with sub {}",
                user.id
            ))),
            Some(now) if now.updated_at != before.updated_at => Err(Self::changed_meanwhile(
                format!("user {}", before.username),
                if_match,
            )),
            Some(_) => Err(ManageError::Conflict(format!(
                "a user named {} already exists (renaming {})",
                user.username, before.username
            ))),
        }
    }
}

async fn hash(password: String) -> Result<String, ManageError> {
    sesame_core::password::validate_password(&password)
        .map_err(|e| ManageError::invalid(Some("password"), e.to_string()))?;
    crate::password::hash_off_runtime(password)
        .await
        .map_err(|e| ManageError::Store(sesame_core::store::StoreError::Backend(e.to_string())))
}
