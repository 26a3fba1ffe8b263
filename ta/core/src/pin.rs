//! PIN enrolment, verification, change, status and issuer unblock
//! (ISO/TS 12812-2 7.3.2, 7.3.4, 12.2; ISO 9564-1).
//!
//! # Storage
//!
//! Object `pin`, layout version 1 (51 bytes):
//!
//! | offset | size | field |
//! |---|---|---|
//! | 0 | 1 | layout version = 1 |
//! | 1 | 1 | try limit (copied from the provisioned policy) |
//! | 2 | 1 | tries left |
//! | 3 | 16 | random salt (new for every PIN) |
//! | 19 | 32 | HMAC-SHA-256(K_pin, salt ‖ length ‖ digits) |
//!
//! `K_pin` = HKDF-SHA-256 of the TA-unique secret with info
//! `"mfs-ta/pin-hash/v1"`. The clear PIN is never stored; the hash is
//! compared in constant time.
//!
//! # The retry counter (power-loss safe)
//!
//! Every check of a PIN: read the record → if no tries are left, refuse
//! (`pin-blocked`) → write the record with one try fewer (**write 1**; if
//! this write fails nothing is compared) → compare → on a match write the
//! record with the full count, or the new PIN for a change (**write 2**).
//! Each write atomically replaces the one object, so a power cut leaves
//! either the old or the new record: a cut can cost a try, never give one.
//!
//! # Throttling
//!
//! Once three tries in a row have failed, the TA refuses further tries
//! (`pin-throttled`, no try used) until `throttle_ms << min(fails − 3, 6)`
//! milliseconds of TEE system time have passed since the last failure. The
//! time of the last failure lives in TA instance memory: a reboot resets the
//! delay, never the counter, which is the real limit.
//!
//! # Protected entry
//!
//! Every PIN arrives as an ISO 9564-1 format 4 block under a key agreed
//! with the TA's single-use ephemeral key of this session
//! ([`open_session`]); see `mfs_proto::pin`. The unblock additionally needs
//! the issuer's ECDSA signature over the session nonce and the new block.

use core::fmt;

use mfs_proto::pin::{
    EC_POINT_LEN, PIN_BLOCK_LEN, PIN_NONCE_LEN, PanField, Pin, TransportKey, unblock_message,
};
use mfs_proto::{
    DER_SIGNATURE_MAX_LEN, PinChangeRequest, PinRequest, PinSessionReply, PinStatusReply,
    PinUnblockRequest, hex_bytes, hex_prefix, hex_string,
};
use p256::SecretKey;
use zeroize::Zeroize;

use crate::Error;
use crate::config::Config;
use crate::crypto::{self, Key32};
use crate::log::{self as evlog, Event, PinContext};
use crate::platform::{ObjectId, Platform};
use mfs_proto::log::EventKind;

const LAYOUT_V1: u8 = 1;
const RECORD_LEN: usize = 3 + 16 + 32;
const HASH_INFO: &[u8] = b"mfs-ta/pin-hash/v1";
/// Failures in a row after which throttling starts.
pub const THROTTLE_AFTER: u8 = 3;

/// State kept per TA instance (not per session, not persisted).
#[derive(Debug, Default)]
pub struct Instance {
    /// TEE time of the last failed PIN try since the last success.
    last_failure_ms: Option<u64>,
    /// TEE time of the last successful PIN verification (for keys whose
    /// policy accepts a PIN within a time window).
    last_verified_ms: Option<u64>,
    /// The key-encryption key, once derived (zeroized on drop and on wipe).
    kek: Option<crate::crypto::Key32>,
    /// The event log's newest segment (see `crate::log`).
    pub(crate) log: Option<crate::log::State>,
}

impl Instance {
    /// TEE time of the last successful PIN verification, if any.
    pub fn last_verified_ms(&self) -> Option<u64> {
        self.last_verified_ms
    }

    /// Records a successful PIN verification at TEE time `now_ms`.
    pub fn pin_verified(&mut self, now_ms: u64) {
        self.last_verified_ms = Some(now_ms);
    }

    /// The key-encryption key: derived from the TA-unique secret on first
    /// use, then kept in TA memory so signing does not read the secret
    /// from storage each time.
    pub fn kek(&mut self, p: &mut impl Platform) -> Result<&crate::crypto::Key32, Error> {
        if self.kek.is_none() {
            self.kek = Some(crate::keys::kek(p)?);
        }
        self.kek.as_ref().ok_or(Error::Internal)
    }

    /// Forgets everything (after a wipe).
    pub fn reset(&mut self) {
        *self = Instance::default();
    }
}

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

/// The stored PIN record.
#[derive(Clone, PartialEq, Eq)]
struct Record {
    max_tries: u8,
    tries_left: u8,
    salt: [u8; 16],
    hash: [u8; 32],
}

