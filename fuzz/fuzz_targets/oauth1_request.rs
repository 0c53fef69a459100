//! An OAuth 1.0a request (RFC 5849): the `Authorization: OAuth` header, the query and the form,
//! and the signature base string built from what parses.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sesame_core::oauth1::request::{SignedRequest, parse};
use sesame_core::oauth1::signature::{base_string, normalize};

fuzz_target!(|data: &[u8]| {
    // The first byte picks the method (the OAuth 1.0a routes take only these two); the rest
    // is the query, the Authorization header and the form body, separated by NUL.
    let Some((first, rest)) = data.split_first() else {
        return;
    };
    let method = if first % 2 == 0 { "POST" } else { "GET" };
    let mut parts = rest.splitn(3, |b| *b == 0);
    let (Some(query), Some(header)) = (parts.next(), parts.next()) else {
        return;
    };
    let (Ok(query), Ok(header)) = (std::str::from_utf8(query), std::str::from_utf8(header)) else {
        return;
    };
    let form = parts.next();
    let request = SignedRequest {
        method,
        path: "/oauth1/request_token",
        query,
        authorization: Some(header),
        form,
    };
    let _ = parse(&request);
    let pairs: Vec<(String, String)> = query
        .split('&')
        .filter_map(|p| p.split_once('='))
        .map(|(n, v)| (n.to_owned(), v.to_owned()))
        .collect();
    let base = base_string(method, "https://id.test/oauth1/request_token", &pairs);
    // RFC 5849 §3.4.1.1: three parts joined by '&', each percent-encoded (no bare '&' inside).
    assert_eq!(base.matches('&').count(), 2, "{base}");
    let normalized = normalize(&pairs);
    assert!(!normalized.contains(' '), "{normalized}");
});
