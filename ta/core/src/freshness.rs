//! Rollback within a TA lifetime: the TA remembers what each object held
//! when it last wrote or read it, and refuses storage that answers with an
//! older state.
//!
//! Storage that is not rollback-protected (OP-TEE's REE FS) can be put back
//! to an older copy by normal-world root: the files are authentic, only
//! stale. Across a reboot nothing in the TA can tell (see the threat
//! model); within one TA lifetime (the instance is kept alive until the TEE
//! restarts) [`Guard`] wraps the platform for every command and checks each
//! read against what this lifetime saw of that object:
//!
//! - after a write: exactly those bytes (length and SHA-256, truncated to
//!   16 bytes);
//! - after an append: the same prefix, and the longer length;
//! - after a delete: no object;
//! - after a failed write, append or delete: either state (the carrier may
//!   have lied either way), never anything older;
//! - after a read: exactly what was read.
//!
//! Objects updated in place ([`Platform::write_at`], fixed-size slots) are
//! remembered per region — offset and length as the TA reads and writes
//! them — with the same rules: a region read must give what this lifetime
//! last wrote or read there. A write over part of a remembered region makes
//! that region unknown (it is checked again from its next read); a
//! whole-object write or delete sets every remembered region of the object.
//!
//! An answer that fits none is `PlatformError::Rollback`, which every
//! command reports as `storage-rollback`; the TA stays closed for that
//! object until storage holds a state this lifetime allows. A PIN record put
//! back to more tries, a counter put back to an earlier value or a log cut
//! back to fewer entries are all refused this way.
//!
//! Memory is bounded: at most [`MAX_REMEMBERED`] objects (the TA writes
//! far fewer: a handful of object names in all), each a few dozen bytes,
//! and at most [`MAX_REGIONS`] regions (one per key, PIN and log slot: the
//! TA's fixed spans reach about 1,100 at 1,000 keys), about 80 bytes each.
//! Both are sorted vectors ([`VecMap`]): binary-search look-ups, and
//! ~10 KB less code in the TA than `BTreeMap`'s three instantiations.

use alloc::vec::Vec;
use sha2::{Digest, Sha256};

use crate::platform::{ObjectId, Platform, PlatformError, PlatformFacts};
use mfs_proto::StorageKind;

/// Most objects remembered; later ones are checked from their first read.
pub const MAX_REMEMBERED: usize = 1024;
/// Most regions remembered (over all objects); later ones are checked
/// from their first read.
pub const MAX_REGIONS: usize = 2048;

type Digest16 = [u8; 16];

fn digest(data: &[u8]) -> Digest16 {
    let full = Sha256::digest(data);
    let mut out = [0u8; 16];
    for (o, b) in out.iter_mut().zip(full.iter()) {
        *o = *b;
    }
    out
}

/// One state an object may be in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    Absent,
    Exact {
        len: usize,
        digest: Digest16,
    },
    /// `prefix_len` bytes with `digest`, then appended data up to `len`.
    Grown {
        prefix_len: usize,
        digest: Digest16,
        len: usize,
    },
}

impl State {
    fn of(data: Option<&[u8]>) -> State {
        match data {
            None => State::Absent,
            Some(d) => State::Exact {
                len: d.len(),
                digest: digest(d),
            },
        }
    }

    fn admits(&self, data: Option<&[u8]>) -> bool {
        match (*self, data) {
            (State::Absent, None) => true,
            (State::Exact { len, digest: h }, Some(d)) => d.len() == len && digest(d) == h,
            (
                State::Grown {
                    prefix_len,
                    digest: h,
                    len,
                },
                Some(d),
            ) => d.len() == len && d.get(..prefix_len).is_some_and(|p| digest(p) == h),
            _ => false,
        }
    }

    fn appended(self, n: usize) -> Option<State> {
        match self {
            State::Absent => None,
            State::Exact { len, digest } => Some(State::Grown {
                prefix_len: len,
                digest,
                len: len.checked_add(n)?,
            }),
            State::Grown {
                prefix_len,
                digest,
                len,
            } => Some(State::Grown {
                prefix_len,
                digest,
                len: len.checked_add(n)?,
            }),
        }
    }
}

/// The states an object may be in: one, or a few after failed writes.
type Allowed = heapless::Vec<State, 4>;

/// One state a region may be in (8 bytes of SHA-256: the region's
/// content is produced by the TA, an attacker only replays old copies).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Region {
    Absent,
    Exact { len: u32, digest: [u8; 8] },
}

