//! PIN management. Every PIN operation opens a PIN session: an ECDH
//! agreement of a transport key with the TA, under which the PIN leaves
//! this process only as an ISO 9564 format 4 block
//! (`mfs_proto::client::PinChannel`).

use mfs_proto::client::{ChannelError, PinChannel};
use mfs_proto::pin::{PanField, Pin};
use mfs_proto::{Command, EmptyRequest, PROTOCOL_CURRENT, PinSessionReply, PinStatusReply};

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

    /// Opens a PIN session and agrees the transport key with the TA
    /// (`mfs_proto::client::PinChannel`, the one client-side
    /// implementation). A bad PAN is refused before anything is sent.
    pub(super) fn pin_session(&mut self, pan: Option<&str>) -> Result<PinChannel, Error> {
        PanField::new(pan).map_err(|_| Error::BadPan)?;
        let reply: PinSessionReply = self.call(
            Command::PinSession,
            &EmptyRequest {
                v: PROTOCOL_CURRENT,
            },
        )?;
        PinChannel::from_reply_with_rng(&reply, pan, getrandom::fill).map_err(channel_error)
    }

    /// First PIN enrolment. The PIN leaves this process only as a format 4
    /// block enciphered for the TA.
    pub fn pin_set(&mut self, pin: &Pin, pan: Option<&str>) -> Result<PinStatusReply, Error> {
        let ch = self.pin_session(pan)?;
        let req = ch.request(pin, block_random()?);
        self.call(Command::PinSet, &req)
    }

    /// PIN verification.
    pub fn pin_verify(&mut self, pin: &Pin, pan: Option<&str>) -> Result<PinStatusReply, Error> {
        let ch = self.pin_session(pan)?;
        let req = ch.request(pin, block_random()?);
        self.call(Command::PinVerify, &req)
    }

    /// PIN verification that also opens the PIN window of key `id` (PIN
    /// rule `window`) for exactly one use within the window.
    pub fn pin_verify_for_key(
        &mut self,
        pin: &Pin,
        pan: Option<&str>,
        id: &str,
    ) -> Result<PinStatusReply, Error> {
        // The id is checked before the PIN session is opened.
        let key = super::key_id(id)?;
        let ch = self.pin_session(pan)?;
        let mut req = ch.request(pin, block_random()?);
        req.key = Some(key);
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
        let req = ch.change_request(old, block_random()?, new, block_random()?);
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
        let block = ch.block(new, block_random()?);
        let sig = issuer_sign(&ch.unblock_message(&block))?;
        let req = ch.unblock_request(&block, &sig).map_err(channel_error)?;
        self.call(Command::PinUnblock, &req)
    }
}

/// Fresh random padding for one format 4 block.
pub(super) fn block_random() -> Result<[u8; 8], Error> {
    let mut random = [0u8; 8];
    getrandom::fill(&mut random).map_err(|_| Error::Random)?;
    Ok(random)
}

fn channel_error(e: ChannelError) -> Error {
    match e {
        ChannelError::BadReply => Error::BadReply,
        ChannelError::BadTaKey => Error::BadTaKey,
        ChannelError::BadSecret | ChannelError::Random => Error::Random,
        ChannelError::BadPan => Error::BadPan,
        ChannelError::BadSignature => Error::Key(KeyError::Signature),
    }
}
