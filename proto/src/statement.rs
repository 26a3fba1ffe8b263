//! The attestation statement the TA signs about a key (ISO/TS 12812-2
//! 8.2): its canonical encoding and strict decoder.
//!
//! Depends on [`crate::codec`], [`crate::types`] and [`crate::policy`].
//!
//! # Attestation statement (version 1, big-endian)
//!
//! `"mfs-ta/attest/v1"` (16 bytes) ‖ TA UUID (16) ‖ key id (8) ‖ policy
//! (19) ‖ label length (1) ‖ label ‖ public key, SEC1 uncompressed (65) ‖
//! challenge length (1, ≤ 64) ‖ challenge ‖ storage (1: 1 REE FS, 2 RPMB)
//! ‖ rollback protected (1: 0/1) ‖ hardware unique key (1: 1 known stub,
//! 2 not a known stub) ‖ trusted UI (1: 0/1) ‖ TEE device ID (16) ‖ TA
//! version length (1) ‖ TA version. Signed with ECDSA P-256/SHA-256 (DER)
//! by the TA's attestation key or a key of purpose `attest`.

use heapless::{String, Vec};

use crate::codec::{Reader, Writer};
use crate::policy::{KeyPolicy, POLICY_LEN};
use crate::types::{
    EC_POINT_LEN, HukStatus, KEY_ID_LEN, LABEL_MAX_LEN, Label, StorageKind, valid_label,
};

/// Longest attestation challenge.
pub const CHALLENGE_MAX_LEN: usize = 64;
/// Domain tag that opens every attestation statement.
pub const STATEMENT_TAG: &[u8; 16] = b"mfs-ta/attest/v1";
/// Longest TA version string in a statement.
pub const VERSION_MAX_LEN: usize = 16;
/// Longest attestation statement.
pub const STATEMENT_MAX_LEN: usize = 16
    + 16
    + KEY_ID_LEN
    + POLICY_LEN
    + 1
    + LABEL_MAX_LEN
    + EC_POINT_LEN
    + 1
    + CHALLENGE_MAX_LEN
    + 4
    + 16
    + 1
    + VERSION_MAX_LEN;

/// An attestation statement (see the module docs for the encoding).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    /// The TA's UUID.
    pub ta_uuid: [u8; 16],
    /// The attested key's id.
    pub key_id: [u8; KEY_ID_LEN],
    /// Its policy.
    pub policy: KeyPolicy,
    /// Its label.
    pub label: Label,
    /// Its public key, SEC1 uncompressed.
    pub public_key: [u8; EC_POINT_LEN],
    /// The verifier's challenge.
    pub challenge: Vec<u8, CHALLENGE_MAX_LEN>,
    /// Where the TA keeps its state.
    pub storage: StorageKind,
    /// Whether that storage detects rollback.
    pub rollback_protected: bool,
    /// What is known about the hardware unique key.
    pub hw_unique_key: HukStatus,
    /// Whether a trusted UI is used.
    pub trusted_ui: bool,
    /// `gpd.tee.deviceID`.
    pub tee_device_id: [u8; 16],
    /// The TA's version.
    pub ta_version: String<VERSION_MAX_LEN>,
}

impl Statement {
    /// The canonical encoding.
    pub fn encode(&self) -> Option<Vec<u8, STATEMENT_MAX_LEN>> {
        let mut w = Writer::<STATEMENT_MAX_LEN>::new();
        w.bytes(STATEMENT_TAG)?;
        w.bytes(&self.ta_uuid)?;
        w.bytes(&self.key_id)?;
        w.bytes(&self.policy.to_bytes())?;
        w.short(self.label.as_bytes())?;
        w.bytes(&self.public_key)?;
        w.short(&self.challenge)?;
        w.u8(match self.storage {
            StorageKind::ReeFs => 1,
            StorageKind::Rpmb => 2,
        })?;
        w.u8(u8::from(self.rollback_protected))?;
        w.u8(match self.hw_unique_key {
            HukStatus::KnownStub => 1,
            HukStatus::NotKnownStub => 2,
        })?;
        w.u8(u8::from(self.trusted_ui))?;
        w.bytes(&self.tee_device_id)?;
        w.short(self.ta_version.as_bytes())?;
        Some(w.into_inner())
    }

    /// Parses a statement strictly (every byte accounted for, every value
    /// known).
    pub fn decode(b: &[u8]) -> Option<Statement> {
        let mut r = Reader::new(b);
        if r.take(16)? != STATEMENT_TAG {
            return None;
        }
        let ta_uuid = r.array()?;
        let key_id = r.array()?;
        let policy = KeyPolicy::from_bytes(&r.array()?)?;
        let label = core::str::from_utf8(r.short()?).ok()?;
        if !valid_label(label) {
            return None;
        }
        let public_key = r.array()?;
        let challenge = Vec::from_slice(r.short()?).ok()?;
        let storage = match r.u8()? {
            1 => StorageKind::ReeFs,
            2 => StorageKind::Rpmb,
            _ => return None,
        };
        let rollback_protected = r.bool()?;
        let hw_unique_key = match r.u8()? {
            1 => HukStatus::KnownStub,
            2 => HukStatus::NotKnownStub,
            _ => return None,
        };
        let trusted_ui = r.bool()?;
        let tee_device_id = r.array()?;
        let ta_version = String::try_from(core::str::from_utf8(r.short()?).ok()?).ok()?;
        r.finish()?;
        Some(Statement {
            ta_uuid,
            key_id,
            policy,
            label: String::try_from(label).ok()?,
            public_key,
            challenge,
            storage,
            rollback_protected,
            hw_unique_key,
            trusted_ui,
            tee_device_id,
            ta_version,
        })
    }
}

#[cfg(test)]
mod test {
    use super::*;
    use crate::policy::test::policy;
    use crate::test_util::filled;

    fn statement() -> Statement {
        Statement {
            ta_uuid: [1; 16],
            key_id: [2; 8],
            policy: policy(),
            label: String::try_from("pay").unwrap(),
            public_key: [4; 65],
            challenge: Vec::from_slice(b"nonce").unwrap(),
            storage: StorageKind::ReeFs,
            rollback_protected: false,
            hw_unique_key: HukStatus::KnownStub,
            trusted_ui: false,
            tee_device_id: [5; 16],
            ta_version: String::try_from("0.1.0").unwrap(),
        }
    }

    #[test]
    fn statement_round_trip_and_strictness() {
        let s = statement();
        let b = s.encode().unwrap();
        assert_eq!(b.len(), 16 + 16 + 8 + 19 + 4 + 65 + 6 + 4 + 16 + 6);
        assert_eq!(&b[..16], b"mfs-ta/attest/v1");
        assert_eq!(Statement::decode(&b), Some(s.clone()));
        // truncation and trailing bytes
        for n in 0..b.len() {
            assert_eq!(Statement::decode(&b[..n]), None);
        }
        let mut long = b.clone();
        long.push(0).unwrap();
        assert_eq!(Statement::decode(&long), None);
        // the largest statement fits its bound
        let big = Statement {
            label: filled('a'),
            challenge: Vec::from_slice(&[7; CHALLENGE_MAX_LEN]).unwrap(),
            ta_version: filled('9'),
            ..s
        };
        let e = big.encode().unwrap();
        assert_eq!(e.len(), STATEMENT_MAX_LEN);
        assert_eq!(Statement::decode(&e), Some(big));
    }
}
