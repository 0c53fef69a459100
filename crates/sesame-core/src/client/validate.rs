//! The rules a client's registration must satisfy (RFC 6749, RFC 7591 §2, OIDC Registration §2,
//! OIDC Core §8.1, RFC 9700), applied alike to the config file, the CLI and the store's fixtures;
//! each failure names the metadata field.

use super::{AuthMethod, Client, ClientMetadata, GrantType, SubjectType};
use crate::keys::jwe::{self, ContentEncryption, KeyManagement};
use crate::response_type::ResponseType;

/// The shortest client secret accepted when set by hand: 32 characters keep a fast hash safe.
pub const MIN_SECRET_LEN: usize = 32;

/// Why a client's registration is not acceptable; the text names the metadata field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct InvalidClientMetadata(pub String);

fn invalid(msg: impl Into<String>) -> InvalidClientMetadata {
    InvalidClientMetadata(msg.into())
}

impl Client {
    /// Checks the registration as a whole: identifiers, secrets and the grants the client may use.
    pub fn validate(&self) -> Result<(), InvalidClientMetadata> {
        validate_client_id(&self.client_id)?;
        let m = &self.metadata;
        let method = m.token_endpoint_auth_method;
        match (method.uses_secret(), self.secret_hash.is_some()) {
            (true, false) => {
                return Err(invalid(format!(
                    "client_secret: required for token_endpoint_auth_method {}",
                    method.as_str()
                )));
            }
            (false, true) => {
                return Err(invalid(format!(
                    "client_secret: not used with token_endpoint_auth_method {}",
                    method.as_str()
                )));
            }
            _ => {}
        }
        match (&m.jwks, &m.jwks_uri) {
            // RFC 7591 §2: one or the other, never both.
            (Some(_), Some(_)) => {
                return Err(invalid("jwks_uri: give either jwks or jwks_uri, not both"));
            }
            (Some(jwks), None) => {
                validate_jwks(jwks)?;
                m.check_encryption_keys(jwks)?;
            }
            (None, Some(uri)) => validate_fetched_url("jwks_uri", uri)?,
            (None, None) if method == AuthMethod::PrivateKeyJwt => {
                return Err(invalid(
                    "jwks: private_key_jwt needs a JWK Set (jwks) or where to read it (jwks_uri)",
                ));
            }
            (None, None) => {}
        }
        if m.grant_types.is_empty() {
            return Err(invalid("grant_types: at least one grant type is required"));
        }
        // RFC 6749 §4.4: the client credentials grant is for confidential clients only; RFC 9700
        // §2.4: the password grant too (a public client_id would let anyone guess passwords).
        for grant in [GrantType::ClientCredentials, GrantType::Password] {
            if method == AuthMethod::None && m.grant_types.contains(&grant) {
                return Err(invalid(format!(
                    "grant_types: {grant} needs a confidential client (token_endpoint_auth_method other than none)"
                )));
            }
        }
        for uri in m.redirect_uris.iter().chain(&m.post_logout_redirect_uris) {
            validate_redirect_uri(uri)?;
        }
        // RFC 6749 §3.1.2.2: a client that sends browsers back registers where.
        let redirecting = [GrantType::AuthorizationCode, GrantType::Implicit]
            .into_iter()
            .find(|g| m.grant_types.contains(g));
        if let Some(grant) = redirecting
            && m.redirect_uris.is_empty()
        {
            return Err(invalid(format!(
                "redirect_uris: the {grant} grant needs at least one redirect URI"
            )));
        }
        validate_response_types(m)?;
        validate_admin(m)?;
        validate_sector(self)?;
        validate_encryption(
            m,
            "id_token",
            m.id_token_encrypted_response_alg,
            m.id_token_encrypted_response_enc,
        )?;
        validate_encryption(
            m,
            "userinfo",
            m.userinfo_encrypted_response_alg,
            m.userinfo_encrypted_response_enc,
        )?;
        Ok(())
    }
}

