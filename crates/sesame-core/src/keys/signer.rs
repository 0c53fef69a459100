//! One private key, parsed once, that signs JWS compact serialisations and publishes its JWK.
//!
//! Signing goes straight to aws-lc-rs with the parsed key kept: re-parsing per token is what makes
//! generic JWT libraries slow. Resource servers verify with any JOSE library from the JWKS.

use super::Algorithm;
use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::KeySize;
use aws_lc_rs::signature::{self, EcdsaKeyPair, Ed25519KeyPair, KeyPair, RsaKeyPair};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::json;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct KeyError(pub String);

enum Private {
    Rsa(RsaKeyPair),
    Ec(EcdsaKeyPair),
    Ed(Ed25519KeyPair),
}

/// A parsed signing key with its public half in the forms the ring needs.
pub struct Signer {
    kid: String,
    alg: Algorithm,
    private: Private,
    /// The public key as aws-lc-rs verifies it (PKCS#1 for RSA, the point for EC, raw for Ed25519).
    public_bytes: Vec<u8>,
    jwk: serde_json::Value,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Signer")
            .field("kid", &self.kid)
            .field("alg", &self.alg)
            .finish_non_exhaustive()
    }
}

/// A new PKCS#8 private key for `alg` (RSA 2048, P-256, Ed25519).
pub(super) fn generate_pkcs8(alg: Algorithm) -> Result<Vec<u8>, KeyError> {
    let fail = |e: aws_lc_rs::error::Unspecified| KeyError(format!("key generation failed: {e}"));
    Ok(match alg {
        Algorithm::RS256 | Algorithm::PS256 => RsaKeyPair::generate(KeySize::Rsa2048)
            .and_then(|k| k.as_der())
            .map_err(fail)?
            .as_ref()
            .to_vec(),
        Algorithm::ES256 => EcdsaKeyPair::generate_pkcs8(
            &signature::ECDSA_P256_SHA256_FIXED_SIGNING,
            &SystemRandom::new(),
        )
        .map_err(fail)?
        .as_ref()
        .to_vec(),
        // PKCS#8 v1: the form every JOSE library reads back.
        Algorithm::EdDSA => Ed25519KeyPair::generate_pkcs8v1(&SystemRandom::new())
            .map_err(fail)?
            .as_ref()
            .to_vec(),
    })
}

