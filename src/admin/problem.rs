//! Errors of the admin API as RFC 9457 problem details (`application/problem+json`), with the
//! member a validation error is about.

use crate::manage::ManageError;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use sesame_core::store::StoreError;
use utoipa::ToSchema;

/// RFC 9457 §3.1, with `errors` (§3.2's extension) naming the member at fault.
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    /// A URI naming the kind of problem; `about:blank` when the status says it all.
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub title: &'static str,
    pub status: u16,
    pub detail: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    /// RFC 6750 §3: the challenge of a 401 or 403 (sent as `WWW-Authenticate`, not in the body).
    #[serde(skip)]
    pub challenge: Option<String>,
}

/// One validation error: a JSON Pointer (RFC 6901) to the member, and what is wrong with it.
#[derive(Debug, Serialize, ToSchema)]
pub struct FieldError {
    pub pointer: String,
    pub detail: String,
}

impl Problem {
    pub fn new(status: StatusCode, detail: impl Into<String>) -> Self {
        Self {
            kind: "about:blank",
            title: status.canonical_reason().unwrap_or("Error"),
            status: status.as_u16(),
            detail: detail.into(),
            errors: Vec::new(),
            challenge: None,
        }
    }

    /// A 422 about one member (`field`, a top-level name or a JSON Pointer).
    pub fn invalid(field: Option<&str>, detail: impl Into<String>) -> Self {
        let detail = detail.into();
        let mut p = Self::new(StatusCode::UNPROCESSABLE_ENTITY, detail.clone());
        if let Some(field) = field {
            let pointer = if field.starts_with('/') {
                field.to_owned()
            } else {
                format!("/{field}")
            };
            p.errors.push(FieldError { pointer, detail });
        }
        p
    }
}

impl From<ManageError> for Problem {
    fn from(e: ManageError) -> Self {
        match e {
            ManageError::NotFound(d) => Self::new(StatusCode::NOT_FOUND, d),
            ManageError::Conflict(d) => Self::new(StatusCode::CONFLICT, d),
            ManageError::Stale(d) => Self::new(StatusCode::PRECONDITION_FAILED, d),
            ManageError::Invalid { field, message } => Self::invalid(field.as_deref(), message),
            ManageError::Store(e) => e.into(),
        }
    }
}

impl From<StoreError> for Problem {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Unavailable(_) => {
                tracing::warn!(error = %e, "admin API: store unavailable");
                Self::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "the database is unavailable; retry shortly",
                )
            }
            e => {
                tracing::error!(error = %e, "admin API: store failed");
                Self::new(StatusCode::INTERNAL_SERVER_ERROR, "the server failed")
            }
        }
    }
}

/// A failure while checking a token: the store's, never the caller's.
impl From<sesame_core::error::TokenError> for Problem {
    fn from(e: sesame_core::error::TokenError) -> Self {
        if e.code == sesame_core::ErrorCode::TemporarilyUnavailable {
            return Self::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "the database is unavailable; retry shortly",
            );
        }
        tracing::error!(error = %e, cause = e.cause.as_deref().unwrap_or(""), "admin API: token check failed");
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "the server failed")
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let body = serde_json::to_string(&self).unwrap_or_default();
        let mut response = (
            status,
            [
                (header::CONTENT_TYPE, "application/problem+json"),
                (header::CACHE_CONTROL, "no-store"),
            ],
            body,
        )
            .into_response();
        if let Some(v) = self.challenge.and_then(|c| HeaderValue::from_str(&c).ok()) {
            response.headers_mut().insert(header::WWW_AUTHENTICATE, v);
        }
        if status == StatusCode::SERVICE_UNAVAILABLE {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
        }
        response
    }
}
