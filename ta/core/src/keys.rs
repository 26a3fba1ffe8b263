//! Keys generated and kept inside the TA, sealed, policy-bound
//! (ISO/TS 12812-2 7.4.2, 8.1.3, 8.2; ISO 11568).
//!
//! # Sealed blob, version 1
//!
//! Every private key is sealed with AES-256-GCM under
//! `KEK = HKDF-SHA-256(TA-unique secret, info = "mfs-ta/key-seal/v1")`:
//!
//! | offset | size | field | |
//! |---|---|---|---|
//! | 0 | 1 | version = 1 | AAD |
//! | 1 | 8 | key id | AAD |
//! | 9 | 19 | policy, binary form (`mfs_proto::keys`) | AAD |
//! | 28 | 1 | label length `L` (1..=32) | AAD |
//! | 29 | L | label | AAD |
//! | 29+L | 65 | public key, SEC1 uncompressed | AAD |
//! | 94+L | 12 | nonce (fresh from the TEE RNG for every seal) | |
//! | 106+L | 32 | ciphertext of the private scalar | |
//! | 138+L | 16 | GCM tag | |
//!
//! So the blob is `version ‖ attributes ‖ nonce ‖ ciphertext ‖ tag` with
//! everything before the nonce authenticated as AAD. Unsealing refuses an
//! unknown version, any flipped bit, a blob from another TA instance (other
//! secret) and a private key that does not match the public key, all with
//! the one opaque [`Error::BlobRejected`].
//!
//! # Storage
//!
//! Keys live in [`BUCKETS`] bucket objects chosen by the first byte of the
//! key id, not one object per key: OP-TEE's REE FS verifies and searches
//! its directory file on every object open, so the cost of opening an
//! object grows with the number of objects the TA owns. With buckets the
//! TA owns at most 37 objects whatever the number of keys, and a signature
//! opens exactly two (the secret and one bucket).
//!
//! * `kb/<nn>` (bucket `nn` = id\[0\] mod 32, two hex digits):
//!   `[1] ‖ n (u8, ≤ 64) ‖ n × (uses (u32 LE) ‖ blob length (u8) ‖ sealed
//!   blob)`. `uses` is counted (and persisted before the signature is
//!   released) only for keys with a usage limit; such keys are never
//!   exportable, so an old blob can never reset the count.
//! * `keys`: the index, `[1] ‖ n (u16 LE) ‖ n × id`, at most
//!   [`MAX_KEYS`] ids, for list, paging and the limit. Signing never reads it.
//! * `attest`: the TA's own attestation key, `[1] ‖ uses (u32 LE) ‖ sealed
//!   blob` with id 0 and purpose attest, made on first use, never exported
//!   or listed.
//!
//! Write order keeps power cuts harmless: generate/import write the bucket
//! before the index (a cut leaves an unreferenced key whose id was never
//! returned); delete writes the bucket before the index (a cut leaves a
//! dangling index entry that list skips and a second delete clears).

use core::fmt;

use aes_gcm::aead::AeadInOut;
use aes_gcm::{Aes256Gcm, KeyInit};
use alloc::vec::Vec;
use mfs_proto::pin::EC_POINT_LEN;
use mfs_proto::{
    CHALLENGE_MAX_LEN, KEY_ID_LEN, KEY_LIST_PAGE, KeyAttestReply, KeyAttestRequest, KeyDeleteReply,
    KeyExportReply, KeyGenerateRequest, KeyIdHex, KeyImportRequest, KeyInfoReply, KeyListReply,
    KeyPolicy, KeySignReply, KeySignRequest, KeySummary, Label, MAX_KEYS, PinRule, PolicyReason,
    Purpose, RESERVED_PREFIX, Reader, SEALED_BLOB_MAX_LEN, SIGN_MESSAGE_MAX_LEN, Statement, Writer,
    hex_bytes, hex_prefix, hex_string, valid_label,
};
use p256::SecretKey;
use p256::ecdsa::signature::Signer;
use p256::ecdsa::{DerSignature, SigningKey};
use zeroize::Zeroizing;

use crate::Error;
use crate::config::Config;
use crate::crypto::{self, Key32};
use crate::log::{self as evlog, Event};
use crate::pin::Instance;
use crate::platform::{ObjectId, Platform};
use mfs_proto::log::EventKind;

const BLOB_V1: u8 = 1;
const STORE_V1: u8 = 1;
const INDEX_V1: u8 = 1;
const BUCKET_V1: u8 = 1;
/// Bucket objects keys are spread over.
pub const BUCKETS: u8 = 32;
/// Most keys in one bucket (ids are random: with 1,000 keys a bucket holds
/// 31 on average; generate draws another id for a full bucket).
pub const BUCKET_MAX: usize = 64;
const SEAL_INFO: &[u8] = b"mfs-ta/key-seal/v1";
const NONCE_LEN: usize = 12;
const TAG_LEN: usize = 16;
const HEADER_MAX_LEN: usize = SEALED_BLOB_MAX_LEN - NONCE_LEN - 32 - TAG_LEN;
const ATTEST_LABEL: &str = "ta-attestation";

/// A key id: 8 random bytes, never zero (zero names the TA's attestation key).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KeyId(pub [u8; KEY_ID_LEN]);

impl KeyId {
    /// Parses hex text (a malformed id is a bad request).
    pub fn parse(hex: &str) -> Result<KeyId, Error> {
        hex_bytes(hex).map(KeyId).ok_or(Error::BadRequest)
    }

    fn hex(&self) -> Result<KeyIdHex, Error> {
        hex_string(&self.0).map_err(|_| Error::Internal)
    }
}

/// A key's public attributes (authenticated as AAD when sealed).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attributes {
    /// Key id.
    pub id: KeyId,
    /// Policy.
    pub policy: KeyPolicy,
    /// Label.
    pub label: Label,
    /// Public key, SEC1 uncompressed.
    pub public_key: [u8; EC_POINT_LEN],
}

impl Attributes {
    fn header(&self) -> Result<Writer<HEADER_MAX_LEN>, Error> {
        let mut w = Writer::new();
        (|| {
            w.u8(BLOB_V1)?;
            w.bytes(&self.id.0)?;
            w.bytes(&self.policy.to_bytes())?;
            w.short(self.label.as_bytes())?;
            w.bytes(&self.public_key)
        })()
        .ok_or(Error::Internal)?;
        Ok(w)
    }

    fn parse_header(r: &mut Reader<'_>) -> Option<Attributes> {
        if r.u8()? != BLOB_V1 {
            return None;
        }
        let id = KeyId(r.array()?);
        let policy = KeyPolicy::from_bytes(&r.array()?)?;
        let label = core::str::from_utf8(r.short()?).ok()?;
        if !valid_label(label) {
            return None;
        }
        Some(Attributes {
            id,
            policy,
            label: Label::try_from(label).ok()?,
            public_key: r.array()?,
        })
    }

    fn info(&self, uses: u32) -> Result<KeyInfoReply, Error> {
        Ok(KeyInfoReply {
            id: self.id.hex()?,
            label: self.label.clone(),
            policy: self.policy,
            public_key: hex_string(&self.public_key).map_err(|_| Error::Internal)?,
            uses,
        })
    }
}

/// A sealed blob (see the module docs).
pub type Blob = heapless::Vec<u8, SEALED_BLOB_MAX_LEN>;