/// The admin scope is reached only by a machine: a confidential client with the
/// client_credentials grant alone, so no consent page, refresh token or user ever carries it.
fn validate_admin(m: &ClientMetadata) -> Result<(), InvalidClientMetadata> {
    if m.scope.contains(super::ADMIN_SCOPE) && !m.admin {
        return Err(invalid(format!(
            "scope: {} is only for admin clients (admin = true)",
            super::ADMIN_SCOPE
        )));
    }
    if m.admin && m.grant_types != [GrantType::ClientCredentials] {
        return Err(invalid(
            "grant_types: an admin client uses client_credentials and no other grant",
        ));
    }
    if m.admin && m.oauth1 {
        return Err(invalid(
            "oauth1: an admin client is not an OAuth 1.0a consumer",
        ));
    }
    Ok(())
}

impl InvalidClientMetadata {
    /// The metadata field the message names (the text before its first `:`).
    pub fn field(&self) -> Option<&str> {
        let (field, _) = self.0.split_once(": ")?;
        field
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b == b'_')
            .then_some(field)
    }
}

impl ClientMetadata {
    /// The JWK Set read from the client's `jwks_uri` at registration: public keys only, and one
    /// for every encryption the client registered for.
    pub fn check_published_jwks(
        &self,
        jwks: &serde_json::Value,
    ) -> Result<(), InvalidClientMetadata> {
        validate_jwks(jwks)
            .and_then(|()| self.check_encryption_keys(jwks))
            .map_err(|e| invalid(format!("jwks_uri: {}", e.0.trim_start_matches("jwks: "))))
    }

    /// Whether `jwks` (registered, or read from `jwks_uri`) has a key for every encryption the
    /// client registered for (OIDC Registration §2).
    pub fn check_encryption_keys(
        &self,
        jwks: &serde_json::Value,
    ) -> Result<(), InvalidClientMetadata> {
        let wanted = [
            ("id_token", self.id_token_encrypted_response_alg),
            ("userinfo", self.userinfo_encrypted_response_alg),
        ];
        for (target, alg) in wanted {
            let Some(alg) = alg else { continue };
            let Some(key) = jwe::select_key(jwks, alg) else {
                return Err(invalid(format!(
                    "jwks: {target}_encrypted_response_alg {alg} needs a public {} key for \
                     encryption (use \"enc\" or no use) in the client's JWK Set",
                    alg.key_type()
                )));
            };
            // A trial encryption finds what the key's shape hides (a short RSA key, a point off
            // the curve) now, rather than in every token response later.
            jwe::encrypt(b"", key, alg, ContentEncryption::default(), None).map_err(|e| {
                invalid(format!(
                    "jwks: the key for {target}_encrypted_response_alg {alg}: {e}"
                ))
            })?;
        }
        Ok(())
    }
}

/// A URL Sesame reads from: https, or http on the loopback interface (a local test server).
fn validate_fetched_url(field: &str, uri: &str) -> Result<(), InvalidClientMetadata> {
    let parsed = url::Url::parse(uri)
        .map_err(|e| invalid(format!("{field}: {uri:?} is not an absolute URL ({e})")))?;
    let loopback = matches!(parsed.host_str(), Some("localhost" | "127.0.0.1" | "[::1]"));
    if parsed.scheme() == "https" || parsed.scheme() == "http" && loopback {
        Ok(())
    } else {
        Err(invalid(format!("{field}: {uri:?} must use https")))
    }
}

