//! Typed calls to the TA.

use mfs_proto::pin::{EC_POINT_LEN, PIN_NONCE_LEN, PanField, Pin, TransportKey, unblock_message};
use mfs_proto::{
    Command, EmptyRequest, InfoReply, MAX_REPLY_LEN, MAX_REQUEST_LEN, PROTOCOL_CURRENT,
    PinChangeRequest, PinRequest, PinSessionReply, PinStatusReply, PinUnblockRequest, PingReply,
    PingRequest, ProvisionReply, ProvisionRequest, Status, decode, encode, hex_bytes, hex_string,
};
use mfs_proto::{
    KEY_LIST_PAGE, KeyAttestReply, KeyAttestRequest, KeyDeleteReply, KeyExportReply,
    KeyGenerateRequest, KeyImportRequest, KeyInfoReply, KeyListReply, KeyListRequest, KeyPolicy,
    KeyRequest, KeySignReply, KeySignRequest, KeySummary, RESERVED_PREFIX, SIGN_MESSAGE_MAX_LEN,
    WipeReply,
};
use mfs_proto::{
    LogHeadReply, LogHeadRequest, LogReadReply, LogReadRequest, TxRecord, TxSignReply,
    TxSignRequest,
};
use p256::elliptic_curve::sec1::ToSec1Point;
use p256::{PublicKey, SecretKey};
use serde::{Serialize, de::DeserializeOwned};
use zeroize::Zeroize;

use crate::{Error, Transport};

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

    /// Liveness check: the TA echoes `echo`.
    pub fn ping(&mut self, echo: u32) -> Result<u32, Error> {
        let r: PingReply = self.call(
            Command::Ping,
            &PingRequest {
                v: PROTOCOL_CURRENT,
                echo,
            },
        )?;
        Ok(r.echo)
    }

    /// TA version, protocol range, platform facts and this session's rights.
    pub fn info(&mut self) -> Result<InfoReply, Error> {
        self.call(
            Command::Info,
            &EmptyRequest {
                v: PROTOCOL_CURRENT,
            },
        )
    }

    /// One-time provisioning (admin): the PIN try limit, the throttle
    /// base delay and the issuer's unblock key (SEC1 uncompressed).
    pub fn provision(
        &mut self,
        pin_max_tries: u8,
        pin_throttle_ms: u32,
        issuer_key: &[u8; EC_POINT_LEN],
    ) -> Result<ProvisionReply, Error> {
        let req = ProvisionRequest {
            v: PROTOCOL_CURRENT,
            pin_max_tries,
            pin_throttle_ms,
            issuer_key: hex_string(issuer_key).map_err(|_| Error::RequestTooLarge)?,
        };
        self.call(Command::Provision, &req)
    }

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
    fn pin_session(&mut self, pan: Option<&str>) -> Result<PinChannel, Error> {
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
            signature: hex_string(&sig).map_err(|_| Error::Issuer)?,
        };
        self.call(Command::PinUnblock, &req)
    }
}

/// Client-side check of a key id (16 hex digits).
fn key_id(id: &str) -> Result<mfs_proto::KeyIdHex, Error> {
    if id.len() == 16 && id.bytes().all(|c| c.is_ascii_hexdigit()) {
        id.try_into().map_err(|_| Error::Input)
    } else {
        Err(Error::Input)
    }
}

fn unhex(s: &str) -> Result<Vec<u8>, Error> {
    crate::keys::hex_decode(s).ok_or(Error::BadReply)
}

impl<T: Transport> Client<T> {
    /// Generates a P-256 key pair inside the TA under `policy`.
    pub fn key_generate(&mut self, label: &str, policy: KeyPolicy) -> Result<KeyInfoReply, Error> {
        if !mfs_proto::valid_label(label) {
            return Err(Error::Input);
        }
        let req = KeyGenerateRequest {
            v: PROTOCOL_CURRENT,
            label: label.try_into().map_err(|_| Error::Input)?,
            policy,
        };
        self.call(Command::KeyGenerate, &req)
    }

