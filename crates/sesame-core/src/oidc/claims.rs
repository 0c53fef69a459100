//! Which user claims a client receives: by scope (OIDC Core §5.4) and by the `claims` request
//! parameter (§5.5), released from the user's standard claims (§5.1).

use crate::error::TokenError;
use crate::scope::Scopes;
use crate::user::User;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The claims each scope value asks for (OIDC Core §5.4).
pub const SCOPE_CLAIMS: [(&str, &[&str]); 4] = [
    (
        "profile",
        &[
            "name",
            "family_name",
            "given_name",
            "middle_name",
            "nickname",
            "preferred_username",
            "profile",
            "picture",
            "website",
            "gender",
            "birthdate",
            "zoneinfo",
            "locale",
            "updated_at",
        ],
    ),
    ("email", &["email", "email_verified"]),
    ("address", &["address"]),
    ("phone", &["phone_number", "phone_number_verified"]),
];

/// The ID token's own claims: Sesame sets them, a `claims` request cannot ask for or override
/// them, and they are not user data to consent to.
pub const REGISTERED_CLAIMS: [&str; 9] = [
    "sub",
    "iss",
    "aud",
    "exp",
    "iat",
    "auth_time",
    "nonce",
    "azp",
    "sid",
];

/// Every claim Sesame can release, for discovery's `claims_supported`.
pub fn supported_claims() -> Vec<&'static str> {
    let mut all = REGISTERED_CLAIMS.to_vec();
    all.extend(SCOPE_CLAIMS.iter().flat_map(|(_, c)| c.iter().copied()));
    all
}

/// The parsed `claims` request parameter: the claim names asked for each target, and the one
/// `value` that changes the answer: `sub` in the ID token (§3.1.2.2: the response names that
/// user or none). `essential` changes nothing: Sesame releases what it has and the user
/// consented to, essential or not (§5.5.1).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ClaimsRequest {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub userinfo: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub id_token: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_token_sub: Option<String>,
}

impl ClaimsRequest {
    /// OIDC Core §5.5: a JSON object with optional `userinfo` and `id_token` members, each an
    /// object of claim names to `null` or an object.
    pub fn parse(value: &str) -> Result<Self, TokenError> {
        let bad = |why: &str| TokenError::invalid_request(format!("claims: {why}"));
        let parsed: Value = serde_json::from_str(value).map_err(|_| bad("not a JSON object"))?;
        let object = parsed.as_object().ok_or_else(|| bad("not a JSON object"))?;
        let names = |member: &str| -> Result<Vec<String>, TokenError> {
            match object.get(member) {
                None | Some(Value::Null) => Ok(Vec::new()),
                Some(Value::Object(claims)) => {
                    for request in claims.values() {
                        check_individual_request(request).map_err(bad)?;
                    }
                    Ok(claims.keys().cloned().collect())
                }
                Some(_) => Err(bad("userinfo and id_token must be objects")),
            }
        };
        let id_token_sub = match parsed.pointer("/id_token/sub/value") {
            None => None,
            Some(Value::String(sub)) => Some(sub.clone()),
            Some(_) => return Err(bad("the value of sub must be a string")),
        };
        Ok(Self {
            userinfo: names("userinfo")?,
            id_token: names("id_token")?,
            id_token_sub,
        })
    }
}

/// §5.5.1: `null`, or an object whose `essential` is a boolean and whose `values` is an array
/// (`value` may be any JSON; other members are ignored, as the section requires).
fn check_individual_request(request: &Value) -> Result<(), &'static str> {
    match request {
        Value::Null => Ok(()),
        Value::Object(members) => {
            if members.get("essential").is_some_and(|e| !e.is_boolean()) {
                return Err("essential must be true or false");
            }
            if members.get("values").is_some_and(|v| !v.is_array()) {
                return Err("values must be an array");
            }
            Ok(())
        }
        _ => Err("each requested claim must be null or an object"),
    }
}

