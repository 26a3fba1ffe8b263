//! The change-proof event log (ISO/TS 12812-2 non-repudiation; ITU-T
//! Y.2740 "event logs shall be change-proof"): entries, their hash chain,
//! the TA-signed head, and the offline chain check both worlds use.
//!
//! # Entry, version 1 (82 bytes, big-endian)
//!
//! `version (1) = 1 ‖ seq (8) ‖ time (8) ‖ kind (1) ‖ details hash (32) ‖
//! prev hash (32)`, where `details hash = SHA-256(details)`, `prev hash` is
//! the hash of the entry before (for the very first entry, 32 zero bytes)
//! and an entry's hash is `SHA-256(entry)`. `seq` counts from 0 without
//! gaps; `time` is the REE clock in UNIX seconds when the TA appended the
//! entry (not a trusted clock: see `docs/threat-model.md`). The details of
//! each kind are listed at [`EventKind`]; they never hold a secret.
//!
//! # Head statement, version 1 (big-endian)
//!
//! `"mfs-ta/log-head/v1"` (18) ‖ TA UUID (16) ‖ TEE device ID (16) ‖ first
//! retained seq (8) ‖ checkpoint (32: the prev hash of the first retained
//! entry) ‖ next seq (8: entries ever appended) ‖ head (32: the hash of
//! the last entry; the checkpoint when none is retained) ‖ challenge length
//! (1, ≤ 64) ‖ challenge. Signed (ECDSA P-256/SHA-256, DER) by the TA's
//! attestation key.
//!
//! # Rollover
//!
//! The TA keeps a bounded window of the newest entries. Old entries are
//! dropped a segment at a time, but hashes keep chaining: the checkpoint in
//! the head is the hash of the last dropped entry, so the retained window
//! verifies on its own, and an archived older export links to a newer one
//! where the newer export's checkpoint equals the hash of the older
//! export's entry `first − 1`.
//!
//! Depends on [`crate::codec`] only. The `LogRead` / `LogHead` JSON
//! messages are in [`crate::wire::log`].

use heapless::Vec;
use sha2::{Digest, Sha256};

use crate::codec::{Reader, Writer};

/// A SHA-256 hash.
pub type Hash = [u8; 32];
/// Version byte that opens every entry encoding.
pub const ENTRY_VERSION: u8 = 1;
/// Bytes of an entry's encoding.
pub const ENTRY_LEN: usize = 1 + 8 + 8 + 1 + 32 + 32;
/// Longest details of an entry.
pub const DETAILS_MAX_LEN: usize = 48;
/// Longest log-head challenge.
pub const LOG_CHALLENGE_MAX_LEN: usize = 64;
/// Tag that opens the head statement.
pub const HEAD_TAG: &[u8; 18] = b"mfs-ta/log-head/v1";
/// Longest head statement.
pub const HEAD_MAX_LEN: usize = 18 + 16 + 16 + 8 + 32 + 8 + 32 + 1 + LOG_CHALLENGE_MAX_LEN;

/// What happened. Values are stable: append only. The details (bytes,
/// big-endian) of each kind are given here; "context" is 1 `PinVerify`, 2
/// `PinChange`, 3 `TxSign`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
#[repr(u8)]
pub enum EventKind {
    /// The TA was provisioned. Details: PIN try limit (1).
    Provisioned = 1,
    /// A PIN was enrolled. Details: none.
    PinSet = 2,
    /// A PIN matched. Details: context (1) ‖ tries left after (1, the full
    /// count) ‖ record tag (8: the owner tag of the PIN record the try
    /// counted against, all zero for the one PIN of versions before client
    /// isolation). This entry commits the full count. (Entries before
    /// version 0.6 of the TA: context only; of versions before the record
    /// tag: no record tag.)
    PinVerified = 3,
    /// A PIN did not match. Details: context (1) ‖ tries left (1, ≥ 1) ‖
    /// record tag (8; absent in entries of versions before it).
    PinFailed = 4,
    /// A PIN did not match and the PIN is now blocked. Details: context
    /// (1) ‖ 0 (1) ‖ record tag (8). (Before 0.6: context only; then, until
    /// the record tag: none.)
    PinBlocked = 5,
    /// The PIN was changed. Details: context (1, = 2) ‖ tries left (1, the
    /// full count) ‖ record tag (8). (Before 0.6: none; then, until the
    /// record tag: none.)
    PinChanged = 6,
    /// The issuer unblocked the PIN. Details: none.
    PinUnblocked = 7,
    /// A key was generated. Details: key id (8) ‖ policy (19).
    KeyGenerated = 8,
    /// A key was imported. Details: key id (8) ‖ policy (19).
    KeyImported = 9,
    /// A key was deleted. Details: key id (8).
    KeyDeleted = 10,
    /// A key signed a caller message or an attestation. Details: key id (8)
    /// ‖ operation (1: 1 sign, 2 attest) ‖ uses after (4).
    KeyUsed = 11,
    /// A key's sealed blob was exported. Details: key id (8).
    KeyExported = 12,
    /// A key's policy refused a use. Details: key id (8) ‖ policy reason (1).
    PolicyRefused = 13,
    /// A transaction was signed with consent. Details: key id (8) ‖ TA
    /// counter (8) ‖ SHA-256 of the signed transaction (32).
    TxSigned = 14,
    /// The TA was wiped (application deactivation). Details: none.
    Wiped = 15,
    /// A PIN check counted a try but its outcome entry was not written;
    /// logged at the next PIN command. Details: context (1) ‖ tries left
    /// (1) ‖ record tag (8; absent in entries of versions before it).
    PinInterrupted = 16,
    /// Refused calls since the previous entry, counted by class (repeated
    /// refusals are coalesced into one entry). Details: up to 9 × (class
    /// (1) ‖ count (4)).
    Refusals = 17,
    /// A transaction was not signed: the PIN of its consent did not match
    /// (follows its `pin-failed` / `pin-blocked`). Details: key id (8) ‖ the
    /// TA counter it would have had (8, not used) ‖ SHA-256 of the bytes it
    /// would have signed (32).
    TxRefused = 18,
}