/// Derives the key-encryption key from the TA-unique secret.
pub(crate) fn kek(p: &mut impl Platform) -> Result<Key32, Error> {
    Ok(crate::secret::load(p)?.derive(SEAL_INFO))
}

fn cipher(kek: &Key32) -> Result<Aes256Gcm, Error> {
    Aes256Gcm::new_from_slice(&kek.0).map_err(|_| Error::Internal)
}

/// Seals `secret` with `attrs` bound as AAD, under a fresh random nonce.
pub fn seal(
    p: &mut impl Platform,
    kek: &Key32,
    attrs: &Attributes,
    secret: &SecretKey,
) -> Result<Blob, Error> {
    let header = attrs.header()?;
    let mut nonce = [0u8; NONCE_LEN];
    p.random(&mut nonce)?;
    let mut buf: Zeroizing<[u8; 32]> = Zeroizing::new(secret.to_bytes().into());
    let tag = cipher(kek)?
        .encrypt_inout_detached(&nonce.into(), header.as_slice(), buf.as_mut_slice().into())
        .map_err(|_| Error::Crypto)?;
    let mut blob = Blob::new();
    for part in [header.as_slice(), &nonce, buf.as_slice(), tag.as_slice()] {
        blob.extend_from_slice(part).map_err(|_| Error::Internal)?;
    }
    Ok(blob)
}

/// Opens a blob: its attributes and private key, or [`Error::BlobRejected`].
pub fn unseal(kek: &Key32, blob: &[u8]) -> Result<(Attributes, SecretKey), Error> {
    unseal_inner(kek, blob).ok_or(Error::BlobRejected)
}

fn unseal_inner(kek: &Key32, blob: &[u8]) -> Option<(Attributes, SecretKey)> {
    let mut r = Reader::new(blob);
    let attrs = Attributes::parse_header(&mut r)?;
    let aad = blob.get(..blob.len().checked_sub(r.rest().len())?)?;
    let nonce: [u8; NONCE_LEN] = r.array()?;
    let mut buf: Zeroizing<[u8; 32]> = Zeroizing::new(r.array()?);
    let tag: [u8; TAG_LEN] = r.array()?;
    r.finish()?;
    cipher(kek)
        .ok()?
        .decrypt_inout_detached(&nonce.into(), aad, buf.as_mut_slice().into(), &tag.into())
        .ok()?;
    let secret = SecretKey::from_slice(buf.as_slice()).ok()?;
    let public = crypto::sec1_uncompressed(&secret.public_key()).ok()?;
    crypto::ct_eq(&public, &attrs.public_key).then_some((attrs, secret))
}

/// A key read from storage and unsealed.
struct Loaded {
    attrs: Attributes,
    secret: SecretKey,
    uses: u32,
    blob: Blob,
}

impl fmt::Debug for Loaded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Loaded")
            .field("attrs", &self.attrs)
            .field("uses", &self.uses)
            .finish_non_exhaustive()
    }
}

fn store_record(uses: u32, blob: &[u8]) -> Result<Vec<u8>, Error> {
    let mut rec = Vec::new();
    rec.try_reserve_exact(5 + blob.len())
        .map_err(|_| Error::Internal)?;
    rec.push(STORE_V1);
    rec.extend_from_slice(&uses.to_le_bytes());
    rec.extend_from_slice(blob);
    Ok(rec)
}

fn parse_record(bytes: &[u8]) -> Result<(u32, &[u8]), Error> {
    let mut r = Reader::new(bytes);
    match (r.u8(), r.array::<4>()) {
        (Some(STORE_V1), Some(uses)) => Ok((u32::from_le_bytes(uses), r.rest())),
        _ => Err(Error::Storage),
    }
}

fn load_object(p: &mut impl Platform, oid: &ObjectId, kek: &Key32) -> Result<Loaded, Error> {
    let bytes = p.read(oid)?.ok_or(Error::KeyNotFound)?;
    let (uses, blob) = parse_record(&bytes)?;
    let (attrs, secret) = unseal(kek, blob)?;
    Ok(Loaded {
        attrs,
        secret,
        uses,
        blob: Blob::from_slice(blob).map_err(|_| Error::Storage)?,
    })
}

/// One bucket of keys.
#[derive(Debug)]
struct Bucket {
    no: u8,
    entries: Vec<(u32, Blob)>,
}

impl Bucket {
    fn of(id: KeyId) -> u8 {
        let [first, ..] = id.0;
        first % BUCKETS
    }

    fn object_id(no: u8) -> Result<ObjectId, Error> {
        let hex: heapless::String<2> = hex_string(&[no]).map_err(|_| Error::Internal)?;
        let mut oid = [0u8; 5];
        let (prefix, rest) = oid.split_at_mut(3);
        prefix.copy_from_slice(b"kb/");
        rest.copy_from_slice(hex.as_bytes());
        ObjectId::new(&oid).ok_or(Error::Internal)
    }

    fn load(p: &mut impl Platform, no: u8) -> Result<Bucket, Error> {
        let mut b = Bucket {
            no,
            entries: Vec::new(),
        };
        let Some(bytes) = p.read(&Bucket::object_id(no)?)? else {
            return Ok(b);
        };
        let mut r = Reader::new(&bytes);
        let (Some(BUCKET_V1), Some(n)) = (r.u8(), r.u8()) else {
            return Err(Error::Storage);
        };
        if usize::from(n) > BUCKET_MAX {
            return Err(Error::Storage);
        }
        for _ in 0..n {
            let uses = r.array::<4>().map(u32::from_le_bytes);
            let blob = r.short().and_then(|s| Blob::from_slice(s).ok());
            match (uses, blob) {
                (Some(u), Some(blob)) => b.entries.push((u, blob)),
                _ => return Err(Error::Storage),
            }
        }
        r.finish().ok_or(Error::Storage)?;
        Ok(b)
    }

    fn store(&self, p: &mut impl Platform) -> Result<(), Error> {
        let n = u8::try_from(self.entries.len()).map_err(|_| Error::Internal)?;
        let mut out = Vec::new();
        out.try_reserve_exact(2 + self.entries.len() * (5 + SEALED_BLOB_MAX_LEN))
            .map_err(|_| Error::Internal)?;
        out.extend_from_slice(&[BUCKET_V1, n]);
        for (uses, blob) in &self.entries {
            out.extend_from_slice(&uses.to_le_bytes());
            out.push(u8::try_from(blob.len()).map_err(|_| Error::Internal)?);
            out.extend_from_slice(blob);
        }
        Ok(p.write(&Bucket::object_id(self.no)?, &out)?)
    }

    /// The entry whose blob names `id` (found by the unauthenticated
    /// header; the unseal that follows authenticates it).
    fn find(&self, id: KeyId) -> Option<usize> {
        self.entries
            .iter()
            .position(|(_, blob)| blob.get(1..1 + KEY_ID_LEN) == Some(&id.0[..]))
    }

    fn full(&self) -> bool {
        self.entries.len() >= BUCKET_MAX
    }
}

/// A key loaded from its bucket, and where it lives.
pub(crate) struct Stored {
    key: Loaded,
    bucket: Bucket,
    pos: usize,
}

