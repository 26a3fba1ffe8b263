//! PIN management. Every PIN operation opens a PIN session: an ECDH
//! agreement of a transport key with the TA, under which the PIN leaves
//! this process only as an ISO 9564 format 4 block ([`PinChannel`]).

use mfs_proto::pin::{EC_POINT_LEN, PIN_NONCE_LEN, PanField, Pin, TransportKey, unblock_message};
use mfs_proto::{
    Command, EmptyRequest, PROTOCOL_CURRENT, PinChangeRequest, PinRequest, PinSessionReply,
    PinStatusReply, PinUnblockRequest, hex_bytes, hex_string,
};
use p256::elliptic_curve::sec1::ToSec1Point;
use p256::{PublicKey, SecretKey};
use zeroize::Zeroize;

use super::Client;
use crate::error::{Error, KeyError};
use crate::transport::Transport;

impl<T: Transport> Client<T> {
    /// PIN state: set, blocked, tries left, throttle delay.
    pub fn pin_status(&mut self) -> Result<PinStatusReply, Error> {
        self.call(
            Command::PinStatus,
            &EmptyRequest {
                v: PROTOCOL_CURRENT,
            },
        )
    }

    /// Opens a PIN session and agrees the transport key with the TA.
    pub(super) fn pin_session(&mut self, pan: Option<&str>) -> Result<PinChannel, Error> {
        let pan_field = PanField::new(pan).map_err(|_| Error::BadPan)?;
        let pan_text = match pan {
            Some(p) => Some(p.try_into().map_err(|_| Error::BadPan)?),
            None => None,
        };
        let reply: PinSessionReply = self.call(
            Command::PinSession,
            &EmptyRequest {
                v: PROTOCOL_CURRENT,
            },
        )?;
        let ta_key: [u8; EC_POINT_LEN] = hex_bytes(&reply.ta_key).ok_or(Error::BadReply)?;
        let nonce: [u8; PIN_NONCE_LEN] = hex_bytes(&reply.nonce).ok_or(Error::BadReply)?;
        let ta_point = PublicKey::from_sec1_bytes(&ta_key).map_err(|_| Error::BadTaKey)?;
        let secret = random_secret_key()?;
        let client_key: [u8; EC_POINT_LEN] = secret
            .public_key()
            .to_sec1_point(false)
            .as_bytes()
            .try_into()
            .map_err(|_| Error::BadTaKey)?;
        let shared = p256::ecdh::diffie_hellman(secret.to_nonzero_scalar(), ta_point.as_affine());
        let key = TransportKey::derive(shared.raw_secret_bytes(), &ta_key, &client_key);
        Ok(PinChannel {
            key,
            client_key,
            nonce,
            pan: pan_field,
            pan_text,
        })
    }

    /// First PIN enrolment. The PIN leaves this process only as a format 4
    /// block enciphered for the TA.
    pub fn pin_set(&mut self, pin: &Pin, pan: Option<&str>) -> Result<PinStatusReply, Error> {
        let ch = self.pin_session(pan)?;
        let req = ch.request(pin)?;
        self.call(Command::PinSet, &req)
    }

    /// PIN verification.
    pub fn pin_verify(&mut self, pin: &Pin, pan: Option<&str>) -> Result<PinStatusReply, Error> {
        let ch = self.pin_session(pan)?;
        let req = ch.request(pin)?;
        self.call(Command::PinVerify, &req)
    }

    /// PIN change (the old PIN is checked like a verify).
    pub fn pin_change(
        &mut self,
        old: &Pin,
        new: &Pin,
        pan: Option<&str>,
    ) -> Result<PinStatusReply, Error> {
        let ch = self.pin_session(pan)?;
        let req = PinChangeRequest {
            v: PROTOCOL_CURRENT,
            client_key: ch.client_key_hex()?,
            old_block: ch.block_hex(old)?,
            new_block: ch.block_hex(new)?,
            pan: ch.pan_text.clone(),
        };
        self.call(Command::PinChange, &req)
    }

    /// Issuer unblock with a new PIN. `issuer_sign` receives the exact
    /// bytes the issuer must sign (`mfs_proto::pin::unblock_message`) and
    /// returns the issuer's DER ECDSA P-256/SHA-256 signature; in a real
    /// deployment it is a call to the issuer's back end.
    pub fn pin_unblock(
        &mut self,
        new: &Pin,
        pan: Option<&str>,
        issuer_sign: impl FnOnce(&[u8]) -> Result<Vec<u8>, Error>,
    ) -> Result<PinStatusReply, Error> {
        let ch = self.pin_session(pan)?;
        let block = ch.block(new)?;
        let msg = unblock_message(&ch.nonce, &ch.client_key, &block, &ch.pan);
        let sig = issuer_sign(&msg)?;
        let req = PinUnblockRequest {
            v: PROTOCOL_CURRENT,
            client_key: ch.client_key_hex()?,
            block: hex_string(&block).map_err(|_| Error::RequestTooLarge)?,
            pan: ch.pan_text.clone(),
            signature: hex_string(&sig).map_err(|_| Error::Key(KeyError::Signature))?,
        };
        self.call(Command::PinUnblock, &req)
    }
}

/// Client side of one PIN session.
pub(super) struct PinChannel {
    key: TransportKey,
    client_key: [u8; EC_POINT_LEN],
    nonce: [u8; PIN_NONCE_LEN],
    pan: PanField,
    pub(super) pan_text: Option<heapless::String<{ mfs_proto::pin::PAN_MAX_DIGITS }>>,
}

impl PinChannel {
    fn block(&self, pin: &Pin) -> Result<[u8; 16], Error> {
        let mut random = [0u8; 8];
        getrandom::fill(&mut random).map_err(|_| Error::Random)?;
        let block = self.key.encipher(pin, &self.pan, random);
        random.zeroize();
        Ok(block)
    }

    /// `pin` as a format 4 block under this session's key, hex.
    pub(super) fn block_hex(&self, pin: &Pin) -> Result<mfs_proto::PinBlockHex, Error> {
        hex_string(&self.block(pin)?).map_err(|_| Error::RequestTooLarge)
    }

    /// This side's ECDH public key, hex.
    pub(super) fn client_key_hex(&self) -> Result<mfs_proto::EcPointHex, Error> {
        hex_string(&self.client_key).map_err(|_| Error::RequestTooLarge)
    }

    fn request(&self, pin: &Pin) -> Result<PinRequest, Error> {
        Ok(PinRequest {
            v: PROTOCOL_CURRENT,
            client_key: self.client_key_hex()?,
            block: self.block_hex(pin)?,
            pan: self.pan_text.clone(),
        })
    }
}

/// A fresh P-256 key from the OS RNG (rejection sampling).
fn random_secret_key() -> Result<SecretKey, Error> {
    for _ in 0..8 {
        let mut bytes = [0u8; 32];
        getrandom::fill(&mut bytes).map_err(|_| Error::Random)?;
        let key = SecretKey::from_slice(&bytes);
        bytes.zeroize();
        if let Ok(k) = key {
            return Ok(k);
        }
    }
    Err(Error::Random)
}