impl EventKind {
    /// Every kind, for tests and documentation.
    pub const ALL: [EventKind; 18] = [
        EventKind::Provisioned,
        EventKind::PinSet,
        EventKind::PinVerified,
        EventKind::PinFailed,
        EventKind::PinBlocked,
        EventKind::PinChanged,
        EventKind::PinUnblocked,
        EventKind::KeyGenerated,
        EventKind::KeyImported,
        EventKind::KeyDeleted,
        EventKind::KeyUsed,
        EventKind::KeyExported,
        EventKind::PolicyRefused,
        EventKind::TxSigned,
        EventKind::Wiped,
        EventKind::PinInterrupted,
        EventKind::Refusals,
        EventKind::TxRefused,
    ];

    /// Short stable name.
    pub const fn name(self) -> &'static str {
        match self {
            EventKind::Provisioned => "provisioned",
            EventKind::PinSet => "pin-set",
            EventKind::PinVerified => "pin-verified",
            EventKind::PinFailed => "pin-failed",
            EventKind::PinBlocked => "pin-blocked",
            EventKind::PinChanged => "pin-changed",
            EventKind::PinUnblocked => "pin-unblocked",
            EventKind::KeyGenerated => "key-generated",
            EventKind::KeyImported => "key-imported",
            EventKind::KeyDeleted => "key-deleted",
            EventKind::KeyUsed => "key-used",
            EventKind::KeyExported => "key-exported",
            EventKind::PolicyRefused => "policy-refused",
            EventKind::TxSigned => "tx-signed",
            EventKind::Wiped => "wiped",
            EventKind::PinInterrupted => "pin-interrupted",
            EventKind::Refusals => "refusals",
            EventKind::TxRefused => "tx-refused",
        }
    }

    /// The kind with wire value `v`.
    pub fn from_u8(v: u8) -> Option<EventKind> {
        EventKind::ALL.iter().copied().find(|k| *k as u8 == v)
    }

    /// The kind with name `s`.
    pub fn from_name(s: &str) -> Option<EventKind> {
        EventKind::ALL.iter().copied().find(|k| k.name() == s)
    }
}

/// Classes of refused calls counted by a [`EventKind::Refusals`] entry
/// (its details: `class (1) ‖ count (4, BE)` per class that occurred).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum RefusalClass {
    /// A command the caller's login may not use (`access-denied`).
    AccessDenied = 1,
    /// A PIN try while throttled (`pin-throttled`).
    PinThrottled = 2,
    /// A PIN try against a blocked PIN (`pin-blocked`).
    PinBlocked = 3,
    /// A `pin-unblock` whose issuer signature does not verify.
    UnblockForged = 4,
    /// A `key-sign` of a message in the TA's reserved `mfs-ta/` namespace.
    ReservedPrefix = 5,
    /// A key used for an operation its policy does not allow (its purpose,
    /// or export of a non-exportable key).
    PolicyPurpose = 6,
    /// An expired key.
    PolicyExpired = 7,
    /// A key whose usage limit is reached.
    PolicyUsage = 8,
    /// A key whose PIN rule (per use, window) was not met.
    PolicyPin = 9,
}

