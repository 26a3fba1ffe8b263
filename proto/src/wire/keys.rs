//! Key messages: `KeyGenerate`, `KeyList`, `KeyInfo`, `KeyDelete`,
//! `KeySign`, `KeyAttest`, `KeyExport` and `KeyImport`, and their bounds.
//! ISO/TS 12812-2 7.4.2, 8.1.3, 8.2.
//!
//! Requests are strict (`deny_unknown_fields`); replies skip unknown
//! fields, except inside the embedded [`KeyPolicy`], which is strict in
//! both directions (see [`crate::policy`]). The TA parses `KeyGenerate` as
//! [`KeyGenerateWire`], whose policy may name an unknown purpose or PIN
//! rule (refused as out of range, not as malformed). Depends on
//! [`crate::policy`], [`crate::statement`], [`crate::types`] and
//! [`crate::wire::base`].

use heapless::{String, Vec};
use serde::{Deserialize, Serialize};

use super::base::{EcPointHex, EnumField, KeyIdHex, SignatureHex};
use crate::policy::{KeyPolicy, POLICY_LEN, PinRule, Purpose};
use crate::statement::{CHALLENGE_MAX_LEN, STATEMENT_MAX_LEN};
use crate::types::{EC_POINT_LEN, KEY_ID_LEN, LABEL_MAX_LEN, Label};

/// Most keys the TA holds (the TA's own attestation key not counted).
pub const MAX_KEYS: u16 = 1000;
/// Most keys one client identity holds (its quota of [`MAX_KEYS`]).
pub const MAX_KEYS_PER_CLIENT: u16 = 100;
/// Keys per `KeyList` page.
pub const KEY_LIST_PAGE: usize = 12;
/// Longest message `KeySign` signs.
pub const SIGN_MESSAGE_MAX_LEN: usize = 512;
/// Messages starting with this are statements the TA makes itself
/// (attestations, transaction records, log heads): `KeySign` refuses them.
pub const RESERVED_PREFIX: &[u8] = b"mfs-ta/";
/// Bytes naming a key's owner in a sealed blob (version 2): the GP login
/// code (u32 big-endian) ‖ the client's identity UUID.
pub const OWNER_LEN: usize = 4 + 16;
/// Longest sealed key blob (version 2; see `mfs_core::seal` for the
/// layout).
pub const SEALED_BLOB_MAX_LEN: usize =
    1 + KEY_ID_LEN + POLICY_LEN + 1 + LABEL_MAX_LEN + EC_POINT_LEN + OWNER_LEN + 12 + 32 + 16;
/// Hex text of a sealed key blob.
pub type SealedBlobHex = String<{ 2 * SEALED_BLOB_MAX_LEN }>;

/// [`crate::Command::KeyGenerate`] request. Added in v1.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyGenerateRequest {
    /// Protocol version.
    pub v: u16,
    /// The key's label (see [`crate::valid_label`]; need not be unique).
    pub label: Label,
    /// The key's policy (see [`KeyPolicy::check`]).
    pub policy: KeyPolicy,
}

/// [`KeyPolicy`] as the TA parses it from a `KeyGenerate` request: as
/// strict as [`KeyPolicy`] (unknown, missing or mistyped fields are
/// malformed), except that `purpose` and `pin` may be any string
/// ([`EnumField`]); [`KeyPolicyWire::resolve`] refuses a name outside the
/// enum, which the TA answers with `InvalidArgument`. Parse only (clients
/// send [`KeyGenerateRequest`]). Added in v1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyPolicyWire {
    /// [`KeyPolicy::purpose`].
    pub purpose: EnumField<Purpose>,
    /// [`KeyPolicy::pin`].
    pub pin: EnumField<PinRule>,
    /// [`KeyPolicy::pin_window_s`].
    pub pin_window_s: u32,
    /// [`KeyPolicy::max_uses`].
    pub max_uses: Option<u32>,
    /// [`KeyPolicy::not_after`].
    pub not_after: Option<u64>,
    /// [`KeyPolicy::exportable`].
    pub exportable: bool,
}

impl KeyPolicyWire {
    /// The policy, if `purpose` and `pin` name known values (its
    /// consistency is [`KeyPolicy::check`]'s business).
    pub fn resolve(self) -> Option<KeyPolicy> {
        Some(KeyPolicy {
            purpose: self.purpose.known()?,
            pin: self.pin.known()?,
            pin_window_s: self.pin_window_s,
            max_uses: self.max_uses,
            not_after: self.not_after,
            exportable: self.exportable,
        })
    }
}

impl From<KeyPolicy> for KeyPolicyWire {
    fn from(p: KeyPolicy) -> Self {
        KeyPolicyWire {
            purpose: p.purpose.into(),
            pin: p.pin.into(),
            pin_window_s: p.pin_window_s,
            max_uses: p.max_uses,
            not_after: p.not_after,
            exportable: p.exportable,
        }
    }
}

