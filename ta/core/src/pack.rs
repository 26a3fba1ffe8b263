//! Small objects packed into one: the TA-unique secret, the policy, the
//! TA's attestation key and every PIN record live in fixed-size slots of
//! object `st`, updated in place, instead of one object each.
//!
//! OP-TEE's REE FS keeps one directory file for every object of every TA
//! and searches it on every open, so each object the TA owns makes every
//! storage operation slower; with the key vault (`kv`) and the two log
//! objects (`lg`, `la`), this keeps the TA at six objects at most (`st`,
//! `kv`, `txctr`, `lg`, `la`, `lgr`) whatever the number of keys, PIN
//! records and log entries.
//!
//! [`Packed`] wraps the platform for every command: the stores above read,
//! write and delete `secret`, `cfg`, `attest`, `pin` and `pn/<tag>` as
//! before, and each such call becomes one read or one atomic write of a
//! slot (`TEE_WriteObjectData` at its offset). Other objects pass through.
//!
//! # Layout of `st`
//!
//! An 8-byte header `[1] ‖ state (1 ready, 2 moving) ‖ 0(6)`, then:
//!
//! | slot | bytes | holds |
//! |---|---|---|
//! | secret | 2 + 40 | `length (u16 LE) ‖ object ‖ 0…` (length 0: absent) |
//! | cfg | 2 + 96 | the same |
//! | attest | 2 + 208 | the same |
//! | pin | 2 + 56 | the same (the PIN of versions before client isolation) |
//! | 16 × pn | 8 + 2 + 56 | `owner tag ‖ length ‖ record ‖ 0…` (all zero: free) |
//!
//! A PIN record is found by reading the 16 PIN slots at once (1,056
//! bytes); the rollback guard (`crate::freshness`) still checks each slot
//! this TA lifetime wrote inside that read. A slot keeps its owner tag
//! until the record is deleted (by a wipe).
//!
//! # Earlier layout
//!
//! Versions before this one kept each of these in its own object. The
//! first command after an upgrade copies them into `st` (one write, state
//! `moving`), deletes the old objects, then marks `st` ready; a power cut
//! redoes the deletions, and the old objects are never read again once
//! `st` exists.

use alloc::vec::Vec;
use mfs_proto::{MAX_PIN_RECORDS, StorageKind};

use crate::objects;
use crate::platform::{ObjectId, Platform, PlatformError, PlatformFacts};

const HEADER_LEN: usize = 8;
const READY: u8 = 1;
const MOVING: u8 = 2;
const PIN_CAP: usize = 56;
const TAG_LEN: usize = 8;
/// Bytes of one PIN slot: owner tag, length, record.
pub const PIN_SLOT_LEN: usize = TAG_LEN + 2 + PIN_CAP;
/// Bytes of all PIN slots, read at once.
pub const PIN_AREA_LEN: usize = MAX_PIN_RECORDS * PIN_SLOT_LEN;

/// The fixed slots, in order: name and capacity.
const FIXED: [(&[u8], usize); 4] = [
    (b"secret", 40),
    (b"cfg", 96),
    (b"attest", 208),
    (b"pin", PIN_CAP),
];

fn fixed_slot(name: &[u8]) -> Option<(usize, usize)> {
    let mut at = HEADER_LEN;
    for (n, cap) in FIXED {
        if n == name {
            return Some((at, cap));
        }
        at += 2 + cap;
    }
    None
}

fn pin_area_offset() -> usize {
    FIXED.iter().fold(HEADER_LEN, |at, (_, cap)| at + 2 + cap)
}

/// Bytes of `st`.
pub const ST_LEN: usize =
    HEADER_LEN + (2 + 40) + (2 + 96) + (2 + 208) + (2 + PIN_CAP) + PIN_AREA_LEN;

fn st_id() -> Result<ObjectId, PlatformError> {
    objects::packed_state().map_err(|_| PlatformError::Storage)
}

fn offset(at: usize) -> Result<u32, PlatformError> {
    u32::try_from(at).map_err(|_| PlatformError::Storage)
}

