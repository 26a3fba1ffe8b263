//! A key's policy: what it may do ([`Purpose`]), when it needs the PIN
//! ([`PinRule`]), its limits, the fixed 19-byte binary form bound into
//! every sealed key blob and attestation statement, and why the TA refused
//! a use ([`PolicyReason`]). ISO/TS 12812-2 7.4.2, 8.1.3.
//!
//! Depends on [`crate::codec`] only.
//!
//! # Binary form (19 bytes, big-endian)
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
//! # JSON form
//!
//! [`KeyPolicy`] travels in a request (`KeyGenerate`) and in replies
//! (`KeyInfo` and friends). It is parsed strictly in both directions:
//! a client must not show a policy with a restriction it does not know as
//! if it had none. Any change to the policy is a new binary form, so it
//! bumps the protocol version anyway.

use serde::{Deserialize, Serialize};

use crate::codec::{Reader, Writer};

/// Longest PIN time window (one day).
pub const PIN_WINDOW_MAX_S: u32 = 86_400;
/// Bytes of a policy's binary form.
pub const POLICY_LEN: usize = 19;

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

/// A key's policy, enforced by the TA on every use. Strict JSON in both
/// directions (see the module docs).
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

#[cfg(test)]
pub(crate) mod test {
    use super::*;
    use crate::decode;

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
