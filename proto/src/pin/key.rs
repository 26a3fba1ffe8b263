//! The AES-128 PIN transport key: its HKDF-SHA-256 derivation from the
//! ECDH shared secret and both public keys, and the format 4
//! encipherment / decipherment of a PIN block under it (see
//! [`crate::pin`] for both definitions).
//!
//! Depends on [`crate::pin::block`] (the plain-text fields) and
//! [`crate::types`].

use aes::Aes128;
use aes::cipher::{Array, BlockCipherDecrypt, BlockCipherEncrypt, KeyInit};
use core::fmt;
use hkdf::Hkdf;
use sha2::Sha256;
use zeroize::{Zeroize, ZeroizeOnDrop};

use super::block::{PIN_BLOCK_LEN, PanField, Pin, PinError, parse_pin_field, pin_field};
use crate::types::EC_POINT_LEN;

/// HKDF salt of the transport key.
pub(super) const TRANSPORT_SALT: &[u8] = b"mfs-ta/pin-transport/v1";

fn xor(a: &mut [u8; 16], b: &[u8; 16]) {
    for (x, y) in a.iter_mut().zip(b) {
        *x ^= y;
    }
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
        let hk = Hkdf::<Sha256>::new(Some(TRANSPORT_SALT), shared_x);
        let mut okm = [0u8; 16];
        // 16 bytes is far below HKDF-SHA-256's 8160-byte limit: cannot fail.
        let _ = hk.expand_multi_info(&[ta_key, client_key], &mut okm);
        TransportKey(okm)
    }

    /// A key from raw bytes (tests and known-answer vectors).
    pub fn from_bytes(key: [u8; 16]) -> TransportKey {
        TransportKey(key)
    }

    fn cipher(&self) -> Aes128 {
        Aes128::new(&Array::from(self.0))
    }

    /// Enciphers `pin` as a format 4 block; `random` is the 8-byte random
    /// fill (fresh per block from a CSPRNG).
    pub fn encipher(&self, pin: &Pin, pan: &PanField, random: [u8; 8]) -> [u8; PIN_BLOCK_LEN] {
        let mut field = pin_field(pin, random);
        let aes = self.cipher();
        let mut block = Array::from(field);
        field.zeroize();
        aes.encrypt_block(&mut block);
        let mut b: [u8; 16] = block.into();
        xor(&mut b, pan.as_bytes());
        let mut block = Array::from(b);
        aes.encrypt_block(&mut block);
        block.into()
    }

    /// Deciphers a format 4 block and checks its structure.
    pub fn decipher(&self, block: &[u8; PIN_BLOCK_LEN], pan: &PanField) -> Result<Pin, PinError> {
        let aes = self.cipher();
        let mut b = Array::from(*block);
        aes.decrypt_block(&mut b);
        let mut a: [u8; 16] = b.into();
        xor(&mut a, pan.as_bytes());
        let mut field = Array::from(a);
        aes.decrypt_block(&mut field);
        let mut plain: [u8; 16] = field.into();
        let result = parse_pin_field(&plain);
        plain.zeroize();
        a.zeroize();
        result
    }
}
