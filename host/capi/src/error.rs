//! The one error type of the C API: [`mfs_rc`] says what kind of failure
//! it was, [`mfs_error`] carries the TA status and detail, the TEE result,
//! a needed buffer size and a message in words. Nothing here is `unsafe`.

use core::fmt::{self, Write as _};
use std::ffi::c_char;

use mfs_host::Error;

/// Result code of every `mfs_*` function that can fail.
#[repr(C)]
#[allow(non_camel_case_types)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum mfs_rc {
    /// Success.
    MFS_OK = 0,
    /// A NULL pointer where one is required, text that is not UTF-8, or an
    /// unknown enum value (`mfs_error.message` names the argument).
    MFS_ERR_ARGUMENT = 1,
    /// The output buffer is too small; `mfs_error.needed` is the size
    /// that suffices. Commands that change state check their buffers
    /// before anything is sent, so nothing is lost.
    MFS_ERR_BUFFER_TOO_SMALL = 2,
    /// The TEE, its driver or the TA's entry refused the call
    /// (`mfs_error.tee_result` is the `TEEC_Result`, e.g. `0xffff0008`:
    /// TA not found or not signed with a key this OP-TEE trusts).
    MFS_ERR_TEE = 3,
    /// The TA refused: `mfs_error.ta_status` (an `MFS_STATUS_*` value)
    /// and `mfs_error.detail` (see `docs/ta-interface.md`).
    MFS_ERR_STATUS = 4,
    /// The TA answered with a status this library does not know
    /// (`mfs_error.ta_status`; a newer TA).
    MFS_ERR_UNKNOWN_STATUS = 5,
    /// The TA's reply could not be decoded or does not fit what was asked.
    MFS_ERR_BAD_REPLY = 6,
    /// The TA's replies add up to more than the library reads (a log of
    /// more than 4,096 entries, more than 1,000 keys).
    MFS_ERR_REPLY_LIMIT = 7,
    /// Local input outside the protocol's bounds: a key id, label,
    /// message, challenge or field too long or malformed.
    MFS_ERR_INPUT = 8,
    /// A PIN that is not 4–12 decimal digits.
    MFS_ERR_BAD_PIN = 9,
    /// A PAN that is not 1–19 decimal digits.
    MFS_ERR_BAD_PAN = 10,
    /// A transaction record the TA would refuse (the message names the
    /// rule: e.g. a display that does not show the amount and payee).
    MFS_ERR_RECORD = 11,
    /// Key text or bytes that are not a P-256 key of the kind needed, or
    /// hex/PEM/DER that does not parse.
    MFS_ERR_KEY = 12,
    /// An attestation did not verify.
    MFS_ERR_ATTESTATION = 13,
    /// A signed transaction did not verify.
    MFS_ERR_TX = 14,
    /// An event-log export did not verify.
    MFS_ERR_LOG = 15,
    /// The TA's session key is not a valid P-256 point, or the operating
    /// system's random number generator failed.
    MFS_ERR_CRYPTO = 16,
    /// The issuer's signing callback failed or returned no signature.
    MFS_ERR_CALLBACK = 17,
    /// This build of the library cannot do it (e.g. opened without
    /// libteec support).
    MFS_ERR_UNSUPPORTED = 18,
}

/// Bytes of [`mfs_error::message`], NUL included.
pub const MFS_ERROR_MESSAGE_LEN: usize = 192;

/// Details of a failure. Every function takes an `mfs_error *` that may
/// be NULL; when it is not, it is filled on every return (all zero and an
/// empty message on success).
#[repr(C)]
#[allow(non_camel_case_types)]
#[derive(Clone, Copy)]
pub struct mfs_error {
    /// The same code the function returned.
    pub rc: mfs_rc,
    /// `MFS_ERR_STATUS` / `MFS_ERR_UNKNOWN_STATUS`: the TA status.
    pub ta_status: u32,
    /// `MFS_ERR_STATUS`: the status detail (e.g. tries left after
    /// `MFS_STATUS_PIN_INCORRECT`, the limit after
    /// `MFS_STATUS_REQUEST_TOO_LARGE`).
    pub detail: u32,
    /// `MFS_ERR_TEE`: the `TEEC_Result`.
    pub tee_result: u32,
    /// `MFS_ERR_BUFFER_TOO_SMALL`: a buffer size that suffices.
    pub needed: usize,
    /// What went wrong in words (English, NUL-terminated, truncated to
    /// fit). Never contains a PIN, key or other secret.
    pub message: [c_char; MFS_ERROR_MESSAGE_LEN],
}