impl Stored {
    /// Checks a use against the key's policy (refusals are logged).
    pub(crate) fn authorize(
        &self,
        p: &mut impl Platform,
        inst: &mut Instance,
        purpose: Purpose,
        proof: PinProof,
    ) -> Result<(), Error> {
        authorize(p, inst, &self.key, purpose, proof)
    }

    /// The key's public key, SEC1 uncompressed.
    pub(crate) fn public_key(&self) -> &[u8; EC_POINT_LEN] {
        &self.key.attrs.public_key
    }

    /// ECDSA P-256/SHA-256 over `msg` (the caller has authorized and
    /// logged the use).
    pub(crate) fn sign(&self, msg: &[u8]) -> Result<DerSignature, Error> {
        sign_der(&self.key.secret, msg)
    }
}

pub(crate) fn load(p: &mut impl Platform, id: KeyId, kek: &Key32) -> Result<Stored, Error> {
    let bucket = Bucket::load(p, Bucket::of(id))?;
    let pos = bucket.find(id).ok_or(Error::KeyNotFound)?;
    let (uses, blob) = bucket.entries.get(pos).ok_or(Error::Internal)?;
    let (attrs, secret) = unseal(kek, blob)?;
    if attrs.id != id {
        return Err(Error::BlobRejected);
    }
    let key = Loaded {
        attrs,
        secret,
        uses: *uses,
        blob: blob.clone(),
    };
    Ok(Stored { key, bucket, pos })
}

/// The key index.
#[derive(Debug, Default)]
struct Index(Vec<KeyId>);

fn index_id() -> Result<ObjectId, Error> {
    ObjectId::new(b"keys").ok_or(Error::Internal)
}

impl Index {
    fn load(p: &mut impl Platform) -> Result<Index, Error> {
        let Some(bytes) = p.read(&index_id()?)? else {
            return Ok(Index::default());
        };
        let mut r = Reader::new(&bytes);
        let (Some(INDEX_V1), Some(n)) = (r.u8(), r.array::<2>()) else {
            return Err(Error::Storage);
        };
        let n = u16::from_le_bytes(n);
        if n > MAX_KEYS || r.rest().len() != usize::from(n) * KEY_ID_LEN {
            return Err(Error::Storage);
        }
        let mut ids = Vec::new();
        ids.try_reserve_exact(usize::from(n))
            .map_err(|_| Error::Internal)?;
        while let Some(id) = r.array() {
            ids.push(KeyId(id));
        }
        Ok(Index(ids))
    }

    fn store(&self, p: &mut impl Platform) -> Result<(), Error> {
        let n = u16::try_from(self.0.len()).map_err(|_| Error::Internal)?;
        let mut out = Vec::new();
        out.try_reserve_exact(3 + self.0.len() * KEY_ID_LEN)
            .map_err(|_| Error::Internal)?;
        out.push(INDEX_V1);
        out.extend_from_slice(&n.to_le_bytes());
        for id in &self.0 {
            out.extend_from_slice(&id.0);
        }
        Ok(p.write(&index_id()?, &out)?)
    }

    fn contains(&self, id: KeyId) -> bool {
        self.0.contains(&id)
    }

    fn room(&self) -> Result<(), Error> {
        if self.0.len() >= usize::from(MAX_KEYS) {
            Err(Error::KeyLimit)
        } else {
            Ok(())
        }
    }
}

/// Stores a new key: bucket first, then the index.
fn add(
    p: &mut impl Platform,
    index: &mut Index,
    bucket: &mut Bucket,
    id: KeyId,
    blob: Blob,
) -> Result<(), Error> {
    bucket.entries.push((0, blob));
    bucket.store(p)?;
    index.0.push(id);
    index.store(p)
}

/// `KeyGenerate`.
pub fn generate(
    p: &mut impl Platform,
    inst: &mut Instance,
    req: &KeyGenerateRequest,
) -> Result<KeyInfoReply, Error> {
    if !valid_label(&req.label) || req.policy.check().is_err() {
        return Err(Error::InvalidArgument);
    }
    if let Some(t) = req.policy.not_after
        && t <= p.ree_time_s()
    {
        return Err(Error::InvalidArgument);
    }
    Config::require(p)?;
    let kek = kek(p)?;
    let mut index = Index::load(p)?;
    index.room()?;
    let (id, mut bucket) = fresh_id(p, &index)?;
    let secret = crypto::random_secret_key(p)?;
    let attrs = Attributes {
        id,
        policy: req.policy,
        label: req.label.clone(),
        public_key: crypto::sec1_uncompressed(&secret.public_key())?,
    };
    let blob = seal(p, &kek, &attrs, &secret)?;
    add(p, &mut index, &mut bucket, id, blob)?;
    let ev = Event::key_added(EventKind::KeyGenerated, &id.0, &attrs.policy);
    evlog::append(p, inst, &[ev])?;
    attrs.info(0)
}

/// A new random id (never zero, not in use) whose bucket has room.
fn fresh_id(p: &mut impl Platform, index: &Index) -> Result<(KeyId, Bucket), Error> {
    for _ in 0..8 {
        let mut id = [0u8; KEY_ID_LEN];
        p.random(&mut id)?;
        let id = KeyId(id);
        if id.0 == [0; KEY_ID_LEN] || index.contains(id) {
            continue;
        }
        let bucket = Bucket::load(p, Bucket::of(id))?;
        if bucket.find(id).is_none() && !bucket.full() {
            return Ok((id, bucket));
        }
    }
    Err(Error::KeyLimit)
}

/// `KeyList`: one page from `offset`; index entries without a key (a
/// delete cut short by a power loss) are left out of the page.
pub fn list(p: &mut impl Platform, offset: u16) -> Result<KeyListReply, Error> {
    let index = Index::load(p)?;
    let mut keys = heapless::Vec::new();
    for id in index.0.iter().skip(usize::from(offset)).take(KEY_LIST_PAGE) {
        let bucket = Bucket::load(p, Bucket::of(*id))?;
        let Some((_, blob)) = bucket.find(*id).and_then(|i| bucket.entries.get(i)) else {
            continue;
        };
        let attrs = Attributes::parse_header(&mut Reader::new(blob)).ok_or(Error::Storage)?;
        keys.push(KeySummary {
            id: id.hex()?,
            label: attrs.label,
            purpose: attrs.policy.purpose,
        })
        .map_err(|_| Error::Internal)?;
    }
    Ok(KeyListReply {
        total: u16::try_from(index.0.len()).map_err(|_| Error::Internal)?,
        keys,
    })
}

/// `KeyInfo`: unseals the key (so a tampered key shows as such).
pub fn info(p: &mut impl Platform, id: &str) -> Result<KeyInfoReply, Error> {
    let id = KeyId::parse(id)?;
    let kek = kek(p)?;
    let k = load(p, id, &kek)?.key;
    k.attrs.info(k.uses)
}

/// `KeyDelete`: bucket first, then the index entry. Also clears a key
/// left in only one of them by a power cut.
pub fn delete(
    p: &mut impl Platform,
    inst: &mut Instance,
    id: &str,
) -> Result<KeyDeleteReply, Error> {
    let id = KeyId::parse(id)?;
    let mut index = Index::load(p)?;
    let mut bucket = Bucket::load(p, Bucket::of(id))?;
    let in_index = index.0.iter().position(|k| *k == id);
    let in_bucket = bucket.find(id);
    if in_index.is_none() && in_bucket.is_none() {
        return Err(Error::KeyNotFound);
    }
    if let Some(pos) = in_bucket {
        bucket.entries.remove(pos);
        bucket.store(p)?;
    }
    if let Some(pos) = in_index {
        index.0.remove(pos);
        index.store(p)?;
    }
    evlog::append(p, inst, &[Event::key(EventKind::KeyDeleted, &id.0)])?;
    Ok(KeyDeleteReply { id: id.hex()? })
}

