//! The pages people see: server-rendered HTML, one stylesheet, no script but the form_post
//! auto-submit and the console's copy buttons, usable without JavaScript. Every page carries the same security headers; every
//! failure is a [`error::PageError`].

pub mod account;
pub mod browser;
pub mod consent;
pub mod cookies;
pub mod demo;
pub mod device;
pub mod error;
pub mod first_party;
pub mod home;
pub mod login;
pub mod oauth1_approval;
pub mod passkey;
pub mod passkey_script;
pub mod respond;
pub mod second_factor;
pub mod sign_in;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use minijinja::Environment;
use serde::Serialize;
use sesame_core::secret::SecretHash;
use std::sync::{Arc, LazyLock};

/// The templates, embedded in the binary.
static TEMPLATES: LazyLock<Environment<'static>> = LazyLock::new(|| {
    let mut env = Environment::new();
    for (name, source) in [
        ("base.html", include_str!("../../templates/base.html")),
        ("login.html", include_str!("../../templates/login.html")),
        ("consent.html", include_str!("../../templates/consent.html")),
        ("error.html", include_str!("../../templates/error.html")),
        ("logout.html", include_str!("../../templates/logout.html")),
        (
            "logged_out.html",
            include_str!("../../templates/logged_out.html"),
        ),
        (
            "form_post.html",
            include_str!("../../templates/form_post.html"),
        ),
        ("approve.html", include_str!("../../templates/approve.html")),
        ("demo.html", include_str!("../../templates/demo.html")),
        ("home.html", include_str!("../../templates/home.html")),
        (
            "second_factor.html",
            include_str!("../../templates/second_factor.html"),
        ),
        ("enrol.html", include_str!("../../templates/enrol.html")),
        ("account.html", include_str!("../../templates/account.html")),
        ("passkey.html", include_str!("../../templates/passkey.html")),
        (
            "recovery_codes.html",
            include_str!("../../templates/recovery_codes.html"),
        ),
        (
            "console_nav.html",
            include_str!("../../templates/console_nav.html"),
        ),
        (
            "console_dashboard.html",
            include_str!("../../templates/console_dashboard.html"),
        ),
        (
            "console_clients.html",
            include_str!("../../templates/console_clients.html"),
        ),
        (
            "console_client_created.html",
            include_str!("../../templates/console_client_created.html"),
        ),
        (
            "console_audit.html",
            include_str!("../../templates/console_audit.html"),
        ),
        (
            "console_users.html",
            include_str!("../../templates/console_users.html"),
        ),
        (
            "console_user.html",
            include_str!("../../templates/console_user.html"),
        ),
        (
            "console_client.html",
            include_str!("../../templates/console_client.html"),
        ),
        (
            "console_connections.html",
            include_str!("../../templates/console_connections.html"),
        ),
        (
            "console_keys.html",
            include_str!("../../templates/console_keys.html"),
        ),
    ] {
        if let Err(e) = env.add_template(name, source) {
            // The templates are part of the binary; a test renders every one of them.
            tracing::error!(template = name, error = %e, "built-in template does not parse");
        }
    }
    env
});

const STYLESHEET: &str = include_str!("../../static/sesame.css");

pub async fn stylesheet() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        STYLESHEET,
    )
}

tokio::task_local! {
    /// The path of the issuer (`/tenant` for `https://id.example/tenant`, empty at the root):
    /// a proxy serves Sesame's routes under it, so links to assets must start with it.
    static ISSUER_PATH: Arc<str>;
}

/// The issuer's path (`url::Url::path` without the trailing slash), for [`with_issuer_path`].
pub fn issuer_path(issuer: &str) -> Arc<str> {
    let path = url::Url::parse(issuer)
        .map(|u| u.path().trim_end_matches('/').to_owned())
        .unwrap_or_default();
    path.into()
}

/// Middleware: pages rendered while answering this request link assets under the issuer's path,
/// from whatever path the page itself has (`/federation/{id}/callback`, `/oauth1/authorize`).
pub async fn with_issuer_path(
    axum::extract::State(path): axum::extract::State<Arc<str>>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    ISSUER_PATH.scope(path, next.run(request)).await
}

/// The stylesheet's absolute path.
fn stylesheet_href() -> String {
    let prefix = ISSUER_PATH
        .try_with(Arc::clone)
        .unwrap_or_else(|_| "".into());
    format!("{prefix}{}", sesame_core::endpoints::STYLESHEET)
}

