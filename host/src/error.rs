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
    /// Local input refused before anything is sent, with the rule it
    /// breaks (e.g. a key id that is not 16 hex digits, a message over
    /// 512 bytes).
    Input(InputError),
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

/// Which rule local input breaks (checked before anything is sent).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum InputError {
    /// A key id that is not 16 hex digits.
    KeyId,
    /// A label that is not 1–32 characters of `A-Z a-z 0-9 . _ -`.
    Label,
    /// A message to sign over `SIGN_MESSAGE_MAX_LEN` (512) bytes.
    MessageTooLong,
    /// A message to sign that starts with the TA's reserved prefix
    /// `mfs-ta/` (kept for the TA's own signed formats).
    ReservedPrefix,
    /// A challenge over 64 bytes.
    ChallengeTooLong,
    /// A sealed key blob longer than any the TA makes.
    BlobTooLong,
    /// The system clock reads before 1970.
    Clock,
}

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            InputError::KeyId => "a key id is 16 hex digits",
            InputError::Label => "a label is 1 to 32 characters of A-Z a-z 0-9 . _ -",
            InputError::MessageTooLong => "a message to sign is at most 512 bytes",
            InputError::ReservedPrefix => {
                "a message to sign may not start with \"mfs-ta/\" (reserved for the TA's own formats)"
            }
            InputError::ChallengeTooLong => "a challenge is at most 64 bytes",
            InputError::BlobTooLong => "not a key blob: longer than any the TA exports",
            InputError::Clock => "the system clock reads before 1970",
        })
    }
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

/// What a TA status means, in words (`docs/ta-interface.md`, *Status
/// codes*).
pub fn meaning(status: Status) -> &'static str {
    match status {
        Status::Ok => "",
        Status::BadRequest => "the request is malformed",
        Status::UnsupportedVersion => "the TA does not speak this protocol version",
        Status::UnknownCommand => "the TA does not know this command",
        Status::ShortBuffer => "the reply buffer was too small (the command succeeded)",
        Status::RequestTooLarge => "the request is too large",
        Status::AccessDenied => "this session's login may not use the command",
        Status::StorageFailure => "secure storage failed or holds an unreadable record",
        Status::CryptoFailure => "a cryptographic operation failed",
        Status::AlreadyProvisioned => "the TA is provisioned already (it happens once)",
        Status::InvalidArgument => "a value is out of its allowed range",
        Status::NotProvisioned => "the TA must be provisioned first",
        Status::Internal => "internal error in the TA",
        Status::PinNotSet => "no PIN is set for this client yet",
        Status::PinAlreadySet => "a PIN is set already (change it instead)",
        Status::PinIncorrect => "wrong PIN",
        Status::PinBlocked => "the PIN is blocked; only an issuer unblock helps",
        Status::PinThrottled => "too soon after repeated wrong PINs; no try was used",
        Status::PinSessionRequired => "no unused PIN session in this TA session",
        Status::PolicyViolation => "the key's policy forbids this use",
        Status::KeyNotFound => "this client has no key with this id",
        Status::KeyLimit => "no room for another key",
        Status::BlobRejected => {
            "the key blob was altered, has an unknown version or is from another TA"
        }
        Status::KeyExists => "the key is present already",
        Status::QuotaExceeded => "a TA-wide quota is used up",
        Status::StorageRollback => {
            "secure storage answered with an older state than the TA wrote (rollback)"
        }
        Status::RollbackUnprotected => {
            "this service needs rollback-protected storage (RPMB), which this device lacks"
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
                    Status::ShortBuffer => write!(f, " (needs {detail} bytes)")?,
                    Status::UnsupportedVersion => write!(f, " (TA speaks up to v{detail})")?,
                    Status::RequestTooLarge => write!(f, " (limit {detail} bytes)")?,
                    Status::PinIncorrect => write!(f, " ({detail} tries left)")?,
                    Status::PinThrottled => write!(f, " (retry in {detail} ms)")?,
                    Status::PolicyViolation => {
                        match mfs_proto::PolicyReason::from_detail(*detail) {
                            Some(r) => write!(f, " ({})", r.name())?,
                            None => write!(f, " (reason {detail})")?,
                        }
                    }
                    Status::KeyLimit => write!(f, " (at most {detail} keys)")?,
                    Status::QuotaExceeded => write!(f, " (at most {detail} PIN records)")?,
                    _ => {}
                }
                match meaning(*status) {
                    "" => Ok(()),
                    m => write!(f, ": {m}"),
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
            Error::Input(e) => write!(f, "input refused: {e}"),
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
