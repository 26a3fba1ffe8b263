//! The TA logic's one error type and its mapping to wire statuses.
//!
//! Every failure inside the core is an [`Error`] value; the dispatcher maps
//! it to a stable [`mfs_proto::Status`] code and detail, never to text.

use mfs_proto::{PolicyReason, Status};

use crate::platform::PlatformError;

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
    /// The key store is full, or the client's share of it; the limit hit.
    KeyLimit(u16),
    /// A sealed blob was refused (one opaque reason for every cause).
    BlobRejected,
    /// The key already exists.
    KeyExists,
    /// A TA-wide quota other than keys is used up; the limit.
    QuotaExceeded(u32),
    /// Storage went back to an older state than this TA lifetime saw.
    StorageRollback,
    /// The provisioned policy requires rollback-protected storage.
    RollbackUnprotected,
}

impl Error {
    /// The status detail that goes with the error (parameter 0 `b`).
    pub fn detail(self) -> u32 {
        match self {
            Error::PinIncorrect(left) => u32::from(left),
            Error::PinThrottled(ms) => ms,
            Error::PolicyViolation(reason) => reason as u32,
            Error::KeyLimit(limit) => u32::from(limit),
            Error::QuotaExceeded(limit) => limit,
            _ => 0,
        }
    }
}

impl From<PlatformError> for Error {
    fn from(e: PlatformError) -> Self {
        match e {
            PlatformError::Storage => Error::Storage,
            PlatformError::Rollback => Error::StorageRollback,
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
            Error::KeyLimit(_) => Status::KeyLimit,
            Error::QuotaExceeded(_) => Status::QuotaExceeded,
            Error::BlobRejected => Status::BlobRejected,
            Error::KeyExists => Status::KeyExists,
            Error::StorageRollback => Status::StorageRollback,
            Error::RollbackUnprotected => Status::RollbackUnprotected,
        }
    }
}
