//! A pairwise client's sector identifier document (OIDC Core §8.1), fetched when the client is
//! registered or its redirect URIs or sector change (CLI, config file), and checked by the
//! core's rule: it must list every redirect URI of the client.

use crate::federation::upstream::HttpUpstream;
use sesame_core::client::{Client, InvalidClientMetadata, check_sector_document};
use sesame_core::federation::upstream::Upstream;

/// Checks `client`'s sector document unless `before` (the stored registration) already had the
/// same sector and redirect URIs: a start must not depend on another site being up.
pub async fn verify_sector(
    client: &Client,
    before: Option<&Client>,
) -> Result<(), InvalidClientMetadata> {
    let m = &client.metadata;
    let Some(uri) = &m.sector_identifier_uri else {
        return Ok(());
    };
    if before.is_some_and(|b| {
        b.metadata.sector_identifier_uri == m.sector_identifier_uri
            && b.metadata.redirect_uris == m.redirect_uris
    }) {
        return Ok(());
    }
    let fetched = HttpUpstream::new()
        .map_err(|e| InvalidClientMetadata(format!("sector_identifier_uri: no HTTP client ({e})")))?
        .get_json(uri, None)
        .await
        .map_err(|e| {
            InvalidClientMetadata(format!(
                "sector_identifier_uri: {uri} could not be read: {e}"
            ))
        })?;
    check_sector_document(m, &fetched)
}
