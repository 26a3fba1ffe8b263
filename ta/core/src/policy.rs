//! Per-key policy decisions (ISO/TS 12812-2 7.4.2): whether one use of a
//! key is allowed, from plain facts — the key's policy and use count, the
//! requested purpose, how the PIN stands, and the clocks. No storage, no
//! logging: the handlers log refusals.

use mfs_proto::{KeyPolicy, PinRule, PolicyReason, Purpose};

use crate::error::Error;

/// How the user's PIN stands for a use of a key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PinProof {
    /// No PIN in this call; an earlier verification at this TEE time (ms)
    /// may count for keys with a PIN window.
    Earlier(Option<u64>),
    /// The PIN will be verified in this same call before the key is used
    /// (transaction signing with consent).
    InThisCall,
}

/// The clocks a decision reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Clocks {
    /// TEE system time, ms (monotonic within a boot).
    pub now_ms: u64,
    /// REE time, UNIX seconds (untrusted: see the threat model).
    pub ree_time_s: u64,
}

/// Checks a use of a key with `policy` (used `uses` times) for `purpose`,
/// in this order: purpose, expiry, usage limit, PIN (a key that cannot be
/// used anyway does not ask for the PIN).
pub fn check(
    policy: &KeyPolicy,
    uses: u32,
    purpose: Purpose,
    proof: PinProof,
    clocks: Clocks,
) -> Result<(), Error> {
    if policy.purpose != purpose {
        return Err(Error::PolicyViolation(PolicyReason::Purpose));
    }
    if let Some(t) = policy.not_after
        && clocks.ree_time_s > t
    {
        return Err(Error::PolicyViolation(PolicyReason::Expired));
    }
    if let Some(max) = policy.max_uses
        && uses >= max
    {
        return Err(Error::PolicyViolation(PolicyReason::UsageExhausted));
    }
    match (policy.pin, proof) {
        (PinRule::None, _) | (_, PinProof::InThisCall) => Ok(()),
        (PinRule::PerUse, _) => Err(Error::PolicyViolation(PolicyReason::PinPerUse)),
        (PinRule::Window, PinProof::Earlier(verified)) => {
            let window = u64::from(policy.pin_window_s) * 1000;
            match verified {
                Some(t) if clocks.now_ms.saturating_sub(t) <= window => Ok(()),
                _ => Err(Error::PolicyViolation(PolicyReason::PinWindow)),
            }
        }
    }
}

#[cfg(test)]
mod test {
    use super::*;

    fn clocks(now_ms: u64) -> Clocks {
        Clocks {
            now_ms,
            ree_time_s: 1_000,
        }
    }

    #[test]
    fn order_purpose_expiry_usage_pin() {
        let p = KeyPolicy {
            pin: PinRule::PerUse,
            max_uses: Some(1),
            not_after: Some(500),
            ..KeyPolicy::plain(Purpose::Sign)
        };
        let none = PinProof::Earlier(None);
        let v = |r| Err(Error::PolicyViolation(r));
        assert_eq!(
            check(&p, 1, Purpose::Attest, none, clocks(0)),
            v(PolicyReason::Purpose)
        );
        assert_eq!(
            check(&p, 1, Purpose::Sign, none, clocks(0)),
            v(PolicyReason::Expired)
        );
        let p = KeyPolicy {
            not_after: None,
            ..p
        };
        assert_eq!(
            check(&p, 1, Purpose::Sign, none, clocks(0)),
            v(PolicyReason::UsageExhausted)
        );
        assert_eq!(
            check(&p, 0, Purpose::Sign, none, clocks(0)),
            v(PolicyReason::PinPerUse)
        );
        assert_eq!(
            check(&p, 0, Purpose::Sign, PinProof::InThisCall, clocks(0)),
            Ok(())
        );
    }

    #[test]
    fn pin_window_is_inclusive_and_needs_a_verification() {
        let p = KeyPolicy {
            pin: PinRule::Window,
            pin_window_s: 2,
            ..KeyPolicy::plain(Purpose::Sign)
        };
        let at = |verified, now| {
            check(
                &p,
                0,
                Purpose::Sign,
                PinProof::Earlier(verified),
                clocks(now),
            )
        };
        let refused = Err(Error::PolicyViolation(PolicyReason::PinWindow));
        assert_eq!(at(None, 0), refused);
        assert_eq!(at(Some(1_000), 3_000), Ok(()));
        assert_eq!(at(Some(1_000), 3_001), refused);
    }
}
