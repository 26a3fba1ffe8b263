//! The TA's event log, exported and verified offline (no TA needed).
//!
//! An [`Export`] is a JSON document: the TA-signed head statement and every
//! retained entry with its details, details hash, prev hash and hash (see
//! `mfs_proto::log` for the encodings). The TA gives the details to the
//! admin identity only; an export made by any other client has `details`
//! `null` (withheld) and still verifies, by the details hashes.
//! [`verify_export`] checks the head's signature against the [`Signer`]
//! the verifier expects (a pinned attestation key, or — insecure — any
//! key) and its challenge, then the whole chain, and names the first bad
//! entry by its seq. Every value of the export is attacker-controlled: no
//! seq is computed by an addition that could wrap or saturate.

use mfs_proto::log::{ChainError, ChainItem, Entry, EventKind, Hash, Head, verify_chain};
use mfs_proto::{Hex, LogHeadReply};
use serde::{Deserialize, Serialize};

use crate::codec::hex_decode;
pub use crate::error::{EntryFault, LogError};
use crate::pubkey::EcPublicKey;

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
    /// Details, hex; `None` when the TA withheld them (a reader other than
    /// the admin).
    pub details: Option<String>,
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

struct Item(Entry, Option<Vec<u8>>);

impl ChainItem for Item {
    fn entry(&self) -> &Entry {
        &self.0
    }
    fn details(&self) -> Option<&[u8]> {
        self.1.as_deref()
    }
}

fn hash32(s: &str) -> Option<Hash> {
    hex_decode(s)?.try_into().ok()
}

/// The exported form of an entry (`details` `None`: withheld by the TA).
pub fn exported(e: &Entry, details: Option<&[u8]>) -> ExportedEntry {
    ExportedEntry {
        seq: e.seq,
        time: e.time,
        kind: e.kind.name().to_string(),
        details: details.map(|d| Hex(d).to_string()),
        details_hash: Hex(&e.details_hash).to_string(),
        prev: Hex(&e.prev).to_string(),
        hash: Hex(&e.hash()).to_string(),
    }
}

/// Whose signature an export's head must carry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Signer<'a> {
    /// This key: the TA attestation key the verifier pinned (registered at
    /// enrolment, e.g. from `mfs key attest --out-key`). Only this
    /// authenticates an export.
    Pinned(&'a EcPublicKey),
    /// Whatever key the export names. **Insecure**: the signature then
    /// proves only that the export is self-consistent — anyone can make a
    /// key, sign a head over a chain of their choosing and put that key in
    /// the file. For checking a TA's own reply before it is pinned
    /// (`Client::log_export`), or a diagnosis, never for evidence.
    AnyKey,
}

/// Verifies an export (see the module docs) against `signer` and, if
/// given, the challenge the verifier issued. Returns the signed head.
pub fn verify_export(
    x: &Export,
    signer: Signer<'_>,
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
    if let Signer::Pinned(p) = signer
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
        let details = match &e.details {
            Some(d) => Some(hex_decode(d).ok_or(bad)?),
            None => None,
        };
        items.push(Item(entry, details));
    }
    // `verify_chain` names entries of the list only: the seq reported is
    // the one the entry carries, never one computed from the head.
    let at = |index: usize, fault| match items.get(index) {
        Some(item) => LogError::Entry {
            index,
            seq: item.0.seq,
            fault,
        },
        None => LogError::Format,
    };
    verify_chain(&head, &items).map_err(|e| match e {
        ChainError::Sequence { index, expected } => at(index, EntryFault::Sequence { expected }),
        ChainError::Details { index } => at(index, EntryFault::Details),
        ChainError::Altered { index } => at(index, EntryFault::Altered),
        ChainError::Truncated { expected } => LogError::Truncated { expected },
        ChainError::Start => LogError::Start,
        // A decoded head always has first <= next; kept for any other.
        ChainError::Head => LogError::Format,
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
    fn id(d: &[u8]) -> Hex<'_> {
        Hex(d.get(..8).unwrap_or_default())
    }
    let ctx = |c: Option<&u8>| match c {
        Some(1) => "pin verify",
        Some(2) => "pin change",
        Some(3) => "tx sign",
        _ => "?",
    };
    // the PIN record a check counted against (entries since TA 0.9)
    let record = |d: &[u8]| match d.get(2..10) {
        Some(tag) => format!(", record {}", Hex(tag)),
        None => String::new(),
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
        EventKind::PinVerified | EventKind::PinBlocked => {
            format!("{}{}", ctx(details.first()), record(details))
        }
        EventKind::PinFailed | EventKind::PinInterrupted => format!(
            "{}, {} tries left{}",
            ctx(details.first()),
            details.get(1).unwrap_or(&0),
            record(details)
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
            Hex(details.get(16..).unwrap_or_default())
        ),
        EventKind::TxRefused => format!(
            "key {} not signed (counter {} unused) tx sha256 {}",
            id(details),
            u64_at(details, 8).unwrap_or(0),
            Hex(details.get(16..).unwrap_or_default())
        ),
        EventKind::Refusals => describe_refusals(details),
        EventKind::PinChanged => record(details).trim_start_matches(", ").to_string(),
        EventKind::PinSet | EventKind::PinUnblocked | EventKind::Wiped => String::new(),
    }
}

/// "3 access-denied, 1 pin-throttled": each class and count of a
/// `refusals` entry.
fn describe_refusals(details: &[u8]) -> String {
    let parts: Vec<String> = details
        .chunks(5)
        .map(|c| match c {
            [class, n @ ..] if n.len() == 4 => {
                let count = <[u8; 4]>::try_from(n).map_or(0, u32::from_be_bytes);
                let name = mfs_proto::log::RefusalClass::from_u8(*class).map_or("?", |k| k.name());
                format!("{count} {name}")
            }
            _ => "?".to_string(),
        })
        .collect();
    parts.join(", ")
}
