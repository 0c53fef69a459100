//! Users (resource owners): a stable subject, a login name, an optional argon2id password, and
//! the OpenID Connect standard claims (OIDC Core §5.1).

use crate::store::{StoreError, UserStore};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// OIDC Core §5.1 standard claims a user may carry (`sub` is the user's id, `updated_at` its
/// row's). Unknown names are refused, so a typo in the config is an error, not a lost claim.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StandardClaims {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub given_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub family_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub middle_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nickname: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub preferred_username: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub profile: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub picture: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub website: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub email_verified: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gender: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub birthdate: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub zoneinfo: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone_number: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phone_number_verified: Option<bool>,
    /// OIDC Core §5.1.1: released by the `address` scope as one JSON object.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<Address>,
    /// OIDC Core §5.2: claims in other languages and scripts, by their tagged names
    /// (`"name#de" = "…"`, `"family_name#ja-Kana-JP" = "…"`).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub localized: BTreeMap<String, String>,
}

/// The string claims that have a language (OIDC Core §5.2).
pub const LOCALIZABLE_CLAIMS: [&str; 8] = [
    "name",
    "given_name",
    "family_name",
    "middle_name",
    "nickname",
    "profile",
    "picture",
    "website",
];

/// A BCP 47 language tag, loosely (RFC 5646 §2.1): subtags of 1 to 8 letters and digits joined
/// by `-`, the first of 2 to 8 letters (or `i`/`x` for the grandfathered and private forms).
pub fn is_language_tag(tag: &str) -> bool {
    let mut parts = tag.split('-');
    let first = parts.next().unwrap_or_default();
    let first_ok = (2..=8).contains(&first.len()) && first.bytes().all(|b| b.is_ascii_alphabetic())
        || matches!(first, "i" | "x" | "I" | "X");
    first_ok
        && parts.all(|p| (1..=8).contains(&p.len()) && p.bytes().all(|b| b.is_ascii_alphanumeric()))
}

/// The `address` claim (OIDC Core §5.1.1): a postal address, whole or in parts.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Address {
    /// The full mailing address, formatted for display; lines separated by "\n".
    #[serde(skip_serializing_if = "Option::is_none")]
    pub formatted: Option<String>,
    /// Street, house number, apartment; lines separated by "\n".
    #[serde(skip_serializing_if = "Option::is_none")]
    pub street_address: Option<String>,
    /// City or locality.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub locality: Option<String>,
    /// State, province, prefecture or region.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub postal_code: Option<String>,
    /// The country, by name or ISO 3166-1 code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
}

