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
    /// The session could not be opened because the TA is not there (or not
    /// signed with a key this OP-TEE trusts).
    NoTa {
        /// The UUID asked for.
        uuid: String,
        /// The TEEC result the open failed with.
        code: u32,
    },
    /// No TEE driver: `/dev/tee0` does not exist.
    NoDevice,
    /// `/dev/tee0` exists but this user may not open it.
    DeviceAccess,
    /// The TA refused an admin command to this session's identity.
    NotAdmin {
        /// The TA's answer.
        error: Error,
        /// The login this session used.
        login: &'static str,
    },
    /// A new PIN typed twice differently on a terminal.
    PinMismatch,
}

/// The admin identity this client was built with, in words: the same
/// `MFS_ADMIN_LOGIN` / `MFS_ADMIN_UUID` the TA's build reads
/// (`scripts/build` builds both with the same environment).
pub(crate) fn admin_identity() -> String {
    let login = option_env!("MFS_ADMIN_LOGIN").unwrap_or("user");
    match option_env!("MFS_ADMIN_UUID") {
        Some(u) if !u.is_empty() => format!("{login} login with identity {u}"),
        _ if login == "user" => "user login as root (uid 0)".to_string(),
        _ => format!("{login} login of gid 0"),
    }
}

/// TEEC_ERROR_GENERIC: what OP-TEE 4.5 answers for a TA it cannot load.
const TEEC_GENERIC: u32 = 0xffff_0000;
/// TEEC_ERROR_ITEM_NOT_FOUND: no TA with the UUID, or (from libteec)
/// no TEE device.
const TEEC_ITEM_NOT_FOUND: u32 = 0xffff_0008;
/// TEEC_ERROR_ACCESS_DENIED.
const TEEC_ACCESS_DENIED: u32 = 0xffff_0001;
/// TEEC_ERROR_SECURITY: OP-TEE refused the TA's signature.
const TEEC_SECURITY: u32 = 0xffff_000f;

/// Why opening a session with `uuid` failed, as specifically as the
/// system lets us tell.
pub(crate) fn open_failure(e: Error, uuid: &str) -> Failure {
    let device = Path::new("/dev/tee0");
    match e {
        Error::Tee { code }
            if [
                TEEC_GENERIC,
                TEEC_ITEM_NOT_FOUND,
                TEEC_ACCESS_DENIED,
                TEEC_SECURITY,
            ]
            .contains(&code) =>
        {
            if !device.exists() {
                Failure::NoDevice
            } else if std::fs::OpenOptions::new()
                .read(true)
                .write(true)
                .open(device)
                .is_err()
            {
                Failure::DeviceAccess
            } else {
                Failure::NoTa {
                    uuid: uuid.to_string(),
                    code,
                }
            }
        }
        e => Failure::Host(e),
    }
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
            Failure::Host(e) | Failure::NotAdmin { error: e, .. } => Some(e),
            Failure::File { .. }
            | Failure::Usage(_)
            | Failure::NoTa { .. }
            | Failure::NoDevice
            | Failure::DeviceAccess
            | Failure::PinMismatch => None,
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
                | Error::Input(_)
                | Error::Record(_) => 5,
                Error::Attestation(_) | Error::Tx(_) | Error::Log(_) => 6,
            },
            Failure::NotAdmin { .. } => 1,
            Failure::File { .. } | Failure::PinMismatch => 5,
            Failure::Usage(_) => 2,
            Failure::NoTa { .. } | Failure::NoDevice | Failure::DeviceAccess => 3,
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
            Failure::NoTa { uuid, code } => write!(
                f,
                "TA {uuid} not found or not signed with a key this OP-TEE trusts \
                 (TEEC result {code:#010x}; is {uuid}.ta in /lib/optee_armtz/ and \
                 tee-supplicant running?)"
            ),
            Failure::NoDevice => f.write_str(
                "no TEE driver: /dev/tee0 does not exist (is the optee kernel module loaded?)",
            ),
            Failure::DeviceAccess => f.write_str(
                "cannot open /dev/tee0: this user is not allowed (add it to the device's \
                 group, teeclnt on Debian)",
            ),
            Failure::NotAdmin {
                error,
                login: "public",
            } => write!(
                f,
                "{error}; a public login may use ping and info only (use --login user)"
            ),
            Failure::NotAdmin { error, login } => write!(
                f,
                "{error}; admin commands need the identity this TA was built for ({}), \
                 this session logged in as {login}",
                admin_identity()
            ),
            Failure::PinMismatch => f.write_str("the two new PINs differ; nothing was sent"),
        }
    }
}
