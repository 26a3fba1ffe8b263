//! PIN enrolment, verification, change, status and issuer unblock
//! (ISO/TS 12812-2 7.3.2, 7.3.4, 12.2; ISO 9564-1).
//!
//! The record (try limit, tries left, salt, keyed hash) is kept by
//! `crate::store::pin`; the transport (session key, PIN blocks) is
//! [`transport`]; this module holds the retry logic and the handlers.
//!
//! # The retry counter (power-loss safe, no oracle for the carrier)
//!
//! Every check of a PIN (`check`): read the record and resolve its
//! pending attempt from the log (`crate::store::pin`) → log an attempt
//! left without an outcome entry (`pin-interrupted`) → if no tries are
//! left, refuse (`pin-blocked`, a counted refusal) → **write 1**: the
//! record with one try fewer and this attempt pending at the seq of its
//! outcome entry (if it fails nothing is compared) → compare → **append**
//! the outcome entry: `pin-failed` / `pin-blocked`, or the caller's commit
//! (`pin-verified`, with a consent signing's `tx-signed` in the same write;
//! a mismatch there writes `tx-refused` of the same size). That entry
//! commits the outcome: a `pin-verified` restores the full count for
//! whoever reads the record next, so a verify or a consent signing is two
//! writes. A change writes the new PIN after its `pin-changed` entry (a
//! mismatch rewrites the record without the mark, same size). Objects,
//! offsets and sizes are the same whatever the outcome, so tee-supplicant,
//! which carries them, learns nothing before the reply; an attempt without
//! its outcome entry is logged by the next check; a power cut can cost a
//! try, never give one.
//!
//! # Throttling
//!
//! Once three tries in a row have failed, the TA refuses further tries
//! (`pin-throttled`, no try used) until `throttle_ms << min(fails − 3, 6)`
//! milliseconds of TEE system time have passed since the last failure. The
//! time of the last failure lives in TA instance memory: a reboot resets the
//! delay, never the counter, which is the real limit.
//!
//! # Owners
//!
//! Each client identity has its own PIN record (`crate::store::pin`), try
//! counter and timers: a client verifies, changes, blocks or unblocks only
//! its own PIN, and a key's PIN window opens only with its owner's PIN:
//! only `pin-verify` naming the key opens it, after the match is logged,
//! for one use of that key.
//!
//! # Protected entry
//!
//! Every PIN arrives as an ISO 9564-1 format 4 block under a key agreed
//! with the TA's single-use ephemeral key of this session
//! ([`open_session`]); see `mfs_proto::pin`. The unblock additionally needs
//! the issuer's ECDSA signature over the session nonce and the new block.

use alloc::vec::Vec;
use core::cell::Cell;

use mfs_proto::log::{EventKind, RefusalClass};
use mfs_proto::pin::{Pin, unblock_message};
use mfs_proto::{
    DER_SIGNATURE_MAX_LEN, PinChangeRequest, PinRequest, PinStatusReply, PinUnblockRequest,
    hex_prefix,
};

use crate::access::{Caller, OwnerTag};
use crate::audit::{self, Event, PinContext};
use crate::crypto;
use crate::error::Error;
use crate::journal;
use crate::keys;
use crate::platform::{ObjectId, Platform};
use crate::state::{Instance, PinTimers, Window};
use crate::store::config::Config;
use crate::store::pin::{Pending, Record, locate, record_tag, room_for};

#[cfg(test)]
mod test;
pub mod transport;

pub use transport::{PinEntry, PinSession, open_session, take_entry};
use transport::{block_of, open};

/// Failures in a row after which throttling starts.
pub const THROTTLE_AFTER: u8 = 3;