/// Where a packed object lives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Place {
    Fixed { at: usize, cap: usize },
    Pin([u8; TAG_LEN]),
}

fn place(id: &ObjectId) -> Option<Place> {
    let name = id.as_bytes();
    if let Some((at, cap)) = fixed_slot(name) {
        return Some(Place::Fixed { at, cap });
    }
    let hex = name.strip_prefix(b"pn/")?;
    let text = core::str::from_utf8(hex).ok()?;
    let tag: [u8; TAG_LEN] = mfs_proto::hex_bytes(text)?;
    // Only the canonical (lowercase) name is a PIN record.
    (objects::client_pin(&tag).ok()? == *id).then_some(Place::Pin(tag))
}

/// Whether object `id` is packed into `st`.
pub fn is_packed(id: &ObjectId) -> bool {
    place(id).is_some()
}

/// What the packing layer keeps per TA lifetime: whether objects of the
/// earlier layout were looked for.
#[derive(Debug, Default)]
pub struct PackState {
    checked: bool,
    /// Whether `st` exists (known once `checked`).
    exists: bool,
}

/// The platform with the small objects packed into `st` (see the module
/// docs). The PIN slots read in this command are kept for its writes.
pub struct Packed<'a, P> {
    inner: &'a mut P,
    state: &'a mut PackState,
    pins: Option<[Option<[u8; TAG_LEN]>; MAX_PIN_RECORDS]>,
}

fn encode(data: &[u8], cap: usize) -> Result<Vec<u8>, PlatformError> {
    if data.is_empty() || data.len() > cap {
        return Err(PlatformError::Storage);
    }
    let len = u16::try_from(data.len()).map_err(|_| PlatformError::Storage)?;
    let mut out = Vec::new();
    out.try_reserve_exact(2 + cap)
        .map_err(|_| PlatformError::Storage)?;
    out.extend_from_slice(&len.to_le_bytes());
    out.extend_from_slice(data);
    out.resize(2 + cap, 0);
    Ok(out)
}

/// `length (u16 LE) ‖ data ‖ 0…` → the data (`None`: length 0).
fn decode(slot: &[u8], cap: usize) -> Result<Option<Vec<u8>>, PlatformError> {
    let (len, rest) = slot.split_at_checked(2).ok_or(PlatformError::Storage)?;
    let len = usize::from(u16::from_le_bytes([
        len.first().copied().unwrap_or(0),
        len.get(1).copied().unwrap_or(0),
    ]));
    if rest.len() != cap || len > cap {
        return Err(PlatformError::Storage);
    }
    if len == 0 {
        return Ok(None);
    }
    Ok(rest.get(..len).map(<[u8]>::to_vec))
}

/// The owner tag (`None`: a free slot) and the rest of each PIN slot of
/// `area`.
fn pin_slots(
    area: &[u8],
) -> impl Iterator<Item = Result<(Option<[u8; TAG_LEN]>, &[u8]), PlatformError>> {
    area.chunks_exact(PIN_SLOT_LEN).map(|slot| {
        let (t, rest) = slot
            .split_at_checked(TAG_LEN)
            .ok_or(PlatformError::Storage)?;
        let t: [u8; TAG_LEN] = t.try_into().map_err(|_| PlatformError::Storage)?;
        Ok(((t != [0; TAG_LEN]).then_some(t), rest))
    })
}

/// The owner tag of each PIN slot (all free when there is no `st`).
fn pin_tags_of(
    area: Option<&[u8]>,
) -> Result<[Option<[u8; TAG_LEN]>; MAX_PIN_RECORDS], PlatformError> {
    let mut tags = [None; MAX_PIN_RECORDS];
    for (t, slot) in tags.iter_mut().zip(pin_slots(area.unwrap_or_default())) {
        *t = slot?.0;
    }
    Ok(tags)
}

/// A used PIN slot: `tag ‖ length ‖ record ‖ 0…`.
fn pin_slot(tag: &[u8; TAG_LEN], record: &[u8]) -> Result<Vec<u8>, PlatformError> {
    let mut slot = Vec::new();
    slot.try_reserve_exact(PIN_SLOT_LEN)
        .map_err(|_| PlatformError::Storage)?;
    slot.extend_from_slice(tag);
    slot.extend_from_slice(&encode(record, PIN_CAP)?);
    Ok(slot)
}

