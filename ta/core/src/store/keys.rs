//! Key persistence: every sealed key in one object of fixed-size slots,
//! updated in place; the TA's attestation key. Blobs are sealed and opened
//! by `crate::seal`; what a key may do is decided above this layer.
//!
//! # Storage
//!
//! OP-TEE's REE FS keeps one directory file for every object of every TA
//! and searches it on every open, so each object the TA owns makes every
//! storage operation slower. All keys therefore share one object, `kv`,
//! whatever their number:
//!
//! * `kv`: an 8-byte header `[1] ‖ state (1 ready, 2 migrating) ‖ slot
//!   length (u16 LE) ‖ 0 0 0 0`, then slots of [`SLOT_LEN`] bytes, at most
//!   [`MAX_KEYS`]. A used slot is `[1] ‖ id (8) ‖ owner tag (8) ‖ uses (u32
//!   LE) ‖ blob length (1) ‖ sealed blob`, zero-padded; a free slot is all
//!   zeros. A key is written with one `write_at` of its slot (generate,
//!   import, a counted use, delete), so each change is atomic and costs the
//!   same at 1 and at 1,000 keys. A new key takes the first free slot, or
//!   one more slot at the end (the object never has a gap).
//!   `uses` is counted (and persisted before the signature is released)
//!   only for keys with a usage limit; such keys are never exportable, so
//!   an old blob can never reset the count.
//! * The slot index (which slot holds which id, for which owner) is read
//!   once per TA lifetime, [`INDEX_CHUNK`] slots per read, and kept in
//!   instance memory ([`Vault`]); afterwards a key is found without
//!   reading storage and loaded with one read of its slot.
//! * `attest`: the TA's own attestation key, `[1] ‖ uses (u32 LE) ‖ sealed
//!   blob` with id 0 and purpose attest, made on first use, never exported
//!   or listed.
//!
//! # Earlier layout
//!
//! Versions before this one kept keys in up to 32 bucket objects `kb/<nn>`
//! (`[1] ‖ n ‖ n × (uses (u32 LE) ‖ len ‖ sealed blob)`) listed by an index
//! object `keys` (`[2] ‖ n (u16 LE) ‖ n × (id ‖ owner tag)`, or version 1
//! `[1] ‖ n ‖ n × id` whose keys belong to [`OwnerTag::LEGACY`]). The first
//! key operation after an upgrade moves every listed key into `kv` (header
//! `migrating`, one append per bucket, header `ready`), then deletes the
//! buckets and, last, `keys`: a power cut at any point redoes the move (or
//! just the deletions) on the next key operation, so no key is lost or
//! doubled.

use core::fmt;

use alloc::vec::Vec;
use mfs_proto::{KEY_ID_LEN, MAX_KEYS, MAX_KEYS_PER_CLIENT, Reader, SEALED_BLOB_MAX_LEN};
use p256::SecretKey;

use crate::access::{Caller, OwnerTag};
use crate::crypto::Key32;
use crate::error::Error;
use crate::objects::{self, LAYOUT_V1, LAYOUT_V2, concat, load_v1, load_versioned};
use crate::platform::{ObjectId, Platform};
use crate::seal::{Attributes, Blob, KeyId, unseal};

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

/// Bytes per slot: flag, id, owner tag, uses, blob length, longest blob.
pub const SLOT_LEN: usize = 1 + KEY_ID_LEN + 8 + 4 + 1 + SEALED_BLOB_MAX_LEN;
/// Header bytes before the first slot.
pub const HEADER_LEN: usize = 8;
/// Slots per read while the slot index is loaded.
pub const INDEX_CHUNK: usize = 16;
const READY: u8 = 1;
const MIGRATING: u8 = 2;
/// Bucket objects of the earlier layout.
const LEGACY_BUCKETS: u8 = 32;
/// Most keys in one bucket of the earlier layout.
const LEGACY_BUCKET_MAX: usize = 64;

fn vault_id() -> Result<ObjectId, Error> {
    objects::key_vault()
}

fn header(state: u8) -> Result<[u8; HEADER_LEN], Error> {
    let len = u16::try_from(SLOT_LEN).map_err(|_| Error::Internal)?;
    concat(&[&[LAYOUT_V1, state], &len.to_le_bytes(), &[0; 4]])
}

