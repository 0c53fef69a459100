//! The audit trail: who changed what, when and from where, and the security events of sign-in
//! and token issuance. Events are kept in the store so every node's are in one place, and go
//! after `audit_retention`. An event never carries a secret: metadata before and after a change,
//! never a client secret, a password or its hash.

use serde::{Deserialize, Serialize};

/// One recorded event. `seq` is assigned by the store and orders events (newest last).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEvent {
    #[serde(default)]
    pub seq: i64,
    pub at: i64,
    /// What happened, as `noun.verb` ([`action`] holds them).
    pub action: String,
    /// Who did it: [`Actor`] as text (`operator`, `client:<id>`, `user:<id>`, `anonymous`).
    pub actor: String,
    /// The client address of the request, when it came over HTTP.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    /// What it was done to: `client:<id>`, `user:<id>`, `connection:<id>`, `key:<kid>`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    /// The change (`before`/`after`) or the event's particulars; `null` when there are none.
    #[serde(default)]
    pub details: serde_json::Value,
}

/// Who acts: an operator at the shell, an admin client over the API, a user (the console or
/// their own sign-in), or nobody known.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    Operator,
    Client(String),
    User(String),
    Anonymous,
}

impl std::fmt::Display for Actor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Operator => f.write_str("operator"),
            Self::Client(id) => write!(f, "client:{id}"),
            Self::User(id) => write!(f, "user:{id}"),
            Self::Anonymous => f.write_str("anonymous"),
        }
    }
}

/// Who did it and from where: what every change is recorded with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    pub actor: Actor,
    pub address: Option<String>,
}

impl Origin {
    /// The shell: `sesame client ...`, `sesame user ...`.
    pub fn operator() -> Self {
        Self {
            actor: Actor::Operator,
            address: None,
        }
    }

    /// An event of this origin, now.
    pub fn event(
        &self,
        at: i64,
        action: &str,
        target: Option<String>,
        details: serde_json::Value,
    ) -> AuditEvent {
        AuditEvent {
            seq: 0,
            at,
            action: action.to_owned(),
            actor: self.actor.to_string(),
            address: self.address.clone(),
            target,
            details,
        }
    }
}

/// The actions recorded, as stored and as filtered on.
pub mod action {
    pub const CLIENT_CREATED: &str = "client.created";
    pub const CLIENT_UPDATED: &str = "client.updated";
    pub const CLIENT_DELETED: &str = "client.deleted";
    pub const CLIENT_SECRET_ROTATED: &str = "client.secret_rotated";
    pub const USER_CREATED: &str = "user.created";
    pub const USER_UPDATED: &str = "user.updated";
    pub const USER_DELETED: &str = "user.deleted";
    pub const USER_PASSWORD_SET: &str = "user.password_set";
    pub const USER_UNLOCKED: &str = "user.unlocked";
    pub const USER_IDENTITY_UNLINKED: &str = "user.identity_unlinked";
    pub const SESSION_REVOKED: &str = "session.revoked";
    pub const CONSENT_GRANTED: &str = "consent.granted";
    pub const CONSENT_REVOKED: &str = "consent.revoked";
    pub const CONNECTION_SAVED: &str = "connection.saved";
    pub const CONNECTION_DELETED: &str = "connection.deleted";
    pub const KEYS_ROTATED: &str = "keys.rotated";
    pub const LOGIN_SUCCEEDED: &str = "login.succeeded";
    pub const LOGIN_FAILED: &str = "login.failed";
    pub const LOCKOUT: &str = "login.locked";
    /// A second factor proved after the password (`login.succeeded` is the first factor).
    pub const MFA_SUCCEEDED: &str = "mfa.succeeded";
    pub const MFA_FAILED: &str = "mfa.failed";
    pub const RECOVERY_CODE_USED: &str = "mfa.recovery_code_used";
    /// A passkey's sign counter went back: a cloned authenticator, refused.
    pub const PASSKEY_CLONED: &str = "mfa.passkey_cloned";
    pub const FACTOR_ENROLLED: &str = "mfa.factor_enrolled";
    pub const FACTOR_REMOVED: &str = "mfa.factor_removed";
    pub const RECOVERY_CODES_REPLACED: &str = "mfa.recovery_codes_replaced";
    pub const TOKEN_REFUSED: &str = "token.refused";
    pub const TOKEN_REVOKED: &str = "token.revoked";
}

/// Which events to list: newest first, each filter optional, `before` the cursor (a `seq`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditQuery {
    /// An action (`client.created`) or a noun, which matches all of its actions (`client`).
    pub action: Option<String>,
    pub actor: Option<String>,
    pub target: Option<String>,
    /// Events at or after this time.
    pub since: Option<i64>,
    /// Events with a `seq` below this one (the last one of the previous page).
    pub before: Option<i64>,
    pub limit: u32,
}

impl AuditQuery {
    /// Whether an event passes the filters (the memory store's; SQL says the same).
    pub fn matches(&self, e: &AuditEvent) -> bool {
        let action = self.action.as_deref().is_none_or(|a| {
            e.action == a
                || e.action
                    .strip_prefix(a)
                    .is_some_and(|rest| rest.starts_with('.'))
        });
        action
            && self.actor.as_deref().is_none_or(|a| e.actor == a)
            && self
                .target
                .as_deref()
                .is_none_or(|t| e.target.as_deref() == Some(t))
            && self.since.is_none_or(|s| e.at >= s)
            && self.before.is_none_or(|b| e.seq < b)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(action: &str, seq: i64) -> AuditEvent {
        let mut e = Origin::operator().event(100, action, Some("client:web".into()), Value::Null);
        e.seq = seq;
        e
    }

    use serde_json::Value;

    #[test]
    fn a_noun_matches_its_actions_and_nothing_that_merely_starts_like_it() {
        let q = AuditQuery {
            action: Some("client".into()),
            ..Default::default()
        };
        assert!(q.matches(&event(action::CLIENT_CREATED, 1)));
        assert!(!q.matches(&event("clients.other", 1)));
        assert!(!q.matches(&event(action::USER_CREATED, 1)));
    }

    #[test]
    fn the_cursor_and_the_other_filters_narrow() {
        let q = AuditQuery {
            before: Some(5),
            target: Some("client:web".into()),
            actor: Some("operator".into()),
            since: Some(100),
            ..Default::default()
        };
        assert!(q.matches(&event(action::CLIENT_CREATED, 4)));
        assert!(!q.matches(&event(action::CLIENT_CREATED, 5)));
        let other = AuditQuery {
            actor: Some("client:bot".into()),
            ..Default::default()
        };
        assert!(!other.matches(&event(action::CLIENT_CREATED, 1)));
    }

    #[test]
    fn actors_read_as_they_are_filtered() {
        assert_eq!(Actor::Client("bot".into()).to_string(), "client:bot");
        assert_eq!(Actor::User("usr_1".into()).to_string(), "user:usr_1");
        assert_eq!(Actor::Operator.to_string(), "operator");
    }
}
