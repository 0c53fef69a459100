//! Secrets Sesame must be able to read back (OAuth 1.0a consumer and token secrets, upstream
//! client secrets): sealed with the master key when one is configured, like signing keys.

use crate::error::TokenError;
use crate::keys::MasterKey;

/// A secret as stored: a leading 1 and AES-256-GCM when a master key is set, a 0 and the bytes
/// otherwise. `context` (the client_id or token) is bound into the seal.
pub fn seal(
    master: Option<&MasterKey>,
    context: &str,
    secret: &str,
) -> Result<Vec<u8>, TokenError> {
    Ok(match master {
        Some(key) => {
            let mut out = vec![1];
            out.extend(
                key.seal(context, secret.as_bytes())
                    .map_err(TokenError::server_error)?,
            );
            out
        }
        None => {
            let mut out = vec![0];
            out.extend_from_slice(secret.as_bytes());
            out
        }
    })
}

pub fn open(
    master: Option<&MasterKey>,
    context: &str,
    sealed: &[u8],
) -> Result<String, TokenError> {
    let bytes = match (sealed.split_first(), master) {
        (Some((0, plain)), _) => plain.to_vec(),
        (Some((1, body)), Some(key)) => {
            key.open(context, body).map_err(TokenError::server_error)?
        }
        (Some((1, _)), None) => {
            return Err(TokenError::server_error(
                "an sealed secret is sealed, but no master key is configured",
            ));
        }
        _ => return Err(TokenError::server_error("an sealed secret is corrupt")),
    };
    String::from_utf8(bytes).map_err(TokenError::server_error)
}