    /// Every key, fetched page by page.
    pub fn key_list(&mut self) -> Result<Vec<KeySummary>, Error> {
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
            all.extend(page.keys);
            offset = offset.saturating_add(u16::try_from(KEY_LIST_PAGE).unwrap_or(u16::MAX));
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
    pub fn key_public(&mut self, id: &str) -> Result<crate::keys::EcPublicKey, Error> {
        crate::keys::EcPublicKey::from_sec1_hex(&self.key_info(id)?.public_key)
    }

    /// Deletes a key.
    pub fn key_delete(&mut self, id: &str) -> Result<KeyDeleteReply, Error> {
        self.call(Command::KeyDelete, &Self::key_request(id)?)
    }

    /// Signs `msg` (at most `SIGN_MESSAGE_MAX_LEN` bytes, not starting with
    /// the TA's reserved prefix): the DER ECDSA P-256/SHA-256 signature and
    /// the key's use count.
    pub fn key_sign(&mut self, id: &str, msg: &[u8]) -> Result<(Vec<u8>, u32), Error> {
        if msg.len() > SIGN_MESSAGE_MAX_LEN || msg.starts_with(RESERVED_PREFIX) {
            return Err(Error::Input);
        }
        let req = KeySignRequest {
            v: PROTOCOL_CURRENT,
            id: key_id(id)?,
            message: hex_string(msg).map_err(|_| Error::Input)?,
        };
        let r: KeySignReply = self.call(Command::KeySign, &req)?;
        Ok((unhex(&r.signature)?, r.uses))
    }

    /// The TA's raw attestation of a key (see [`crate::keys::verify_attestation`]).
    pub fn key_attest(
        &mut self,
        id: &str,
        challenge: &[u8],
        attest_key: Option<&str>,
    ) -> Result<KeyAttestReply, Error> {
        if challenge.len() > mfs_proto::CHALLENGE_MAX_LEN {
            return Err(Error::Input);
        }
        let req = KeyAttestRequest {
            v: PROTOCOL_CURRENT,
            id: key_id(id)?,
            challenge: hex_string(challenge).map_err(|_| Error::Input)?,
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
        pinned: Option<&crate::keys::EcPublicKey>,
    ) -> Result<crate::keys::Attestation, Error> {
        let public = self.key_public(id)?;
        let reply = self.key_attest(id, challenge, attest_key)?;
        crate::keys::verify_attestation(&reply, challenge, Some(&public), pinned)
            .map_err(Error::Attestation)
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
            blob: hex_string(blob).map_err(|_| Error::Input)?,
        };
        self.call(Command::KeyImport, &req)
    }

    /// Application deactivation (admin): destroys every key, the PIN, the
    /// policy and the TA-unique secret. Irreversible.
    pub fn wipe(&mut self) -> Result<WipeReply, Error> {
        self.call(
            Command::Wipe,
            &EmptyRequest {
                v: PROTOCOL_CURRENT,
            },
        )
    }
}

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
        record.check().map_err(|_| Error::Input)?;
        let id = key_id(id)?;
        let ch = self.pin_session(pan)?;
        let req = TxSignRequest {
            v: PROTOCOL_CURRENT,
            id: id.clone(),
            client_key: ch.client_key_hex()?,
            block: ch.block_hex(pin)?,
            pan: ch.pan_text.clone(),
            record: record.clone(),
        };
        let reply: TxSignReply = self.call(Command::TxSign, &req)?;
        let key = crate::keys::EcPublicKey::from_sec1_hex(&reply.public_key)?;
        let tx = crate::tx::verify(&reply, &key, None).map_err(Error::Tx)?;
        if &tx.record != record || unhex(&id)? != tx.key_id {
            return Err(Error::Tx(crate::tx::TxError::Encoding));
        }
        Ok(reply)
    }

    /// The event log's head, signed by the TA.
    pub fn log_head(&mut self, challenge: &[u8]) -> Result<LogHeadReply, Error> {
        if challenge.len() > mfs_proto::log::LOG_CHALLENGE_MAX_LEN {
            return Err(Error::Input);
        }
        let req = LogHeadRequest {
            v: PROTOCOL_CURRENT,
            challenge: hex_string(challenge).map_err(|_| Error::Input)?,
        };
        self.call(Command::LogHead, &req)
    }

    /// One page of log entries from `from`.
    pub fn log_read(&mut self, from: u64) -> Result<LogReadReply, Error> {
        self.call(
            Command::LogRead,
            &LogReadRequest {
                v: PROTOCOL_CURRENT,
                from,
            },
        )
    }

    /// The whole retained log with a signed head over `challenge`, checked
    /// (chain and signature) before it is returned.
    pub fn log_export(&mut self, challenge: &[u8]) -> Result<crate::log::Export, Error> {
        let head = self.log_head(challenge)?;
        let h = mfs_proto::log::Head::decode(&unhex(&head.statement)?).ok_or(Error::BadReply)?;
        let mut entries = Vec::new();
        let mut prev = h.checkpoint;
        let mut from = h.first_seq;
        while from < h.next_seq {
            let page = self.log_read(from)?;
            // The log rolled over while being read: the head no longer
            // describes what the TA holds.
            if page.first > from || page.entries.is_empty() {
                return Err(Error::BadReply);
            }
            for w in page.entries.iter().take_while(|w| w.seq < h.next_seq) {
                let kind = mfs_proto::log::EventKind::from_u8(w.kind).ok_or(Error::BadReply)?;
                let details = unhex(&w.details)?;
                let e = mfs_proto::log::Entry::new(w.seq, w.time, kind, &details, prev);
                prev = e.hash();
                entries.push(crate::log::exported(&e, &details));
                from = w.seq + 1;
            }
        }
        let x = crate::log::Export {
            format: crate::log::EXPORT_FORMAT.to_string(),
            head,
            entries,
        };
        crate::log::verify_export(&x, None, Some(challenge)).map_err(Error::Log)?;
        Ok(x)
    }
}

