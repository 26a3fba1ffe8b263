//! One segment of the log, as stored: `[1] ‖ k (u64) ‖ prev hash of its
//! first entry (32) ‖ entries`, each entry `time (u64) ‖ kind (1) ‖ details
//! length (1) ‖ details`. The newest segment is object `lg` (appended to);
//! the [`ARCHIVED`] before it are fixed-size regions of object `la`,
//! segment `k` in region `k mod 7`: `length (u16 LE) ‖ segment ‖ 0…`,
//! after an 8-byte header `[1] ‖ 0(7)`.

use alloc::vec::Vec;
use mfs_proto::Reader;
use mfs_proto::log::{DETAILS_MAX_LEN, Entry, EventKind, Hash};

use super::event::Details;
use crate::error::Error;
use crate::objects::{self, LAYOUT_V1, load_v1};
use crate::platform::{ObjectId, Platform};

/// Entries per segment.
pub const SEGMENT_ENTRIES: usize = 128;
/// Segments in the ring.
pub const SEGMENTS: usize = 8;
pub(super) const SEGMENTS_U64: u64 = SEGMENTS as u64;
pub(super) const ENTRY_STORE_MAX: usize = 8 + 1 + 1 + DETAILS_MAX_LEN;
pub(super) const SEGMENT_HEADER_LEN: usize = 1 + 8 + 32;
/// Segments kept in `la` (the newest is in `lg`).
pub const ARCHIVED: u64 = SEGMENTS_U64 - 1;
/// Bytes of one region of `la`: a length, the longest segment.
pub const REGION_LEN: usize = 2 + SEGMENT_HEADER_LEN + SEGMENT_ENTRIES * ENTRY_STORE_MAX;
/// Bytes before the first region of `la`.
pub const ARCHIVE_HEADER_LEN: usize = 8;

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
pub(super) struct Segment {
    pub(super) k: u64,
    pub(super) prev: Hash,
    pub(super) entries: Vec<Stored>,
}

impl Segment {
    pub(super) fn empty(k: u64, prev: Hash) -> Segment {
        Segment {
            k,
            prev,
            entries: Vec::new(),
        }
    }

    /// Object id of segment `k` in the earlier layout (`lg/<k mod 8>`).
    pub(super) fn legacy_object_id(k: u64) -> Result<ObjectId, Error> {
        let slot = u8::try_from(k % SEGMENTS_U64).map_err(|_| Error::Internal)?;
        objects::legacy_log_segment(slot)
    }

    pub(super) fn first_seq(&self) -> u64 {
        self.k.saturating_mul(SEGMENT_ENTRIES as u64)
    }

    pub(super) fn full(&self) -> bool {
        self.entries.len() >= SEGMENT_ENTRIES
    }

