//! The library's error types, at the bottom of the module tree: [`Error`]
//! for anything a call or a local check can refuse, and the reasons an
//! offline verifier gives ([`AttestationError`], [`TxError`],
//! [`LogError`]). Nothing here imports another module of this crate.

use core::fmt;

use mfs_proto::Status;
use mfs_proto::tx::InvalidRecord;

/// Anything that can go wrong talking to the TA or checking local input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Error {
    /// The TEE, its driver or the TA's entry refused the call
    /// (GlobalPlatform `TEEC_Result`, e.g. `0xffff0006` bad parameters,
    /// `0xffff0008` item not found: TA not installed).
    Tee {
        /// The `TEEC_Result` code.
        code: u32,
    },
    /// The TA processed the call and answered with a non-OK status.
    Status {
        /// The status.
        status: Status,
        /// Its detail value (see [`Status`]).
        detail: u32,
    },
    /// The TA answered with a status this client does not know (newer TA).
    UnknownStatus(u32),
    /// The TA's reply could not be decoded, or does not fit what was
    /// asked (e.g. a log page that does not continue the sequence or
    /// brings nothing new).
    BadReply,
    /// The TA's replies add up to more than this client reads: a log head
    /// covering more than `mfs_host::log::EXPORT_MAX_ENTRIES` entries, or
    /// a key list of more than `MAX_KEYS` keys. Refused instead of being
    /// read without bound.
    ReplyLimit,
    /// The request could not be encoded within the protocol's bounds.
    RequestTooLarge,
    /// A PIN is not 4–12 decimal digits (checked before anything is sent).
    BadPin,
    /// A PAN is not 1–19 decimal digits.
    BadPan,
    /// The TA's session key is not a valid P-256 point.
    BadTaKey,
    /// The operating system's random number generator failed.
    Random,
    /// Local text is not valid in its encoding (hex, PEM, DER).
    Encoding(Encoding),
    /// A key or signature given to the client cannot be used.
    Key(KeyError),
    /// Local input refused before anything is sent: a key id, label,
    /// message, challenge or transaction field outside the protocol's
    /// rules (e.g. too long, or starting with the TA's reserved prefix).
    Input,
    /// A transaction record the TA would refuse (`invalid-argument`),
    /// refused before anything is sent, with the rule it breaks (e.g. a
    /// display that does not show the amount, a payee with a bidi control).
    Record(InvalidRecord),
    /// An attestation did not verify.
    Attestation(AttestationError),
    /// A signed transaction did not verify.
    Tx(TxError),
    /// An event-log export did not verify.
    Log(LogError),
}

/// Which encoding local text or bytes broke.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    /// Hex text (odd length or a non-hex digit).
    Hex,
    /// PEM text (no `-----BEGIN`/`-----END` armour), or a key that could
    /// not be written as PEM.
    Pem,
    /// A key that could not be written as DER.
    Der,
}

impl fmt::Display for Encoding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Encoding::Hex => "hex",
            Encoding::Pem => "PEM",
            Encoding::Der => "DER",
        })
    }
}

/// Why a key or signature given to the client cannot be used.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeyError {
    /// The PEM holds no P-256 key of the kind expected (e.g. another
    /// curve, a private key where a public one is needed, or damaged key
    /// data).
    Unusable,
    /// The issuer's signature does not fit the protocol (not a DER ECDSA
    /// P-256 signature).
    Signature,
}

