//! Content encryption (RFC 7518 §5): the authenticated cipher that seals the payload with the
//! content key.

use super::{ContentEncryption, JweError, random_bytes};
use aws_lc_rs::aead::{AES_128_GCM, AES_256_GCM, Aad, LessSafeKey, Nonce, UnboundKey};
use aws_lc_rs::cipher::{AES_128, PaddedBlockEncryptingKey, UnboundCipherKey};
use aws_lc_rs::hmac;

/// The initialisation vector, ciphertext and authentication tag of a JWE.
pub struct Sealed {
    pub iv: Vec<u8>,
    pub ciphertext: Vec<u8>,
    pub tag: Vec<u8>,
}

fn failed() -> JweError {
    JweError("content encryption failed".into())
}

pub fn seal(
    enc: ContentEncryption,
    key: &[u8],
    plaintext: &[u8],
    aad: &[u8],
) -> Result<Sealed, JweError> {
    if key.len() != enc.key_len() {
        return Err(JweError(format!(
            "{enc} needs a {}-byte key",
            enc.key_len()
        )));
    }
    match enc {
        ContentEncryption::A128Gcm => gcm(&AES_128_GCM, key, plaintext, aad),
        ContentEncryption::A256Gcm => gcm(&AES_256_GCM, key, plaintext, aad),
        ContentEncryption::A128CbcHs256 => cbc_hmac(key, plaintext, aad),
    }
}

/// RFC 7518 §5.3: a 96-bit random IV, the 128-bit GCM tag.
fn gcm(
    alg: &'static aws_lc_rs::aead::Algorithm,
    key: &[u8],
    plaintext: &[u8],
    aad: &[u8],
) -> Result<Sealed, JweError> {
    let key = LessSafeKey::new(UnboundKey::new(alg, key).map_err(|_| failed())?);
    let iv = random_bytes(12)?;
    let nonce = Nonce::try_assume_unique_for_key(&iv).map_err(|_| failed())?;
    let mut ciphertext = plaintext.to_vec();
    let tag = key
        .seal_in_place_separate_tag(nonce, Aad::from(aad), &mut ciphertext)
        .map_err(|_| failed())?;
    Ok(Sealed {
        iv,
        ciphertext,
        tag: tag.as_ref().to_vec(),
    })
}

/// RFC 7518 §5.2.2.1 with §5.2.3's parameters: the first half of the key authenticates, the
/// second encrypts with AES-128-CBC (PKCS#7 padding); the tag is the first 16 bytes of
/// HMAC-SHA-256 over AAD ‖ IV ‖ ciphertext ‖ the AAD's length in bits as 64 bits big-endian.
fn cbc_hmac(key: &[u8], plaintext: &[u8], aad: &[u8]) -> Result<Sealed, JweError> {
    let (mac_key, enc_key) = key.split_at(16);
    let cipher = UnboundCipherKey::new(&AES_128, enc_key).map_err(|_| failed())?;
    let cipher = PaddedBlockEncryptingKey::cbc_pkcs7(cipher).map_err(|_| failed())?;
    let mut ciphertext = plaintext.to_vec();
    // `encrypt` draws a fresh random IV and hands it back as the decryption context.
    let context = cipher.encrypt(&mut ciphertext).map_err(|_| failed())?;
    let iv: &[u8] = (&context).try_into().map_err(|_| failed())?;
    let aad_bits = (aad.len() as u64 * 8).to_be_bytes();
    let mac = hmac::Key::new(hmac::HMAC_SHA256, mac_key);
    let mut ctx = hmac::Context::with_key(&mac);
    for part in [aad, iv, &ciphertext, &aad_bits] {
        ctx.update(part);
    }
    let tag = ctx.sign();
    Ok(Sealed {
        iv: iv.to_vec(),
        ciphertext,
        tag: tag.as_ref()[..16].to_vec(),
    })
}