/// The claim names `scope` asks for.
pub fn claims_for_scope(scope: &Scopes) -> Vec<&'static str> {
    SCOPE_CLAIMS
        .iter()
        .filter(|(s, _)| scope.contains(s))
        .flat_map(|(_, claims)| claims.iter().copied())
        .collect()
}

/// The values of `names` the user has, as JSON members (`sub` is the caller's business).
/// `updated_at` is the user row's, in seconds (OIDC Core §5.1); `preferred_username` is the
/// username unless the user has one of their own.
pub fn release(user: &User, names: &[&str]) -> Map<String, Value> {
    let mut all = match serde_json::to_value(&user.claims) {
        Ok(Value::Object(map)) => map,
        _ => Map::new(),
    };
    all.insert("updated_at".into(), Value::from(user.updated_at));
    all.entry("preferred_username")
        .or_insert_with(|| Value::from(user.username.clone()));
    let mut out = Map::new();
    for name in names {
        if let Some(v) = all.get(*name) {
            out.insert((*name).to_owned(), v.clone());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::user::StandardClaims;

    fn alice() -> User {
        let claims = StandardClaims {
            name: Some("Alice".into()),
            email: Some("alice@example.com".into()),
            email_verified: Some(true),
            ..Default::default()
        };
        User::new("alice", claims, 100).unwrap()
    }

    #[test]
    fn scope_selects_claim_groups() {
        let names = claims_for_scope(&Scopes::parse("openid email").unwrap());
        let released = release(&alice(), &names);
        assert_eq!(released.len(), 2);
        assert_eq!(released["email"], "alice@example.com");
        assert_eq!(released["email_verified"], true);
    }

    #[test]
    fn oidc_core_5_4_address_and_phone_release_their_claims() {
        let mut user = alice();
        user.claims.phone_number = Some("+441865000000".into());
        user.claims.phone_number_verified = Some(false);
        user.claims.address = Some(crate::user::Address {
            locality: Some("Oxford".into()),
            country: Some("GB".into()),
            ..Default::default()
        });
        let released = release(
            &user,
            &claims_for_scope(&Scopes::parse("address phone").unwrap()),
        );
        assert_eq!(
            released["address"],
            serde_json::json!({"locality": "Oxford", "country": "GB"})
        );
        assert_eq!(released["phone_number"], "+441865000000");
        assert_eq!(released["phone_number_verified"], false);
        assert!(!released.contains_key("email"));
    }

    #[test]
    fn profile_includes_updated_at_and_only_present_values() {
        let scope = Scopes::parse("profile").unwrap();
        let names = claims_for_scope(&scope);
        let released = release(&alice(), &names);
        assert_eq!(released["name"], "Alice");
        assert_eq!(
            released["preferred_username"], "alice",
            "the username by default"
        );
        assert_eq!(released["updated_at"], 100);
        assert!(!released.contains_key("family_name"));
    }

    #[test]
    fn claims_parameter_is_parsed_per_target() {
        let r = ClaimsRequest::parse(
            r#"{"userinfo":{"email":null,"name":{"essential":true}},"id_token":{"email":null}}"#,
        )
        .unwrap();
        assert_eq!(r.userinfo.len(), 2);
        assert_eq!(r.id_token, vec!["email".to_owned()]);
        assert_eq!(r.id_token_sub, None);
        let pinned = ClaimsRequest::parse(r#"{"id_token":{"sub":{"value":"usr_1"}}}"#).unwrap();
        assert_eq!(pinned.id_token_sub.as_deref(), Some("usr_1"));
        for bad in [
            "[]",
            "nope",
            r#"{"userinfo":[]}"#,
            r#"{"id_token":{"email":1}}"#,
            r#"{"id_token":{"email":{"essential":"yes"}}}"#,
            r#"{"userinfo":{"acr":{"values":"a b"}}}"#,
            r#"{"id_token":{"sub":{"value":7}}}"#,
        ] {
            assert!(ClaimsRequest::parse(bad).is_err(), "{bad}");
        }
    }
}
