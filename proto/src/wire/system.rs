//! System messages: `Ping`, `Info`, `Provision` and `Wipe`, and the
//! provisioning bounds.
//!
//! Requests are strict (`deny_unknown_fields`); replies skip unknown
//! fields. Depends on [`crate::types`] and [`crate::wire::base`].

use heapless::String;
use serde::{Deserialize, Serialize};

use super::base::EcPointHex;
use crate::types::{HukStatus, Login, StorageKind};

/// [`crate::Command::Ping`] request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PingRequest {
    /// Protocol version.
    pub v: u16,
    /// Any number; the TA echoes it.
    pub echo: u32,
}

/// [`crate::Command::Ping`] reply. Unknown fields are skipped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PingReply {
    /// The request's `echo`.
    pub echo: u32,
}

/// [`crate::Command::Info`] reply. Unknown fields are skipped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct InfoReply {
    /// TA version (`MAJOR.MINOR.PATCH`).
    pub ta_version: String<16>,
    /// Oldest protocol version the TA accepts.
    pub proto_min: u16,
    /// Newest protocol version the TA accepts.
    pub proto_max: u16,
    /// Where the TA keeps its persistent state.
    pub storage: StorageKind,
    /// Whether that storage detects rollback (false on REE FS).
    pub rollback_protected: bool,
    /// What the TA can tell about the hardware unique key.
    pub hw_unique_key: HukStatus,
    /// Whether PIN entry and transaction display use a GP trusted UI.
    pub trusted_ui: bool,
    /// `gpd.tee.description`.
    pub tee_description: String<64>,
    /// `gpd.tee.apiversion`.
    pub tee_api_version: String<32>,
    /// `gpd.tee.internalCore.version`.
    pub tee_internal_core_version: u32,
    /// `gpd.tee.deviceID` (UUID text).
    pub tee_device_id: String<36>,
    /// This session's client login method.
    pub client_login: Login,
    /// This session's client identity UUID (`gpd.client.identity`).
    pub client_id: String<36>,
    /// Whether this session may use admin-group commands.
    pub admin: bool,
    /// Whether the TA has been provisioned.
    pub provisioned: bool,
    /// Provisioned PIN try limit (absent before provisioning).
    pub pin_max_tries: Option<u8>,
}

/// Smallest allowed PIN try limit.
pub const PIN_TRIES_MIN: u8 = 3;
/// Largest allowed PIN try limit (fits the `63Cx`-style nibble).
pub const PIN_TRIES_MAX: u8 = 15;
/// Default PIN try limit.
pub const PIN_TRIES_DEFAULT: u8 = 5;

/// Longest base delay between PIN tries after the third failure.
pub const PIN_THROTTLE_MAX_MS: u32 = 60_000;

/// [`crate::Command::Provision`] request (admin group, once per TA
/// instance; [`crate::Status::AlreadyProvisioned`] afterwards).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProvisionRequest {
    /// Protocol version.
    pub v: u16,
    /// PIN try limit, `PIN_TRIES_MIN..=PIN_TRIES_MAX`.
    pub pin_max_tries: u8,
    /// Base delay (ms) the TA enforces between PIN tries once three in a
    /// row have failed; doubles with each further failure (up to 64x).
    /// 0 disables throttling. At most [`PIN_THROTTLE_MAX_MS`].
    pub pin_throttle_ms: u32,
    /// The issuer's P-256 public key (SEC1 uncompressed, hex) that
    /// authorises PIN unblocks.
    pub issuer_key: EcPointHex,
    /// Refuse PIN, consent and usage-limited services on storage that is
    /// not rollback-protected (RPMB): the production setting. Absent: false.
    #[serde(default)]
    pub require_rollback_protection: Option<bool>,
}

/// [`crate::Command::Provision`] reply. Unknown fields are skipped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProvisionReply {
    /// The stored PIN try limit.
    pub pin_max_tries: u8,
    /// Whether the policy requires rollback-protected storage. Added in
    /// TA 0.6 (absent from older TAs: false).
    #[serde(default)]
    pub require_rollback_protection: bool,
}

/// [`crate::Command::Wipe`] reply. Added in v1. Unknown fields are skipped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WipeReply {
    /// Persistent objects destroyed.
    pub objects_destroyed: u32,
}

#[cfg(test)]
mod test {
    use super::*;
    use crate::test_util::filled;
    use crate::{MAX_REPLY_LEN, decode, encode};

    #[test]
    fn largest_info_reply_fits_max_reply() {
        let r = InfoReply {
            ta_version: filled('9'),
            proto_min: u16::MAX,
            proto_max: u16::MAX,
            storage: StorageKind::ReeFs,
            rollback_protected: false,
            hw_unique_key: HukStatus::NotKnownStub,
            trusted_ui: false,
            // worst case: every character needs a 6-byte \u escape
            tee_description: filled('\u{1}'),
            tee_api_version: filled('\u{1}'),
            tee_internal_core_version: u32::MAX,
            tee_device_id: filled('f'),
            client_login: Login::ApplicationGroup,
            client_id: filled('f'),
            admin: false,
            provisioned: false,
            pin_max_tries: Some(u8::MAX),
        };
        let mut buf = [0u8; MAX_REPLY_LEN];
        let n = encode(&r, &mut buf).unwrap();
        assert!(n <= MAX_REPLY_LEN);
        let back: InfoReply = decode(&buf[..n]).unwrap();
        assert_eq!(back, r);
    }
}
