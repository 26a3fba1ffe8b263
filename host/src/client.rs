//! Typed calls to the TA.

use mfs_proto::pin::{EC_POINT_LEN, PIN_NONCE_LEN, PanField, Pin, TransportKey, unblock_message};
use mfs_proto::{
    Command, EmptyRequest, InfoReply, MAX_REPLY_LEN, MAX_REQUEST_LEN, PROTOCOL_CURRENT,
    PinChangeRequest, PinRequest, PinSessionReply, PinStatusReply, PinUnblockRequest, PingReply,
    PingRequest, ProvisionReply, ProvisionRequest, Status, decode, encode, hex_bytes, hex_string,
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
