//! Portable logic of the mfs trusted application.
//!
//! Everything the TA decides lives here: request parsing and checks, access
//! control, and (as features land) PIN, key and signing logic. It talks to
//! the TEE only through [`platform::Platform`], so `cargo test` runs it
//! natively against [`mem::MemPlatform`], an in-memory platform with fault
//! injection. The `ta` crate is a thin adapter from OP-TEE's entry points to
//! [`dispatch::invoke`].
//!
//! Design rules: no panics on any input path (errors are values mapped to
//! stable [`mfs_proto::Status`] codes), nothing secret or internal in a
//! reply, every size bounded before use.
#![no_std]
#![forbid(unsafe_code)]

extern crate alloc;

pub mod access;
pub mod config;
pub mod dispatch;
pub mod mem;
pub mod platform;

pub use dispatch::{Reply, Session, invoke};

use mfs_proto::Status;
use platform::PlatformError;

/// Errors of the TA logic. Each maps to one wire [`Status`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Error {
    /// Malformed request.
    BadRequest,
    /// A value out of range.
    InvalidArgument,
    /// Secure storage failed or holds something unreadable.
    Storage,
    /// A cryptographic operation or check failed.
    Crypto,
    /// Provisioning was already done.
    AlreadyProvisioned,
    /// Provisioning is required first.
    NotProvisioned,
    /// Not allowed for this session.
    AccessDenied,
    /// Internal invariant broken (reported, never a panic).
    Internal,
}

impl From<PlatformError> for Error {
    fn from(e: PlatformError) -> Self {
        match e {
            PlatformError::Storage => Error::Storage,
            PlatformError::Random => Error::Crypto,
        }
    }
}

impl From<Error> for Status {
    fn from(e: Error) -> Self {
        match e {
            Error::BadRequest => Status::BadRequest,
            Error::InvalidArgument => Status::InvalidArgument,
            Error::Storage => Status::StorageFailure,
            Error::Crypto => Status::CryptoFailure,
            Error::AlreadyProvisioned => Status::AlreadyProvisioned,
            Error::NotProvisioned => Status::NotProvisioned,
            Error::AccessDenied => Status::AccessDenied,
            Error::Internal => Status::Internal,
        }
    }
}