impl Region {
    fn of(data: Option<&[u8]>) -> Region {
        match data {
            None => Region::Absent,
            Some(d) => {
                let full = digest(d);
                let mut short = [0u8; 8];
                for (o, b) in short.iter_mut().zip(full.iter()) {
                    *o = *b;
                }
                Region::Exact {
                    len: u32::try_from(d.len()).unwrap_or(u32::MAX),
                    digest: short,
                }
            }
        }
    }
}

/// The states a region may be in: one, or two after a failed write.
type RegionAllowed = heapless::Vec<Region, 2>;

/// A region: offset and length as the TA reads or writes it.
type Span = (u32, u32);

fn overlaps((a, alen): Span, (b, blen): Span) -> bool {
    let a_end = u64::from(a) + u64::from(alen);
    let b_end = u64::from(b) + u64::from(blen);
    u64::from(a) < b_end && u64::from(b) < a_end
}

/// What this TA lifetime knows of its objects (kept in instance memory).
#[derive(Debug, Default)]
pub struct Freshness {
    seen: VecMap<ObjectId, Allowed>,
    regions: VecMap<ObjectId, VecMap<Span, RegionAllowed>>,
    /// The storage kind the first command of this lifetime saw.
    kind: Option<StorageKind>,
}

impl Freshness {
    fn check(&self, id: &ObjectId, data: Option<&[u8]>) -> Result<(), PlatformError> {
        match self.seen.get(id) {
            Some(allowed) if !allowed.iter().any(|s| s.admits(data)) => {
                Err(PlatformError::Rollback)
            }
            _ => Ok(()),
        }
    }

    fn set(&mut self, id: &ObjectId, states: Allowed) {
        if states.is_empty() {
            self.seen.remove(id);
        } else if self.seen.len() < MAX_REMEMBERED || self.seen.contains_key(id) {
            self.seen.insert(id.clone(), states);
        }
    }

    fn one(state: State) -> Allowed {
        let mut a = Allowed::new();
        let _ = a.push(state);
        a
    }

    fn region_count(&self) -> usize {
        self.regions.values().map(VecMap::len).sum()
    }

    fn check_region(
        &self,
        id: &ObjectId,
        span: Span,
        data: Option<&[u8]>,
    ) -> Result<(), PlatformError> {
        // A deleted object stays deleted, whatever region is asked for.
        if data.is_some()
            && self
                .seen
                .get(id)
                .is_some_and(|a| a.as_slice() == [State::Absent])
        {
            return Err(PlatformError::Rollback);
        }
        let now = Region::of(data);
        let Some(regions) = self.regions.get(id) else {
            return Ok(());
        };
        if regions.get(&span).is_some_and(|a| !a.contains(&now)) {
            return Err(PlatformError::Rollback);
        }
        // Every remembered region inside this read is checked too (a read
        // of many slots at once cannot bring one of them back).
        let (start, len) = span;
        let end = u64::from(start) + u64::from(len);
        for (&(off, rlen), allowed) in regions.range_from(&(start, 0)) {
            if u64::from(off) >= end {
                break;
            }
            if (off, rlen) == span || u64::from(off) + u64::from(rlen) > end {
                continue;
            }
            let from = usize::try_from(off - start).unwrap_or(usize::MAX);
            let part = data.map(|d| {
                let a = from.min(d.len());
                let b = a
                    .saturating_add(usize::try_from(rlen).unwrap_or(usize::MAX))
                    .min(d.len());
                d.get(a..b).unwrap_or_default()
            });
            if !allowed.contains(&Region::of(part)) {
                return Err(PlatformError::Rollback);
            }
        }
        Ok(())
    }

    fn set_region(&mut self, id: &ObjectId, span: Span, allowed: RegionAllowed) {
        let room = self.region_count() < MAX_REGIONS;
        let known = self.regions.get(id).is_some_and(|r| r.contains_key(&span));
        if (room || known)
            && let Some(r) = self.regions.get_or_default(id)
        {
            r.insert(span, allowed);
        }
    }

    /// Forgets every remembered region of `id` that overlaps `span` but
    /// is not `span` itself (their content is unknown now).
    fn forget_overlapping(&mut self, id: &ObjectId, span: Span) {
        if let Some(r) = self.regions.get_mut(id) {
            r.retain(|s, _| *s == span || !overlaps(*s, span));
        }
    }

