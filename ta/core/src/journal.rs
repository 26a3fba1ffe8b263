//! Log entries that commit state. The appends of every command go
//! through here, so that state whose last change is committed by a log
//! entry rather than written where it lives is written out before a
//! segment start moves that entry out of reach:
//!
//! - a PIN record's pending attempt (`crate::store::pin`), resolved from
//!   its outcome entry while that is in the newest segment or the one
//!   before it (`crate::audit::recent`);
//! - the TA counter (`crate::store::counter`): the value a consent
//!   signing uses is the one in its `tx-signed` entry; the next value is
//!   one more than the larger of `txctr` and the newest segment's entries.
//!
//! # Costs
//!
//! Only an append that starts a segment (one in 128 entries) does more
//! than `crate::audit::append`: it writes `txctr` if the segment it closes
//! (or the batch) used a larger counter, then lists the PIN records, reads
//! them, and writes each one whose pending outcome would otherwise leave
//! reach — resolved from its entry, one atomic write each. A power cut
//! between those writes and the append loses nothing: a counter written
//! early can only make a value be skipped, never reused; a written record
//! holds what its entry says, and the others are written again by the
//! next segment start.

use mfs_proto::log::EventKind;

use crate::audit::{self, Cache, Event};
use crate::error::Error;
use crate::objects;
use crate::platform::Platform;
use crate::store::counter;
use crate::store::pin::{Pending, Record, Resolved, record_tag};

/// Counter values a damaged log can hide: every `tx-signed` entry of the
/// newest segment (one value each at most).
const HIDDEN_COUNTERS: u64 = audit::SEGMENT_ENTRIES as u64;

/// Appends `events` (see `crate::audit::append`), first writing out the
/// counter and the PIN records whose commit a segment start would move out
/// of reach.
pub fn append(p: &mut impl Platform, log: &mut Cache, events: &[Event]) -> Result<(), Error> {
    if let Some(keep_from) = audit::segment_start_due(p, log, events.len())? {
        settle_counter(p, log, events)?;
        settle_pins(p, log, keep_from)?;
    }
    audit::append(p, log, events)
}

/// [`append`] for a wipe: a log that cannot be loaded is restarted (see
/// `crate::audit::append_or_restart`) after the counter was moved past
/// every value its lost newest segment may have used. PIN records are not
/// settled: the wipe deletes them next.
pub fn append_or_restart(
    p: &mut impl Platform,
    log: &mut Cache,
    events: &[Event],
) -> Result<(), Error> {
    match audit::segment_start_due(p, log, events.len()) {
        Ok(Some(_)) => settle_counter(p, log, events)?,
        Ok(None) => {}
        Err(_) => {
            // The log may be restarted: its newest segment's counters
            // are lost, so skip them all first (a value may be skipped,
            // never reused). A counter that cannot be read now fails the
            // wipe (to be repeated) rather than risk a reused value.
            let last = counter::last(p)?;
            counter::set(p, last.saturating_add(HIDDEN_COUNTERS))?;
        }
    }
    audit::append_or_restart(p, log, events)
}

/// The TA counter value the next consent signing uses (written by its
/// `tx-signed` entry, not here).
pub fn next_counter(p: &mut impl Platform, log: &mut Cache) -> Result<u64, Error> {
    let stored = counter::last(p)?;
    let logged = audit::newest_max(p, log, Event::tx_counter)?.unwrap_or(0);
    stored.max(logged).checked_add(1).ok_or(Error::Internal)
}

/// Writes `txctr` when the newest segment or `events` used a larger
/// counter than it holds (a `tx-refused` of `events` included, so that a
/// consent signing's storage operations before its outcome entry are the
/// same for a right and a wrong PIN).
fn settle_counter(p: &mut impl Platform, log: &mut Cache, events: &[Event]) -> Result<(), Error> {
    let logged = audit::newest_max(p, log, Event::tx_counter)?;
    // (a `tx-refused` counts as used here: the same write whether or not
    // the PIN of the batch matched — its value is then skipped)
    let batch = events
        .iter()
        .filter_map(|e| match e.kind {
            EventKind::TxRefused => Event::tx_counter(EventKind::TxSigned, &e.details),
            kind => Event::tx_counter(kind, &e.details),
        })
        .max();
    let Some(used) = logged.max(batch) else {
        return Ok(());
    };
    match counter::last(p) {
        Ok(stored) if stored >= used => Ok(()),
        // (a counter that cannot be read is rewritten: it would fail
        // every consent signing closed, and `used` is the value to keep)
        _ => counter::set(p, used),
    }
}

/// Writes every PIN record whose pending outcome entry has a seq below
/// `keep_from` with that outcome applied. Records whose attempt has no
/// outcome entry are left as they are (the owner's next check logs the
/// interruption).
fn settle_pins(p: &mut impl Platform, log: &mut Cache, keep_from: u64) -> Result<(), Error> {
    let legacy = objects::pin()?;
    let ids = p.object_ids()?;
    for id in ids
        .iter()
        .filter(|id| objects::is_client_pin(id) || **id == legacy)
    {
        let Some(mut rec) = Record::load(p, id)? else {
            continue;
        };
        let Some(Pending { seq: Some(low), .. }) = rec.pending else {
            continue;
        };
        match audit::seq_ending_in(p, log, low)? {
            Some(seq) if seq < keep_from => {}
            _ => continue,
        }
        if rec.resolve(p, log, &record_tag(id))? == Resolved::Applied {
            rec.store(p, id)?;
        }
    }
    Ok(())
}
