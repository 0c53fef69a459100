//! The `claims` request parameter (OpenID Connect Core §5.5): an error or the claim names.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sesame_core::oidc::claims::ClaimsRequest;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = ClaimsRequest::parse(text);
});
