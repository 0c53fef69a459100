//! OAuth 1.0a signatures (RFC 5849 §3.4): the signature base string built exactly as §3.4.1
//! says, and the HMAC-SHA1, HMAC-SHA256 (a widely used extension), RSA-SHA1 and PLAINTEXT
//! methods. Everything here is pure: the request comes in as already parsed parts.

use aws_lc_rs::{hmac, signature};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use subtle::ConstantTimeEq;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    HmacSha1,
    HmacSha256,
    RsaSha1,
    Plaintext,
}

impl Method {
    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "HMAC-SHA1" => Some(Self::HmacSha1),
            "HMAC-SHA256" => Some(Self::HmacSha256),
            "RSA-SHA1" => Some(Self::RsaSha1),
            "PLAINTEXT" => Some(Self::Plaintext),
            _ => None,
        }
    }
}

/// §3.6: every byte except the unreserved characters as `%XX` with upper-case hex.
pub fn encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len() * 3);
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// §3.4.1.3.2: encode names and values, sort by name then value, join `name=value` with `&`.
/// `params` holds every parameter of the request except `oauth_signature` and `realm`.
pub fn normalize(params: &[(String, String)]) -> String {
    let mut encoded: Vec<(String, String)> =
        params.iter().map(|(k, v)| (encode(k), encode(v))).collect();
    encoded.sort();
    encoded
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&")
}

/// §3.4.1: `METHOD&encoded base URI&encoded normalized parameters`. `base_uri` is already in
/// §3.4.1.2 form (lower-case scheme and host, default port left out, no query).
pub fn base_string(method: &str, base_uri: &str, params: &[(String, String)]) -> String {
    format!(
        "{}&{}&{}",
        method.to_ascii_uppercase(),
        encode(base_uri),
        encode(&normalize(params))
    )
}

/// §3.4.2: the HMAC key, and the PLAINTEXT signature (§3.4.4).
pub fn key(client_secret: &str, token_secret: &str) -> String {
    format!("{}&{}", encode(client_secret), encode(token_secret))
}

/// The signature an HMAC or PLAINTEXT signer makes (base64 for HMAC, §3.4.2).
pub fn sign(method: Method, base: &str, client_secret: &str, token_secret: &str) -> Option<String> {
    let key = key(client_secret, token_secret);
    let alg = match method {
        Method::HmacSha1 => hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY,
        Method::HmacSha256 => hmac::HMAC_SHA256,
        Method::Plaintext => return Some(key),
        Method::RsaSha1 => return None,
    };
    let tag = hmac::sign(&hmac::Key::new(alg, key.as_bytes()), base.as_bytes());
    Some(STANDARD.encode(tag.as_ref()))
}

