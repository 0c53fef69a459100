//! Round trips through a decryptor written here from RFC 7516/7518 on aws-lc-rs primitives, and
//! the RFC's known answers. The e2e tests decrypt with an independent implementation (Node's
//! jose) as well.

use super::recipient::concat_kdf;
use super::*;
use aws_lc_rs::aead::{AES_128_GCM, AES_256_GCM, Aad, LessSafeKey, Nonce, UnboundKey};
use aws_lc_rs::agreement::{self, ECDH_P256, UnparsedPublicKey};
use aws_lc_rs::cipher::{AES_128, DecryptionContext, PaddedBlockDecryptingKey, UnboundCipherKey};
use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::key_wrap::{self, AesKek, KeyWrap};
use aws_lc_rs::rsa::{
    KeySize, OAEP_SHA256_MGF1SHA256, OaepPrivateDecryptingKey, PrivateDecryptingKey,
};
use aws_lc_rs::signature::{KeyPair, RsaKeyPair};

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

fn unb64(text: &str) -> Vec<u8> {
    URL_SAFE_NO_PAD.decode(text).unwrap()
}

enum Private {
    Rsa(PrivateDecryptingKey),
    Ec(agreement::PrivateKey),
}

fn rsa_recipient() -> (Value, Private) {
    let private = PrivateDecryptingKey::generate(KeySize::Rsa2048).unwrap();
    let pair = RsaKeyPair::from_pkcs8(private.as_der().unwrap().as_ref()).unwrap();
    let public = pair.public_key();
    let jwk = json!({
        "kty": "RSA", "kid": "enc-rsa", "use": "enc",
        "n": b64(public.modulus().big_endian_without_leading_zero()),
        "e": b64(public.exponent().big_endian_without_leading_zero()),
    });
    (jwk, Private::Rsa(private))
}

fn ec_recipient() -> (Value, Private) {
    let private = agreement::PrivateKey::generate(&ECDH_P256).unwrap();
    let point = private.compute_public_key().unwrap();
    let point = point.as_ref();
    let jwk = json!({
        "kty": "EC", "crv": "P-256", "kid": "enc-ec",
        "x": b64(&point[1..33]), "y": b64(&point[33..65]),
    });
    (jwk, Private::Ec(private))
}

/// RFC 7516 §5.2, the recipient's side.
fn decrypt(jwe: &str, private: &Private) -> (Map<String, Value>, Vec<u8>) {
    let parts: Vec<&str> = jwe.split('.').collect();
    assert_eq!(parts.len(), 5, "compact serialisation has five parts");
    let header: Map<String, Value> = serde_json::from_slice(&unb64(parts[0])).unwrap();
    let alg: KeyManagement = serde_json::from_value(header["alg"].clone()).unwrap();
    let enc: ContentEncryption = serde_json::from_value(header["enc"].clone()).unwrap();
    let encrypted_key = unb64(parts[1]);
    let content_key = match (alg, private) {
        (KeyManagement::RsaOaep256, Private::Rsa(key)) => {
            let key = OaepPrivateDecryptingKey::new(key.clone()).unwrap();
            let mut out = vec![0u8; key.min_output_size()];
            key.decrypt(&OAEP_SHA256_MGF1SHA256, &encrypted_key, &mut out, None)
                .unwrap()
                .to_vec()
        }
        (_, Private::Ec(key)) => {
            let epk = &header["epk"];
            let point = [
                &[4u8][..],
                &unb64(epk["x"].as_str().unwrap()),
                &unb64(epk["y"].as_str().unwrap()),
            ]
            .concat();
            let (id, len) = match alg {
                KeyManagement::EcdhEs => (enc.as_str(), enc.key_len()),
                KeyManagement::EcdhEsA128Kw => (alg.as_str(), 16),
                _ => (alg.as_str(), 32),
            };
            let agreed =
                agreement::agree(key, UnparsedPublicKey::new(&ECDH_P256, point), (), |z| {
                    Ok(concat_kdf(z, id, b"", b"", len))
                })
                .unwrap();
            if alg == KeyManagement::EcdhEs {
                assert!(encrypted_key.is_empty(), "direct agreement sends no key");
                agreed
            } else {
                let cipher = if len == 16 {
                    &key_wrap::AES_128
                } else {
                    &key_wrap::AES_256
                };
                let kek = AesKek::new(cipher, &agreed).unwrap();
                let mut out = vec![0u8; encrypted_key.len()];
                kek.unwrap(&encrypted_key, &mut out).unwrap().to_vec()
            }
        }
        _ => panic!("key type does not match {alg}"),
    };
    let (iv, ciphertext, tag) = (unb64(parts[2]), unb64(parts[3]), unb64(parts[4]));
    let aad = parts[0].as_bytes();
    let plaintext = match enc {
        ContentEncryption::A128Gcm | ContentEncryption::A256Gcm => {
            let alg = if enc == ContentEncryption::A128Gcm {
                &AES_128_GCM
            } else {
                &AES_256_GCM
            };
            let key = LessSafeKey::new(UnboundKey::new(alg, &content_key).unwrap());
            let mut in_out = [ciphertext, tag].concat();
            let nonce = Nonce::try_assume_unique_for_key(&iv).unwrap();
            key.open_in_place(nonce, Aad::from(aad), &mut in_out)
                .expect("the GCM tag verifies")
                .to_vec()
        }
        ContentEncryption::A128CbcHs256 => {
            let (mac_key, enc_key) = content_key.split_at(16);
            let mac = aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, mac_key);
            let al = (aad.len() as u64 * 8).to_be_bytes();
            let full = aws_lc_rs::hmac::sign(&mac, &[aad, &iv, &ciphertext, &al].concat());
            assert_eq!(&full.as_ref()[..16], &tag[..], "the HMAC tag verifies");
            let key = UnboundCipherKey::new(&AES_128, enc_key).unwrap();
            let key = PaddedBlockDecryptingKey::cbc_pkcs7(key).unwrap();
            let iv: [u8; 16] = iv.try_into().unwrap();
            let mut in_out = ciphertext;
            key.decrypt(&mut in_out, DecryptionContext::Iv128(iv.into()))
                .unwrap()
                .to_vec()
        }
    };
    (header, plaintext)
}

