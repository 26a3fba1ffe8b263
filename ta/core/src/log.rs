//! The event log in secure storage: append, read, signed head
//! (encoding and chain rules: `mfs_proto::log`).
//!
//! # Storage
//!
//! Entries live in a ring of [`SEGMENTS`] segment objects of at most
//! [`SEGMENT_ENTRIES`] entries each; segment number `k` (entries
//! `k·128 .. k·128+127`) is stored in object `lg/<k mod 8>`:
//!
//! `[1] ‖ k (u64) ‖ prev hash of its first entry (32) ‖ entries`, each entry
//! `time (u64) ‖ kind (1) ‖ details length (1) ‖ details`, at most 128 (the
//! object's length delimits them)
//!
//! Object `log` holds `[1] ‖ k of the newest segment (u64)`; it changes only
//! when a new segment starts. Seqs and hashes are not stored: they follow
//! from `k` and the segment's prev hash.
//!
//! # Costs
//!
//! An append is one atomic `TEE_WriteObjectData` of the new entries (10–58
//! bytes each) at the end of the newest segment; a new segment is written
//! whole, then `log`. Its cost does not depend on how long the log is; the
//! TA keeps the newest segment in instance memory, so a warm append is
//! exactly one storage write (two when a segment starts). A cold append
//! first reads `log` and one segment (at most 41 + 128 × 58 bytes).
//!
//! # Rollover
//!
//! Starting segment `k` overwrites segment `k − 8`: the TA retains the last
//! 897–1024 entries. The chain is unbroken: the oldest retained segment's
//! prev hash is the checkpoint the signed head reports.
//!
//! # Power cuts
//!
//! Each object write and each append is atomic. Within a segment an
//! append is one write: it lands whole or not at all. Starting a segment is two writes, the new
//! segment first, then `log`; a cut between them leaves `log` naming the
//! full segment `k` while segment `k + 1` exists and chains to it. Loading
//! detects this (number `k + 1`, prev hash = hash of `k`'s last entry) and
//! repairs `log`; anything else that does not chain is reported as a
//! storage failure and never appended to, so the chain cannot fork.
//!
//! # What is logged, and when
//!
//! Every outcome the normal world learns is logged first: commands append
//! their event after their own state change and before their reply; if the
//! append fails the command reports `storage-failure` instead of its result.
//! A power cut between a state change and its append loses that event, but
//! then its outcome was never released either.

use alloc::vec::Vec;
use mfs_proto::log::{DETAILS_MAX_LEN, Entry, EventKind, Hash, Head};
use mfs_proto::log::{LOG_CHALLENGE_MAX_LEN, LOG_PAGE, LogEntryWire};
use mfs_proto::{
    KEY_ID_LEN, KeyPolicy, LogHeadReply, LogHeadRequest, LogReadReply, LogReadRequest,
    PolicyReason, Reader, hex_prefix, hex_string,
};

use crate::Error;
use crate::pin::Instance;
use crate::platform::{ObjectId, Platform, load_u64, store_u64};

/// Entries per segment.
pub const SEGMENT_ENTRIES: usize = 128;
/// Segments in the ring.
pub const SEGMENTS: usize = 8;
const SEGMENTS_U64: u64 = SEGMENTS as u64;
const SEGMENT_V1: u8 = 1;
const HEAD_V1: u8 = 1;
const ENTRY_STORE_MAX: usize = 8 + 1 + 1 + DETAILS_MAX_LEN;
const SEGMENT_HEADER_LEN: usize = 1 + 8 + 32;

/// Details of an event (bounded, never secret).
pub type Details = heapless::Vec<u8, DETAILS_MAX_LEN>;

/// Where a PIN check happened (the "context" of PIN events).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum PinContext {
    /// `PinVerify`.
    Verify = 1,
    /// `PinChange`.
    Change = 2,
    /// `TxSign`.
    TxSign = 3,
}

/// A security event to append.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event {
    /// What happened.
    pub kind: EventKind,
    /// Its details (see [`EventKind`] for the layout of each kind).
    pub details: Details,
}

