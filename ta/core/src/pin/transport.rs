//! PIN transport (ISO 9564-1 format 4 over a per-session ECDH key): the
//! TA's single-use ephemeral key pair and nonce, and opening the PIN blocks
//! a request carries. No retry logic here (that is `crate::pin`); compare
//! OpenSK's `pin_protocol.rs` vs `client_pin.rs`.

use core::fmt;

use mfs_proto::pin::{EC_POINT_LEN, PIN_BLOCK_LEN, PIN_NONCE_LEN, PanField, Pin, TransportKey};
use mfs_proto::{PinSessionReply, hex_bytes, hex_string};
use p256::SecretKey;
use zeroize::Zeroize;

use crate::crypto;
use crate::error::Error;
use crate::platform::Platform;

/// A PIN session: the TA's ephemeral key pair and nonce, good for one PIN
/// command. The secret key zeroizes itself on drop.
pub struct PinSession {
    secret: SecretKey,
    ta_key: [u8; EC_POINT_LEN],
    nonce: [u8; PIN_NONCE_LEN],
}

impl fmt::Debug for PinSession {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PinSession(..)")
    }
}

/// Opens a PIN session (replacing any unused one).
pub fn open_session(
    p: &mut impl Platform,
    slot: &mut Option<PinSession>,
) -> Result<PinSessionReply, Error> {
    *slot = None;
    let secret = crypto::random_secret_key(p)?;
    let ta_key = crypto::sec1_uncompressed(&secret.public_key())?;
    let mut nonce = [0u8; PIN_NONCE_LEN];
    p.random(&mut nonce)?;
    let reply = PinSessionReply {
        ta_key: hex_string(&ta_key).map_err(|_| Error::Internal)?,
        nonce: hex_string(&nonce).map_err(|_| Error::Internal)?,
    };
    *slot = Some(PinSession {
        secret,
        ta_key,
        nonce,
    });
    Ok(reply)
}

/// Opens the PIN block(s) of one request with the session's key.
pub struct Opened {
    key: TransportKey,
    /// The PAN field the blocks are bound to.
    pub pan: PanField,
    /// The client's ephemeral public key.
    pub client_key: [u8; EC_POINT_LEN],
    /// The session's nonce.
    pub nonce: [u8; PIN_NONCE_LEN],
}

/// Opens the session in `slot` for one request (the session is used up
/// whatever happens next).
pub fn open(
    slot: &mut Option<PinSession>,
    client_key_hex: &str,
    pan: Option<&str>,
) -> Result<Opened, Error> {
    // The session is consumed by this attempt, whatever its outcome.
    let session = slot.take().ok_or(Error::PinSessionRequired)?;
    let client_key: [u8; EC_POINT_LEN] = hex_bytes(client_key_hex).ok_or(Error::BadRequest)?;
    let pan = PanField::new(pan).map_err(|_| Error::BadRequest)?;
    let peer = crypto::parse_point(&client_key)?;
    let mut shared = crypto::ecdh(&session.secret, &peer);
    let key = TransportKey::derive(&shared, &session.ta_key, &client_key);
    shared.zeroize();
    Ok(Opened {
        key,
        pan,
        client_key,
        nonce: session.nonce,
    })
}

/// Parses a PIN block's hex.
pub fn block_of(hex: &str) -> Result<[u8; PIN_BLOCK_LEN], Error> {
    hex_bytes(hex).ok_or(Error::BadRequest)
}

impl Opened {
    /// The PIN in `block` (`Crypto` if it does not decipher to a valid
    /// format-4 block).
    pub fn pin(&self, block: &[u8; PIN_BLOCK_LEN]) -> Result<Pin, Error> {
        self.key
            .decipher(block, &self.pan)
            .map_err(|_| Error::Crypto)
    }
}

/// The one PIN block of a request (set, verify, transaction), its PIN
/// session consumed.
pub struct PinEntry {
    opened: Opened,
    block: [u8; PIN_BLOCK_LEN],
}

impl PinEntry {
    /// The PIN in the block.
    pub fn pin(&self) -> Result<Pin, Error> {
        self.opened.pin(&self.block)
    }
}

impl fmt::Debug for PinEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PinEntry(..)")
    }
}

/// Opens the session in `slot` for a request carrying one PIN block (the
/// session is used up whatever happens next).
pub fn take_entry(
    slot: &mut Option<PinSession>,
    client_key: &str,
    pan: Option<&str>,
    block: &str,
) -> Result<PinEntry, Error> {
    let opened = open(slot, client_key, pan)?;
    Ok(PinEntry {
        opened,
        block: block_of(block)?,
    })
}