impl fmt::Debug for Record {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Record")
            .field("max_tries", &self.max_tries)
            .field("tries_left", &self.tries_left)
            .finish_non_exhaustive()
    }
}

fn object_id() -> Result<ObjectId, Error> {
    ObjectId::new(b"pin").ok_or(Error::Internal)
}

fn pin_key(p: &mut impl Platform) -> Result<Key32, Error> {
    Ok(crate::secret::load(p)?.derive(HASH_INFO))
}

fn hash(key: &Key32, salt: &[u8; 16], pin: &Pin) -> [u8; 32] {
    let len = [u8::try_from(pin.digits().len()).unwrap_or(u8::MAX)];
    key.hmac(&[salt, &len, pin.digits()])
}

impl Record {
    fn new(p: &mut impl Platform, max_tries: u8, pin: &Pin) -> Result<Record, Error> {
        let mut salt = [0u8; 16];
        p.random(&mut salt)?;
        let hash = hash(&pin_key(p)?, &salt, pin);
        Ok(Record {
            max_tries,
            tries_left: max_tries,
            salt,
            hash,
        })
    }

    fn load(p: &mut impl Platform) -> Result<Option<Record>, Error> {
        let Some(bytes) = p.read(&object_id()?)? else {
            return Ok(None);
        };
        let r: &[u8; RECORD_LEN] = bytes.as_slice().try_into().map_err(|_| Error::Storage)?;
        let [LAYOUT_V1, max_tries, tries_left, rest @ ..] = *r else {
            return Err(Error::Storage);
        };
        if max_tries == 0 || tries_left > max_tries {
            return Err(Error::Storage);
        }
        let (salt, hash) = rest.split_at(16);
        Ok(Some(Record {
            max_tries,
            tries_left,
            salt: salt.try_into().map_err(|_| Error::Storage)?,
            hash: hash.try_into().map_err(|_| Error::Storage)?,
        }))
    }

    fn store(&self, p: &mut impl Platform) -> Result<(), Error> {
        let mut r: [u8; RECORD_LEN] = crate::platform::concat(&[
            &[LAYOUT_V1, self.max_tries, self.tries_left],
            &self.salt,
            &self.hash,
        ])?;
        let result = p.write(&object_id()?, &r);
        r.zeroize();
        Ok(result?)
    }

    fn matches(&self, key: &Key32, pin: &Pin) -> bool {
        crypto::ct_eq(&hash(key, &self.salt, pin), &self.hash)
    }
}

fn throttle_left(p: &mut impl Platform, inst: &Instance, cfg: &Config, rec: &Record) -> u32 {
    let fails = rec.max_tries.saturating_sub(rec.tries_left);
    if cfg.pin_throttle_ms == 0 || fails < THROTTLE_AFTER || rec.tries_left == 0 {
        return 0;
    }
    let Some(last) = inst.last_failure_ms else {
        return 0;
    };
    let gap = u64::from(cfg.pin_throttle_ms) << (fails - THROTTLE_AFTER).min(6);
    let elapsed = p.now_ms().saturating_sub(last);
    u32::try_from(gap.saturating_sub(elapsed)).unwrap_or(u32::MAX)
}

fn status_of(
    p: &mut impl Platform,
    inst: &Instance,
    cfg: &Config,
    rec: Option<&Record>,
) -> PinStatusReply {
    match rec {
        None => PinStatusReply {
            set: false,
            blocked: false,
            tries_left: cfg.pin_max_tries,
            max_tries: cfg.pin_max_tries,
            throttle_ms: 0,
        },
        Some(r) => PinStatusReply {
            set: true,
            blocked: r.tries_left == 0,
            tries_left: r.tries_left,
            max_tries: r.max_tries,
            throttle_ms: throttle_left(p, inst, cfg, r),
        },
    }
}

/// `PinStatus`.
pub fn status(p: &mut impl Platform, inst: &Instance) -> Result<PinStatusReply, Error> {
    let cfg = Config::require(p)?;
    let rec = Record::load(p)?;
    Ok(status_of(p, inst, &cfg, rec.as_ref()))
}

/// Writes the outcome of a successful PIN command (a new record, or the
/// full count after a match) and clears the throttle timer.
fn commit(
    p: &mut impl Platform,
    inst: &mut Instance,
    cfg: &Config,
    rec: &Record,
) -> Result<PinStatusReply, Error> {
    rec.store(p)?;
    inst.last_failure_ms = None;
    Ok(status_of(p, inst, cfg, Some(rec)))
}

