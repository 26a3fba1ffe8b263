//! Small value types and sizes shared by the JSON messages and the signed
//! byte formats: key ids, labels, point and signature sizes, and the
//! platform facts the TA reports ([`StorageKind`], [`HukStatus`],
//! [`Login`]).
//!
//! Depends on no other module of this crate (only `heapless` and `serde`).

use heapless::String;
use serde::{Deserialize, Serialize};

/// A SEC1 uncompressed P-256 public key.
pub const EC_POINT_LEN: usize = 65;
/// Longest DER ECDSA P-256 signature.
pub const DER_SIGNATURE_MAX_LEN: usize = 72;
/// Bytes of a key id (the TA picks it at random; never zero).
pub const KEY_ID_LEN: usize = 8;
/// Longest key label.
pub const LABEL_MAX_LEN: usize = 32;
/// A key label: 1–32 of `A-Z a-z 0-9 . _ -`.
pub type Label = String<LABEL_MAX_LEN>;

/// Whether `s` is a valid label.
pub fn valid_label(s: &str) -> bool {
    (1..=LABEL_MAX_LEN).contains(&s.len())
        && s.bytes()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b'-'))
}

/// Where the TA's persistent objects live.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum StorageKind {
    /// OP-TEE REE FS: encrypted files kept by tee-supplicant in the normal
    /// world. Confidential and integrity-protected, but a normal-world root
    /// attacker can roll the files back to an older state.
    #[serde(rename = "ree-fs")]
    ReeFs,
    /// eMMC RPMB: replay-protected; rollback is detected by the TEE.
    #[serde(rename = "rpmb")]
    Rpmb,
}

/// What the TA can tell about the platform's hardware unique key (the root
/// of every key OP-TEE derives for the TA's storage).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum HukStatus {
    /// The TEE's device identity matches a known development stub (e.g.
    /// OP-TEE on QEMU): everything derived from it is predictable.
    #[serde(rename = "known-stub")]
    KnownStub,
    /// No known stub recognised. This does not prove the key is secret.
    #[serde(rename = "not-a-known-stub")]
    NotKnownStub,
}

/// GlobalPlatform client login method of the session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Login {
    /// `TEE_LOGIN_PUBLIC`: no identity.
    #[serde(rename = "public")]
    Public,
    /// `TEE_LOGIN_USER`: identity derived from the caller's user ID.
    #[serde(rename = "user")]
    User,
    /// `TEE_LOGIN_GROUP`: identity derived from a group ID.
    #[serde(rename = "group")]
    Group,
    /// `TEE_LOGIN_APPLICATION`.
    #[serde(rename = "application")]
    Application,
    /// `TEE_LOGIN_APPLICATION_USER`.
    #[serde(rename = "application-user")]
    ApplicationUser,
    /// `TEE_LOGIN_APPLICATION_GROUP`.
    #[serde(rename = "application-group")]
    ApplicationGroup,
    /// `TEE_LOGIN_TRUSTED_APP`: another TA.
    #[serde(rename = "trusted-app")]
    TrustedApp,
    /// Anything else (implementation-defined).
    #[serde(rename = "other")]
    Other,
}

impl Login {
    /// The GlobalPlatform login code (`TEE_LOGIN_*` / `TEEC_LOGIN_*`);
    /// `Other` (an implementation-defined login) is `0xffff_ffff`.
    pub const fn gp_code(self) -> u32 {
        match self {
            Login::Public => 0,
            Login::User => 1,
            Login::Group => 2,
            Login::Application => 4,
            Login::ApplicationUser => 5,
            Login::ApplicationGroup => 6,
            Login::TrustedApp => 0xF000_0000,
            Login::Other => 0xFFFF_FFFF,
        }
    }
}

#[cfg(test)]
mod test {
    use super::*;
    use crate::encode;

    #[test]
    fn labels() {
        assert!(valid_label("pay-2026.main_key"));
        assert!(valid_label(&"a".repeat(32)));
        for bad in ["", "has space", "é", "a/b", "x\"y"] {
            assert!(!valid_label(bad), "{bad}");
        }
        assert!(!valid_label(&"a".repeat(33)));
    }

    #[test]
    fn enums_use_stable_names() {
        let mut buf = [0u8; 32];
        let n = encode(&StorageKind::ReeFs, &mut buf).unwrap();
        assert_eq!(&buf[..n], br#""ree-fs""#);
        let n = encode(&Login::ApplicationUser, &mut buf).unwrap();
        assert_eq!(&buf[..n], br#""application-user""#);
        let n = encode(&HukStatus::KnownStub, &mut buf).unwrap();
        assert_eq!(&buf[..n], br#""known-stub""#);
    }
}
