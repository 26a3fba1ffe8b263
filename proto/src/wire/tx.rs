//! Transaction messages: `TxSign`. The record and the signed bytes are
//! defined in [`crate::signed_tx`].
//!
//! The request is strict (`deny_unknown_fields`, and so is the embedded
//! [`TxRecord`]); the reply skips unknown fields. Depends on
//! [`crate::signed_tx`], [`crate::pin`] (sizes) and [`crate::wire::base`].

use heapless::String;
use serde::{Deserialize, Serialize};

use super::base::{EcPointHex, KeyIdHex, PinBlockHex, SignatureHex};
use crate::pin::PAN_MAX_DIGITS;
use crate::signed_tx::{SIGNED_TX_MAX_LEN, TxRecord};

/// [`crate::Command::TxSign`] request: the PIN block and the record travel
/// together, so one TA call verifies the one and signs the other. Added in v1.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TxSignRequest {
    /// Protocol version.
    pub v: u16,
    /// The signing key (purpose `sign`), hex.
    pub id: KeyIdHex,
    /// Client ephemeral P-256 public key of this PIN session, SEC1, hex.
    pub client_key: EcPointHex,
    /// The user's ISO 9564-1 format 4 PIN block, hex.
    pub block: PinBlockHex,
    /// PAN the block is bound to; absent: the fixed PAN.
    pub pan: Option<String<PAN_MAX_DIGITS>>,
    /// The transaction.
    pub record: TxRecord,
}

/// [`crate::Command::TxSign`] reply. Added in v1. Unknown fields are
/// skipped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TxSignReply {
    /// The signed transaction ([`crate::signed_tx::SignedTx::encode`]), hex.
    pub signed: String<{ 2 * SIGNED_TX_MAX_LEN }>,
    /// ECDSA P-256/SHA-256 signature over `signed`, DER, hex.
    pub signature: SignatureHex,
    /// The TA counter in `signed`.
    pub counter: u64,
    /// The signing key's public key, SEC1 uncompressed, hex.
    pub public_key: EcPointHex,
}
