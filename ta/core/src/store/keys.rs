//! Key persistence: sealed keys in bucket objects, the key index, and the
//! TA's attestation key. Blobs are sealed and opened by `crate::seal`;
//! what a key may do is decided above this layer.
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
//! * `keys`: the index, version 2: `[2] ‖ n (u16 LE) ‖ n × (id ‖ owner
//!   tag (8))`, at most [`MAX_KEYS`] entries, for list, paging and the
//!   limits (overall and per client). Signing never reads it. A version-1
//!   index (`[1] ‖ n ‖ n × id`, before client isolation) is read with every
//!   entry owned by [`OwnerTag::LEGACY`] and written back as version 2 on
//!   its next change.
//! * `attest`: the TA's own attestation key, `[1] ‖ uses (u32 LE) ‖ sealed
//!   blob` with id 0 and purpose attest, made on first use, never exported
//!   or listed.
//!
//! Write order keeps power cuts harmless: generate/import write the bucket
//! before the index (a cut leaves an unreferenced key whose id was never
//! returned); delete writes the bucket before the index (a cut leaves a
//! dangling index entry that list skips and a second delete clears).

use core::fmt;

use alloc::vec::Vec;
use mfs_proto::{KEY_ID_LEN, MAX_KEYS, MAX_KEYS_PER_CLIENT, Reader, SEALED_BLOB_MAX_LEN};
use p256::SecretKey;

use crate::access::{Caller, OwnerTag};
use crate::crypto::Key32;
use crate::error::Error;
use crate::objects::{self, LAYOUT_V1, LAYOUT_V2, load_v1, load_versioned};
use crate::platform::{ObjectId, Platform};
use crate::seal::{Attributes, Blob, KeyId, unseal};

/// Bucket objects keys are spread over.
pub const BUCKETS: u8 = 32;
/// Most keys in one bucket (ids are random: with 1,000 keys a bucket holds
/// 31 on average; generate draws another id for a full bucket).
pub const BUCKET_MAX: usize = 64;

/// A key read from storage and unsealed.
pub struct Loaded {
    /// Its public attributes.
    pub attrs: Attributes,
    /// The private key (zeroized on drop).
    pub secret: SecretKey,
    /// Uses counted so far (keys with a usage limit only).
    pub uses: u32,
    /// The sealed blob as stored.
    pub blob: Blob,
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
    rec.push(LAYOUT_V1);
    rec.extend_from_slice(&uses.to_le_bytes());
    rec.extend_from_slice(blob);
    Ok(rec)
}

fn parse_record(body: &[u8]) -> Result<(u32, &[u8]), Error> {
    let mut r = Reader::new(body);
    let uses = r.array::<4>().ok_or(Error::Storage)?;
    Ok((u32::from_le_bytes(uses), r.rest()))
}

/// Loads the TA's attestation key, if it was made.
pub fn load_attestation_key(p: &mut impl Platform, kek: &Key32) -> Result<Option<Loaded>, Error> {
    let oid = objects::attestation_key()?;
    if p.read(&oid)?.is_none() {
        return Ok(None);
    }
    load_object(p, &oid, kek).map(Some)
}

/// Stores the TA's attestation key (made once).
pub fn store_attestation_key(p: &mut impl Platform, blob: &[u8]) -> Result<(), Error> {
    Ok(p.write(&objects::attestation_key()?, &store_record(0, blob)?)?)
}

