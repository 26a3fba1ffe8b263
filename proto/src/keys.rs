//! Keys: per-key policy, the key commands' messages, and the attestation
//! statement (ISO/TS 12812-2 7.4.2, 8.1.3, 8.2).
//!
//! Both worlds use this module: the TA to check policies and encode
//! statements, the client to build requests and verify statements.
//!
//! # Policy, binary form (19 bytes, big-endian)
//!
//! Bound into every sealed key blob (as AAD) and every attestation
//! statement, so its encoding is fixed:
//!
//! | offset | size | field |
//! |---|---|---|
//! | 0 | 1 | purpose: 1 sign, 2 attest |
//! | 1 | 1 | PIN rule: 0 none, 1 per use, 2 time window |
//! | 2 | 4 | PIN window, seconds (0 unless rule 2) |
//! | 6 | 4 | usage limit (0: unlimited) |
//! | 10 | 8 | not after, UNIX seconds on the REE clock (0: no expiry) |
//! | 18 | 1 | flags: bit 0 = sealed export allowed; other bits 0 |
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
use serde::{Deserialize, Serialize};

use crate::msg::EcPointHex;
use crate::pin::EC_POINT_LEN;
use crate::{DER_SIGNATURE_MAX_LEN, HukStatus, StorageKind};

/// Bytes of a key id (the TA picks it at random; never zero).
pub const KEY_ID_LEN: usize = 8;
/// Hex text of a key id.
pub type KeyIdHex = String<{ 2 * KEY_ID_LEN }>;
/// Longest key label.
pub const LABEL_MAX_LEN: usize = 32;
/// A key label: 1–32 of `A-Z a-z 0-9 . _ -`.
pub type Label = String<LABEL_MAX_LEN>;
/// Most keys the TA holds (the TA's own attestation key not counted).
pub const MAX_KEYS: u16 = 1000;
/// Keys per `KeyList` page.
pub const KEY_LIST_PAGE: usize = 12;
/// Longest message `KeySign` signs.
pub const SIGN_MESSAGE_MAX_LEN: usize = 512;
/// Messages starting with this are statements the TA makes itself
/// (attestations, transaction records, log heads): `KeySign` refuses them.
pub const RESERVED_PREFIX: &[u8] = b"mfs-ta/";
/// Longest attestation challenge.
pub const CHALLENGE_MAX_LEN: usize = 64;
/// Longest PIN time window (one day).
pub const PIN_WINDOW_MAX_S: u32 = 86_400;
/// Bytes of a policy's binary form.
pub const POLICY_LEN: usize = 19;
/// Longest sealed key blob (see `mfs_core::keys` for the layout).
pub const SEALED_BLOB_MAX_LEN: usize =
    1 + KEY_ID_LEN + POLICY_LEN + 1 + LABEL_MAX_LEN + EC_POINT_LEN + 12 + 32 + 16;
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

/// What a key may be used for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
pub enum Purpose {
    /// ECDSA signatures over caller messages (and, later, transactions).
    #[serde(rename = "sign")]
    Sign,
    /// Signing attestation statements about other keys.
    #[serde(rename = "attest")]
    Attest,
}

/// When a key needs the user's PIN.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
pub enum PinRule {
    /// Never.
    #[serde(rename = "none")]
    None,
    /// A PIN block verified in the same TA call as each use (transaction
    /// signing with consent); plain `KeySign` refuses such keys.
    #[serde(rename = "per-use")]
    PerUse,
    /// A successful PIN verification at most `pin_window_s` seconds (TEE
    /// system time) before the use.
    #[serde(rename = "window")]
    Window,
}

/// A key's policy, enforced by the TA on every use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyPolicy {
    /// What the key may do.
    pub purpose: Purpose,
    /// When it needs the PIN.
    pub pin: PinRule,
    /// The window for [`PinRule::Window`], 1..=[`PIN_WINDOW_MAX_S`]; 0 otherwise.
    pub pin_window_s: u32,
    /// Most uses (signatures) ever; absent: unlimited. Counted in secure
    /// storage before each signature is released.
    pub max_uses: Option<u32>,
    /// Last valid moment, UNIX seconds on the REE clock (see
    /// `docs/threat-model.md`: not a trusted clock); absent: no expiry.
    pub not_after: Option<u64>,
    /// Whether the sealed blob may be exported (never with a usage limit:
    /// re-importing an old blob would reset the count).
    pub exportable: bool,
}

impl KeyPolicy {
    /// A policy with only a purpose: no PIN, unlimited, no expiry, not
    /// exportable.
    pub const fn plain(purpose: Purpose) -> KeyPolicy {
        KeyPolicy {
            purpose,
            pin: PinRule::None,
            pin_window_s: 0,
            max_uses: None,
            not_after: None,
            exportable: false,
        }
    }
}

