//! The redirect URI matcher against an independent oracle: a confidential client, an OAuth 1.0a
//! callback and a post-logout redirect match only the registered string itself; a public
//! client may differ only in the port of a loopback IP literal (RFC 8252 §7.3).
#![no_main]

use libfuzzer_sys::fuzz_target;
use sesame_core::authorize::redirect_uri::{Purpose, is_registered};
use sesame_core::client::{AuthMethod, Client, ClientMetadata};

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let Some((registered, requested)) = text.split_once('\n') else {
        return;
    };
    for method in [AuthMethod::None, AuthMethod::ClientSecretBasic] {
        let client = Client {
            client_id: "fuzz".to_owned(),
            secret_hash: None,
            metadata: ClientMetadata {
                redirect_uris: vec![registered.to_owned()],
                post_logout_redirect_uris: vec![registered.to_owned()],
                token_endpoint_auth_method: method,
                ..Default::default()
            },
            created_at: 0,
            updated_at: 0,
        };
        for purpose in [
            Purpose::Authorization,
            Purpose::Oauth1Callback,
            Purpose::PostLogout,
        ] {
            let matched = is_registered(requested, &client, purpose);
            let loopback_allowed = method == AuthMethod::None && purpose == Purpose::Authorization;
            let expected = requested == registered
                || (loopback_allowed && same_loopback_but_port(requested, registered));
            assert_eq!(
                matched, expected,
                "{registered:?} vs {requested:?} {purpose:?}"
            );
        }
    }
});

/// The oracle, written apart from the matcher: scheme and IP literal the same, then an optional
/// valid port, then the identical rest, which must begin a path or query (or be empty).
fn same_loopback_but_port(requested: &str, registered: &str) -> bool {
    ["http://127.0.0.1", "http://[::1]"].iter().any(|host| {
        match (
            registered.strip_prefix(host).and_then(rest_after_port),
            requested.strip_prefix(host).and_then(rest_after_port),
        ) {
            (Some(a), Some(b)) => a == b && (a.is_empty() || a.starts_with(['/', '?'])),
            _ => false,
        }
    })
}

fn rest_after_port(s: &str) -> Option<&str> {
    let Some(after) = s.strip_prefix(':') else {
        return Some(s);
    };
    let digits = after.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 || digits > 5 {
        return None;
    }
    let port: u32 = after[..digits].parse().ok()?;
    (1..=65_535).contains(&port).then(|| &after[digits..])
}
