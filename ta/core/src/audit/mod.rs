//! The event-log engine: append, read, extent and head of the
//! hash-chained log in secure storage (entry encoding and chain rules:
//! `mfs_proto::log`; the commands that read it and sign its head:
//! `crate::log`). Events are plain values ([`Event`], in `event`); this
//! layer knows nothing of the commands that produce them.
//!
//! # Storage
//!
//! Entries live in segments of at most [`SEGMENT_ENTRIES`] entries;
//! segment number `k` holds entries `k·128 .. k·128+127`. The newest
//! segment is object `lg`, the [`SEGMENTS`]` − 1` before it are fixed-size
//! regions of object `la` (segment `k` in region `k mod 7`), so the whole
//! log is two objects however long it grows (three with the refusal tally
//! `lgr`):
//!
//! `lg` = `[1] ‖ k (u64) ‖ prev hash of its first entry (32) ‖ entries`,
//! each entry `time (u64) ‖ kind (1) ‖ details length (1) ‖ details`, at
//! most 128 (the object's length delimits them); a region of `la` holds
//! `length (u16 LE) ‖` the same bytes, zero-padded (see `segment`). Seqs
//! and hashes are not stored: they follow from `k` and the prev hash.
//!
//! # Costs
//!
//! An append is one atomic `TEE_WriteObjectData` of the new entries (10–58
//! bytes each) at the end of `lg` — the end this TA lifetime wrote, so a
//! shorter copy put back by normal-world root makes it fail. Starting a segment is two writes: the
//! full segment into its region of `la` (in place), then `lg` replaced by
//! the new segment. Neither depends on how long the log is; the TA keeps
//! the newest segment in instance memory, so a warm append is exactly one
//! storage write (two when a segment starts). A cold append first reads
//! `lg` (at most 41 + 128 × 58 bytes) and the tally.
//!
//! # Rollover
//!
//! Archiving segment `k` overwrites segment `k − 7` in `la`: the TA retains
//! the last 897–1024 entries. The chain is unbroken: the oldest retained
//! segment's prev hash is the checkpoint the signed head reports.
//!
//! # Power cuts
//!
//! Each write is atomic. Within a segment an append is one write: it lands
//! whole or not at all. A cut between archiving segment `k` and replacing
//! `lg` leaves `lg` holding `k` (as it was before the batch): the entries
//! of the cut batch are lost, none was released, and the next append
//! archives `k` again; meanwhile (for `k ≥ 7`, whose region held `k − 7`)
//! the retained window starts at segment `k − 6`. Anything that does not
//! parse is reported as a storage failure and never appended to, so the
//! chain cannot fork.
//!
//! # Earlier layout
//!
//! Versions before this one kept segment `k` in object `lg/<k mod 8>` and
//! the newest `k` in object `log`. The first use of the log after an
//! upgrade copies the retained segments into `la` (in region order) and the
//! newest into `lg`, deletes `log`, then the old segments; a cut before
//! `log` is deleted redoes the copy, a cut after it leaves at worst old
//! segment objects that a wipe's restart or the next copy removes.
//!
//! # What is logged, and when
//!
//! Every outcome the normal world learns is logged first: commands append
//! their event after their own state change and before their reply; if the
//! append fails the command reports `storage-failure` instead of its result.
//! A power cut between a state change and its append loses that event, but
//! then its outcome was never released either.

use alloc::vec::Vec;
use mfs_proto::log::{Entry, Hash, Head};

use crate::error::Error;
use crate::facts::TaFacts;
use crate::objects::{self, load_u64};
use crate::platform::{ObjectId, Platform};

mod event;
mod refusals;
mod segment;
#[cfg(test)]
mod test;

pub use event::{Details, Event, PinContext};
use mfs_proto::log::RefusalClass;
use refusals::Tally;
pub use segment::{ARCHIVED, REGION_LEN, SEGMENT_ENTRIES, SEGMENTS};
use segment::{SEGMENTS_U64, Segment, Stored};

fn legacy_head_id() -> Result<ObjectId, Error> {
    objects::legacy_log_head()
}

/// The log's newest segment, kept in TA instance memory (`None` until first
/// use, and again after a failed append so that storage is re-read).
#[derive(Debug, Default)]
pub struct Cache(Option<State>);

impl Cache {
    /// Forgets the cached state (after a wipe).
    pub fn clear(&mut self) {
        self.0 = None;
    }
}

/// The log's newest segment, as kept in instance memory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct State {
    current: Segment,
    last: Hash,
    /// Whether the current segment's object exists (appends go to it,
    /// at the end of `current` as this lifetime wrote or read it).
    stored: bool,
    /// The oldest retained segment's number and prev hash (the head's
    /// checkpoint), once read; forgotten when a segment starts.
    window: Option<(u64, Hash)>,
    /// Refused calls since the newest entry (see `refusals`).
    refusals: Tally,
}

