//! Second factors of a user: enrolled (the recovery codes made with the first), removed (the
//! codes go with the last), and new recovery codes, by the same rules from the shell, the
//! account page and the sign-in page; each change audited.

use super::{ManageError, Manager};
use sesame_core::audit::action;
use sesame_core::mfa::{Factor, recovery};
use sesame_core::store::StoreError;
use sesame_core::user::User;

/// A factor enrolled, and the recovery codes to show once when it was the user's first.
pub struct Enrolled {
    pub factor: Factor,
    pub recovery_codes: Option<Vec<String>>,
}

/// What the CLI, the account page and the audit trail show of a factor: never its secret.
pub fn describe(f: &Factor) -> serde_json::Value {
    serde_json::json!({
        "id": f.id, "kind": f.kind.as_str(), "name": f.name,
        "created_at": f.created_at, "last_used_at": f.last_used_at,
    })
}

fn target(user: &User) -> String {
    format!("user:{}", user.id)
}

impl Manager<'_> {
    pub async fn factors(&self, user: &User) -> Result<Vec<Factor>, ManageError> {
        Ok(self.store.list_factors(&user.id).await?)
    }

    /// Enrols a TOTP authenticator with this secret. `spent_step` is the step of the code that
    /// confirmed it (so that code cannot sign in again).
    pub async fn enrol_totp(
        &self,
        user: &User,
        name: &str,
        secret: &[u8],
        spent_step: Option<i64>,
    ) -> Result<Enrolled, ManageError> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 64 {
            return Err(ManageError::invalid(
                Some("name"),
                "name: 1 to 64 characters, so the user can tell their authenticators apart",
            ));
        }
        let first = self.store.list_factors(&user.id).await?.is_empty();
        let mut factor = Factor::totp(self.master_key, &user.id, name, secret, self.now)
            .map_err(|e| ManageError::Store(StoreError::Backend(e.to_string())))?;
        factor.last_step = spent_step;
        self.store.insert_factor(&factor).await?;
        self.audit(
            action::FACTOR_ENROLLED,
            target(user),
            serde_json::json!({ "after": describe(&factor) }),
        )
        .await;
        let recovery_codes = match first {
            true => Some(self.replace_recovery_codes(user).await?),
            false => None,
        };
        Ok(Enrolled {
            factor,
            recovery_codes,
        })
    }

    /// A passkey just registered (stored by `crate::passkeys`): audited, with the recovery codes
    /// to show once when it is the user's first factor.
    pub async fn passkey_added(
        &self,
        user: &User,
        factor: Factor,
    ) -> Result<Enrolled, ManageError> {
        self.audit(
            action::FACTOR_ENROLLED,
            target(user),
            serde_json::json!({ "after": describe(&factor) }),
        )
        .await;
        let only = self.store.list_factors(&user.id).await?.len() == 1;
        let recovery_codes = match only {
            true => Some(self.replace_recovery_codes(user).await?),
            false => None,
        };
        Ok(Enrolled {
            factor,
            recovery_codes,
        })
    }

    /// Removes a factor; with the last one go the recovery codes (they would be a second
    /// factor for an account that has none).
    pub async fn remove_factor(&self, user: &User, id: &str) -> Result<(), ManageError> {
        let factors = self.store.list_factors(&user.id).await?;
        let Some(factor) = factors.iter().find(|f| f.id == id) else {
            return Err(ManageError::NotFound(format!(
                "{} has no factor {id}",
                user.username
            )));
        };
        self.store.delete_factor(&user.id, id).await?;
        // Read again: of two removals racing for the last two factors, the later sees none.
        if self.store.list_factors(&user.id).await?.is_empty() {
            self.store
                .replace_recovery_codes(&user.id, &[], self.now)
                .await?;
        }
        self.audit(
            action::FACTOR_REMOVED,
            target(user),
            serde_json::json!({ "before": describe(factor) }),
        )
        .await;
        Ok(())
    }

    /// Ten new recovery codes, to show once; the old ones stop working.
    pub async fn replace_recovery_codes(&self, user: &User) -> Result<Vec<String>, ManageError> {
        let (codes, hashes) = recovery::generate();
        self.store
            .replace_recovery_codes(&user.id, &hashes, self.now)
            .await?;
        self.audit(
            action::RECOVERY_CODES_REPLACED,
            target(user),
            serde_json::Value::Null,
        )
        .await;
        Ok(codes)
    }
}