fn throttle_left(p: &mut impl Platform, timers: &PinTimers, cfg: &Config, rec: &Record) -> u32 {
    let fails = rec.max_tries.saturating_sub(rec.tries_left);
    if cfg.pin_throttle_ms == 0 || fails < THROTTLE_AFTER || rec.tries_left == 0 {
        return 0;
    }
    let Some(last) = timers.last_failure_ms else {
        return 0;
    };
    let gap = u64::from(cfg.pin_throttle_ms) << (fails - THROTTLE_AFTER).min(6);
    let elapsed = p.now_ms().saturating_sub(last);
    u32::try_from(gap.saturating_sub(elapsed)).unwrap_or(u32::MAX)
}

fn status_of(
    p: &mut impl Platform,
    timers: &PinTimers,
    cfg: &Config,
    rec: Option<&Record>,
) -> PinStatusReply {
    match rec {
        None => PinStatusReply {
            set: false,
            blocked: false,
            tries_left: cfg.pin_max_tries,
            max_tries: cfg.pin_max_tries,
            throttle_ms: 0,
        },
        Some(r) => PinStatusReply {
            set: true,
            blocked: r.tries_left == 0,
            tries_left: r.tries_left,
            max_tries: r.max_tries,
            throttle_ms: throttle_left(p, timers, cfg, r),
        },
    }
}

/// Whose PIN a command works on: the caller's record and timers.
pub struct Holder {
    tag: OwnerTag,
    object: ObjectId,
    /// The tag the record's outcome entries name.
    record: [u8; 8],
    /// The record as finding it read it (the admin's), for the first load.
    found: Cell<Option<Option<Record>>>,
}

impl core::fmt::Debug for Holder {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Holder")
            .field("tag", &self.tag)
            .field("object", &self.object)
            .finish_non_exhaustive()
    }
}

impl Holder {
    /// The PIN of `caller`.
    pub fn of(p: &mut impl Platform, caller: &Caller) -> Result<Holder, Error> {
        let (object, found) = locate(p, caller)?;
        Ok(Holder {
            tag: caller.tag(),
            record: record_tag(&object),
            object,
            found: Cell::new(found),
        })
    }

    /// The record (read once: the first load takes what finding it read),
    /// with its pending attempt resolved from the log where its outcome
    /// entry is there; an interrupted attempt stays pending.
    fn load(&self, p: &mut impl Platform, log: &mut audit::Cache) -> Result<Option<Record>, Error> {
        let found = match self.found.take() {
            Some(found) => found,
            None => Record::load(p, &self.object)?,
        };
        let Some(mut rec) = found else {
            return Ok(None);
        };
        rec.resolve(p, log, &self.record)?;
        Ok(Some(rec))
    }

    fn store(&self, p: &mut impl Platform, rec: &Record) -> Result<(), Error> {
        rec.store(p, &self.object)
    }
}

/// `PinStatus`: the caller's PIN.
pub fn status(
    p: &mut impl Platform,
    inst: &mut Instance,
    caller: &Caller,
) -> Result<PinStatusReply, Error> {
    let cfg = Config::require(p)?;
    let who = Holder::of(p, caller)?;
    let rec = who.load(p, &mut inst.log)?;
    Ok(status_of(p, &inst.pins.of(who.tag), &cfg, rec.as_ref()))
}

/// Writes a new record (set, unblock) and clears the throttle timer and
/// the PIN window.
fn commit(
    p: &mut impl Platform,
    inst: &mut Instance,
    (who, cfg): (&Holder, &Config),
    rec: &Record,
) -> Result<PinStatusReply, Error> {
    who.store(p, rec)?;
    inst.pins.set(who.tag, PinTimers::default());
    Ok(status_of(p, &PinTimers::default(), cfg, Some(rec)))
}

