//! Keys generated and sealed inside the TA: generation, listing, public
//! information, signing, attestation (checked with
//! [`crate::verify::attestation`]), sealed export/import and deletion.

use mfs_proto::{
    CHALLENGE_MAX_LEN, Command, KEY_LIST_PAGE, KeyAttestReply, KeyAttestRequest, KeyDeleteReply,
    KeyExportReply, KeyGenerateRequest, KeyImportRequest, KeyInfoReply, KeyListReply,
    KeyListRequest, KeyPolicy, KeyRequest, KeySignReply, KeySignRequest, KeySummary, MAX_KEYS,
    PROTOCOL_CURRENT, RESERVED_PREFIX, SIGN_MESSAGE_MAX_LEN, hex_string,
};

use super::{Client, key_id, unhex};
use crate::error::{Error, InputError};
use crate::pubkey::EcPublicKey;
use crate::transport::Transport;
use crate::verify::attestation::{Attestation, verify_attestation};

impl<T: Transport> Client<T> {
    /// Generates a P-256 key pair inside the TA under `policy`.
    pub fn key_generate(&mut self, label: &str, policy: KeyPolicy) -> Result<KeyInfoReply, Error> {
        if !mfs_proto::valid_label(label) {
            return Err(Error::Input(InputError::Label));
        }
        let req = KeyGenerateRequest {
            v: PROTOCOL_CURRENT,
            label: label
                .try_into()
                .map_err(|_| Error::Input(InputError::Label))?,
            policy,
        };
        self.call(Command::KeyGenerate, &req)
    }

    /// Every key, fetched page by page.
    ///
    /// The TA's replies are not trusted to end the loop: a `total` above
    /// [`MAX_KEYS`] is refused ([`Error::ReplyLimit`]), and every call
    /// moves the offset a full page on (the TA may return fewer keys than
    /// a page where it skips an entry it cannot read), so a listing makes
    /// at most ⌈`MAX_KEYS` / `KEY_LIST_PAGE`⌉ = 84 calls and holds at most
    /// 84 pages of keys, whatever the TA answers.
    pub fn key_list(&mut self) -> Result<Vec<KeySummary>, Error> {
        let page_len = u16::try_from(KEY_LIST_PAGE).map_err(|_| Error::ReplyLimit)?;
        let mut all = Vec::new();
        let mut offset: u16 = 0;
        loop {
            let page: KeyListReply = self.call(
                Command::KeyList,
                &KeyListRequest {
                    v: PROTOCOL_CURRENT,
                    offset,
                },
            )?;
            if page.total > MAX_KEYS {
                return Err(Error::ReplyLimit);
            }
            all.extend(page.keys);
            // offset < total <= MAX_KEYS here: no overflow in u16.
            offset = offset.checked_add(page_len).ok_or(Error::ReplyLimit)?;
            if offset >= page.total {
                return Ok(all);
            }
        }
    }

    fn key_request(id: &str) -> Result<KeyRequest, Error> {
        Ok(KeyRequest {
            v: PROTOCOL_CURRENT,
            id: key_id(id)?,
        })
    }

    /// A key's public information.
    pub fn key_info(&mut self, id: &str) -> Result<KeyInfoReply, Error> {
        self.call(Command::KeyInfo, &Self::key_request(id)?)
    }

    /// A key's public key.
    pub fn key_public(&mut self, id: &str) -> Result<EcPublicKey, Error> {
        EcPublicKey::from_sec1_hex(&self.key_info(id)?.public_key)
    }

    /// Deletes a key.
    pub fn key_delete(&mut self, id: &str) -> Result<KeyDeleteReply, Error> {
        self.call(Command::KeyDelete, &Self::key_request(id)?)
    }

    /// Signs `msg` (at most `SIGN_MESSAGE_MAX_LEN` bytes, not starting with
    /// the TA's reserved prefix): the DER ECDSA P-256/SHA-256 signature and
    /// the key's use count.
    pub fn key_sign(&mut self, id: &str, msg: &[u8]) -> Result<(Vec<u8>, u32), Error> {
        if msg.len() > SIGN_MESSAGE_MAX_LEN {
            return Err(Error::Input(InputError::MessageTooLong));
        }
        if msg.starts_with(RESERVED_PREFIX) {
            return Err(Error::Input(InputError::ReservedPrefix));
        }
        let req = KeySignRequest {
            v: PROTOCOL_CURRENT,
            id: key_id(id)?,
            message: hex_string(msg).map_err(|_| Error::Input(InputError::MessageTooLong))?,
        };
        let r: KeySignReply = self.call(Command::KeySign, &req)?;
        Ok((unhex(&r.signature)?, r.uses))
    }

    /// The TA's raw attestation of a key (see [`verify_attestation`]).
    pub fn key_attest(
        &mut self,
        id: &str,
        challenge: &[u8],
        attest_key: Option<&str>,
    ) -> Result<KeyAttestReply, Error> {
        if challenge.len() > CHALLENGE_MAX_LEN {
            return Err(Error::Input(InputError::ChallengeTooLong));
        }
        let req = KeyAttestRequest {
            v: PROTOCOL_CURRENT,
            id: key_id(id)?,
            challenge: hex_string(challenge)
                .map_err(|_| Error::Input(InputError::ChallengeTooLong))?,
            attest_key: attest_key.map(key_id).transpose()?,
        };
        self.call(Command::KeyAttest, &req)
    }

    /// Attests a key and verifies the statement: signature, challenge and
    /// that it is about the key `id` currently has.
    pub fn key_attest_verified(
        &mut self,
        id: &str,
        challenge: &[u8],
        attest_key: Option<&str>,
        pinned: Option<&EcPublicKey>,
    ) -> Result<Attestation, Error> {
        let public = self.key_public(id)?;
        let reply = self.key_attest(id, challenge, attest_key)?;
        verify_attestation(&reply, challenge, Some(&public), pinned).map_err(Error::Attestation)
    }

    /// A key's sealed blob (opaque; importable only into this TA instance).
    pub fn key_export(&mut self, id: &str) -> Result<Vec<u8>, Error> {
        let r: KeyExportReply = self.call(Command::KeyExport, &Self::key_request(id)?)?;
        unhex(&r.blob)
    }

    /// Imports a sealed blob from [`Client::key_export`].
    pub fn key_import(&mut self, blob: &[u8]) -> Result<KeyInfoReply, Error> {
        let req = KeyImportRequest {
            v: PROTOCOL_CURRENT,
            blob: hex_string(blob).map_err(|_| Error::Input(InputError::BlobTooLong))?,
        };
        self.call(Command::KeyImport, &req)
    }
}
