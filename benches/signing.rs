//! The physical limit behind the token endpoint: single-core signing rates, raw (aws-lc-rs with
//! the key parsed once) and through Sesame's own JWT path, so the HTTP benchmark's figures can be
//! read against them; the cost of encrypting an ID token to a client (JWE); and the argon2id
//! cost of a login. `cargo bench --bench signing`; throughput is printed as elem/s.

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use sesame_core::keys::{Algorithm, KeyRing, StoredKey};
use std::hint::black_box;

fn signing(c: &mut Criterion) {
    let rng = SystemRandom::new();
    let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
        .expect("key generation");
    let raw = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8.as_ref())
        .expect("key parses");
    // A signing input of the size of Sesame's access tokens.
    let message = vec![b'x'; 330];

    let mut group = c.benchmark_group("signing");
    group.throughput(Throughput::Elements(1));
    group.bench_function("es256_raw_aws_lc_rs", |b| {
        b.iter(|| raw.sign(&rng, black_box(&message)).expect("sign"))
    });

    let rows: Vec<StoredKey> = [Algorithm::ES256, Algorithm::EdDSA, Algorithm::RS256]
        .into_iter()
        .map(|alg| StoredKey::generate(alg, None, 0).expect("key"))
        .collect();
    let ring = KeyRing::build(&rows, None, 1, None).expect("ring");
    let claims = serde_json::json!({
        "iss": "http://127.0.0.1:8080", "sub": "bench-cc", "aud": "http://127.0.0.1:8080",
        "exp": 1_800_000_000, "iat": 1_799_996_400, "jti": "aie9qYaWspoIuUp2oIpr_w",
        "client_id": "bench-cc", "scope": "api:read",
    });
    for alg in [Algorithm::ES256, Algorithm::EdDSA, Algorithm::RS256] {
        let signer = ring.signer(alg).expect("signer");
        group.bench_function(format!("{alg}_access_token_jwt"), |b| {
            b.iter(|| signer.sign_jwt("at+jwt", black_box(&claims)).expect("sign"))
        });
    }
    group.finish();
}

/// What an encrypted ID token adds: one JWE of a signed ID token's size to the client's key.
fn encryption(c: &mut Criterion) {
    use aws_lc_rs::agreement::{ECDH_P256, PrivateKey};
    use aws_lc_rs::encoding::AsDer;
    use aws_lc_rs::rsa::{KeySize, PrivateDecryptingKey};
    use aws_lc_rs::signature::{KeyPair, RsaKeyPair};
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    use sesame_core::keys::jwe::{self, ContentEncryption, KeyManagement};
    let b64 = |bytes: &[u8]| URL_SAFE_NO_PAD.encode(bytes);
    let rsa = PrivateDecryptingKey::generate(KeySize::Rsa2048).expect("RSA key");
    let der = rsa.as_der().expect("PKCS#8");
    let pair = RsaKeyPair::from_pkcs8(der.as_ref()).expect("parses");
    let public = pair.public_key();
    let rsa_jwk = serde_json::json!({"kty": "RSA",
        "n": b64(public.modulus().big_endian_without_leading_zero()),
        "e": b64(public.exponent().big_endian_without_leading_zero())});
    let ec = PrivateKey::generate(&ECDH_P256).expect("EC key");
    let point = ec.compute_public_key().expect("public key");
    let point = point.as_ref();
    let ec_jwk = serde_json::json!({"kty": "EC", "crv": "P-256",
        "x": b64(&point[1..33]), "y": b64(&point[33..65])});
    // A signed ID token with a few profile claims is about 800 bytes.
    let id_token = vec![b'x'; 800];
    let mut group = c.benchmark_group("encryption");
    group.throughput(Throughput::Elements(1));
    let cases = [
        (
            "rsa_oaep_256_a128cbc_hs256",
            &rsa_jwk,
            KeyManagement::RsaOaep256,
            ContentEncryption::A128CbcHs256,
        ),
        (
            "ecdh_es_a128gcm",
            &ec_jwk,
            KeyManagement::EcdhEs,
            ContentEncryption::A128Gcm,
        ),
        (
            "ecdh_es_a256kw_a256gcm",
            &ec_jwk,
            KeyManagement::EcdhEsA256Kw,
            ContentEncryption::A256Gcm,
        ),
    ];
    for (name, key, alg, enc) in cases {
        group.bench_function(name, |b| {
            b.iter(|| jwe::encrypt(black_box(&id_token), key, alg, enc, Some("JWT")).expect("JWE"))
        });
    }
    group.finish();
}

/// The cost of one login: an argon2id verification with Sesame's parameters (m=19456, t=2).
fn password(c: &mut Criterion) {
    let hash = sesame_core::password::hash_password("bench-password-0123").expect("hash");
    let mut group = c.benchmark_group("password");
    group.throughput(Throughput::Elements(1));
    group.sample_size(20);
    group.bench_function("argon2id_verify", |b| {
        b.iter(|| sesame_core::password::verify_password(&hash, black_box("bench-password-0123")))
    });
    group.finish();
}

criterion_group!(benches, signing, encryption, password);
criterion_main!(benches);