/// How the user's PIN stands for a use of a key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum PinProof {
    /// No PIN in this call (only an earlier verification may count).
    None,
    /// The PIN will be verified in this same call before the key is used
    /// (transaction signing with consent).
    InThisCall,
}

/// [`check_policy`], logging a refusal before the caller learns it.
fn authorize(
    p: &mut impl Platform,
    inst: &mut Instance,
    k: &Loaded,
    purpose: Purpose,
    proof: PinProof,
) -> Result<(), Error> {
    let result = check_policy(p, inst, k, purpose, proof);
    evlog::record(p, inst, result, |r| match r {
        Err(Error::PolicyViolation(reason)) => Some(Event::refused(&k.attrs.id.0, *reason)),
        _ => None,
    })
}

/// Checks a use of `k` for `purpose` against its policy, in this order:
/// purpose, expiry, usage limit, PIN (a key that cannot be used anyway
/// does not ask for the PIN).
fn check_policy(
    p: &mut impl Platform,
    inst: &Instance,
    k: &Loaded,
    purpose: Purpose,
    proof: PinProof,
) -> Result<(), Error> {
    let policy = &k.attrs.policy;
    if policy.purpose != purpose {
        return Err(Error::PolicyViolation(PolicyReason::Purpose));
    }
    if let Some(t) = policy.not_after
        && p.ree_time_s() > t
    {
        return Err(Error::PolicyViolation(PolicyReason::Expired));
    }
    if let Some(max) = policy.max_uses
        && k.uses >= max
    {
        return Err(Error::PolicyViolation(PolicyReason::UsageExhausted));
    }
    match policy.pin {
        PinRule::None => Ok(()),
        _ if proof == PinProof::InThisCall => Ok(()),
        PinRule::PerUse => Err(Error::PolicyViolation(PolicyReason::PinPerUse)),
        PinRule::Window => {
            let window = u64::from(policy.pin_window_s) * 1000;
            match inst.last_verified_ms() {
                Some(t) if p.now_ms().saturating_sub(t) <= window => Ok(()),
                _ => Err(Error::PolicyViolation(PolicyReason::PinWindow)),
            }
        }
    }
}

/// Counts one use of a key with a usage limit, persisted before the
/// signature it pays for exists.
pub(crate) fn consume(p: &mut impl Platform, s: &mut Stored) -> Result<(), Error> {
    if s.key.attrs.policy.max_uses.is_some() {
        s.key.uses = s.key.uses.checked_add(1).ok_or(Error::Internal)?;
        let entry = s.bucket.entries.get_mut(s.pos).ok_or(Error::Internal)?;
        entry.0 = s.key.uses;
        s.bucket.store(p)?;
    }
    Ok(())
}

pub(crate) fn sign_der(secret: &SecretKey, msg: &[u8]) -> Result<DerSignature, Error> {
    // RFC 6979 deterministic nonce: no RNG on the signing path.
    let key = SigningKey::from(secret);
    let sig: p256::ecdsa::Signature = key.try_sign(msg).map_err(|_| Error::Crypto)?;
    Ok(sig.to_der())
}

pub(crate) fn sig_hex(sig: &DerSignature) -> Result<mfs_proto::SignatureHex, Error> {
    hex_string(sig.as_bytes()).map_err(|_| Error::Internal)
}

/// `KeySign`: ECDSA P-256/SHA-256 over a caller message.
pub fn sign(
    p: &mut impl Platform,
    inst: &mut Instance,
    req: &KeySignRequest,
) -> Result<KeySignReply, Error> {
    let id = KeyId::parse(&req.id)?;
    let mut buf = [0u8; SIGN_MESSAGE_MAX_LEN];
    let msg = hex_prefix(&req.message, &mut buf).ok_or(Error::BadRequest)?;
    if msg.starts_with(RESERVED_PREFIX) {
        return Err(Error::InvalidArgument);
    }
    let kek = inst.kek(p)?;
    let mut s = load(p, id, kek)?;
    authorize(p, inst, &s.key, Purpose::Sign, PinProof::None)?;
    consume(p, &mut s)?;
    evlog::append(p, inst, &[Event::key_used(&id.0, 1, s.key.uses)])?;
    let sig = sign_der(&s.key.secret, msg)?;
    Ok(KeySignReply {
        signature: sig_hex(&sig)?,
        uses: s.key.uses,
    })
}

fn attest_object_id() -> Result<ObjectId, Error> {
    ObjectId::new(b"attest").ok_or(Error::Internal)
}

/// The TA's own attestation key, made on first use.
fn ta_attestation_key(p: &mut impl Platform, kek: &Key32) -> Result<Loaded, Error> {
    let oid = attest_object_id()?;
    if p.read(&oid)?.is_some() {
        return load_object(p, &oid, kek);
    }
    let secret = crypto::random_secret_key(p)?;
    let attrs = Attributes {
        id: KeyId([0; KEY_ID_LEN]),
        policy: KeyPolicy::plain(Purpose::Attest),
        label: Label::try_from(ATTEST_LABEL).map_err(|_| Error::Internal)?,
        public_key: crypto::sec1_uncompressed(&secret.public_key())?,
    };
    let blob = seal(p, kek, &attrs, &secret)?;
    p.write(&oid, &store_record(0, &blob)?)?;
    Ok(Loaded {
        attrs,
        secret,
        uses: 0,
        blob,
    })
}

/// Signs a TA statement (which starts with `mfs-ta/`) with the TA's
/// attestation key; returns the signature and that key's public key.
pub(crate) fn sign_as_ta(
    p: &mut impl Platform,
    inst: &mut Instance,
    statement: &[u8],
) -> Result<(DerSignature, [u8; EC_POINT_LEN]), Error> {
    let kek = inst.kek(p)?;
    let key = ta_attestation_key(p, kek)?;
    Ok((sign_der(&key.secret, statement)?, key.attrs.public_key))
}