fn load_object(p: &mut impl Platform, oid: &ObjectId, kek: &Key32) -> Result<Loaded, Error> {
    let body = load_v1(p, oid)?.ok_or(Error::KeyNotFound)?;
    let (uses, blob) = parse_record(&body)?;
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
pub struct Bucket {
    /// Bucket number.
    pub no: u8,
    /// `(uses, sealed blob)` of each key in it.
    pub entries: Vec<(u32, Blob)>,
}

impl Bucket {
    /// The bucket number of key `id`.
    pub fn of(id: KeyId) -> u8 {
        let [first, ..] = id.0;
        first % BUCKETS
    }

    fn object_id(no: u8) -> Result<ObjectId, Error> {
        objects::key_bucket(no)
    }

    /// Loads bucket `no` (empty when absent).
    pub fn load(p: &mut impl Platform, no: u8) -> Result<Bucket, Error> {
        let mut b = Bucket {
            no,
            entries: Vec::new(),
        };
        let Some(body) = load_v1(p, &Bucket::object_id(no)?)? else {
            return Ok(b);
        };
        let mut r = Reader::new(&body);
        let n = r.u8().ok_or(Error::Storage)?;
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

    /// Replaces the bucket object (one atomic write).
    pub fn store(&self, p: &mut impl Platform) -> Result<(), Error> {
        let n = u8::try_from(self.entries.len()).map_err(|_| Error::Internal)?;
        let mut out = Vec::new();
        out.try_reserve_exact(2 + self.entries.len() * (5 + SEALED_BLOB_MAX_LEN))
            .map_err(|_| Error::Internal)?;
        out.extend_from_slice(&[LAYOUT_V1, n]);
        for (uses, blob) in &self.entries {
            out.extend_from_slice(&uses.to_le_bytes());
            out.push(u8::try_from(blob.len()).map_err(|_| Error::Internal)?);
            out.extend_from_slice(blob);
        }
        Ok(p.write(&Bucket::object_id(self.no)?, &out)?)
    }

    /// The entry whose blob names `id` (found by the unauthenticated
    /// header; the unseal that follows authenticates it).
    pub fn find(&self, id: KeyId) -> Option<usize> {
        self.entries
            .iter()
            .position(|(_, blob)| blob.get(1..1 + KEY_ID_LEN) == Some(&id.0[..]))
    }

    /// Whether the bucket holds [`BUCKET_MAX`] keys.
    pub fn full(&self) -> bool {
        self.entries.len() >= BUCKET_MAX
    }
}

/// A key loaded from its bucket, and where it lives.
pub struct Stored {
    key: Loaded,
    bucket: Bucket,
    pos: usize,
}

impl Stored {
    /// The key.
    pub fn key(&self) -> &Loaded {
        &self.key
    }

    /// The key, without its location.
    pub fn into_key(self) -> Loaded {
        self.key
    }

    /// Counts one use of a key with a usage limit, persisted before the
    /// signature it pays for exists.
    pub fn consume(&mut self, p: &mut impl Platform) -> Result<(), Error> {
        if self.key.attrs.policy.max_uses.is_some() {
            self.key.uses = self.key.uses.checked_add(1).ok_or(Error::Internal)?;
            let entry = self
                .bucket
                .entries
                .get_mut(self.pos)
                .ok_or(Error::Internal)?;
            entry.0 = self.key.uses;
            self.bucket.store(p)?;
        }
        Ok(())
    }
}

/// Unsealed keys kept in TA memory so that a warm `key-sign` reads
/// nothing: at most [`KEY_CACHE_LEN`], the least recently used dropped
/// first. Only keys without a usage limit (whose use is never written
/// back); an entry is forgotten before its key is deleted, and the whole
/// cache with the instance on wipe. Secrets are wiped when an entry is
/// dropped (`SecretKey` zeroizes itself).
#[derive(Default)]
pub struct KeyCache(heapless::Vec<Loaded, KEY_CACHE_LEN>);

/// Most keys [`KeyCache`] holds.
pub const KEY_CACHE_LEN: usize = 8;

impl KeyCache {
    /// Key `id` if cached and `caller` owns it (else `None`, as for a key
    /// not cached: the caller then loads it, which checks the owner).
    pub fn get(&self, caller: &Caller, id: KeyId) -> Option<&Loaded> {
        self.0
            .iter()
            .find(|k| k.attrs.id == id && caller.owns(&k.attrs.owner))
    }

    /// Keeps `key` as the most recently used (a usage-limited key is
    /// dropped instead).
    pub fn put(&mut self, key: Loaded) {
        if key.attrs.policy.max_uses.is_some() {
            return;
        }
        self.forget(key.attrs.id);
        if self.0.is_full() && !self.0.is_empty() {
            self.0.remove(0);
        }
        let _ = self.0.push(key);
    }

    /// Marks `id` as just used.
    pub fn touch(&mut self, id: KeyId) {
        if let Some(pos) = self.0.iter().position(|k| k.attrs.id == id) {
            let k = self.0.remove(pos);
            let _ = self.0.push(k);
        }
    }

    /// Drops `id` (before its key is deleted).
    pub fn forget(&mut self, id: KeyId) {
        self.0.retain(|k| k.attrs.id != id);
    }
}

impl fmt::Debug for KeyCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.0.iter().map(|k| k.attrs.id))
            .finish()
    }
}

