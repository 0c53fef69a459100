//! Request size limits, answered so the client can read the answer: 413 for a body over
//! `max_body_bytes`, 431 for headers over `max_header_bytes`, on every endpoint and page.
//!
//! A server that answers as soon as it sees too much, and closes, resets the connection under a
//! client that is still sending: the client reports a broken pipe and never sees the status. So
//! an oversized body is read and thrown away up to [`DRAIN_BYTES`] before the answer; beyond
//! that the connection is closed after it (a bounded cost for the server, whatever is sent).

use crate::ui::error_page;
use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use http_body_util::BodyExt;
use sesame_core::endpoints;

/// How much of an oversized body is read (and discarded) before answering.
pub const DRAIN_BYTES: usize = 1 << 20;

#[derive(Debug, Clone, Copy)]
pub struct Limits {
    pub body: usize,
    pub headers: usize,
}

/// What a request takes of the header budget: the request line and every field (RFC 9112 §2).
fn header_bytes(request: &Request) -> usize {
    let line = request.method().as_str().len() + request.uri().to_string().len() + 12;
    let fields: usize = request
        .headers()
        .iter()
        .map(|(name, value)| name.as_str().len() + value.len() + 4)
        .sum();
    line + fields
}

pub async fn enforce(State(limits): State<Limits>, request: Request, next: Next) -> Response {
    if header_bytes(&request) > limits.headers {
        let why = format!(
            "the request's headers are larger than {} bytes",
            limits.headers
        );
        return refuse(
            StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
            request.uri().path(),
            &why,
        );
    }
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    let path = request.uri().path().to_owned();
    let too_large = || format!("the request body is larger than {} bytes", limits.body);
    let (parts, body) = request.into_parts();
    if declared.is_some_and(|n| n > limits.body as u64) {
        drain(body, DRAIN_BYTES).await;
        return refuse(StatusCode::PAYLOAD_TOO_LARGE, &path, &too_large());
    }
    // No length, or one within the limit: read it, counting, however it is framed.
    match read_within(body, limits.body).await {
        Ok(bytes) => {
            next.run(Request::from_parts(parts, Body::from(bytes)))
                .await
        }
        Err(Read::TooLarge(rest)) => {
            drain(rest, DRAIN_BYTES).await;
            refuse(StatusCode::PAYLOAD_TOO_LARGE, &path, &too_large())
        }
        Err(Read::Broken) => refuse(
            StatusCode::BAD_REQUEST,
            &path,
            "the request body could not be read",
        ),
    }
}

enum Read {
    /// Over the limit; the body with what is left of it.
    TooLarge(Body),
    Broken,
}

async fn read_within(mut body: Body, limit: usize) -> Result<Bytes, Read> {
    let mut buf = Vec::new();
    while let Some(frame) = body.frame().await {
        let Ok(frame) = frame else {
            return Err(Read::Broken);
        };
        if let Some(data) = frame.data_ref() {
            if buf.len() + data.len() > limit {
                return Err(Read::TooLarge(body));
            }
            buf.extend_from_slice(data);
        }
    }
    Ok(Bytes::from(buf))
}

/// Reads and drops up to `bound` bytes of what the client is still sending.
async fn drain(mut body: Body, bound: usize) {
    let mut read = 0;
    while read < bound {
        match body.frame().await {
            Some(Ok(frame)) => read += frame.data_ref().map_or(0, Bytes::len),
            _ => return,
        }
    }
}

/// The refusal in the endpoint's own terms: a page for the pages, RFC 6749 JSON elsewhere. The
/// connection closes after it, so what the client may still send is not read.
fn refuse(status: StatusCode, path: &str, why: &str) -> Response {
    tracing::info!(status = status.as_u16(), path, why, "request too large");
    let pages = [
        endpoints::AUTHORIZE,
        endpoints::LOGIN,
        endpoints::CONSENT,
        endpoints::DEVICE,
        endpoints::LOGOUT,
        endpoints::OAUTH1_AUTHORIZE,
    ];
    let mut response = if pages.contains(&path) || path.starts_with("/federation/") {
        error_page(status, &format!("{why}."), None)
    } else {
        let body = serde_json::json!({"error": "invalid_request", "error_description": why});
        (status, crate::error::no_store_json(body.to_string())).into_response()
    };
    response
        .headers_mut()
        .insert(header::CONNECTION, HeaderValue::from_static("close"));
    response
}