/// [`commit`] after the user's PIN matched (verify, change): also opens
/// the PIN time window of keys that have one.
fn commit_verified(
    p: &mut impl Platform,
    inst: &mut Instance,
    cfg: &Config,
    rec: &Record,
) -> Result<PinStatusReply, Error> {
    let reply = commit(p, inst, cfg, rec)?;
    let now = p.now_ms();
    inst.pin_verified(now);
    Ok(reply)
}

/// Opens the PIN block(s) of one request with the session's key.
struct Opened {
    key: TransportKey,
    pan: PanField,
    client_key: [u8; EC_POINT_LEN],
    nonce: [u8; PIN_NONCE_LEN],
}

fn open(
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

fn block_of(hex: &str) -> Result<[u8; PIN_BLOCK_LEN], Error> {
    hex_bytes(hex).ok_or(Error::BadRequest)
}

impl Opened {
    fn pin(&self, block: &[u8; PIN_BLOCK_LEN]) -> Result<Pin, Error> {
        self.key
            .decipher(block, &self.pan)
            .map_err(|_| Error::Crypto)
    }
}

/// `PinSet`: first enrolment.
pub fn set(
    p: &mut impl Platform,
    inst: &mut Instance,
    slot: &mut Option<PinSession>,
    req: &PinRequest,
) -> Result<PinStatusReply, Error> {
    let opened = open(slot, &req.client_key, req.pan.as_deref())?;
    let block = block_of(&req.block)?;
    let cfg = Config::require(p)?;
    if Record::load(p)?.is_some() {
        return Err(Error::PinAlreadySet);
    }
    let pin = opened.pin(&block)?;
    let rec = Record::new(p, cfg.pin_max_tries, &pin)?;
    let reply = commit(p, inst, &cfg, &rec)?;
    evlog::append(p, inst, &[Event::plain(EventKind::PinSet)])?;
    Ok(reply)
}

/// Checks `pin` against the record with the power-loss-safe counter; on
/// success the record holds one try fewer in storage and the caller must
/// write the outcome (write 2).
fn check(
    p: &mut impl Platform,
    inst: &mut Instance,
    cfg: &Config,
    rec: &mut Record,
    pin: &Pin,
) -> Result<(), Error> {
    if rec.tries_left == 0 {
        return Err(Error::PinBlocked);
    }
    let wait = throttle_left(p, inst, cfg, rec);
    if wait > 0 {
        return Err(Error::PinThrottled(wait));
    }
    let key = pin_key(p)?;
    rec.tries_left -= 1;
    // Write 1: the decremented counter is persisted before comparing; a
    // failed write fails closed with no comparison made.
    rec.store(p)?;
    if !rec.matches(&key, pin) {
        inst.last_failure_ms = Some(p.now_ms());
        return Err(if rec.tries_left == 0 {
            Error::PinBlocked
        } else {
            Error::PinIncorrect(rec.tries_left)
        });
    }
    Ok(())
}

/// [`check`], logging a wrong or blocked PIN before the caller learns it.
fn checked(
    p: &mut impl Platform,
    inst: &mut Instance,
    cfg: &Config,
    rec: &mut Record,
    pin: &Pin,
    ctx: PinContext,
) -> Result<(), Error> {
    let result = check(p, inst, cfg, rec, pin);
    evlog::record(p, inst, result, |r| {
        r.as_ref().err().and_then(|e| Event::pin_refused(ctx, *e))
    })
}

/// `PinVerify`.
pub fn verify(
    p: &mut impl Platform,
    inst: &mut Instance,
    slot: &mut Option<PinSession>,
    req: &PinRequest,
) -> Result<PinStatusReply, Error> {
    let opened = open(slot, &req.client_key, req.pan.as_deref())?;
    let block = block_of(&req.block)?;
    let cfg = Config::require(p)?;
    let mut rec = Record::load(p)?.ok_or(Error::PinNotSet)?;
    let pin = opened.pin(&block)?;
    checked(p, inst, &cfg, &mut rec, &pin, PinContext::Verify)?;
    // Write 2: a match restores the full count.
    rec.tries_left = rec.max_tries;
    let reply = commit_verified(p, inst, &cfg, &rec)?;
    evlog::append(p, inst, &[Event::pin_verified(PinContext::Verify)])?;
    Ok(reply)
}

/// A PIN block received with a transaction, its PIN session consumed.
pub(crate) struct Consent {
    opened: Opened,
    block: [u8; PIN_BLOCK_LEN],
}

impl fmt::Debug for Consent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Consent(..)")
    }
}

/// Takes the session's PIN block for a transaction (the session is used
/// up whatever happens next).
pub(crate) fn begin_consent(
    slot: &mut Option<PinSession>,
    client_key: &str,
    pan: Option<&str>,
    block: &str,
) -> Result<Consent, Error> {
    let opened = open(slot, client_key, pan)?;
    Ok(Consent {
        opened,
        block: block_of(block)?,
    })
}