impl Event {
    fn of(kind: EventKind, parts: &[&[u8]]) -> Event {
        let mut details = Details::new();
        for p in parts {
            // Every caller's parts fit DETAILS_MAX_LEN (48 at most: tx).
            let _ = details.extend_from_slice(p);
        }
        Event { kind, details }
    }
    /// The TA was provisioned.
    pub fn provisioned(tries: u8) -> Event {
        Event::of(EventKind::Provisioned, &[&[tries]])
    }
    /// An event with no details.
    pub fn plain(kind: EventKind) -> Event {
        Event::of(kind, &[])
    }
    /// A PIN matched.
    pub fn pin_verified(ctx: PinContext) -> Event {
        Event::of(EventKind::PinVerified, &[&[ctx as u8]])
    }
    /// The event for a failed PIN check (`PinIncorrect` / `PinBlocked`).
    pub fn pin_refused(ctx: PinContext, e: Error) -> Option<Event> {
        match e {
            Error::PinIncorrect(left) => {
                Some(Event::of(EventKind::PinFailed, &[&[ctx as u8, left]]))
            }
            Error::PinBlocked => Some(Event::of(EventKind::PinBlocked, &[&[ctx as u8]])),
            _ => None,
        }
    }
    /// A key was generated or imported.
    pub fn key_added(kind: EventKind, id: &[u8; KEY_ID_LEN], policy: &KeyPolicy) -> Event {
        Event::of(kind, &[id, &policy.to_bytes()])
    }
    /// An event naming one key.
    pub fn key(kind: EventKind, id: &[u8; KEY_ID_LEN]) -> Event {
        Event::of(kind, &[id])
    }
    /// A key signed (operation 1) or attested (operation 2).
    pub fn key_used(id: &[u8; KEY_ID_LEN], operation: u8, uses: u32) -> Event {
        Event::of(EventKind::KeyUsed, &[id, &[operation], &uses.to_be_bytes()])
    }
    /// A key's policy refused a use.
    pub fn refused(id: &[u8; KEY_ID_LEN], reason: PolicyReason) -> Event {
        // Reason codes are small (append-only enum of a few values).
        let code = u8::try_from(reason as u32).unwrap_or(u8::MAX);
        Event::of(EventKind::PolicyRefused, &[id, &[code]])
    }
    /// A transaction was signed.
    pub fn tx_signed(id: &[u8; KEY_ID_LEN], counter: u64, signed_hash: &Hash) -> Event {
        Event::of(
            EventKind::TxSigned,
            &[id, &counter.to_be_bytes(), signed_hash],
        )
    }
}

/// One stored entry (seq and hashes follow from its segment).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stored {
    /// REE time, UNIX seconds.
    pub time: u64,
    /// Kind.
    pub kind: EventKind,
    /// Details.
    pub details: Details,
}

/// One segment.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Segment {
    k: u64,
    prev: Hash,
    entries: Vec<Stored>,
}

impl Segment {
    fn empty(k: u64, prev: Hash) -> Segment {
        Segment {
            k,
            prev,
            entries: Vec::new(),
        }
    }

    fn object_id(k: u64) -> Result<ObjectId, Error> {
        let slot = u8::try_from(k % SEGMENTS_U64).map_err(|_| Error::Internal)?;
        ObjectId::new(&[b'l', b'g', b'/', b'0' + slot]).ok_or(Error::Internal)
    }

    fn first_seq(&self) -> u64 {
        self.k.saturating_mul(SEGMENT_ENTRIES as u64)
    }

    fn full(&self) -> bool {
        self.entries.len() >= SEGMENT_ENTRIES
    }

