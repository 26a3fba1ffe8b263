//! The PIN record: persistence and the keyed hash. The retry logic that
//! decides when it is written lives in `crate::pin`.
//!
//! # Storage
//!
//! One record per client identity that set a PIN, object `pn/<owner tag>`
//! (packed into a slot of `st` by `crate::pack`)
//! (see `crate::access::ClientIdentity::tag`), at most [`MAX_PIN_RECORDS`]
//! of them, one kept for the admin identity. The one PIN of versions
//! before client isolation, object `pin`, is adopted by the admin identity
//! as long as it has no `pn/` record of its own (no write needed).
//!
//! Each record, layout version 3 (56 bytes; version 2, 52 bytes, had no
//! pending seq, and version 1, 51 bytes, no pending byte; both are still
//! read):
//!
//! | offset | size | field |
//! |---|---|---|
//! | 0 | 1 | layout version = 3 |
//! | 1 | 1 | try limit (copied from the provisioned policy) |
//! | 2 | 1 | tries left |
//! | 3 | 1 | pending attempt: 0 none, else the PIN context (1 verify, 2 change, 3 tx-sign) of a check counted in this record |
//! | 4 | 4 | the low 32 bits (LE) of the seq of the log entry that commits its outcome |
//! | 8 | 16 | random salt (new for every PIN) |
//! | 24 | 32 | HMAC-SHA-256(K_pin, salt ‖ length ‖ digits) |
//!
//! # A pending attempt is resolved by the log
//!
//! A check writes the record once, before it compares: one try fewer and
//! the attempt pending at seq `n`, the seq its outcome entry will get.
//! That entry (`pin-verified`, `pin-failed`, `pin-blocked`, naming the
//! context and this record's tag) **is** the commit: whoever reads the
//! record next resolves the attempt from the log ([`Record::resolve`]) — a
//! `pin-verified` restores the full count, a logged mismatch keeps the
//! count — and no second write of the record is needed. An attempt whose
//! entry is not there (the append failed or the power was cut) stays
//! pending: the next check logs it as `pin-interrupted` and the try stays
//! used. The log keeps the entries of the newest segment and the one
//! before it within reach; before a segment start would move an entry out
//! of reach, `crate::journal` writes the resolved record.
//!
//! `K_pin` = HKDF-SHA-256 of the TA-unique secret with info
//! `"mfs-ta/pin-hash/v1"`. The clear PIN is never stored; the hash is
//! compared in constant time.
//!

use core::fmt;

use mfs_proto::MAX_PIN_RECORDS;
use mfs_proto::pin::Pin;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::access::Caller;
use crate::audit::PinContext;
use crate::audit::{self, Event};
use crate::crypto::{self, Key32};
use crate::error::Error;
use crate::objects::{self, LAYOUT_V1, LAYOUT_V2, LAYOUT_V3, concat, load_versioned};
use crate::platform::{ObjectId, Platform};
use crate::store::secret;

const RECORD_LEN: usize = 8 + 16 + 32;
const HASH_INFO: &[u8] = b"mfs-ta/pin-hash/v1";

/// A PIN check counted in a record whose outcome is committed by a log
/// entry (see the module docs).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pending {
    /// Where the check happened.
    pub ctx: PinContext,
    /// The low 32 bits of the seq of the entry that commits its outcome
    /// (`None`: a record of layout 2, which only the next check resolves).
    pub seq: Option<u32>,
}

/// The tag a record's outcome entries name: the owner tag of a `pn/<tag>`
/// record, all zero for the legacy `pin` object.
pub fn record_tag(id: &ObjectId) -> [u8; 8] {
    id.as_bytes()
        .strip_prefix(b"pn/")
        .and_then(|hex| core::str::from_utf8(hex).ok())
        .and_then(mfs_proto::hex_bytes::<8>)
        .unwrap_or([0; 8])
}

