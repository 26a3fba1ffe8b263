//! Protected PIN transport: ISO 9564-1:2017 format 4 PIN blocks (AES)
//! enciphered under a per-session key agreed by ECDH P-256 with the TA.
//!
//! Both worlds use this module: the client to build blocks, the TA to open
//! them. The clear PIN never crosses the GP interface.
//!
//! # Format 4 (ISO 9564-1:2017, 9.4.2)
//!
//! Plain-text PIN field, 16 bytes = 32 nibbles:
//!
//! | nibbles | content |
//! |---|---|
//! | 0 | control field `C` = 4 |
//! | 1 | PIN length `N`, 4..=12 |
//! | 2 .. 2+N | PIN digits 0–9 |
//! | 2+N .. 16 | fill `0xA` |
//! | 16 .. 32 | random fill (8 random bytes, fresh per block) |
//!
//! PAN field, 16 bytes: nibble 0 `M` = PAN length − 12 (0..=7), then the
//! PAN digits (a PAN shorter than 12 digits is left-padded with zeros to 12
//! and `M` = 0), then zero nibbles. Without a PAN this crate uses the
//! documented fixed PAN `000000000000`, i.e. an all-zero PAN field.
//!
//! Encipherment with AES key `K`: `A = AES_K(PIN field)`,
//! `B = A XOR PAN field`, block = `AES_K(B)`. Decipherment reverses it and
//! then checks every structural rule above.
//!
//! # Transport key
//!
//! `K = HKDF-SHA-256(salt = "mfs-ta/pin-transport/v1", IKM = ECDH shared
//! x-coordinate, info = TA public key ‖ client public key)`, 16 bytes
//! (AES-128), both keys SEC1 uncompressed (65 bytes). The TA's key pair is
//! ephemeral and single-use: one PIN operation consumes it.

use aes::Aes128;
use aes::cipher::{Array, BlockCipherDecrypt, BlockCipherEncrypt, KeyInit};
use core::fmt;
use hkdf::Hkdf;
use sha2::Sha256;
use zeroize::{Zeroize, ZeroizeOnDrop};

/// Fewest PIN digits.
pub const PIN_MIN_DIGITS: usize = 4;
/// Most PIN digits.
pub const PIN_MAX_DIGITS: usize = 12;
/// A SEC1 uncompressed P-256 public key.
pub const EC_POINT_LEN: usize = 65;
/// A format 4 PIN block.
pub const PIN_BLOCK_LEN: usize = 16;
/// Random nonce the TA issues with each PIN session (issuer unblock challenge).
pub const PIN_NONCE_LEN: usize = 16;
/// Longest PAN (ISO/IEC 7812).
pub const PAN_MAX_DIGITS: usize = 19;

const TRANSPORT_SALT: &[u8] = b"mfs-ta/pin-transport/v1";

/// Why a PIN, PAN or block was refused. Deliberately coarse.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PinError {
    /// Not 4–12 decimal digits.
    BadPin,
    /// Not a PAN of at most 19 decimal digits.
    BadPan,
    /// The block does not decipher to a well-formed format 4 PIN field
    /// (wrong key, wrong PAN, tampering or a malformed PIN).
    BadBlock,
}

/// A PIN: 4–12 decimal digits (one digit value per byte). Zeroized on
/// drop, never cloned, never printed.
#[derive(Zeroize, ZeroizeOnDrop)]
pub struct Pin {
    digits: [u8; PIN_MAX_DIGITS],
    len: u8,
}

impl Pin {
    /// Parses ASCII digits.
    pub fn new(text: &str) -> Result<Pin, PinError> {
        let b = text.as_bytes();
        if !(PIN_MIN_DIGITS..=PIN_MAX_DIGITS).contains(&b.len()) {
            return Err(PinError::BadPin);
        }
        let mut pin = Pin {
            digits: [0; PIN_MAX_DIGITS],
            len: 0,
        };
        for (slot, c) in pin.digits.iter_mut().zip(b) {
            if !c.is_ascii_digit() {
                return Err(PinError::BadPin);
            }
            *slot = c - b'0';
        }
        pin.len = u8::try_from(b.len()).map_err(|_| PinError::BadPin)?;
        Ok(pin)
    }