    /// After a whole-object write (`Some(data)`) or delete (`None`): every
    /// remembered region of `id` holds what `data` holds there.
    fn set_all_regions(&mut self, id: &ObjectId, data: Option<&[u8]>) {
        if let Some(r) = self.regions.get_mut(id) {
            for ((off, len), allowed) in r.iter_mut() {
                let part = data.map(|d| {
                    let start = usize::try_from(*off).unwrap_or(usize::MAX).min(d.len());
                    let end = start
                        .saturating_add(usize::try_from(*len).unwrap_or(usize::MAX))
                        .min(d.len());
                    d.get(start..end).unwrap_or_default()
                });
                allowed.clear();
                let _ = allowed.push(Region::of(part));
            }
        }
    }

    /// After a failed whole-object change: each region may also be what
    /// `data` holds there — too many states to track, so they are forgotten.
    fn forget_regions(&mut self, id: &ObjectId) {
        self.regions.remove(id);
    }

    /// After a failed change: what was allowed, or `next`. Unknown before
    /// stays unknown (nothing older to refuse).
    fn widen(&mut self, id: &ObjectId, next: Option<State>) {
        let Some(mut allowed) = self.seen.get(id).cloned() else {
            return;
        };
        match next {
            Some(n) if !allowed.contains(&n) => {
                if allowed.is_full() {
                    allowed.remove(0);
                }
                let _ = allowed.push(n);
                self.set(id, allowed);
            }
            Some(_) => {}
            // a state that cannot be described: forget the object
            None => {
                self.seen.remove(id);
            }
        }
    }
}

/// The platform as every command sees it: each answer checked against
/// what this lifetime saw (see the module docs).
pub struct Guard<'a, P> {
    inner: &'a mut P,
    mem: &'a mut Freshness,
}

impl<'a, P: Platform> Guard<'a, P> {
    /// Wraps `inner` with the lifetime memory `mem`. A storage kind other
    /// than the one this lifetime first saw makes every storage operation
    /// fail with `Rollback` (a downgrade is never followed).
    pub fn new(inner: &'a mut P, mem: &'a mut Freshness) -> Guard<'a, P> {
        Guard { inner, mem }
    }

    fn kind_unchanged(&mut self) -> Result<(), PlatformError> {
        let now = self.inner.storage_kind();
        match self.mem.kind {
            None => {
                self.mem.kind = Some(now);
                Ok(())
            }
            Some(k) if k == now => Ok(()),
            Some(_) => Err(PlatformError::Rollback),
        }
    }

    /// Runs `op`, which appends `data` to `id`, and remembers the object
    /// as grown by it (either state after a failure).
    fn append_known(
        &mut self,
        id: &ObjectId,
        data: &[u8],
        op: impl FnOnce(&mut P) -> Result<(), PlatformError>,
    ) -> Result<(), PlatformError> {
        let before = self.mem.seen.get(id).cloned();
        let result = op(self.inner);
        // Regions near the end may have grown: checked again from their
        // next read.
        self.mem.forget_regions(id);
        let Some(before) = before else {
            return result;
        };
        let grown: Option<Allowed> = before
            .iter()
            .map(|s| s.appended(data.len()))
            .collect::<Option<Vec<State>>>()
            .and_then(|v| Allowed::from_slice(&v).ok());
        match (&result, grown) {
            (Ok(()), Some(g)) => self.mem.set(id, g),
            (Err(_), Some(g)) => {
                for s in g {
                    self.mem.widen(id, Some(s));
                }
            }
            (_, None) => {
                self.mem.seen.remove(id);
            }
        }
        result
    }
}