/// `KeyAttest`: a signed statement over a key's public key, policy, the
/// caller's challenge and the platform facts.
pub fn attest(
    p: &mut impl Platform,
    inst: &mut Instance,
    req: &KeyAttestRequest,
) -> Result<KeyAttestReply, Error> {
    let id = KeyId::parse(&req.id)?;
    let mut buf = [0u8; CHALLENGE_MAX_LEN];
    let challenge = hex_prefix(&req.challenge, &mut buf).ok_or(Error::BadRequest)?;
    let signer_id = req.attest_key.as_deref().map(KeyId::parse).transpose()?;
    // A copy (zeroized on drop): `inst` is borrowed again by `authorize`.
    let kek = Key32(inst.kek(p)?.0);
    let subject = load(p, id, &kek)?.key;
    let signer = match signer_id {
        Some(sid) => {
            let mut s = load(p, sid, &kek)?;
            authorize(p, inst, &s.key, Purpose::Attest, PinProof::None)?;
            consume(p, &mut s)?;
            evlog::append(p, inst, &[Event::key_used(&sid.0, 2, s.key.uses)])?;
            s.key
        }
        None => ta_attestation_key(p, &kek)?,
    };
    let facts = p.facts();
    let statement = Statement {
        ta_uuid: mfs_proto::parse_uuid(mfs_proto::TA_UUID).ok_or(Error::Internal)?,
        key_id: subject.attrs.id.0,
        policy: subject.attrs.policy,
        label: subject.attrs.label.clone(),
        public_key: subject.attrs.public_key,
        challenge: heapless::Vec::from_slice(challenge).map_err(|_| Error::BadRequest)?,
        storage: facts.storage,
        rollback_protected: facts.storage == mfs_proto::StorageKind::Rpmb,
        hw_unique_key: facts.hw_unique_key,
        trusted_ui: false,
        tee_device_id: facts.tee_device_id,
        ta_version: crate::platform::bounded(env!("CARGO_PKG_VERSION")),
    }
    .encode()
    .ok_or(Error::Internal)?;
    let sig = sign_der(&signer.secret, &statement)?;
    Ok(KeyAttestReply {
        statement: hex_string(&statement).map_err(|_| Error::Internal)?,
        signature: sig_hex(&sig)?,
        attestation_key: hex_string(&signer.attrs.public_key).map_err(|_| Error::Internal)?,
    })
}

/// `KeyExport`: the sealed blob of an exportable key.
pub fn export(
    p: &mut impl Platform,
    inst: &mut Instance,
    id: &str,
) -> Result<KeyExportReply, Error> {
    let id = KeyId::parse(id)?;
    let kek = kek(p)?;
    let k = load(p, id, &kek)?.key;
    if !k.attrs.policy.exportable {
        let reason = PolicyReason::NotExportable;
        evlog::append(p, inst, &[Event::refused(&id.0, reason)])?;
        return Err(Error::PolicyViolation(reason));
    }
    evlog::append(p, inst, &[Event::key(EventKind::KeyExported, &id.0)])?;
    Ok(KeyExportReply {
        blob: hex_string(&k.blob).map_err(|_| Error::Internal)?,
    })
}

/// `KeyImport`: a blob exported by this TA instance, back into storage.
pub fn import(
    p: &mut impl Platform,
    inst: &mut Instance,
    req: &KeyImportRequest,
) -> Result<KeyInfoReply, Error> {
    // The request's bound is twice SEALED_BLOB_MAX_LEN hex digits, so only
    // malformed hex fails here.
    let mut buf = [0u8; SEALED_BLOB_MAX_LEN];
    let blob = hex_prefix(&req.blob, &mut buf).ok_or(Error::BadRequest)?;
    Config::require(p)?;
    let kek = kek(p)?;
    let (attrs, _secret) = unseal(&kek, blob)?;
    // Only exportable keys are ever exported, and the attestation key (id
    // 0) never is: anything else was not made by KeyExport.
    if !attrs.policy.exportable || attrs.id.0 == [0; KEY_ID_LEN] {
        return Err(Error::BlobRejected);
    }
    let mut index = Index::load(p)?;
    let mut bucket = Bucket::load(p, Bucket::of(attrs.id))?;
    if index.contains(attrs.id) || bucket.find(attrs.id).is_some() {
        return Err(Error::KeyExists);
    }
    index.room()?;
    if bucket.full() {
        return Err(Error::KeyLimit);
    }
    let blob = Blob::from_slice(blob).map_err(|_| Error::BlobRejected)?;
    add(p, &mut index, &mut bucket, attrs.id, blob)?;
    let ev = Event::key_added(EventKind::KeyImported, &attrs.id.0, &attrs.policy);
    evlog::append(p, inst, &[ev])?;
    attrs.info(0)
}

#[cfg(test)]
pub(crate) mod test {
    use super::*;
    use crate::config::test::G;
    use crate::mem::MemPlatform;
    use mfs_proto::{PROTOCOL_CURRENT, Statement, hex_into};
    use p256::ecdsa::signature::Verifier;
    use p256::ecdsa::{Signature, VerifyingKey};

    pub(crate) fn provisioned() -> MemPlatform {
        let mut p = MemPlatform::new();
        Config::new(5, 0, G).unwrap().provision(&mut p).unwrap();
        p.set_ree_time_s(1_800_000_000);
        p
    }

    pub(crate) fn policy() -> KeyPolicy {
        KeyPolicy {
            exportable: true,
            ..KeyPolicy::plain(Purpose::Sign)
        }
    }

    pub(crate) fn gen_key(p: &mut MemPlatform, label: &str, policy: KeyPolicy) -> KeyInfoReply {
        generate(
            p,
            &mut Instance::default(),
            &KeyGenerateRequest {
                v: PROTOCOL_CURRENT,
                label: label.try_into().unwrap(),
                policy,
            },
        )
        .unwrap()
    }

    pub(crate) fn sign_req(id: &str, msg: &[u8]) -> KeySignRequest {
        KeySignRequest {
            v: PROTOCOL_CURRENT,
            id: id.try_into().unwrap(),
            message: hex_string(msg).unwrap(),
        }
    }

    fn verify(public_hex: &str, msg: &[u8], sig_hex: &str) -> bool {
        let pk: [u8; 65] = hex_bytes(public_hex).unwrap();
        let mut der = vec![0u8; sig_hex.len() / 2];
        hex_into(sig_hex, &mut der).unwrap();
        let vk = VerifyingKey::from_sec1_bytes(&pk).unwrap();
        let sig = Signature::from_der(&der).unwrap();
        vk.verify(msg, &sig).is_ok()
    }

    /// RFC 6979 A.2.5 (P-256, SHA-256, messages "sample" and "test"),
    /// cross-checked with pyca/cryptography's deterministic ECDSA.
    #[test]
    fn ecdsa_rfc6979_known_answers() {
        let x = hex_bytes::<32>("c9afa9d845ba75166b5c215767b1d6934e50c3db36e89b127b8a622b120f6721")
            .unwrap();
        let secret = SecretKey::from_slice(&x).unwrap();
        let public = crypto::sec1_uncompressed(&secret.public_key()).unwrap();
        assert_eq!(
            hex_string::<130>(&public).unwrap().as_str(),
            "0460fed4ba255a9d31c961eb74c6356d68c049b8923b61fa6ce669622e60f29fb6\
             7903fe1008b8bc99a41ae9e95628bc64f2f1b20c2d7e9f5177a3c294d4462299"
        );
        for (msg, r, s) in [
            (
                &b"sample"[..],
                "efd48b2aacb6a8fd1140dd9cd45e81d69d2c877b56aaf991c34d0ea84eaf3716",
                "f7cb1c942d657c41d436c7a1b6e29f65f3e900dbb9aff4064dc4ab2f843acda8",
            ),
            (
                b"test",
                "f1abb023518351cd71d881567b1ea663ed3efcf6c5132b354f28d3b0b7d38367",
                "019f4113742a2b14bd25926b49c649155f267e60d3814b4c0cc84250e46f0083",
            ),
        ] {
            let der = sign_der(&secret, msg).unwrap();
            let sig = Signature::from_der(der.as_bytes()).unwrap();
            let (sr, ss) = sig.split_bytes();
            assert_eq!(hex_string::<64>(&sr).unwrap().as_str(), r);
            assert_eq!(hex_string::<64>(&ss).unwrap().as_str(), s);
        }
    }

