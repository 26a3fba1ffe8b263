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
#[cfg(test)]
#[macro_use]
extern crate std;

pub mod access;
pub mod config;
pub mod crypto;
pub mod dispatch;
pub mod keys;
pub mod log;
pub mod mem;
pub mod pin;
pub mod platform;
pub mod secret;
pub mod tx;
pub mod wipe;

pub use dispatch::{Reply, Session, invoke};
pub use pin::Instance;

use mfs_proto::{PolicyReason, Status};
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
    /// No PIN set.
    PinNotSet,
    /// A PIN is already set.
    PinAlreadySet,
    /// Wrong PIN; tries left (at least 1).
    PinIncorrect(u8),
    /// No tries left.
    PinBlocked,
    /// Too soon after repeated failures; milliseconds to wait.
    PinThrottled(u32),
    /// No unused PIN session in this TA session.
    PinSessionRequired,
    /// The key's policy forbids this use.
    PolicyViolation(PolicyReason),
    /// No such key.
    KeyNotFound,
    /// The key store is full.
    KeyLimit,
    /// A sealed blob was refused (one opaque reason for every cause).
    BlobRejected,
    /// The key already exists.
    KeyExists,
}

impl Error {
    /// The status detail that goes with the error (parameter 0 `b`).
    pub fn detail(self) -> u32 {
        match self {
            Error::PinIncorrect(left) => u32::from(left),
            Error::PinThrottled(ms) => ms,
            Error::PolicyViolation(reason) => reason as u32,
            Error::KeyLimit => u32::from(mfs_proto::MAX_KEYS),
            _ => 0,
        }
    }
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
            Error::PinNotSet => Status::PinNotSet,
            Error::PinAlreadySet => Status::PinAlreadySet,
            Error::PinIncorrect(_) => Status::PinIncorrect,
            Error::PinBlocked => Status::PinBlocked,
            Error::PinThrottled(_) => Status::PinThrottled,
            Error::PinSessionRequired => Status::PinSessionRequired,
            Error::PolicyViolation(_) => Status::PolicyViolation,
            Error::KeyNotFound => Status::KeyNotFound,
            Error::KeyLimit => Status::KeyLimit,
            Error::BlobRejected => Status::BlobRejected,
            Error::KeyExists => Status::KeyExists,
        }
    }
}