/// What resolving a record's pending attempt found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Resolved {
    /// Nothing was pending.
    Nothing,
    /// The outcome entry was found and applied (the record in memory now
    /// differs from the stored one).
    Applied,
    /// No outcome entry: the attempt was interrupted.
    Interrupted,
}

/// The stored PIN record. Its salt and PIN hash are wiped when it (and
/// any clone of it, which `crate::pin` makes to write an outcome) is
/// dropped; it is never printed in full.
#[derive(Clone, PartialEq, Eq)]
pub struct Record {
    /// Try limit (from the provisioned policy when the PIN was set).
    pub max_tries: u8,
    /// Tries left (0: blocked).
    pub tries_left: u8,
    /// A check counted in this record whose outcome was not yet resolved.
    pub pending: Option<Pending>,
    salt: [u8; 16],
    hash: [u8; 32],
}

impl Drop for Record {
    fn drop(&mut self) {
        self.salt.zeroize();
        self.hash.zeroize();
    }
}

impl ZeroizeOnDrop for Record {}

impl fmt::Debug for Record {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Record")
            .field("max_tries", &self.max_tries)
            .field("tries_left", &self.tries_left)
            .field("pending", &self.pending)
            .finish_non_exhaustive()
    }
}

/// The object holding `caller`'s PIN record: its own `pn/<tag>`; for the
/// admin identity without one, the legacy object `pin` if it exists (the
/// one PIN of versions before client isolation, adopted by whichever
/// identity is the admin). Reads storage for the admin only, and then
/// also returns the record it read (`Some(None)`: no PIN set), so that the
/// command does not read it again.
pub fn locate(
    p: &mut impl Platform,
    caller: &Caller,
) -> Result<(ObjectId, Option<Option<Record>>), Error> {
    let own = objects::client_pin(&caller.tag().0)?;
    if !caller.admin {
        return Ok((own, None));
    }
    if let Some(rec) = Record::load(p, &own)? {
        return Ok((own, Some(Some(rec))));
    }
    let legacy = objects::pin()?;
    match Record::load(p, &legacy)? {
        Some(rec) => Ok((legacy, Some(Some(rec)))),
        None => Ok((own, Some(None))),
    }
}

/// `QuotaExceeded` when `caller` may not create a PIN record: at most
/// `MAX_PIN_RECORDS` `pn/…` records, of which clients other than the admin
/// may hold all but one (kept for the admin). Enumerates storage, so it is
/// only asked by `pin-set`.
pub fn room_for(p: &mut impl Platform, caller: &Caller) -> Result<(), Error> {
    let records = p
        .object_ids()?
        .iter()
        .filter(|id| objects::is_client_pin(id))
        .count();
    let room = if caller.admin {
        MAX_PIN_RECORDS
    } else {
        MAX_PIN_RECORDS - 1
    };
    if records >= room {
        return Err(Error::QuotaExceeded(
            u32::try_from(MAX_PIN_RECORDS).unwrap_or(u32::MAX),
        ));
    }
    Ok(())
}

/// `K_pin`, derived from the TA-unique secret.
pub fn pin_key(p: &mut impl Platform) -> Result<Key32, Error> {
    Ok(secret::load(p)?.derive(HASH_INFO))
}

/// `K_pin` from the `secret`, into `out` (the instance's cache).
pub fn pin_key_into(secret: &Key32, out: &mut Key32) {
    secret.derive_into(HASH_INFO, out);
}

fn hash(key: &Key32, salt: &[u8; 16], pin: &Pin) -> Zeroizing<[u8; 32]> {
    let len = [u8::try_from(pin.digits().len()).unwrap_or(u8::MAX)];
    key.hmac(&[salt, &len, pin.digits()])
}

impl Record {
    /// A record for a new PIN with a fresh salt and the full count.
    pub fn new(
        p: &mut impl Platform,
        key: &Key32,
        max_tries: u8,
        pin: &Pin,
    ) -> Result<Record, Error> {
        let mut rec = Record {
            max_tries,
            tries_left: max_tries,
            pending: None,
            salt: [0; 16],
            hash: [0; 32],
        };
        p.random(&mut rec.salt)?;
        rec.hash = *hash(key, &rec.salt, pin);
        Ok(rec)
    }

