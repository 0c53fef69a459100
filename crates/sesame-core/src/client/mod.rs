//! Registered clients and their metadata, named as in RFC 7591 §2 and OpenID Connect Dynamic
//! Client Registration 1.0 §2, so a client reads the same in the config file, the CLI and the store.
//! What a registration must satisfy is `validate.rs`.

mod validate;

pub use validate::{
    InvalidClientMetadata, MIN_SECRET_LEN, check_sector_document, validate_client_id,
    validate_client_secret,
};

use crate::error::TokenError;
use crate::keys::Algorithm;
use crate::keys::jwe::{ContentEncryption, KeyManagement};
use crate::scope::Scopes;
use crate::secret::SecretHash;
use serde::{Deserialize, Serialize};
use std::fmt;

/// `grant_types` values (RFC 7591 §2, RFC 8628 §7.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum GrantType {
    #[serde(rename = "authorization_code")]
    AuthorizationCode,
    #[serde(rename = "implicit")]
    Implicit,
    #[serde(rename = "refresh_token")]
    RefreshToken,
    #[serde(rename = "client_credentials")]
    ClientCredentials,
    #[serde(rename = "password")]
    Password,
    #[serde(rename = "urn:ietf:params:oauth:grant-type:device_code")]
    DeviceCode,
}

impl GrantType {
    pub const ALL: [GrantType; 6] = [
        Self::AuthorizationCode,
        Self::Implicit,
        Self::RefreshToken,
        Self::ClientCredentials,
        Self::Password,
        Self::DeviceCode,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::AuthorizationCode => "authorization_code",
            Self::Implicit => "implicit",
            Self::RefreshToken => "refresh_token",
            Self::ClientCredentials => "client_credentials",
            Self::Password => "password",
            Self::DeviceCode => "urn:ietf:params:oauth:grant-type:device_code",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|g| g.as_str() == value)
    }
}

impl fmt::Display for GrantType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `token_endpoint_auth_method` values (RFC 7591 §2, OIDC Core §9).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum AuthMethod {
    #[default]
    ClientSecretBasic,
    ClientSecretPost,
    PrivateKeyJwt,
    None,
}

impl AuthMethod {
    pub const SUPPORTED: [AuthMethod; 4] = [
        Self::ClientSecretBasic,
        Self::ClientSecretPost,
        Self::PrivateKeyJwt,
        Self::None,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::ClientSecretBasic => "client_secret_basic",
            Self::ClientSecretPost => "client_secret_post",
            Self::PrivateKeyJwt => "private_key_jwt",
            Self::None => "none",
        }
    }

    pub fn uses_secret(self) -> bool {
        matches!(self, Self::ClientSecretBasic | Self::ClientSecretPost)
    }
}

/// How access tokens for this client are issued (Sesame's own metadata).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum AccessTokenFormat {
    /// RFC 9068 JWT: verifiable by a resource server with the JWKS alone.
    #[default]
    Jwt,
    /// A random string stored hashed: only introspection can read it, revocation takes effect at once.
    Opaque,
}

/// `subject_type` (OIDC Core §8): whether the client sees the user's own subject identifier or
/// one made for its sector alone, so that clients of different sectors cannot correlate users.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum SubjectType {
    #[default]
    Public,
    Pairwise,
}

impl SubjectType {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Public => "public",
            Self::Pairwise => "pairwise",
        }
    }
}

