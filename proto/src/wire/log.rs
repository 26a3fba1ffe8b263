//! Event-log messages: `LogHead` and `LogRead`. The entries, the signed
//! head and the chain check are in [`crate::chain`].
//!
//! Requests are strict (`deny_unknown_fields`); replies skip unknown
//! fields. Depends on [`crate::chain`] (sizes) and [`crate::wire::base`].

use heapless::{String, Vec};
use serde::{Deserialize, Serialize};

use super::base::{EcPointHex, SignatureHex};
use crate::chain::{DETAILS_MAX_LEN, HEAD_MAX_LEN, LOG_CHALLENGE_MAX_LEN};

/// Entries per `LogRead` page.
pub const LOG_PAGE: usize = 8;

/// [`crate::Command::LogHead`] request. Added in v1.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogHeadRequest {
    /// Protocol version.
    pub v: u16,
    /// The verifier's challenge, hex, at most [`LOG_CHALLENGE_MAX_LEN`] bytes.
    pub challenge: String<{ 2 * LOG_CHALLENGE_MAX_LEN }>,
}

/// [`crate::Command::LogHead`] reply. Added in v1. Unknown fields are
/// skipped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogHeadReply {
    /// The head statement ([`crate::chain::Head::encode`]), hex.
    pub statement: String<{ 2 * HEAD_MAX_LEN }>,
    /// ECDSA P-256/SHA-256 signature over the statement, DER, hex.
    pub signature: SignatureHex,
    /// The TA attestation key that signed, SEC1 uncompressed, hex.
    pub attestation_key: EcPointHex,
}

/// [`crate::Command::LogRead`] request. Added in v1.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogReadRequest {
    /// Protocol version.
    pub v: u16,
    /// Seq of the first entry wanted.
    pub from: u64,
}

/// One entry as `LogRead` returns it: the parts the chain is computed
/// from (prev hashes follow from the checkpoint). Only ever inside
/// [`LogReadReply`]; unknown fields are skipped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogEntryWire {
    /// Seq.
    pub seq: u64,
    /// REE clock, UNIX seconds.
    pub time: u64,
    /// [`crate::chain::EventKind`] value.
    pub kind: u8,
    /// Details, hex: sent to the admin identity only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details: Option<String<{ 2 * DETAILS_MAX_LEN }>>,
    /// SHA-256 of the details, hex: sent instead of `details` to every
    /// other reader (enough to verify the chain, nothing of what happened
    /// beyond kind and time).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub details_hash: Option<String<64>>,
}

/// [`crate::Command::LogRead`] reply. Added in v1. Unknown fields are
/// skipped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LogReadReply {
    /// Seq of the oldest retained entry.
    pub first: u64,
    /// Entries ever appended.
    pub next: u64,
    /// Up to [`LOG_PAGE`] entries from `max(from, first)`, in order.
    pub entries: Vec<LogEntryWire, LOG_PAGE>,
}

#[cfg(test)]
mod test {
    use super::*;
    use crate::{MAX_REPLY_LEN, encode};

    #[test]
    fn fullest_replies_fit() {
        let e = LogEntryWire {
            seq: u64::MAX,
            time: u64::MAX,
            kind: 255,
            details: Some(String::try_from("ab".repeat(DETAILS_MAX_LEN).as_str()).unwrap()),
            details_hash: None,
        };
        // The TA sends an entry's details (admin) or its details hash
        // (anyone else), never both: each form's fullest page fits.
        let hashed = LogEntryWire {
            details: None,
            details_hash: Some(String::try_from("ab".repeat(32).as_str()).unwrap()),
            ..e.clone()
        };
        let mut buf = [0u8; MAX_REPLY_LEN];
        for e in [e, hashed] {
            let mut entries = Vec::new();
            while entries.push(e.clone()).is_ok() {}
            let r = LogReadReply {
                first: u64::MAX,
                next: u64::MAX,
                entries,
            };
            encode(&r, &mut buf).unwrap();
        }
        let h = LogHeadReply {
            statement: String::try_from("ab".repeat(HEAD_MAX_LEN).as_str()).unwrap(),
            signature: String::try_from("ab".repeat(crate::DER_SIGNATURE_MAX_LEN).as_str())
                .unwrap(),
            attestation_key: String::try_from("ab".repeat(65).as_str()).unwrap(),
        };
        encode(&h, &mut buf).unwrap();
    }
}
