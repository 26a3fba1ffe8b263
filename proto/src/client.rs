//! The client side of one PIN session (cargo feature `client`): ECDH
//! P-256 with the TA's single-use key from the `PinSession` reply, the
//! transport key ([`crate::pin::TransportKey::derive`]), format 4 blocks
//! under it, and the PIN requests that carry them.
//!
//! One [`PinChannel`] serves one PIN command, as the TA's session key does.
//! This crate has no RNG: the caller supplies the ephemeral secret (bytes,
//! or a fill function such as `getrandom::fill`) and the 8 random fill
//! bytes of each block.
//!
//! Depends on [`crate::wire`], [`crate::signed_tx`] ([`TxRecord`]),
//! [`crate::pin`], [`crate::codec`] and [`crate::types`]; nothing in the
//! crate depends on it.

use core::fmt;

use heapless::String;
use p256::elliptic_curve::sec1::ToSec1Point;
use p256::{PublicKey, SecretKey};
use zeroize::Zeroize;

use crate::PROTOCOL_CURRENT;
use crate::codec::{hex_bytes, hex_string};
use crate::pin::{
    PAN_MAX_DIGITS, PIN_BLOCK_LEN, PIN_NONCE_LEN, PanField, Pin, TransportKey, UNBLOCK_MESSAGE_LEN,
    unblock_message,
};
use crate::signed_tx::TxRecord;
use crate::types::{DER_SIGNATURE_MAX_LEN, EC_POINT_LEN};
use crate::wire::{
    EcPointHex, KeyIdHex, PinBlockHex, PinChangeRequest, PinRequest, PinSessionReply,
    PinUnblockRequest, TxSignRequest,
};

/// Bytes of a P-256 secret scalar.
pub const SECRET_LEN: usize = 32;

/// Why a PIN channel could not be opened or a request built.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChannelError {
    /// The `PinSession` reply is not a 65-byte key and a 16-byte nonce in hex.
    BadReply,
    /// The TA's key is not a point on P-256.
    BadTaKey,
    /// The client secret is not a valid P-256 scalar (zero or not below
    /// the group order).
    BadSecret,
    /// The random source failed, or gave no valid scalar in 8 draws.
    Random,
    /// The PAN is not 1–19 decimal digits.
    BadPan,
    /// The issuer's signature is longer than a DER P-256 signature.
    BadSignature,
}

/// The client side of one PIN session: the agreed transport key, the
/// client's ephemeral public key, the TA's nonce and the PAN the blocks
/// are bound to. The transport key zeroizes itself on drop; the ephemeral
/// secret is not kept.
pub struct PinChannel {
    key: TransportKey,
    client_key: [u8; EC_POINT_LEN],
    nonce: [u8; PIN_NONCE_LEN],
    pan: PanField,
    pan_text: Option<String<PAN_MAX_DIGITS>>,
}

impl fmt::Debug for PinChannel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PinChannel(..)")
    }
}

impl PinChannel {
    /// Opens the channel from the TA's ephemeral public key (SEC1
    /// uncompressed) and nonce, the client's ephemeral secret scalar
    /// (big-endian, fresh per session) and the PAN the blocks are bound to
    /// (`None`: the fixed PAN).
    pub fn open(
        ta_key: &[u8; EC_POINT_LEN],
        nonce: [u8; PIN_NONCE_LEN],
        client_secret: &[u8; SECRET_LEN],
        pan: Option<&str>,
    ) -> Result<PinChannel, ChannelError> {
        let pan_field = PanField::new(pan).map_err(|_| ChannelError::BadPan)?;
        let pan_text = match pan {
            Some(p) => Some(String::try_from(p).map_err(|_| ChannelError::BadPan)?),
            None => None,
        };
        let ta_point = PublicKey::from_sec1_bytes(ta_key).map_err(|_| ChannelError::BadTaKey)?;
        let secret = SecretKey::from_slice(client_secret).map_err(|_| ChannelError::BadSecret)?;
        let client_key: [u8; EC_POINT_LEN] = secret
            .public_key()
            .to_sec1_point(false)
            .as_bytes()
            .try_into()
            .map_err(|_| ChannelError::BadSecret)?;
        let shared = p256::ecdh::diffie_hellman(secret.to_nonzero_scalar(), ta_point.as_affine());
        let key = TransportKey::derive(shared.raw_secret_bytes(), ta_key, &client_key);
        Ok(PinChannel {
            key,
            client_key,
            nonce,
            pan: pan_field,
            pan_text,
        })
    }

    /// [`PinChannel::open`] with the key and nonce parsed from the TA's
    /// `PinSession` reply.
    pub fn from_reply(
        reply: &PinSessionReply,
        client_secret: &[u8; SECRET_LEN],
        pan: Option<&str>,
    ) -> Result<PinChannel, ChannelError> {
        let ta_key = hex_bytes(&reply.ta_key).ok_or(ChannelError::BadReply)?;
        let nonce = hex_bytes(&reply.nonce).ok_or(ChannelError::BadReply)?;
        PinChannel::open(&ta_key, nonce, client_secret, pan)
    }

