//! What every message shares: the version [`Header`] read before the
//! rest, the version-only [`EmptyRequest`], and the hex text types of
//! fixed byte strings.
//!
//! Depends on [`crate::types`] and [`crate::pin`] (sizes only).

use heapless::String;
use serde::{Deserialize, Serialize};

use crate::pin::PIN_BLOCK_LEN;
use crate::types::{DER_SIGNATURE_MAX_LEN, EC_POINT_LEN, KEY_ID_LEN};

/// The part of every request that is read first: the protocol version.
/// Other fields are ignored at this stage.
#[derive(Debug, Deserialize)]
pub struct Header {
    /// Protocol version the request was written for.
    pub v: u16,
}

/// A request with no field but the version ([`crate::Command::Info`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EmptyRequest {
    /// Protocol version.
    pub v: u16,
}

/// Hex text of a SEC1 uncompressed P-256 public key (65 bytes).
pub type EcPointHex = String<{ 2 * EC_POINT_LEN }>;
/// Hex text of a format 4 PIN block.
pub type PinBlockHex = String<{ 2 * PIN_BLOCK_LEN }>;
/// Hex text of a key id.
pub type KeyIdHex = String<{ 2 * KEY_ID_LEN }>;
/// Hex text of a DER ECDSA signature.
pub type SignatureHex = String<{ 2 * DER_SIGNATURE_MAX_LEN }>;