/// `PinSet`: first enrolment of the caller's PIN.
pub fn set(
    p: &mut impl Platform,
    inst: &mut Instance,
    (caller, slot): (&Caller, &mut Option<PinSession>),
    req: &PinRequest,
) -> Result<PinStatusReply, Error> {
    let entry = take_entry(slot, &req.client_key, req.pan.as_deref(), &req.block)?;
    let cfg = Config::require(p)?;
    cfg.check_protected(p)?;
    if req.key.is_some() {
        return Err(Error::InvalidArgument);
    }
    let who = Holder::of(p, caller)?;
    if who.load(p, &mut inst.log)?.is_some() {
        return Err(Error::PinAlreadySet);
    }
    room_for(p, caller)?;
    let pin = entry.pin()?;
    let key = inst.kek.pin_key(p)?;
    let rec = Record::new(p, key, cfg.pin_max_tries, &pin)?;
    let reply = commit(p, inst, (&who, &cfg), &rec)?;
    journal::append(p, &mut inst.log, &[Event::plain(EventKind::PinSet)])?;
    Ok(reply)
}

/// Logs an attempt that an earlier check counted and whose outcome entry
/// is not in the log (the append failed or the power was cut), then
/// writes the record without the mark. Until both succeed no new try is
/// made.
fn settle(
    p: &mut impl Platform,
    inst: &mut Instance,
    who: &Holder,
    rec: &mut Record,
) -> Result<(), Error> {
    let Some(pending) = rec.pending else {
        return Ok(());
    };
    let ev = Event::pin_interrupted(pending.ctx, rec.tries_left, &who.record);
    journal::append(p, &mut inst.log, &[ev])?;
    rec.pending = None;
    who.store(p, rec)
}

/// What a matching check commits.
struct OnMatch {
    /// The entries that commit the match, its outcome entry first.
    events: Vec<Event>,
    /// The entries a mismatch appends after its `pin-failed` /
    /// `pin-blocked`, of the same sizes as the match's after its outcome
    /// entry (a consent signing's `tx-refused`).
    on_mismatch: Option<Event>,
    /// A record written after the commit (the new PIN of a change; a
    /// mismatch then writes the record it counted, without the mark).
    then: Option<Record>,
}

/// Checks `pin` against the caller's record. The storage operations are
/// the same whether the PIN matches or not:
///
/// 1. **write 1** — the record with one try fewer and the attempt pending
///    at the seq its outcome entry gets; if it fails nothing is compared;
/// 2. compare (constant time);
/// 3. **append** — on a match the entries of `on_match.events` (the
///    outcome entry first: it commits the full count), on a mismatch
///    `pin-failed` / `pin-blocked` and `on_match.on_mismatch`; the same
///    sizes;
/// 4. only with `on_match.then` (a change), **write 2** — the new record,
///    or the counted one without the mark; same object, same length.
///
/// A failure at 3 leaves the attempt pending without an entry: the next
/// check logs it (`pin-interrupted`) before anything else, and the try
/// stays used. Nothing in TA memory grants more after a failure, nor
/// tells its outcome: from write 1 until a match is committed, the
/// throttle clock runs and the PIN window is closed as after a mismatch;
/// a committed match stops the clock and gives the window back (the
/// caller opens a new one only after every write succeeded).
fn check(
    p: &mut impl Platform,
    inst: &mut Instance,
    (who, cfg): (&Holder, &Config),
    rec: &mut Record,
    (pin, ctx): (&Pin, PinContext),
    on_match: OnMatch,
) -> Result<(), Error> {
    settle(p, inst, who, rec)?;
    if rec.tries_left == 0 {
        // a counted refusal (coalesced in the log): no try used
        let class = RefusalClass::PinBlocked;
        return audit::refuse(p, &mut inst.log, class, Error::PinBlocked);
    }
    let mut t = inst.pins.of(who.tag);
    let wait = throttle_left(p, &t, cfg, rec);
    if wait > 0 {
        let class = RefusalClass::PinThrottled;
        return audit::refuse(p, &mut inst.log, class, Error::PinThrottled(wait));
    }
    let key = inst.kek.pin_key(p)?;
    let seq = audit::seq_of_next(p, &mut inst.log)?;
    rec.tries_left -= 1;
    #[allow(clippy::cast_possible_truncation)] // the low 32 bits, on purpose
    let low = seq as u32;
    rec.pending = Some(Pending {
        ctx,
        seq: Some(low),
    });
    who.store(p, rec)?;
    // Until a match is committed, TA memory holds what a failure leaves
    // (throttle clock started, PIN window closed), so that nothing in it
    // tells the outcome of a check whose outcome entry was dropped.
    let window = t.window;
    t.last_failure_ms = Some(p.now_ms());
    t.window = None;
    inst.pins.set(who.tag, t);
    let matched = rec.matches(key, pin);
    if !matched {
        let outcome = if rec.tries_left == 0 {
            Event::pin_blocked(ctx, &who.record)
        } else {
            Event::pin_failed(ctx, rec.tries_left, &who.record)
        };
        let events: Vec<Event> = core::iter::once(outcome)
            .chain(on_match.on_mismatch)
            .collect();
        journal::append(p, &mut inst.log, &events)?;
        rec.pending = None;
        if on_match.then.is_some() {
            who.store(p, rec)?;
        }
        return Err(if rec.tries_left == 0 {
            Error::PinBlocked
        } else {
            Error::PinIncorrect(rec.tries_left)
        });
    }
    journal::append(p, &mut inst.log, &on_match.events)?;
    rec.tries_left = rec.max_tries;
    rec.pending = None;
    if let Some(after) = on_match.then {
        who.store(p, &after)?;
        *rec = after;
    }
    let mut t = inst.pins.of(who.tag);
    t.last_failure_ms = None;
    t.window = window;
    inst.pins.set(who.tag, t);
    Ok(())
}

