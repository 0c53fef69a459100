//! Every incoming JWS: the one header check, Sesame's own tokens (`id_token_hint`) and upstream
//! ID tokens. Nothing malformed may panic, and nothing but a token this key signed verifies.
#![no_main]

use libfuzzer_sys::fuzz_target;
use sesame_core::federation::id_token::{Expected, validate};
use sesame_core::keys::{Algorithm, KeyRing, StoredKey};
use std::sync::LazyLock;

static RING: LazyLock<(KeyRing, serde_json::Value)> = LazyLock::new(|| {
    let key = StoredKey::generate(Algorithm::ES256, None, 0).expect("a key");
    let ring = KeyRing::build(&[key], None, 1, None).expect("a ring");
    let jwks = serde_json::from_str(ring.jwks_json()).expect("JSON");
    (ring, jwks)
});

fuzz_target!(|data: &[u8]| {
    let Ok(token) = std::str::from_utf8(data) else {
        return;
    };
    let (ring, jwks) = &*RING;
    let _ = sesame_core::jws::protected_header(token);
    assert!(
        ring.verify_jws(token, "JWT").is_none(),
        "the fuzzer cannot forge an ES256 signature"
    );
    let expected = Expected {
        issuer: "https://upstream.test",
        client_id: "sesame",
        nonce: "n",
        now: 1,
    };
    assert!(validate(token, jwks, expected).is_err());
});
