//! The two plain-text fields of an ISO 9564-1 format 4 PIN block (see
//! [`crate::pin`] for the layout): the PIN field built from a [`Pin`] and
//! checked on the way back, and the [`PanField`].
//!
//! Depends on nothing else in the crate; [`crate::pin::key`] enciphers
//! these fields.

use core::fmt;
use zeroize::{Zeroize, ZeroizeOnDrop};

/// Fewest PIN digits.
pub const PIN_MIN_DIGITS: usize = 4;
/// Most PIN digits.
pub const PIN_MAX_DIGITS: usize = 12;
/// A format 4 PIN block.
pub const PIN_BLOCK_LEN: usize = 16;
/// Longest PAN (ISO/IEC 7812).
pub const PAN_MAX_DIGITS: usize = 19;

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
pub struct PanField(pub(super) [u8; 16]);

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

/// The plain-text PIN field of `pin` with `random` as its random fill.
/// The caller zeroizes the result after use.
pub(super) fn pin_field(pin: &Pin, random: [u8; 8]) -> [u8; 16] {
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
    field
}

/// Checks a deciphered PIN field's structure and extracts the PIN.
pub(super) fn parse_pin_field(field: &[u8; 16]) -> Result<Pin, PinError> {
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