/// `PinVerify`: the caller's PIN; with `key`, a durably logged match opens
/// that key's PIN window for one use.
pub fn verify(
    p: &mut impl Platform,
    inst: &mut Instance,
    (caller, slot): (&Caller, &mut Option<PinSession>),
    req: &PinRequest,
) -> Result<PinStatusReply, Error> {
    let entry = take_entry(slot, &req.client_key, req.pan.as_deref(), &req.block)?;
    let cfg = Config::require(p)?;
    cfg.check_protected(p)?;
    let window_key = match req.key.as_deref() {
        Some(id) => Some(keys::window_key(p, inst, caller, id)?),
        None => None,
    };
    let who = Holder::of(p, caller)?;
    let ctx = PinContext::Verify;
    let rec = verify_pin(p, inst, (&who, &cfg), || entry.pin(), (ctx, None))?;
    let mut t = inst.pins.of(who.tag);
    t.window = window_key.map(|key| Window {
        key,
        opened_ms: p.now_ms(),
    });
    inst.pins.set(who.tag, t);
    Ok(status_of(p, &t, &cfg, Some(&rec)))
}

/// The verify path shared by `PinVerify` and consent signing: the record
/// must exist, then the PIN is opened and [`check`]ed; a match appends
/// `pin-verified` (the commit of the full count) and, for a consent
/// signing, the first of `consent` (`tx-signed`) in the same write; a
/// mismatch appends the second (`tx-refused`) after its outcome entry.
fn verify_pin(
    p: &mut impl Platform,
    inst: &mut Instance,
    held: (&Holder, &Config),
    pin: impl FnOnce() -> Result<Pin, Error>,
    (ctx, consent): (PinContext, Option<(Event, Event)>),
) -> Result<Record, Error> {
    let mut rec = held.0.load(p, &mut inst.log)?.ok_or(Error::PinNotSet)?;
    let pin = pin()?;
    let verified = Event::pin_verified(ctx, rec.max_tries, &held.0.record);
    let (signed, refused) = consent.unzip();
    let on_match = OnMatch {
        events: core::iter::once(verified).chain(signed).collect(),
        on_mismatch: refused,
        then: None,
    };
    check(p, inst, held, &mut rec, (&pin, ctx), on_match)?;
    Ok(rec)
}

