//! Reading JSON into the types the store keeps, so that a wrong member is named by a JSON
//! Pointer (RFC 6901) wherever the JSON came from: an API body, a console form's claims.

use super::ManageError;
use serde::de::DeserializeOwned;
use serde_json::Value;

/// Reads `value` as a `T`; a member of the wrong type or name is invalid, pointed at (a 422).
pub fn parse<T: DeserializeOwned>(value: Value) -> Result<T, ManageError> {
    serde_path_to_error::deserialize(value).map_err(|e| {
        let pointer = pointer(e.path());
        let message = e.inner().to_string();
        let member = pointer.trim_start_matches('/');
        let detail = if member.is_empty() {
            message
        } else {
            format!("{member}: {message}")
        };
        ManageError::invalid((!pointer.is_empty()).then_some(pointer.as_str()), detail)
    })
}

/// A serde path as a JSON Pointer (RFC 6901): `/redirect_uris/0`.
fn pointer(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    path.iter()
        .filter_map(|s| match s {
            Segment::Seq { index } => Some(index.to_string()),
            Segment::Map { key } => Some(key.replace('~', "~0").replace('/', "~1")),
            Segment::Enum { variant } => Some(variant.clone()),
            Segment::Unknown => None,
        })
        .map(|s| format!("/{s}"))
        .collect()
}