fn b64(bytes: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

impl Signer {
    pub fn from_pkcs8(kid: &str, alg: Algorithm, der: &[u8]) -> Result<Self, KeyError> {
        let rejected = |e: aws_lc_rs::error::KeyRejected| {
            KeyError(format!("signing key {kid} is not a valid {alg} key: {e}"))
        };
        let (private, public_bytes, jwk) = match alg {
            Algorithm::RS256 | Algorithm::PS256 => {
                let key = RsaKeyPair::from_pkcs8(der).map_err(rejected)?;
                let public = key.public_key();
                let jwk = json!({
                    "kty": "RSA",
                    "n": b64(public.modulus().big_endian_without_leading_zero()),
                    "e": b64(public.exponent().big_endian_without_leading_zero()),
                });
                let bytes = public.as_ref().to_vec();
                (Private::Rsa(key), bytes, jwk)
            }
            Algorithm::ES256 => {
                let key =
                    EcdsaKeyPair::from_pkcs8(&signature::ECDSA_P256_SHA256_FIXED_SIGNING, der)
                        .map_err(rejected)?;
                // Uncompressed point: 0x04 || X (32 bytes) || Y (32 bytes).
                let point = key.public_key().as_ref().to_vec();
                if point.len() != 65 {
                    return Err(KeyError(format!(
                        "signing key {kid}: unexpected P-256 point"
                    )));
                }
                let jwk = json!({
                    "kty": "EC",
                    "crv": "P-256",
                    "x": b64(&point[1..33]),
                    "y": b64(&point[33..65]),
                });
                (Private::Ec(key), point, jwk)
            }
            Algorithm::EdDSA => {
                let key = Ed25519KeyPair::from_pkcs8_maybe_unchecked(der).map_err(rejected)?;
                let public = key.public_key().as_ref().to_vec();
                let jwk = json!({ "kty": "OKP", "crv": "Ed25519", "x": b64(&public) });
                (Private::Ed(key), public, jwk)
            }
        };
        let mut jwk = jwk;
        jwk["kid"] = json!(kid);
        jwk["use"] = json!("sig");
        jwk["alg"] = json!(alg.as_str());
        Ok(Self {
            kid: kid.to_owned(),
            alg,
            private,
            public_bytes,
            jwk,
        })
    }

    pub fn kid(&self) -> &str {
        &self.kid
    }

    pub fn alg(&self) -> Algorithm {
        self.alg
    }

    /// The public JWK with `kid`, `alg` and `use`; never any private part.
    pub fn public_jwk(&self) -> &serde_json::Value {
        &self.jwk
    }

    /// Signs `message` (the JWS signing input) and returns the raw signature.
    pub fn sign(&self, message: &[u8]) -> Result<Vec<u8>, KeyError> {
        let rng = SystemRandom::new();
        let fail = |_| KeyError(format!("signing with key {} failed", self.kid));
        match &self.private {
            Private::Rsa(key) => {
                let padding: &'static dyn signature::RsaEncoding = match self.alg {
                    Algorithm::PS256 => &signature::RSA_PSS_SHA256,
                    _ => &signature::RSA_PKCS1_SHA256,
                };
                let mut sig = vec![0u8; key.public_modulus_len()];
                key.sign(padding, &rng, message, &mut sig).map_err(fail)?;
                Ok(sig)
            }
            Private::Ec(key) => Ok(key.sign(&rng, message).map_err(fail)?.as_ref().to_vec()),
            Private::Ed(key) => Ok(key.sign(message).as_ref().to_vec()),
        }
    }

    /// Verifies a signature made by this key over `message`.
    pub fn verify(&self, message: &[u8], sig: &[u8]) -> bool {
        let alg: &'static dyn signature::VerificationAlgorithm = match self.alg {
            Algorithm::RS256 => &signature::RSA_PKCS1_2048_8192_SHA256,
            Algorithm::PS256 => &signature::RSA_PSS_2048_8192_SHA256,
            Algorithm::ES256 => &signature::ECDSA_P256_SHA256_FIXED,
            Algorithm::EdDSA => &signature::ED25519,
        };
        signature::UnparsedPublicKey::new(alg, &self.public_bytes)
            .verify(message, sig)
            .is_ok()
    }

    /// A JWS compact serialisation of `claims` with header `{"alg","typ","kid"}` in that order.
    pub fn sign_jwt(&self, typ: &str, claims: &impl serde::Serialize) -> Result<String, KeyError> {
        #[derive(serde::Serialize)]
        struct Header<'a> {
            alg: &'a str,
            typ: &'a str,
            kid: &'a str,
        }
        let header = serde_json::to_vec(&Header {
            alg: self.alg.as_str(),
            typ,
            kid: &self.kid,
        })
        .map_err(|e| KeyError(e.to_string()))?;
        let payload = serde_json::to_vec(claims).map_err(|e| KeyError(e.to_string()))?;
        let mut jws = String::with_capacity(header.len() * 2 + payload.len() * 2 + 360);
        URL_SAFE_NO_PAD.encode_string(header, &mut jws);
        jws.push('.');
        URL_SAFE_NO_PAD.encode_string(payload, &mut jws);
        let sig = self.sign(jws.as_bytes())?;
        jws.push('.');
        URL_SAFE_NO_PAD.encode_string(sig, &mut jws);
        Ok(jws)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_algorithm_signs_and_verifies_its_own_jwt() {
        for alg in Algorithm::ALL {
            let der = generate_pkcs8(alg).unwrap();
            let s = Signer::from_pkcs8("k1", alg, &der).unwrap();
            let jwt = s.sign_jwt("JWT", &json!({"sub": "x"})).unwrap();
            let (input, sig) = jwt.rsplit_once('.').unwrap();
            let sig = URL_SAFE_NO_PAD.decode(sig).unwrap();
            assert!(s.verify(input.as_bytes(), &sig), "{alg}");
            assert!(!s.verify(b"other input", &sig), "{alg}");
            assert_eq!(s.public_jwk()["alg"], alg.as_str());
            assert!(s.public_jwk().get("d").is_none());
        }
    }

    #[test]
    fn header_starts_with_alg_then_typ() {
        let der = generate_pkcs8(Algorithm::ES256).unwrap();
        let s = Signer::from_pkcs8("k1", Algorithm::ES256, &der).unwrap();
        let jwt = s.sign_jwt("at+jwt", &json!({})).unwrap();
        let header = URL_SAFE_NO_PAD
            .decode(jwt.split('.').next().unwrap())
            .unwrap();
        assert_eq!(header, br#"{"alg":"ES256","typ":"at+jwt","kid":"k1"}"#);
    }
}