    /// The entries with their seqs and prev hashes.
    fn chain(&self) -> impl Iterator<Item = (Entry, &Stored)> + '_ {
        let mut prev = self.prev;
        let first = self.first_seq();
        self.entries.iter().zip(first..).map(move |(s, seq)| {
            let e = Entry::new(seq, s.time, s.kind, &s.details, prev);
            prev = e.hash();
            (e, s)
        })
    }

    /// Hash of the last entry (the prev hash when empty).
    fn last_hash(&self) -> Hash {
        self.chain().last().map_or(self.prev, |(e, _)| e.hash())
    }

    /// Reads segment `k`; `None` when its slot is empty or holds another
    /// segment number.
    fn load(p: &mut impl Platform, k: u64) -> Result<Option<Segment>, Error> {
        let Some(bytes) = p.read(&Segment::object_id(k)?)? else {
            return Ok(None);
        };
        let mut r = Reader::new(&bytes);
        let (Some(SEGMENT_V1), Some(stored_k), Some(prev)) = (r.u8(), r.u64(), r.array()) else {
            return Err(Error::Storage);
        };
        if stored_k != k {
            return Ok(None);
        }
        let mut entries = Vec::new();
        entries
            .try_reserve_exact(SEGMENT_ENTRIES)
            .map_err(|_| Error::Internal)?;
        while !r.rest().is_empty() {
            if entries.len() >= SEGMENT_ENTRIES {
                return Err(Error::Storage);
            }
            let time = r.u64().ok_or(Error::Storage)?;
            let kind = r.u8().and_then(EventKind::from_u8).ok_or(Error::Storage)?;
            let details = r
                .short()
                .and_then(|d| Details::from_slice(d).ok())
                .ok_or(Error::Storage)?;
            entries.push(Stored {
                time,
                kind,
                details,
            });
        }
        Ok(Some(Segment { k, prev, entries }))
    }

    /// The whole segment object: header, then every entry.
    fn store(&self, p: &mut impl Platform) -> Result<(), Error> {
        let mut out = Vec::new();
        out.try_reserve_exact(SEGMENT_HEADER_LEN + self.entries.len() * ENTRY_STORE_MAX)
            .map_err(|_| Error::Internal)?;
        out.push(SEGMENT_V1);
        out.extend_from_slice(&self.k.to_be_bytes());
        out.extend_from_slice(&self.prev);
        for s in &self.entries {
            s.encode_into(&mut out)?;
        }
        Ok(p.write(&Segment::object_id(self.k)?, &out)?)
    }
}

impl Stored {
    fn encode_into(&self, out: &mut Vec<u8>) -> Result<(), Error> {
        out.extend_from_slice(&self.time.to_be_bytes());
        out.push(self.kind as u8);
        out.push(u8::try_from(self.details.len()).map_err(|_| Error::Internal)?);
        out.extend_from_slice(&self.details);
        Ok(())
    }
}

fn head_id() -> Result<ObjectId, Error> {
    ObjectId::new(b"log").ok_or(Error::Internal)
}

fn store_head(p: &mut impl Platform, k: u64) -> Result<(), Error> {
    store_u64(p, &head_id()?, HEAD_V1, k)
}

/// Whether `id` is one of the log's objects (kept by a wipe).
pub fn is_log_object(id: &ObjectId) -> bool {
    id.as_bytes() == b"log" || id.as_bytes().starts_with(b"lg/")
}

/// The log's newest segment, as kept in instance memory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct State {
    current: Segment,
    last: Hash,
    /// Whether the current segment's object exists (appends go to it).
    stored: bool,
}

impl State {
    /// Entries ever appended.
    pub fn next_seq(&self) -> u64 {
        self.current
            .first_seq()
            .saturating_add(self.current.entries.len() as u64)
    }
}

/// Loads the log state from storage, repairing a segment start cut short.
fn load(p: &mut impl Platform) -> Result<State, Error> {
    let k = load_u64(p, &head_id()?, HEAD_V1)?.unwrap_or(0);
    let (current, stored) = match Segment::load(p, k)? {
        Some(s) => (s, true),
        None if k == 0 => (Segment::empty(0, [0; 32]), false),
        // `log` names a segment that is not there: not a state any
        // sequence of (cut) writes produces.
        None => return Err(Error::Storage),
    };
    let last = current.last_hash();
    if current.full() {
        let next_k = k.checked_add(1).ok_or(Error::Internal)?;
        if let Some(next) = Segment::load(p, next_k)?
            && next.prev == last
        {
            // A new segment was written but `log` was not: repair.
            store_head(p, next_k)?;
            let last = next.last_hash();
            return Ok(State {
                current: next,
                last,
                stored: true,
            });
        }
    }
    Ok(State {
        current,
        last,
        stored,
    })
}

/// The cached state, loading it on first use.
fn state<'a>(p: &mut impl Platform, inst: &'a mut Instance) -> Result<&'a mut State, Error> {
    if inst.log.is_none() {
        inst.log = Some(load(p)?);
    }
    inst.log.as_mut().ok_or(Error::Internal)
}

/// Appends `events` in order. On any failure the cached state is dropped
/// (storage is re-read next time) and `Storage` is returned.
pub fn append(p: &mut impl Platform, inst: &mut Instance, events: &[Event]) -> Result<(), Error> {
    let result = append_inner(p, inst, events);
    if result.is_err() {
        inst.log = None;
    }
    result
}

