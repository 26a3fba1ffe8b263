//! Transactions signed with proof of consent: the PIN travels as a
//! format 4 block in the same TA call as the record, and the reply is
//! checked with [`crate::verify::tx`] before it is returned.

use mfs_proto::pin::Pin;
use mfs_proto::{Command, TxRecord, TxSignReply};

use super::{Client, key_id, unhex};
use crate::error::{Error, TxError};
use crate::pubkey::EcPublicKey;
use crate::transport::Transport;
use crate::verify::tx::verify;

impl<T: Transport> Client<T> {
    /// Signs a transaction with proof of consent: the PIN travels as a
    /// format 4 block in the same TA call as the record, and the TA signs
    /// only if it matches. The reply is checked here (signature over the
    /// record the caller asked for, key, counter) before it is returned.
    pub fn tx_sign(
        &mut self,
        id: &str,
        pin: &Pin,
        pan: Option<&str>,
        record: &TxRecord,
    ) -> Result<TxSignReply, Error> {
        record.check().map_err(Error::Record)?;
        let id = key_id(id)?;
        let ch = self.pin_session(pan)?;
        let req = ch.tx_sign_request(id.clone(), pin, super::pin::block_random()?, record.clone());
        let reply: TxSignReply = self.call(Command::TxSign, &req)?;
        let key = EcPublicKey::from_sec1_hex(&reply.public_key)?;
        let tx = verify(&reply, &key, None).map_err(Error::Tx)?;
        if &tx.record != record || unhex(&id)? != tx.key_id {
            return Err(Error::Tx(TxError::Encoding));
        }
        Ok(reply)
    }
}