/// Verifies the PIN of a transaction exactly like `PinVerify` (same
/// writes, outcome logged); opens no window. On a match `signed`
/// (`tx-signed`) is appended with `pin-verified` in one write; on a
/// mismatch `refused` (`tx-refused`, the same size) with `pin-failed`.
/// The caller then signs once.
pub fn consent(
    p: &mut impl Platform,
    inst: &mut Instance,
    (caller, cfg): (&Caller, &Config),
    entry: PinEntry,
    (signed, refused): (Event, Event),
) -> Result<(), Error> {
    let who = Holder::of(p, caller)?;
    let commit = (PinContext::TxSign, Some((signed, refused)));
    verify_pin(p, inst, (&who, cfg), || entry.pin(), commit)?;
    Ok(())
}

/// `PinChange`: the old PIN is checked like a verify; on a match the new
/// PIN (full count) is the second write, logged as `pin-changed`. Opens no
/// window.
pub fn change(
    p: &mut impl Platform,
    inst: &mut Instance,
    (caller, slot): (&Caller, &mut Option<PinSession>),
    req: &PinChangeRequest,
) -> Result<PinStatusReply, Error> {
    let opened = open(slot, &req.client_key, req.pan.as_deref())?;
    let old_block = block_of(&req.old_block)?;
    let new_block = block_of(&req.new_block)?;
    let cfg = Config::require(p)?;
    cfg.check_protected(p)?;
    let who = Holder::of(p, caller)?;
    let mut rec = who.load(p, &mut inst.log)?.ok_or(Error::PinNotSet)?;
    let old = opened.pin(&old_block)?;
    let new = opened.pin(&new_block)?;
    let key = inst.kek.pin_key(p)?;
    let fresh = Record::new(p, key, rec.max_tries, &new)?;
    let changed = Event::pin_changed(fresh.tries_left, &who.record);
    let on_match = OnMatch {
        events: alloc::vec![changed],
        on_mismatch: None,
        then: Some(fresh),
    };
    let ctx = PinContext::Change;
    check(p, inst, (&who, &cfg), &mut rec, (&old, ctx), on_match)?;
    let t = inst.pins.of(who.tag);
    Ok(status_of(p, &t, &cfg, Some(&rec)))
}

/// `PinUnblock`: a new PIN with the full count, authorised by the issuer's
/// signature over this session's nonce and the new block.
pub fn unblock(
    p: &mut impl Platform,
    inst: &mut Instance,
    (caller, slot): (&Caller, &mut Option<PinSession>),
    req: &PinUnblockRequest,
) -> Result<PinStatusReply, Error> {
    let opened = open(slot, &req.client_key, req.pan.as_deref())?;
    let block = block_of(&req.block)?;
    let mut der = [0u8; DER_SIGNATURE_MAX_LEN];
    let sig = hex_prefix(&req.signature, &mut der).ok_or(Error::BadRequest)?;
    let cfg = Config::require(p)?;
    cfg.check_protected(p)?;
    let who = Holder::of(p, caller)?;
    let mut rec = who.load(p, &mut inst.log)?.ok_or(Error::PinNotSet)?;
    settle(p, inst, &who, &mut rec)?;
    let msg = unblock_message(&opened.nonce, &opened.client_key, &block, &opened.pan);
    if let Err(e) = crypto::verify_der(&cfg.issuer_key, &msg, sig) {
        return audit::refuse(p, &mut inst.log, RefusalClass::UnblockForged, e);
    }
    let pin = opened.pin(&block)?;
    let key = inst.kek.pin_key(p)?;
    let fresh = Record::new(p, key, rec.max_tries, &pin)?;
    let reply = commit(p, inst, (&who, &cfg), &fresh)?;
    journal::append(p, &mut inst.log, &[Event::plain(EventKind::PinUnblocked)])?;
    Ok(reply)
}