impl RefusalClass {
    /// Every class, in code order.
    pub const ALL: [RefusalClass; 9] = [
        RefusalClass::AccessDenied,
        RefusalClass::PinThrottled,
        RefusalClass::PinBlocked,
        RefusalClass::UnblockForged,
        RefusalClass::ReservedPrefix,
        RefusalClass::PolicyPurpose,
        RefusalClass::PolicyExpired,
        RefusalClass::PolicyUsage,
        RefusalClass::PolicyPin,
    ];

    /// Short stable name.
    pub const fn name(self) -> &'static str {
        match self {
            RefusalClass::AccessDenied => "access-denied",
            RefusalClass::PinThrottled => "pin-throttled",
            RefusalClass::PinBlocked => "pin-blocked",
            RefusalClass::UnblockForged => "unblock-forged",
            RefusalClass::ReservedPrefix => "reserved-prefix",
            RefusalClass::PolicyPurpose => "policy-purpose",
            RefusalClass::PolicyExpired => "policy-expired",
            RefusalClass::PolicyUsage => "policy-usage-exhausted",
            RefusalClass::PolicyPin => "policy-pin",
        }
    }

    /// The class with code `v`.
    pub fn from_u8(v: u8) -> Option<RefusalClass> {
        RefusalClass::ALL.iter().copied().find(|k| *k as u8 == v)
    }
}

/// SHA-256 of `parts` concatenated.
pub fn sha256(parts: &[&[u8]]) -> Hash {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p);
    }
    h.finalize().into()
}

/// One log entry (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry {
    /// Position in the log, from 0.
    pub seq: u64,
    /// REE clock, UNIX seconds.
    pub time: u64,
    /// What happened.
    pub kind: EventKind,
    /// SHA-256 of the details.
    pub details_hash: Hash,
    /// Hash of the entry before.
    pub prev: Hash,
}

impl Entry {
    /// The entry for `details`, chained after `prev`.
    pub fn new(seq: u64, time: u64, kind: EventKind, details: &[u8], prev: Hash) -> Entry {
        Entry {
            seq,
            time,
            kind,
            details_hash: sha256(&[details]),
            prev,
        }
    }

    /// The 82-byte encoding.
    pub fn encode(&self) -> [u8; ENTRY_LEN] {
        let mut w = Writer::<ENTRY_LEN>::new();
        // The parts add up to ENTRY_LEN exactly: none of these can fail.
        let _ = w.u8(ENTRY_VERSION);
        let _ = w.u64(self.seq);
        let _ = w.u64(self.time);
        let _ = w.u8(self.kind as u8);
        let _ = w.bytes(&self.details_hash);
        let _ = w.bytes(&self.prev);
        let mut out = [0u8; ENTRY_LEN];
        out.copy_from_slice(w.as_slice());
        out
    }

    /// Parses an encoding strictly.
    pub fn decode(b: &[u8]) -> Option<Entry> {
        let mut r = Reader::new(b);
        if r.u8()? != ENTRY_VERSION {
            return None;
        }
        let e = Entry {
            seq: r.u64()?,
            time: r.u64()?,
            kind: EventKind::from_u8(r.u8()?)?,
            details_hash: r.array()?,
            prev: r.array()?,
        };
        r.finish()?;
        Some(e)
    }

    /// This entry's hash (the next entry's prev hash).
    pub fn hash(&self) -> Hash {
        sha256(&[&self.encode()])
    }
}

/// The log head the TA signs (see the module docs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Head {
    /// The TA's UUID.
    pub ta_uuid: [u8; 16],
    /// `gpd.tee.deviceID`.
    pub tee_device_id: [u8; 16],
    /// Seq of the oldest retained entry.
    pub first_seq: u64,
    /// Prev hash of the oldest retained entry.
    pub checkpoint: Hash,
    /// Entries ever appended (the next entry's seq).
    pub next_seq: u64,
    /// Hash of the newest entry (the checkpoint when none is retained).
    pub head: Hash,
    /// The verifier's challenge.
    pub challenge: Vec<u8, LOG_CHALLENGE_MAX_LEN>,
}

impl Head {
    /// The canonical encoding.
    pub fn encode(&self) -> Option<Vec<u8, HEAD_MAX_LEN>> {
        let mut w = Writer::<HEAD_MAX_LEN>::new();
        w.bytes(HEAD_TAG)?;
        w.bytes(&self.ta_uuid)?;
        w.bytes(&self.tee_device_id)?;
        w.u64(self.first_seq)?;
        w.bytes(&self.checkpoint)?;
        w.u64(self.next_seq)?;
        w.bytes(&self.head)?;
        w.short(&self.challenge)?;
        Some(w.into_inner())
    }