    /// AES-256-GCM, "The Galois/Counter Mode of Operation (GCM)"
    /// (McGrew, Viega), test case 16 (256-bit key, 60-byte plaintext,
    /// 20-byte AAD), cross-checked with pyca/cryptography.
    #[test]
    fn aes256_gcm_known_answer() {
        let k = Key32(
            hex_bytes("feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308").unwrap(),
        );
        let iv: [u8; 12] = hex_bytes("cafebabefacedbaddecaf888").unwrap();
        let aad: [u8; 20] = hex_bytes("feedfacedeadbeeffeedfacedeadbeefabaddad2").unwrap();
        let mut buf: [u8; 60] = hex_bytes(
            "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72\
             1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39",
        )
        .unwrap();
        let tag = cipher(&k)
            .unwrap()
            .encrypt_inout_detached(&iv.into(), &aad, buf.as_mut_slice().into())
            .unwrap();
        assert_eq!(
            hex_string::<120>(&buf).unwrap().as_str(),
            "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa\
             8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662"
        );
        assert_eq!(
            hex_string::<32>(&tag).unwrap().as_str(),
            "76fc6ece0f4e1768cddf8853bb2d551b"
        );
        let mut bad_tag: [u8; 16] = tag.into();
        bad_tag[15] ^= 1;
        assert!(
            cipher(&k)
                .unwrap()
                .decrypt_inout_detached(
                    &iv.into(),
                    &aad,
                    buf.as_mut_slice().into(),
                    &bad_tag.into()
                )
                .is_err()
        );
    }

    fn sample() -> (MemPlatform, Key32, Attributes, SecretKey, Blob) {
        let mut p = provisioned();
        let k = kek(&mut p).unwrap();
        let secret = crypto::random_secret_key(&mut p).unwrap();
        let attrs = Attributes {
            id: KeyId([7; 8]),
            policy: policy(),
            label: "pay".try_into().unwrap(),
            public_key: crypto::sec1_uncompressed(&secret.public_key()).unwrap(),
        };
        let blob = seal(&mut p, &k, &attrs, &secret).unwrap();
        (p, k, attrs, secret, blob)
    }

    #[test]
    fn seal_round_trip_and_layout() {
        let (mut p, k, attrs, secret, blob) = sample();
        assert_eq!(blob.len(), 1 + 8 + 19 + 1 + 3 + 65 + 12 + 32 + 16);
        assert_eq!(blob[0], BLOB_V1);
        assert_eq!(&blob[1..9], &[7; 8]);
        // the private key is not in the blob in clear
        let raw = secret.to_bytes();
        assert!(!blob.windows(32).any(|w| w == raw.as_slice()));
        let (a, s) = unseal(&k, &blob).unwrap();
        assert_eq!(a, attrs);
        assert_eq!(s.to_bytes(), secret.to_bytes());
        // a fresh nonce for every seal
        let again = seal(&mut p, &k, &attrs, &secret).unwrap();
        assert_ne!(again[94 + 3 - 1..][..12], blob[94 + 3 - 1..][..12]);
        assert_ne!(again, blob);
    }

    #[test]
    fn every_flipped_bit_is_rejected() {
        let (_, k, _, _, blob) = sample();
        for i in 0..blob.len() * 8 {
            let mut t = blob.clone();
            t[i / 8] ^= 1 << (i % 8);
            assert_eq!(unseal(&k, &t).err(), Some(Error::BlobRejected), "bit {i}");
        }
        for n in 0..blob.len() {
            assert_eq!(unseal(&k, &blob[..n]).err(), Some(Error::BlobRejected));
        }
        let mut long = blob.clone();
        long.push(0).unwrap();
        assert_eq!(unseal(&k, &long).err(), Some(Error::BlobRejected));
    }

    #[test]
    fn unknown_version_and_other_instance_are_rejected() {
        let (_, k, _, _, blob) = sample();
        let mut v2 = blob.clone();
        v2[0] = 2;
        assert_eq!(unseal(&k, &v2).err(), Some(Error::BlobRejected));
        // another TA instance: another secret, another KEK
        let other = Key32([0x42; 32]).derive(SEAL_INFO);
        assert_eq!(unseal(&other, &blob).err(), Some(Error::BlobRejected));
    }

    #[test]
    fn mismatched_public_key_is_rejected() {
        let (mut p, k, mut attrs, secret, _) = sample();
        let other = crypto::random_secret_key(&mut p).unwrap();
        attrs.public_key = crypto::sec1_uncompressed(&other.public_key()).unwrap();
        let blob = seal(&mut p, &k, &attrs, &secret).unwrap();
        assert_eq!(unseal(&k, &blob).err(), Some(Error::BlobRejected));
    }

    #[test]
    fn generate_sign_verify_list_delete() {
        let mut p = provisioned();
        let mut inst = Instance::default();
        let a = gen_key(&mut p, "a", policy());
        let b = gen_key(&mut p, "b", policy());
        assert_ne!(a.id, b.id);
        let r = sign(&mut p, &mut inst, &sign_req(&a.id, b"pay 10 EUR")).unwrap();
        assert!(verify(&a.public_key, b"pay 10 EUR", &r.signature));
        assert!(!verify(&b.public_key, b"pay 10 EUR", &r.signature));
        assert!(!verify(&a.public_key, b"pay 11 EUR", &r.signature));
        let l = list(&mut p, 0).unwrap();
        assert_eq!(l.total, 2);
        assert_eq!(l.keys[0].id, a.id);
        assert_eq!(l.keys[1].label.as_str(), "b");
        assert_eq!(info(&mut p, &a.id).unwrap(), a);
        delete(&mut p, &mut Instance::default(), &a.id).unwrap();
        assert_eq!(info(&mut p, &a.id).err(), Some(Error::KeyNotFound));
        assert_eq!(
            delete(&mut p, &mut Instance::default(), &a.id).err(),
            Some(Error::KeyNotFound)
        );
        assert_eq!(
            sign(&mut p, &mut inst, &sign_req(&a.id, b"x")).err(),
            Some(Error::KeyNotFound)
        );
        assert_eq!(list(&mut p, 0).unwrap().total, 1);
        // secrets are not printable
        let kk = kek(&mut p).unwrap();
        let loaded = load(&mut p, KeyId::parse(&b.id).unwrap(), &kk).unwrap().key;
        let dbg = format!("{loaded:?}");
        assert!(dbg.contains("Loaded") && !dbg.contains("secret"));
    }