/// The metadata of a client, everything but its identifier and secret.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ClientMetadata {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client_name: Option<String>,
    pub redirect_uris: Vec<String>,
    pub post_logout_redirect_uris: Vec<String>,
    pub grant_types: Vec<GrantType>,
    pub response_types: Vec<String>,
    pub token_endpoint_auth_method: AuthMethod,
    /// Space-separated scopes the client may ask for.
    #[cfg_attr(feature = "openapi", schema(value_type = String))]
    pub scope: Scopes,
    pub id_token_signed_response_alg: Algorithm,
    pub access_token_format: AccessTokenFormat,
    pub skip_consent: bool,
    /// Sesame's own: every sign-in for this client needs a second factor (`acr` 2).
    pub require_mfa: bool,
    pub oauth1: bool,
    /// Sesame's own: may be granted [`ADMIN_SCOPE`], the admin API's. Only for a confidential
    /// client that uses no grant but client_credentials, so no user is ever asked to consent.
    pub admin: bool,
    /// RFC 7591 `jwks`: the client's public keys, for `private_key_jwt` and for encrypting
    /// ID tokens and UserInfo responses to it.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "openapi", schema(value_type = Option<Object>))]
    pub jwks: Option<serde_json::Value>,
    /// RFC 7591 `jwks_uri`: where the client publishes that JWK Set instead (so it can rotate
    /// keys without re-registering); read when needed and kept a few minutes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub jwks_uri: Option<String>,
    /// OIDC Registration §2: UserInfo answered as a JWT signed with this algorithm.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub userinfo_signed_response_alg: Option<Algorithm>,
    /// OIDC Registration §2: UserInfo encrypted to the client's key.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub userinfo_encrypted_response_alg: Option<KeyManagement>,
    /// Defaults to A128CBC-HS256 when only the `alg` is given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub userinfo_encrypted_response_enc: Option<ContentEncryption>,
    /// OIDC Registration §2: ID tokens signed, then encrypted to the client's key.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id_token_encrypted_response_alg: Option<KeyManagement>,
    /// Defaults to A128CBC-HS256 when only the `alg` is given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id_token_encrypted_response_enc: Option<ContentEncryption>,
    pub subject_type: SubjectType,
    /// OIDC Core §8.1: an https URL listing the redirect URIs of every client of one sector; its
    /// host is the sector. Without it a pairwise client's sector is its redirect URIs' one host.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sector_identifier_uri: Option<String>,
}

/// The scope the admin API (`/admin/v1`) asks for; only an `admin` client may be granted it.
pub const ADMIN_SCOPE: &str = "sesame:admin";

/// How a response to the client is encrypted: the key management and content algorithms.
pub type Encryption = (KeyManagement, ContentEncryption);

impl Default for ClientMetadata {
    /// RFC 7591 §2 defaults: `authorization_code`, `code`, `client_secret_basic`.
    fn default() -> Self {
        Self {
            client_name: None,
            redirect_uris: Vec::new(),
            post_logout_redirect_uris: Vec::new(),
            grant_types: vec![GrantType::AuthorizationCode],
            response_types: vec!["code".to_owned()],
            token_endpoint_auth_method: AuthMethod::ClientSecretBasic,
            scope: Scopes::default(),
            id_token_signed_response_alg: Algorithm::RS256,
            access_token_format: AccessTokenFormat::Jwt,
            skip_consent: false,
            require_mfa: false,
            oauth1: false,
            admin: false,
            jwks: None,
            jwks_uri: None,
            userinfo_signed_response_alg: None,
            userinfo_encrypted_response_alg: None,
            userinfo_encrypted_response_enc: None,
            id_token_encrypted_response_alg: None,
            id_token_encrypted_response_enc: None,
            subject_type: SubjectType::Public,
            sector_identifier_uri: None,
        }
    }
}

impl ClientMetadata {
    /// How ID tokens are encrypted to this client, if they are.
    pub fn id_token_encryption(&self) -> Option<Encryption> {
        self.id_token_encrypted_response_alg.map(|alg| {
            (
                alg,
                self.id_token_encrypted_response_enc.unwrap_or_default(),
            )
        })
    }

    /// How UserInfo responses are encrypted to this client, if they are.
    pub fn userinfo_encryption(&self) -> Option<Encryption> {
        self.userinfo_encrypted_response_alg.map(|alg| {
            (
                alg,
                self.userinfo_encrypted_response_enc.unwrap_or_default(),
            )
        })
    }

