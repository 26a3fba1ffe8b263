//! Refused calls, coalesced: a tally per [`RefusalClass`] that becomes one
//! `refusals` entry, placed before the next entry appended.
//!
//! # Storage
//!
//! Object `lgr`: `[1] ‖ base (u64) ‖ 9 × count (u32)`, all big-endian.
//! `base` is the log's `next_seq` when the first counted refusal happened:
//! the tally belongs right after entry `base − 1`. Appending the tally as an
//! entry moves `next_seq` past `base`, which by itself marks the stored
//! tally as spent, so flushing costs no extra write. A tally whose `base`
//! is not the log's `next_seq` is empty.
//!
//! # Writes
//!
//! A class's count is written when it reaches 1, 2, 4, 8, …: a flood of
//! `n` refusals costs at most `9 × (1 + log2 n)` small writes, and a power
//! cut loses at most half of a class's count since the last entry (never
//! the fact that it happened). The exact counts live in TA memory.

use mfs_proto::Reader;
use mfs_proto::log::{DETAILS_MAX_LEN, EventKind, RefusalClass};

use super::event::{Details, Event};
use crate::error::Error;
use crate::objects::{self, LAYOUT_V1, load_v1};
use crate::platform::{ObjectId, Platform};

const CLASSES: usize = RefusalClass::ALL.len();
const TALLY_LEN: usize = 1 + 8 + 4 * CLASSES;
const _: () = assert!(5 * CLASSES <= DETAILS_MAX_LEN);

fn object() -> Result<ObjectId, Error> {
    objects::log_refusals()
}

/// Refused calls since the newest entry.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(super) struct Tally {
    base: u64,
    counts: [u32; CLASSES],
}

impl Tally {
    /// Nothing counted, for a log whose next entry is `next_seq`.
    pub(super) fn empty(next_seq: u64) -> Tally {
        Tally {
            base: next_seq,
            counts: [0; CLASSES],
        }
    }

    /// The stored tally if it belongs after entry `next_seq − 1`, else an
    /// empty one. A malformed object is `Storage`.
    pub(super) fn load(p: &mut impl Platform, next_seq: u64) -> Result<Tally, Error> {
        let Some(body) = load_v1(p, &object()?)? else {
            return Ok(Tally::empty(next_seq));
        };
        if body.len() != TALLY_LEN - 1 {
            return Err(Error::Storage);
        }
        let mut r = Reader::new(&body);
        let base = r.u64().ok_or(Error::Storage)?;
        if base != next_seq {
            return Ok(Tally::empty(next_seq));
        }
        let mut t = Tally::empty(next_seq);
        for c in &mut t.counts {
            *c = r.u32().ok_or(Error::Storage)?;
        }
        Ok(t)
    }

    fn store(&self, p: &mut impl Platform) -> Result<(), Error> {
        let mut out = [0u8; TALLY_LEN];
        let mut parts = out.iter_mut();
        let mut put = |bytes: &[u8]| {
            // `bytes` first: zip stops at its end without taking a slot.
            for (b, o) in bytes.iter().zip(parts.by_ref()) {
                *o = *b;
            }
        };
        put(&[LAYOUT_V1]);
        put(&self.base.to_be_bytes());
        for c in self.counts {
            put(&c.to_be_bytes());
        }
        Ok(p.write(&object()?, &out)?)
    }

    /// Counts one refusal of `class` in a log whose next entry is
    /// `next_seq`, writing the tally when the class's count reaches a power
    /// of two.
    pub(super) fn add(
        &mut self,
        p: &mut impl Platform,
        next_seq: u64,
        class: RefusalClass,
    ) -> Result<(), Error> {
        if self.base != next_seq {
            *self = Tally::empty(next_seq);
        }
        let i = usize::from(class as u8).saturating_sub(1);
        let Some(c) = self.counts.get_mut(i) else {
            return Err(Error::Internal);
        };
        *c = c.saturating_add(1);
        if c.is_power_of_two() {
            self.store(p)?;
        }
        Ok(())
    }

    /// The `refusals` entry for what was counted, if anything was.
    pub(super) fn event(&self) -> Option<Event> {
        let mut details = Details::new();
        for (class, n) in RefusalClass::ALL.iter().zip(self.counts) {
            if n > 0 {
                // 9 × 5 bytes fit DETAILS_MAX_LEN (checked above).
                let _ = details.push(*class as u8);
                let _ = details.extend_from_slice(&n.to_be_bytes());
            }
        }
        (!details.is_empty()).then_some(Event {
            kind: EventKind::Refusals,
            details,
        })
    }

    /// Deletes the stored tally (a log restarted from scratch).
    pub(super) fn delete(p: &mut impl Platform) -> Result<(), Error> {
        Ok(p.delete(&object()?)?)
    }
}
