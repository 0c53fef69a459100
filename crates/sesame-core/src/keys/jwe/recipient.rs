//! Key management (RFC 7518 §4): the client's public key, chosen from its JWK Set, and the
//! content key encrypted to it (RSA-OAEP-256) or agreed with it (ECDH-ES, §4.6).

use super::{ContentEncryption, JweError, KeyManagement, random_bytes};
use aws_lc_rs::agreement::{self, ECDH_P256, ECDH_P384, ECDH_P521, UnparsedPublicKey};
use aws_lc_rs::key_wrap::{AES_128, AES_256, AesKek, KeyWrap};
use aws_lc_rs::rsa::{OAEP_SHA256_MGF1SHA256, OaepPublicEncryptingKey, PublicEncryptingKey};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};

/// The content key and what the recipient needs to recover it.
pub struct Wrapped {
    pub content_key: Vec<u8>,
    /// Empty for direct key agreement (§4.6: ECDH-ES without key wrap).
    pub encrypted_key: Vec<u8>,
    /// The `epk` header of ECDH-ES.
    pub ephemeral_key: Option<Value>,
}

/// The client's key for `alg`: the first JWK of the right type meant for encryption (`use`
/// `enc` or no `use`) whose `alg`, if it names one, is this one (RFC 7517 §4.2, §4.4).
pub fn select_key(jwks: &Value, alg: KeyManagement) -> Option<&Value> {
    let text = |key: &Value, name: &str| key.get(name).and_then(Value::as_str).map(str::to_owned);
    jwks.get("keys")?.as_array()?.iter().find(|key| {
        text(key, "kty").as_deref() == Some(alg.key_type())
            && text(key, "use").is_none_or(|u| u == "enc")
            && text(key, "alg").is_none_or(|a| a == alg.as_str())
            && (alg == KeyManagement::RsaOaep256 || curve(key).is_some())
    })
}

pub fn wrap_content_key(
    key: &Value,
    alg: KeyManagement,
    enc: ContentEncryption,
) -> Result<Wrapped, JweError> {
    match alg {
        KeyManagement::RsaOaep256 => rsa_oaep(key, enc),
        KeyManagement::EcdhEs => {
            // §4.6.2: the agreed key is the content key, named by `enc`.
            let (content_key, epk) = ecdh(key, enc.as_str(), enc.key_len())?;
            Ok(Wrapped {
                content_key,
                encrypted_key: Vec::new(),
                ephemeral_key: Some(epk),
            })
        }
        KeyManagement::EcdhEsA128Kw | KeyManagement::EcdhEsA256Kw => {
            let kek_len = if alg == KeyManagement::EcdhEsA128Kw {
                16
            } else {
                32
            };
            let (kek, epk) = ecdh(key, alg.as_str(), kek_len)?;
            let content_key = random_bytes(enc.key_len())?;
            let cipher = if kek_len == 16 { &AES_128 } else { &AES_256 };
            let kek = AesKek::new(cipher, &kek).map_err(|_| failed())?;
            let mut out = vec![0u8; content_key.len() + 8];
            let len = kek
                .wrap(&content_key, &mut out)
                .map_err(|_| failed())?
                .len();
            out.truncate(len);
            Ok(Wrapped {
                content_key,
                encrypted_key: out,
                ephemeral_key: Some(epk),
            })
        }
    }
}

fn failed() -> JweError {
    JweError("key management failed".into())
}

fn member(key: &Value, name: &str) -> Result<Vec<u8>, JweError> {
    key.get(name)
        .and_then(Value::as_str)
        .and_then(|v| URL_SAFE_NO_PAD.decode(v).ok())
        .ok_or_else(|| JweError(format!("the encryption key has no valid {name:?} member")))
}

/// RFC 7518 §4.3: a fresh content key, encrypted with RSAES-OAEP, SHA-256 and MGF1-SHA-256.
fn rsa_oaep(key: &Value, enc: ContentEncryption) -> Result<Wrapped, JweError> {
    let n = member(key, "n")?;
    // RFC 7518 §4.3: a key of 2048 bits or more.
    let significant = n.iter().skip_while(|b| **b == 0).count();
    if significant * 8 < 2048 {
        return Err(JweError(
            "the RSA encryption key is shorter than 2048 bits".into(),
        ));
    }
    let der = rsa_public_key_info(&n, &member(key, "e")?);
    let public = PublicEncryptingKey::from_der(&der)
        .map_err(|e| JweError(format!("the RSA encryption key is not usable ({e})")))?;
    let public = OaepPublicEncryptingKey::new(public).map_err(|_| failed())?;
    let content_key = random_bytes(enc.key_len())?;
    let mut out = vec![0u8; public.ciphertext_size()];
    let len = public
        .encrypt(&OAEP_SHA256_MGF1SHA256, &content_key, &mut out, None)
        .map_err(|_| failed())?
        .len();
    out.truncate(len);
    Ok(Wrapped {
        content_key,
        encrypted_key: out,
        ephemeral_key: None,
    })
}