    /// The response types a client registered for these grants uses when it names none:
    /// `code` with the authorization_code grant, nothing otherwise (RFC 7591 §2's default of
    /// `code` only makes sense for a client that has that grant).
    pub fn default_response_types(grant_types: &[GrantType]) -> Vec<String> {
        if grant_types.contains(&GrantType::AuthorizationCode) {
            vec!["code".to_owned()]
        } else {
            Vec::new()
        }
    }
}

/// A registered client as the store keeps it.
#[derive(Debug, Clone, PartialEq)]
pub struct Client {
    pub client_id: String,
    pub secret_hash: Option<SecretHash>,
    pub metadata: ClientMetadata,
    pub created_at: i64,
    pub updated_at: i64,
}

impl Client {
    pub fn is_public(&self) -> bool {
        self.metadata.token_endpoint_auth_method == AuthMethod::None
    }

    pub fn allows_grant(&self, grant: GrantType) -> bool {
        self.metadata.grant_types.contains(&grant)
    }

    /// RFC 6749 §3.3: the requested scope, which must lie within the client's registered scope;
    /// the registered scope itself when none is requested.
    pub fn scope_within(&self, requested: Option<&str>) -> Result<Scopes, TokenError> {
        let Some(requested) = requested else {
            return Ok(self.metadata.scope.clone());
        };
        let requested = Scopes::parse(requested)?;
        if let Some(outside) = requested.first_outside(&self.metadata.scope) {
            let shown: String = outside.chars().take(64).collect();
            return Err(TokenError::invalid_scope(format!(
                "the client may not request the scope {shown}"
            )));
        }
        Ok(requested)
    }

    /// The sector whose clients share a pairwise subject (OIDC Core §8.1); `None` exactly for
    /// a public subject type. The host of the sector_identifier_uri, else of the redirect URIs
    /// ([`Client::redirect_sector`]); a client with neither is a sector of its own. Never fails
    /// open: a pairwise client always gets a sector.
    pub fn sector(&self) -> Option<String> {
        let m = &self.metadata;
        if m.subject_type != SubjectType::Pairwise {
            return None;
        }
        let from_document = m
            .sector_identifier_uri
            .as_deref()
            .and_then(|u| url::Url::parse(u).ok()?.host_str().map(str::to_owned));
        Some(match (from_document, m.redirect_uris.first()) {
            (Some(host), _) => host,
            (None, Some(uri)) => self.redirect_sector(uri),
            (None, None) => self.own_sector(),
        })
    }

    /// The sector a redirect URI puts its client in: its host; but a loopback or private-use URI
    /// (a native app's, RFC 8252 §7) has a "host" every native app shares, so there the client
    /// is a sector of its own, or two unrelated apps would see one subject.
    pub fn redirect_sector(&self, uri: &str) -> String {
        let host = url::Url::parse(uri)
            .ok()
            .and_then(|u| u.host_str().map(str::to_owned));
        match host {
            Some(h) if !matches!(h.as_str(), "localhost" | "127.0.0.1" | "[::1]") => h,
            _ => self.own_sector(),
        }
    }

    fn own_sector(&self) -> String {
        format!("client:{}", self.client_id)
    }

    pub fn display_name(&self) -> &str {
        self.metadata
            .client_name
            .as_deref()
            .unwrap_or(&self.client_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metadata_uses_rfc7591_names() {
        let m: ClientMetadata = serde_json::from_value(serde_json::json!({
            "grant_types": ["client_credentials", "urn:ietf:params:oauth:grant-type:device_code"],
            "token_endpoint_auth_method": "client_secret_post",
            "scope": "api:read api:write",
            "access_token_format": "opaque"
        }))
        .unwrap();
        assert_eq!(
            m.grant_types,
            vec![GrantType::ClientCredentials, GrantType::DeviceCode]
        );
        assert_eq!(m.token_endpoint_auth_method, AuthMethod::ClientSecretPost);
        assert_eq!(m.access_token_format, AccessTokenFormat::Opaque);
        assert!(
            serde_json::from_value::<ClientMetadata>(serde_json::json!({"grant_type": []}))
                .is_err()
        );
    }
}
