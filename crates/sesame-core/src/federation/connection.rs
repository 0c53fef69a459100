//! Upstream identity providers as configured (`[[connections]]`) or made by the CLI: OpenID
//! Connect providers found by discovery, and OAuth 2.0 providers with a userinfo API and a claim
//! mapping. The client secret is kept apart, sealed.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum ConnectionKind {
    /// Endpoints and keys by OpenID Connect Discovery; identity from the validated ID token.
    Oidc,
    /// Endpoints configured; identity from the userinfo API through a claim mapping.
    Oauth2,
}

/// An upstream identity provider, as configured (`[[connections]]`) or made by the CLI. The
/// client secret is kept apart, sealed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Connection {
    /// Used in `/federation/{id}/start` and `/callback`.
    pub id: String,
    pub kind: ConnectionKind,
    /// The login page shows "Continue with <display_name>".
    pub display_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub issuer: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorization_endpoint: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_endpoint: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub userinfo_endpoint: Option<String>,
    pub client_id: String,
    #[serde(default)]
    pub scopes: Vec<String>,
    /// Link to an existing account with the same verified email.
    #[serde(default)]
    pub trust_email: bool,
    /// oauth2 kind: which userinfo fields hold the subject, the email and the name.
    #[serde(default = "default_subject")]
    pub subject_claim: String,
    #[serde(default = "default_email")]
    pub email_claim: String,
    #[serde(default = "default_name")]
    pub name_claim: String,
}

fn default_subject() -> String {
    "sub".into()
}
fn default_email() -> String {
    "email".into()
}
fn default_name() -> String {
    "name".into()
}

impl Connection {
    /// What a connection needs for its kind; the message names the field.
    pub fn validate(&self) -> Result<(), String> {
        // Provisioned usernames are `<id>:<12 characters>`, within the 64 of a username.
        let ok_id = !self.id.is_empty()
            && self.id.len() <= 48
            && self
                .id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_'));
        if !ok_id {
            return Err("id: 1 to 48 letters, digits, - or _".into());
        }
        let url = |name: &str, value: &Option<String>| -> Result<(), String> {
            match value {
                Some(v)
                    if url::Url::parse(v).is_ok_and(|u| matches!(u.scheme(), "https" | "http")) =>
                {
                    Ok(())
                }
                Some(_) => Err(format!("{name}: not an http(s) URL")),
                None => Err(format!("{name}: required for kind {:?}", self.kind).to_lowercase()),
            }
        };
        match self.kind {
            ConnectionKind::Oidc => url("issuer", &self.issuer),
            ConnectionKind::Oauth2 => {
                url("authorization_endpoint", &self.authorization_endpoint)?;
                url("token_endpoint", &self.token_endpoint)?;
                url("userinfo_endpoint", &self.userinfo_endpoint)
            }
        }
    }
}
