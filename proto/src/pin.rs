//! Protected PIN transport: ISO 9564-1:2017 format 4 PIN blocks (AES)
//! enciphered under a per-session key agreed by ECDH P-256 with the TA.
//!
//! Both worlds use this module: the client to build blocks, the TA to open
//! them. The clear PIN never crosses the GP interface. The parts:
//!
//! - [`block`]: the PIN and PAN fields of format 4 ([`Pin`], [`PanField`]);
//! - [`key`]: the HKDF transport key and the format 4 encipherment
//!   ([`TransportKey`]);
//! - [`unblock`]: the bytes an issuer signs for an unblock
//!   ([`unblock_message`]).
//!
//! The client side of a whole PIN session (ECDH with the TA's ephemeral
//! key, then blocks and requests) is `crate::client::PinChannel`, behind
//! the `client` cargo feature.
//!
//! Depends on [`crate::types`] only (for [`EC_POINT_LEN`]).
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

pub mod block;
pub mod key;
pub mod unblock;

pub use crate::types::EC_POINT_LEN;
pub use block::{
    PAN_MAX_DIGITS, PIN_BLOCK_LEN, PIN_MAX_DIGITS, PIN_MIN_DIGITS, PanField, Pin, PinError,
};
pub use key::TransportKey;
pub use unblock::{PIN_NONCE_LEN, UNBLOCK_MESSAGE_LEN, unblock_message};

#[cfg(test)]
mod test;
