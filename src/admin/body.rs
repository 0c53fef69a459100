//! Request bodies of the admin API: JSON (or a JSON merge patch, RFC 7396), parsed so that a
//! wrong member is named by a JSON Pointer in the problem, never a bare 400.

use super::problem::Problem;
pub use crate::manage::parse;
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

/// A JSON object body, as sent.
pub struct JsonObject(pub Map<String, Value>);

impl<S: Send + Sync> FromRequest<S> for JsonObject {
    type Rejection = Problem;

    async fn from_request(request: Request, state: &S) -> Result<Self, Problem> {
        let json = request
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .map(|v| v.trim().to_ascii_lowercase())
            .is_some_and(|v| v == "application/json" || v == "application/merge-patch+json");
        if !json {
            return Err(Problem::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "send the body as application/json (or application/merge-patch+json for PATCH)",
            ));
        }
        let bytes = Bytes::from_request(request, state)
            .await
            .map_err(|e| Problem::new(e.status(), e.body_text()))?;
        match serde_json::from_slice(&bytes) {
            Ok(Value::Object(map)) => Ok(Self(map)),
            Ok(_) => Err(Problem::new(
                StatusCode::BAD_REQUEST,
                "the body must be a JSON object",
            )),
            Err(e) => Err(Problem::new(
                StatusCode::BAD_REQUEST,
                format!("the body is not JSON: {e}"),
            )),
        }
    }
}

/// A query string, refused as a problem (not axum's plain text) when it does not parse.
pub struct QueryParams<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequestParts<S> for QueryParams<T> {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Problem> {
        axum::extract::Query::<T>::try_from_uri(&parts.uri)
            .map(|q| Self(q.0))
            .map_err(|e| Problem::new(StatusCode::BAD_REQUEST, e.body_text()))
    }
}

/// Refuses a patch that names a member the caller cannot write, saying where it is written.
pub fn refuse_members(
    patch: &Map<String, Value>,
    members: &[&str],
    instead: &str,
) -> Result<(), Problem> {
    match members.iter().find(|m| patch.contains_key(**m)) {
        Some(member) => Err(Problem::invalid(
            Some(member),
            format!("{member}: cannot be changed here ({instead})"),
        )),
        None => Ok(()),
    }
}

/// RFC 7396: `patch` merged into `target` (`null` removes a member).
pub fn merge_patch(target: &mut Value, patch: Value) {
    let Value::Object(patch) = patch else {
        *target = patch;
        return;
    };
    if !target.is_object() {
        *target = Value::Object(Map::new());
    }
    if let Value::Object(t) = target {
        for (key, value) in patch {
            if value.is_null() {
                t.remove(&key);
            } else {
                merge_patch(t.entry(key).or_insert(Value::Null), value);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn rfc7396_appendix_a_examples() {
        let cases = [
            (json!({"a": "b"}), json!({"a": "c"}), json!({"a": "c"})),
            (
                json!({"a": "b"}),
                json!({"b": "c"}),
                json!({"a": "b", "b": "c"}),
            ),
            (json!({"a": "b"}), json!({"a": null}), json!({})),
            (json!({"a": ["b"]}), json!({"a": "c"}), json!({"a": "c"})),
            (
                json!({"a": {"b": "c"}}),
                json!({"a": {"b": "d", "c": null}}),
                json!({"a": {"b": "d"}}),
            ),
            (json!(["a", "b"]), json!(["c", "d"]), json!(["c", "d"])),
            (
                json!({"e": null}),
                json!({"a": 1}),
                json!({"e": null, "a": 1}),
            ),
        ];
        for (mut target, patch, want) in cases {
            merge_patch(&mut target, patch);
            assert_eq!(target, want);
        }
    }

    #[test]
    fn a_wrong_member_is_pointed_at() {
        #[derive(serde::Deserialize, Debug)]
        #[allow(dead_code)]
        struct T {
            list: Vec<u32>,
        }
        let problem = Problem::from(parse::<T>(json!({"list": [1, "x"]})).unwrap_err());
        assert_eq!(problem.status, 422);
        assert_eq!(problem.errors[0].pointer, "/list/1");
    }
}