fn append_inner(p: &mut impl Platform, inst: &mut Instance, events: &[Event]) -> Result<(), Error> {
    let time = p.ree_time_s();
    let st = state(p, inst)?;
    // Write order: a full segment's last entries, then the new segment,
    // then `log` (see the module docs). Entries for a segment that exists
    // are appended to it in one write; a new segment is written whole.
    let mut rolled = false;
    let mut pending = Vec::new();
    for ev in events {
        if st.current.full() {
            flush(p, st, &mut pending)?;
            let k = st.current.k.checked_add(1).ok_or(Error::Internal)?;
            st.current = Segment::empty(k, st.last);
            st.stored = false;
            rolled = true;
        }
        let e = Entry::new(st.next_seq(), time, ev.kind, &ev.details, st.last);
        st.last = e.hash();
        let stored = Stored {
            time,
            kind: ev.kind,
            details: ev.details.clone(),
        };
        stored.encode_into(&mut pending)?;
        st.current.entries.push(stored);
    }
    flush(p, st, &mut pending)?;
    if rolled {
        store_head(p, st.current.k)?;
    }
    Ok(())
}

/// Persists the current segment's new entries (`pending`, encoded).
fn flush(p: &mut impl Platform, st: &mut State, pending: &mut Vec<u8>) -> Result<(), Error> {
    if !st.stored {
        st.current.store(p)?;
        st.stored = true;
    } else if !pending.is_empty() {
        p.append(&Segment::object_id(st.current.k)?, pending)?;
    }
    pending.clear();
    Ok(())
}

/// [`append`], but a log that cannot be loaded (damaged storage) is
/// deleted and restarted first, so that a wipe is never blocked. The new
/// log starts at seq 0 after the all-zero checkpoint, which a verifier
/// holding an older export sees as a restart.
pub fn append_or_restart(
    p: &mut impl Platform,
    inst: &mut Instance,
    events: &[Event],
) -> Result<(), Error> {
    if inst.log.is_none() {
        match load(p) {
            Ok(st) => inst.log = Some(st),
            Err(Error::Storage) => {
                for k in 0..SEGMENTS_U64 {
                    p.delete(&Segment::object_id(k)?)?;
                }
                p.delete(&head_id()?)?;
                inst.log = Some(State {
                    current: Segment::empty(0, [0; 32]),
                    last: [0; 32],
                    stored: false,
                });
            }
            Err(e) => return Err(e),
        }
    }
    append(p, inst, events)
}

/// Appends `events` unless `result` is an error that needs none; returns
/// `result`, or `Storage` if the append failed.
pub fn record<T>(
    p: &mut impl Platform,
    inst: &mut Instance,
    result: Result<T, Error>,
    events: impl FnOnce(&Result<T, Error>) -> Option<Event>,
) -> Result<T, Error> {
    if let Some(ev) = events(&result) {
        append(p, inst, &[ev])?;
    }
    result
}

/// What the head statement covers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Extent {
    /// Seq of the oldest retained entry.
    pub first_seq: u64,
    /// Its prev hash.
    pub checkpoint: Hash,
    /// Entries ever appended.
    pub next_seq: u64,
    /// Hash of the newest entry.
    pub head: Hash,
}

fn oldest_k(current_k: u64) -> u64 {
    current_k.saturating_sub(SEGMENTS_U64 - 1)
}

/// The retained extent of the log.
pub fn extent(p: &mut impl Platform, inst: &mut Instance) -> Result<Extent, Error> {
    let st = state(p, inst)?;
    let first_k = oldest_k(st.current.k);
    let checkpoint = if first_k == st.current.k {
        st.current.prev
    } else {
        Segment::load(p, first_k)?.ok_or(Error::Storage)?.prev
    };
    Ok(Extent {
        first_seq: first_k.saturating_mul(SEGMENT_ENTRIES as u64),
        checkpoint,
        next_seq: st.next_seq(),
        head: st.last,
    })
}

/// Entries with their details, in order.
pub type Page = Vec<(Entry, Details)>;

