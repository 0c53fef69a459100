//! Which user claims a client receives: by scope (OIDC Core §5.4) and by the `claims` request
//! parameter (§5.5), released from the user's standard claims (§5.1) and their localized forms
//! (§5.2).
//!
//! `verified_claims` (OpenID Connect for Identity Assurance) is left out on purpose: Sesame
//! keeps no evidence of how a claim was verified, and asserting one without it would mislead.
//! Aggregated and distributed claims (§5.6.2) are left out too: only normal claims are issued.

use crate::error::TokenError;
use crate::scope::Scopes;
use crate::user::{LOCALIZABLE_CLAIMS, User, is_language_tag};
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
pub const REGISTERED_CLAIMS: [&str; 11] = [
    "sub",
    "iss",
    "aud",
    "exp",
    "iat",
    "auth_time",
    "nonce",
    "azp",
    "sid",
    "acr",
    "amr",
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
    /// §5.5.1.1: `acr` asked for as essential, in either target.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub essential_acr: bool,
    /// The `acr` values that request listed (`values`, or one `value`), in either target.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub acr_values: Vec<String>,
    /// `claims_locales` (§5.2): the languages the client would like claims in, preferred first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub locales: Vec<String>,
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
        let essential_acr = ["/id_token/acr/essential", "/userinfo/acr/essential"]
            .iter()
            .any(|p| parsed.pointer(p) == Some(&Value::Bool(true)));
        let mut acr_values = Vec::new();
        for target in ["id_token", "userinfo"] {
            match parsed.pointer(&format!("/{target}/acr/values")) {
                None => {}
                Some(Value::Array(values)) => {
                    for v in values {
                        let v = v
                            .as_str()
                            .ok_or_else(|| bad("acr values must be strings"))?;
                        acr_values.push(v.to_owned());
                    }
                }
                Some(_) => return Err(bad("the values of acr must be an array")),
            }
            match parsed.pointer(&format!("/{target}/acr/value")) {
                None => {}
                Some(Value::String(v)) => acr_values.push(v.clone()),
                Some(_) => return Err(bad("the value of acr must be a string")),
            }
        }
        Ok(Self {
            userinfo: names("userinfo")?,
            id_token: names("id_token")?,
            id_token_sub,
            essential_acr,
            acr_values,
            locales: Vec::new(),
        })
    }
}

impl ClaimsRequest {
    /// What UserInfo releases beyond the scope's claims: the names asked for, and each
    /// localizable one of them and of the scope in every requested locale (`name#de`).
    pub fn userinfo_names(&self, scope: &Scopes) -> Vec<String> {
        let base = claims_for_scope(scope)
            .into_iter()
            .chain(self.userinfo.iter().map(String::as_str));
        let mut names = self.userinfo.clone();
        names.extend(in_locales(base, &self.locales));
        names
    }

    /// What the ID token releases: the names asked for, the scope's claims when they go in the
    /// ID token, and their localizable ones in every requested locale.
    pub fn id_token_names(&self, scope: &Scopes, scope_claims: bool) -> Vec<String> {
        let mut names = self.id_token.clone();
        if scope_claims {
            names.extend(claims_for_scope(scope).into_iter().map(str::to_owned));
        }
        let tagged = in_locales(names.iter().map(String::as_str), &self.locales);
        names.extend(tagged);
        names
    }
}

/// `claim#tag` for every localizable claim among `names` and every locale.
fn in_locales<'a>(names: impl Iterator<Item = &'a str>, locales: &[String]) -> Vec<String> {
    let localizable: Vec<&str> = names.filter(|n| LOCALIZABLE_CLAIMS.contains(n)).collect();
    locales
        .iter()
        .flat_map(|l| localizable.iter().map(move |n| format!("{n}#{l}")))
        .collect()
}

/// `claims_locales` or `ui_locales` (OIDC Core §3.1.2.1): space-separated BCP 47 tags.
pub fn parse_locales(value: &str, parameter: &str) -> Result<Vec<String>, TokenError> {
    let tags: Vec<String> = value
        .split(' ')
        .filter(|t| !t.is_empty())
        .map(str::to_owned)
        .collect();
    match tags.iter().find(|t| !is_language_tag(t)) {
        Some(bad) => Err(TokenError::invalid_request(format!(
            "{parameter}: {} is not a BCP 47 language tag",
            bad.chars().take(32).collect::<String>()
        ))),
        None => Ok(tags.into_iter().take(8).collect()),
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
/// username unless the user has one of their own; `name#de` is the user's German name (§5.2,
/// language tags compared without regard to case), released under the name asked for.
pub fn release<S: AsRef<str>>(user: &User, names: &[S]) -> Map<String, Value> {
    let mut all = match serde_json::to_value(&user.claims) {
        Ok(Value::Object(map)) => map,
        _ => Map::new(),
    };
    all.remove("localized");
    all.insert("updated_at".into(), Value::from(user.updated_at));
    all.entry("preferred_username")
        .or_insert_with(|| Value::from(user.username.clone()));
    let localized = |name: &str| {
        user.claims
            .localized
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| Value::from(v.clone()))
    };
    let mut out = Map::new();
    for name in names.iter().map(AsRef::as_ref) {
        let value = if name.contains('#') {
            localized(name)
        } else {
            all.get(name).cloned()
        };
        if let Some(v) = value {
            out.insert(name.to_owned(), v);
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
    fn oidc_core_5_2_claims_in_a_requested_language_come_with_its_tag() {
        let mut user = alice();
        user.claims
            .localized
            .insert("name#de".into(), "Alicia".into());
        user.claims
            .localized
            .insert("family_name#ja-Kana-JP".into(), "リデル".into());
        let request = ClaimsRequest {
            userinfo: vec!["family_name#JA-kana-jp".into()],
            locales: parse_locales("de fr", "claims_locales").unwrap(),
            ..Default::default()
        };
        let names = request.userinfo_names(&Scopes::parse("openid profile").unwrap());
        assert!(names.contains(&"name#de".to_owned()) && names.contains(&"nickname#fr".to_owned()));
        let mut all = claims_for_scope(&Scopes::parse("profile").unwrap())
            .into_iter()
            .map(str::to_owned)
            .collect::<Vec<_>>();
        all.extend(names);
        let released = release(&user, &all);
        assert_eq!(released["name"], "Alice", "the default language stays");
        assert_eq!(released["name#de"], "Alicia");
        assert_eq!(
            released["family_name#JA-kana-jp"], "リデル",
            "tags ignore case"
        );
        assert!(!released.contains_key("name#fr"), "only what the user has");
        assert!(!released.contains_key("localized"));
        let id_token = ClaimsRequest {
            id_token: vec!["name".into()],
            locales: vec!["de".into()],
            ..Default::default()
        };
        assert_eq!(
            id_token.id_token_names(&Scopes::parse("email").unwrap(), false),
            vec!["name".to_owned(), "name#de".to_owned()]
        );
        for bad in ["de_DE", "d", "de--x", "123"] {
            assert!(parse_locales(bad, "claims_locales").is_err(), "{bad}");
        }
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
        assert!(!r.essential_acr);
        let acr = ClaimsRequest::parse(r#"{"id_token":{"acr":{"essential":true,"values":["2"]}}}"#);
        assert!(acr.unwrap().essential_acr);
        let voluntary = ClaimsRequest::parse(r#"{"userinfo":{"acr":{"values":["2"]}}}"#);
        assert!(!voluntary.unwrap().essential_acr);
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
