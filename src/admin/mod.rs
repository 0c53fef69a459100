//! The admin API (`/admin/v1`): clients, users and what they hold, connections, signing keys and
//! the audit trail, over JSON with RFC 9457 problems, ETags and `If-Match`. The routes and the
//! OpenAPI 3.1 document (`/admin/v1/openapi.json`) come from the same declarations, so neither
//! can list a route the other lacks. Every change goes through `crate::manage`, as the CLI's do.

mod audit;
mod auth;
mod body;
mod clients;
mod connections;
mod keys;
mod problem;
mod schema;
mod users;

use crate::manage::Manager;
use crate::state::AppState;
use axum::Router;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use sesame_core::audit::Origin;
use utoipa::OpenApi;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

/// Where the admin API lives.
pub const BASE: &str = "/admin/v1";

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Sesame admin API",
        description = "Manage clients, users, sessions, consents, connections, signing keys and \
                       read the audit trail. Authenticate with a bearer access token granted the \
                       `sesame:admin` scope by the client_credentials grant of an admin client \
                       (`sesame client create --admin`). Errors are RFC 9457 problem details.",
    ),
    modifiers(&BearerAuth),
    security(("bearer" = [])),
    tags((name = "clients"), (name = "users"), (name = "connections"), (name = "keys"), (name = "audit")),
)]
struct ApiDoc;

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
    }
}

/// What every operation answers beside its own responses, said once: the refusals of
/// `auth::Admin`, and problems as `application/problem+json` (utoipa writes bodies as JSON).
struct CommonResponses;

impl utoipa::Modify for CommonResponses {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::{Content, RefOr, ResponseBuilder, schema::Ref};
        for item in openapi.paths.paths.values_mut() {
            // Whether the operation writes: only a write can race another one.
            let operations = [
                (&mut item.get, false),
                (&mut item.put, true),
                (&mut item.post, true),
                (&mut item.delete, true),
                (&mut item.patch, true),
            ];
            for (operation, writes) in operations {
                let Some(operation) = operation else { continue };
                let responses = &mut operation.responses.responses;
                let mut common = vec![
                    (
                        "400",
                        "Malformed: a body that is not a JSON object, a bad query string",
                    ),
                    (
                        "401",
                        "No valid bearer token (RFC 6750 challenge in WWW-Authenticate)",
                    ),
                    (
                        "403",
                        "The token lacks sesame:admin, or its client is not an admin client",
                    ),
                ];
                if writes {
                    common.push((
                        "409",
                        "Changed by a request racing this one: read it again and retry",
                    ));
                }
                for (status, description) in common {
                    responses.entry(status.to_owned()).or_insert_with(|| {
                        let body = Content::new(Some(Ref::from_schema_name("Problem")));
                        let response = ResponseBuilder::new()
                            .description(description)
                            .content("application/problem+json", body);
                        RefOr::T(response.build())
                    });
                }
                for (status, response) in responses.iter_mut() {
                    if let (true, RefOr::T(response)) = (status.as_str() >= "400", response)
                        && let Some(json) = response.content.shift_remove("application/json")
                    {
                        response
                            .content
                            .insert("application/problem+json".to_owned(), json);
                    }
                }
            }
        }
    }
}

/// The routes, and the document that describes exactly them, served from `issuer`.
fn routes(issuer: &str) -> (Router<AppState>, utoipa::openapi::OpenApi) {
    let (router, mut api) = OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(clients::list, clients::create))
        .routes(routes!(clients::get, clients::update, clients::delete))
        .routes(routes!(clients::rotate_secret))
        .routes(routes!(users::list, users::create))
        .routes(routes!(users::get, users::update, users::delete))
        .routes(routes!(users::set_password))
        .routes(routes!(users::unlock))
        .routes(routes!(users::sessions, users::revoke_sessions))
        .routes(routes!(users::revoke_session))
        .routes(routes!(users::consents))
        .routes(routes!(users::revoke_consent))
        .routes(routes!(users::identities))
        .routes(routes!(users::unlink))
        .routes(routes!(users::factors))
        .routes(routes!(users::remove_factor))
        .routes(routes!(connections::list))
        .routes(routes!(
            connections::get,
            connections::put,
            connections::delete
        ))
        .routes(routes!(keys::list))
        .routes(routes!(keys::rotate))
        .routes(routes!(audit::list))
        .split_for_parts();
    // After the routes: the modifiers of `ApiDoc` ran before they were added.
    utoipa::Modify::modify(&CommonResponses, &mut api);
    api.servers = Some(vec![utoipa::openapi::Server::new(format!(
        "{}{BASE}",
        issuer.trim_end_matches('/')
    ))]);
    (router, api)
}

/// `/admin/v1/...`, nested into the main router of the node serving `issuer`.
pub fn router(issuer: &str) -> Router<AppState> {
    let (routes, api) = routes(issuer);
    let document: std::sync::Arc<str> = api.to_json().unwrap_or_default().into();
    Router::new().nest(
        BASE,
        routes
            .route(
                "/openapi.json",
                axum::routing::get(move || {
                    let document = document.clone();
                    async move {
                        (
                            [(header::CONTENT_TYPE, "application/json")],
                            document.to_string(),
                        )
                    }
                }),
            )
            .fallback(|| async {
                problem::Problem::new(StatusCode::NOT_FOUND, "no such admin API resource")
            })
            .method_not_allowed_fallback(|| async {
                problem::Problem::new(
                    StatusCode::METHOD_NOT_ALLOWED,
                    "this resource does not answer that method (see /admin/v1/openapi.json)",
                )
            }),
    )
}

fn manager(state: &AppState, origin: Origin) -> Manager<'_> {
    Manager::for_request(&state.provider, origin)
}

/// The URL of a resource of the API: under the issuer (a proxy's path prefix included), its
/// segments percent-encoded.
fn location(state: &AppState, segments: &[&str]) -> String {
    let base = format!(
        "{}{BASE}",
        state.provider.settings().issuer.trim_end_matches('/')
    );
    let Ok(mut url) = url::Url::parse(&base) else {
        return base;
    };
    if let Ok(mut path) = url.path_segments_mut() {
        path.extend(segments);
    }
    url.to_string()
}

fn if_match(headers: &HeaderMap) -> Option<&str> {
    headers.get(header::IF_MATCH).and_then(|v| v.to_str().ok())
}

/// A resource with its ETag.
struct Tagged {
    etag: String,
    body: serde_json::Value,
}

impl IntoResponse for Tagged {
    fn into_response(self) -> Response {
        let mut response =
            ([(header::CACHE_CONTROL, "no-store")], axum::Json(self.body)).into_response();
        if let Ok(v) = HeaderValue::from_str(&self.etag) {
            response.headers_mut().insert(header::ETAG, v);
        }
        response
    }
}

/// A resource just made: 201 with its `Location` and ETag.
struct Created {
    location: String,
    etag: String,
    body: serde_json::Value,
}

impl IntoResponse for Created {
    fn into_response(self) -> Response {
        let mut response = Tagged {
            etag: self.etag,
            body: self.body,
        }
        .into_response();
        *response.status_mut() = StatusCode::CREATED;
        if let Ok(v) = HeaderValue::from_str(&self.location) {
            response.headers_mut().insert(header::LOCATION, v);
        }
        response
    }
}