/// OIDC Core §8.1: a pairwise client needs a sector: a sector_identifier_uri, or redirect URIs
/// on one host. The document behind the URI is checked by [`check_sector_document`] when the
/// client is registered (fetching it is the caller's: the core has no network).
fn validate_sector(client: &Client) -> Result<(), InvalidClientMetadata> {
    let m = &client.metadata;
    if let Some(uri) = &m.sector_identifier_uri {
        validate_fetched_url("sector_identifier_uri", uri)?;
        if m.subject_type != SubjectType::Pairwise {
            return Err(invalid(
                "sector_identifier_uri: only used with subject_type pairwise",
            ));
        }
        return Ok(());
    }
    if m.subject_type != SubjectType::Pairwise {
        return Ok(());
    }
    // A native app's URIs count as a sector of their own, so mixing them with a web host needs
    // a document that says the two are one sector.
    let hosts: std::collections::BTreeSet<String> = m
        .redirect_uris
        .iter()
        .map(|u| client.redirect_sector(u))
        .collect();
    match hosts.len() {
        // No redirect URIs (a device or service client): the client is its own sector.
        0 | 1 => Ok(()),
        _ => Err(invalid(format!(
            "sector_identifier_uri: the redirect URIs are on several hosts ({}), so a pairwise \
             client needs a sector_identifier_uri listing them",
            hosts.into_iter().collect::<Vec<_>>().join(", ")
        ))),
    }
}

/// OIDC Core §8.1: the sector identifier document is a JSON array of URIs that includes every
/// redirect URI of the client.
pub fn check_sector_document(
    m: &ClientMetadata,
    document: &serde_json::Value,
) -> Result<(), InvalidClientMetadata> {
    let listed: Vec<&str> = document
        .as_array()
        .map(|a| a.iter().filter_map(serde_json::Value::as_str).collect())
        .ok_or_else(|| {
            invalid("sector_identifier_uri: the document is not a JSON array of redirect URIs")
        })?;
    match m
        .redirect_uris
        .iter()
        .find(|u| !listed.contains(&u.as_str()))
    {
        Some(missing) => Err(invalid(format!(
            "sector_identifier_uri: the document does not list the redirect URI {missing}"
        ))),
        None => Ok(()),
    }
}

/// OIDC Registration §2: an `enc` only with its `alg`, and an `alg` only with the client's keys
/// to encrypt to (a registered JWK Set is checked for the key at once, a `jwks_uri` when the
/// client is registered from the CLI or the config file).
fn validate_encryption(
    m: &ClientMetadata,
    target: &str,
    alg: Option<KeyManagement>,
    enc: Option<ContentEncryption>,
) -> Result<(), InvalidClientMetadata> {
    match (alg, enc) {
        (None, Some(_)) => Err(invalid(format!(
            "{target}_encrypted_response_enc: needs {target}_encrypted_response_alg"
        ))),
        (Some(alg), _) if m.jwks.is_none() && m.jwks_uri.is_none() => Err(invalid(format!(
            "jwks: {target}_encrypted_response_alg {alg} needs the client's public {} key \
             (jwks or jwks_uri)",
            alg.key_type()
        ))),
        _ => Ok(()),
    }
}

/// RFC 7517 §5: a JWK Set of public, asymmetric keys. A private or symmetric key here would be a
/// secret stored in clear, and an HMAC key would let anyone holding it act as the client.
fn validate_jwks(jwks: &serde_json::Value) -> Result<(), InvalidClientMetadata> {
    let keys = jwks
        .get("keys")
        .and_then(|k| k.as_array())
        .filter(|k| !k.is_empty())
        .ok_or_else(|| invalid("jwks: a JWK Set with at least one public key is required"))?;
    for key in keys {
        if key.get("kty").and_then(|k| k.as_str()) == Some("oct") {
            return Err(invalid("jwks: symmetric (oct) keys are not accepted"));
        }
        if key.get("d").is_some() {
            return Err(invalid(
                "jwks: a private key was given; register only the public key",
            ));
        }
    }
    serde_json::from_value::<jsonwebtoken::jwk::JwkSet>(jwks.clone())
        .map_err(|e| invalid(format!("jwks: not a valid JWK Set ({e})")))?;
    Ok(())
}

/// A client_id is visible ASCII without spaces, 1 to 128 characters, and not `.` or `..`:
/// the admin API and the console name a client by its id as a path segment, and those two
/// would be read as a step in the path instead (RFC 3986 §5.2.4), whatever the encoding.
pub fn validate_client_id(id: &str) -> Result<(), InvalidClientMetadata> {
    if id.is_empty() || id.len() > 128 || !id.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(invalid(
            "client_id: 1 to 128 visible ASCII characters, without spaces",
        ));
    }
    if id == "." || id == ".." {
        return Err(invalid(
            "client_id: cannot be . or .. (they are steps in a URL's path)",
        ));
    }
    Ok(())
}