impl State {
    /// Entries the next append writes before its events: the `refusals`
    /// entry, if refused calls were counted (0 or 1).
    fn tally_entries(&self) -> usize {
        usize::from(self.refusals.event().is_some())
    }

    /// Entries ever appended.
    pub fn next_seq(&self) -> u64 {
        self.current
            .first_seq()
            .saturating_add(self.current.entries.len() as u64)
    }
}

/// Loads the log state (and the pending refusals) from storage.
fn load(p: &mut impl Platform) -> Result<State, Error> {
    let mut st = load_segments(p)?;
    st.refusals = Tally::load(p, st.next_seq())?;
    Ok(st)
}

/// Loads the newest segment (moving a log of the earlier layout first).
fn load_segments(p: &mut impl Platform) -> Result<State, Error> {
    migrate_legacy(p)?;
    let (current, stored) = match Segment::load_current(p)? {
        Some(s) => (s, true),
        None => (Segment::empty(0, [0; 32]), false),
    };
    let last = current.last_hash();
    Ok(State {
        current,
        last,
        stored,
        window: None,
        refusals: Tally::default(),
    })
}

/// Moves a log of the earlier layout (`log` + `lg/<k mod 8>`) into `lg` and
/// `la`, if there is one (see the module docs).
fn migrate_legacy(p: &mut impl Platform) -> Result<(), Error> {
    let Some(mut k) = load_u64(p, &legacy_head_id()?)? else {
        return Ok(());
    };
    let mut newest = match Segment::load_legacy(p, k)? {
        Some(s) => s,
        None if k == 0 => Segment::empty(0, [0; 32]),
        None => return Err(Error::Storage),
    };
    // A segment start cut short in the earlier layout: the next segment
    // exists and chains to the full one.
    if newest.full()
        && let Some(next_k) = k.checked_add(1)
        && let Some(next) = Segment::load_legacy(p, next_k)?
        && next.prev == newest.last_hash()
    {
        k = next_k;
        newest = next;
    }
    let copied = Segment::load_current(p)?.is_some_and(|s| s == newest);
    if !copied {
        // Region order (0, 1, …) so that `la` never has a gap: region 0
        // comes first and creates `la`, whatever its segment number. The
        // (at most 7) numbers are consecutive, so their regions (number
        // modulo ARCHIVED) rise from the first multiple of ARCHIVED among
        // them and wrap at most once: region order is that rotation.
        let first = k.saturating_sub(ARCHIVED);
        let split = (first..k).find(|j| j % ARCHIVED == 0).unwrap_or(first);
        let mut older = Vec::new();
        for j in (split..k).chain(first..split) {
            older.push(Segment::load_legacy(p, j)?.ok_or(Error::Storage)?);
        }
        for (i, seg) in older.iter().enumerate() {
            seg.archive_at_region(p, i == 0)?;
        }
        if k > 0 || !newest.entries.is_empty() {
            newest.store_current(p)?;
        }
    }
    p.delete(&legacy_head_id()?)?;
    for j in 0..SEGMENTS_U64 {
        p.delete(&Segment::legacy_object_id(j)?)?;
    }
    Ok(())
}

/// The cached state, loading it on first use.
fn state<'a>(p: &mut impl Platform, log: &'a mut Cache) -> Result<&'a mut State, Error> {
    if log.0.is_none() {
        log.0 = Some(load(p)?);
    }
    log.0.as_mut().ok_or(Error::Internal)
}

/// Appends `events` in order, preceded by a `refusals` entry if refused
/// calls were counted since the newest entry (same write). On any failure
/// the cached state is dropped (storage is re-read next time) and
/// `Storage` is returned.
pub fn append(p: &mut impl Platform, log: &mut Cache, events: &[Event]) -> Result<(), Error> {
    let result = append_inner(p, log, events);
    forget_on_failure(log, result)
}

/// `result`, having dropped the cached state if it is a failure (storage
/// is read again next time).
fn forget_on_failure<T>(log: &mut Cache, result: Result<T, Error>) -> Result<T, Error> {
    if result.is_err() {
        log.0 = None;
    }
    result
}