    /// The digit values (0–9), one per byte.
    pub fn digits(&self) -> &[u8] {
        self.digits.get(..usize::from(self.len)).unwrap_or_default()
    }
}

impl fmt::Debug for Pin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Pin(..)")
    }
}

/// The 16-byte PAN field of format 4.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PanField([u8; 16]);

impl PanField {
    /// The field for `pan` (decimal digits), or the fixed all-zero field
    /// when `None`.
    pub fn new(pan: Option<&str>) -> Result<PanField, PinError> {
        let Some(pan) = pan else {
            return Ok(PanField([0; 16]));
        };
        let b = pan.as_bytes();
        if b.is_empty() || b.len() > PAN_MAX_DIGITS || !b.iter().all(u8::is_ascii_digit) {
            return Err(PinError::BadPan);
        }
        let pad = 12usize.saturating_sub(b.len());
        let m = b.len().saturating_sub(12);
        let mut nibbles = [0u8; 32];
        nibbles[0] = u8::try_from(m).map_err(|_| PinError::BadPan)?;
        for (slot, c) in nibbles.iter_mut().skip(1 + pad).zip(b) {
            *slot = c - b'0';
        }
        Ok(PanField(pack(&nibbles)))
    }

    /// The field's bytes.
    pub fn as_bytes(&self) -> &[u8; 16] {
        &self.0
    }
}

fn pack(nibbles: &[u8; 32]) -> [u8; 16] {
    let mut out = [0u8; 16];
    for (byte, pair) in out.iter_mut().zip(nibbles.chunks_exact(2)) {
        if let [hi, lo] = pair {
            *byte = (hi << 4) | (lo & 0x0f);
        }
    }
    out
}

fn xor(a: &mut [u8; 16], b: &[u8; 16]) {
    for (x, y) in a.iter_mut().zip(b) {
        *x ^= y;
    }
}

/// An AES-128 PIN transport key. Zeroized on drop, never printed.
#[derive(Zeroize, ZeroizeOnDrop)]
pub struct TransportKey([u8; 16]);

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
        let mut nibbles = [0xAu8; 32];
        nibbles[0] = 4;
        nibbles[1] = pin.len;
        for (slot, d) in nibbles.iter_mut().skip(2).zip(pin.digits()) {
            *slot = *d;
        }
        let mut field = pack(&nibbles);
        nibbles.zeroize();
        if let Some(tail) = field.get_mut(8..) {
            tail.copy_from_slice(&random);
        }
        let aes = self.cipher();
        let mut block = Array::from(field);
        field.zeroize();
        aes.encrypt_block(&mut block);
        let mut b: [u8; 16] = block.into();
        xor(&mut b, &pan.0);
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
        xor(&mut a, &pan.0);
        let mut field = Array::from(a);
        aes.decrypt_block(&mut field);
        let mut plain: [u8; 16] = field.into();
        let result = parse_pin_field(&plain);
        plain.zeroize();
        a.zeroize();
        result
    }
}

fn parse_pin_field(field: &[u8; 16]) -> Result<Pin, PinError> {
    let nibble = |i: usize| -> u8 {
        let byte = field.get(i / 2).copied().unwrap_or(0);
        if i.is_multiple_of(2) {
            byte >> 4
        } else {
            byte & 0x0f
        }
    };
    let n = usize::from(nibble(1));
    if nibble(0) != 4 || !(PIN_MIN_DIGITS..=PIN_MAX_DIGITS).contains(&n) {
        return Err(PinError::BadBlock);
    }
    let mut pin = Pin {
        digits: [0; PIN_MAX_DIGITS],
        len: nibble(1),
    };
    for (i, slot) in pin.digits.iter_mut().enumerate().take(n) {
        let d = nibble(2 + i);
        if d > 9 {
            return Err(PinError::BadBlock);
        }
        *slot = d;
    }
    if (2 + n..16).any(|i| nibble(i) != 0xA) {
        return Err(PinError::BadBlock);
    }
    Ok(pin)
}