    /// [`PinChannel::from_reply`] with a fresh secret drawn from `fill`
    /// (a CSPRNG filling its buffer; an error is reported as
    /// [`ChannelError::Random`]). A draw that is not a valid scalar is
    /// repeated, at most 8 times.
    pub fn from_reply_with_rng<E>(
        reply: &PinSessionReply,
        pan: Option<&str>,
        mut fill: impl FnMut(&mut [u8]) -> Result<(), E>,
    ) -> Result<PinChannel, ChannelError> {
        for _ in 0..8 {
            let mut secret = [0u8; SECRET_LEN];
            if fill(&mut secret).is_err() {
                secret.zeroize();
                return Err(ChannelError::Random);
            }
            let channel = PinChannel::from_reply(reply, &secret, pan);
            secret.zeroize();
            match channel {
                Err(ChannelError::BadSecret) => continue,
                other => return other,
            }
        }
        Err(ChannelError::Random)
    }

    /// The client's ephemeral public key, SEC1 uncompressed.
    pub fn client_key(&self) -> &[u8; EC_POINT_LEN] {
        &self.client_key
    }

    /// The client's ephemeral public key as the requests carry it.
    pub fn client_key_hex(&self) -> EcPointHex {
        hex_string(&self.client_key).unwrap_or_default()
    }

    /// The TA's nonce of this session (signed by the issuer for an unblock).
    pub fn nonce(&self) -> &[u8; PIN_NONCE_LEN] {
        &self.nonce
    }

    /// The PAN field the blocks are bound to.
    pub fn pan(&self) -> &PanField {
        &self.pan
    }

    /// The PAN as the requests carry it (`None`: the fixed PAN).
    pub fn pan_text(&self) -> Option<&str> {
        self.pan_text.as_deref()
    }

    /// `pin` as a format 4 block under this session's key; `random` is the
    /// block's 8-byte random fill (fresh per block from a CSPRNG).
    pub fn block(&self, pin: &Pin, random: [u8; 8]) -> [u8; PIN_BLOCK_LEN] {
        self.key.encipher(pin, &self.pan, random)
    }

    /// [`PinChannel::block`] as the requests carry it.
    pub fn block_hex(&self, pin: &Pin, random: [u8; 8]) -> PinBlockHex {
        hex_string(&self.block(pin, random)).unwrap_or_default()
    }

    /// The bytes the issuer signs to authorise an unblock to the PIN in
    /// `block` (a block of this channel).
    pub fn unblock_message(&self, block: &[u8; PIN_BLOCK_LEN]) -> [u8; UNBLOCK_MESSAGE_LEN] {
        unblock_message(&self.nonce, &self.client_key, block, &self.pan)
    }

    /// A `PinSet` or `PinVerify` request for `pin`.
    pub fn request(&self, pin: &Pin, random: [u8; 8]) -> PinRequest {
        PinRequest {
            v: PROTOCOL_CURRENT,
            client_key: self.client_key_hex(),
            block: self.block_hex(pin, random),
            pan: self.pan_text.clone(),
            key: None,
        }
    }

    /// A `PinChange` request from `old` to `new` (each block with its own
    /// random fill).
    pub fn change_request(
        &self,
        old: &Pin,
        old_random: [u8; 8],
        new: &Pin,
        new_random: [u8; 8],
    ) -> PinChangeRequest {
        PinChangeRequest {
            v: PROTOCOL_CURRENT,
            client_key: self.client_key_hex(),
            old_block: self.block_hex(old, old_random),
            new_block: self.block_hex(new, new_random),
            pan: self.pan_text.clone(),
        }
    }

    /// A `PinUnblock` request for the new PIN's `block` (from
    /// [`PinChannel::block`]) with the issuer's DER signature over
    /// [`PinChannel::unblock_message`] of that block.
    pub fn unblock_request(
        &self,
        block: &[u8; PIN_BLOCK_LEN],
        signature: &[u8],
    ) -> Result<PinUnblockRequest, ChannelError> {
        if signature.len() > DER_SIGNATURE_MAX_LEN {
            return Err(ChannelError::BadSignature);
        }
        Ok(PinUnblockRequest {
            v: PROTOCOL_CURRENT,
            client_key: self.client_key_hex(),
            block: hex_string(block).unwrap_or_default(),
            pan: self.pan_text.clone(),
            signature: hex_string(signature).map_err(|_| ChannelError::BadSignature)?,
        })
    }

    /// A `TxSign` request: `record` signed by key `id` with `pin` as the
    /// proof of consent.
    pub fn tx_sign_request(
        &self,
        id: KeyIdHex,
        pin: &Pin,
        random: [u8; 8],
        record: TxRecord,
    ) -> TxSignRequest {
        TxSignRequest {
            v: PROTOCOL_CURRENT,
            id,
            client_key: self.client_key_hex(),
            block: self.block_hex(pin, random),
            pan: self.pan_text.clone(),
            record,
        }
    }
}

#[cfg(test)]
mod test;