    /// The entries with their seqs and prev hashes.
    pub(super) fn chain(&self) -> impl Iterator<Item = (Entry, &Stored)> + '_ {
        let mut prev = self.prev;
        let first = self.first_seq();
        self.entries.iter().zip(first..).map(move |(s, seq)| {
            let e = Entry::new(seq, s.time, s.kind, &s.details, prev);
            prev = e.hash();
            (e, s)
        })
    }

    /// Hash of the last entry (the prev hash when empty).
    pub(super) fn last_hash(&self) -> Hash {
        self.chain().last().map_or(self.prev, |(e, _)| e.hash())
    }

    /// Parses a stored segment (after its version byte); `None` when it
    /// is not segment `k` (if `k` is given).
    fn parse(body: &[u8], k: Option<u64>) -> Result<Option<Segment>, Error> {
        let mut r = Reader::new(body);
        let (Some(stored_k), Some(prev)) = (r.u64(), r.array()) else {
            return Err(Error::Storage);
        };
        if k.is_some_and(|k| k != stored_k) {
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
        Ok(Some(Segment {
            k: stored_k,
            prev,
            entries,
        }))
    }

    /// The stored form: version, header, then every entry.
    fn encode(&self) -> Result<Vec<u8>, Error> {
        let mut out = Vec::new();
        out.try_reserve_exact(SEGMENT_HEADER_LEN + self.entries.len() * ENTRY_STORE_MAX)
            .map_err(|_| Error::Internal)?;
        out.push(LAYOUT_V1);
        out.extend_from_slice(&self.k.to_be_bytes());
        out.extend_from_slice(&self.prev);
        for s in &self.entries {
            s.encode_into(&mut out)?;
        }
        Ok(out)
    }

    /// The newest segment (`lg`), if there is one.
    pub(super) fn load_current(p: &mut impl Platform) -> Result<Option<Segment>, Error> {
        match load_v1(p, &objects::log_current()?)? {
            Some(body) => Segment::parse(&body, None),
            None => Ok(None),
        }
    }

    /// Writes the whole newest segment (`lg`, one atomic write).
    pub(super) fn store_current(&self, p: &mut impl Platform) -> Result<(), Error> {
        Ok(p.write(&objects::log_current()?, &self.encode()?)?)
    }

    /// The length of the stored form.
    pub(super) fn encoded_len(&self) -> Result<usize, Error> {
        self.entries.iter().try_fold(SEGMENT_HEADER_LEN, |n, e| {
            n.checked_add(10 + e.details.len()).ok_or(Error::Internal)
        })
    }

    fn region_offset(k: u64) -> Result<u32, Error> {
        let r = usize::try_from(k % ARCHIVED).map_err(|_| Error::Internal)?;
        r.checked_mul(REGION_LEN)
            .and_then(|o| o.checked_add(ARCHIVE_HEADER_LEN))
            .and_then(|o| u32::try_from(o).ok())
            .ok_or(Error::Internal)
    }

    /// Writes this (full) segment into its region of `la` (one atomic
    /// write; segment 0 creates `la`, and regions fill in order, so the
    /// object never has a gap).
    pub(super) fn archive(&self, p: &mut impl Platform) -> Result<(), Error> {
        self.archive_at_region(p, self.k == 0)
    }

    /// [`Segment::archive`], creating `la` (header and this region) when
    /// `first`.
    pub(super) fn archive_at_region(
        &self,
        p: &mut impl Platform,
        first: bool,
    ) -> Result<(), Error> {
        let body = self.encode()?;
        let len = u16::try_from(body.len()).map_err(|_| Error::Internal)?;
        let mut region = Vec::new();
        region
            .try_reserve_exact(ARCHIVE_HEADER_LEN + REGION_LEN)
            .map_err(|_| Error::Internal)?;
        if first {
            region.extend_from_slice(&[LAYOUT_V1, 0, 0, 0, 0, 0, 0, 0]);
        }
        region.extend_from_slice(&len.to_le_bytes());
        region.extend_from_slice(&body);
        let end = if first { ARCHIVE_HEADER_LEN } else { 0 } + REGION_LEN;
        region.resize(end, 0);
        let la = objects::log_archive()?;
        if first {
            Ok(p.write(&la, &region)?)
        } else {
            Ok(p.write_at(&la, Segment::region_offset(self.k)?, &region)?)
        }
    }

    /// Reads archived segment `k`; `None` when its region is missing or
    /// holds another segment.
    pub(super) fn load_archived(p: &mut impl Platform, k: u64) -> Result<Option<Segment>, Error> {
        let la = objects::log_archive()?;
        let Some(region) = p.read_at(&la, Segment::region_offset(k)?, REGION_LEN)? else {
            return Ok(None);
        };
        if region.is_empty() {
            return Ok(None);
        }
        let mut r = Reader::new(&region);
        let len = r
            .array::<2>()
            .map(u16::from_le_bytes)
            .ok_or(Error::Storage)?;
        let body = r.take(usize::from(len)).ok_or(Error::Storage)?;
        match body.split_first() {
            Some((&LAYOUT_V1, rest)) => Segment::parse(rest, Some(k)),
            _ => Err(Error::Storage),
        }
    }

    /// Reads segment `k` of the earlier layout (`lg/<k mod 8>`); `None`
    /// when its slot is empty or holds another segment number.
    pub(super) fn load_legacy(p: &mut impl Platform, k: u64) -> Result<Option<Segment>, Error> {
        match load_v1(p, &Segment::legacy_object_id(k)?)? {
            Some(body) => Segment::parse(&body, Some(k)),
            None => Ok(None),
        }
    }
}

impl Stored {
    pub(super) fn encode_into(&self, out: &mut Vec<u8>) -> Result<(), Error> {
        out.extend_from_slice(&self.time.to_be_bytes());
        out.push(self.kind as u8);
        out.push(u8::try_from(self.details.len()).map_err(|_| Error::Internal)?);
        out.extend_from_slice(&self.details);
        Ok(())
    }
}