/// Up to `max` entries from seq `from` (or the oldest retained, if later),
/// with their details; stops at a segment end.
pub fn read(
    p: &mut impl Platform,
    inst: &mut Instance,
    from: u64,
    max: usize,
) -> Result<(u64, u64, Page), Error> {
    let st = state(p, inst)?;
    let first = oldest_k(st.current.k).saturating_mul(SEGMENT_ENTRIES as u64);
    let next = st.next_seq();
    let from = from.max(first);
    let mut out = Vec::new();
    if from >= next {
        return Ok((first, next, out));
    }
    let k = from / SEGMENT_ENTRIES as u64;
    // The newest segment is in memory; an older one is read.
    let older;
    let seg = if k == st.current.k {
        &st.current
    } else {
        older = Segment::load(p, k)?.ok_or(Error::Storage)?;
        &older
    };
    for (e, s) in seg.chain().filter(|(e, _)| e.seq >= from).take(max) {
        out.push((e, s.details.clone()));
    }
    Ok((first, next, out))
}

/// The head statement for `challenge` (signed by the caller).
pub fn head(p: &mut impl Platform, inst: &mut Instance, challenge: &[u8]) -> Result<Head, Error> {
    let x = extent(p, inst)?;
    Ok(Head {
        ta_uuid: mfs_proto::parse_uuid(mfs_proto::TA_UUID).ok_or(Error::Internal)?,
        tee_device_id: p.facts().tee_device_id,
        first_seq: x.first_seq,
        checkpoint: x.checkpoint,
        next_seq: x.next_seq,
        head: x.head,
        challenge: heapless::Vec::from_slice(challenge).map_err(|_| Error::BadRequest)?,
    })
}

/// `LogRead`: one page of entries.
pub fn read_page(
    p: &mut impl Platform,
    inst: &mut Instance,
    req: &LogReadRequest,
) -> Result<LogReadReply, Error> {
    let (first, next, entries) = read(p, inst, req.from, LOG_PAGE)?;
    let mut page = heapless::Vec::new();
    for (e, details) in entries {
        page.push(LogEntryWire {
            seq: e.seq,
            time: e.time,
            kind: e.kind as u8,
            details: hex_string(&details).map_err(|_| Error::Internal)?,
        })
        .map_err(|_| Error::Internal)?;
    }
    Ok(LogReadReply {
        first,
        next,
        entries: page,
    })
}

/// `LogHead`: the head statement, signed with the TA's attestation key.
pub fn signed_head(
    p: &mut impl Platform,
    inst: &mut Instance,
    req: &LogHeadRequest,
) -> Result<LogHeadReply, Error> {
    let mut buf = [0u8; LOG_CHALLENGE_MAX_LEN];
    let challenge = hex_prefix(&req.challenge, &mut buf).ok_or(Error::BadRequest)?;
    crate::config::Config::require(p)?;
    let statement = head(p, inst, challenge)?.encode().ok_or(Error::Internal)?;
    let (sig, key) = crate::keys::sign_as_ta(p, inst, &statement)?;
    Ok(LogHeadReply {
        statement: hex_string(&statement).map_err(|_| Error::Internal)?,
        signature: crate::keys::sig_hex(&sig)?,
        attestation_key: hex_string(&key).map_err(|_| Error::Internal)?,
    })
}

#[cfg(test)]
pub(crate) mod test {
    use super::*;
    use crate::mem::MemPlatform;
    use mfs_proto::log::{ChainError, ChainItem, verify_chain};

    pub(crate) struct Item(pub Entry, pub Details);
    impl ChainItem for Item {
        fn entry(&self) -> &Entry {
            &self.0
        }
        fn details(&self) -> &[u8] {
            &self.1
        }
    }

    /// Everything retained, read page by page as the host does, and the
    /// head it must match.
    pub(crate) fn export(
        p: &mut MemPlatform,
        inst: &mut Instance,
    ) -> (Head, alloc::vec::Vec<Item>) {
        let h = head(p, inst, b"c").unwrap();
        let mut items = alloc::vec::Vec::new();
        let mut from = h.first_seq;
        while from < h.next_seq {
            let (_, _, page) = read(p, inst, from, LOG_PAGE).unwrap();
            assert!(!page.is_empty());
            for (e, d) in page {
                from = e.seq + 1;
                items.push(Item(e, d));
            }
        }
        (h, items)
    }

    fn ev(i: u64) -> Event {
        Event::key_used(&i.to_be_bytes(), 1, 7)
    }

    fn fill(p: &mut MemPlatform, inst: &mut Instance, from: u64, n: u64) {
        for i in from..from + n {
            append(p, inst, &[ev(i)]).unwrap();
        }
    }

