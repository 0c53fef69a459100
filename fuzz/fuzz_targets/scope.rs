//! The scope parameter (RFC 6749 §3.3): what parses prints back to itself, once per token.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sesame_core::scope::Scopes;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(scopes) = Scopes::parse(text) {
        let printed = scopes.to_string();
        assert_eq!(Scopes::parse(&printed).ok(), Some(scopes.clone()));
        let tokens: Vec<&str> = scopes.iter().collect();
        let mut unique = tokens.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(tokens.len(), unique.len(), "no duplicates");
    }
});