impl<'a, P: Platform> Packed<'a, P> {
    /// Wraps `inner`; `state` is the TA lifetime's packing state.
    pub fn new(inner: &'a mut P, state: &'a mut PackState) -> Packed<'a, P> {
        Packed {
            inner,
            state,
            pins: None,
        }
    }

    /// Moves objects of the earlier layout into `st` once per lifetime.
    fn ready(&mut self) -> Result<(), PlatformError> {
        if self.state.checked {
            return Ok(());
        }
        let st = st_id()?;
        match self.inner.read_at(&st, 0, HEADER_LEN)? {
            Some(h) if h.as_slice() == header(READY) => self.state.exists = true,
            Some(h) if h.as_slice() == header(MOVING) => {
                self.state.exists = true;
                self.delete_earlier()?;
            }
            Some(_) => return Err(PlatformError::Storage),
            None => self.move_earlier()?,
        }
        self.state.checked = true;
        Ok(())
    }

    fn earlier_ids(&mut self) -> Result<Vec<ObjectId>, PlatformError> {
        let mut ids = self.inner.object_ids()?;
        ids.retain(is_packed);
        Ok(ids)
    }

    fn move_earlier(&mut self) -> Result<(), PlatformError> {
        let ids = self.earlier_ids()?;
        if ids.is_empty() {
            return Ok(());
        }
        let mut st = Vec::new();
        st.try_reserve_exact(ST_LEN)
            .map_err(|_| PlatformError::Storage)?;
        st.resize(ST_LEN, 0);
        st.get_mut(..HEADER_LEN)
            .ok_or(PlatformError::Storage)?
            .copy_from_slice(&header(MOVING));
        let mut next_pin = 0usize;
        for id in &ids {
            let Some(data) = self.inner.read(id)? else {
                continue;
            };
            let (at, bytes) = match place(id) {
                Some(Place::Fixed { at, cap }) => (at, encode(&data, cap)?),
                Some(Place::Pin(tag)) => {
                    if next_pin >= MAX_PIN_RECORDS {
                        return Err(PlatformError::Storage);
                    }
                    let at = Self::pin_slot_at(next_pin);
                    next_pin += 1;
                    (at, pin_slot(&tag, &data)?)
                }
                None => continue,
            };
            let end = at.checked_add(bytes.len()).ok_or(PlatformError::Storage)?;
            st.get_mut(at..end)
                .ok_or(PlatformError::Storage)?
                .copy_from_slice(&bytes);
        }
        self.inner.write(&st_id()?, &st)?;
        self.state.exists = true;
        self.delete_earlier()
    }

    fn delete_earlier(&mut self) -> Result<(), PlatformError> {
        for id in self.earlier_ids()? {
            self.inner.delete(&id)?;
        }
        self.inner.write_at(&st_id()?, 0, &header(READY))
    }

    /// The PIN slots' owner tags (read once per command).
    fn pin_tags(&mut self) -> Result<[Option<[u8; TAG_LEN]>; MAX_PIN_RECORDS], PlatformError> {
        if let Some(t) = self.pins {
            return Ok(t);
        }
        let area = self.read_pin_area()?;
        let tags = pin_tags_of(area.as_deref())?;
        self.pins = Some(tags);
        Ok(tags)
    }

    fn read_pin_area(&mut self) -> Result<Option<Vec<u8>>, PlatformError> {
        let area = self.inner.read_slots(
            &st_id()?,
            offset(pin_area_offset())?,
            PIN_SLOT_LEN,
            MAX_PIN_RECORDS,
        )?;
        match area {
            None => Ok(None),
            Some(a) if a.len() == PIN_AREA_LEN => Ok(Some(a)),
            Some(_) => Err(PlatformError::Storage),
        }
    }

    fn pin_slot_at(i: usize) -> usize {
        pin_area_offset() + i * PIN_SLOT_LEN
    }

    /// Writes `bytes` at `at` of `st`, creating `st` if needed.
    fn put(&mut self, at: usize, bytes: &[u8]) -> Result<(), PlatformError> {
        let st = st_id()?;
        if self.state.exists {
            return self.inner.write_at(&st, offset(at)?, bytes);
        }
        let mut whole = Vec::new();
        whole
            .try_reserve_exact(ST_LEN)
            .map_err(|_| PlatformError::Storage)?;
        whole.resize(ST_LEN, 0);
        whole
            .get_mut(..HEADER_LEN)
            .ok_or(PlatformError::Storage)?
            .copy_from_slice(&header(READY));
        let end = at.checked_add(bytes.len()).ok_or(PlatformError::Storage)?;
        whole
            .get_mut(at..end)
            .ok_or(PlatformError::Storage)?
            .copy_from_slice(bytes);
        self.inner.write(&st, &whole)?;
        self.state.exists = true;
        Ok(())
    }
}