/// A hand-set secret must be long enough that a fast hash protects it.
pub fn validate_client_secret(secret: &str) -> Result<(), InvalidClientMetadata> {
    if secret.chars().count() < MIN_SECRET_LEN {
        return Err(invalid(format!(
            "client_secret: must be at least {MIN_SECRET_LEN} characters (or omit it to have one generated)"
        )));
    }
    Ok(())
}

/// RFC 7591 §2.1: every response type is one Sesame supports, and its grant is registered.
fn validate_response_types(m: &ClientMetadata) -> Result<(), InvalidClientMetadata> {
    for name in &m.response_types {
        let rt = ResponseType::parse(name).ok_or_else(|| {
            invalid(format!(
                "response_types: {name:?} is not supported (one of {})",
                ResponseType::SUPPORTED.join(", ")
            ))
        })?;
        if rt.code && !m.grant_types.contains(&GrantType::AuthorizationCode) {
            return Err(invalid(format!(
                "response_types: {name} needs the authorization_code grant"
            )));
        }
        if rt.is_front_channel() && !m.grant_types.contains(&GrantType::Implicit) {
            return Err(invalid(format!(
                "response_types: {name} needs the implicit grant"
            )));
        }
    }
    if m.grant_types.contains(&GrantType::Implicit)
        && !m
            .response_types
            .iter()
            .filter_map(|r| ResponseType::parse(r))
            .any(ResponseType::is_front_channel)
    {
        return Err(invalid(
            "response_types: the implicit grant needs id_token or \"id_token token\"",
        ));
    }
    Ok(())
}

