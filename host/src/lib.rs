//! Normal-world client of the mfs trusted application.
//!
//! [`Client`] offers one typed method per TA command over any
//! [`Transport`]; [`TeecTransport`] (feature `teec`) is the real one, a
//! session with the TA through OP-TEE's libteec. Every failure is one
//! [`Error`]. The library never sees or keeps anything the TA keeps secret.
#![forbid(unsafe_code)]

mod client;
mod error;
pub mod issuer;
pub mod keys;
pub mod log;
mod transport;
pub mod tx;

pub use client::Client;
pub use error::Error;
pub use mfs_proto as proto;
#[cfg(feature = "teec")]
pub use transport::TeecTransport;
pub use transport::{LoginMethod, RawReply, Transport};
