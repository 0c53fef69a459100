//! A form body (`application/x-www-form-urlencoded`), as every endpoint parses it: a
//! parameter or an error, never a panic, whatever the bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sesame_core::params::Params;

fuzz_target!(|body: &[u8]| {
    if let Ok(mut params) = Params::parse(body) {
        // RFC 6749 §3.1: a parameter sent without a value counts as omitted.
        for name in ["grant_type", "client_id", "scope", "code", "redirect_uri"] {
            assert!(params.take(name).is_none_or(|v| !v.is_empty()));
        }
    }
});