/// The bytes an issuer signs (ECDSA P-256 / SHA-256, DER) to authorise a
/// PIN unblock: a domain tag, the TA's session nonce, the client's session
/// public key, the new PIN's block and the PAN field it is bound to.
pub fn unblock_message(
    nonce: &[u8; PIN_NONCE_LEN],
    client_key: &[u8; EC_POINT_LEN],
    block: &[u8; PIN_BLOCK_LEN],
    pan: &PanField,
) -> [u8; UNBLOCK_MESSAGE_LEN] {
    let mut m = [0u8; UNBLOCK_MESSAGE_LEN];
    let parts: [&[u8]; 5] = [UNBLOCK_TAG, nonce, client_key, block, &pan.0];
    let mut at = 0;
    for p in parts {
        if let Some(dst) = m.get_mut(at..at + p.len()) {
            dst.copy_from_slice(p);
        }
        at += p.len();
    }
    m
}

const UNBLOCK_TAG: &[u8] = b"mfs-ta/pin-unblock/v1\0";
/// Length of [`unblock_message`].
pub const UNBLOCK_MESSAGE_LEN: usize =
    UNBLOCK_TAG.len() + PIN_NONCE_LEN + EC_POINT_LEN + PIN_BLOCK_LEN + 16;

#[cfg(test)]
mod test {
    use super::*;
    use std::{format, vec::Vec};

    fn h16(s: &str) -> [u8; 16] {
        let mut out = [0u8; 16];
        for (i, b) in out.iter_mut().enumerate() {
            *b = u8::from_str_radix(&s[2 * i..2 * i + 2], 16).unwrap();
        }
        out
    }

    /// AES-128 itself: FIPS-197 Appendix C.1.
    #[test]
    fn aes128_fips197_c1() {
        let aes = Aes128::new(&Array::from(h16("000102030405060708090a0b0c0d0e0f")));
        let mut b = Array::from(h16("00112233445566778899aabbccddeeff"));
        aes.encrypt_block(&mut b);
        let out: [u8; 16] = b.into();
        assert_eq!(out, h16("69c4e0d86a7b0430d8cdb78070b4c55a"));
    }

    /// Format 4 known-answer vectors. Built from the published algorithm
    /// (ISO 9564-1:2017 9.4.2, summarised in the module docs) with an
    /// independent implementation on pyca/cryptography's AES:
    /// `scripts/kat/pinblock4.py` regenerates them.
    /// Columns: key, PIN, PAN (None = fixed zero PAN), random fill, block.
    const VECTORS: [(&str, &str, Option<&str>, &str, &str); 4] = [
        (
            "00112233445566778899aabbccddeeff",
            "1234",
            Some("1234567890123456789"),
            "0123456789abcdef",
            KAT_BLOCK_0,
        ),
        (
            "000102030405060708090a0b0c0d0e0f",
            "739146285037",
            Some("4111111111111111"),
            "fedcba9876543210",
            KAT_BLOCK_1,
        ),
        (
            "2b7e151628aed2a6abf7158809cf4f3c",
            "0000",
            None,
            "0000000000000000",
            KAT_BLOCK_2,
        ),
        (
            "2b7e151628aed2a6abf7158809cf4f3c",
            "98765",
            Some("12345"),
            "a5a5a5a5a5a5a5a5",
            KAT_BLOCK_3,
        ),
    ];
    const KAT_BLOCK_0: &str = "d7701da6e63afb5dd0bb62aa66b71eeb";
    const KAT_BLOCK_1: &str = "af50057703b4fcee69eb072ca0f3a8c1";
    const KAT_BLOCK_2: &str = "d5247b0020bc8e844b44c921dea01082";
    const KAT_BLOCK_3: &str = "fd1314bc59dba0d9abfc5683fb10abbf";

    #[test]
    fn format4_known_answers_both_directions() {
        for (key, pin, pan, random, block) in VECTORS {
            let k = TransportKey::from_bytes(h16(key));
            let pan = PanField::new(pan).unwrap();
            let mut r = [0u8; 8];
            r.copy_from_slice(&h16(&format!("{random}{random}"))[..8]);
            let got = k.encipher(&Pin::new(pin).unwrap(), &pan, r);
            assert_eq!(got, h16(block), "encipher {pin}");
            let back = k.decipher(&h16(block), &pan).unwrap();
            let digits: Vec<u8> = pin.bytes().map(|c| c - b'0').collect();
            assert_eq!(back.digits(), &digits[..]);
        }
    }