/// Verifies the PIN of a transaction exactly like `PinVerify` (counter
/// persisted first, failures logged); on success the full count is
/// written back. The caller logs the success with what it authorizes.
pub(crate) fn consent(
    p: &mut impl Platform,
    inst: &mut Instance,
    cfg: &Config,
    c: Consent,
) -> Result<(), Error> {
    let mut rec = Record::load(p)?.ok_or(Error::PinNotSet)?;
    let pin = c.opened.pin(&c.block)?;
    checked(p, inst, cfg, &mut rec, &pin, PinContext::TxSign)?;
    rec.tries_left = rec.max_tries;
    commit_verified(p, inst, cfg, &rec)?;
    Ok(())
}

/// `PinChange`: the old PIN is checked like a verify; the new PIN replaces
/// it (with the full count) in the same write that would reset the count.
pub fn change(
    p: &mut impl Platform,
    inst: &mut Instance,
    slot: &mut Option<PinSession>,
    req: &PinChangeRequest,
) -> Result<PinStatusReply, Error> {
    let opened = open(slot, &req.client_key, req.pan.as_deref())?;
    let old_block = block_of(&req.old_block)?;
    let new_block = block_of(&req.new_block)?;
    let cfg = Config::require(p)?;
    let mut rec = Record::load(p)?.ok_or(Error::PinNotSet)?;
    let old = opened.pin(&old_block)?;
    let new = opened.pin(&new_block)?;
    checked(p, inst, &cfg, &mut rec, &old, PinContext::Change)?;
    let fresh = Record::new(p, rec.max_tries, &new)?;
    let reply = commit_verified(p, inst, &cfg, &fresh)?;
    evlog::append(p, inst, &[Event::plain(EventKind::PinChanged)])?;
    Ok(reply)
}

/// `PinUnblock`: a new PIN with the full count, authorised by the issuer's
/// signature over this session's nonce and the new block.
pub fn unblock(
    p: &mut impl Platform,
    inst: &mut Instance,
    slot: &mut Option<PinSession>,
    req: &PinUnblockRequest,
) -> Result<PinStatusReply, Error> {
    let opened = open(slot, &req.client_key, req.pan.as_deref())?;
    let block = block_of(&req.block)?;
    let mut der = [0u8; DER_SIGNATURE_MAX_LEN];
    let sig = hex_prefix(&req.signature, &mut der).ok_or(Error::BadRequest)?;
    let cfg = Config::require(p)?;
    let rec = Record::load(p)?.ok_or(Error::PinNotSet)?;
    let msg = unblock_message(&opened.nonce, &opened.client_key, &block, &opened.pan);
    crypto::verify_der(&cfg.issuer_key, &msg, sig)?;
    let pin = opened.pin(&block)?;
    let fresh = Record::new(p, rec.max_tries, &pin)?;
    let reply = commit(p, inst, &cfg, &fresh)?;
    evlog::append(p, inst, &[Event::plain(EventKind::PinUnblocked)])?;
    Ok(reply)
}

#[cfg(test)]
pub(crate) mod test {
    use super::*;
    use crate::mem::MemPlatform;
    use alloc::string::String;
    use mfs_proto::PROTOCOL_CURRENT;
    use p256::ecdsa::{DerSignature, SigningKey, signature::Signer};

    /// The client side of a PIN session, as the host library does it.
    pub(crate) struct Client {
        secret: SecretKey,
        key: TransportKey,
        client_key: [u8; 65],
        nonce: [u8; 16],
    }

    pub(crate) fn client(p: &mut MemPlatform, slot: &mut Option<PinSession>) -> Client {
        let reply = open_session(p, slot).unwrap();
        let ta_key: [u8; 65] = hex_bytes(&reply.ta_key).unwrap();
        let secret = crypto::random_secret_key(p).unwrap();
        let client_key = crypto::sec1_uncompressed(&secret.public_key()).unwrap();
        let shared = crypto::ecdh(&secret, &crypto::parse_point(&ta_key).unwrap());
        Client {
            key: TransportKey::derive(&shared, &ta_key, &client_key),
            secret,
            client_key,
            nonce: hex_bytes(&reply.nonce).unwrap(),
        }
    }

