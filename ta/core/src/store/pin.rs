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
//! Each record, layout version 2 (52 bytes; version 1, 51 bytes, had no
//! pending byte and is still read):
//!
//! | offset | size | field |
//! |---|---|---|
//! | 0 | 1 | layout version = 2 |
//! | 1 | 1 | try limit (copied from the provisioned policy) |
//! | 2 | 1 | tries left |
//! | 3 | 1 | pending attempt: 0 none, else the PIN context (1 verify, 2 change, 3 tx-sign) of a check whose outcome was not yet written |
//! | 4 | 16 | random salt (new for every PIN) |
//! | 20 | 32 | HMAC-SHA-256(K_pin, salt ‖ length ‖ digits) |
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
use crate::crypto::{self, Key32};
use crate::error::Error;
use crate::objects::{self, LAYOUT_V1, LAYOUT_V2, concat, load_versioned};
use crate::platform::{ObjectId, Platform};
use crate::store::secret;

const RECORD_LEN: usize = 4 + 16 + 32;
const HASH_INFO: &[u8] = b"mfs-ta/pin-hash/v1";

/// The stored PIN record. Its salt and PIN hash are wiped when it (and
/// any clone of it, which `crate::pin` makes to write an outcome) is
/// dropped; it is never printed in full.
#[derive(Clone, PartialEq, Eq)]
pub struct Record {
    /// Try limit (from the provisioned policy when the PIN was set).
    pub max_tries: u8,
    /// Tries left (0: blocked).
    pub tries_left: u8,
    /// A check counted in this record whose outcome was not yet written.
    pub pending: Option<PinContext>,
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
        let Some((version, body)) = load_versioned(p, id, &[LAYOUT_V1, LAYOUT_V2])? else {
            return Ok(None);
        };
        let body = zeroize::Zeroizing::new(body);
        let (max_tries, tries_left, pending, rest) = match (version, body.as_slice()) {
            (LAYOUT_V1, [m, t, rest @ ..]) => (*m, *t, 0, rest),
            (LAYOUT_V2, [m, t, pending, rest @ ..]) => (*m, *t, *pending, rest),
            _ => return Err(Error::Storage),
        };
        if max_tries == 0 || tries_left > max_tries || rest.len() != 48 {
            return Err(Error::Storage);
        }
        let pending = match pending {
            0 => None,
            c => Some(PinContext::from_code(c).ok_or(Error::Storage)?),
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
        let mut r: [u8; RECORD_LEN] = concat(&[
            &[
                LAYOUT_V2,
                self.max_tries,
                self.tries_left,
                self.pending.map_or(0, |c| c as u8),
            ],
            &self.salt,
            &self.hash,
        ])?;
        let result = p.write(id, &r);
        r.zeroize();
        Ok(result?)
    }

    /// Whether `pin` is the stored PIN (constant-time comparison).
    pub fn matches(&self, key: &Key32, pin: &Pin) -> bool {
        crypto::ct_eq(hash(key, &self.salt, pin).as_slice(), &self.hash)
    }
}
