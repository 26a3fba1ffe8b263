//! What a command can fail with: a library [`Error`], a local file
//! that could not be read or written (with its path), or an incomplete
//! command line, and the exit code each maps to.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

use mfs_host::Error;

/// A command's failure.
#[derive(Debug)]
pub(crate) enum Failure {
    /// From the library (the TA, the TEE, or a local check).
    Host(Error),
    /// A file could not be read or written.
    File {
        /// The file.
        path: PathBuf,
        /// Why, as the operating system said.
        kind: io::ErrorKind,
        /// Whether it was being written (else read).
        write: bool,
    },
    /// The command line is incomplete in a way clap does not catch (exit
    /// code 2, like clap's own usage errors).
    Usage(&'static str),
}

impl Failure {
    /// A file that could not be read.
    pub(crate) fn read(path: &Path, e: &io::Error) -> Failure {
        Failure::File {
            path: path.to_path_buf(),
            kind: e.kind(),
            write: false,
        }
    }

    /// A file that could not be written.
    pub(crate) fn write(path: &Path, e: &io::Error) -> Failure {
        Failure::File {
            path: path.to_path_buf(),
            kind: e.kind(),
            write: true,
        }
    }

    /// The library error, if it is one.
    pub(crate) fn host(&self) -> Option<&Error> {
        match self {
            Failure::Host(e) => Some(e),
            Failure::File { .. } | Failure::Usage(_) => None,
        }
    }

    /// The process exit code (see the crate docs).
    pub(crate) fn exit_code(&self) -> u8 {
        match self {
            Failure::Host(e) => match e {
                Error::Status { .. } => 1,
                Error::Tee { .. } => 3,
                Error::UnknownStatus(_)
                | Error::BadReply
                | Error::ReplyLimit
                | Error::RequestTooLarge
                | Error::BadTaKey => 4,
                Error::BadPin
                | Error::BadPan
                | Error::Encoding(_)
                | Error::Key(_)
                | Error::Random
                | Error::Input
                | Error::Record(_) => 5,
                Error::Attestation(_) | Error::Tx(_) | Error::Log(_) => 6,
            },
            Failure::File { .. } => 5,
            Failure::Usage(_) => 2,
        }
    }
}

impl From<Error> for Failure {
    fn from(e: Error) -> Failure {
        Failure::Host(e)
    }
}

impl fmt::Display for Failure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Failure::Host(e) => e.fmt(f),
            Failure::File { path, kind, write } => write!(
                f,
                "cannot {} {}: {kind}",
                if *write { "write" } else { "read" },
                path.display()
            ),
            Failure::Usage(why) => f.write_str(why),
        }
    }
}