impl Error {
    /// The TA status, if the TA answered with one.
    pub fn status(&self) -> Option<Status> {
        match self {
            Error::Status { status, .. } => Some(*status),
            _ => None,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Tee { code } => write!(f, "TEE call failed (TEEC result {code:#010x})"),
            Error::Status { status, detail } => {
                write!(f, "TA refused: {}", status.name())?;
                match status {
                    Status::ShortBuffer => write!(f, " (needs {detail} bytes)"),
                    Status::UnsupportedVersion => write!(f, " (TA speaks up to v{detail})"),
                    Status::RequestTooLarge => write!(f, " (limit {detail} bytes)"),
                    Status::PinIncorrect => write!(f, " ({detail} tries left)"),
                    Status::PinThrottled => write!(f, " (retry in {detail} ms)"),
                    Status::PolicyViolation => {
                        match mfs_proto::PolicyReason::from_detail(*detail) {
                            Some(r) => write!(f, " ({})", r.name()),
                            None => write!(f, " (reason {detail})"),
                        }
                    }
                    Status::KeyLimit => write!(f, " (at most {detail} keys)"),
                    _ => Ok(()),
                }
            }
            Error::UnknownStatus(s) => write!(f, "TA answered unknown status {s}"),
            Error::BadReply => {
                f.write_str("TA reply could not be decoded or does not fit the request")
            }
            Error::ReplyLimit => f.write_str("TA replies exceed this client's limit"),
            Error::RequestTooLarge => f.write_str("request exceeds the protocol's size bound"),
            Error::BadPin => f.write_str("a PIN must be 4 to 12 decimal digits"),
            Error::BadPan => f.write_str("a PAN must be 1 to 19 decimal digits"),
            Error::BadTaKey => f.write_str("the TA's PIN session key is invalid"),
            Error::Random => f.write_str("the system random number generator failed"),
            Error::Encoding(Encoding::Hex) => f.write_str("malformed hex text"),
            Error::Encoding(Encoding::Pem) => f.write_str("not PEM text (no BEGIN/END lines)"),
            Error::Encoding(e) => write!(f, "key could not be encoded as {e}"),
            Error::Key(KeyError::Unusable) => {
                f.write_str("key unusable (not a P-256 key of the kind expected)")
            }
            Error::Key(KeyError::Signature) => {
                f.write_str("issuer signature unusable (not a DER ECDSA P-256 signature)")
            }
            Error::Input => f.write_str(
                "input unusable (key id, label, message, challenge or transaction record)",
            ),
            Error::Record(e) => write!(f, "transaction record refused: {e}"),
            Error::Attestation(e) => write!(f, "attestation rejected: {e}"),
            Error::Tx(e) => write!(f, "signed transaction rejected: {e}"),
            Error::Log(e) => write!(f, "event log rejected: {e}"),
        }
    }
}

impl std::error::Error for Error {}

/// Why an attestation was not accepted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AttestationError {
    /// The statement is not a well-formed version 1 statement.
    Malformed,
    /// The signature does not verify under the attestation key.
    BadSignature,
    /// The statement answers another challenge.
    ChallengeMismatch,
    /// The statement is about another public key than the one expected.
    KeyMismatch,
    /// Signed by a key other than the pinned attestation key.
    UntrustedAttestationKey,
}

impl fmt::Display for AttestationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            AttestationError::Malformed => "statement malformed",
            AttestationError::BadSignature => "signature does not verify",
            AttestationError::ChallengeMismatch => "challenge does not match",
            AttestationError::KeyMismatch => "statement is about another key",
            AttestationError::UntrustedAttestationKey => "signed by an untrusted attestation key",
        })
    }
}

/// Why a signed transaction was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TxError {
    /// The bytes are not a valid signed transaction (version 1).
    Encoding,
    /// The signature does not verify under the trusted key.
    Signature,
    /// The reply names another key than the trusted one.
    Key,
    /// The challenge is not the one the verifier issued.
    Challenge,
    /// The counter does not exceed the previous one in the series (a
    /// replay, or an out-of-order series).
    Counter {
        /// The counter found.
        counter: u64,
        /// The counter before it.
        previous: u64,
    },
    /// The reply's counter field differs from the signed counter.
    CounterField,
}

impl fmt::Display for TxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TxError::Encoding => f.write_str("not a valid signed transaction (v1 encoding)"),
            TxError::Signature => f.write_str("signature does not verify under the trusted key"),
            TxError::Key => f.write_str("signed by another key than the trusted one"),
            TxError::Challenge => f.write_str("challenge does not match the one issued"),
            TxError::Counter { counter, previous } => write!(
                f,
                "counter {counter} does not exceed the previous {previous} (replay?)"
            ),
            TxError::CounterField => f.write_str("counter field differs from the signed counter"),
        }
    }
}

/// What is wrong with an event-log entry.
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

/// Why an event-log export did not verify.
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
        /// The seq the entry carries.
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
