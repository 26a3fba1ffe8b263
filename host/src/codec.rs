//! Local text encodings: the one hex helper the host needs beyond
//! `mfs_proto::Hex` (encoding, via `Display`) and `mfs_proto::hex_into`
//! (fixed-size decoding), and a check for PEM armour.

use crate::error::{Encoding, Error};

/// Decodes hex text of any even length (either case); `None` for odd
/// length or a non-hex digit.
pub fn hex_decode(s: &str) -> Option<Vec<u8>> {
    let mut b = vec![0u8; s.len() / 2];
    mfs_proto::hex_into(s, &mut b)?;
    Some(b)
}

/// [`hex_decode`] for local input: bad hex is an [`Encoding::Hex`] error.
pub fn parse_hex(s: &str) -> Result<Vec<u8>, Error> {
    hex_decode(s).ok_or(Error::Encoding(Encoding::Hex))
}

/// The error for PEM text no key could be read from: an encoding error
/// if it is not PEM at all, else the key is unusable.
pub(crate) fn pem_key_error(text: &str) -> Error {
    if text.contains("-----BEGIN ") && text.contains("-----END ") {
        Error::Key(crate::error::KeyError::Unusable)
    } else {
        Error::Encoding(Encoding::Pem)
    }
}