    #[test]
    fn chain_verifies_across_rollover() {
        let mut p = MemPlatform::new();
        let mut inst = Instance::default();
        let mut archived: alloc::vec::Vec<Item> = alloc::vec::Vec::new();
        for (n, step) in [
            (0u64, 0u64),
            (1, 1),
            (127, 126),
            (128, 1),
            (129, 1),
            (1024, 895),
            (1025, 1),
            (2500, 1475),
        ] {
            fill(&mut p, &mut inst, n - step, step);
            let (h, items) = export(&mut p, &mut inst);
            assert_eq!(h.next_seq, n);
            assert_eq!(verify_chain(&h, &items), Ok(()), "{n} entries");
            let retained = items.len() as u64;
            assert!(
                retained == n || (897..=1024).contains(&retained),
                "{n}: {retained}"
            );
            // an older export links to a newer one at the checkpoint
            if h.first_seq > 0
                && let Some(old) = archived.iter().find(|i| i.0.seq == h.first_seq - 1)
            {
                assert_eq!(old.0.hash(), h.checkpoint);
            }
            archived = items;
            // a cold start (fresh instance) sees the same head
            let mut cold = Instance::default();
            assert_eq!(head(&mut p, &mut cold, b"c").unwrap(), h);
        }
    }

    #[test]
    fn warm_append_is_one_write_and_cost_does_not_grow() {
        let mut p = MemPlatform::new();
        let mut inst = Instance::default();
        let mut sizes = alloc::vec::Vec::new();
        for target in [10u64, 1_000, 10_000] {
            let have = head(&mut p, &mut inst, b"").unwrap().next_seq;
            fill(&mut p, &mut inst, have, target - have);
            // warm: exactly one write of just the entry, no read
            let (r, w, b) = (p.reads(), p.writes(), p.bytes_written());
            append(&mut p, &mut inst, &[ev(target)]).unwrap();
            assert_eq!((p.reads() - r, p.writes() - w), (0, 1), "{target}");
            assert_eq!(p.bytes_written() - b, 8 + 1 + 1 + 13, "{target}");
            // cold: reads `log`, one segment (and, for a full one, the next)
            let mut cold = Instance::default();
            let r = p.reads();
            append(&mut p, &mut cold, &[ev(target)]).unwrap();
            assert!(p.reads() - r <= 3, "{target}");
            // (one TA instance only: the warm cache continues from here)
            inst = cold;
            let largest = (0..SEGMENTS_U64)
                .filter_map(|k| p.read(&Segment::object_id(k).unwrap()).unwrap())
                .map(|b| b.len())
                .max()
                .unwrap();
            sizes.push(largest);
            assert!(p.object_count() <= 1 + SEGMENTS);
        }
        // the largest object written is bounded by one segment whatever the length
        assert!(
            sizes
                .iter()
                .all(|s| *s <= SEGMENT_HEADER_LEN + SEGMENT_ENTRIES * ENTRY_STORE_MAX)
        );
    }

    #[test]
    fn torn_rollover_is_repaired_never_forked() {
        let mut p = MemPlatform::new();
        let mut inst = Instance::default();
        fill(&mut p, &mut inst, 0, 128);
        let (h0, before) = export(&mut p, &mut inst);
        // the next append starts segment 1: write the segment, then `log`
        p.cut_power_at(2);
        assert_eq!(append(&mut p, &mut inst, &[ev(128)]), Err(Error::Storage));
        p.power_on();
        let mut inst = Instance::default();
        let (h1, after) = export(&mut p, &mut inst);
        // the new segment landed (with the event) and `log` was repaired
        assert_eq!(h1.next_seq, 129);
        assert_eq!(verify_chain(&h1, &after), Ok(()));
        assert_eq!(
            after[..128]
                .iter()
                .map(|i| i.0)
                .collect::<alloc::vec::Vec<_>>(),
            before.iter().map(|i| i.0).collect::<alloc::vec::Vec<_>>()
        );
        assert_eq!(after[127].0.hash(), h0.head);
        let log = p.read(&head_id().unwrap()).unwrap().unwrap();
        assert_eq!(log, [1, 0, 0, 0, 0, 0, 0, 0, 1]);
        // and appends continue the same chain
        fill(&mut p, &mut inst, 129, 3);
        let (h2, all) = export(&mut p, &mut inst);
        assert_eq!(verify_chain(&h2, &all), Ok(()));
        assert_eq!(all[128].0, after[128].0);
    }

