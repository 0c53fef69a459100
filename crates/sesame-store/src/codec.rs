//! Column values to domain values and back, shared by both backends: JSON documents, hashes,
//! scopes. A value that does not decode is a corrupt row, never a panic.

use serde::Serialize;
use serde::de::DeserializeOwned;
use sesame_core::scope::Scopes;
use sesame_core::secret::SecretHash;
use sesame_core::store::StoreError;
use std::fmt::Display;

pub(crate) fn corrupt(what: &str, e: impl Display) -> StoreError {
    StoreError::Corrupt(format!("{what}: {e}"))
}

/// A JSON column's text.
pub(crate) fn to_json<T: Serialize>(what: &str, value: &T) -> Result<String, StoreError> {
    serde_json::to_string(value).map_err(|e| corrupt(what, e))
}

pub(crate) fn from_json<T: DeserializeOwned>(what: &str, json: &str) -> Result<T, StoreError> {
    serde_json::from_str(json).map_err(|e| corrupt(what, e))
}

/// A list of names as stored: `NULL` when empty, which is nearly always.
pub(crate) fn names_json(names: &[String]) -> Option<String> {
    (!names.is_empty()).then(|| serde_json::Value::from(names.to_vec()).to_string())
}

pub(crate) fn names(what: &str, json: Option<String>) -> Result<Vec<String>, StoreError> {
    json.map_or(Ok(Vec::new()), |j| from_json(what, &j))
}

pub(crate) fn hash(what: &str, bytes: Vec<u8>) -> Result<SecretHash, StoreError> {
    SecretHash::from_slice(&bytes).ok_or_else(|| corrupt(what, "not 32 bytes"))
}

pub(crate) fn optional_hash(
    what: &str,
    bytes: Option<Vec<u8>>,
) -> Result<Option<SecretHash>, StoreError> {
    bytes.map(|b| hash(what, b)).transpose()
}

/// The bytes a hash is stored as.
pub(crate) fn hash_bytes(hash: &SecretHash) -> Vec<u8> {
    hash.0.to_vec()
}

pub(crate) fn scope(value: &str) -> Result<Scopes, StoreError> {
    Scopes::parse(value).map_err(|e| corrupt("scope", e))
}

/// A stored enum name, parsed with the type's own `parse`.
pub(crate) fn parse<T>(
    what: &str,
    value: &str,
    parse: fn(&str) -> Option<T>,
) -> Result<T, StoreError> {
    parse(value).ok_or_else(|| corrupt(what, value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_values_are_corrupt_rows() {
        assert!(matches!(hash("h", vec![1, 2]), Err(StoreError::Corrupt(_))));
        assert!(matches!(
            from_json::<Vec<String>>("names", "{"),
            Err(StoreError::Corrupt(_))
        ));
        assert!(matches!(scope("a\"b"), Err(StoreError::Corrupt(_))));
    }

    #[test]
    fn empty_name_lists_are_null() {
        assert_eq!(names_json(&[]), None);
        let stored = names_json(&["email".to_owned()]);
        assert_eq!(names("n", stored).unwrap(), vec!["email".to_owned()]);
        assert!(names("n", None).unwrap().is_empty());
    }
}