/// [`KeyGenerateRequest`] as the TA parses it (the same JSON; the policy
/// as [`KeyPolicyWire`]). Added in v1.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyGenerateWire {
    /// Protocol version.
    pub v: u16,
    /// The key's label.
    pub label: Label,
    /// The key's policy, its enum values not yet resolved.
    pub policy: KeyPolicyWire,
}

impl KeyGenerateWire {
    /// The request, if the policy names only known values.
    pub fn resolve(self) -> Option<KeyGenerateRequest> {
        Some(KeyGenerateRequest {
            v: self.v,
            label: self.label,
            policy: self.policy.resolve()?,
        })
    }
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
/// and `KeyImport`. Added in v1. Unknown fields are skipped (but not
/// inside `policy`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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

/// One key in a list (only ever inside [`KeyListReply`]). Unknown fields
/// are skipped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeySummary {
    /// Key id, hex.
    pub id: KeyIdHex,
    /// Label.
    pub label: Label,
    /// Purpose.
    pub purpose: Purpose,
}

/// [`crate::Command::KeyList`] reply: one page. Added in v1. Unknown
/// fields are skipped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyListReply {
    /// Keys the TA holds.
    pub total: u16,
    /// Up to [`KEY_LIST_PAGE`] keys from the requested offset.
    pub keys: Vec<KeySummary, KEY_LIST_PAGE>,
}

/// [`crate::Command::KeyDelete`] reply. Added in v1. Unknown fields are
/// skipped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyDeleteReply {
    /// The deleted key's id, hex.
    pub id: KeyIdHex,
}

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

/// [`crate::Command::KeySign`] reply. Added in v1. Unknown fields are
/// skipped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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

/// [`crate::Command::KeyAttest`] reply. Added in v1. Unknown fields are
/// skipped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyAttestReply {
    /// The statement ([`crate::Statement::encode`]), hex.
    pub statement: String<{ 2 * STATEMENT_MAX_LEN }>,
    /// ECDSA P-256/SHA-256 signature over the statement, DER, hex.
    pub signature: SignatureHex,
    /// The signing key's public key, SEC1 uncompressed, hex.
    pub attestation_key: EcPointHex,
}

/// [`crate::Command::KeyExport`] reply. Added in v1. Unknown fields are
/// skipped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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

#[cfg(test)]
mod test {
    use super::*;
    use crate::policy::test::policy;
    use crate::test_util::filled;
    use crate::{MAX_REPLY_LEN, MAX_REQUEST_LEN, decode, encode};

    /// The TA's parse of `KeyGenerate` reads what a client sends as the
    /// same request; an out-of-enum name parses and is refused by
    /// `resolve`; a non-string name, or anything the strict request
    /// refuses, does not parse.
    #[test]
    fn key_generate_wire_resolves_or_refuses_enum_names() {
        let mut buf = [0u8; MAX_REQUEST_LEN];
        for p in [policy(), KeyPolicy::plain(Purpose::Attest)] {
            let req = KeyGenerateRequest {
                v: 1,
                label: filled('a'),
                policy: p,
            };
            let n = encode(&req, &mut buf).unwrap();
            let wire: KeyGenerateWire = decode(&buf[..n]).unwrap();
            assert_eq!(wire.resolve(), Some(req.clone()));
            assert_eq!(KeyPolicyWire::from(p).resolve(), Some(p));
        }
        let with = |purpose: &str, pin: &str| {
            std::format!(
                r#"{{"v":1,"label":"k","policy":{{"purpose":{purpose},"pin":{pin},"pin_window_s":0,"max_uses":null,"not_after":null,"exportable":false}}}}"#
            )
        };
        for (purpose, pin) in [
            (r#""encrypt""#, r#""none""#),
            (r#""sign""#, r#""sometimes""#),
            (r#""Sign""#, r#""none""#),
            (r#""""#, r#""none""#),
            (r#""si\u0067n ""#, r#""none""#),
        ] {
            let text = with(purpose, pin);
            let wire: KeyGenerateWire = decode(text.as_bytes()).unwrap();
            assert_eq!(wire.resolve(), None, "{text}");
            assert!(decode::<KeyGenerateRequest>(text.as_bytes()).is_err());
        }
        // an escaped but known name is known
        let text = with(r#""si\u0067n""#, r#""per-use""#);
        let req = decode::<KeyGenerateWire>(text.as_bytes())
            .unwrap()
            .resolve();
        assert_eq!(req.map(|r| r.policy.pin), Some(PinRule::PerUse));
        for (purpose, pin) in [
            ("1", r#""none""#),
            ("null", r#""none""#),
            (r#""sign""#, "true"),
            (r#""sign""#, r#"["none"]"#),
            (r#""sign""#, r#"{"none":0}"#),
        ] {
            let text = with(purpose, pin);
            assert!(
                decode::<KeyGenerateWire>(text.as_bytes()).is_err(),
                "{text}"
            );
        }
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
}