/// Why a policy is not acceptable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InvalidPolicy;

impl KeyPolicy {
    /// Checks the policy's internal consistency.
    pub fn check(&self) -> Result<(), InvalidPolicy> {
        let window_ok = match self.pin {
            PinRule::Window => (1..=PIN_WINDOW_MAX_S).contains(&self.pin_window_s),
            _ => self.pin_window_s == 0,
        };
        let ok = window_ok
            && self.max_uses != Some(0)
            && self.not_after != Some(0)
            && !(self.exportable && self.max_uses.is_some())
            // an attestation has no PIN path
            && !(self.purpose == Purpose::Attest && self.pin == PinRule::PerUse);
        if ok { Ok(()) } else { Err(InvalidPolicy) }
    }

    /// The binary form (see the module docs).
    pub fn to_bytes(&self) -> [u8; POLICY_LEN] {
        let mut w = Writer::<POLICY_LEN>::new();
        let _ = w.u8(match self.purpose {
            Purpose::Sign => 1,
            Purpose::Attest => 2,
        });
        let _ = w.u8(match self.pin {
            PinRule::None => 0,
            PinRule::PerUse => 1,
            PinRule::Window => 2,
        });
        let _ = w.u32(self.pin_window_s);
        let _ = w.u32(self.max_uses.unwrap_or(0));
        let _ = w.u64(self.not_after.unwrap_or(0));
        let _ = w.u8(u8::from(self.exportable));
        let mut out = [0u8; POLICY_LEN];
        out.copy_from_slice(w.as_slice());
        out
    }

    /// Parses the binary form; `None` for any unknown value or an
    /// inconsistent policy.
    pub fn from_bytes(b: &[u8; POLICY_LEN]) -> Option<KeyPolicy> {
        let mut r = Reader::new(b);
        let purpose = match r.u8()? {
            1 => Purpose::Sign,
            2 => Purpose::Attest,
            _ => return None,
        };
        let pin = match r.u8()? {
            0 => PinRule::None,
            1 => PinRule::PerUse,
            2 => PinRule::Window,
            _ => return None,
        };
        let pin_window_s = r.u32()?;
        let max_uses = Some(r.u32()?).filter(|n| *n != 0);
        let not_after = Some(r.u64()?).filter(|t| *t != 0);
        let exportable = match r.u8()? {
            0 => false,
            1 => true,
            _ => return None,
        };
        r.finish()?;
        let p = KeyPolicy {
            purpose,
            pin,
            pin_window_s,
            max_uses,
            not_after,
            exportable,
        };
        p.check().ok().map(|()| p)
    }
}

/// Why the TA refused to use a key (detail of `policy-violation`).
/// Values are stable: append only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u32)]
pub enum PolicyReason {
    /// The key's purpose does not allow this operation.
    Purpose = 1,
    /// The key needs a PIN verified in the same call (signing with consent).
    PinPerUse = 2,
    /// The key needs a PIN verification within its window, and there was none.
    PinWindow = 3,
    /// The usage limit is used up.
    UsageExhausted = 4,
    /// The key has expired.
    Expired = 5,
    /// The key's sealed blob may not be exported.
    NotExportable = 6,
}

impl PolicyReason {
    /// Every reason, for tests and documentation.
    pub const ALL: [PolicyReason; 6] = [
        PolicyReason::Purpose,
        PolicyReason::PinPerUse,
        PolicyReason::PinWindow,
        PolicyReason::UsageExhausted,
        PolicyReason::Expired,
        PolicyReason::NotExportable,
    ];

    /// Short stable name.
    pub const fn name(self) -> &'static str {
        match self {
            PolicyReason::Purpose => "wrong-purpose",
            PolicyReason::PinPerUse => "pin-per-use",
            PolicyReason::PinWindow => "pin-window",
            PolicyReason::UsageExhausted => "usage-exhausted",
            PolicyReason::Expired => "expired",
            PolicyReason::NotExportable => "not-exportable",
        }
    }

    /// The reason for a detail value, if known.
    pub fn from_detail(d: u32) -> Option<PolicyReason> {
        PolicyReason::ALL.iter().copied().find(|r| *r as u32 == d)
    }
}

/// Whether `s` is a valid label.
pub fn valid_label(s: &str) -> bool {
    (1..=LABEL_MAX_LEN).contains(&s.len())
        && s.bytes()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b'-'))
}