/// RFC 6749 §3.1.2: an absolute URI without a fragment. RFC 9700 §4.1.1 and RFC 8252 §7:
/// `https`, `http` only on the loopback interface, or a native app's private-use scheme; never
/// a scheme that runs or embeds content in the browser.
fn validate_redirect_uri(uri: &str) -> Result<(), InvalidClientMetadata> {
    if !uri.is_ascii() {
        return Err(invalid(format!(
            "redirect_uris: {uri:?} must be ASCII (percent-encode other characters)"
        )));
    }
    let parsed = url::Url::parse(uri).map_err(|e| {
        invalid(format!(
            "redirect_uris: {uri:?} is not an absolute URI ({e})"
        ))
    })?;
    if parsed.fragment().is_some() {
        return Err(invalid(format!(
            "redirect_uris: {uri:?} must not contain a fragment"
        )));
    }
    // RFC 9700 §4.1.3: matching is exact, so a `*` would only ever match itself.
    if uri.contains('*') {
        return Err(invalid(format!(
            "redirect_uris: {uri:?} has a wildcard, but redirect URIs match exactly: register \
             each URI in full"
        )));
    }
    match parsed.scheme() {
        "javascript" | "data" | "file" | "vbscript" | "blob" | "about" => Err(invalid(format!(
            "redirect_uris: the {} scheme is not allowed",
            parsed.scheme()
        ))),
        "http" if !matches!(parsed.host_str(), Some("localhost" | "127.0.0.1" | "[::1]")) => {
            Err(invalid(format!(
                "redirect_uris: {uri:?} must use https (http only for loopback addresses)"
            )))
        }
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::Secret;
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    fn client(method: AuthMethod, grants: &[GrantType]) -> Client {
        Client {
            client_id: "c1".into(),
            secret_hash: method.uses_secret().then(|| Secret::generate().hash()),
            metadata: ClientMetadata {
                token_endpoint_auth_method: method,
                grant_types: grants.to_vec(),
                response_types: ClientMetadata::default_response_types(grants),
                redirect_uris: vec!["https://app.example/cb".into()],
                ..Default::default()
            },
            created_at: 0,
            updated_at: 0,
        }
    }

    #[test]
    fn a_client_id_is_one_path_segment() {
        for id in ["c1", "a.b", "...", "urn:x", "a%2F"] {
            assert!(validate_client_id(id).is_ok(), "{id}");
        }
        let too_long = "x".repeat(129);
        for id in ["", ".", "..", "a b", "caf\u{e9}", too_long.as_str()] {
            assert!(validate_client_id(id).is_err(), "{id}");
        }
    }

    #[test]
    fn the_cli_and_config_rules_a_client_cannot_break() {
        let code = client(
            AuthMethod::ClientSecretBasic,
            &[GrantType::AuthorizationCode],
        );
        let broken = |change: fn(&mut ClientMetadata)| {
            let mut c = code.clone();
            change(&mut c.metadata);
            c.validate().unwrap_err().0
        };
        assert!(broken(|m| m.redirect_uris.clear()).contains("needs at least one redirect URI"));
        assert!(
            broken(|m| m.redirect_uris = vec!["https://*.app.example/cb".into()])
                .contains("wildcard")
        );
        assert!(
            broken(|m| m.grant_types = vec![GrantType::ClientCredentials])
                .contains("code needs the authorization_code grant")
        );
        assert!(
            broken(|m| m.response_types = vec!["id_token".into()])
                .contains("needs the implicit grant")
        );
        assert!(broken(|m| m.response_types = vec!["tokens".into()]).contains("not supported"));
        assert!(
            broken(|m| {
                m.grant_types.push(GrantType::Implicit);
            })
            .contains("implicit grant needs id_token")
        );
        let service = client(
            AuthMethod::ClientSecretBasic,
            &[GrantType::ClientCredentials],
        );
        assert!(
            service.metadata.response_types.is_empty(),
            "no code for a service"
        );
        assert!(service.validate().is_ok());
    }

    #[test]
    fn only_an_admin_service_reaches_the_admin_scope() {
        let mut service = client(
            AuthMethod::ClientSecretBasic,
            &[GrantType::ClientCredentials],
        );
        service.metadata.scope = crate::scope::Scopes::parse("sesame:admin").unwrap();
        let e = service.validate().unwrap_err();
        assert_eq!(e.field(), Some("scope"));
        service.metadata.admin = true;
        assert!(service.validate().is_ok());
        // A user would have to consent to it, or a refresh token would carry it.
        let mut web = client(
            AuthMethod::ClientSecretBasic,
            &[GrantType::AuthorizationCode],
        );
        web.metadata.admin = true;
        assert_eq!(web.validate().unwrap_err().field(), Some("grant_types"));
        let mut public = client(AuthMethod::None, &[GrantType::ClientCredentials]);
        public.metadata.admin = true;
        assert!(public.validate().is_err());
    }

    #[test]
    fn public_clients_cannot_use_client_credentials_or_passwords() {
        for grant in [GrantType::ClientCredentials, GrantType::Password] {
            let c = client(AuthMethod::None, &[grant]);
            assert!(
                c.validate().unwrap_err().0.contains("confidential"),
                "{grant}"
            );
        }
    }

    #[test]
    fn secret_methods_need_a_secret_and_others_refuse_one() {
        let mut c = client(
            AuthMethod::ClientSecretBasic,
            &[GrantType::ClientCredentials],
        );
        assert!(c.validate().is_ok());
        c.secret_hash = None;
        assert!(c.validate().is_err());
        let mut p = client(AuthMethod::None, &[GrantType::AuthorizationCode]);
        assert!(p.validate().is_ok());
        p.secret_hash = Some(Secret::generate().hash());
        assert!(p.validate().is_err());
    }

    #[test]
    fn private_key_jwt_needs_keys() {
        let mut c = client(AuthMethod::PrivateKeyJwt, &[GrantType::ClientCredentials]);
        assert!(c.validate().is_err());
        let public = serde_json::json!({"kty": "EC", "crv": "P-256", "kid": "k",
            "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
            "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"});
        c.metadata.jwks = Some(serde_json::json!({"keys": [public.clone()]}));
        assert!(c.validate().is_ok());
        let mut private = public;
        private["d"] = "jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI".into();
        c.metadata.jwks = Some(serde_json::json!({"keys": [private]}));
        assert!(c.validate().unwrap_err().0.contains("private"));
        c.metadata.jwks = Some(serde_json::json!({"keys": [{"kty": "oct", "k": "c2VjcmV0"}]}));
        assert!(c.validate().is_err());
    }

    #[test]
    fn oidc_registration_2_encryption_needs_an_alg_and_a_key_to_encrypt_to() {
        let mut c = client(
            AuthMethod::ClientSecretBasic,
            &[GrantType::AuthorizationCode],
        );
        c.metadata.id_token_encrypted_response_enc = Some(ContentEncryption::A256Gcm);
        assert!(
            c.validate()
                .unwrap_err()
                .0
                .contains("needs id_token_encrypted_response_alg")
        );
        c.metadata.id_token_encrypted_response_alg = Some(KeyManagement::EcdhEs);
        assert!(
            c.validate().unwrap_err().0.contains("public EC key"),
            "no jwks at all"
        );
        let ec = serde_json::json!({"kty": "EC", "crv": "P-256", "kid": "k",
            "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
            "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"});
        let mut signing_only = ec.clone();
        signing_only["use"] = "sig".into();
        c.metadata.jwks = Some(serde_json::json!({"keys": [signing_only]}));
        assert!(c.validate().is_err(), "a signing key is not for encryption");
        c.metadata.jwks = Some(serde_json::json!({"keys": [ec]}));
        assert!(c.validate().is_ok());
        assert_eq!(
            c.metadata.id_token_encryption(),
            Some((KeyManagement::EcdhEs, ContentEncryption::A256Gcm))
        );
        c.metadata.userinfo_encrypted_response_alg = Some(KeyManagement::RsaOaep256);
        assert!(
            c.validate()
                .unwrap_err()
                .0
                .contains("userinfo_encrypted_response_alg")
        );
        c.metadata.userinfo_encrypted_response_alg = Some(KeyManagement::EcdhEsA128Kw);
        assert_eq!(
            c.metadata.userinfo_encryption(),
            Some((KeyManagement::EcdhEsA128Kw, ContentEncryption::A128CbcHs256)),
            "the default enc"
        );
    }

    #[test]
    fn oidc_core_8_1_a_pairwise_client_needs_one_sector() {
        let mut c = client(
            AuthMethod::ClientSecretBasic,
            &[GrantType::AuthorizationCode],
        );
        assert_eq!(c.sector(), None, "public by default");
        c.metadata.subject_type = SubjectType::Pairwise;
        assert_eq!(c.sector().as_deref(), Some("app.example"));
        assert!(c.validate().is_ok());
        c.metadata
            .redirect_uris
            .push("https://other.example/cb".into());
        assert!(c.validate().unwrap_err().0.contains("several hosts"));
        c.metadata.sector_identifier_uri = Some("https://sector.example/uris.json".into());
        assert!(c.validate().is_ok());
        assert_eq!(c.sector().as_deref(), Some("sector.example"));
        c.metadata.sector_identifier_uri = Some("http://sector.example/uris.json".into());
        assert!(c.validate().unwrap_err().0.contains("https"));
        c.metadata.sector_identifier_uri = None;
        c.metadata.redirect_uris = vec![
            "com.example.app:/cb".into(),
            "https://app.example/cb".into(),
        ];
        assert!(
            c.validate().unwrap_err().0.contains("several hosts"),
            "a native app's URI is not the web host's sector"
        );
        c.metadata.redirect_uris = vec!["http://127.0.0.1/cb".into()];
        assert_eq!(
            c.sector().as_deref(),
            Some("client:c1"),
            "loopback: a sector of its own"
        );
        c.metadata.redirect_uris.clear();
        assert_eq!(
            c.sector().as_deref(),
            Some("client:c1"),
            "never the public sub"
        );
        c.metadata.redirect_uris = vec![
            "https://app.example/cb".into(),
            "https://other.example/cb".into(),
        ];
        c.metadata.subject_type = SubjectType::Public;
        c.metadata.sector_identifier_uri = Some("https://sector.example/uris.json".into());
        assert!(
            c.validate()
                .unwrap_err()
                .0
                .contains("only used with subject_type pairwise")
        );

        let m = &c.metadata;
        let both = serde_json::json!(["https://app.example/cb", "https://other.example/cb"]);
        assert!(check_sector_document(m, &both).is_ok());
        let one = serde_json::json!(["https://app.example/cb"]);
        let err = check_sector_document(m, &one).unwrap_err().0;
        assert!(err.contains("https://other.example/cb"), "{err}");
        let not_a_list = serde_json::json!({"redirect_uris": []});
        assert!(check_sector_document(m, &not_a_list).is_err());
    }

    #[test]
    fn an_encryption_key_that_cannot_encrypt_is_refused_at_registration() {
        let mut c = client(
            AuthMethod::ClientSecretBasic,
            &[GrantType::AuthorizationCode],
        );
        c.metadata.id_token_encrypted_response_alg = Some(KeyManagement::RsaOaep256);
        let short = URL_SAFE_NO_PAD.encode([0xc5u8; 128]);
        c.metadata.jwks =
            Some(serde_json::json!({"keys": [{"kty": "RSA", "n": short, "e": "AQAB"}]}));
        let err = c.validate().unwrap_err().0;
        assert!(err.contains("shorter than 2048 bits"), "{err}");
        c.metadata.id_token_encrypted_response_alg = Some(KeyManagement::EcdhEs);
        let off_curve = URL_SAFE_NO_PAD.encode([1u8; 32]);
        c.metadata.jwks = Some(serde_json::json!({"keys": [{"kty": "EC", "crv": "P-256",
            "x": off_curve, "y": off_curve}]}));
        assert!(c.validate().is_err(), "a point off the curve");
    }

    #[test]
    fn rfc7591_2_jwks_or_jwks_uri_never_both() {
        let mut c = client(AuthMethod::PrivateKeyJwt, &[GrantType::ClientCredentials]);
        c.metadata.jwks_uri = Some("https://app.example/jwks".into());
        assert!(c.validate().is_ok(), "keys read when needed");
        c.metadata.id_token_encrypted_response_alg = Some(KeyManagement::RsaOaep256);
        assert!(
            c.validate().is_ok(),
            "the key is checked when the set is read"
        );
        c.metadata.jwks =
            Some(serde_json::json!({"keys": [{"kty": "RSA", "n": "AQAB", "e": "AQAB"}]}));
        assert!(c.validate().unwrap_err().0.contains("not both"));
        c.metadata.jwks = None;
        c.metadata.jwks_uri = Some("http://app.example/jwks".into());
        assert!(c.validate().unwrap_err().0.contains("must use https"));
        let published = serde_json::json!({"keys": [{"kty": "EC", "crv": "P-256",
            "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
            "y": "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"}]});
        let err = c.metadata.check_published_jwks(&published).unwrap_err().0;
        assert!(
            err.starts_with("jwks_uri: id_token_encrypted_response_alg")
                && err.contains("public RSA key"),
            "{err}"
        );
    }

    #[test]
    fn redirect_uris_must_be_safe_schemes() {
        for ok in [
            "https://app.example/cb",
            "http://127.0.0.1/cb",
            "http://localhost:8080/cb",
            "http://[::1]/cb",
            "com.example.app:/oauth2redirect",
        ] {
            assert!(validate_redirect_uri(ok).is_ok(), "{ok}");
        }
        for bad in [
            "javascript:alert(1)",
            "data:text/html,hi",
            "file:///etc/passwd",
            "http://app.example/cb",
            "https://app.example/cb#frag",
            "https://app.example/caf\u{e9}",
            "/relative",
        ] {
            assert!(validate_redirect_uri(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn short_hand_set_secrets_are_refused() {
        assert!(validate_client_secret("short").is_err());
        assert!(validate_client_secret(&"x".repeat(32)).is_ok());
    }
}
