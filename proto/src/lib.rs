//! Wire protocol between the mfs trusted application (secure world) and its
//! normal-world client.
//!
//! This is the only crate both worlds depend on. It is `no_std`, has no
//! `unsafe`, and defines everything that crosses the boundary: the TA UUID,
//! command IDs, status codes, size bounds, the JSON messages and the byte
//! formats the TA signs or seals.
//!
//! # Framing (every command)
//!
//! | GP parameter | type            | meaning                                        |
//! |--------------|-----------------|------------------------------------------------|
//! | 0            | `VALUE_OUTPUT`  | `a` = [`Status`], `b` = detail (see [`Status`]) |
//! | 1            | `MEMREF_INPUT`  | request: JSON object, at most [`MAX_REQUEST_LEN`] bytes, always with `"v"` |
//! | 2            | `MEMREF_OUTPUT` | reply: JSON object (on [`Status::Ok`] only)     |
//! | 3            | `NONE`          |                                                |
//!
//! Any other parameter types, and a NULL request or reply buffer, are
//! refused by the TA with the GlobalPlatform code
//! `TEE_ERROR_BAD_PARAMETERS` before anything is parsed (a non-NULL buffer
//! of length 0 is not refused: an empty request is `BadRequest`, an empty
//! reply buffer gets [`Status::ShortBuffer`]). Every other
//! outcome is reported as `TEE_SUCCESS` at the GP level with the result in
//! parameter 0, so the session always stays usable.
//!
//! # Modules
//!
//! Imports point one way, from the top of this list to the bottom:
//!
//! | module | holds |
//! |---|---|
//! | `client` (feature `client`) | the client side of a PIN session (`client::PinChannel`) |
//! | [`wire`] | the JSON messages, by feature (`system`, `pin`, `keys`, `tx`, `log`) |
//! | [`statement`], [`signed_tx`], [`chain`] | the signed byte formats: attestation statement, signed transaction, log entries and head |
//! | [`policy`] | the key policy and its 19-byte binary form |
//! | [`pin`] | ISO 9564-1 format 4 PIN blocks and the transport key |
//! | [`types`] | sizes and small value types shared by messages and formats |
//! | [`amount`], [`text`] | ISO 4217 minor units and the canonical amount text; the characters a payee or display may not hold |
//! | [`codec`] | byte writer/reader, hex, UUID text, JSON encode/decode (the leaf) |
//! | [`command`] | command IDs and status codes (no dependencies) |
//!
//! [`keys`], [`msg`], [`log`] and [`tx`] only re-export, so every path
//! callers used before the split keeps working; the crate root re-exports
//! the most used items.
//!
//! Evolution rules are in `proto/README.md`.
#![no_std]
#![forbid(unsafe_code)]

#[cfg(any(test, feature = "clap"))]
extern crate std;

pub mod amount;
pub mod chain;
#[cfg(feature = "client")]
pub mod client;
pub mod codec;
pub mod command;
pub mod json_shape;
pub mod keys;
pub mod log;
pub mod msg;
pub mod pin;
pub mod policy;
pub mod signed_tx;
pub mod statement;
pub mod text;
pub mod tx;
pub mod types;
pub mod wire;

#[cfg(test)]
mod test_util;

pub use codec::{MAX_JSON_DEPTH, UNESCAPE_BUF_LEN};
pub use command::{Command, Group, Status, UnknownCommand, UnknownStatus};
pub use keys::*;
pub use log::{LogHeadReply, LogHeadRequest, LogReadReply, LogReadRequest};
pub use msg::*;
pub use tx::{TxRecord, TxSignReply, TxSignRequest};

/// Default UUID of the TA, from `proto/ta-uuid.txt` (the one place it is
/// written; `ta/build.rs` and `scripts/lib.sh` read the same file). An OEM
/// overrides it at build time with the `MFS_TA_UUID` environment variable
/// (read by both the TA and the client build so they always agree).
pub const DEFAULT_TA_UUID: &str = include_str!("../ta-uuid.txt").trim_ascii();