/// [`crate::Command::KeyGenerate`] request. Added in v1.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyGenerateRequest {
    /// Protocol version.
    pub v: u16,
    /// The key's label (see [`valid_label`]; need not be unique).
    pub label: Label,
    /// The key's policy (see [`KeyPolicy::check`]).
    pub policy: KeyPolicy,
}

/// A request naming one key ([`crate::Command::KeyInfo`],
/// [`crate::Command::KeyDelete`], [`crate::Command::KeyExport`]). Added in v1.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyRequest {
    /// Protocol version.
    pub v: u16,
    /// Key id, hex.
    pub id: KeyIdHex,
}

/// Everything public about a key: the reply of `KeyGenerate`, `KeyInfo`
/// and `KeyImport`. Added in v1.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyInfoReply {
    /// Key id, hex.
    pub id: KeyIdHex,
    /// Label.
    pub label: Label,
    /// Policy.
    pub policy: KeyPolicy,
    /// Public key, SEC1 uncompressed, hex.
    pub public_key: EcPointHex,
    /// Signatures made so far (counted for keys with a usage limit only).
    pub uses: u32,
}

/// [`crate::Command::KeyList`] request. Added in v1.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyListRequest {
    /// Protocol version.
    pub v: u16,
    /// Index of the first key to list.
    pub offset: u16,
}

/// One key in a list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeySummary {
    /// Key id, hex.
    pub id: KeyIdHex,
    /// Label.
    pub label: Label,
    /// Purpose.
    pub purpose: Purpose,
}

/// [`crate::Command::KeyList`] reply: one page. Added in v1.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyListReply {
    /// Keys the TA holds.
    pub total: u16,
    /// Up to [`KEY_LIST_PAGE`] keys from the requested offset.
    pub keys: Vec<KeySummary, KEY_LIST_PAGE>,
}

/// [`crate::Command::KeyDelete`] reply. Added in v1.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyDeleteReply {
    /// The deleted key's id, hex.
    pub id: KeyIdHex,
}

/// Hex text of a DER ECDSA signature.
pub type SignatureHex = String<{ 2 * DER_SIGNATURE_MAX_LEN }>;

/// [`crate::Command::KeySign`] request. Added in v1.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeySignRequest {
    /// Protocol version.
    pub v: u16,
    /// Key id, hex.
    pub id: KeyIdHex,
    /// The message, hex, at most [`SIGN_MESSAGE_MAX_LEN`] bytes, not
    /// starting with [`RESERVED_PREFIX`]. The TA hashes it (SHA-256).
    pub message: String<{ 2 * SIGN_MESSAGE_MAX_LEN }>,
}

/// [`crate::Command::KeySign`] reply. Added in v1.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeySignReply {
    /// ECDSA P-256/SHA-256 signature, DER, hex.
    pub signature: SignatureHex,
    /// Signatures made with the key so far (keys with a usage limit).
    pub uses: u32,
}

/// [`crate::Command::KeyAttest`] request. Added in v1.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyAttestRequest {
    /// Protocol version.
    pub v: u16,
    /// The key to attest, hex.
    pub id: KeyIdHex,
    /// The verifier's challenge, hex, at most [`CHALLENGE_MAX_LEN`] bytes.
    pub challenge: String<{ 2 * CHALLENGE_MAX_LEN }>,
    /// A key of purpose `attest` to sign with; absent: the TA's own
    /// attestation key (made on first use).
    pub attest_key: Option<KeyIdHex>,
}

/// [`crate::Command::KeyAttest`] reply. Added in v1.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyAttestReply {
    /// The statement (see the module docs), hex.
    pub statement: String<{ 2 * STATEMENT_MAX_LEN }>,
    /// ECDSA P-256/SHA-256 signature over the statement, DER, hex.
    pub signature: SignatureHex,
    /// The signing key's public key, SEC1 uncompressed, hex.
    pub attestation_key: EcPointHex,
}

/// Hex text of a sealed key blob.
pub type SealedBlobHex = String<{ 2 * SEALED_BLOB_MAX_LEN }>;

/// [`crate::Command::KeyExport`] reply. Added in v1.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyExportReply {
    /// The sealed blob, hex: opaque, importable only into this TA instance.
    pub blob: SealedBlobHex,
}

/// [`crate::Command::KeyImport`] request. Added in v1.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyImportRequest {
    /// Protocol version.
    pub v: u16,
    /// A blob from `KeyExport`, hex.
    pub blob: SealedBlobHex,
}

/// [`crate::Command::Wipe`] reply. Added in v1.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WipeReply {
    /// Persistent objects destroyed.
    pub objects_destroyed: u32,
}

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

