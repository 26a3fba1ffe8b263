//! The TA's event log, exported and verified offline (no TA needed).
//!
//! An [`Export`] is a JSON document: the TA-signed head statement and every
//! retained entry with its details, details hash, prev hash and hash (see
//! `mfs_proto::log` for the encodings). [`verify_export`] checks the head's
//! signature (optionally against a pinned attestation key) and challenge,
//! then the whole chain, and names the first bad entry by its seq.

use core::fmt;

use mfs_proto::LogHeadReply;
use mfs_proto::log::{ChainError, ChainItem, Entry, EventKind, Hash, Head, verify_chain};
use serde::{Deserialize, Serialize};

use crate::keys::{EcPublicKey, hex_decode, hex_encode as hex};

/// Value of [`Export::format`].
pub const EXPORT_FORMAT: &str = "mfs-ta event log v1";

/// One exported entry (hex for bytes).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExportedEntry {
    /// Seq.
    pub seq: u64,
    /// REE clock, UNIX seconds.
    pub time: u64,
    /// Kind name (`mfs_proto::log::EventKind::name`).
    pub kind: String,
    /// Details, hex.
    pub details: String,
    /// SHA-256 of the details, hex.
    pub details_hash: String,
    /// Hash of the entry before, hex.
    pub prev: String,
    /// This entry's hash, hex.
    pub hash: String,
}

/// An exported log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Export {
    /// [`EXPORT_FORMAT`].
    pub format: String,
    /// The TA-signed head.
    pub head: LogHeadReply,
    /// The retained entries, oldest first.
    pub entries: Vec<ExportedEntry>,
}

/// What is wrong with an entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EntryFault {
    /// Not a well-formed entry (unknown kind, bad hex).
    Format,
    /// Not the seq that belongs there (removed, inserted or renumbered).
    Sequence {
        /// The seq that belongs there.
        expected: u64,
    },
    /// The details do not match the details hash.
    Details,
    /// The entry was altered (its hash breaks the chain).
    Altered,
    /// Its `hash` field is not its hash.
    HashField,
}

/// Why an export did not verify.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogError {
    /// Not an export of this format, or the head statement is malformed.
    Format,
    /// The head's signature does not verify.
    Signature,
    /// The head was signed by another key than the pinned one.
    NotPinned,
    /// The head's challenge is not the one the verifier issued.
    Challenge,
    /// The first bad entry.
    Entry {
        /// Its position in the export (0-based).
        index: usize,
        /// Its seq where known (else the seq that belongs there).
        seq: u64,
        /// What is wrong.
        fault: EntryFault,
    },
    /// Entries are missing at the end.
    Truncated {
        /// The first missing seq.
        expected: u64,
    },
    /// The (empty) export does not match the signed head.
    Start,
}

impl fmt::Display for LogError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LogError::Format => f.write_str("not an mfs-ta event log export (v1)"),
            LogError::Signature => f.write_str("the head's signature does not verify"),
            LogError::NotPinned => f.write_str("the head was not signed by the pinned key"),
            LogError::Challenge => f.write_str("the head's challenge is not the one issued"),
            LogError::Entry { index, seq, fault } => {
                write!(f, "entry #{index} (seq {seq}): ")?;
                match fault {
                    EntryFault::Format => f.write_str("malformed"),
                    EntryFault::Sequence { expected } => {
                        write!(
                            f,
                            "seq {expected} expected here (entry removed or inserted)"
                        )
                    }
                    EntryFault::Details => f.write_str("details do not match their hash"),
                    EntryFault::Altered => f.write_str("altered (breaks the hash chain)"),
                    EntryFault::HashField => f.write_str("its hash field is wrong"),
                }
            }
            LogError::Truncated { expected } => {
                write!(f, "entries missing from seq {expected} on")
            }
            LogError::Start => f.write_str("the export does not start where the head says"),
        }
    }
}

struct Item(Entry, Vec<u8>);

impl ChainItem for Item {
    fn entry(&self) -> &Entry {
        &self.0
    }
    fn details(&self) -> &[u8] {
        &self.1
    }
}

fn hash32(s: &str) -> Option<Hash> {
    hex_decode(s)?.try_into().ok()
}

/// The exported form of an entry.
pub fn exported(e: &Entry, details: &[u8]) -> ExportedEntry {
    ExportedEntry {
        seq: e.seq,
        time: e.time,
        kind: e.kind.name().to_string(),
        details: hex(details),
        details_hash: hex(&e.details_hash),
        prev: hex(&e.prev),
        hash: hex(&e.hash()),
    }
}