    impl Client {
        fn block(&self, pin: &str) -> String {
            let b = self.key.encipher(
                &Pin::new(pin).unwrap(),
                &PanField::new(None).unwrap(),
                [9; 8],
            );
            String::from(hex_string::<32>(&b).unwrap().as_str())
        }
        pub(crate) fn request(&self, pin: &str) -> PinRequest {
            PinRequest {
                v: PROTOCOL_CURRENT,
                client_key: hex_string(&self.client_key).unwrap(),
                block: self.block(pin).as_str().try_into().unwrap(),
                pan: None,
            }
        }
        fn change(&self, old: &str, new: &str) -> PinChangeRequest {
            PinChangeRequest {
                v: PROTOCOL_CURRENT,
                client_key: hex_string(&self.client_key).unwrap(),
                old_block: self.block(old).as_str().try_into().unwrap(),
                new_block: self.block(new).as_str().try_into().unwrap(),
                pan: None,
            }
        }
        fn unblock(&self, pin: &str, issuer: &SigningKey) -> PinUnblockRequest {
            let block: [u8; 16] = hex_bytes(&self.block(pin)).unwrap();
            let msg = unblock_message(
                &self.nonce,
                &self.client_key,
                &block,
                &PanField::new(None).unwrap(),
            );
            let sig: DerSignature = issuer.sign(&msg);
            PinUnblockRequest {
                v: PROTOCOL_CURRENT,
                client_key: hex_string(&self.client_key).unwrap(),
                block: hex_string(&block).unwrap(),
                pan: None,
                signature: hex_string(sig.as_bytes()).unwrap(),
            }
        }
    }

    pub(crate) fn issuer() -> SigningKey {
        SigningKey::from_slice(&[0x42; 32]).unwrap()
    }

    pub(crate) fn provisioned(tries: u8, throttle: u32) -> MemPlatform {
        let mut p = MemPlatform::new();
        let issuer_pub = crypto::sec1_uncompressed(&(*issuer().verifying_key()).into()).unwrap();
        Config::new(tries, throttle, issuer_pub)
            .unwrap()
            .provision(&mut p)
            .unwrap();
        p
    }

    struct Ta {
        p: MemPlatform,
        inst: Instance,
        slot: Option<PinSession>,
    }

    impl Ta {
        fn new(tries: u8, throttle: u32) -> Ta {
            Ta {
                p: provisioned(tries, throttle),
                inst: Instance::default(),
                slot: None,
            }
        }
        fn set(&mut self, pin: &str) -> Result<PinStatusReply, Error> {
            let c = client(&mut self.p, &mut self.slot);
            set(&mut self.p, &mut self.inst, &mut self.slot, &c.request(pin))
        }
        fn verify(&mut self, pin: &str) -> Result<PinStatusReply, Error> {
            let c = client(&mut self.p, &mut self.slot);
            verify(&mut self.p, &mut self.inst, &mut self.slot, &c.request(pin))
        }
        fn change(&mut self, old: &str, new: &str) -> Result<PinStatusReply, Error> {
            let c = client(&mut self.p, &mut self.slot);
            change(
                &mut self.p,
                &mut self.inst,
                &mut self.slot,
                &c.change(old, new),
            )
        }
        fn unblock(&mut self, pin: &str, issuer: &SigningKey) -> Result<PinStatusReply, Error> {
            let c = client(&mut self.p, &mut self.slot);
            unblock(
                &mut self.p,
                &mut self.inst,
                &mut self.slot,
                &c.unblock(pin, issuer),
            )
        }
        /// Whether `pin` is the stored PIN (without using a try).
        fn is_pin(&mut self, pin: &str) -> bool {
            let rec = Record::load(&mut self.p).unwrap().unwrap();
            rec.matches(&pin_key(&mut self.p).unwrap(), &Pin::new(pin).unwrap())
        }
        fn tries_left(&mut self) -> Option<u8> {
            Record::load(&mut self.p).unwrap().map(|r| r.tries_left)
        }
        /// A reboot: instance memory and sessions are gone, storage stays.
        fn reboot(&mut self) {
            self.p.power_on();
            self.inst = Instance::default();
            self.slot = None;
        }
    }

    #[test]
    fn set_verify_lockout_and_reset() {
        let mut ta = Ta::new(5, 0);
        assert_eq!(ta.verify("1234"), Err(Error::PinNotSet));
        assert_eq!(ta.set("1234").unwrap().tries_left, 5);
        assert_eq!(ta.set("9999"), Err(Error::PinAlreadySet));
        for left in (1..=4).rev() {
            assert_eq!(ta.verify("0000"), Err(Error::PinIncorrect(left)));
        }
        assert_eq!(ta.verify("1234").unwrap().tries_left, 5);
        for left in (1..=4).rev() {
            assert_eq!(ta.verify("0000"), Err(Error::PinIncorrect(left)));
        }
        assert_eq!(ta.verify("0000"), Err(Error::PinBlocked));
        assert_eq!(ta.verify("1234"), Err(Error::PinBlocked));
        let st = status(&mut ta.p, &ta.inst).unwrap();
        assert!(st.blocked && st.set && st.tries_left == 0);
    }

