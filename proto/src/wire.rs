//! The JSON messages (requests and replies), grouped by feature:
//! [`system`] (ping, info, provisioning, wipe), [`pin`], [`keys`], [`tx`]
//! and [`log`], plus what every message shares in [`base`].
//!
//! Every request carries `"v"`, the protocol version it was written for.
//! Requests are parsed strictly by the TA: unknown fields, missing fields,
//! wrong types, strings longer than their bound and trailing bytes are all
//! [`crate::Status::BadRequest`]. Replies are parsed tolerantly by the
//! client: fields it does not know are skipped, so a newer TA may add
//! reply fields (see `proto/README.md`). Byte strings travel as lowercase
//! hex.
//!
//! Depends on the signed formats and the PIN module for their sizes and
//! the types embedded in messages ([`crate::policy`],
//! [`crate::statement`], [`crate::signed_tx`], [`crate::chain`],
//! [`crate::pin`]), on [`crate::types`], and through them on
//! [`crate::codec`]. Nothing below `wire` depends on it.

pub mod base;
pub mod keys;
pub mod log;
pub mod pin;
pub mod system;
pub mod tx;

pub use base::{EcPointHex, EmptyRequest, EnumField, Header, KeyIdHex, PinBlockHex, SignatureHex};
pub use keys::{
    KEY_LIST_PAGE, KeyAttestReply, KeyAttestRequest, KeyDeleteReply, KeyExportReply,
    KeyGenerateRequest, KeyGenerateWire, KeyImportRequest, KeyInfoReply, KeyListReply,
    KeyListRequest, KeyPolicyWire, KeyRequest, KeySignReply, KeySignRequest, KeySummary, MAX_KEYS,
    MAX_KEYS_PER_CLIENT, OWNER_LEN, RESERVED_PREFIX, SEALED_BLOB_MAX_LEN, SIGN_MESSAGE_MAX_LEN,
    SealedBlobHex,
};
pub use log::{LOG_PAGE, LogEntryWire, LogHeadReply, LogHeadRequest, LogReadReply, LogReadRequest};
pub use pin::{PinChangeRequest, PinRequest, PinSessionReply, PinStatusReply, PinUnblockRequest};
pub use system::{
    InfoReply, PIN_THROTTLE_MAX_MS, PIN_TRIES_DEFAULT, PIN_TRIES_MAX, PIN_TRIES_MIN, PingReply,
    PingRequest, ProvisionReply, ProvisionRequest, WipeReply,
};
pub use tx::{TxSignReply, TxSignRequest};

#[cfg(test)]
mod test;
