//! The shapes of the admin API's bodies, for the OpenAPI document. The resources' members are
//! the configuration file's (RFC 7591 metadata for clients, OIDC standard claims for users),
//! documented there (`sesame.example.toml`) and validated by the core; here they are objects.

#![allow(dead_code)] // read by the OpenAPI derive only

use utoipa::ToSchema;

/// RFC 7591 client metadata in the names of a `[[clients]]` table: redirect_uris,
/// grant_types, response_types, token_endpoint_auth_method, scope, admin, ...
#[derive(ToSchema)]
#[schema(value_type = Object)]
pub struct ClientMetadata(serde_json::Value);

/// A client: its metadata, `client_id` and `client_id_issued_at`; `client_secret` only in the
/// answer that made it.
#[derive(ToSchema)]
#[schema(value_type = Object)]
pub struct Client(serde_json::Value);

#[derive(ToSchema)]
pub struct ClientList {
    items: Vec<Client>,
}

/// A user: `sub`, `username`, `disabled`, `has_password`, `created_at`, `updated_at` and the
/// OIDC standard claims (email, name, ..., address, localized); `locked_until` when read alone.
#[derive(ToSchema)]
#[schema(value_type = Object)]
pub struct User(serde_json::Value);

/// `username`, an optional `password` and `disabled`, and OIDC standard claims.
#[derive(ToSchema)]
#[schema(value_type = Object)]
pub struct NewUser(serde_json::Value);

/// `username`, `disabled` and claims; `null` removes a claim.
#[derive(ToSchema)]
#[schema(value_type = Object)]
pub struct UserPatch(serde_json::Value);

#[derive(ToSchema)]
pub struct UserPage {
    items: Vec<User>,
    /// The cursor of the next page (`after`), when there may be one.
    next: Option<String>,
}

#[derive(ToSchema)]
pub struct Unlocked {
    was_locked_until: Option<i64>,
}

#[derive(ToSchema)]
pub struct Session {
    sid: String,
    auth_time: i64,
    expires_at: i64,
}

#[derive(ToSchema)]
pub struct SessionList {
    items: Vec<Session>,
}

#[derive(ToSchema)]
pub struct Ended {
    ended: u64,
}

#[derive(ToSchema)]
pub struct Consent {
    client_id: String,
    scope: String,
    granted_at: i64,
}

#[derive(ToSchema)]
pub struct ConsentList {
    items: Vec<Consent>,
}

#[derive(ToSchema)]
pub struct Identity {
    connection: String,
    subject: String,
}

#[derive(ToSchema)]
pub struct IdentityList {
    items: Vec<Identity>,
}

/// A `[[connections]]` table: id, kind, display_name, issuer or endpoints, client_id, scopes,
/// claim mapping; `client_secret` is written only.
#[derive(ToSchema)]
#[schema(value_type = Object)]
pub struct Connection(serde_json::Value);

#[derive(ToSchema)]
pub struct ConnectionList {
    items: Vec<Connection>,
}

#[derive(ToSchema)]
pub struct Key {
    kid: String,
    alg: String,
    /// next, active, retired
    state: String,
    encrypted: bool,
    created_at: i64,
    activates_at: i64,
    retired_at: Option<i64>,
    publish_until: Option<i64>,
}

#[derive(ToSchema)]
pub struct KeyList {
    items: Vec<Key>,
}

#[derive(ToSchema)]
pub struct AuditEvent {
    seq: i64,
    at: i64,
    action: String,
    actor: String,
    address: Option<String>,
    target: Option<String>,
    /// `before`/`after` of a change, or the event's particulars; never a secret.
    #[schema(value_type = Object)]
    details: serde_json::Value,
}

#[derive(ToSchema)]
pub struct AuditPage {
    items: Vec<AuditEvent>,
    /// The cursor of the next page (`before`), when there may be one.
    next: Option<i64>,
}