/// Client side of one PIN session.
struct PinChannel {
    key: TransportKey,
    client_key: [u8; EC_POINT_LEN],
    nonce: [u8; PIN_NONCE_LEN],
    pan: PanField,
    pan_text: Option<heapless::String<{ mfs_proto::pin::PAN_MAX_DIGITS }>>,
}

impl PinChannel {
    fn block(&self, pin: &Pin) -> Result<[u8; 16], Error> {
        let mut random = [0u8; 8];
        getrandom::fill(&mut random).map_err(|_| Error::Random)?;
        let block = self.key.encipher(pin, &self.pan, random);
        random.zeroize();
        Ok(block)
    }

    fn block_hex(&self, pin: &Pin) -> Result<mfs_proto::PinBlockHex, Error> {
        hex_string(&self.block(pin)?).map_err(|_| Error::RequestTooLarge)
    }

    fn client_key_hex(&self) -> Result<mfs_proto::EcPointHex, Error> {
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

#[cfg(test)]
mod test {
    use super::*;
    use crate::RawReply;
    use mfs_core::access::{AdminPolicy, ClientIdentity, LINUX_ROOT_USER_UUID};
    use mfs_core::mem::MemPlatform;
    use mfs_proto::Login;

    /// Runs requests through the TA's real dispatcher on an in-memory
    /// platform: the whole client/TA protocol, minus OP-TEE.
    struct InProcess {
        platform: MemPlatform,
        instance: mfs_core::Instance,
        session: mfs_core::Session,
        sent: Vec<Vec<u8>>,
    }

    impl InProcess {
        fn new(login: Login, uuid: [u8; 16]) -> Self {
            InProcess {
                platform: MemPlatform::new(),
                instance: mfs_core::Instance::default(),
                session: mfs_core::Session::open(
                    ClientIdentity { login, uuid },
                    &AdminPolicy::ROOT_USER,
                ),
                sent: Vec::new(),
            }
        }
    }

    impl Transport for InProcess {
        fn call(&mut self, cmd: u32, request: &[u8], reply: &mut [u8]) -> Result<RawReply, Error> {
            self.sent.push(request.to_vec());
            let r = mfs_core::invoke(
                &mut self.platform,
                &mut self.instance,
                &mut self.session,
                cmd,
                request,
                reply,
            );
            Ok(RawReply {
                status: r.status as u32,
                detail: r.detail,
                len: r.len,
            })
        }
    }

    fn issuer() -> crate::issuer::IssuerKey {
        crate::issuer::IssuerKey::from_pem(include_str!("../../tests/guest/issuer-test-key.pem"))
            .unwrap()
    }

    fn provisioned() -> Client<InProcess> {
        let mut c = Client::new(InProcess::new(Login::User, LINUX_ROOT_USER_UUID));
        c.provision(5, 0, &issuer().public_key().unwrap()).unwrap();
        c
    }

    #[test]
    fn typed_calls_round_trip() {
        let mut c = Client::new(InProcess::new(Login::User, LINUX_ROOT_USER_UUID));
        assert_eq!(c.ping(0xfeed).unwrap(), 0xfeed);
        let info = c.info().unwrap();
        assert!(info.admin);
        assert!(!info.provisioned);
        let key = issuer().public_key().unwrap();
        assert_eq!(c.provision(5, 100, &key).unwrap().pin_max_tries, 5);
        assert_eq!(c.info().unwrap().pin_max_tries, Some(5));
        let e = c.provision(5, 100, &key).unwrap_err();
        assert_eq!(e.status(), Some(Status::AlreadyProvisioned));
        // every request carried the protocol version
        for req in &c.transport_mut().sent {
            assert!(
                req.starts_with(b"{\"v\":1"),
                "{}",
                String::from_utf8_lossy(req)
            );
        }
    }

    #[test]
    fn refusals_are_typed_errors() {
        let mut c = Client::new(InProcess::new(Login::Public, [0; 16]));
        assert_eq!(
            c.provision(5, 0, &issuer().public_key().unwrap()),
            Err(Error::Status {
                status: Status::AccessDenied,
                detail: 0
            })
        );
        assert!(!c.info().unwrap().admin);
    }

    #[test]
    fn pin_lifecycle_through_the_client() {
        let mut c = provisioned();
        let pin = Pin::new("4739").unwrap();
        let wrong = Pin::new("0000").unwrap();
        assert!(!c.pin_status().unwrap().set);
        assert_eq!(c.pin_set(&pin, None).unwrap().tries_left, 5);
        assert_eq!(
            c.pin_verify(&wrong, None),
            Err(Error::Status {
                status: Status::PinIncorrect,
                detail: 4
            })
        );
        assert_eq!(c.pin_verify(&pin, None).unwrap().tries_left, 5);
        // a PAN-bound PIN block only verifies with the same PAN on both sides
        assert!(c.pin_verify(&pin, Some("4111111111111111")).is_ok());
        let new = Pin::new("123456").unwrap();
        c.pin_change(&pin, &new, None).unwrap();
        for _ in 0..5 {
            let _ = c.pin_verify(&wrong, None);
        }
        assert_eq!(
            c.pin_verify(&new, None).unwrap_err().status(),
            Some(Status::PinBlocked)
        );
        let forger = p256::ecdsa::SigningKey::from_slice(&[0x43; 32]).unwrap();
        let r = c.pin_unblock(&pin, None, |m| {
            use p256::ecdsa::signature::Signer;
            let sig: p256::ecdsa::DerSignature = forger.sign(m);
            Ok(sig.as_bytes().to_vec())
        });
        assert_eq!(r.unwrap_err().status(), Some(Status::CryptoFailure));
        let r = c.pin_unblock(&pin, None, |m| Ok(issuer().sign(m))).unwrap();
        assert_eq!((r.blocked, r.tries_left), (false, 5));
        assert!(c.pin_verify(&pin, None).is_ok());
    }

    #[test]
    fn clear_pin_never_leaves_the_client() {
        let mut c = provisioned();
        let digits = "739146285037";
        let pin = Pin::new(digits).unwrap();
        c.pin_set(&pin, None).unwrap();
        c.pin_verify(&pin, None).unwrap();
        c.pin_change(&pin, &Pin::new("987654321098").unwrap(), None)
            .unwrap();
        let bcd = "739146285037";
        for req in &c.transport_mut().sent {
            let text = String::from_utf8_lossy(req).to_lowercase();
            // neither the ASCII digits nor their BCD/hex form appear
            assert!(!text.contains(digits) && !text.contains(bcd), "{text}");
            assert!(!text.contains("987654321098"), "{text}");
        }
    }

    #[test]
    fn bad_local_input_is_refused_before_sending() {
        let mut c = provisioned();
        let sent = c.transport_mut().sent.len();
        assert_eq!(Pin::new("12").err(), Some(mfs_proto::pin::PinError::BadPin));
        let pin = Pin::new("1234").unwrap();
        assert_eq!(c.pin_set(&pin, Some("12ab")), Err(Error::BadPan));
        assert_eq!(c.transport_mut().sent.len(), sent);
    }

    fn sign_policy() -> KeyPolicy {
        KeyPolicy {
            exportable: true,
            ..KeyPolicy::plain(mfs_proto::Purpose::Sign)
        }
    }

    #[test]
    fn payment_with_consent_and_an_exported_log() {
        let mut c = provisioned();
        let pin = Pin::new("2580").unwrap();
        c.pin_set(&pin, None).unwrap();
        let policy = KeyPolicy {
            pin: mfs_proto::PinRule::PerUse,
            ..sign_policy()
        };
        let k = c.key_generate("pay", policy).unwrap();
        let record = TxRecord {
            amount: 1250,
            currency: "EUR".try_into().unwrap(),
            payee: "ACME".try_into().unwrap(),
            display: "Pay 12.50 EUR to ACME?".try_into().unwrap(),
            challenge: "0f".repeat(16).as_str().try_into().unwrap(),
            time: 1_763_800_000,
        };
        let r1 = c.tx_sign(&k.id, &pin, None, &record).unwrap();
        let r2 = c.tx_sign(&k.id, &pin, None, &record).unwrap();
        let trusted = c.key_public(&k.id).unwrap();
        let v = crate::tx::verify_series(&[r1.clone(), r2.clone()], &trusted, None).unwrap();
        assert_eq!((v[0].counter, v[1].counter), (1, 2));
        assert!(crate::tx::verify(&r1, &trusted, Some(&[0x0f; 16])).is_ok());
        // the same signed transaction twice is a replay
        assert_eq!(
            crate::tx::verify_series(&[r2.clone(), r2], &trusted, None).err(),
            Some((
                1,
                crate::tx::TxError::Counter {
                    counter: 2,
                    previous: 2
                }
            ))
        );
        // a wrong PIN signs nothing
        let wrong = Pin::new("0000").unwrap();
        assert_eq!(
            c.tx_sign(&k.id, &wrong, None, &record)
                .err()
                .and_then(|e| e.status()),
            Some(Status::PinIncorrect)
        );
        // the log: exported, verified, pinned to the attestation key
        let x = c.log_export(b"audit-1").unwrap();
        let att = crate::keys::EcPublicKey::from_sec1_hex(&x.head.attestation_key).unwrap();
        let head = crate::log::verify_export(&x, Some(&att), Some(b"audit-1")).unwrap();
        assert_eq!(head.next_seq, x.entries.len() as u64);
        let kinds: Vec<&str> = x.entries.iter().map(|e| e.kind.as_str()).collect();
        assert_eq!(
            kinds,
            [
                "provisioned",
                "pin-set",
                "key-generated",
                "pin-verified",
                "tx-signed",
                "pin-verified",
                "tx-signed",
                "pin-failed"
            ]
        );
        assert_eq!(
            crate::log::verify_export(&x, Some(&trusted), None).err(),
            Some(crate::log::LogError::NotPinned)
        );
        // edited on the host: the right entry is named
        let mut edited = x.clone();
        edited.entries[4].time += 60;
        assert_eq!(
            crate::log::verify_export(&edited, None, None).err(),
            Some(crate::log::LogError::Entry {
                index: 4,
                seq: 4,
                fault: crate::log::EntryFault::Altered
            })
        );
        let mut removed = x.clone();
        removed.entries.remove(7);
        assert_eq!(
            crate::log::verify_export(&removed, None, None).err(),
            Some(crate::log::LogError::Truncated { expected: 7 })
        );
        let mut forged = x;
        forged.entries[2].details = "00".repeat(27);
        assert!(matches!(
            crate::log::verify_export(&forged, None, None).err(),
            Some(crate::log::LogError::Entry { index: 2, .. })
        ));
    }

    #[test]
    fn key_lifecycle_through_the_client() {
        let mut c = provisioned();
        let k = c.key_generate("pay", sign_policy()).unwrap();
        let public = c.key_public(&k.id).unwrap();
        let (sig, _) = c.key_sign(&k.id, b"pay 10.00 EUR to shop").unwrap();
        assert!(public.verify(b"pay 10.00 EUR to shop", &sig));
        assert!(!public.verify(b"pay 99.00 EUR to shop", &sig));
        // attestation: verified end to end, wrong expectations refused
        let a = c.key_attest_verified(&k.id, b"chal", None, None).unwrap();
        assert_eq!(a.statement.label.as_str(), "pay");
        let reply = c.key_attest(&k.id, b"chal", None).unwrap();
        assert_eq!(
            crate::keys::verify_attestation(&reply, b"other", None, None).err(),
            Some(crate::keys::AttestationError::ChallengeMismatch)
        );
        let other = c.key_generate("other", sign_policy()).unwrap();
        let other_pub = c.key_public(&other.id).unwrap();
        assert_eq!(
            crate::keys::verify_attestation(&reply, b"chal", Some(&other_pub), None).err(),
            Some(crate::keys::AttestationError::KeyMismatch)
        );
        assert_eq!(
            crate::keys::verify_attestation(&reply, b"chal", None, Some(&other_pub)).err(),
            Some(crate::keys::AttestationError::UntrustedAttestationKey)
        );
        // the label's first byte changed from 'p' (0x70) to 'q' (0x71)
        let mut forged = reply.clone();
        let at = 2 * (16 + 16 + 8 + 19 + 1) + 1;
        assert_eq!(&reply.statement[at - 1..=at], "70");
        let text: String = forged
            .statement
            .chars()
            .enumerate()
            .map(|(i, ch)| if i == at { '1' } else { ch })
            .collect();
        forged.statement = text.as_str().try_into().unwrap();
        assert_eq!(
            crate::keys::verify_attestation(&forged, b"chal", None, None).err(),
            Some(crate::keys::AttestationError::BadSignature)
        );
        // export, delete, import
        let blob = c.key_export(&k.id).unwrap();
        c.key_delete(&k.id).unwrap();
        assert_eq!(
            c.key_sign(&k.id, b"x").unwrap_err().status(),
            Some(Status::KeyNotFound)
        );
        let mut bad = blob.clone();
        bad[40] ^= 1;
        assert_eq!(
            c.key_import(&bad).unwrap_err().status(),
            Some(Status::BlobRejected)
        );
        assert_eq!(c.key_import(&blob).unwrap().id, k.id);
        assert_eq!(c.key_list().unwrap().len(), 2);
        // local checks before sending
        assert_eq!(c.key_sign("nothex", b"x"), Err(Error::Input));
        assert_eq!(c.key_sign(&k.id, b"mfs-ta/tx"), Err(Error::Input));
        assert_eq!(
            c.key_generate("bad label", sign_policy()),
            Err(Error::Input)
        );
        // wipe: nothing left
        assert!(c.wipe().unwrap().objects_destroyed >= 4);
        assert_eq!(
            c.key_sign(&k.id, b"x").unwrap_err().status(),
            Some(Status::NotProvisioned)
        );
        assert!(!c.info().unwrap().provisioned);
    }

    #[test]
    fn key_list_pages_through_everything() {
        let mut c = provisioned();
        for i in 0..30 {
            c.key_generate(&format!("k{i}"), sign_policy()).unwrap();
        }
        let all = c.key_list().unwrap();
        assert_eq!(all.len(), 30);
        assert_eq!(all[29].label.as_str(), "k29");
    }

    #[test]
    fn wipe_needs_admin() {
        let mut c = Client::new(InProcess::new(Login::Public, [0; 16]));
        assert_eq!(c.wipe().unwrap_err().status(), Some(Status::AccessDenied));
    }

    struct Scripted(RawReply, &'static [u8]);
    impl Transport for Scripted {
        fn call(&mut self, _: u32, _: &[u8], reply: &mut [u8]) -> Result<RawReply, Error> {
            reply[..self.1.len()].copy_from_slice(self.1);
            Ok(self.0)
        }
    }

    #[test]
    fn malformed_replies_are_errors_not_panics() {
        let ok = |len| RawReply {
            status: 0,
            detail: 0,
            len,
        };
        assert_eq!(
            Client::new(Scripted(ok(3), b"{x}")).ping(1),
            Err(Error::BadReply)
        );
        assert_eq!(
            Client::new(Scripted(ok(5000), b"")).ping(1),
            Err(Error::BadReply)
        );
        let unknown = RawReply {
            status: 77,
            detail: 0,
            len: 0,
        };
        assert_eq!(
            Client::new(Scripted(unknown, b"")).ping(1),
            Err(Error::UnknownStatus(77))
        );
    }
}
