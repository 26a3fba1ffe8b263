//! The one codec every other module uses: the bounded big-endian byte
//! [`Writer`] / [`Reader`] of the signed formats, lowercase hex ([`Hex`],
//! [`hex_string`], [`hex_bytes`], [`hex_into`], [`hex_prefix`]), canonical
//! UUID text ([`uuid_string`], [`parse_uuid`]) and the JSON message codec
//! ([`encode`], [`decode`]).
//!
//! Depends only on `json_shape` (the grammar and depth check run before
//! every decode) within this crate; outside it only on `heapless`, `serde`
//! and `serde-json-core`.

use heapless::{String, Vec};
use serde::{Deserialize, Serialize};

pub use crate::json_shape::MAX_JSON_DEPTH;
use crate::json_shape::well_formed;

/// Scratch space needed to unescape strings while parsing a message.
pub const UNESCAPE_BUF_LEN: usize = 256;

/// Why a message could not be decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DecodeError {
    /// Not valid JSON for the expected type (incl. trailing bytes, unknown
    /// fields, strings over their bound).
    Malformed,
}

/// Why a message could not be encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EncodeError {
    /// The output buffer is too small.
    BufferFull,
}

/// Decodes one JSON message that must fill `buf` entirely (trailing
/// whitespace allowed, anything else is an error).
///
/// The text must first be well-formed JSON nesting at most
/// [`MAX_JSON_DEPTH`] levels ([`well_formed`]), whatever the message type.
/// Whether unknown fields are an error is the message type's choice:
/// requests deny them, replies skip them (see `proto/README.md`).
pub fn decode<'a, T: Deserialize<'a>>(buf: &'a [u8]) -> Result<T, DecodeError> {
    // Grammar and depth first, iteratively: the parser below recurses per
    // nesting level (see `json_shape`).
    if !well_formed(buf) {
        return Err(DecodeError::Malformed);
    }
    let mut scratch = [0u8; UNESCAPE_BUF_LEN];
    match serde_json_core::from_slice_escaped::<T>(buf, &mut scratch) {
        Ok((value, used)) if used == buf.len() => Ok(value),
        _ => Err(DecodeError::Malformed),
    }
}

/// Encodes a message into `out`, returning the number of bytes written.
pub fn encode<T: Serialize>(value: &T, out: &mut [u8]) -> Result<usize, EncodeError> {
    serde_json_core::to_slice(value, out).map_err(|_| EncodeError::BufferFull)
}

/// Lowercase hex text of a byte string, for `Display` (`format!("{}",
/// Hex(bytes))`, `to_string()` with `alloc`).
#[derive(Clone, Copy)]
pub struct Hex<'a>(pub &'a [u8]);

impl core::fmt::Display for Hex<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        self.0.iter().try_for_each(|b| write!(f, "{b:02x}"))
    }
}

/// Writes `bytes` as lowercase hex into a bounded string.
pub fn hex_string<const N: usize>(bytes: &[u8]) -> Result<String<N>, EncodeError> {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::new();
    for b in bytes {
        for nibble in [b >> 4, b & 0x0f] {
            let c = HEX.get(usize::from(nibble)).copied().unwrap_or(b'0');
            s.push(char::from(c)).map_err(|_| EncodeError::BufferFull)?;
        }
    }
    Ok(s)
}

/// Parses exactly `N` bytes of hex (either case).
pub fn hex_bytes<const N: usize>(s: &str) -> Option<[u8; N]> {
    let mut out = [0u8; N];
    hex_into(s, &mut out)?;
    Some(out)
}

/// Parses hex into `out`, which it must fill exactly; returns `out`'s length.
pub fn hex_into(s: &str, out: &mut [u8]) -> Option<usize> {
    let b = s.as_bytes();
    if b.len() != 2 * out.len() {
        return None;
    }
    for (byte, pair) in out.iter_mut().zip(b.chunks_exact(2)) {
        let hi = char::from(*pair.first()?).to_digit(16)?;
        let lo = char::from(*pair.get(1)?).to_digit(16)?;
        *byte = u8::try_from(hi * 16 + lo).ok()?;
    }
    Some(out.len())
}

/// Parses hex of any length up to `buf.len()` bytes into the front of
/// `buf`; returns the filled part. `None` for odd length, a non-hex digit
/// or more bytes than `buf` holds.
pub fn hex_prefix<'a>(s: &str, buf: &'a mut [u8]) -> Option<&'a [u8]> {
    let out = buf.get_mut(..s.len() / 2)?;
    hex_into(s, out)?;
    Some(out)
}