    #[test]
    fn blocked_survives_reboot_and_only_issuer_unblocks() {
        let mut ta = Ta::new(3, 0);
        ta.set("1234").unwrap();
        for _ in 0..3 {
            let _ = ta.verify("1111");
        }
        ta.reboot();
        assert_eq!(ta.verify("1234"), Err(Error::PinBlocked));
        let forger = SigningKey::from_slice(&[0x43; 32]).unwrap();
        assert_eq!(ta.unblock("5678", &forger), Err(Error::Crypto));
        assert_eq!(ta.tries_left(), Some(0));
        assert_eq!(ta.unblock("5678", &issuer()).unwrap().tries_left, 3);
        assert_eq!(ta.verify("1234"), Err(Error::PinIncorrect(2)));
        assert!(ta.verify("5678").is_ok());
    }

    #[test]
    fn unblock_signature_is_bound_to_session_and_block() {
        let mut ta = Ta::new(3, 0);
        ta.set("1234").unwrap();
        // signature from one session replayed in another: nonce differs
        let c1 = client(&mut ta.p, &mut ta.slot);
        let req = c1.unblock("5678", &issuer());
        let _c2 = client(&mut ta.p, &mut ta.slot);
        assert_eq!(
            unblock(&mut ta.p, &mut ta.inst, &mut ta.slot, &req),
            Err(Error::Crypto)
        );
        // a different block under a valid signature
        let c3 = client(&mut ta.p, &mut ta.slot);
        let mut req = c3.unblock("5678", &issuer());
        req.block = c3.request("0000").block;
        assert_eq!(
            unblock(&mut ta.p, &mut ta.inst, &mut ta.slot, &req),
            Err(Error::Crypto)
        );
        assert!(ta.verify("1234").is_ok());
    }

    #[test]
    fn change_requires_the_old_pin() {
        let mut ta = Ta::new(5, 0);
        ta.set("1234").unwrap();
        assert_eq!(ta.change("9999", "5678"), Err(Error::PinIncorrect(4)));
        assert_eq!(ta.change("1234", "5678").unwrap().tries_left, 5);
        assert_eq!(ta.verify("1234"), Err(Error::PinIncorrect(4)));
        assert!(ta.verify("5678").is_ok());
    }

    #[test]
    fn session_is_single_use() {
        let mut ta = Ta::new(5, 0);
        ta.set("1234").unwrap();
        let c = client(&mut ta.p, &mut ta.slot);
        let req = c.request("1234");
        assert!(verify(&mut ta.p, &mut ta.inst, &mut ta.slot, &req).is_ok());
        // the same request (a replay) finds no session
        assert_eq!(
            verify(&mut ta.p, &mut ta.inst, &mut ta.slot, &req),
            Err(Error::PinSessionRequired)
        );
        // and is useless in a new session: different TA key
        let _ = client(&mut ta.p, &mut ta.slot);
        assert_eq!(
            verify(&mut ta.p, &mut ta.inst, &mut ta.slot, &req),
            Err(Error::Crypto)
        );
    }

    #[test]
    fn malformed_blocks_and_keys_use_no_try() {
        let mut ta = Ta::new(5, 0);
        ta.set("1234").unwrap();
        let c = client(&mut ta.p, &mut ta.slot);
        let mut req = c.request("1234");
        req.block = "00112233445566778899aabbccddeeff".try_into().unwrap();
        assert_eq!(
            verify(&mut ta.p, &mut ta.inst, &mut ta.slot, &req),
            Err(Error::Crypto)
        );
        let c = client(&mut ta.p, &mut ta.slot);
        let mut req = c.request("1234");
        req.client_key = hex_string(&[4u8; 65]).unwrap();
        assert_eq!(
            verify(&mut ta.p, &mut ta.inst, &mut ta.slot, &req),
            Err(Error::Crypto)
        );
        let c = client(&mut ta.p, &mut ta.slot);
        let mut req = c.request("1234");
        req.block = "zz".try_into().unwrap();
        assert_eq!(
            verify(&mut ta.p, &mut ta.inst, &mut ta.slot, &req),
            Err(Error::BadRequest)
        );
        assert_eq!(ta.tries_left(), Some(5));
    }

    #[test]
    fn throttle_after_three_failures_without_using_tries() {
        let mut ta = Ta::new(8, 1000);
        ta.set("1234").unwrap();
        for left in [7, 6, 5] {
            assert_eq!(ta.verify("0000"), Err(Error::PinIncorrect(left)));
        }
        assert_eq!(ta.verify("1234"), Err(Error::PinThrottled(1000)));
        assert_eq!(ta.tries_left(), Some(5));
        ta.p.advance_ms(400);
        assert_eq!(ta.verify("1234"), Err(Error::PinThrottled(600)));
        assert_eq!(status(&mut ta.p, &ta.inst).unwrap().throttle_ms, 600);
        ta.p.advance_ms(600);
        assert_eq!(ta.verify("0000"), Err(Error::PinIncorrect(4)));
        // the delay doubles
        assert_eq!(ta.verify("1234"), Err(Error::PinThrottled(2000)));
        ta.p.advance_ms(2000);
        assert!(ta.verify("1234").is_ok());
        assert_eq!(status(&mut ta.p, &ta.inst).unwrap().throttle_ms, 0);
    }