    #[test]
    fn bad_inputs_are_refused() {
        let mut p = provisioned();
        let mut inst = Instance::default();
        let k = gen_key(&mut p, "k", policy());
        for (req, want) in [
            (sign_req("00", b"x"), Error::BadRequest),
            (sign_req("zz00000000000000", b"x"), Error::BadRequest),
            (
                sign_req(&k.id, b"mfs-ta/tx/v1 forged"),
                Error::InvalidArgument,
            ),
            (sign_req("0102030405060708", b"x"), Error::KeyNotFound),
        ] {
            assert_eq!(sign(&mut p, &mut inst, &req).err(), Some(want));
        }
        let mut odd = sign_req(&k.id, b"x");
        odd.message.push('a').unwrap();
        assert_eq!(sign(&mut p, &mut inst, &odd).err(), Some(Error::BadRequest));
        let bad_label = KeyGenerateRequest {
            v: 1,
            label: "no spaces".try_into().unwrap(),
            policy: policy(),
        };
        assert_eq!(
            generate(&mut p, &mut Instance::default(), &bad_label).err(),
            Some(Error::InvalidArgument)
        );
        let expired = KeyGenerateRequest {
            v: 1,
            label: "old".try_into().unwrap(),
            policy: KeyPolicy {
                not_after: Some(1_700_000_000),
                ..policy()
            },
        };
        assert_eq!(
            generate(&mut p, &mut Instance::default(), &expired).err(),
            Some(Error::InvalidArgument)
        );
        let mut unprov = MemPlatform::new();
        assert_eq!(
            generate(
                &mut unprov,
                &mut Instance::default(),
                &KeyGenerateRequest {
                    v: 1,
                    label: "x".try_into().unwrap(),
                    policy: policy()
                }
            )
            .err(),
            Some(Error::NotProvisioned)
        );
    }

    #[test]
    fn policy_is_enforced() {
        let mut p = provisioned();
        let mut inst = Instance::default();
        let v = |e| Some(Error::PolicyViolation(e));
        // purpose
        let att = gen_key(
            &mut p,
            "att",
            KeyPolicy {
                purpose: Purpose::Attest,
                ..policy()
            },
        );
        assert_eq!(
            sign(&mut p, &mut inst, &sign_req(&att.id, b"m")).err(),
            v(PolicyReason::Purpose)
        );
        // PIN per use: never through plain signing
        let per_use = gen_key(
            &mut p,
            "pu",
            KeyPolicy {
                pin: PinRule::PerUse,
                ..policy()
            },
        );
        inst.pin_verified(0);
        assert_eq!(
            sign(&mut p, &mut inst, &sign_req(&per_use.id, b"m")).err(),
            v(PolicyReason::PinPerUse)
        );
        // PIN window
        let win = gen_key(
            &mut p,
            "win",
            KeyPolicy {
                pin: PinRule::Window,
                pin_window_s: 60,
                ..policy()
            },
        );
        let mut fresh = Instance::default();
        assert_eq!(
            sign(&mut p, &mut fresh, &sign_req(&win.id, b"m")).err(),
            v(PolicyReason::PinWindow)
        );
        p.advance_ms(1_000);
        inst.pin_verified(p.now_ms());
        p.advance_ms(60_000);
        assert!(sign(&mut p, &mut inst, &sign_req(&win.id, b"m")).is_ok());
        p.advance_ms(1);
        assert_eq!(
            sign(&mut p, &mut inst, &sign_req(&win.id, b"m")).err(),
            v(PolicyReason::PinWindow)
        );
        // usage limit, counted in storage
        let lim = gen_key(
            &mut p,
            "lim",
            KeyPolicy {
                max_uses: Some(2),
                exportable: false,
                ..policy()
            },
        );
        assert_eq!(
            sign(&mut p, &mut inst, &sign_req(&lim.id, b"1"))
                .unwrap()
                .uses,
            1
        );
        assert_eq!(
            sign(&mut p, &mut inst, &sign_req(&lim.id, b"2"))
                .unwrap()
                .uses,
            2
        );
        assert_eq!(
            sign(&mut p, &mut inst, &sign_req(&lim.id, b"3")).err(),
            v(PolicyReason::UsageExhausted)
        );
        assert_eq!(info(&mut p, &lim.id).unwrap().uses, 2);
        assert_eq!(
            export(&mut p, &mut Instance::default(), &lim.id).err(),
            v(PolicyReason::NotExportable)
        );
        // expiry on the REE clock
        let exp = gen_key(
            &mut p,
            "exp",
            KeyPolicy {
                not_after: Some(1_800_000_010),
                ..policy()
            },
        );
        p.set_ree_time_s(1_800_000_010);
        assert!(sign(&mut p, &mut inst, &sign_req(&exp.id, b"m")).is_ok());
        p.set_ree_time_s(1_800_000_011);
        assert_eq!(
            sign(&mut p, &mut inst, &sign_req(&exp.id, b"m")).err(),
            v(PolicyReason::Expired)
        );
    }

    #[test]
    fn usage_is_persisted_before_the_signature() {
        let mut p = provisioned();
        let mut inst = Instance::default();
        let lim = gen_key(
            &mut p,
            "lim",
            KeyPolicy {
                max_uses: Some(3),
                exportable: false,
                ..policy()
            },
        );
        // a cut at the counter write: no signature, no use counted
        p.cut_power_at(1);
        assert_eq!(
            sign(&mut p, &mut inst, &sign_req(&lim.id, b"1")).err(),
            Some(Error::Storage)
        );
        p.power_on();
        assert_eq!(info(&mut p, &lim.id).unwrap().uses, 0);
        // unlimited keys write only their event-log entry
        let free = gen_key(&mut p, "free", policy());
        let before = p.writes();
        sign(&mut p, &mut inst, &sign_req(&free.id, b"x")).unwrap();
        assert_eq!(p.writes(), before + 1);
    }

    #[test]
    fn export_import_same_instance_only() {
        let mut p = provisioned();
        let mut inst = Instance::default();
        let k = gen_key(&mut p, "backup", policy());
        let blob = export(&mut p, &mut Instance::default(), &k.id)
            .unwrap()
            .blob;
        let imp = KeyImportRequest {
            v: 1,
            blob: blob.clone(),
        };
        assert_eq!(
            import(&mut p, &mut Instance::default(), &imp).err(),
            Some(Error::KeyExists)
        );
        delete(&mut p, &mut Instance::default(), &k.id).unwrap();
        assert_eq!(import(&mut p, &mut Instance::default(), &imp).unwrap(), k);
        let r = sign(&mut p, &mut inst, &sign_req(&k.id, b"again")).unwrap();
        assert!(verify(&k.public_key, b"again", &r.signature));
        // flipped bits, truncation, garbage
        let raw: Vec<u8> = (0..blob.len() / 2)
            .map(|i| u8::from_str_radix(&blob[2 * i..2 * i + 2], 16).unwrap())
            .collect();
        delete(&mut p, &mut Instance::default(), &k.id).unwrap();
        for i in [0, 5, 20, 40, 100, raw.len() - 1] {
            let mut t = raw.clone();
            t[i] ^= 0x10;
            let req = KeyImportRequest {
                v: 1,
                blob: hex_string(&t).unwrap(),
            };
            assert_eq!(
                import(&mut p, &mut Instance::default(), &req).err(),
                Some(Error::BlobRejected),
                "{i}"
            );
        }
        let short = KeyImportRequest {
            v: 1,
            blob: hex_string(&raw[..10]).unwrap(),
        };
        assert_eq!(
            import(&mut p, &mut Instance::default(), &short).err(),
            Some(Error::BlobRejected)
        );
        // another TA instance (another secret) refuses it
        let mut q = MemPlatform::new();
        q.random(&mut [0u8; 7]).unwrap();
        Config::new(5, 0, G).unwrap().provision(&mut q).unwrap();
        assert_eq!(
            import(&mut q, &mut Instance::default(), &imp).err(),
            Some(Error::BlobRejected)
        );
    }