fn append_inner(p: &mut impl Platform, log: &mut Cache, events: &[Event]) -> Result<(), Error> {
    let time = p.ree_time_s();
    let st = state(p, log)?;
    let tally = st.refusals.event();
    let events: Vec<&Event> = tally.iter().chain(events).collect();
    if events.is_empty() {
        return Ok(());
    }
    // A full segment is archived whole (with any entries of this batch)
    // and `lg` replaced by the new one; entries for a segment that exists
    // are appended to `lg` in one write (see the module docs).
    let mut pending = Vec::new();
    for ev in events {
        if st.current.full() {
            st.current.archive(p)?;
            let k = st.current.k.checked_add(1).ok_or(Error::Internal)?;
            st.current = Segment::empty(k, st.last);
            st.stored = false;
            st.window = None;
            pending.clear();
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
    if !st.stored {
        st.current.store_current(p)?;
        st.stored = true;
    } else if !pending.is_empty() {
        // At the end this lifetime knows of (the segment before this
        // batch), not at whatever end storage reports: a shorter copy put
        // back makes the write fail (no gap) instead of cutting entries
        // out of the chain.
        let end = st.current.encoded_len()?;
        let at = end.checked_sub(pending.len()).ok_or(Error::Internal)?;
        let at = u32::try_from(at).map_err(|_| Error::Internal)?;
        p.write_at(&objects::log_current()?, at, &pending)?;
    }
    // The stored tally is spent now that `next_seq` moved past its base.
    st.refusals = Tally::empty(st.next_seq());
    Ok(())
}

/// `f` of the cached state (loaded on first use); a failure drops the
/// cache, so that storage is read again next time.
fn with_state<T>(
    p: &mut impl Platform,
    log: &mut Cache,
    f: impl FnOnce(&mut State) -> T,
) -> Result<T, Error> {
    let result = state(p, log).map(f);
    forget_on_failure(log, result)
}

/// The seq the first event of the next append gets (after the `refusals`
/// entry that append would write first, if refused calls were counted).
/// A state change that an entry commits (see `crate::journal`)
/// records this seq before the append.
pub fn seq_of_next(p: &mut impl Platform, log: &mut Cache) -> Result<u64, Error> {
    with_state(p, log, |st| {
        // (0 or 1: the conversion is lossless)
        st.next_seq().saturating_add(st.tally_entries() as u64)
    })
}

/// When appending `n` events (after a `refusals` entry, if any) starts a
/// new segment: the first seq of the newest segment now, below which
/// [`recent`] no longer finds entries after that append.
pub fn segment_start_due(
    p: &mut impl Platform,
    log: &mut Cache,
    n: usize,
) -> Result<Option<u64>, Error> {
    with_state(p, log, |st| {
        let after = st
            .current
            .entries
            .len()
            .saturating_add(st.tally_entries())
            .saturating_add(n);
        (n > 0 && after > SEGMENT_ENTRIES).then(|| st.current.first_seq())
    })
}

/// The largest value `f` gives for an entry of the newest segment (in TA
/// memory).
pub fn newest_max<T: Ord>(
    p: &mut impl Platform,
    log: &mut Cache,
    f: impl Fn(mfs_proto::log::EventKind, &[u8]) -> Option<T>,
) -> Result<Option<T>, Error> {
    with_state(p, log, |st| {
        st.current
            .entries
            .iter()
            .filter_map(|e| f(e.kind, &e.details))
            .max()
    })
}

/// Where an entry was found by [`recent`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Found {
    /// Its kind.
    pub kind: mfs_proto::log::EventKind,
    /// Its details.
    pub details: Details,
}

/// The full seq of the newest appended entry whose seq ends in the 32
/// bits `low` (`None` if no entry was appended since that seq's last
/// occurrence, e.g. a seq not yet appended).
pub fn seq_ending_in(
    p: &mut impl Platform,
    log: &mut Cache,
    low: u32,
) -> Result<Option<u64>, Error> {
    with_state(p, log, |st| {
        let newest = st.next_seq().checked_sub(1)?;
        #[allow(clippy::cast_possible_truncation)] // the low 32 bits, on purpose
        let back = (newest as u32).wrapping_sub(low);
        newest.checked_sub(u64::from(back))
    })
}

/// The entry with seq `seq` if it is in the newest segment (TA memory) or
/// the one before it (one read); `None` for any other seq. An archived
/// segment that should be there and is not is a storage failure.
pub fn recent(p: &mut impl Platform, log: &mut Cache, seq: u64) -> Result<Option<Found>, Error> {
    let result = recent_inner(p, log, seq);
    forget_on_failure(log, result)
}

fn recent_inner(p: &mut impl Platform, log: &mut Cache, seq: u64) -> Result<Option<Found>, Error> {
    let st = state(p, log)?;
    if seq >= st.next_seq() {
        return Ok(None);
    }
    let k = seq / SEGMENT_ENTRIES as u64;
    let at = usize::try_from(seq % SEGMENT_ENTRIES as u64).map_err(|_| Error::Internal)?;
    let found = |s: &Stored| Found {
        kind: s.kind,
        details: s.details.clone(),
    };
    if k == st.current.k {
        return Ok(st.current.entries.get(at).map(found));
    }
    if k.checked_add(1) != Some(st.current.k) {
        return Ok(None);
    }
    let older = Segment::load_archived(p, k)?.ok_or(Error::Storage)?;
    Ok(older.entries.get(at).map(found))
}

/// Counts a refused call of `class` (no entry of its own: refusals are
/// coalesced into one `refusals` entry before the next entry) and returns
/// `err`, or `Storage` if the count could not be written.
pub fn refuse<T>(
    p: &mut impl Platform,
    log: &mut Cache,
    class: RefusalClass,
    err: Error,
) -> Result<T, Error> {
    let result = state(p, log).and_then(|st| {
        let next = st.next_seq();
        st.refusals.add(p, next, class)
    });
    forget_on_failure(log, result)?;
    Err(err)
}

/// [`append`], but a log that cannot be loaded (damaged storage) is
/// deleted and restarted first, so that a wipe is never blocked. The new
/// log starts at seq 0 after the all-zero checkpoint, which a verifier
/// holding an older export sees as a restart.
pub fn append_or_restart(
    p: &mut impl Platform,
    log: &mut Cache,
    events: &[Event],
) -> Result<(), Error> {
    if log.0.is_none() {
        match load(p) {
            Ok(st) => log.0 = Some(st),
            Err(Error::Storage) => {
                p.delete(&legacy_head_id()?)?;
                for k in 0..SEGMENTS_U64 {
                    p.delete(&Segment::legacy_object_id(k)?)?;
                }
                p.delete(&objects::log_current()?)?;
                p.delete(&objects::log_archive()?)?;
                Tally::delete(p)?;
                log.0 = Some(State {
                    current: Segment::empty(0, [0; 32]),
                    last: [0; 32],
                    stored: false,
                    window: None,
                    refusals: Tally::empty(0),
                });
            }
            Err(e) => return Err(e),
        }
    }
    append(p, log, events)
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
pub fn extent(p: &mut impl Platform, log: &mut Cache) -> Result<Extent, Error> {
    let st = state(p, log)?;
    let (first_k, checkpoint) = window(p, st)?;
    Ok(Extent {
        first_seq: first_k.saturating_mul(SEGMENT_ENTRIES as u64),
        checkpoint,
        next_seq: st.next_seq(),
        head: st.last,
    })
}

/// The oldest retained segment's number and prev hash. Normally segment
/// `k − 7`; right after a cut between archiving segment `k` (over `k − 7`)
/// and replacing `lg`, segment `k − 6` until `lg` is replaced.
fn window(p: &mut impl Platform, st: &mut State) -> Result<(u64, Hash), Error> {
    if let Some(w) = st.window {
        return Ok(w);
    }
    let first_k = oldest_k(st.current.k);
    let w = if first_k == st.current.k {
        (first_k, st.current.prev)
    } else {
        match Segment::load_archived(p, first_k)? {
            Some(s) => (first_k, s.prev),
            None => {
                let next = first_k.checked_add(1).ok_or(Error::Internal)?;
                let s = Segment::load_archived(p, next)?.ok_or(Error::Storage)?;
                (next, s.prev)
            }
        }
    };
    st.window = Some(w);
    Ok(w)
}

/// Entries with their details, in order.
pub type Page = Vec<(Entry, Details)>;

/// Up to `max` entries from seq `from` (or the oldest retained, if later),
/// with their details; stops at a segment end.
pub fn read(
    p: &mut impl Platform,
    log: &mut Cache,
    from: u64,
    max: usize,
) -> Result<(u64, u64, Page), Error> {
    let st = state(p, log)?;
    let first = window(p, st)?.0.saturating_mul(SEGMENT_ENTRIES as u64);
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
        older = Segment::load_archived(p, k)?.ok_or(Error::Storage)?;
        &older
    };
    for (e, s) in seg.chain().filter(|(e, _)| e.seq >= from).take(max) {
        out.push((e, s.details.clone()));
    }
    Ok((first, next, out))
}

/// The head statement for `challenge` (signed by the caller).
pub fn head(p: &mut impl Platform, log: &mut Cache, challenge: &[u8]) -> Result<Head, Error> {
    let x = extent(p, log)?;
    let ta = TaFacts::of(p)?;
    Ok(Head {
        ta_uuid: ta.ta_uuid,
        tee_device_id: ta.tee_device_id,
        first_seq: x.first_seq,
        checkpoint: x.checkpoint,
        next_seq: x.next_seq,
        head: x.head,
        challenge: heapless::Vec::from_slice(challenge).map_err(|_| Error::BadRequest)?,
    })
}
