//! Offline verifiers: everything a relying party needs to check what the
//! TA signed, without a TEE, a [`crate::Client`] or a transport.
//!
//! - [`attestation`]: key attestation statements (`KeyAttest` replies);
//! - [`tx`]: signed transactions, one or a series (anti-replay counters);
//! - [`log`]: exported event logs (signed head and hash chain).
//!
//! They depend only on the `codec`, `pubkey` and `error` modules and on
//! `mfs_proto`; the client calls into them, never the other way round.

pub mod attestation;
pub mod log;
pub mod tx;