    /// Parses a head statement strictly.
    pub fn decode(b: &[u8]) -> Option<Head> {
        let mut r = Reader::new(b);
        if r.take(HEAD_TAG.len())? != HEAD_TAG {
            return None;
        }
        let h = Head {
            ta_uuid: r.array()?,
            tee_device_id: r.array()?,
            first_seq: r.u64()?,
            checkpoint: r.array()?,
            next_seq: r.u64()?,
            head: r.array()?,
            challenge: Vec::from_slice(r.short()?).ok()?,
        };
        r.finish()?;
        (h.first_seq <= h.next_seq).then_some(h)
    }
}

/// Why a chain did not verify, naming the first bad entry by its index in
/// the list checked (0-based) and, where known, its seq.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChainError {
    /// Entry `index` does not carry the seq that belongs there (an entry
    /// was removed, inserted or renumbered).
    Sequence {
        /// Index of the entry in the list.
        index: usize,
        /// The seq that belongs there.
        expected: u64,
    },
    /// Entry `index`'s details do not hash to its details hash.
    Details {
        /// Index of the entry in the list.
        index: usize,
    },
    /// Entry `index` was altered: its hash no longer matches the prev hash
    /// that the next entry (or the signed head) holds for it, or its prev
    /// hash does not match the entry before it (or the signed checkpoint).
    Altered {
        /// Index of the entry in the list.
        index: usize,
    },
    /// The list's start does not match the signed head (first seq or
    /// checkpoint).
    Start,
    /// Entries are missing at the end (fewer than the signed head counts).
    Truncated {
        /// The seq of the first missing entry.
        expected: u64,
    },
    /// The head itself is inconsistent: its first seq is past its next
    /// seq ([`Head::decode`] never returns such a head; a hand-built
    /// [`Head`] can hold one).
    Head,
}

/// One entry of an export: the entry and its details.
pub trait ChainItem {
    /// The entry.
    fn entry(&self) -> &Entry;
    /// Its details, or `None` when they were withheld (a reader other
    /// than the admin gets only each entry's details hash; the chain still
    /// verifies, the details are then just not checked against it).
    fn details(&self) -> Option<&[u8]>;
}

/// Checks that `items` are exactly the entries `head` covers: consecutive
/// seqs from `head.first_seq`, as many as `head.next_seq - head.first_seq`,
/// each details hash right, each prev hash the hash of the entry before
/// (the first one's: the checkpoint), the last one's hash the head.
/// Reports the first bad entry; every `index` in an error names an entry
/// of `items` (`index < items.len()`).
///
/// No arithmetic on the head's or the entries' seqs: the seq that belongs
/// at each position is drawn from the range `first_seq..next_seq`, so a
/// crafted head at the end of the seq space (e.g. `first_seq = next_seq =
/// 2^64 - 1`) neither wraps nor saturates into accepting entries it does
/// not cover.
pub fn verify_chain<T: ChainItem>(head: &Head, items: &[T]) -> Result<(), ChainError> {
    if head.first_seq > head.next_seq {
        return Err(ChainError::Head);
    }
    // The seqs the head covers, in order; each entry takes the next one.
    let mut seqs = head.first_seq..head.next_seq;
    // Hash each entry links to after it: the next entry's prev, or the head.
    let next_link =
        |i: usize| -> Hash { items.get(i + 1).map_or(head.head, |next| next.entry().prev) };
    for (i, item) in items.iter().enumerate() {
        let e = item.entry();
        // Past the head's range: an entry the head does not cover.
        let expected = seqs.next().ok_or(ChainError::Sequence {
            index: i,
            expected: head.next_seq,
        })?;
        if e.seq != expected {
            return Err(ChainError::Sequence { index: i, expected });
        }
        if let Some(details) = item.details()
            && sha256(&[details]) != e.details_hash
        {
            return Err(ChainError::Details { index: i });
        }
        let want_prev = match i.checked_sub(1).and_then(|j| items.get(j)) {
            Some(before) => before.entry().hash(),
            None => head.checkpoint,
        };
        if e.prev != want_prev {
            // Either this entry's prev hash was changed, or the entry
            // before was. If what follows still vouches for this entry,
            // the fault is the entry before.
            let culprit = match i.checked_sub(1) {
                Some(before) if e.hash() == next_link(i) => before,
                _ => i,
            };
            return Err(ChainError::Altered { index: culprit });
        }
    }
    // Seqs of the head's range left over: entries missing at the end.
    if let Some(expected) = seqs.next() {
        return Err(ChainError::Truncated { expected });
    }
    match items.split_last() {
        Some((last, rest)) if last.entry().hash() != head.head => {
            Err(ChainError::Altered { index: rest.len() })
        }
        None if head.head != head.checkpoint => Err(ChainError::Start),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod test;