/// Checks a presented signature. `rsa_public_key` is the client's registered key (modulus,
/// exponent; big-endian) for RSA-SHA1.
pub fn verify(
    method: Method,
    base: &str,
    presented: &str,
    client_secret: &str,
    token_secret: &str,
    rsa_public_key: Option<(&[u8], &[u8])>,
) -> bool {
    if method == Method::RsaSha1 {
        let (Some((n, e)), Ok(sig)) = (rsa_public_key, STANDARD.decode(presented)) else {
            return false;
        };
        // §3.4.3: RSASSA-PKCS1-v1_5 with SHA-1.
        return signature::RsaPublicKeyComponents { n, e }
            .verify(
                &signature::RSA_PKCS1_2048_8192_SHA1_FOR_LEGACY_USE_ONLY,
                base.as_bytes(),
                &sig,
            )
            .is_ok();
    }
    sign(method, base, client_secret, token_secret)
        .is_some_and(|expected| expected.as_bytes().ct_eq(presented.as_bytes()).into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    /// RFC 5849 §3.4.1.1 and §3.4.1.3.2: the worked example, to the byte.
    #[test]
    fn rfc5849_signature_base_string_example() {
        let params = pairs(&[
            ("b5", "=%3D"),
            ("a3", "a"),
            ("c@", ""),
            ("a2", "r b"),
            ("oauth_consumer_key", "9djdj82h48djs9d2"),
            ("oauth_token", "kkk9d7dh3k39sjv7"),
            ("oauth_signature_method", "HMAC-SHA1"),
            ("oauth_timestamp", "137131201"),
            ("oauth_nonce", "7d8f3e4a"),
            ("c2", ""),
            ("a3", "2 q"),
        ]);
        assert_eq!(
            normalize(&params),
            "a2=r%20b&a3=2%20q&a3=a&b5=%3D%253D&c%40=&c2=&oauth_consumer_key=9djdj82h48djs9d2\
             &oauth_nonce=7d8f3e4a&oauth_signature_method=HMAC-SHA1&oauth_timestamp=137131201\
             &oauth_token=kkk9d7dh3k39sjv7"
        );
        assert_eq!(
            base_string("post", "http://example.com/request", &params),
            "POST&http%3A%2F%2Fexample.com%2Frequest&a2%3Dr%2520b%26a3%3D2%2520q\
             %26a3%3Da%26b5%3D%253D%25253D%26c%2540%3D%26c2%3D%26oauth_consumer_key%3D9dj\
             dj82h48djs9d2%26oauth_nonce%3D7d8f3e4a%26oauth_signature_method%3DHMAC-SHA1\
             %26oauth_timestamp%3D137131201%26oauth_token%3Dkkk9d7dh3k39sjv7"
        );
    }

    /// The OAuth Core 1.0 appendix A.5 example (photos.example.net), the published test vector
    /// most libraries check against: base string and HMAC-SHA1 signature.
    #[test]
    fn oauth_core_photos_example_hmac_sha1() {
        let params = pairs(&[
            ("file", "vacation.jpg"),
            ("size", "original"),
            ("oauth_consumer_key", "dpf43f3p2l4k3l03"),
            ("oauth_token", "nnch734d00sl2jdk"),
            ("oauth_signature_method", "HMAC-SHA1"),
            ("oauth_timestamp", "1191242096"),
            ("oauth_nonce", "kllo9940pd9333jh"),
            ("oauth_version", "1.0"),
        ]);
        let base = base_string("GET", "http://photos.example.net/photos", &params);
        assert_eq!(
            base,
            "GET&http%3A%2F%2Fphotos.example.net%2Fphotos&file%3Dvacation.jpg\
             %26oauth_consumer_key%3Ddpf43f3p2l4k3l03%26oauth_nonce%3Dkllo9940pd9333jh\
             %26oauth_signature_method%3DHMAC-SHA1%26oauth_timestamp%3D1191242096\
             %26oauth_token%3Dnnch734d00sl2jdk%26oauth_version%3D1.0%26size%3Doriginal"
        );
        let sig = sign(
            Method::HmacSha1,
            &base,
            "kd94hf93k423kf44",
            "pfkkdhi9sl3r4s00",
        )
        .unwrap();
        assert_eq!(sig, "tR3+Ty81lMeYAr/Fid0kMTYa/WM=");
        assert!(verify(
            Method::HmacSha1,
            &base,
            &sig,
            "kd94hf93k423kf44",
            "pfkkdhi9sl3r4s00",
            None
        ));
        assert!(!verify(
            Method::HmacSha1,
            &base,
            &sig,
            "kd94hf93k423kf45",
            "pfkkdhi9sl3r4s00",
            None
        ));
    }

    /// RSA-SHA1 against a signature made by oauthlib is in tests/e2e/oauth1.rs (aws-lc-rs
    /// will not sign with SHA-1); here, what must never verify.
    #[test]
    fn rsa_sha1_refuses_without_a_key_or_with_garbage() {
        assert!(!verify(Method::RsaSha1, "base", "c2ln", "", "", None));
        assert!(!verify(
            Method::RsaSha1,
            "base",
            "not base64!",
            "",
            "",
            Some((&[1, 2], &[3]))
        ));
        assert!(!verify(
            Method::RsaSha1,
            "base",
            "c2ln",
            "",
            "",
            Some((&[1, 2], &[3]))
        ));
        assert_eq!(sign(Method::RsaSha1, "base", "", ""), None);
    }

    #[test]
    fn plaintext_and_encoding_rules() {
        assert_eq!(
            sign(Method::Plaintext, "", "djr9rjt0jd78jf88", "").unwrap(),
            "djr9rjt0jd78jf88&"
        );
        assert_eq!(encode("a b+c/é~"), "a%20b%2Bc%2F%C3%A9~");
    }
}
