//! Typed calls to the TA: [`Client`] and its generic `call`, with one
//! submodule per feature adding methods to it.
//!
//! - [`system`]: ping, info, provisioning, wipe;
//! - [`pin`]: the PIN session (transport key agreement) and PIN management;
//! - [`keys`]: key generation, listing, signing, attestation, export/import;
//! - [`tx`]: transaction signing with proof of consent;
//! - [`log`]: the event log, read and exported.
//!
//! Replies that carry signatures are checked with the offline verifiers
//! ([`crate::verify`]) before they are returned.

mod keys;
mod log;
mod pin;
mod system;
#[cfg(test)]
mod test;
mod tx;

pub use log::EXPORT_MAX_ENTRIES;
use mfs_proto::{Command, MAX_REPLY_LEN, MAX_REQUEST_LEN, Status, decode, encode};
use serde::{Serialize, de::DeserializeOwned};

use crate::codec::hex_decode;
use crate::error::{Error, InputError};
use crate::transport::Transport;

/// A client of the TA over some [`Transport`].
pub struct Client<T: Transport> {
    transport: T,
}

impl<T: Transport> Client<T> {
    /// Wraps an open transport.
    pub fn new(transport: T) -> Self {
        Client { transport }
    }

    /// The underlying transport.
    pub fn transport_mut(&mut self) -> &mut T {
        &mut self.transport
    }

    /// Sends one request and decodes the reply.
    ///
    /// The output buffer is always `MAX_REPLY_LEN` bytes, which the TA
    /// guarantees is enough: a state-changing command is never sent twice
    /// because of a short buffer.
    fn call<Req: Serialize, Rep: DeserializeOwned>(
        &mut self,
        cmd: Command,
        request: &Req,
    ) -> Result<Rep, Error> {
        let mut req = [0u8; MAX_REQUEST_LEN];
        let n = encode(request, &mut req).map_err(|_| Error::RequestTooLarge)?;
        let mut reply = vec![0u8; MAX_REPLY_LEN];
        let raw = self
            .transport
            .call(cmd as u32, req.get(..n).unwrap_or_default(), &mut reply)?;
        let status = Status::try_from(raw.status).map_err(|e| Error::UnknownStatus(e.0))?;
        if status != Status::Ok {
            return Err(Error::Status {
                status,
                detail: raw.detail,
            });
        }
        let body = reply.get(..raw.len).ok_or(Error::BadReply)?;
        decode(body).map_err(|_| Error::BadReply)
    }
}

/// Client-side check of a key id (16 hex digits).
fn key_id(id: &str) -> Result<mfs_proto::KeyIdHex, Error> {
    if id.len() == 16 && id.bytes().all(|c| c.is_ascii_hexdigit()) {
        id.try_into().map_err(|_| Error::Input(InputError::KeyId))
    } else {
        Err(Error::Input(InputError::KeyId))
    }
}

/// Hex from a TA reply: bad hex is a bad reply.
fn unhex(s: &str) -> Result<Vec<u8>, Error> {
    hex_decode(s).ok_or(Error::BadReply)
}
