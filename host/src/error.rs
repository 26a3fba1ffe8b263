//! The library's one error type.

use core::fmt;

use mfs_proto::Status;

/// Anything that can go wrong talking to the TA.
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
    /// The TA's reply could not be decoded.
    BadReply,
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
    /// The issuer key or signature could not be used.
    Issuer,
    /// Local input unusable: a file, key id, hex text or message (too
    /// long, or starting with the TA's reserved prefix).
    Input,
    /// An attestation did not verify.
    Attestation(crate::keys::AttestationError),
    /// A signed transaction did not verify.
    Tx(crate::tx::TxError),
    /// An event-log export did not verify.
    Log(crate::log::LogError),
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
            Error::BadReply => f.write_str("TA reply could not be decoded"),
            Error::RequestTooLarge => f.write_str("request exceeds the protocol's size bound"),
            Error::BadPin => f.write_str("a PIN must be 4 to 12 decimal digits"),
            Error::BadPan => f.write_str("a PAN must be 1 to 19 decimal digits"),
            Error::BadTaKey => f.write_str("the TA's PIN session key is invalid"),
            Error::Random => f.write_str("the system random number generator failed"),
            Error::Issuer => f.write_str("issuer key or signature unusable"),
            Error::Input => f.write_str("input unusable (file, key id, hex or message)"),
            Error::Attestation(e) => write!(f, "attestation rejected: {e}"),
            Error::Tx(e) => write!(f, "signed transaction rejected: {e}"),
            Error::Log(e) => write!(f, "event log rejected: {e}"),
        }
    }
}

impl std::error::Error for Error {}
