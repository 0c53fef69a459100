//! `Authorization: Basic` client credentials (RFC 6749 §2.3.1), and the body's client_id next
//! to them: an error or credentials, never a panic.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sesame_core::client_auth::Credentials;
use sesame_core::params::Params;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let (header, body) = text.split_once('\n').unwrap_or((&text, ""));
    let Ok(mut params) = Params::parse(body.as_bytes()) else {
        return;
    };
    let _ = Credentials::extract(Some(header), &mut params);
});