/// A template rendered with `context` and the stylesheet's link.
pub fn render(template: &str, context: impl Serialize) -> Result<String, minijinja::Error> {
    let context = minijinja::context! {
        stylesheet => stylesheet_href(),
        ..minijinja::Value::from_serialize(&context)
    };
    TEMPLATES
        .get_template(template)
        .and_then(|t| t.render(context))
}

/// A rendered page with Sesame's headers.
pub fn page(status: StatusCode, template: &str, context: impl Serialize) -> Response {
    let html = render(template, context);
    match html {
        Ok(html) => with_headers(status, html, &csp(None)),
        Err(e) => {
            tracing::error!(template, error = %e, "page failed to render");
            with_headers(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Sesame could not show this page.".to_owned(),
                &csp(None),
            )
        }
    }
}

/// [`page`] with one inline script (given to the template as `script`), which the page's CSP
/// allows by its hash and nothing else: the page must work without it.
pub fn page_with_script(
    status: StatusCode,
    template: &str,
    context: impl Serialize,
    script: &'static str,
) -> Response {
    let context = minijinja::context! {
        script => minijinja::Value::from_safe_string(script.to_owned()),
        ..minijinja::Value::from_serialize(&context)
    };
    let mut response = page(status, template, context);
    let hash = STANDARD.encode(SecretHash::of(script).0);
    if let Ok(v) = HeaderValue::from_str(&csp(Some(&hash))) {
        response
            .headers_mut()
            .insert(header::CONTENT_SECURITY_POLICY, v);
    }
    response
}

/// The Content-Security-Policy of a page: nothing but our stylesheet (and one script, by its
/// hash, where given), never framed. No `form-action`: browsers apply it to every redirect that
/// follows a submission, and a sign-in ends in a chain of redirects through origins a page
/// cannot know (an upstream provider's login returns to Sesame, which returns to the client).
pub fn csp(script_hash: Option<&str>) -> String {
    // A page's one script may ask Sesame itself for something (a passkey's challenge).
    let (script, connect) = match script_hash {
        Some(h) => (format!("'sha256-{h}'"), "'self'"),
        None => ("'none'".to_owned(), "'none'"),
    };
    format!(
        "default-src 'none'; style-src 'self'; img-src 'self'; script-src {script}; \
         connect-src {connect}; frame-ancestors 'none'; base-uri 'none'"
    )
}

pub fn with_headers(status: StatusCode, html: String, csp: &str) -> Response {
    let mut response = (status, html).into_response();
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/html; charset=utf-8"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    // Pages and redirects can carry codes and tokens: never leak the URL onwards.
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    if let Ok(v) = HeaderValue::from_str(csp) {
        h.insert(header::CONTENT_SECURITY_POLICY, v);
    }
    response
}

/// An error shown to the user, never sent to a client.
pub fn error_page(status: StatusCode, message: &str, code: Option<&str>) -> Response {
    let heading = match status {
        StatusCode::FORBIDDEN => "Request refused",
        StatusCode::NOT_FOUND => "Not found",
        StatusCode::SERVICE_UNAVAILABLE => "Try again shortly",
        s if s.is_server_error() => "Something went wrong",
        _ => "This request cannot continue",
    };
    page(
        status,
        "error.html",
        minijinja::context! { heading, message, code },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_template_renders() {
        for name in [
            "login.html",
            "consent.html",
            "error.html",
            "logout.html",
            "logged_out.html",
            "form_post.html",
            "approve.html",
            "demo.html",
            "home.html",
            "second_factor.html",
            "enrol.html",
            "account.html",
            "passkey.html",
            "recovery_codes.html",
            "console_dashboard.html",
            "console_clients.html",
            "console_client_created.html",
            "console_audit.html",
            "console_users.html",
            "console_user.html",
            "console_client.html",
            "console_connections.html",
            "console_keys.html",
        ] {
            let t = TEMPLATES.get_template(name).unwrap();
            let html = t
                .render(minijinja::context! {
                    client_name => "<b>x</b>", heading => "h", message => "m",
                    person => minijinja::context! { username => "<b>x</b>" },
                    form => minijinja::context! { client_name => "<b>x</b>" },
                    draft => minijinja::context! { username => "<b>x</b>", claims => [("name", "<b>x</b>")] },
                })
                .unwrap();
            assert!(!html.contains("<b>x</b>"), "{name} must escape");
        }
    }
}