fn slot_offset(slot: usize) -> Result<u32, Error> {
    slot.checked_mul(SLOT_LEN)
        .and_then(|o| o.checked_add(HEADER_LEN))
        .and_then(|o| u32::try_from(o).ok())
        .ok_or(Error::Internal)
}

/// One used slot, as stored.
struct Slot<'a> {
    id: KeyId,
    owner: OwnerTag,
    uses: u32,
    blob: &'a [u8],
}

impl Slot<'_> {
    fn encode(&self) -> Result<[u8; SLOT_LEN], Error> {
        let mut out = [0u8; SLOT_LEN];
        let len = u8::try_from(self.blob.len()).map_err(|_| Error::Internal)?;
        let parts: [&[u8]; 6] = [
            &[1],
            &self.id.0,
            &self.owner.0,
            &self.uses.to_le_bytes(),
            &[len],
            self.blob,
        ];
        // The rest of the slot stays zero.
        objects::fill(&mut out, &parts)?;
        Ok(out)
    }

    /// A slot's bytes: `None` when free; `Storage` when malformed.
    fn parse(bytes: &[u8]) -> Result<Option<Slot<'_>>, Error> {
        if bytes.len() != SLOT_LEN {
            return Err(Error::Storage);
        }
        let mut r = Reader::new(bytes);
        match r.u8() {
            Some(0) => return Ok(None),
            Some(1) => {}
            _ => return Err(Error::Storage),
        }
        let (Some(id), Some(owner), Some(uses), Some(blob)) =
            (r.array(), r.array(), r.array::<4>(), r.short())
        else {
            return Err(Error::Storage);
        };
        Ok(Some(Slot {
            id: KeyId(id),
            owner: OwnerTag(owner),
            uses: u32::from_le_bytes(uses),
            blob,
        }))
    }
}

/// Which slot holds which key, read once per TA lifetime and kept in
/// instance memory (`None` until first needed, and again after a failed
/// write so that storage is re-read). Holds ids and owner tags only.
#[derive(Debug, Default)]
pub struct Vault(Option<Slots>);

#[derive(Debug)]
struct Slots {
    /// Whether `kv` exists.
    exists: bool,
    /// Each slot: the key it holds, or free.
    entries: Vec<Option<(KeyId, OwnerTag)>>,
}

impl Slots {
    fn find(&self, id: KeyId) -> Option<(usize, OwnerTag)> {
        self.entries
            .iter()
            .enumerate()
            .find_map(|(i, e)| e.filter(|(k, _)| *k == id).map(|(_, o)| (i, o)))
    }

    fn used(&self) -> impl Iterator<Item = (KeyId, OwnerTag)> + '_ {
        self.entries.iter().flatten().copied()
    }
}

/// A key loaded from its slot, and where it lives.
pub struct Stored {
    key: Loaded,
    slot: usize,
    owner: OwnerTag,
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

    /// Counts one use of a key with a usage limit, persisted (one write of
    /// its slot) before the signature it pays for exists.
    pub fn consume(&mut self, p: &mut impl Platform, vault: &mut Vault) -> Result<(), Error> {
        if self.key.attrs.policy.max_uses.is_some() {
            let uses = self.key.uses.checked_add(1).ok_or(Error::Internal)?;
            let slot = Slot {
                id: self.key.attrs.id,
                owner: self.owner,
                uses,
                blob: &self.key.blob,
            };
            vault.write_slot(p, self.slot, &slot.encode()?)?;
            self.key.uses = uses;
        }
        Ok(())
    }
}

impl Vault {
    /// Forgets the slot index (after a wipe).
    pub fn clear(&mut self) {
        self.0 = None;
    }

    fn slots(&mut self, p: &mut impl Platform) -> Result<&mut Slots, Error> {
        if self.0.is_none() {
            migrate_legacy(p)?;
            self.0 = Some(load_slots(p)?);
        }
        self.0.as_mut().ok_or(Error::Internal)
    }

    /// Whether a key `id` is stored (whoever owns it: ids are unique
    /// TA-wide).
    pub fn contains(&mut self, p: &mut impl Platform, id: KeyId) -> Result<bool, Error> {
        Ok(self.slots(p)?.find(id).is_some())
    }