    #[test]
    fn no_session_no_config_errors() {
        let mut p = MemPlatform::new();
        let mut inst = Instance::default();
        let mut slot = None;
        let c = client(&mut p, &mut slot);
        assert_eq!(
            set(&mut p, &mut inst, &mut slot, &c.request("1234")),
            Err(Error::NotProvisioned)
        );
        assert_eq!(
            set(&mut p, &mut inst, &mut slot, &c.request("1234")),
            Err(Error::PinSessionRequired)
        );
        assert_eq!(status(&mut p, &inst), Err(Error::NotProvisioned));
        let _ = &c.secret;
    }

    #[test]
    fn record_never_holds_the_pin_and_debug_is_redacted() {
        let mut ta = Ta::new(5, 0);
        ta.set("739146285037").unwrap();
        let raw = ta.p.object_mut(&object_id().unwrap()).unwrap().clone();
        assert_eq!(raw.len(), RECORD_LEN);
        let bcd = [0x73, 0x91, 0x46, 0x28, 0x50, 0x37];
        assert!(!raw.windows(6).any(|w| w == bcd));
        assert!(!raw.windows(12).any(|w| w == b"739146285037"));
        let rec = Record::load(&mut ta.p).unwrap().unwrap();
        assert_eq!(
            format!("{rec:?}"),
            "Record { max_tries: 5, tries_left: 5, .. }"
        );
        let mut slot = None;
        let _ = open_session(&mut ta.p, &mut slot);
        assert_eq!(format!("{:?}", slot.unwrap()), "PinSession(..)");
    }

    #[test]
    fn corrupt_record_fails_closed() {
        let mut ta = Ta::new(5, 0);
        ta.set("1234").unwrap();
        let id = object_id().unwrap();
        let good = ta.p.object_mut(&id).unwrap().clone();
        for case in 0..4 {
            let mut bad = good.clone();
            match case {
                0 => bad[0] = 2,
                1 => bad[2] = 9,
                2 => bad[1] = 0,
                _ => {
                    bad.pop();
                }
            }
            *ta.p.object_mut(&id).unwrap() = bad;
            assert_eq!(ta.verify("1234"), Err(Error::Storage));
        }
    }

    // ---- fault injection: a power cut at every write point -------------

    /// Runs `op` with the power cut at write `n` (1-based; counted from the
    /// start of `op`), then reboots. Returns `None` once `op` completes
    /// with fewer than `n` writes (all points covered).
    fn with_cut(
        ta: &mut Ta,
        n: u64,
        op: impl FnOnce(&mut Ta) -> Result<PinStatusReply, Error>,
    ) -> Option<Result<PinStatusReply, Error>> {
        let before = ta.p.writes();
        ta.p.cut_power_at(n);
        let r = op(ta);
        let used = ta.p.writes() - before;
        ta.reboot();
        (used >= n).then_some(r)
    }

    /// The PIN that works after a cut: `a` or `b` (or both never).
    #[allow(clippy::unwrap_in_result)] // test helper: a storage error is a test failure
    fn working_pin(ta: &mut Ta, candidates: &[&str]) -> Option<String> {
        for pin in candidates {
            let before = ta.tries_left();
            if ta.verify(pin).is_ok() {
                return Some(String::from(*pin));
            }
            // a failed probe costs a try: put it back for the next probe
            if let Some(b) = before {
                let mut rec = Record::load(&mut ta.p).unwrap().unwrap();
                rec.tries_left = b;
                rec.store(&mut ta.p).unwrap();
            }
        }
        None
    }

    #[test]
    fn fault_injection_set() {
        for n in 1.. {
            let mut ta = Ta::new(5, 0);
            let Some(r) = with_cut(&mut ta, n, |ta| ta.set("1234")) else {
                break;
            };
            assert_eq!(r, Err(Error::Storage), "cut {n}");
            // nothing half-set: either no PIN (retry works) or the whole
            // PIN (its event-log append was cut: the reply never left)
            match n {
                1 => {
                    assert_eq!(ta.tries_left(), None);
                    assert!(ta.set("1234").is_ok());
                }
                _ => assert_eq!(ta.tries_left(), Some(5), "cut {n}"),
            }
            assert!(ta.verify("1234").is_ok());
        }
    }