/// Loads and unseals key `id` from its bucket, for `caller`: a key of
/// another owner is `KeyNotFound`, exactly like a missing one, so a client
/// learns nothing about other clients' keys. (The owner is checked on the
/// authenticated attributes, after the unseal.)
pub fn load(
    p: &mut impl Platform,
    caller: &Caller,
    id: KeyId,
    kek: &Key32,
) -> Result<Stored, Error> {
    let bucket = Bucket::load(p, Bucket::of(id))?;
    let pos = bucket.find(id).ok_or(Error::KeyNotFound)?;
    let (uses, blob) = bucket.entries.get(pos).ok_or(Error::Internal)?;
    let (attrs, secret) = unseal(kek, blob)?;
    if attrs.id != id {
        return Err(Error::BlobRejected);
    }
    if !caller.owns(&attrs.owner) {
        return Err(Error::KeyNotFound);
    }
    let key = Loaded {
        attrs,
        secret,
        uses: *uses,
        blob: blob.clone(),
    };
    Ok(Stored { key, bucket, pos })
}

/// The key index: every key id with its owner's tag, in creation order.
#[derive(Debug, Default)]
pub struct Index(pub Vec<(KeyId, OwnerTag)>);

fn index_id() -> Result<ObjectId, Error> {
    objects::key_index()
}

impl Index {
    /// Loads the index (empty when absent).
    pub fn load(p: &mut impl Platform) -> Result<Index, Error> {
        let Some((version, body)) = load_versioned(p, &index_id()?, &[LAYOUT_V1, LAYOUT_V2])?
        else {
            return Ok(Index::default());
        };
        let entry_len = if version == LAYOUT_V1 {
            KEY_ID_LEN
        } else {
            KEY_ID_LEN + 8
        };
        let mut r = Reader::new(&body);
        let n = r.array::<2>().ok_or(Error::Storage)?;
        let n = u16::from_le_bytes(n);
        if n > MAX_KEYS || r.rest().len() != usize::from(n) * entry_len {
            return Err(Error::Storage);
        }
        let mut ids = Vec::new();
        ids.try_reserve_exact(usize::from(n))
            .map_err(|_| Error::Internal)?;
        while let Some(id) = r.array() {
            let owner = if version == LAYOUT_V1 {
                OwnerTag::LEGACY
            } else {
                OwnerTag(r.array().ok_or(Error::Storage)?)
            };
            ids.push((KeyId(id), owner));
        }
        Ok(Index(ids))
    }

    /// Replaces the index object (one atomic write, always version 2).
    pub fn store(&self, p: &mut impl Platform) -> Result<(), Error> {
        let n = u16::try_from(self.0.len()).map_err(|_| Error::Internal)?;
        let mut out = Vec::new();
        out.try_reserve_exact(3 + self.0.len() * (KEY_ID_LEN + 8))
            .map_err(|_| Error::Internal)?;
        out.push(LAYOUT_V2);
        out.extend_from_slice(&n.to_le_bytes());
        for (id, owner) in &self.0 {
            out.extend_from_slice(&id.0);
            out.extend_from_slice(&owner.0);
        }
        Ok(p.write(&index_id()?, &out)?)
    }

    /// Whether `id` is listed (whoever owns it: ids are unique TA-wide).
    pub fn contains(&self, id: KeyId) -> bool {
        self.0.iter().any(|(k, _)| *k == id)
    }

    /// Where `id` is listed.
    pub fn position(&self, id: KeyId) -> Option<usize> {
        self.0.iter().position(|(k, _)| *k == id)
    }

    /// The ids `caller` may use, in creation order.
    pub fn owned_by<'a>(&'a self, caller: &'a Caller) -> impl Iterator<Item = KeyId> + 'a {
        self.0
            .iter()
            .filter(|(_, owner)| caller.owns_tag(*owner))
            .map(|(id, _)| *id)
    }

    /// `KeyLimit` when [`MAX_KEYS`] keys are listed, or `caller` holds
    /// [`MAX_KEYS_PER_CLIENT`] of them.
    pub fn room(&self, caller: &Caller) -> Result<(), Error> {
        if self.0.len() >= usize::from(MAX_KEYS) {
            return Err(Error::KeyLimit(MAX_KEYS));
        }
        let own = self.0.iter().filter(|(_, o)| *o == caller.tag()).count();
        if own >= usize::from(MAX_KEYS_PER_CLIENT) {
            return Err(Error::KeyLimit(MAX_KEYS_PER_CLIENT));
        }
        Ok(())
    }
}

/// Stores a new key of `owner`: bucket first, then the index.
pub fn add(
    p: &mut impl Platform,
    index: &mut Index,
    bucket: &mut Bucket,
    (id, owner): (KeyId, OwnerTag),
    blob: Blob,
) -> Result<(), Error> {
    bucket.entries.push((0, blob));
    bucket.store(p)?;
    index.0.push((id, owner));
    index.store(p)
}