    /// The ids `caller` may use, in slot order.
    pub fn owned_by(
        &mut self,
        p: &mut impl Platform,
        caller: &Caller,
    ) -> Result<Vec<KeyId>, Error> {
        let slots = self.slots(p)?;
        let mut out = Vec::new();
        out.try_reserve_exact(usize::from(MAX_KEYS_PER_CLIENT))
            .map_err(|_| Error::Internal)?;
        out.extend(
            slots
                .used()
                .filter(|(_, owner)| caller.owns_tag(*owner))
                .map(|(id, _)| id),
        );
        Ok(out)
    }

    /// `KeyLimit` when [`MAX_KEYS`] keys are stored, or `caller` holds
    /// [`MAX_KEYS_PER_CLIENT`] of them.
    pub fn room(&mut self, p: &mut impl Platform, caller: &Caller) -> Result<(), Error> {
        let slots = self.slots(p)?;
        if slots.used().count() >= usize::from(MAX_KEYS) {
            return Err(Error::KeyLimit(MAX_KEYS));
        }
        let own = slots.used().filter(|(_, o)| *o == caller.tag()).count();
        if own >= usize::from(MAX_KEYS_PER_CLIENT) {
            return Err(Error::KeyLimit(MAX_KEYS_PER_CLIENT));
        }
        Ok(())
    }

    /// The sealed blob of key `id` as stored, if `caller` may see it by its
    /// slot's owner tag (the blob is not opened: its header is for listing).
    pub fn blob(
        &mut self,
        p: &mut impl Platform,
        caller: &Caller,
        id: KeyId,
    ) -> Result<Option<Blob>, Error> {
        Ok(self.slot_blob(p, caller, id)?.map(|(_, blob)| blob))
    }

    /// [`Vault::blob`], with the slot that holds it.
    fn slot_blob(
        &mut self,
        p: &mut impl Platform,
        caller: &Caller,
        id: KeyId,
    ) -> Result<Option<(usize, Blob)>, Error> {
        let Some((slot, owner)) = self.slots(p)?.find(id) else {
            return Ok(None);
        };
        if !caller.owns_tag(owner) {
            return Ok(None);
        }
        let bytes = read_slot(p, slot)?;
        match Slot::parse(&bytes)? {
            Some(s) if s.id == id => {
                let blob = Blob::from_slice(s.blob).map_err(|_| Error::Storage)?;
                Ok(Some((slot, blob)))
            }
            _ => Ok(None),
        }
    }

    /// Loads and unseals key `id` for `caller` (one read of its slot): a
    /// key of another owner is `KeyNotFound`, exactly like a missing one,
    /// so a client learns nothing about other clients' keys. (The owner is
    /// checked on the authenticated attributes, after the unseal.)
    pub fn load(
        &mut self,
        p: &mut impl Platform,
        caller: &Caller,
        id: KeyId,
        kek: &Key32,
    ) -> Result<Stored, Error> {
        let (slot, owner) = self.slots(p)?.find(id).ok_or(Error::KeyNotFound)?;
        let bytes = read_slot(p, slot)?;
        let s = Slot::parse(&bytes)?.ok_or(Error::Storage)?;
        if s.id != id {
            return Err(Error::Storage);
        }
        let (attrs, secret) = unseal(kek, s.blob)?;
        if attrs.id != id {
            return Err(Error::BlobRejected);
        }
        if !caller.owns(&attrs.owner) {
            return Err(Error::KeyNotFound);
        }
        let key = Loaded {
            attrs,
            secret,
            uses: s.uses,
            blob: Blob::from_slice(s.blob).map_err(|_| Error::Storage)?,
        };
        Ok(Stored { key, slot, owner })
    }

