//! One segment of the log ring, as stored: `[1] ‖ k (u64) ‖ prev hash of
//! its first entry (32) ‖ entries`, each entry `time (u64) ‖ kind (1) ‖
//! details length (1) ‖ details`.

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

    pub(super) fn object_id(k: u64) -> Result<ObjectId, Error> {
        let slot = u8::try_from(k % SEGMENTS_U64).map_err(|_| Error::Internal)?;
        objects::log_segment(slot)
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

    /// Reads segment `k`; `None` when its slot is empty or holds another
    /// segment number.
    pub(super) fn load(p: &mut impl Platform, k: u64) -> Result<Option<Segment>, Error> {
        let Some(body) = load_v1(p, &Segment::object_id(k)?)? else {
            return Ok(None);
        };
        let mut r = Reader::new(&body);
        let (Some(stored_k), Some(prev)) = (r.u64(), r.array()) else {
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
    pub(super) fn store(&self, p: &mut impl Platform) -> Result<(), Error> {
        let mut out = Vec::new();
        out.try_reserve_exact(SEGMENT_HEADER_LEN + self.entries.len() * ENTRY_STORE_MAX)
            .map_err(|_| Error::Internal)?;
        out.push(LAYOUT_V1);
        out.extend_from_slice(&self.k.to_be_bytes());
        out.extend_from_slice(&self.prev);
        for s in &self.entries {
            s.encode_into(&mut out)?;
        }
        Ok(p.write(&Segment::object_id(self.k)?, &out)?)
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