/// Why a call failed, before it becomes an [`mfs_error`].
#[derive(Debug)]
pub(crate) enum Fail {
    /// A bad argument, named.
    Argument(&'static str),
    /// An output buffer too small: the size that suffices, and its name.
    Buffer(usize, &'static str),
    /// The issuer's callback failed.
    Callback,
    /// Not in this build.
    #[cfg_attr(feature = "teec", allow(dead_code))]
    Unsupported(&'static str),
    /// From the Rust library.
    Lib(Error),
    /// No session could be opened: the TEEC result.
    #[cfg_attr(not(feature = "teec"), allow(dead_code))]
    Open(u32),
}

impl From<Error> for Fail {
    fn from(e: Error) -> Fail {
        Fail::Lib(e)
    }
}

impl fmt::Display for Fail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Fail::Argument(what) => write!(f, "invalid argument: {what}"),
            Fail::Buffer(n, what) => write!(f, "{what} too small: {n} bytes needed"),
            Fail::Callback => f.write_str("the issuer's signing callback failed"),
            Fail::Unsupported(what) => write!(f, "not supported by this build: {what}"),
            Fail::Lib(e) => e.fmt(f),
            Fail::Open(code) => write!(
                f,
                "cannot open a session (TEEC result {code:#010x}): TA not found or not signed \
                 with a key this OP-TEE trusts, no access to /dev/tee0, or no TEE driver"
            ),
        }
    }
}

fn rc_of(e: &Error) -> mfs_rc {
    use mfs_rc::*;
    match e {
        Error::Tee { .. } => MFS_ERR_TEE,
        Error::Status { .. } => MFS_ERR_STATUS,
        Error::UnknownStatus(_) => MFS_ERR_UNKNOWN_STATUS,
        Error::BadReply => MFS_ERR_BAD_REPLY,
        Error::ReplyLimit => MFS_ERR_REPLY_LIMIT,
        Error::RequestTooLarge | Error::Input(_) => MFS_ERR_INPUT,
        Error::BadPin => MFS_ERR_BAD_PIN,
        Error::BadPan => MFS_ERR_BAD_PAN,
        Error::BadTaKey | Error::Random => MFS_ERR_CRYPTO,
        Error::Encoding(_) | Error::Key(_) => MFS_ERR_KEY,
        Error::Record(_) => MFS_ERR_RECORD,
        Error::Attestation(_) => MFS_ERR_ATTESTATION,
        Error::Tx(_) => MFS_ERR_TX,
        Error::Log(_) => MFS_ERR_LOG,
    }
}

/// Writes `text` into `buf` as a NUL-terminated C string, truncated at a
/// character boundary if it does not fit.
pub(crate) fn put_message(buf: &mut [c_char], text: &str) {
    let room = buf.len().saturating_sub(1);
    let mut end = text.len().min(room);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    let src = text.as_bytes().get(..end).unwrap_or_default();
    for (d, s) in buf.iter_mut().zip(src.iter().chain(core::iter::repeat(&0))) {
        *d = *s as c_char;
    }
}

/// A message buffer that never grows past the C message's bound.
struct Bounded(String);

impl fmt::Write for Bounded {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        if self.0.len() + s.len() < MFS_ERROR_MESSAGE_LEN * 2 {
            self.0.push_str(s);
        }
        Ok(())
    }
}

impl mfs_error {
    /// Success: all zero, empty message.
    pub(crate) fn ok() -> mfs_error {
        mfs_error {
            rc: mfs_rc::MFS_OK,
            ta_status: 0,
            detail: 0,
            tee_result: 0,
            needed: 0,
            message: [0; MFS_ERROR_MESSAGE_LEN],
        }
    }

    /// The error for `fail`.
    pub(crate) fn from_fail(fail: &Fail) -> mfs_error {
        let mut e = mfs_error::ok();
        e.rc = match fail {
            Fail::Argument(_) => mfs_rc::MFS_ERR_ARGUMENT,
            Fail::Buffer(n, _) => {
                e.needed = *n;
                mfs_rc::MFS_ERR_BUFFER_TOO_SMALL
            }
            Fail::Callback => mfs_rc::MFS_ERR_CALLBACK,
            Fail::Unsupported(_) => mfs_rc::MFS_ERR_UNSUPPORTED,
            Fail::Open(code) => {
                e.tee_result = *code;
                mfs_rc::MFS_ERR_TEE
            }
            Fail::Lib(err) => {
                match err {
                    Error::Tee { code } => e.tee_result = *code,
                    Error::Status { status, detail } => {
                        e.ta_status = *status as u32;
                        e.detail = *detail;
                    }
                    Error::UnknownStatus(s) => e.ta_status = *s,
                    _ => {}
                }
                rc_of(err)
            }
        };
        let mut text = Bounded(String::new());
        let _ = write!(text, "{fail}");
        put_message(&mut e.message, &text.0);
        e
    }
}
