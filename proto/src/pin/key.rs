//! The AES-128 PIN transport key: its HKDF-SHA-256 derivation from the
//! ECDH shared secret and both public keys, and the format 4
//! encipherment / decipherment of a PIN block under it (see
//! [`crate::pin`] for both definitions).
//!
//! Depends on [`crate::pin::block`] (the plain-text fields) and
//! [`crate::types`].

use aes::Aes128;
use aes::cipher::{BlockCipherDecrypt, BlockCipherEncrypt, KeyInit};
use core::fmt;
use hkdf::hmac::digest::FixedOutput;
use hkdf::hmac::{Hmac, Mac};
use sha2::Sha256;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use super::block::{PIN_BLOCK_LEN, PanField, Pin, PinError, parse_pin_field, pin_field};
use crate::types::EC_POINT_LEN;

/// HKDF salt of the transport key.
pub(super) const TRANSPORT_SALT: &[u8] = b"mfs-ta/pin-transport/v1";

fn xor(a: &mut [u8; 16], b: &[u8; 16]) {
    for (x, y) in a.iter_mut().zip(b) {
        *x ^= y;
    }
}

/// HMAC-SHA-256 of the concatenation of `parts` under `key`, written
/// straight into `out` (the HMAC state is wiped when dropped). Shared with
/// the TA's key derivations, so that no copy of a derived key is made.
pub fn hmac_sha256_into(key: &[u8], parts: &[&[u8]], out: &mut [u8; 32]) {
    // HMAC accepts keys of any length: new_from_slice cannot fail.
    let Ok(mut mac) = <Hmac<Sha256> as KeyInit>::new_from_slice(key) else {
        out.zeroize();
        return;
    };
    for p in parts {
        mac.update(p);
    }
    mac.finalize_into(out.into());
}

/// An AES-128 PIN transport key. Zeroized on drop, never printed.
#[derive(Zeroize, ZeroizeOnDrop)]
pub struct TransportKey(pub(super) [u8; 16]);

impl fmt::Debug for TransportKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TransportKey(..)")
    }
}

impl TransportKey {
    /// Derives the key from the ECDH shared x-coordinate and both public
    /// keys (see the module docs).
    pub fn derive(
        shared_x: &[u8],
        ta_key: &[u8; EC_POINT_LEN],
        client_key: &[u8; EC_POINT_LEN],
    ) -> TransportKey {
        // HKDF-SHA-256 (RFC 5869) with HMAC directly, so that the
        // pseudorandom key and the first output block, which hold the key,
        // are wiped: PRK = HMAC(salt, IKM); OKM = first 16 bytes of
        // T(1) = HMAC(PRK, info ‖ 0x01).
        let mut prk = Zeroizing::new([0u8; 32]);
        hmac_sha256_into(TRANSPORT_SALT, &[shared_x], &mut prk);
        let mut t1 = Zeroizing::new([0u8; 32]);
        hmac_sha256_into(prk.as_slice(), &[ta_key, client_key, &[1]], &mut t1);
        let mut key = TransportKey([0; 16]);
        for (k, t) in key.0.iter_mut().zip(t1.iter()) {
            *k = *t;
        }
        key
    }

    /// A key from raw bytes (tests and known-answer vectors).
    pub fn from_bytes(key: [u8; 16]) -> TransportKey {
        TransportKey(key)
    }

    fn cipher(&self) -> Aes128 {
        // by reference: no copy of the key outside this struct; the key
        // schedule is wiped when the cipher is dropped (aes "zeroize")
        Aes128::new((&self.0).into())
    }

    /// Enciphers `pin` as a format 4 block; `random` is the 8-byte random
    /// fill (fresh per block from a CSPRNG).
    pub fn encipher(&self, pin: &Pin, pan: &PanField, random: [u8; 8]) -> [u8; PIN_BLOCK_LEN] {
        let aes = self.cipher();
        // one buffer, enciphered in place: the plain PIN field is
        // overwritten by the first encipherment
        let mut b = Zeroizing::new(pin_field(pin, random));
        aes.encrypt_block((&mut *b).into());
        xor(&mut b, pan.as_bytes());
        aes.encrypt_block((&mut *b).into());
        *b
    }

    /// Deciphers a format 4 block and checks its structure. The
    /// intermediate and the plain PIN field live in one buffer, deciphered
    /// in place and wiped before returning.
    pub fn decipher(&self, block: &[u8; PIN_BLOCK_LEN], pan: &PanField) -> Result<Pin, PinError> {
        let aes = self.cipher();
        let mut b = Zeroizing::new(*block);
        aes.decrypt_block((&mut *b).into());
        xor(&mut b, pan.as_bytes());
        aes.decrypt_block((&mut *b).into());
        parse_pin_field(&b)
    }
}