fn header(state: u8) -> [u8; HEADER_LEN] {
    [1, state, 0, 0, 0, 0, 0, 0]
}

impl<P: Platform> Platform for Packed<'_, P> {
    fn read(&mut self, id: &ObjectId) -> Result<Option<Vec<u8>>, PlatformError> {
        self.ready()?;
        match place(id) {
            None => self.inner.read(id),
            Some(Place::Fixed { at, cap }) => {
                match self.inner.read_at(&st_id()?, offset(at)?, 2 + cap)? {
                    None => Ok(None),
                    Some(slot) => decode(&slot, cap),
                }
            }
            Some(Place::Pin(tag)) => {
                // The slots' tags are kept for this command's writes.
                let area = self.read_pin_area()?;
                self.pins = Some(pin_tags_of(area.as_deref())?);
                for slot in pin_slots(area.as_deref().unwrap_or_default()) {
                    match slot? {
                        (Some(t), rest) if t == tag => return decode(rest, PIN_CAP),
                        _ => {}
                    }
                }
                Ok(None)
            }
        }
    }

    fn write(&mut self, id: &ObjectId, data: &[u8]) -> Result<(), PlatformError> {
        self.ready()?;
        match place(id) {
            None => self.inner.write(id, data),
            Some(Place::Fixed { at, cap }) => {
                let bytes = encode(data, cap)?;
                self.put(at, &bytes)
            }
            Some(Place::Pin(tag)) => {
                let tags = self.pin_tags()?;
                let i = tags
                    .iter()
                    .position(|t| *t == Some(tag))
                    .or_else(|| tags.iter().position(Option::is_none))
                    .ok_or(PlatformError::Storage)?;
                self.put(Self::pin_slot_at(i), &pin_slot(&tag, data)?)?;
                if let Some(t) = self.pins.as_mut().and_then(|t| t.get_mut(i)) {
                    *t = Some(tag);
                }
                Ok(())
            }
        }
    }

    fn read_at(
        &mut self,
        id: &ObjectId,
        offset: u32,
        len: usize,
    ) -> Result<Option<Vec<u8>>, PlatformError> {
        if is_packed(id) {
            return Err(PlatformError::Storage);
        }
        self.ready()?;
        self.inner.read_at(id, offset, len)
    }

    fn read_slots(
        &mut self,
        id: &ObjectId,
        offset: u32,
        slot_len: usize,
        count: usize,
    ) -> Result<Option<Vec<u8>>, PlatformError> {
        if is_packed(id) {
            return Err(PlatformError::Storage);
        }
        self.ready()?;
        self.inner.read_slots(id, offset, slot_len, count)
    }

    fn write_at(&mut self, id: &ObjectId, offset: u32, data: &[u8]) -> Result<(), PlatformError> {
        if is_packed(id) {
            return Err(PlatformError::Storage);
        }
        self.ready()?;
        self.inner.write_at(id, offset, data)
    }

    fn append(&mut self, id: &ObjectId, data: &[u8]) -> Result<(), PlatformError> {
        if is_packed(id) {
            return Err(PlatformError::Storage);
        }
        self.ready()?;
        self.inner.append(id, data)
    }

    fn delete(&mut self, id: &ObjectId) -> Result<(), PlatformError> {
        self.ready()?;
        let st = st_id()?;
        match place(id) {
            None => self.inner.delete(id),
            Some(_) if !self.state.exists => Ok(()),
            Some(Place::Fixed { at, cap }) => {
                let mut zeros = Vec::new();
                zeros
                    .try_reserve_exact(2 + cap)
                    .map_err(|_| PlatformError::Storage)?;
                zeros.resize(2 + cap, 0);
                self.inner.write_at(&st, offset(at)?, &zeros)
            }
            Some(Place::Pin(tag)) => {
                let tags = self.pin_tags()?;
                let Some(i) = tags.iter().position(|t| *t == Some(tag)) else {
                    return Ok(());
                };
                // The whole slot, tag included, is free again.
                self.inner
                    .write_at(&st, offset(Self::pin_slot_at(i))?, &[0; PIN_SLOT_LEN])?;
                if let Some(t) = self.pins.as_mut().and_then(|t| t.get_mut(i)) {
                    *t = None;
                }
                Ok(())
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

    /// Every object, the packed ones that exist in place of `st`.
    fn object_ids(&mut self) -> Result<Vec<ObjectId>, PlatformError> {
        self.ready()?;
        let st = st_id()?;
        let mut ids = self.inner.object_ids()?;
        // Whether `st` exists is known from reading it, not from the
        // listing (which the normal world could cut short).
        if !self.state.exists && !ids.contains(&st) {
            return Ok(ids);
        }
        ids.retain(|id| *id != st);
        for (name, _) in FIXED {
            let id = ObjectId::new(name).ok_or(PlatformError::Storage)?;
            if self.read(&id)?.is_some() {
                ids.push(id);
            }
        }
        let area = self.read_pin_area()?.unwrap_or_default();
        for slot in pin_slots(&area) {
            if let (Some(t), rest) = slot?
                && decode(rest, PIN_CAP)?.is_some()
            {
                ids.push(objects::client_pin(&t).map_err(|_| PlatformError::Storage)?);
            }
        }
        Ok(ids)
    }
}

#[cfg(test)]
mod test {
    use super::*;
    use crate::freshness::{Freshness, Guard};
    use crate::mem::MemPlatform;

    fn oid(name: &[u8]) -> ObjectId {
        ObjectId::new(name).unwrap()
    }

    fn pn(i: u8) -> ObjectId {
        objects::client_pin(&[i + 1; 8]).unwrap()
    }

    #[test]
    fn small_objects_share_one_object_written_in_place() {
        let mut p = MemPlatform::new();
        let mut state = PackState::default();
        let mut k = Packed::new(&mut p, &mut state);
        assert_eq!(k.read(&oid(b"secret")), Ok(None));
        k.write(&oid(b"secret"), &[1; 33]).unwrap();
        k.write(&oid(b"cfg"), &[2; 73]).unwrap();
        for i in 0..16 {
            k.write(&pn(i), &[i; 52]).unwrap();
        }
        // a 17th PIN record has no slot; nothing bigger than its slot fits
        assert_eq!(k.write(&pn(16), &[0; 52]), Err(PlatformError::Storage));
        assert_eq!(k.write(&oid(b"cfg"), &[0; 97]), Err(PlatformError::Storage));
        k.write(&oid(b"kv"), b"other objects pass through").unwrap();
        let mut ids = k.object_ids().unwrap();
        ids.sort();
        assert_eq!(ids.len(), 2 + 16 + 1);
        assert!(!ids.contains(&oid(b"st")));
        assert_eq!(k.read(&pn(7)).unwrap().unwrap(), [7; 52]);
        // an update and a delete are one write of one slot each
        let w = p.writes();
        let mut k = Packed::new(&mut p, &mut state);
        k.write(&pn(7), &[9; 52]).unwrap();
        k.delete(&oid(b"secret")).unwrap();
        k.delete(&pn(3)).unwrap();
        assert_eq!(p.writes() - w, 3);
        assert_eq!(p.object_count(), 2, "st and kv");
        let st = p.read(&oid(b"st")).unwrap().unwrap();
        assert_eq!(st.len(), ST_LEN);
        let mut k = Packed::new(&mut p, &mut state);
        assert_eq!(k.read(&oid(b"secret")), Ok(None));
        assert_eq!(k.read(&pn(3)), Ok(None));
        assert_eq!(k.read(&pn(7)).unwrap().unwrap(), [9; 52]);
        // the freed slot takes a new owner
        k.write(&pn(16), &[6; 52]).unwrap();
        assert_eq!(k.read(&pn(16)).unwrap().unwrap(), [6; 52]);
        // packed objects are not appended to or written in part
        assert_eq!(k.append(&oid(b"cfg"), b"x"), Err(PlatformError::Storage));
        assert_eq!(k.write_at(&pn(1), 0, b"x"), Err(PlatformError::Storage));
    }

    #[test]
    fn a_pin_slot_put_back_is_refused_within_a_lifetime() {
        let mut p = MemPlatform::new();
        let mut mem = Freshness::default();
        let mut state = PackState::default();
        let mut g = Guard::new(&mut p, &mut mem);
        let mut k = Packed::new(&mut g, &mut state);
        k.write(&pn(0), &[5; 52]).unwrap();
        k.write(&pn(1), &[5; 52]).unwrap();
        let full = p.snapshot();
        let mut g = Guard::new(&mut p, &mut mem);
        let mut k = Packed::new(&mut g, &mut state);
        k.write(&pn(1), &[4; 52]).unwrap();
        // root puts `st` back: the slot written since is refused, even
        // though the record is read with all the others at once
        p.restore(&full);
        let mut g = Guard::new(&mut p, &mut mem);
        let mut k = Packed::new(&mut g, &mut state);
        assert_eq!(k.read(&pn(0)), Err(PlatformError::Rollback));
        assert_eq!(k.read(&pn(1)), Err(PlatformError::Rollback));
    }

    #[test]
    fn the_earlier_objects_move_into_st_whatever_the_power_cuts() {
        let mut base = MemPlatform::new();
        base.write(&oid(b"secret"), &[1; 33]).unwrap();
        base.write(&oid(b"cfg"), &[2; 73]).unwrap();
        base.write(&oid(b"attest"), &[3; 200]).unwrap();
        base.write(&oid(b"pin"), &[4; 51]).unwrap();
        base.write(&pn(0), &[5; 52]).unwrap();
        base.write(&pn(9), &[6; 52]).unwrap();
        base.write(&oid(b"txctr"), &[1; 9]).unwrap();
        let snap = base.snapshot();
        let check = |p: &mut MemPlatform| {
            let mut state = PackState::default();
            let mut k = Packed::new(p, &mut state);
            assert_eq!(k.read(&oid(b"secret")).unwrap().unwrap(), [1; 33]);
            assert_eq!(k.read(&oid(b"cfg")).unwrap().unwrap(), [2; 73]);
            assert_eq!(k.read(&oid(b"attest")).unwrap().unwrap(), [3; 200]);
            assert_eq!(k.read(&oid(b"pin")).unwrap().unwrap(), [4; 51]);
            assert_eq!(k.read(&pn(0)).unwrap().unwrap(), [5; 52]);
            assert_eq!(k.read(&pn(9)).unwrap().unwrap(), [6; 52]);
            assert_eq!(k.object_ids().unwrap().len(), 7);
            let mut real = p.object_ids().unwrap();
            real.sort();
            assert_eq!(real, [oid(b"st"), oid(b"txctr")]);
        };
        for cut in 1.. {
            let mut p = MemPlatform::new();
            p.restore(&snap);
            p.cut_power_at(cut);
            let r = Packed::new(&mut p, &mut PackState::default()).read(&oid(b"cfg"));
            p.power_on();
            check(&mut p);
            if r.is_ok() {
                assert!(cut > 7, "one write, six deletes, the header");
                break;
            }
        }
    }
}
