//! The bytes an issuer signs to authorise a PIN unblock, and the session
//! nonce they include.
//!
//! Depends on [`crate::pin::block`] and [`crate::types`].

use super::block::{PIN_BLOCK_LEN, PanField};
use crate::types::EC_POINT_LEN;

/// Random nonce the TA issues with each PIN session (issuer unblock challenge).
pub const PIN_NONCE_LEN: usize = 16;

/// Domain tag that opens [`unblock_message`].
pub(super) const UNBLOCK_TAG: &[u8] = b"mfs-ta/pin-unblock/v1\0";
/// Length of [`unblock_message`].
pub const UNBLOCK_MESSAGE_LEN: usize =
    UNBLOCK_TAG.len() + PIN_NONCE_LEN + EC_POINT_LEN + PIN_BLOCK_LEN + 16;

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
    let parts: [&[u8]; 5] = [UNBLOCK_TAG, nonce, client_key, block, pan.as_bytes()];
    let mut at = 0;
    for p in parts {
        if let Some(dst) = m.get_mut(at..at + p.len()) {
            dst.copy_from_slice(p);
        }
        at += p.len();
    }
    m
}