impl<P: Platform> Platform for Guard<'_, P> {
    fn read(&mut self, id: &ObjectId) -> Result<Option<Vec<u8>>, PlatformError> {
        self.kind_unchanged()?;
        let data = self.inner.read(id)?;
        self.mem.check(id, data.as_deref())?;
        self.mem.set(id, Freshness::one(State::of(data.as_deref())));
        Ok(data)
    }

    fn write(&mut self, id: &ObjectId, data: &[u8]) -> Result<(), PlatformError> {
        self.kind_unchanged()?;
        let next = State::of(Some(data));
        match self.inner.write(id, data) {
            Ok(()) => {
                self.mem.set(id, Freshness::one(next));
                self.mem.set_all_regions(id, Some(data));
                Ok(())
            }
            Err(e) => {
                self.mem.widen(id, Some(next));
                self.mem.forget_regions(id);
                Err(e)
            }
        }
    }

    fn read_at(
        &mut self,
        id: &ObjectId,
        offset: u32,
        len: usize,
    ) -> Result<Option<Vec<u8>>, PlatformError> {
        self.kind_unchanged()?;
        let span = (
            offset,
            u32::try_from(len).map_err(|_| PlatformError::Storage)?,
        );
        let data = self.inner.read_at(id, offset, len)?;
        if data.as_ref().is_some_and(|d| d.len() > len) {
            return Err(PlatformError::Storage);
        }
        self.mem.check_region(id, span, data.as_deref())?;
        let mut one = RegionAllowed::new();
        let _ = one.push(Region::of(data.as_deref()));
        self.mem.set_region(id, span, one);
        Ok(data)
    }

    fn read_slots(
        &mut self,
        id: &ObjectId,
        offset: u32,
        slot_len: usize,
        count: usize,
    ) -> Result<Option<Vec<u8>>, PlatformError> {
        self.kind_unchanged()?;
        let len = slot_len.checked_mul(count).ok_or(PlatformError::Storage)?;
        let data = self.inner.read_at(id, offset, len)?;
        if data.as_ref().is_some_and(|d| d.len() > len) {
            return Err(PlatformError::Storage);
        }
        // Each slot is checked and remembered on its own, as if read alone
        // (a slot past the end reads as empty).
        let slot = u32::try_from(slot_len).map_err(|_| PlatformError::Storage)?;
        let mut spans = Vec::new();
        for i in 0..count {
            let i32_ = u32::try_from(i).map_err(|_| PlatformError::Storage)?;
            let at = i32_
                .checked_mul(slot)
                .and_then(|o| o.checked_add(offset))
                .ok_or(PlatformError::Storage)?;
            let part = data.as_deref().map(|d| {
                let a = (i * slot_len).min(d.len());
                d.get(a..(a + slot_len).min(d.len())).unwrap_or_default()
            });
            self.mem.check_region(id, (at, slot), part)?;
            spans.push(((at, slot), Region::of(part)));
        }
        for (span, state) in spans {
            let mut one = RegionAllowed::new();
            let _ = one.push(state);
            self.mem.set_region(id, span, one);
        }
        Ok(data)
    }

    fn write_at(&mut self, id: &ObjectId, offset: u32, data: &[u8]) -> Result<(), PlatformError> {
        self.kind_unchanged()?;
        // A write exactly at the end of an object whose whole content is
        // known is an append: remembered as one (prefix and longer length).
        let at_end = self.mem.seen.get(id).is_some_and(|allowed| {
            !allowed.is_empty()
                && allowed.iter().all(|s| match s {
                    State::Exact { len, .. } | State::Grown { len, .. } => {
                        usize::try_from(offset).is_ok_and(|o| o == *len)
                    }
                    State::Absent => false,
                })
        });
        if at_end {
            return self.append_known(id, data, |inner| inner.write_at(id, offset, data));
        }
        let span = (
            offset,
            u32::try_from(data.len()).map_err(|_| PlatformError::Storage)?,
        );
        let next = Region::of(Some(data));
        let result = self.inner.write_at(id, offset, data);
        // The whole object is no longer what was last seen of it.
        self.mem.seen.remove(id);
        self.mem.forget_overlapping(id, span);
        match &result {
            Ok(()) => {
                let mut one = RegionAllowed::new();
                let _ = one.push(next);
                self.mem.set_region(id, span, one);
            }
            Err(_) => {
                let known = self.mem.regions.get_mut(id).and_then(|r| r.get_mut(&span));
                if let Some(allowed) = known
                    && !allowed.contains(&next)
                {
                    if allowed.is_full() {
                        allowed.remove(0);
                    }
                    let _ = allowed.push(next);
                }
            }
        }
        result
    }

    fn append(&mut self, id: &ObjectId, data: &[u8]) -> Result<(), PlatformError> {
        self.kind_unchanged()?;
        self.append_known(id, data, |inner| inner.append(id, data))
    }

    fn delete(&mut self, id: &ObjectId) -> Result<(), PlatformError> {
        self.kind_unchanged()?;
        match self.inner.delete(id) {
            Ok(()) => {
                self.mem.set(id, Freshness::one(State::Absent));
                self.mem.set_all_regions(id, None);
                Ok(())
            }
            Err(e) => {
                self.mem.widen(id, Some(State::Absent));
                self.mem.forget_regions(id);
                Err(e)
            }
        }
    }

    fn random(&mut self, buf: &mut [u8]) -> Result<(), PlatformError> {
        self.inner.random(buf)
    }

    fn now_ms(&mut self) -> u64 {
        self.inner.now_ms()
    }

    fn ree_time_s(&mut self) -> u64 {
        self.inner.ree_time_s()
    }

    fn facts(&mut self) -> PlatformFacts {
        self.inner.facts()
    }

    fn storage_kind(&mut self) -> StorageKind {
        self.inner.storage_kind()
    }

    fn object_ids(&mut self) -> Result<Vec<ObjectId>, PlatformError> {
        self.kind_unchanged()?;
        self.inner.object_ids()
    }
}