/// Formats a 16-byte UUID (big-endian field order) as canonical text.
pub fn uuid_string(bytes: &[u8; 16]) -> String<36> {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut s: String<36> = String::new();
    for (i, b) in bytes.iter().enumerate() {
        if matches!(i, 4 | 6 | 8 | 10) {
            let _ = s.push('-');
        }
        for nibble in [b >> 4, b & 0x0f] {
            let digit = HEX.get(usize::from(nibble)).copied().unwrap_or(b'0');
            let _ = s.push(char::from(digit));
        }
    }
    s
}

/// Parses canonical UUID text (`8-4-4-4-12` hex digits, either case).
pub fn parse_uuid(s: &str) -> Option<[u8; 16]> {
    let b = s.as_bytes();
    if b.len() != 36 {
        return None;
    }
    let mut out = [0u8; 16];
    let mut digits = b
        .iter()
        .enumerate()
        .filter(|(i, _)| ![8, 13, 18, 23].contains(i))
        .map(|(_, c)| char::from(*c).to_digit(16));
    if [8, 13, 18, 23].iter().any(|i| b.get(*i) != Some(&b'-')) {
        return None;
    }
    for byte in out.iter_mut() {
        let hi = digits.next()??;
        let lo = digits.next()??;
        *byte = u8::try_from(hi * 16 + lo).ok()?;
    }
    Some(out)
}

/// Whether `s` is canonical UUID text (what [`parse_uuid`] accepts);
/// usable in constants, so the crate checks its build-time UUID with it.
pub(crate) const fn is_uuid(s: &str) -> bool {
    let mut rest = s.as_bytes();
    let mut i = 0;
    while let [c, tail @ ..] = rest {
        let dash = matches!(i, 8 | 13 | 18 | 23);
        if dash != (*c == b'-') || (!dash && !c.is_ascii_hexdigit()) {
            return false;
        }
        rest = tail;
        i += 1;
    }
    i == 36
}

/// A bounded byte writer for canonical encodings (big-endian integers).
#[derive(Debug, Default)]
pub struct Writer<const N: usize>(Vec<u8, N>);

impl<const N: usize> Writer<N> {
    /// An empty writer.
    pub fn new() -> Self {
        Writer(Vec::new())
    }
    /// Appends raw bytes; `None` when full.
    pub fn bytes(&mut self, b: &[u8]) -> Option<()> {
        self.0.extend_from_slice(b).ok()
    }
    /// Appends one byte.
    pub fn u8(&mut self, v: u8) -> Option<()> {
        self.0.push(v).ok()
    }
    /// Appends a big-endian `u32`.
    pub fn u32(&mut self, v: u32) -> Option<()> {
        self.bytes(&v.to_be_bytes())
    }
    /// Appends a big-endian `u64`.
    pub fn u64(&mut self, v: u64) -> Option<()> {
        self.bytes(&v.to_be_bytes())
    }
    /// Appends a length byte and then the bytes (at most 255).
    pub fn short(&mut self, b: &[u8]) -> Option<()> {
        self.u8(u8::try_from(b.len()).ok()?)?;
        self.bytes(b)
    }
    /// The bytes written.
    pub fn as_slice(&self) -> &[u8] {
        &self.0
    }
    /// The bytes written, by value.
    pub fn into_inner(self) -> Vec<u8, N> {
        self.0
    }
}

/// A reader over a canonical encoding; every method returns `None` on
/// running out of bytes.
#[derive(Debug)]
pub struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    /// Reads from `b`.
    pub fn new(b: &'a [u8]) -> Self {
        Reader(b)
    }
    /// The next `n` bytes.
    pub fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if n > self.0.len() {
            return None;
        }
        let (head, tail) = self.0.split_at(n);
        self.0 = tail;
        Some(head)
    }
    /// The next `N` bytes as an array.
    pub fn array<const N: usize>(&mut self) -> Option<[u8; N]> {
        self.take(N)?.try_into().ok()
    }
    /// One byte.
    pub fn u8(&mut self) -> Option<u8> {
        let [b] = self.array::<1>()?;
        Some(b)
    }
    /// One byte that must be 0 or 1.
    pub fn bool(&mut self) -> Option<bool> {
        match self.u8()? {
            0 => Some(false),
            1 => Some(true),
            _ => None,
        }
    }
    /// A big-endian `u32`.
    pub fn u32(&mut self) -> Option<u32> {
        self.array().map(u32::from_be_bytes)
    }
    /// A big-endian `u64`.
    pub fn u64(&mut self) -> Option<u64> {
        self.array().map(u64::from_be_bytes)
    }
    /// A length byte and that many bytes.
    pub fn short(&mut self) -> Option<&'a [u8]> {
        let n = self.u8()?;
        self.take(usize::from(n))
    }
    /// Bytes not read yet.
    pub fn rest(&self) -> &'a [u8] {
        self.0
    }
    /// `Some` only if every byte was read.
    pub fn finish(&self) -> Option<()> {
        self.0.is_empty().then_some(())
    }
}

#[cfg(test)]
mod test;