#[test]
fn rfc7516_every_algorithm_pair_round_trips() {
    let recipients = [rsa_recipient(), ec_recipient()];
    for alg in KeyManagement::ALL {
        let (jwk, private) = recipients
            .iter()
            .find(|(jwk, _)| jwk["kty"] == alg.key_type())
            .unwrap();
        for enc in ContentEncryption::ALL {
            let jwe = encrypt(b"{\"sub\":\"alice\"}", jwk, alg, enc, Some("JWT")).unwrap();
            let (header, plaintext) = decrypt(&jwe, private);
            assert_eq!(plaintext, b"{\"sub\":\"alice\"}", "{alg} {enc}");
            assert_eq!(header["alg"], alg.as_str());
            assert_eq!(header["enc"], enc.as_str());
            assert_eq!(header["cty"], "JWT");
            assert_eq!(header["kid"], jwk["kid"]);
            assert_eq!(header.contains_key("epk"), alg != KeyManagement::RsaOaep256);
        }
    }
}

#[test]
fn rfc7516_a_tampered_header_fails_authentication() {
    let (jwk, private) = ec_recipient();
    let jwe = encrypt(
        b"x",
        &jwk,
        KeyManagement::EcdhEs,
        ContentEncryption::A128Gcm,
        None,
    )
    .unwrap();
    let (header, _) = decrypt(&jwe, &private);
    assert!(!header.contains_key("cty"));
    // Swapping the header changes the AAD, so the tag no longer verifies.
    let mut parts: Vec<String> = jwe.split('.').map(str::to_owned).collect();
    let mut forged = header.clone();
    forged.insert("kid".into(), json!("other"));
    parts[0] = b64(Value::Object(forged).to_string().as_bytes());
    let tampered = parts.join(".");
    let result = std::panic::catch_unwind(|| decrypt(&tampered, &private));
    assert!(result.is_err(), "a forged header must not decrypt");
}

#[test]
fn rfc7518_c_concat_kdf_known_answer() {
    // RFC 7518 Appendix C: ECDH-ES with A128GCM, PartyUInfo "Alice", PartyVInfo "Bob".
    let z = [
        158, 86, 217, 29, 129, 113, 53, 211, 114, 131, 66, 131, 191, 132, 38, 156, 251, 49, 110,
        163, 218, 128, 106, 72, 246, 218, 167, 121, 140, 254, 144, 196,
    ];
    let key = concat_kdf(&z, "A128GCM", b"Alice", b"Bob", 16);
    assert_eq!(b64(&key), "VqqN6vgjbSBcIijNcacQGg");
}

#[test]
fn the_rsa_key_is_read_from_its_jwk_members() {
    let private = PrivateDecryptingKey::generate(KeySize::Rsa2048).unwrap();
    let pair = RsaKeyPair::from_pkcs8(private.as_der().unwrap().as_ref()).unwrap();
    let public = pair.public_key();
    let built = super::recipient::rsa_public_key_info(
        public.modulus().big_endian_without_leading_zero(),
        public.exponent().big_endian_without_leading_zero(),
    );
    let expected = private.public_key().as_der().unwrap();
    assert_eq!(
        built,
        expected.as_ref(),
        "the same SubjectPublicKeyInfo DER"
    );
}

#[test]
fn keys_are_chosen_by_type_use_and_alg() {
    let (rsa, _) = rsa_recipient();
    let (ec, _) = ec_recipient();
    let mut signing = ec.clone();
    signing["use"] = json!("sig");
    let mut other_alg = rsa.clone();
    other_alg["alg"] = json!("RSA-OAEP");
    let jwks = json!({"keys": [signing, other_alg, rsa, ec]});
    assert_eq!(
        select_key(&jwks, KeyManagement::RsaOaep256).unwrap()["kid"],
        "enc-rsa"
    );
    let chosen = select_key(&jwks, KeyManagement::EcdhEsA256Kw).unwrap();
    assert!(
        chosen.get("use").is_none(),
        "the signing key is passed over"
    );
    assert!(select_key(&json!({"keys": []}), KeyManagement::EcdhEs).is_none());
}

#[test]
fn unusable_keys_are_errors_not_panics() {
    let short = json!({"kty": "RSA", "n": b64(&[0xc5; 128]), "e": "AQAB"});
    let err = encrypt(
        b"x",
        &short,
        KeyManagement::RsaOaep256,
        ContentEncryption::A128Gcm,
        None,
    );
    assert!(err.unwrap_err().0.contains("2048"));
    let off_curve = json!({"kty": "EC", "crv": "P-256", "x": b64(&[1; 32]), "y": b64(&[2; 32])});
    assert!(
        encrypt(
            b"x",
            &off_curve,
            KeyManagement::EcdhEs,
            ContentEncryption::A128Gcm,
            None
        )
        .is_err()
    );
    let no_member = json!({"kty": "EC", "crv": "P-256", "x": b64(&[1; 32])});
    let err = encrypt(
        b"x",
        &no_member,
        KeyManagement::EcdhEs,
        ContentEncryption::A128Gcm,
        None,
    );
    assert!(err.unwrap_err().0.contains("\"y\""));
}