/// A bounded byte writer for canonical encodings (big-endian integers).
#[derive(Debug, Default)]
pub struct Writer<const N: usize>(Vec<u8, N>);

impl<const N: usize> Writer<N> {
    /// An empty writer.
    pub fn new() -> Self {
        Writer(Vec::new())
    }
    /// Appends raw bytes; `None` when full.
    pub fn bytes(&mut self, b: &[u8]) -> Option<()> {
        self.0.extend_from_slice(b).ok()
    }
    /// Appends one byte.
    pub fn u8(&mut self, v: u8) -> Option<()> {
        self.0.push(v).ok()
    }
    /// Appends a big-endian `u32`.
    pub fn u32(&mut self, v: u32) -> Option<()> {
        self.bytes(&v.to_be_bytes())
    }
    /// Appends a big-endian `u64`.
    pub fn u64(&mut self, v: u64) -> Option<()> {
        self.bytes(&v.to_be_bytes())
    }
    /// Appends a length byte and then the bytes (at most 255).
    pub fn short(&mut self, b: &[u8]) -> Option<()> {
        self.u8(u8::try_from(b.len()).ok()?)?;
        self.bytes(b)
    }
    /// The bytes written.
    pub fn as_slice(&self) -> &[u8] {
        &self.0
    }
    /// The bytes written, by value.
    pub fn into_inner(self) -> Vec<u8, N> {
        self.0
    }
}

/// A reader over a canonical encoding; every method returns `None` on
/// running out of bytes.
#[derive(Debug)]
pub struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    /// Reads from `b`.
    pub fn new(b: &'a [u8]) -> Self {
        Reader(b)
    }
    /// The next `n` bytes.
    pub fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if n > self.0.len() {
            return None;
        }
        let (head, tail) = self.0.split_at(n);
        self.0 = tail;
        Some(head)
    }
    /// The next `N` bytes as an array.
    pub fn array<const N: usize>(&mut self) -> Option<[u8; N]> {
        self.take(N)?.try_into().ok()
    }
    /// One byte.
    pub fn u8(&mut self) -> Option<u8> {
        let [b] = self.array::<1>()?;
        Some(b)
    }
    /// One byte that must be 0 or 1.
    pub fn bool(&mut self) -> Option<bool> {
        match self.u8()? {
            0 => Some(false),
            1 => Some(true),
            _ => None,
        }
    }
    /// A big-endian `u32`.
    pub fn u32(&mut self) -> Option<u32> {
        self.array().map(u32::from_be_bytes)
    }
    /// A big-endian `u64`.
    pub fn u64(&mut self) -> Option<u64> {
        self.array().map(u64::from_be_bytes)
    }
    /// A length byte and that many bytes.
    pub fn short(&mut self) -> Option<&'a [u8]> {
        let n = self.u8()?;
        self.take(usize::from(n))
    }
    /// Bytes not read yet.
    pub fn rest(&self) -> &'a [u8] {
        self.0
    }
    /// `Some` only if every byte was read.
    pub fn finish(&self) -> Option<()> {
        self.0.is_empty().then_some(())
    }
}

#[cfg(test)]
mod test {
    use super::*;
    use crate::{MAX_REPLY_LEN, MAX_REQUEST_LEN, decode, encode};

    fn filled<const N: usize>(c: char) -> String<N> {
        let mut s = String::new();
        while s.push(c).is_ok() {}
        s
    }

    pub(crate) fn policy() -> KeyPolicy {
        KeyPolicy {
            purpose: Purpose::Sign,
            pin: PinRule::Window,
            pin_window_s: 300,
            max_uses: Some(10),
            not_after: Some(2_000_000_000),
            exportable: false,
        }
    }

    #[test]
    fn policy_binary_known_encoding_and_round_trip() {
        let p = policy();
        let b = p.to_bytes();
        assert_eq!(
            b,
            [
                1, 2, 0, 0, 1, 0x2c, 0, 0, 0, 10, 0, 0, 0, 0, 0x77, 0x35, 0x94, 0, 0
            ]
        );
        assert_eq!(KeyPolicy::from_bytes(&b), Some(p));
        // every single-byte change is either refused or a different policy
        for i in 0..POLICY_LEN {
            for v in [0u8, 1, 2, 3, 0xff] {
                let mut t = b;
                t[i] = v;
                if t != b {
                    assert_ne!(KeyPolicy::from_bytes(&t), Some(p));
                }
            }
        }
    }