/// The curve of an EC JWK Sesame can agree a key with, and its coordinate length.
fn curve(key: &Value) -> Option<(&'static agreement::Algorithm, &'static str, usize)> {
    match key.get("crv")?.as_str()? {
        "P-256" => Some((&ECDH_P256, "P-256", 32)),
        "P-384" => Some((&ECDH_P384, "P-384", 48)),
        "P-521" => Some((&ECDH_P521, "P-521", 66)),
        _ => None,
    }
}

/// RFC 7518 §4.6: an ephemeral key on the recipient's curve, the shared secret, and from it
/// `len` bytes by the Concat KDF (NIST SP 800-56A §5.8.1) for `algorithm_id`. No `apu`/`apv`.
fn ecdh(key: &Value, algorithm_id: &str, len: usize) -> Result<(Vec<u8>, Value), JweError> {
    let (algorithm, crv, size) = curve(key)
        .ok_or_else(|| JweError("the EC encryption key is not on P-256, P-384 or P-521".into()))?;
    let (x, y) = (member(key, "x")?, member(key, "y")?);
    if x.len() != size || y.len() != size {
        return Err(JweError(format!(
            "the EC encryption key's coordinates are not {size} bytes"
        )));
    }
    let point = [&[0x04][..], &x, &y].concat();
    let peer = UnparsedPublicKey::new(algorithm, point);
    let ephemeral = agreement::PrivateKey::generate(algorithm).map_err(|_| failed())?;
    let public = ephemeral.compute_public_key().map_err(|_| failed())?;
    let derived = agreement::agree(&ephemeral, &peer, failed(), |z| {
        Ok(concat_kdf(z, algorithm_id, b"", b"", len))
    })?;
    // The uncompressed point is 0x04 ‖ x ‖ y.
    let (ex, ey) = public
        .as_ref()
        .get(1..)
        .filter(|xy| xy.len() == 2 * size)
        .map(|xy| xy.split_at(size))
        .ok_or_else(failed)?;
    let epk = json!({
        "kty": "EC",
        "crv": crv,
        "x": URL_SAFE_NO_PAD.encode(ex),
        "y": URL_SAFE_NO_PAD.encode(ey),
    });
    Ok((derived, epk))
}

/// RFC 7518 §4.6.2: SHA-256 rounds over counter ‖ Z ‖ OtherInfo, where OtherInfo is the
/// length-prefixed AlgorithmID, PartyUInfo (`apu`) and PartyVInfo (`apv`), and the key length in
/// bits. Sesame sends neither `apu` nor `apv`.
pub fn concat_kdf(z: &[u8], algorithm_id: &str, apu: &[u8], apv: &[u8], len: usize) -> Vec<u8> {
    let prefixed = |data: &[u8]| [&(data.len() as u32).to_be_bytes()[..], data].concat();
    let other_info = [
        prefixed(algorithm_id.as_bytes()),
        prefixed(apu),
        prefixed(apv),
        ((len * 8) as u32).to_be_bytes().to_vec(),
    ]
    .concat();
    let mut out = Vec::with_capacity(len + 32);
    let mut counter: u32 = 1;
    while out.len() < len {
        let mut ctx = aws_lc_rs::digest::Context::new(&aws_lc_rs::digest::SHA256);
        ctx.update(&counter.to_be_bytes());
        ctx.update(z);
        ctx.update(&other_info);
        out.extend_from_slice(ctx.finish().as_ref());
        counter += 1;
    }
    out.truncate(len);
    out
}

/// The X.509 SubjectPublicKeyInfo (RFC 5280 §4.1, RFC 8017 §A.1.1) of an RSA key, in DER, from
/// its JWK modulus and exponent: what aws-lc-rs reads RSA public keys from.
pub fn rsa_public_key_info(n: &[u8], e: &[u8]) -> Vec<u8> {
    // rsaEncryption (1.2.840.113549.1.1.1) with NULL parameters.
    const ALGORITHM: [u8; 15] = [
        0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01, 0x05, 0x00,
    ];
    let rsa_public_key = der(0x30, &[der_integer(n), der_integer(e)].concat());
    let bit_string = der(0x03, &[&[0u8][..], &rsa_public_key].concat());
    der(0x30, &[&ALGORITHM[..], &bit_string].concat())
}

/// An unsigned big-endian INTEGER: leading zeros dropped, one added when the high bit is set.
fn der_integer(bytes: &[u8]) -> Vec<u8> {
    let start = bytes.iter().position(|b| *b != 0).unwrap_or(bytes.len());
    let mut value = bytes[start..].to_vec();
    if value.first().is_none_or(|b| b & 0x80 != 0) {
        value.insert(0, 0);
    }
    der(0x02, &value)
}

fn der(tag: u8, content: &[u8]) -> Vec<u8> {
    let len = content.len();
    let mut out = vec![tag];
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes: Vec<u8> = len
            .to_be_bytes()
            .into_iter()
            .skip_while(|b| *b == 0)
            .collect();
        out.push(0x80 | bytes.len() as u8);
        out.extend(bytes);
    }
    out.extend_from_slice(content);
    out
}
