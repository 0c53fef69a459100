//! The shapes of the admin API's bodies, for the OpenAPI document: the core's own types (client
//! metadata, standard claims, connections derive their schemas with the `openapi` feature) and
//! the members the API puts beside them. The handlers build the same shapes from `manage`'s
//! `describe` functions; the e2e tests read them back.

#![allow(dead_code)] // read by the OpenAPI derive only

use serde::Serialize;
use sesame_core::client::ClientMetadata as Metadata;
use sesame_core::user::StandardClaims;
use utoipa::ToSchema;

/// RFC 7591 client metadata in the names of a `[[clients]]` table, and `client_id` (generated
/// when left out).
#[derive(Serialize, ToSchema)]
pub struct NewClient {
    client_id: Option<String>,
    #[serde(flatten)]
    metadata: Metadata,
}

/// A client: its metadata, `client_id` and `client_id_issued_at`; `client_secret` only in the
/// answer that made it.
#[derive(Serialize, ToSchema)]
pub struct Client {
    client_id: String,
    client_id_issued_at: i64,
    /// Shown once, in the answer that made it.
    client_secret: Option<String>,
    #[serde(flatten)]
    metadata: Metadata,
}

#[derive(ToSchema)]
pub struct ClientList {
    items: Vec<Client>,
}

/// A user: the OIDC standard claims beside `sub`, `username` and the state.
#[derive(Serialize, ToSchema)]
pub struct User {
    sub: String,
    username: String,
    disabled: bool,
    roles: Vec<sesame_core::user::Role>,
    has_password: bool,
    created_at: i64,
    updated_at: i64,
    /// When read alone: until when repeated wrong passwords lock the account.
    locked_until: Option<i64>,
    #[serde(flatten)]
    claims: StandardClaims,
}

/// A new user: `username`, an optional `password` (stored hashed) and `disabled`, and claims.
#[derive(Serialize, ToSchema)]
pub struct NewUser {
    username: String,
    password: Option<String>,
    disabled: Option<bool>,
    roles: Option<Vec<sesame_core::user::Role>>,
    #[serde(flatten)]
    claims: StandardClaims,
}

/// What may change: `username`, `disabled` and claims; `null` removes a claim.
#[derive(Serialize, ToSchema)]
pub struct UserPatch {
    username: Option<String>,
    disabled: Option<bool>,
    roles: Option<Vec<sesame_core::user::Role>>,
    #[serde(flatten)]
    claims: StandardClaims,
}

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

/// A second factor, without its secret.
#[derive(ToSchema)]
pub struct Factor {
    id: String,
    /// `totp` (an authenticator app) or `passkey`.
    kind: String,
    name: String,
    created_at: i64,
    last_used_at: Option<i64>,
}

#[derive(ToSchema)]
pub struct FactorList {
    items: Vec<Factor>,
    recovery_codes_left: u64,
}

/// A connection as written: a `[[connections]]` table with its `client_secret` (never read
/// back; `id` may be left out, it is the path's).
#[derive(Serialize, ToSchema)]
pub struct NewConnection {
    client_secret: String,
    #[serde(flatten)]
    connection: sesame_core::federation::Connection,
}

#[derive(ToSchema)]
pub struct ConnectionList {
    items: Vec<sesame_core::federation::Connection>,
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