    /// Loads the record in object `id` (`None`: no PIN set); anything
    /// malformed is `Storage`.
    pub fn load(p: &mut impl Platform, id: &ObjectId) -> Result<Option<Record>, Error> {
        let Some((version, body)) = load_versioned(p, id, &[LAYOUT_V1, LAYOUT_V2, LAYOUT_V3])?
        else {
            return Ok(None);
        };
        let body = zeroize::Zeroizing::new(body);
        let (max_tries, tries_left, pending, seq, rest) = match (version, body.as_slice()) {
            (LAYOUT_V1, [m, t, rest @ ..]) => (*m, *t, 0, None, rest),
            (LAYOUT_V2, [m, t, pending, rest @ ..]) => (*m, *t, *pending, None, rest),
            (LAYOUT_V3, [m, t, pending, s0, s1, s2, s3, rest @ ..]) => (
                *m,
                *t,
                *pending,
                Some(u32::from_le_bytes([*s0, *s1, *s2, *s3])),
                rest,
            ),
            _ => return Err(Error::Storage),
        };
        if max_tries == 0 || tries_left > max_tries || rest.len() != 48 {
            return Err(Error::Storage);
        }
        let pending = match pending {
            0 => None,
            c => Some(Pending {
                ctx: PinContext::from_code(c).ok_or(Error::Storage)?,
                seq,
            }),
        };
        let (salt, hash) = rest.split_at(16);
        let mut rec = Record {
            max_tries,
            tries_left,
            pending,
            salt: [0; 16],
            hash: [0; 32],
        };
        rec.salt.copy_from_slice(salt);
        rec.hash.copy_from_slice(hash);
        Ok(Some(rec))
    }

    /// Replaces the record in object `id` (one atomic write).
    pub fn store(&self, p: &mut impl Platform, id: &ObjectId) -> Result<(), Error> {
        let (ctx, seq) = self
            .pending
            .map_or((0, 0), |q| (q.ctx as u8, q.seq.unwrap_or(0)));
        let mut r: [u8; RECORD_LEN] = concat(&[
            &[LAYOUT_V3, self.max_tries, self.tries_left, ctx],
            &seq.to_le_bytes(),
            &self.salt,
            &self.hash,
        ])?;
        let result = p.write(id, &r);
        r.zeroize();
        Ok(result?)
    }

    /// Resolves the pending attempt from its outcome entry in the log
    /// (see the module docs), in memory only. `record` is the record's
    /// tag ([`record_tag`]).
    pub fn resolve(
        &mut self,
        p: &mut impl Platform,
        log: &mut audit::Cache,
        record: &[u8; 8],
    ) -> Result<Resolved, Error> {
        let Some(pending) = self.pending else {
            return Ok(Resolved::Nothing);
        };
        let Some(low) = pending.seq else {
            return Ok(Resolved::Interrupted);
        };
        let Some(seq) = audit::seq_ending_in(p, log, low)? else {
            return Ok(Resolved::Interrupted);
        };
        let Some(entry) = audit::recent(p, log, seq)? else {
            return Ok(Resolved::Interrupted);
        };
        match Event::pin_outcome(entry.kind, &entry.details, pending.ctx, record) {
            Some(matched) => {
                if matched {
                    self.tries_left = self.max_tries;
                }
                self.pending = None;
                Ok(Resolved::Applied)
            }
            None => Ok(Resolved::Interrupted),
        }
    }

    /// Whether `pin` is the stored PIN (constant-time comparison).
    pub fn matches(&self, key: &Key32, pin: &Pin) -> bool {
        crypto::ct_eq(hash(key, &self.salt, pin).as_slice(), &self.hash)
    }
}
