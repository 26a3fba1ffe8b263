//! Per-key policy decisions (ISO/TS 12812-2 7.4.2): whether one use of a
//! key is allowed, from plain facts — the key's policy and use count, the
//! requested purpose, how the PIN stands, and the clocks. No storage, no
//! logging: the handlers log refusals.

use mfs_proto::{KeyPolicy, PinRule, PolicyReason, Purpose};

use crate::error::Error;
use crate::platform::Platform;

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

/// The clocks a decision may read. Each is read only when the policy
/// needs it (on OP-TEE the REE time is a request to the normal world).
pub trait Clocks {
    /// TEE system time, ms (monotonic within a boot).
    fn now_ms(&mut self) -> u64;
    /// REE time, UNIX seconds (untrusted: see the threat model).
    fn ree_time_s(&mut self) -> u64;
}

impl<P: Platform> Clocks for P {
    fn now_ms(&mut self) -> u64 {
        Platform::now_ms(self)
    }
    fn ree_time_s(&mut self) -> u64 {
        Platform::ree_time_s(self)
    }
}

/// Checks a use of a key with `policy` (used `uses` times) for `purpose`,
/// in this order: purpose, expiry, usage limit, PIN (a key that cannot be
/// used anyway does not ask for the PIN).
pub fn check(
    policy: &KeyPolicy,
    uses: u32,
    purpose: Purpose,
    proof: PinProof,
    clocks: &mut impl Clocks,
) -> Result<(), Error> {
    if policy.purpose != purpose {
        return Err(Error::PolicyViolation(PolicyReason::Purpose));
    }
    if let Some(t) = policy.not_after
        && clocks.ree_time_s() > t
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
                Some(t) if clocks.now_ms().saturating_sub(t) <= window => Ok(()),
                _ => Err(Error::PolicyViolation(PolicyReason::PinWindow)),
            }
        }
    }
}

#[cfg(test)]
mod test {
    use super::*;

    /// Fixed clocks that count how often each is read.
    struct At {
        now_ms: u64,
        reads: u32,
    }

    impl Clocks for At {
        fn now_ms(&mut self) -> u64 {
            self.reads += 1;
            self.now_ms
        }
        fn ree_time_s(&mut self) -> u64 {
            self.reads += 1;
            1_000
        }
    }

    fn clocks(now_ms: u64) -> At {
        At { now_ms, reads: 0 }
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
            check(&p, 1, Purpose::Attest, none, &mut clocks(0)),
            v(PolicyReason::Purpose)
        );
        assert_eq!(
            check(&p, 1, Purpose::Sign, none, &mut clocks(0)),
            v(PolicyReason::Expired)
        );
        let p = KeyPolicy {
            not_after: None,
            ..p
        };
        assert_eq!(
            check(&p, 1, Purpose::Sign, none, &mut clocks(0)),
            v(PolicyReason::UsageExhausted)
        );
        assert_eq!(
            check(&p, 0, Purpose::Sign, none, &mut clocks(0)),
            v(PolicyReason::PinPerUse)
        );
        assert_eq!(
            check(&p, 0, Purpose::Sign, PinProof::InThisCall, &mut clocks(0)),
            Ok(())
        );
    }

    #[test]
    fn clocks_are_read_only_when_the_policy_needs_them() {
        let mut c = clocks(0);
        let plain = KeyPolicy::plain(Purpose::Sign);
        assert_eq!(
            check(&plain, 0, Purpose::Sign, PinProof::Earlier(None), &mut c),
            Ok(())
        );
        assert_eq!(c.reads, 0);
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
                &mut clocks(now),
            )
        };
        let refused = Err(Error::PolicyViolation(PolicyReason::PinWindow));
        assert_eq!(at(None, 0), refused);
        assert_eq!(at(Some(1_000), 3_000), Ok(()));
        assert_eq!(at(Some(1_000), 3_001), refused);
    }
}
