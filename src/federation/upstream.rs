//! The network of federation: `sesame_core::federation::upstream::Upstream` over HTTP, with a
//! timeout on every call and no redirects followed. What the answers must say is the core's.

use async_trait::async_trait;
use serde_json::Value;
use sesame_core::federation::upstream::{Upstream, UpstreamError};
use std::time::Duration;

/// How long any one call to an upstream may take.
pub const UPSTREAM_TIMEOUT: Duration = Duration::from_secs(10);

/// The largest answer read: discovery documents, JWK Sets and token responses are a few KiB; a
/// server answering more is not one to trust with this node's memory.
pub const MAX_ANSWER_BYTES: usize = 1 << 20;

/// Upstream providers over HTTP (rustls, the web PKI roots).
pub struct HttpUpstream(reqwest::Client);

impl HttpUpstream {
    /// Fails only if TLS cannot be set up, which stops the start.
    pub fn new() -> Result<Self, reqwest::Error> {
        let client = reqwest::Client::builder()
            .timeout(UPSTREAM_TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        Ok(Self(client))
    }
}

fn unreachable(e: reqwest::Error) -> UpstreamError {
    UpstreamError::Unreachable(if e.is_timeout() {
        "timed out".into()
    } else {
        "connection failed".into()
    })
}

#[async_trait]
impl Upstream for HttpUpstream {
    async fn get_json(&self, url: &str, bearer: Option<&str>) -> Result<Value, UpstreamError> {
        let mut request = self.0.get(url).header("accept", "application/json");
        if let Some(token) = bearer {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.map_err(unreachable)?;
        if !response.status().is_success() {
            return Err(UpstreamError::Protocol(format!(
                "{url} answered {}",
                response.status()
            )));
        }
        read_json(response, url).await
    }

    async fn post_form(
        &self,
        url: &str,
        (user, password): (&str, &str),
        form: &[(&str, &str)],
    ) -> Result<(u16, Value), UpstreamError> {
        let body = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(form)
            .finish();
        let response = self
            .0
            .post(url)
            .basic_auth(user, Some(password))
            .header("content-type", "application/x-www-form-urlencoded")
            .header("accept", "application/json")
            .body(body)
            .send()
            .await
            .map_err(unreachable)?;
        let status = response.status().as_u16();
        Ok((status, read_json(response, url).await?))
    }
}

/// The body as JSON, read up to [`MAX_ANSWER_BYTES`].
async fn read_json(mut response: reqwest::Response, url: &str) -> Result<Value, UpstreamError> {
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(unreachable)? {
        if body.len() + chunk.len() > MAX_ANSWER_BYTES {
            return Err(UpstreamError::Protocol(format!(
                "{url} answered more than {MAX_ANSWER_BYTES} bytes"
            )));
        }
        body.extend_from_slice(&chunk);
    }
    serde_json::from_slice(&body)
        .map_err(|_| UpstreamError::Protocol(format!("{url} did not answer JSON")))
}