/// A map kept as a vector sorted by key, for the few hundred entries
/// [`Freshness`] holds: `O(log n)` look-ups, `O(n)` inserts and removals
/// (a memmove), and one small instantiation per type.
#[derive(Debug, Clone)]
pub struct VecMap<K, V>(Vec<(K, V)>);

impl<K, V> Default for VecMap<K, V> {
    fn default() -> Self {
        Self(Vec::new())
    }
}

impl<K: Ord + Clone, V: Default> VecMap<K, V> {
    fn find(&self, k: &K) -> Result<usize, usize> {
        self.0.binary_search_by(|(key, _)| key.cmp(k))
    }

    /// The value of `k`.
    pub fn get(&self, k: &K) -> Option<&V> {
        let i = self.find(k).ok()?;
        self.0.get(i).map(|(_, v)| v)
    }

    /// The value of `k`, mutable.
    pub fn get_mut(&mut self, k: &K) -> Option<&mut V> {
        let i = self.find(k).ok()?;
        self.0.get_mut(i).map(|(_, v)| v)
    }

    /// Whether `k` has a value.
    pub fn contains_key(&self, k: &K) -> bool {
        self.find(k).is_ok()
    }

    /// Sets the value of `k`.
    pub fn insert(&mut self, k: K, v: V) {
        match self.find(&k) {
            Ok(i) => {
                if let Some(slot) = self.0.get_mut(i) {
                    slot.1 = v;
                }
            }
            Err(i) => self.0.insert(i, (k, v)),
        }
    }

    /// The value of `k`, inserted as `V::default()` if there is none
    /// (`None` only if the vector could not hold it, which aborts first).
    pub fn get_or_default(&mut self, k: &K) -> Option<&mut V> {
        let i = self.find(k).unwrap_or_else(|i| {
            self.0.insert(i, (k.clone(), V::default()));
            i
        });
        self.0.get_mut(i).map(|(_, v)| v)
    }

    /// Removes `k` and its value.
    pub fn remove(&mut self, k: &K) {
        if let Ok(i) = self.find(k) {
            self.0.remove(i);
        }
    }

    /// The number of keys.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether there are no keys.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The values, in key order.
    pub fn values(&self) -> impl Iterator<Item = &V> {
        self.0.iter().map(|(_, v)| v)
    }

    /// The entries, in key order, with mutable values.
    pub fn iter_mut(&mut self) -> impl Iterator<Item = (&K, &mut V)> {
        self.0.iter_mut().map(|(k, v)| (&*k, v))
    }

    /// Keeps only the entries `keep` says yes to.
    pub fn retain(&mut self, mut keep: impl FnMut(&K, &V) -> bool) {
        self.0.retain(|(k, v)| keep(k, v));
    }

    /// The entries with keys `>= from`, in key order.
    pub fn range_from(&self, from: &K) -> impl Iterator<Item = (&K, &V)> {
        let start = self.find(from).unwrap_or_else(|i| i);
        self.0
            .get(start..)
            .unwrap_or_default()
            .iter()
            .map(|(k, v)| (k, v))
    }
}

#[cfg(test)]
mod test {
    use super::*;
    use crate::audit;
    use crate::error::Error;
    use crate::mem::{MemPlatform, Snapshot};
    use crate::pin::{status, verify};
    use crate::testkit::{ME, Ta, client};