    #[test]
    fn policy_consistency() {
        let ok = KeyPolicy {
            exportable: true,
            ..KeyPolicy::plain(Purpose::Sign)
        };
        assert!(ok.check().is_ok());
        for bad in [
            KeyPolicy {
                pin_window_s: 5,
                ..ok
            },
            KeyPolicy {
                pin: PinRule::Window,
                ..ok
            },
            KeyPolicy {
                pin: PinRule::Window,
                pin_window_s: PIN_WINDOW_MAX_S + 1,
                ..ok
            },
            KeyPolicy {
                max_uses: Some(0),
                exportable: false,
                ..ok
            },
            KeyPolicy {
                not_after: Some(0),
                ..ok
            },
            KeyPolicy {
                max_uses: Some(3),
                ..ok
            },
            KeyPolicy {
                purpose: Purpose::Attest,
                pin: PinRule::PerUse,
                ..ok
            },
        ] {
            assert_eq!(bad.check(), Err(InvalidPolicy), "{bad:?}");
        }
    }

    #[test]
    fn labels() {
        assert!(valid_label("pay-2026.main_key"));
        assert!(valid_label(&"a".repeat(32)));
        for bad in ["", "has space", "é", "a/b", "x\"y"] {
            assert!(!valid_label(bad), "{bad}");
        }
        assert!(!valid_label(&"a".repeat(33)));
    }

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

    #[test]
    fn largest_key_messages_fit() {
        let mut buf = [0u8; MAX_REPLY_LEN];
        let info = KeyInfoReply {
            id: filled('f'),
            label: filled('a'),
            policy: KeyPolicy {
                pin_window_s: u32::MAX,
                max_uses: Some(u32::MAX),
                not_after: Some(u64::MAX),
                ..policy()
            },
            public_key: filled('f'),
            uses: u32::MAX,
        };
        assert!(encode(&info, &mut buf).unwrap() <= MAX_REPLY_LEN);
        let mut keys = Vec::new();
        for _ in 0..KEY_LIST_PAGE {
            keys.push(KeySummary {
                id: filled('f'),
                label: filled('a'),
                purpose: Purpose::Attest,
            })
            .unwrap();
        }
        let list = KeyListReply {
            total: u16::MAX,
            keys,
        };
        let n = encode(&list, &mut buf).unwrap();
        assert_eq!(decode::<KeyListReply>(&buf[..n]).unwrap(), list);
        let att = KeyAttestReply {
            statement: filled('f'),
            signature: filled('f'),
            attestation_key: filled('f'),
        };
        assert!(encode(&att, &mut buf).unwrap() <= MAX_REPLY_LEN);
        let exp = KeyExportReply { blob: filled('f') };
        assert!(encode(&exp, &mut buf).unwrap() <= MAX_REPLY_LEN);

        let mut req = [0u8; MAX_REQUEST_LEN];
        let sign = KeySignRequest {
            v: u16::MAX,
            id: filled('f'),
            message: filled('f'),
        };
        assert!(encode(&sign, &mut req).unwrap() <= MAX_REQUEST_LEN);
        let gen_req = KeyGenerateRequest {
            v: u16::MAX,
            label: filled('a'),
            policy: info.policy,
        };
        assert!(encode(&gen_req, &mut req).unwrap() <= MAX_REQUEST_LEN);
        let imp = KeyImportRequest {
            v: u16::MAX,
            blob: filled('f'),
        };
        assert!(encode(&imp, &mut req).unwrap() <= MAX_REQUEST_LEN);
        let att_req = KeyAttestRequest {
            v: u16::MAX,
            id: filled('f'),
            challenge: filled('f'),
            attest_key: Some(filled('f')),
        };
        assert!(encode(&att_req, &mut req).unwrap() <= MAX_REQUEST_LEN);
    }

    #[test]
    fn policy_json_names() {
        let p: KeyPolicy = decode(
            br#"{"purpose":"sign","pin":"per-use","pin_window_s":0,"max_uses":null,"not_after":null,"exportable":false}"#,
        )
        .unwrap();
        assert_eq!(p.pin, PinRule::PerUse);
        assert!(decode::<KeyPolicy>(br#"{"purpose":"sign","pin":"sometimes","pin_window_s":0,"max_uses":null,"not_after":null,"exportable":false}"#).is_err());
    }

    #[test]
    fn policy_reasons_are_stable() {
        for (r, v) in [
            (PolicyReason::Purpose, 1),
            (PolicyReason::PinPerUse, 2),
            (PolicyReason::PinWindow, 3),
            (PolicyReason::UsageExhausted, 4),
            (PolicyReason::Expired, 5),
            (PolicyReason::NotExportable, 6),
        ] {
            assert_eq!(r as u32, v);
            assert_eq!(PolicyReason::from_detail(v), Some(r));
        }
        assert_eq!(PolicyReason::from_detail(0), None);
    }
}