    #[test]
    fn power_cuts_at_every_append_never_fork_the_chain() {
        // A long walk of appends (batches of 1–3 events) with a power cut
        // at a pseudo-random write every few steps. After every reboot the
        // log verifies and every entry seen before is unchanged.
        let mut p = MemPlatform::new();
        let mut inst = Instance::default();
        let mut seen: alloc::collections::BTreeMap<u64, Hash> = Default::default();
        let mut seed = 99u32;
        let mut i = 0u64;
        for step in 0..400 {
            seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
            let batch = 1 + (seed >> 20) % 3;
            let events: alloc::vec::Vec<Event> = (0..batch).map(|j| ev(i + u64::from(j))).collect();
            i += u64::from(batch);
            let cut = (seed >> 8).is_multiple_of(3);
            if cut {
                p.cut_power_at(u64::from(1 + (seed >> 12) % 3));
            }
            let r = append(&mut p, &mut inst, &events);
            if cut {
                p.power_on();
                inst = Instance::default();
            } else {
                assert_eq!(r, Ok(()));
            }
            let (h, items) = export(&mut p, &mut inst);
            assert_eq!(verify_chain(&h, &items), Ok(()), "step {step}");
            for it in &items {
                let hash = it.0.hash();
                assert_eq!(
                    *seen.entry(it.0.seq).or_insert(hash),
                    hash,
                    "step {step}: fork at {}",
                    it.0.seq
                );
            }
            if r.is_ok() {
                assert!(h.next_seq >= items.last().map_or(0, |e| e.0.seq + 1));
            }
        }
        assert!(head(&mut p, &mut inst, b"").unwrap().next_seq > 600);
    }

    #[test]
    fn damaged_log_fails_closed_and_only_wipe_restarts_it() {
        let mut p = MemPlatform::new();
        let mut inst = Instance::default();
        fill(&mut p, &mut inst, 0, 200);
        // `log` names segment 1; remove it
        p.delete(&Segment::object_id(1).unwrap()).unwrap();
        let mut inst = Instance::default();
        assert_eq!(append(&mut p, &mut inst, &[ev(0)]), Err(Error::Storage));
        assert_eq!(head(&mut p, &mut inst, b"").err(), Some(Error::Storage));
        // a garbled segment is refused too
        let mut q = MemPlatform::new();
        fill(&mut q, &mut Instance::default(), 0, 3);
        q.object_mut(&Segment::object_id(0).unwrap())
            .unwrap()
            .push(0);
        assert_eq!(
            append(&mut q, &mut Instance::default(), &[ev(0)]),
            Err(Error::Storage)
        );
        // the wipe path restarts the log with its own entry first
        append_or_restart(&mut p, &mut inst, &[Event::plain(EventKind::Wiped)]).unwrap();
        let (h, items) = export(&mut p, &mut inst);
        assert_eq!((h.first_seq, h.next_seq, h.checkpoint), (0, 1, [0; 32]));
        assert_eq!(items[0].0.kind, EventKind::Wiped);
        assert_eq!(verify_chain(&h, &items), Ok(()));
    }

    #[test]
    fn pages_and_bounds() {
        let mut p = MemPlatform::new();
        let mut inst = Instance::default();
        assert_eq!(
            read(&mut p, &mut inst, 0, LOG_PAGE).unwrap(),
            (0, 0, alloc::vec::Vec::new())
        );
        fill(&mut p, &mut inst, 0, 130);
        let (_, _, page) = read(&mut p, &mut inst, 124, LOG_PAGE).unwrap();
        // a page stops at a segment end
        assert_eq!(
            page.iter().map(|e| e.0.seq).collect::<alloc::vec::Vec<_>>(),
            [124, 125, 126, 127]
        );
        let (_, _, page) = read(&mut p, &mut inst, 128, LOG_PAGE).unwrap();
        assert_eq!(page.len(), 2);
        assert!(
            read(&mut p, &mut inst, u64::MAX, LOG_PAGE)
                .unwrap()
                .2
                .is_empty()
        );
        let reply = read_page(&mut p, &mut inst, &LogReadRequest { v: 1, from: 0 }).unwrap();
        assert_eq!(reply.entries.len(), LOG_PAGE);
        assert_eq!(
            reply.entries[0].details.as_str(),
            "00000000000000000100000007"
        );
        let mut out = [0u8; mfs_proto::MAX_REPLY_LEN];
        mfs_proto::encode(&reply, &mut out).unwrap();
        let _ = ChainError::Start;
    }
}
