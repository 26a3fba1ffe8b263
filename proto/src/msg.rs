//! The system and PIN messages and the codec, under their original path
//! (`mfs_proto::msg::…`). Only re-exports: the messages are defined in
//! [`crate::wire`] (by feature), the codec in [`crate::codec`], the
//! platform facts in [`crate::types`].

pub use crate::codec::{
    DecodeError, EncodeError, Hex, decode, encode, hex_bytes, hex_into, hex_prefix, hex_string,
    parse_uuid, uuid_string,
};
pub use crate::types::{DER_SIGNATURE_MAX_LEN, HukStatus, Login, StorageKind};
pub use crate::wire::base::{EcPointHex, EmptyRequest, Header, PinBlockHex};
pub use crate::wire::pin::{
    PinChangeRequest, PinRequest, PinSessionReply, PinStatusReply, PinUnblockRequest,
};
pub use crate::wire::system::{
    InfoReply, PIN_THROTTLE_MAX_MS, PIN_TRIES_DEFAULT, PIN_TRIES_MAX, PIN_TRIES_MIN, PingReply,
    PingRequest, ProvisionReply, ProvisionRequest,
};