    #[test]
    fn pan_field_layout() {
        // 19 digits: M = 7
        assert_eq!(
            PanField::new(Some("1234567890123456789")).unwrap().0,
            h16("71234567890123456789000000000000")
        );
        // 12 digits: M = 0
        assert_eq!(
            PanField::new(Some("123456789012")).unwrap().0,
            h16("01234567890120000000000000000000")
        );
        // short PAN left-padded to 12 digits
        assert_eq!(
            PanField::new(Some("12345")).unwrap().0,
            h16("00000000123450000000000000000000")
        );
        assert_eq!(PanField::new(None).unwrap().0, [0; 16]);
        for bad in ["", "12a4", "12345678901234567890"] {
            assert_eq!(PanField::new(Some(bad)), Err(PinError::BadPan));
        }
    }

    #[test]
    fn pin_rules() {
        for bad in ["", "123", "1234567890123", "12a4", "１２３４", " 1234"] {
            assert!(Pin::new(bad).is_err(), "{bad}");
        }
        assert_eq!(Pin::new("0000").unwrap().digits(), &[0, 0, 0, 0]);
        assert_eq!(format!("{:?}", Pin::new("1234").unwrap()), "Pin(..)");
    }

    #[test]
    fn tampered_or_misbound_blocks_are_rejected() {
        let k = TransportKey::from_bytes([7; 16]);
        let pan = PanField::new(Some("4111111111111111")).unwrap();
        let block = k.encipher(&Pin::new("4739").unwrap(), &pan, [1; 8]);
        for bit in 0..128 {
            let mut t = block;
            t[bit / 8] ^= 1 << (bit % 8);
            // a flipped bit scrambles the whole PIN field: the structure
            // check fails (the chance of a valid-looking field is < 2^-40)
            assert_eq!(
                k.decipher(&t, &pan).err(),
                Some(PinError::BadBlock),
                "bit {bit}"
            );
        }
        assert!(
            k.decipher(&block, &PanField::new(Some("4111111111111112")).unwrap())
                .is_err()
        );
        assert!(
            TransportKey::from_bytes([8; 16])
                .decipher(&block, &pan)
                .is_err()
        );
        assert!(k.decipher(&block, &pan).is_ok());
    }

    #[test]
    fn random_fill_changes_the_block() {
        let k = TransportKey::from_bytes([7; 16]);
        let pan = PanField::new(None).unwrap();
        let pin = Pin::new("1234").unwrap();
        assert_ne!(
            k.encipher(&pin, &pan, [0; 8]),
            k.encipher(&pin, &pan, [1; 8])
        );
    }

    /// HKDF-SHA-256 transport key derivation, cross-checked with
    /// pyca/cryptography's HKDF (`scripts/kat/pinblock4.py`).
    #[test]
    fn transport_key_known_answer() {
        let ta = [0x04u8; EC_POINT_LEN];
        let client = [0x05u8; EC_POINT_LEN];
        let k = TransportKey::derive(&[0x11; 32], &ta, &client);
        assert_eq!(k.0, h16(KAT_TRANSPORT_KEY));
        // both keys are bound: swapping them changes the key
        assert_ne!(TransportKey::derive(&[0x11; 32], &client, &ta).0, k.0);
    }
    const KAT_TRANSPORT_KEY: &str = "1b01c4ec3589dbe54dd0965538caad6f";

    #[test]
    fn unblock_message_layout() {
        let pan = PanField::new(None).unwrap();
        let m = unblock_message(&[1; 16], &[2; 65], &[3; 16], &pan);
        assert!(m.starts_with(UNBLOCK_TAG));
        assert_eq!(m.len(), UNBLOCK_TAG.len() + 16 + 65 + 16 + 16);
        assert_eq!(m[UNBLOCK_TAG.len()], 1);
        assert_eq!(m[m.len() - 17], 3);
    }
}