    #[test]
    fn attestation_statement_verifies() {
        let mut p = provisioned();
        let mut inst = Instance::default();
        let k = gen_key(&mut p, "pay", policy());
        let req = KeyAttestRequest {
            v: 1,
            id: k.id.clone(),
            challenge: hex_string(b"server-challenge").unwrap(),
            attest_key: None,
        };
        let a = attest(&mut p, &mut inst, &req).unwrap();
        let mut st = vec![0u8; a.statement.len() / 2];
        hex_into(&a.statement, &mut st).unwrap();
        assert!(verify(&a.attestation_key, &st, &a.signature));
        let s = Statement::decode(&st).unwrap();
        assert_eq!(s.challenge.as_slice(), b"server-challenge");
        assert_eq!(hex_string::<130>(&s.public_key).unwrap(), k.public_key);
        assert_eq!(s.policy, k.policy);
        assert_eq!(s.hw_unique_key, mfs_proto::HukStatus::NotKnownStub);
        assert!(!s.trusted_ui);
        // the attestation key persists; it is not a listed key
        let again = attest(&mut p, &mut inst, &req).unwrap();
        assert_eq!(again.attestation_key, a.attestation_key);
        assert_eq!(list(&mut p, 0).unwrap().total, 1);
        // an attest-purpose key can sign statements; a sign key cannot
        let ak = gen_key(
            &mut p,
            "ak",
            KeyPolicy {
                purpose: Purpose::Attest,
                ..policy()
            },
        );
        let with = KeyAttestRequest {
            attest_key: Some(ak.id.clone()),
            ..req.clone()
        };
        assert_eq!(
            attest(&mut p, &mut inst, &with).unwrap().attestation_key,
            ak.public_key
        );
        let with_sign_key = KeyAttestRequest {
            attest_key: Some(k.id.clone()),
            ..req.clone()
        };
        assert_eq!(
            attest(&mut p, &mut inst, &with_sign_key).err(),
            Some(Error::PolicyViolation(PolicyReason::Purpose))
        );
        // attestation statements cannot be forged through KeySign
        assert_eq!(
            sign(&mut p, &mut inst, &sign_req(&k.id, &st)).err(),
            Some(Error::InvalidArgument)
        );
    }

    #[test]
    fn tampered_stored_key_is_rejected() {
        let mut p = provisioned();
        let mut inst = Instance::default();
        let k = gen_key(&mut p, "t", policy());
        let id = KeyId::parse(&k.id).unwrap();
        let oid = Bucket::object_id(Bucket::of(id)).unwrap();
        let clean = p.object_mut(&oid).unwrap().clone();
        // the tag (last byte), the label, the policy: each refused
        for at in [clean.len() - 1, 2 + 5 + 29, 2 + 5 + 12] {
            let obj = p.object_mut(&oid).unwrap();
            obj[at] ^= 1;
            assert_eq!(
                sign(&mut p, &mut inst, &sign_req(&k.id, b"x")).err(),
                Some(Error::BlobRejected),
                "byte {at}"
            );
            *p.object_mut(&oid).unwrap() = clean.clone();
        }
        // a changed id in the header: the key is no longer found
        p.object_mut(&oid).unwrap()[2 + 5 + 1] ^= 1;
        assert_eq!(
            sign(&mut p, &mut inst, &sign_req(&k.id, b"x")).err(),
            Some(Error::KeyNotFound)
        );
        // a damaged bucket record structure is a storage failure
        *p.object_mut(&oid).unwrap() = clean[..clean.len() - 1].to_vec();
        assert_eq!(info(&mut p, &k.id).err(), Some(Error::Storage));
        *p.object_mut(&oid).unwrap() = clean;
        assert!(sign(&mut p, &mut inst, &sign_req(&k.id, b"x")).is_ok());
    }

    #[test]
    fn key_limit_and_cost_independent_of_count() {
        let mut p = provisioned();
        let mut inst = Instance::default();
        let first = gen_key(&mut p, "k0", policy());
        let mut reads_for_sign = |p: &mut MemPlatform| {
            let before = p.reads();
            sign(p, &mut inst, &sign_req(&first.id, b"m")).unwrap();
            p.reads() - before
        };
        assert_eq!(
            reads_for_sign(&mut p),
            4,
            "the secret and the event log (once), and one bucket"
        );
        let small = reads_for_sign(&mut p);
        for i in 1..MAX_KEYS {
            gen_key(&mut p, &format!("k{i}"), policy());
        }
        assert_eq!(reads_for_sign(&mut p), small);
        assert_eq!(small, 1, "one bucket, the KEK stays in TA memory");
        // the TA never owns more than cfg, secret, index, the buckets and
        // the event log (here rolled over: 1,000 key-generated entries)
        let log_objects = 1 + crate::log::SEGMENTS;
        assert_eq!(p.object_count(), 3 + usize::from(BUCKETS) + log_objects);
        let r = KeyGenerateRequest {
            v: 1,
            label: "one-too-many".try_into().unwrap(),
            policy: policy(),
        };
        assert_eq!(
            generate(&mut p, &mut Instance::default(), &r).err(),
            Some(Error::KeyLimit)
        );
        // paging covers every key once
        let mut seen = 0;
        let mut off = 0u16;
        loop {
            let page = list(&mut p, off).unwrap();
            assert_eq!(page.total, MAX_KEYS);
            if page.keys.is_empty() {
                break;
            }
            seen += page.keys.len();
            off += u16::try_from(KEY_LIST_PAGE).unwrap();
        }
        assert_eq!(seen, usize::from(MAX_KEYS));
    }

    #[test]
    fn power_cuts_in_generate_and_delete_are_harmless() {
        for cut in 1..=2 {
            let mut p = provisioned();
            let mut inst = Instance::default();
            let keep = gen_key(&mut p, "keep", policy());
            p.cut_power_at(cut);
            let r = KeyGenerateRequest {
                v: 1,
                label: "new".try_into().unwrap(),
                policy: policy(),
            };
            assert_eq!(
                generate(&mut p, &mut Instance::default(), &r).err(),
                Some(Error::Storage)
            );
            p.power_on();
            // the index never names a key that does not exist
            assert_eq!(list(&mut p, 0).unwrap().total, 1);
            assert!(sign(&mut p, &mut inst, &sign_req(&keep.id, b"x")).is_ok());
            gen_key(&mut p, "after", policy());
            assert_eq!(list(&mut p, 0).unwrap().total, 2);
        }
        for cut in 1..=2 {
            let mut p = provisioned();
            let mut inst = Instance::default();
            let k = gen_key(&mut p, "del", policy());
            p.cut_power_at(cut);
            assert_eq!(
                delete(&mut p, &mut Instance::default(), &k.id).err(),
                Some(Error::Storage)
            );
            p.power_on();
            // a cut delete either did nothing or made the key unusable
            let usable = sign(&mut p, &mut inst, &sign_req(&k.id, b"x")).is_ok();
            assert_eq!(usable, cut == 1);
            // and a second delete always completes it
            delete(&mut p, &mut Instance::default(), &k.id).unwrap();
            assert_eq!(list(&mut p, 0).unwrap().total, 0);
            assert_eq!(
                sign(&mut p, &mut inst, &sign_req(&k.id, b"x")).err(),
                Some(Error::KeyNotFound)
            );
        }
    }
}
