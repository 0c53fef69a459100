//! Every path Sesame serves, defined once: the router mounts these, discovery advertises them
//! under the issuer, client assertions may name them as their audience (RFC 7523 §3), and pages
//! link to them. A path is relative to the issuer, which may itself have a path.

pub const OPENID_CONFIGURATION: &str = "/.well-known/openid-configuration";
pub const AUTHORIZATION_SERVER_METADATA: &str = "/.well-known/oauth-authorization-server";
pub const JWKS: &str = "/jwks";
pub const AUTHORIZE: &str = "/authorize";
pub const TOKEN: &str = "/token";
pub const USERINFO: &str = "/userinfo";
pub const INTROSPECT: &str = "/introspect";
pub const REVOKE: &str = "/revoke";
pub const DEVICE_AUTHORIZATION: &str = "/device_authorization";
/// The device flow's `verification_uri` (RFC 8628 §3.2).
pub const DEVICE: &str = "/device";
/// RP-Initiated Logout's `end_session_endpoint`.
pub const LOGOUT: &str = "/logout";
pub const LOGIN: &str = "/login";
/// After the password: a code from an authenticator, or a recovery code.
pub const SECOND_FACTOR: &str = "/login/second-factor";
/// After the password, when two factors are needed and the user has one only: enrol a second.
pub const ENROL: &str = "/login/enrol";
/// After an enrolment, once the recovery codes are read: the sign-in goes on.
pub const ENROLLED: &str = "/login/enrol/continue";
pub const CONSENT: &str = "/consent";
/// Upstream identity providers; `{connection}` is a connection id.
pub const FEDERATION_START: &str = "/federation/{connection}/start";
pub const FEDERATION_CALLBACK: &str = "/federation/{connection}/callback";
pub const OAUTH1_REQUEST_TOKEN: &str = "/oauth1/request_token";
pub const OAUTH1_AUTHORIZE: &str = "/oauth1/authorize";
pub const OAUTH1_ACCESS_TOKEN: &str = "/oauth1/access_token";
pub const OAUTH1_USERINFO: &str = "/oauth1/userinfo";
pub const STYLESHEET: &str = "/static/sesame.css";
pub const HEALTHZ: &str = "/healthz";
pub const READYZ: &str = "/readyz";
pub const METRICS: &str = "/metrics";

/// A path with `{connection}` filled in.
pub fn for_connection(path: &str, connection_id: &str) -> String {
    path.replace("{connection}", connection_id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connection_paths_are_filled_in() {
        assert_eq!(
            for_connection(FEDERATION_CALLBACK, "corp"),
            "/federation/corp/callback"
        );
    }
}