    /// `VecMap` answers as `BTreeMap` does over a random walk of every
    /// operation the guard uses.
    #[test]
    fn vec_map_is_an_ordered_map() {
        use alloc::collections::BTreeMap;
        let mut ours: VecMap<(u32, u32), u8> = VecMap::default();
        let mut model: BTreeMap<(u32, u32), u8> = BTreeMap::new();
        let mut st = 0x2545_f491_4f6c_dd1du64;
        for step in 0..20_000u32 {
            st ^= st << 13;
            st ^= st >> 7;
            st ^= st << 17;
            let k = ((st % 23) as u32, ((st >> 8) % 3) as u32);
            let v = (st >> 16).to_le_bytes()[0];
            match (st >> 24) % 7 {
                0 | 1 => {
                    ours.insert(k, v);
                    model.insert(k, v);
                }
                2 => {
                    ours.remove(&k);
                    model.remove(&k);
                }
                3 => {
                    if let Some(x) = ours.get_or_default(&k) {
                        *x = x.wrapping_add(v);
                    }
                    let x = model.entry(k).or_default();
                    *x = x.wrapping_add(v);
                }
                4 => {
                    ours.retain(|key, val| key.0 % 5 != k.0 % 5 || *val > v);
                    model.retain(|key, val| key.0 % 5 != k.0 % 5 || *val > v);
                }
                5 => {
                    if let Some(x) = ours.get_mut(&k) {
                        *x ^= v;
                    }
                    if let Some(x) = model.get_mut(&k) {
                        *x ^= v;
                    }
                }
                _ => {
                    for (_, x) in ours.iter_mut() {
                        *x = x.wrapping_add(1);
                    }
                    for x in model.values_mut() {
                        *x = x.wrapping_add(1);
                    }
                }
            }
            assert_eq!(ours.get(&k), model.get(&k), "step {step}");
            assert_eq!(ours.contains_key(&k), model.contains_key(&k));
            assert_eq!(ours.len(), model.len());
            assert_eq!(ours.is_empty(), model.is_empty());
            let a: Vec<_> = ours.range_from(&k).map(|(k, v)| (*k, *v)).collect();
            let b: Vec<_> = model.range(k..).map(|(k, v)| (*k, *v)).collect();
            assert_eq!(a, b, "step {step}");
            assert!(ours.values().eq(model.values()));
        }
    }

    /// `pin-verify` of `pin` through the guard.
    fn verify_guarded(ta: &mut Ta, mem: &mut Freshness, pin: &str) -> Result<u8, Error> {
        let c = client(&mut ta.p, &mut ta.slot);
        let req = c.request(pin);
        let mut g = Guard::new(&mut ta.p, mem);
        verify(&mut g, &mut ta.inst, (&ME, &mut ta.slot), &req).map(|r| r.tries_left)
    }

    #[test]
    fn a_rolled_back_pin_record_gives_no_tries_back() {
        let mut ta = Ta::new(5, 0);
        ta.set("1234").unwrap();
        let mut mem = Freshness::default();
        assert_eq!(verify_guarded(&mut ta, &mut mem, "1234"), Ok(5));
        let full = ta.p.snapshot();
        for left in [4, 3, 2] {
            assert_eq!(
                verify_guarded(&mut ta, &mut mem, "0000"),
                Err(Error::PinIncorrect(left))
            );
        }
        let spent = ta.p.snapshot();
        // root puts the files back: every PIN command refuses
        ta.p.restore(&full);
        assert_eq!(
            verify_guarded(&mut ta, &mut mem, "0000"),
            Err(Error::StorageRollback)
        );
        let mut g = Guard::new(&mut ta.p, &mut mem);
        assert_eq!(
            status(&mut g, &mut ta.inst, &ME),
            Err(Error::StorageRollback)
        );
        assert_eq!(ta.tries_left(), Some(5), "the stale copy is there");
        // the state the TA left works again, with the tries it had
        ta.p.restore(&spent);
        assert_eq!(
            verify_guarded(&mut ta, &mut mem, "0000"),
            Err(Error::PinIncorrect(1))
        );
        // a new lifetime (reboot) cannot tell: the residual risk on REE FS
        ta.p.restore(&full);
        ta.reboot();
        let mut fresh = Freshness::default();
        assert_eq!(verify_guarded(&mut ta, &mut fresh, "1234"), Ok(5));
    }

    #[test]
    fn failed_writes_allow_either_state_never_an_older_one() {
        let id = ObjectId::new(b"x").unwrap();
        let mut p = MemPlatform::new();
        let mut mem = Freshness::default();
        let mut g = Guard::new(&mut p, &mut mem);
        g.write(&id, b"one").unwrap();
        g.write(&id, b"two").unwrap();
        let old = p.snapshot();
        p.fail_write_at(1);
        let mut g = Guard::new(&mut p, &mut mem);
        assert_eq!(g.write(&id, b"three"), Err(PlatformError::Storage));
        // the carrier may say "failed" yet have written: both are allowed
        let mut other = Freshness {
            seen: mem.seen.clone(),
            regions: mem.regions.clone(),
            kind: mem.kind,
        };
        let mut g = Guard::new(&mut p, &mut other);
        assert_eq!(g.read(&id).unwrap().as_deref(), Some(&b"two"[..]));
        *p.object_mut(&id).unwrap() = b"three".to_vec();
        let mut g = Guard::new(&mut p, &mut mem);
        assert_eq!(g.read(&id).unwrap().as_deref(), Some(&b"three"[..]));
        // once "three" was seen, "two" is older
        p.restore(&old);
        let mut g = Guard::new(&mut p, &mut mem);
        assert_eq!(g.read(&id), Err(PlatformError::Rollback));
        // deleted objects stay deleted
        *p.object_mut(&id).unwrap() = b"three".to_vec();
        let mut g = Guard::new(&mut p, &mut mem);
        g.delete(&id).unwrap();
        p.restore(&old);
        let mut g = Guard::new(&mut p, &mut mem);
        assert_eq!(g.read(&id), Err(PlatformError::Rollback));
    }