/// Verifies an export (see the module docs). Returns the signed head.
pub fn verify_export(
    x: &Export,
    pinned: Option<&EcPublicKey>,
    challenge: Option<&[u8]>,
) -> Result<Head, LogError> {
    if x.format != EXPORT_FORMAT {
        return Err(LogError::Format);
    }
    let statement = hex_decode(&x.head.statement).ok_or(LogError::Format)?;
    let head = Head::decode(&statement).ok_or(LogError::Format)?;
    let key =
        EcPublicKey::from_sec1_hex(&x.head.attestation_key).map_err(|_| LogError::Signature)?;
    let sig = hex_decode(&x.head.signature).ok_or(LogError::Signature)?;
    if !key.verify(&statement, &sig) {
        return Err(LogError::Signature);
    }
    if let Some(p) = pinned
        && p.sec1() != key.sec1()
    {
        return Err(LogError::NotPinned);
    }
    if let Some(c) = challenge
        && head.challenge.as_slice() != c
    {
        return Err(LogError::Challenge);
    }
    let mut items = Vec::with_capacity(x.entries.len());
    for (index, e) in x.entries.iter().enumerate() {
        let bad = LogError::Entry {
            index,
            seq: e.seq,
            fault: EntryFault::Format,
        };
        let entry = Entry {
            seq: e.seq,
            time: e.time,
            kind: EventKind::from_name(&e.kind).ok_or(bad)?,
            details_hash: hash32(&e.details_hash).ok_or(bad)?,
            prev: hash32(&e.prev).ok_or(bad)?,
        };
        items.push(Item(entry, hex_decode(&e.details).ok_or(bad)?));
    }
    let at = |index: usize, fault| LogError::Entry {
        index,
        seq: items
            .get(index)
            .map_or(head.first_seq + index as u64, |i| i.0.seq),
        fault,
    };
    verify_chain(&head, &items).map_err(|e| match e {
        ChainError::Sequence { index, expected } => at(index, EntryFault::Sequence { expected }),
        ChainError::Details { index } => at(index, EntryFault::Details),
        ChainError::Altered { index } => at(index, EntryFault::Altered),
        ChainError::Truncated { expected } => LogError::Truncated { expected },
        ChainError::Start => LogError::Start,
    })?;
    for (index, (item, e)) in items.iter().zip(&x.entries).enumerate() {
        if hash32(&e.hash) != Some(item.0.hash()) {
            return Err(at(index, EntryFault::HashField));
        }
    }
    Ok(head)
}

/// A one-line human description of an entry's details.
pub fn describe(kind: EventKind, details: &[u8]) -> String {
    let id = |d: &[u8]| d.get(..8).map(hex).unwrap_or_default();
    let ctx = |c: Option<&u8>| match c {
        Some(1) => "pin verify",
        Some(2) => "pin change",
        Some(3) => "tx sign",
        _ => "?",
    };
    let u32_at = |d: &[u8], at: usize| {
        d.get(at..at + 4)
            .and_then(|b| b.try_into().ok())
            .map(u32::from_be_bytes)
    };
    let u64_at = |d: &[u8], at: usize| {
        d.get(at..at + 8)
            .and_then(|b| b.try_into().ok())
            .map(u64::from_be_bytes)
    };
    match kind {
        EventKind::Provisioned => format!("PIN try limit {}", details.first().unwrap_or(&0)),
        EventKind::PinVerified | EventKind::PinBlocked => ctx(details.first()).to_string(),
        EventKind::PinFailed => format!(
            "{}, {} tries left",
            ctx(details.first()),
            details.get(1).unwrap_or(&0)
        ),
        EventKind::KeyGenerated
        | EventKind::KeyImported
        | EventKind::KeyDeleted
        | EventKind::KeyExported => format!("key {}", id(details)),
        EventKind::KeyUsed => format!(
            "key {} {}, uses {}",
            id(details),
            if details.get(8) == Some(&2) {
                "attest"
            } else {
                "sign"
            },
            u32_at(details, 9).unwrap_or(0)
        ),
        EventKind::PolicyRefused => {
            let reason = details
                .get(8)
                .and_then(|r| mfs_proto::PolicyReason::from_detail(u32::from(*r)))
                .map_or("?", |r| r.name());
            format!("key {} refused: {reason}", id(details))
        }
        EventKind::TxSigned => format!(
            "key {} counter {} tx sha256 {}",
            id(details),
            u64_at(details, 8).unwrap_or(0),
            details.get(16..).map(hex).unwrap_or_default()
        ),
        EventKind::PinSet | EventKind::PinChanged | EventKind::PinUnblocked | EventKind::Wiped => {
            String::new()
        }
    }
}