    /// Stores a new key of `owner` (one write: its slot).
    pub fn add(
        &mut self,
        p: &mut impl Platform,
        (id, owner): (KeyId, OwnerTag),
        blob: &[u8],
    ) -> Result<(), Error> {
        let bytes = Slot {
            id,
            owner,
            uses: 0,
            blob,
        }
        .encode()?;
        let slots = self.slots(p)?;
        let free = slots.entries.iter().position(Option::is_none);
        let slot = match free {
            Some(i) => i,
            None if slots.entries.len() < usize::from(MAX_KEYS) => slots.entries.len(),
            None => return Err(Error::KeyLimit(MAX_KEYS)),
        };
        if slots.exists {
            self.write_slot(p, slot, &bytes)?;
        } else {
            // The first key creates the object: header and slot 0 at once.
            let mut first = Vec::new();
            first
                .try_reserve_exact(HEADER_LEN + SLOT_LEN)
                .map_err(|_| Error::Internal)?;
            first.extend_from_slice(&header(READY)?);
            first.extend_from_slice(&bytes);
            if let Err(e) = p.write(&vault_id()?, &first) {
                self.0 = None;
                return Err(e.into());
            }
            slots.exists = true;
        }
        let slots = self.slots(p)?;
        if slot == slots.entries.len() {
            slots.entries.try_reserve(1).map_err(|_| Error::Internal)?;
            slots.entries.push(Some((id, owner)));
        } else if let Some(e) = slots.entries.get_mut(slot) {
            *e = Some((id, owner));
        }
        Ok(())
    }

    /// Deletes key `id` if `caller` owns it (by the owner in its blob's
    /// header): one write, its slot zeroed. `KeyNotFound` otherwise.
    pub fn remove(
        &mut self,
        p: &mut impl Platform,
        caller: &Caller,
        id: KeyId,
    ) -> Result<(), Error> {
        let (slot, blob) = self.slot_blob(p, caller, id)?.ok_or(Error::KeyNotFound)?;
        let attrs = Attributes::parse_header(&mut Reader::new(&blob)).ok_or(Error::Storage)?;
        if !caller.owns(&attrs.owner) {
            return Err(Error::KeyNotFound);
        }
        self.write_slot(p, slot, &[0; SLOT_LEN])?;
        if let Some(e) = self.slots(p)?.entries.get_mut(slot) {
            *e = None;
        }
        Ok(())
    }

    /// One write of slot `slot`; on failure the index is re-read next time
    /// (the write may or may not have happened).
    fn write_slot(
        &mut self,
        p: &mut impl Platform,
        slot: usize,
        bytes: &[u8],
    ) -> Result<(), Error> {
        let result = p.write_at(&vault_id()?, slot_offset(slot)?, bytes);
        if result.is_err() {
            self.0 = None;
        }
        Ok(result?)
    }
}

fn read_slot(p: &mut impl Platform, slot: usize) -> Result<Vec<u8>, Error> {
    p.read_at(&vault_id()?, slot_offset(slot)?, SLOT_LEN)?
        .ok_or(Error::Storage)
}

/// Reads the slot index of `kv`, [`INDEX_CHUNK`] slots per read.
fn load_slots(p: &mut impl Platform) -> Result<Slots, Error> {
    let mut entries = Vec::new();
    entries
        .try_reserve_exact(usize::from(MAX_KEYS))
        .map_err(|_| Error::Internal)?;
    let exists = each_slot(p, |slot| {
        entries.push(slot.map(|s| (s.id, s.owner)));
        Ok(())
    })?;
    Ok(Slots { exists, entries })
}

/// Every sealed blob in `kv`, in slot order (for checks over the whole
/// store: fuzzing and tests; the TA itself never reads all blobs).
pub fn all_blobs(p: &mut impl Platform) -> Result<Vec<Blob>, Error> {
    let mut out = Vec::new();
    each_slot(p, |slot| {
        if let Some(s) = slot {
            out.push(Blob::from_slice(s.blob).map_err(|_| Error::Storage)?);
        }
        Ok(())
    })?;
    Ok(out)
}