/// The UUID this build of the TA and client use.
pub const TA_UUID: &str = match option_env!("MFS_TA_UUID") {
    Some(u) => u,
    None => DEFAULT_TA_UUID,
};

// A malformed UUID (in `ta-uuid.txt` or `MFS_TA_UUID`) fails the build
// instead of producing a client that can never open a session.
const _: () = assert!(
    codec::is_uuid(DEFAULT_TA_UUID),
    "proto/ta-uuid.txt is not a UUID"
);
const _: () = assert!(codec::is_uuid(TA_UUID), "MFS_TA_UUID is not a UUID");

/// Oldest protocol version the TA accepts.
pub const PROTOCOL_MIN: u16 = 1;
/// Newest protocol version; the one this client sends.
pub const PROTOCOL_CURRENT: u16 = 1;

/// Largest request the TA reads (bytes of JSON in parameter 1).
pub const MAX_REQUEST_LEN: usize = 2048;
/// Largest reply the TA ever writes. A client that provides this much output
/// space never sees [`Status::ShortBuffer`].
pub const MAX_REPLY_LEN: usize = 2048;

/// Most sessions the TA keeps open at once, over all clients. Opening one
/// more fails with the GlobalPlatform code `TEE_ERROR_BUSY` (0xFFFF000D)
/// until a session closes; sessions already open keep working. The cap
/// keeps the TA heap for commands: without it a client could open
/// sessions until every command of every client ran out of memory.
pub const MAX_SESSIONS: u32 = 32;
/// Most sessions one client identity (login method + identity UUID) keeps
/// open at once: one client cannot take every session from the others
/// (refused with `TEE_ERROR_BUSY` like [`MAX_SESSIONS`]). All PUBLIC
/// logins share one identity.
pub const MAX_SESSIONS_PER_CLIENT: u32 = 8;

/// Most PIN records the TA keeps (one per client identity that set a PIN;
/// the admin's counts too). `pin-set` by one more client is refused with
/// [`Status::QuotaExceeded`].
pub const MAX_PIN_RECORDS: usize = 16;

/// Checks a request's protocol version against the supported range.
pub const fn version_supported(v: u16) -> bool {
    v >= PROTOCOL_MIN && v <= PROTOCOL_CURRENT
}

#[cfg(test)]
mod test {
    use super::*;

    #[test]
    fn version_range() {
        assert!(!version_supported(0));
        assert!(version_supported(PROTOCOL_MIN));
        assert!(version_supported(PROTOCOL_CURRENT));
        assert!(!version_supported(PROTOCOL_CURRENT + 1));
    }

    #[test]
    fn uuid_is_well_formed() {
        let b = TA_UUID.as_bytes();
        assert_eq!(b.len(), 36);
        for (i, c) in b.iter().enumerate() {
            if [8, 13, 18, 23].contains(&i) {
                assert_eq!(*c, b'-');
            } else {
                assert!(c.is_ascii_hexdigit());
            }
        }
    }

    /// The CLI names clap derives are the JSON names (and
    /// [`log::EventKind::name`]), so one spelling works everywhere.
    #[cfg(feature = "clap")]
    #[test]
    fn clap_names_match_json_names() {
        use clap::ValueEnum;
        fn check<T: ValueEnum + serde::Serialize>() {
            for v in T::value_variants() {
                let name = v.to_possible_value().unwrap();
                let mut buf = [0u8; 32];
                let n = encode(v, &mut buf).unwrap();
                let json = std::format!("\"{}\"", name.get_name());
                assert_eq!(&buf[..n], json.as_bytes());
            }
        }
        check::<Purpose>();
        check::<PinRule>();
        for k in log::EventKind::value_variants() {
            assert_eq!(k.to_possible_value().unwrap().get_name(), k.name());
        }
        assert_eq!(
            log::EventKind::value_variants().len(),
            log::EventKind::ALL.len()
        );
    }
}
