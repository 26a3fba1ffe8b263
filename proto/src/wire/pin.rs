//! PIN messages: `PinSession`, `PinStatus`, `PinSet`, `PinVerify`,
//! `PinChange` and `PinUnblock`. The blocks they carry are defined in
//! [`crate::pin`].
//!
//! Requests are strict (`deny_unknown_fields`); replies skip unknown
//! fields. Depends on [`crate::pin`] (sizes) and [`crate::wire::base`].

use heapless::String;
use serde::{Deserialize, Serialize};

use super::base::{EcPointHex, KeyIdHex, PinBlockHex, SignatureHex};
use crate::pin::{PAN_MAX_DIGITS, PIN_NONCE_LEN};

/// [`crate::Command::PinSession`] reply: the TA's single-use ephemeral
/// key for this PIN operation and the nonce an issuer signs for an unblock.
/// Unknown fields are skipped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PinSessionReply {
    /// TA ephemeral P-256 public key, SEC1 uncompressed, hex.
    pub ta_key: EcPointHex,
    /// 16 random bytes, hex.
    pub nonce: String<{ 2 * PIN_NONCE_LEN }>,
}

/// [`crate::Command::PinSet`] and [`crate::Command::PinVerify`] request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PinRequest {
    /// Protocol version.
    pub v: u16,
    /// Client ephemeral P-256 public key, SEC1 uncompressed, hex.
    pub client_key: EcPointHex,
    /// ISO 9564-1 format 4 PIN block, hex.
    pub block: PinBlockHex,
    /// PAN the block is bound to (decimal digits); absent: the fixed PAN.
    pub pan: Option<String<PAN_MAX_DIGITS>>,
    /// `PinVerify` only: the caller's key (PIN rule `window`) whose window
    /// this verification opens for one use; absent: no window opens.
    /// `PinSet` refuses it.
    #[serde(default)]
    pub key: Option<KeyIdHex>,
}

/// [`crate::Command::PinChange`] request (both blocks under one key).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PinChangeRequest {
    /// Protocol version.
    pub v: u16,
    /// Client ephemeral P-256 public key, SEC1 uncompressed, hex.
    pub client_key: EcPointHex,
    /// Current PIN's block, hex.
    pub old_block: PinBlockHex,
    /// New PIN's block, hex.
    pub new_block: PinBlockHex,
    /// PAN both blocks are bound to; absent: the fixed PAN.
    pub pan: Option<String<PAN_MAX_DIGITS>>,
}

/// [`crate::Command::PinUnblock`] request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PinUnblockRequest {
    /// Protocol version.
    pub v: u16,
    /// Client ephemeral P-256 public key, SEC1 uncompressed, hex.
    pub client_key: EcPointHex,
    /// New PIN's block, hex.
    pub block: PinBlockHex,
    /// PAN the block is bound to; absent: the fixed PAN.
    pub pan: Option<String<PAN_MAX_DIGITS>>,
    /// Issuer's DER ECDSA P-256/SHA-256 signature over
    /// [`crate::pin::unblock_message`], hex.
    pub signature: SignatureHex,
}

/// Reply of every PIN command except `PinSession`. Unknown fields are
/// skipped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PinStatusReply {
    /// A PIN is set.
    pub set: bool,
    /// The PIN is blocked.
    pub blocked: bool,
    /// Tries left before the PIN blocks.
    pub tries_left: u8,
    /// The provisioned try limit.
    pub max_tries: u8,
    /// Milliseconds before the next try is accepted (0: now).
    pub throttle_ms: u32,
}

#[cfg(test)]
mod test {
    use super::*;
    use crate::test_util::filled;
    use crate::{MAX_REPLY_LEN, MAX_REQUEST_LEN, ProvisionRequest, decode, encode};

    #[test]
    fn largest_requests_fit_max_request() {
        let mut buf = [0u8; MAX_REQUEST_LEN];
        let r = ProvisionRequest {
            v: u16::MAX,
            pin_max_tries: u8::MAX,
            pin_throttle_ms: u32::MAX,
            issuer_key: filled('f'),
            require_rollback_protection: Some(false),
        };
        assert!(encode(&r, &mut buf).unwrap() <= MAX_REQUEST_LEN);
        let r = PinUnblockRequest {
            v: u16::MAX,
            client_key: filled('f'),
            block: filled('f'),
            pan: Some(filled('9')),
            signature: filled('f'),
        };
        assert!(encode(&r, &mut buf).unwrap() <= MAX_REQUEST_LEN);
        let r = PinChangeRequest {
            v: u16::MAX,
            client_key: filled('f'),
            old_block: filled('f'),
            new_block: filled('f'),
            pan: Some(filled('9')),
        };
        assert!(encode(&r, &mut buf).unwrap() <= MAX_REQUEST_LEN);
    }

    #[test]
    fn largest_pin_replies_fit_max_reply() {
        let mut buf = [0u8; MAX_REPLY_LEN];
        let r = PinSessionReply {
            ta_key: filled('f'),
            nonce: filled('f'),
        };
        assert!(encode(&r, &mut buf).unwrap() <= MAX_REPLY_LEN);
        let r = PinStatusReply {
            set: true,
            blocked: false,
            tries_left: u8::MAX,
            max_tries: u8::MAX,
            throttle_ms: u32::MAX,
        };
        assert!(encode(&r, &mut buf).unwrap() <= MAX_REPLY_LEN);
    }

    #[test]
    fn optional_pan_may_be_absent() {
        let r: PinRequest = decode(br#"{"v":1,"client_key":"04","block":"00"}"#).unwrap();
        assert_eq!(r.pan, None);
        let r: PinRequest =
            decode(br#"{"v":1,"client_key":"04","block":"00","pan":"1234"}"#).unwrap();
        assert_eq!(r.pan.as_deref(), Some("1234"));
    }
}