    #[test]
    fn fault_injection_verify() {
        for pin in ["1234", "0000"] {
            for start_left in [5, 3, 1] {
                for n in 1.. {
                    let mut ta = Ta::new(5, 0);
                    ta.set("1234").unwrap();
                    let mut rec = Record::load(&mut ta.p).unwrap().unwrap();
                    rec.tries_left = start_left;
                    rec.store(&mut ta.p).unwrap();
                    let Some(r) = with_cut(&mut ta, n, |ta| ta.verify(pin)) else {
                        break;
                    };
                    assert_eq!(r, Err(Error::Storage), "{pin} left {start_left} cut {n}");
                    let left = ta.tries_left().unwrap();
                    // never gained on a wrong PIN (a correct PIN whose
                    // reset was cut costs the try it used)
                    if pin == "0000" {
                        assert!(left <= start_left, "{pin} cut {n}: {left} > {start_left}");
                    }
                    match (n, pin) {
                        // write 1 failed: nothing compared, nothing changed
                        (1, _) => assert_eq!(left, start_left),
                        // the reset (correct PIN) or the log append (wrong
                        // PIN) failed: the try stays used
                        (2, _) | (_, "0000") => assert_eq!(left, start_left - 1),
                        // the correct PIN's reset landed, its log append
                        // was cut: the reply never left the TA
                        _ => assert_eq!(left, 5),
                    }
                    // never bricked: the right PIN still works while tries
                    // are left, and an issuer unblock always does
                    if left > 0 {
                        assert!(ta.verify("1234").is_ok(), "{pin} cut {n}");
                    } else {
                        assert!(ta.unblock("1234", &issuer()).is_ok());
                    }
                }
            }
        }
    }

    #[test]
    fn fault_injection_change() {
        for n in 1.. {
            let mut ta = Ta::new(5, 0);
            ta.set("1234").unwrap();
            let Some(r) = with_cut(&mut ta, n, |ta| ta.change("1234", "5678")) else {
                break;
            };
            assert_eq!(r, Err(Error::Storage), "cut {n}");
            let left = ta.tries_left().unwrap();
            assert!(left <= 5);
            // the old PIN, or the whole new one once its record landed
            // (cut at the event-log append), never a mix
            let want = if n <= 2 { "1234" } else { "5678" };
            assert_eq!(
                working_pin(&mut ta, &["1234", "5678"]).as_deref(),
                Some(want),
                "cut {n}"
            );
        }
    }

    #[test]
    fn fault_injection_unblock() {
        for n in 1.. {
            let mut ta = Ta::new(3, 0);
            ta.set("1234").unwrap();
            for _ in 0..3 {
                let _ = ta.verify("0000");
            }
            let Some(r) = with_cut(&mut ta, n, |ta| ta.unblock("5678", &issuer())) else {
                break;
            };
            assert_eq!(r, Err(Error::Storage), "cut {n}");
            // still blocked, or unblocked whole (cut at the event-log
            // append); either way unblock can be repeated
            let want = if n == 1 { 0 } else { 3 };
            assert_eq!(ta.tries_left(), Some(want), "cut {n}");
            assert!(ta.unblock("5678", &issuer()).is_ok());
            assert!(ta.verify("5678").is_ok());
        }
    }

    #[test]
    fn counter_only_rises_on_correct_pin_or_unblock() {
        // A random walk of operations; after each, the counter may only
        // have risen if the operation was a successful verify, change or
        // unblock.
        let mut ta = Ta::new(5, 0);
        ta.set("1234").unwrap();
        let mut current = "1234";
        let mut seed = 7u32;
        for step in 0..300 {
            seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            let before = ta.tries_left().unwrap();
            let cut = (seed >> 8).is_multiple_of(4);
            if cut {
                ta.p.cut_power_at(u64::from(1 + (seed >> 12) % 2));
            }
            let (r, raised_ok) = match (seed >> 16) % 4 {
                0 => (ta.verify(current), true),
                1 => (ta.verify("0000"), false),
                2 => {
                    let next = if current == "1234" { "5678" } else { "1234" };
                    let r = ta.change(current, next);
                    ta.reboot();
                    // a change whose log append was cut has still landed
                    if ta.is_pin(next) {
                        current = next;
                    }
                    (r, true)
                }
                _ => (ta.unblock(current, &issuer()), true),
            };
            ta.reboot();
            let after = ta.tries_left().unwrap();
            if after > before {
                // only an operation that may raise it, and only if it got
                // as far as its own write (its reply may have been lost)
                assert!(
                    raised_ok && r != Err(Error::PinIncorrect(before.saturating_sub(1))),
                    "step {step}: {before} -> {after} by {r:?}"
                );
            }
        }
    }
}