/// Calls `f` for every slot of `kv` in order, [`INDEX_CHUNK`] slots per
/// read; `false` when `kv` does not exist.
fn each_slot(
    p: &mut impl Platform,
    mut f: impl FnMut(Option<Slot<'_>>) -> Result<(), Error>,
) -> Result<bool, Error> {
    let id = vault_id()?;
    let Some(h) = p.read_at(&id, 0, HEADER_LEN)? else {
        return Ok(false);
    };
    if h.as_slice() != header(READY)? {
        return Err(Error::Storage);
    }
    let mut n = 0usize;
    loop {
        let chunk = p
            .read_slots(&id, slot_offset(n)?, SLOT_LEN, INDEX_CHUNK)?
            .ok_or(Error::Storage)?;
        if chunk.len() % SLOT_LEN != 0 {
            return Err(Error::Storage);
        }
        for bytes in chunk.chunks_exact(SLOT_LEN) {
            if n >= usize::from(MAX_KEYS) {
                return Err(Error::Storage);
            }
            f(Slot::parse(bytes)?)?;
            n += 1;
        }
        if chunk.len() < INDEX_CHUNK * SLOT_LEN {
            return Ok(true);
        }
    }
}

/// Moves the keys of the earlier layout (`keys` + `kb/<nn>`) into `kv`,
/// if there are any (see the module docs).
fn migrate_legacy(p: &mut impl Platform) -> Result<(), Error> {
    let Some(index) = legacy_index(p)? else {
        return Ok(());
    };
    let kv = vault_id()?;
    let ready = match p.read_at(&kv, 0, HEADER_LEN)? {
        Some(h) => h.as_slice() == header(READY)?,
        None => false,
    };
    if !ready {
        p.write(&kv, &header(MIGRATING)?)?;
        let mut moved = 0usize;
        for no in 0..LEGACY_BUCKETS {
            let mut chunk = Vec::new();
            for (uses, blob) in legacy_bucket(p, no)? {
                let Some(id) = blob.get(1..1 + KEY_ID_LEN).and_then(|b| b.try_into().ok()) else {
                    continue;
                };
                // Keys the index does not list (a cut generate) are dropped.
                let Some((_, owner)) = index.iter().find(|(k, _)| k.0 == id) else {
                    continue;
                };
                if moved >= usize::from(MAX_KEYS) {
                    return Err(Error::Storage);
                }
                let slot = Slot {
                    id: KeyId(id),
                    owner: *owner,
                    uses,
                    blob: &blob,
                };
                chunk.try_reserve(SLOT_LEN).map_err(|_| Error::Internal)?;
                chunk.extend_from_slice(&slot.encode()?);
                moved += 1;
            }
            if !chunk.is_empty() {
                p.append(&kv, &chunk)?;
            }
        }
        p.write_at(&kv, 0, &header(READY)?)?;
    }
    for no in 0..LEGACY_BUCKETS {
        p.delete(&objects::legacy_key_bucket(no)?)?;
    }
    Ok(p.delete(&objects::legacy_key_index()?)?)
}

/// The earlier layout's index, if it exists.
fn legacy_index(p: &mut impl Platform) -> Result<Option<Vec<(KeyId, OwnerTag)>>, Error> {
    let oid = objects::legacy_key_index()?;
    let Some((version, body)) = load_versioned(p, &oid, &[LAYOUT_V1, LAYOUT_V2])? else {
        return Ok(None);
    };
    let entry_len = if version == LAYOUT_V1 {
        KEY_ID_LEN
    } else {
        KEY_ID_LEN + 8
    };
    let mut r = Reader::new(&body);
    let n = u16::from_le_bytes(r.array::<2>().ok_or(Error::Storage)?);
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
    Ok(Some(ids))
}

/// One bucket of the earlier layout: `(uses, sealed blob)` of each key.
fn legacy_bucket(p: &mut impl Platform, no: u8) -> Result<Vec<(u32, Blob)>, Error> {
    let mut out = Vec::new();
    let Some(body) = load_v1(p, &objects::legacy_key_bucket(no)?)? else {
        return Ok(out);
    };
    let mut r = Reader::new(&body);
    let n = r.u8().ok_or(Error::Storage)?;
    if usize::from(n) > LEGACY_BUCKET_MAX {
        return Err(Error::Storage);
    }
    for _ in 0..n {
        let uses = r.array::<4>().map(u32::from_le_bytes);
        let blob = r.short().and_then(|s| Blob::from_slice(s).ok());
        match (uses, blob) {
            (Some(u), Some(blob)) => out.push((u, blob)),
            _ => return Err(Error::Storage),
        }
    }
    r.finish().ok_or(Error::Storage)?;
    Ok(out)
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
