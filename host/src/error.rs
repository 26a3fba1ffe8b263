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
                    _ => Ok(()),
                }
            }
            Error::UnknownStatus(s) => write!(f, "TA answered unknown status {s}"),
            Error::BadReply => f.write_str("TA reply could not be decoded"),
            Error::RequestTooLarge => f.write_str("request exceeds the protocol's size bound"),
        }
    }
}

impl std::error::Error for Error {}