    fn ev(i: u8) -> audit::Event {
        audit::Event::key(mfs_proto::log::EventKind::KeyDeleted, &[i; 8])
    }

    /// A log of three entries appended through the guard, and a copy of
    /// storage taken after the first.
    fn log_of_three() -> (MemPlatform, Freshness, audit::Cache, Snapshot) {
        let mut p = MemPlatform::new();
        let mut mem = Freshness::default();
        let mut log = audit::Cache::default();
        let mut g = Guard::new(&mut p, &mut mem);
        audit::append(&mut g, &mut log, &[ev(1)]).unwrap();
        let short = p.snapshot();
        let mut g = Guard::new(&mut p, &mut mem);
        audit::append(&mut g, &mut log, &[ev(2)]).unwrap();
        audit::append(&mut g, &mut log, &[ev(3)]).unwrap();
        (p, mem, log, short)
    }

    #[test]
    fn an_appended_log_cannot_be_cut_back() {
        let (mut p, mut mem, _, short) = log_of_three();
        p.restore(&short);
        let mut cold = audit::Cache::default();
        let mut g = Guard::new(&mut p, &mut mem);
        assert_eq!(
            audit::extent(&mut g, &mut cold).err(),
            Some(Error::StorageRollback)
        );
    }

    #[test]
    fn a_region_written_in_place_cannot_be_put_back() {
        let id = ObjectId::new(b"v").unwrap();
        let mut p = MemPlatform::new();
        let mut mem = Freshness::default();
        let mut g = Guard::new(&mut p, &mut mem);
        g.write(&id, b"hdr-aaaa-bbbb").unwrap();
        // a region read before any write is taken as it is
        assert_eq!(g.read_at(&id, 4, 4).unwrap().as_deref(), Some(&b"aaaa"[..]));
        assert_eq!(
            g.read_at(&id, 0, 13).unwrap().as_deref(),
            Some(&b"hdr-aaaa-bbbb"[..])
        );
        let old = p.snapshot();
        let mut g = Guard::new(&mut p, &mut mem);
        g.write_at(&id, 4, b"AAAA").unwrap();
        g.write_at(&id, 9, b"BBBB").unwrap();
        assert_eq!(g.read_at(&id, 4, 4).unwrap().as_deref(), Some(&b"AAAA"[..]));
        // root puts one slot back: that slot is refused, the others work
        p.object_mut(&id).unwrap()[4..8].copy_from_slice(b"aaaa");
        let mut g = Guard::new(&mut p, &mut mem);
        assert_eq!(g.read_at(&id, 4, 4), Err(PlatformError::Rollback));
        assert_eq!(g.read_at(&id, 9, 4).unwrap().as_deref(), Some(&b"BBBB"[..]));
        // the whole old file: every written region is refused
        p.restore(&old);
        let mut g = Guard::new(&mut p, &mut mem);
        assert_eq!(g.read_at(&id, 9, 4), Err(PlatformError::Rollback));
        // a failed write in place allows the old or the new bytes only
        p.object_mut(&id).unwrap().copy_from_slice(b"hdr-AAAA-BBBB");
        p.fail_write_at(1);
        let mut g = Guard::new(&mut p, &mut mem);
        assert_eq!(g.write_at(&id, 9, b"CCCC"), Err(PlatformError::Storage));
        // (either answer is allowed; once one is read, it is the one)
        p.object_mut(&id).unwrap()[9..13].copy_from_slice(b"CCCC");
        let mut g = Guard::new(&mut p, &mut mem);
        assert_eq!(g.read_at(&id, 9, 4).unwrap().as_deref(), Some(&b"CCCC"[..]));
        p.object_mut(&id).unwrap()[9..13].copy_from_slice(b"BBBB");
        let mut g = Guard::new(&mut p, &mut mem);
        assert_eq!(g.read_at(&id, 9, 4), Err(PlatformError::Rollback));
        // a deleted object gives no region back
        p.object_mut(&id).unwrap()[9..13].copy_from_slice(b"CCCC");
        let mut g = Guard::new(&mut p, &mut mem);
        g.delete(&id).unwrap();
        p.restore(&old);
        let mut g = Guard::new(&mut p, &mut mem);
        assert_eq!(g.read_at(&id, 0, 2), Err(PlatformError::Rollback));
    }