impl Address {
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

/// What a user may do beyond signing in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Signs in to the admin console (`/admin`) and manages everything there.
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Admin => "admin",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct User {
    /// The `sub`: random, never reassigned, never derived from the username (which may change).
    pub id: String,
    pub username: String,
    /// An argon2id PHC string; `None` for users who only sign in through another provider.
    pub password_hash: Option<String>,
    pub disabled: bool,
    pub claims: StandardClaims,
    /// Sorted, without repeats.
    pub roles: Vec<Role>,
    pub created_at: i64,
    pub updated_at: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct InvalidUser(pub String);

impl User {
    /// A new, enabled user with a fresh subject identifier.
    pub fn new(username: &str, claims: StandardClaims, now: i64) -> Result<Self, InvalidUser> {
        validate_username(username)?;
        Ok(Self {
            id: format!("usr_{}", crate::secret::random_token(16)),
            username: username.to_owned(),
            password_hash: None,
            disabled: false,
            roles: Vec::new(),
            claims,
            created_at: now,
            updated_at: now,
        })
    }
}

impl User {
    /// Whether the account may sign in and hold tokens. Every session, delegation, token and
    /// page that acts for a user asks this, through [`active_user`] where it starts from an id.
    pub fn may_sign_in(&self) -> bool {
        !self.disabled
    }

    pub fn has_role(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }
}

/// The user with this id if they may sign in; `None` for a deleted or disabled account.
pub async fn active_user(
    store: &(impl UserStore + ?Sized),
    id: &str,
) -> Result<Option<User>, StoreError> {
    Ok(store.get_user(id).await?.filter(User::may_sign_in))
}

/// 1 to 64 characters, no whitespace or control characters: what a login form can carry.
/// What an operator types about a user (CLI, config file), checked before it is kept. Claims an
/// upstream provider asserts are taken as they come: refusing them would refuse the sign-in.
impl StandardClaims {
    pub fn validate(&self) -> Result<(), InvalidUser> {
        if let Some(email) = &self.email {
            validate_email(email)?;
        }
        for name in self.localized.keys() {
            let ok = name.split_once('#').is_some_and(|(claim, tag)| {
                LOCALIZABLE_CLAIMS.contains(&claim) && is_language_tag(tag)
            });
            if !ok {
                return Err(InvalidUser(format!(
                    "localized: {name:?} is not a claim with a language tag (one of {} with \
                     #language, such as name#de)",
                    LOCALIZABLE_CLAIMS.join(", ")
                )));
            }
        }
        if self.address.as_ref().is_some_and(Address::is_empty) {
            return Err(InvalidUser(
                "address: give at least one of formatted, street_address, locality, region, \
                 postal_code, country"
                    .to_owned(),
            ));
        }
        Ok(())
    }
}

/// An address of the form `local@domain` (RFC 5322 §3.4.1, loosely): one `@`, something on
/// each side, a dot in the domain, no spaces. Whether it receives mail is not for Sesame to say.
pub fn validate_email(email: &str) -> Result<(), InvalidUser> {
    let ok = email.split_once('@').is_some_and(|(local, domain)| {
        !local.is_empty()
            && !domain.contains('@')
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
    }) && !email.chars().any(|c| c.is_whitespace() || c.is_control());
    if ok {
        Ok(())
    } else {
        Err(InvalidUser(format!(
            "email: {email:?} is not an email address (name@example.com)"
        )))
    }
}

pub fn validate_username(username: &str) -> Result<(), InvalidUser> {
    let ok = (1..=64).contains(&username.chars().count())
        && !username
            .chars()
            .any(|c| c.is_whitespace() || c.is_control());
    if ok {
        Ok(())
    } else {
        Err(InvalidUser(
            "username: 1 to 64 characters without spaces or control characters".to_owned(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_need_a_local_part_and_a_domain() {
        for good in ["alice@example.com", "a.b+c@sub.example.org"] {
            assert!(validate_email(good).is_ok(), "{good}");
        }
        for bad in [
            "not-an-email",
            "@example.com",
            "alice@",
            "alice@localhost",
            "a@b@c.d",
            "a b@c.d",
            "a@.com",
        ] {
            assert!(validate_email(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn subjects_are_random_and_usernames_checked() {
        let a = User::new("alice", StandardClaims::default(), 1).unwrap();
        let b = User::new("alice", StandardClaims::default(), 1).unwrap();
        assert_ne!(a.id, b.id);
        assert!(a.id.starts_with("usr_"));
        assert!(User::new("al ice", StandardClaims::default(), 1).is_err());
        assert!(User::new("", StandardClaims::default(), 1).is_err());
        assert!(User::new(&"a".repeat(65), StandardClaims::default(), 1).is_err());
    }

    #[test]
    fn oidc_core_5_1_1_the_address_is_an_object_of_its_own_members() {
        let c: StandardClaims = serde_json::from_value(serde_json::json!({
            "address": {"street_address": "1 Rabbit Hole", "locality": "Oxford", "country": "GB"}
        }))
        .unwrap();
        assert_eq!(
            c.address.as_ref().unwrap().locality.as_deref(),
            Some("Oxford")
        );
        assert_eq!(
            serde_json::to_value(&c).unwrap()["address"],
            serde_json::json!({"street_address": "1 Rabbit Hole", "locality": "Oxford", "country": "GB"})
        );
        let typo = serde_json::json!({"address": {"city": "Oxford"}});
        assert!(serde_json::from_value::<StandardClaims>(typo).is_err());
        let empty = StandardClaims {
            address: Some(Address::default()),
            ..Default::default()
        };
        assert!(empty.validate().is_err());
    }

    #[test]
    fn oidc_core_5_2_localized_claims_name_a_claim_and_a_language() {
        let c: StandardClaims = serde_json::from_value(serde_json::json!({
            "name": "Alice", "localized": {"name#de": "Alicia", "family_name#ja-Kana-JP": "リデル"}
        }))
        .unwrap();
        assert!(c.validate().is_ok());
        for bad in [
            "email#de",
            "name",
            "name#",
            "name#d",
            "name#de_DE",
            "name#toolongtag",
        ] {
            let mut c = c.clone();
            c.localized.insert(bad.into(), "x".into());
            assert!(c.validate().is_err(), "{bad}");
        }
        assert!(is_language_tag("zh-Hant-TW") && is_language_tag("x-klingon"));
    }

    #[test]
    fn claims_use_oidc_names_and_refuse_others() {
        let c: StandardClaims = serde_json::from_value(serde_json::json!({
            "email": "alice@example.com", "email_verified": true, "name": "Alice Liddell"
        }))
        .unwrap();
        assert_eq!(c.email_verified, Some(true));
        assert!(
            serde_json::from_value::<StandardClaims>(serde_json::json!({"e_mail": "x"})).is_err()
        );
    }
}
