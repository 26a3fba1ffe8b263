//! Normal-world client of the mfs trusted application.
//!
//! [`Client`] offers one typed method per TA command over any
//! [`Transport`]; [`TeecTransport`] (feature `teec`) is the real one, a
//! session with the TA through OP-TEE's libteec. The offline verifiers in
//! [`verify`] need neither: a relying party checks attestations, signed
//! transactions and event logs with them alone. Every failure is one
//! [`Error`]. The library never sees or keeps anything the TA keeps secret.
//!
//! Modules depend one way: `client` → `verify` → `pubkey`/`codec` →
//! `error` (and `mfs_proto`); `transport` and `issuer` sit beside them.
//! [`keys`], [`tx`] and [`log`] gather each feature's public items.
//!
//! Feature `cli` derives `clap::ValueEnum` for the enums the `mfs` CLI
//! takes as arguments ([`LoginMethod`], [`keys::PublicKeyFormat`]).
#![forbid(unsafe_code)]

mod client;
mod codec;
mod error;
pub mod issuer;
mod pubkey;
mod transport;
pub mod verify;

pub use client::Client;
pub use error::{Encoding, Error, InputError, KeyError, meaning};
pub use mfs_proto as proto;
#[cfg(feature = "teec")]
pub use transport::TeecTransport;
pub use transport::{LoginMethod, RawReply, Transport};

pub mod keys {
    //! Keys on the client side: P-256 public keys in their standard
    //! encodings, signature checks, and attestation verification. None of
    //! this needs the TA.
    pub use crate::codec::{hex_decode, parse_hex};
    pub use crate::pubkey::{EcPublicKey, PublicKeyFormat};
    pub use crate::verify::attestation::{Attestation, AttestationError, verify_attestation};
}

pub mod tx {
    //! Signed transactions: offline verification (see [`crate::verify::tx`]),
    //! and what a client shows before the PIN: the canonical amount text
    //! and display (the TA signs a record only if its display shows both
    //! exactly, `mfs_proto::signed_tx`).
    pub use crate::verify::tx::*;
    pub use mfs_proto::tx::{InvalidRecord, format_amount, minor_units};

    /// The display a client shows when the server proposes none, e.g.
    /// `Pay 1.00 EUR to ACME?` for 100 minor units of EUR to `ACME`
    /// (`mfs_proto::tx::canonical_display`); [`crate::Error::Record`] for
    /// an unknown currency or a text over the display's bound.
    pub fn canonical_display(
        amount: u64,
        currency: &str,
        payee: &str,
    ) -> Result<String, crate::Error> {
        mfs_proto::tx::canonical_display(amount, currency, payee)
            .map(|d| d.as_str().to_string())
            .ok_or(crate::Error::Record(if minor_units(currency).is_none() {
                InvalidRecord::Currency
            } else {
                InvalidRecord::Payee
            }))
    }
}

pub mod log {
    //! The TA's event log: export format and offline verification (see
    //! [`crate::verify::log`]), and the most entries the client reads into
    //! one export.
    pub use crate::client::EXPORT_MAX_ENTRIES;
    pub use crate::verify::log::*;
}
