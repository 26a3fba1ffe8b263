//! Portable logic of the mfs trusted application.
//!
//! Everything the TA decides lives here: request parsing and checks, access
//! control, PIN, keys, consent signing and the event log. It talks to
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

// Layers, top to bottom; a module imports only from layers below it
// (checked by `scripts/check-layers`):
//
//   dispatch, session                        request path, per-session state
//   system keys pin tx log wipe              command handlers
//   state journal                            TA-wide state; appends that commit state
//   policy signer seal audit store           decisions, sealing, log engine, persistence
//   objects facts crypto access              object catalogue, facts, primitives
//   error                                    the error type
//   platform (mem: its in-memory double)     what the TEE provides
pub mod access;
pub mod audit;
pub mod crypto;
pub mod dispatch;
pub mod error;
pub mod facts;
pub mod freshness;
pub mod journal;
pub mod keys;
pub mod log;
pub mod mem;
pub mod objects;
pub mod pack;
pub mod pin;
pub mod platform;
pub mod policy;
pub mod seal;
pub mod session;
pub mod signer;
pub mod state;
pub mod store;
pub mod system;
#[cfg(test)]
mod testkit;
pub mod tx;
pub mod wipe;

pub use access::ClientIdentity;
pub use dispatch::{Reply, invoke};
pub use error::Error;
pub use session::Session;
pub use state::Instance;