    #[test]
    fn a_storage_kind_change_fails_closed() {
        let mut p = MemPlatform::new();
        let mut mem = Freshness::default();
        let id = ObjectId::new(b"x").unwrap();
        Guard::new(&mut p, &mut mem).write(&id, b"1").unwrap();
        p.set_rpmb(true);
        let mut g = Guard::new(&mut p, &mut mem);
        assert_eq!(g.read(&id), Err(PlatformError::Rollback));
        assert_eq!(g.write(&id, b"2"), Err(PlatformError::Rollback));
        // and across lifetimes, the kind recorded at provisioning
        let mut ta = Ta::new(5, 0);
        ta.p.set_rpmb(true);
        assert_eq!(
            crate::store::config::Config::require(&mut ta.p),
            Err(Error::StorageRollback)
        );
    }

    /// A log put back to fewer entries is not appended to (the append
    /// writes at the end this lifetime wrote, so the entries in between
    /// cannot vanish under a recomputed chain) (hostile review).
    #[test]
    fn a_log_put_back_shorter_is_not_appended_to() {
        let (mut p, mut mem, mut log, short) = log_of_three();
        let full = p.snapshot();
        p.restore(&short);
        let mut g = Guard::new(&mut p, &mut mem);
        assert_eq!(
            audit::append(&mut g, &mut log, &[ev(4)]),
            Err(Error::Storage)
        );
        // and reading it back is refused too, while storage is short
        assert_eq!(
            audit::append(&mut g, &mut log, &[ev(4)]),
            Err(Error::StorageRollback)
        );
        // the state the TA left works again, entries 2 and 3 in place
        p.restore(&full);
        let mut g = Guard::new(&mut p, &mut mem);
        audit::append(&mut g, &mut log, &[ev(4)]).unwrap();
        let (_, next, page) = audit::read(&mut g, &mut log, 0, 10).unwrap();
        assert_eq!(next, 4);
        assert_eq!(page[2].1.as_slice(), &[3u8; 8]);
    }

    /// A key slot seen while the slot index was loaded cannot be put back
    /// afterwards: every slot of an index read is remembered on its own,
    /// so a usage count does not go back (hostile review).
    #[test]
    fn a_slot_seen_by_the_index_load_cannot_be_put_back() {
        use crate::keys::{info, sign};
        use crate::state::Instance;
        use crate::testkit::{gen_key, key_platform, sign_policy, sign_req};
        use mfs_proto::KeyPolicy;
        let mut p = key_platform();
        let limited = KeyPolicy {
            max_uses: Some(2),
            exportable: false,
            ..sign_policy()
        };
        let lim = gen_key(&mut p, "lim", limited);
        let free = gen_key(&mut p, "free", sign_policy());
        let kv = crate::objects::key_vault().unwrap();
        let old_kv = p.object_mut(&kv).unwrap().clone();
        let mut a = Instance::default();
        sign(&mut p, &mut a, &ME, &sign_req(&lim.id, b"1")).unwrap();
        sign(&mut p, &mut a, &ME, &sign_req(&lim.id, b"2")).unwrap();
        assert!(sign(&mut p, &mut a, &ME, &sign_req(&lim.id, b"3")).is_err());
        // a new lifetime: the index load reads both slots (lim: 2 uses)
        let mut mem = Freshness::default();
        let mut b = Instance::default();
        let mut g = Guard::new(&mut p, &mut mem);
        sign(&mut g, &mut b, &ME, &sign_req(&free.id, b"x")).unwrap();
        // root puts kv back (lim: 0 uses): refused
        *p.object_mut(&kv).unwrap() = old_kv;
        let mut g = Guard::new(&mut p, &mut mem);
        assert_eq!(
            info(&mut g, &mut b, &ME, &lim.id).err(),
            Some(Error::StorageRollback)
        );
        assert_eq!(
            sign(&mut g, &mut b, &ME, &sign_req(&lim.id, b"3")).err(),
            Some(Error::StorageRollback)
        );
    }
}
