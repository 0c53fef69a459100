//! What registering a client needs from the network (CLI, config file): its sector identifier
//! document (OIDC Core §8.1) and the JWK Set at its `jwks_uri` (RFC 7591 §2), read and checked
//! by the core's rules when the client is new or they changed.

use crate::federation::upstream::HttpUpstream;
use sesame_core::client::{Client, ClientMetadata, InvalidClientMetadata, check_sector_document};
use sesame_core::federation::upstream::Upstream;

/// Reads and checks what `client` names on the network, unless `before` (the stored
/// registration) named the same: a start must not depend on another site being up.
pub async fn verify_remote(
    client: &Client,
    before: Option<&Client>,
) -> Result<(), InvalidClientMetadata> {
    let m = &client.metadata;
    let old = before.map(|b| &b.metadata);
    let sector_changed = old.is_none_or(|o| {
        (&o.sector_identifier_uri, &o.redirect_uris) != (&m.sector_identifier_uri, &m.redirect_uris)
    });
    if let Some(uri) = &m.sector_identifier_uri
        && sector_changed
    {
        check_sector_document(m, &read("sector_identifier_uri", uri).await?)?;
    }
    let encryption = |x: &ClientMetadata| {
        (
            x.jwks_uri.clone(),
            x.id_token_encrypted_response_alg,
            x.userinfo_encrypted_response_alg,
        )
    };
    if let Some(uri) = &m.jwks_uri
        && old.is_none_or(|o| encryption(o) != encryption(m))
    {
        m.check_published_jwks(&read("jwks_uri", uri).await?)?;
    }
    Ok(())
}

async fn read(field: &str, uri: &str) -> Result<serde_json::Value, InvalidClientMetadata> {
    HttpUpstream::new()
        .map_err(|e| InvalidClientMetadata(format!("{field}: no HTTP client ({e})")))?
        .get_json(uri, None)
        .await
        .map_err(|e| {
            InvalidClientMetadata(format!("{field}: {uri} could not be read: {}", e.detail()))
        })
}
