//! Tests of the parent module.

use super::*;
use crate::access::Caller;
use crate::mem::MemPlatform;
use crate::testkit::{ME, OTHER, Ta, client, issuer, pin_object};
use alloc::string::String;
use mfs_proto::hex_string;
use p256::ecdsa::SigningKey;

/// The client side of a PIN session, as the host library does it.

#[test]
fn set_verify_lockout_and_reset() {
    let mut ta = Ta::new(5, 0);
    assert_eq!(ta.verify("1234"), Err(Error::PinNotSet));
    assert_eq!(ta.set("1234").unwrap().tries_left, 5);
    assert_eq!(ta.set("9999"), Err(Error::PinAlreadySet));
    for left in (1..=4).rev() {
        assert_eq!(ta.verify("0000"), Err(Error::PinIncorrect(left)));
    }
    assert_eq!(ta.verify("1234").unwrap().tries_left, 5);
    for left in (1..=4).rev() {
        assert_eq!(ta.verify("0000"), Err(Error::PinIncorrect(left)));
    }
    assert_eq!(ta.verify("0000"), Err(Error::PinBlocked));
    assert_eq!(ta.verify("1234"), Err(Error::PinBlocked));
    let st = status(&mut ta.p, &mut ta.inst, &ME).unwrap();
    assert!(st.blocked && st.set && st.tries_left == 0);
}

#[test]
fn blocked_survives_reboot_and_only_issuer_unblocks() {
    let mut ta = Ta::new(3, 0);
    ta.set("1234").unwrap();
    for _ in 0..3 {
        let _ = ta.verify("1111");
    }
    ta.reboot();
    assert_eq!(ta.verify("1234"), Err(Error::PinBlocked));
    let forger = SigningKey::from_slice(&[0x43; 32]).unwrap();
    assert_eq!(ta.unblock("5678", &forger), Err(Error::Crypto));
    assert_eq!(ta.tries_left(), Some(0));
    assert_eq!(ta.unblock("5678", &issuer()).unwrap().tries_left, 3);
    assert_eq!(ta.verify("1234"), Err(Error::PinIncorrect(2)));
    assert!(ta.verify("5678").is_ok());
}

#[test]
fn unblock_signature_is_bound_to_session_and_block() {
    let mut ta = Ta::new(3, 0);
    ta.set("1234").unwrap();
    // signature from one session replayed in another: nonce differs
    let c1 = client(&mut ta.p, &mut ta.slot);
    let req = c1.unblock("5678", &issuer());
    let _c2 = client(&mut ta.p, &mut ta.slot);
    assert_eq!(
        unblock(&mut ta.p, &mut ta.inst, (&ME, &mut ta.slot), &req),
        Err(Error::Crypto)
    );
    // a different block under a valid signature
    let c3 = client(&mut ta.p, &mut ta.slot);
    let mut req = c3.unblock("5678", &issuer());
    req.block = c3.request("0000").block;
    assert_eq!(
        unblock(&mut ta.p, &mut ta.inst, (&ME, &mut ta.slot), &req),
        Err(Error::Crypto)
    );
    assert!(ta.verify("1234").is_ok());
}

#[test]
fn change_requires_the_old_pin() {
    let mut ta = Ta::new(5, 0);
    ta.set("1234").unwrap();
    assert_eq!(ta.change("9999", "5678"), Err(Error::PinIncorrect(4)));
    assert_eq!(ta.change("1234", "5678").unwrap().tries_left, 5);
    assert_eq!(ta.verify("1234"), Err(Error::PinIncorrect(4)));
    assert!(ta.verify("5678").is_ok());
}

#[test]
fn session_is_single_use() {
    let mut ta = Ta::new(5, 0);
    ta.set("1234").unwrap();
    let c = client(&mut ta.p, &mut ta.slot);
    let req = c.request("1234");
    assert!(verify(&mut ta.p, &mut ta.inst, (&ME, &mut ta.slot), &req).is_ok());
    // the same request (a replay) finds no session
    assert_eq!(
        verify(&mut ta.p, &mut ta.inst, (&ME, &mut ta.slot), &req),
        Err(Error::PinSessionRequired)
    );
    // and is useless in a new session: different TA key
    let _ = client(&mut ta.p, &mut ta.slot);
    assert_eq!(
        verify(&mut ta.p, &mut ta.inst, (&ME, &mut ta.slot), &req),
        Err(Error::Crypto)
    );
}

#[test]
fn malformed_blocks_and_keys_use_no_try() {
    let mut ta = Ta::new(5, 0);
    ta.set("1234").unwrap();
    let c = client(&mut ta.p, &mut ta.slot);
    let mut req = c.request("1234");
    req.block = "00112233445566778899aabbccddeeff".try_into().unwrap();
    assert_eq!(
        verify(&mut ta.p, &mut ta.inst, (&ME, &mut ta.slot), &req),
        Err(Error::Crypto)
    );
    let c = client(&mut ta.p, &mut ta.slot);
    let mut req = c.request("1234");
    req.client_key = hex_string(&[4u8; 65]).unwrap();
    assert_eq!(
        verify(&mut ta.p, &mut ta.inst, (&ME, &mut ta.slot), &req),
        Err(Error::Crypto)
    );
    let c = client(&mut ta.p, &mut ta.slot);
    let mut req = c.request("1234");
    req.block = "zz".try_into().unwrap();
    assert_eq!(
        verify(&mut ta.p, &mut ta.inst, (&ME, &mut ta.slot), &req),
        Err(Error::BadRequest)
    );
    assert_eq!(ta.tries_left(), Some(5));
}

#[test]
fn throttle_after_three_failures_without_using_tries() {
    let mut ta = Ta::new(8, 1000);
    ta.set("1234").unwrap();
    for left in [7, 6, 5] {
        assert_eq!(ta.verify("0000"), Err(Error::PinIncorrect(left)));
    }
    assert_eq!(ta.verify("1234"), Err(Error::PinThrottled(1000)));
    assert_eq!(ta.tries_left(), Some(5));
    ta.p.advance_ms(400);
    assert_eq!(ta.verify("1234"), Err(Error::PinThrottled(600)));
    assert_eq!(
        status(&mut ta.p, &mut ta.inst, &ME).unwrap().throttle_ms,
        600
    );
    ta.p.advance_ms(600);
    assert_eq!(ta.verify("0000"), Err(Error::PinIncorrect(4)));
    // the delay doubles
    assert_eq!(ta.verify("1234"), Err(Error::PinThrottled(2000)));
    ta.p.advance_ms(2000);
    assert!(ta.verify("1234").is_ok());
    assert_eq!(status(&mut ta.p, &mut ta.inst, &ME).unwrap().throttle_ms, 0);
}

#[test]
fn no_session_no_config_errors() {
    let mut p = MemPlatform::new();
    let mut inst = Instance::default();
    let mut slot = None;
    let c = client(&mut p, &mut slot);
    assert_eq!(
        set(&mut p, &mut inst, (&ME, &mut slot), &c.request("1234")),
        Err(Error::NotProvisioned)
    );
    assert_eq!(
        set(&mut p, &mut inst, (&ME, &mut slot), &c.request("1234")),
        Err(Error::PinSessionRequired)
    );
    assert_eq!(status(&mut p, &mut inst, &ME), Err(Error::NotProvisioned));
}

#[test]
fn record_never_holds_the_pin_and_debug_is_redacted() {
    let mut ta = Ta::new(5, 0);
    ta.set("739146285037").unwrap();
    let raw = ta.p.object_mut(&pin_object()).unwrap().clone();
    assert_eq!(raw.len(), 56);
    let bcd = [0x73, 0x91, 0x46, 0x28, 0x50, 0x37];
    assert!(!raw.windows(6).any(|w| w == bcd));
    assert!(!raw.windows(12).any(|w| w == b"739146285037"));
    let rec = Record::load(&mut ta.p, &pin_object()).unwrap().unwrap();
    assert_eq!(
        format!("{rec:?}"),
        "Record { max_tries: 5, tries_left: 5, pending: None, .. }"
    );
    let mut slot = None;
    let _ = open_session(&mut ta.p, &mut slot);
    assert_eq!(format!("{:?}", slot.unwrap()), "PinSession(..)");
}

#[test]
fn corrupt_record_fails_closed() {
    let mut ta = Ta::new(5, 0);
    ta.set("1234").unwrap();
    let id = pin_object();
    let good = ta.p.object_mut(&id).unwrap().clone();
    for case in 0..5 {
        let mut bad = good.clone();
        match case {
            0 => bad[0] = 4,
            1 => bad[2] = 9,
            2 => bad[1] = 0,
            3 => bad[3] = 4,
            _ => {
                bad.pop();
            }
        }
        *ta.p.object_mut(&id).unwrap() = bad;
        assert_eq!(ta.verify("1234"), Err(Error::Storage));
    }
}

// ---- fault injection: a power cut at every write point -------------

/// Runs `op` with the power cut at write `n` (1-based; counted from the
/// start of `op`), then reboots. Returns `None` once `op` completes
/// with fewer than `n` writes (all points covered).
fn with_cut(
    ta: &mut Ta,
    n: u64,
    op: impl FnOnce(&mut Ta) -> Result<PinStatusReply, Error>,
) -> Option<Result<PinStatusReply, Error>> {
    let before = ta.p.writes();
    ta.p.cut_power_at(n);
    let r = op(ta);
    let used = ta.p.writes() - before;
    ta.reboot();
    (used >= n).then_some(r)
}

/// The PIN that works after a cut: `a` or `b` (or both never).
#[allow(clippy::unwrap_in_result)] // test helper: a storage error is a test failure
fn working_pin(ta: &mut Ta, candidates: &[&str]) -> Option<String> {
    for pin in candidates {
        let before = ta.tries_left();
        if ta.verify(pin).is_ok() {
            return Some(String::from(*pin));
        }
        // a failed probe costs a try: put it back for the next probe
        if let Some(b) = before {
            let mut rec = Record::load(&mut ta.p, &pin_object()).unwrap().unwrap();
            rec.tries_left = b;
            rec.store(&mut ta.p, &pin_object()).unwrap();
        }
    }
    None
}

#[test]
fn fault_injection_set() {
    for n in 1.. {
        let mut ta = Ta::new(5, 0);
        let Some(r) = with_cut(&mut ta, n, |ta| ta.set("1234")) else {
            break;
        };
        assert_eq!(r, Err(Error::Storage), "cut {n}");
        // nothing half-set: either no PIN (retry works) or the whole
        // PIN (its event-log append was cut: the reply never left)
        match n {
            1 => {
                assert_eq!(ta.tries_left(), None);
                assert!(ta.set("1234").is_ok());
            }
            _ => assert_eq!(ta.tries_left(), Some(5), "cut {n}"),
        }
        assert!(ta.verify("1234").is_ok());
    }
}

#[test]
fn fault_injection_verify() {
    for pin in ["1234", "0000"] {
        for start_left in [5, 3, 1] {
            for n in 1.. {
                let mut ta = Ta::new(5, 0);
                ta.set("1234").unwrap();
                let mut rec = Record::load(&mut ta.p, &pin_object()).unwrap().unwrap();
                rec.tries_left = start_left;
                rec.store(&mut ta.p, &pin_object()).unwrap();
                let Some(r) = with_cut(&mut ta, n, |ta| ta.verify(pin)) else {
                    break;
                };
                assert_eq!(r, Err(Error::Storage), "{pin} left {start_left} cut {n}");
                let left = ta.tries_left().unwrap();
                // never gained on a wrong PIN (a correct PIN whose
                // reset was cut costs the try it used)
                if pin == "0000" {
                    assert!(left <= start_left, "{pin} cut {n}: {left} > {start_left}");
                }
                match n {
                    // write 1 failed: nothing compared, nothing changed
                    1 => assert_eq!(left, start_left),
                    // the outcome append or write 2 failed: the try
                    // stays used, and marked pending until logged
                    _ => assert_eq!(left, start_left - 1),
                }
                // never bricked: the right PIN still works while tries
                // are left, and an issuer unblock always does
                if left > 0 {
                    assert!(ta.verify("1234").is_ok(), "{pin} cut {n}");
                } else {
                    assert!(ta.unblock("1234", &issuer()).is_ok());
                }
            }
        }
    }
}

#[test]
fn fault_injection_change() {
    for n in 1.. {
        let mut ta = Ta::new(5, 0);
        ta.set("1234").unwrap();
        let Some(r) = with_cut(&mut ta, n, |ta| ta.change("1234", "5678")) else {
            break;
        };
        assert_eq!(r, Err(Error::Storage), "cut {n}");
        let left = ta.tries_left().unwrap();
        assert!(left <= 5);
        // the new PIN is the last write: a cut anywhere keeps the old
        assert_eq!(
            working_pin(&mut ta, &["1234", "5678"]).as_deref(),
            Some("1234"),
            "cut {n}"
        );
    }
}

#[test]
fn fault_injection_unblock() {
    for n in 1.. {
        let mut ta = Ta::new(3, 0);
        ta.set("1234").unwrap();
        for _ in 0..3 {
            let _ = ta.verify("0000");
        }
        let Some(r) = with_cut(&mut ta, n, |ta| ta.unblock("5678", &issuer())) else {
            break;
        };
        assert_eq!(r, Err(Error::Storage), "cut {n}");
        // still blocked, or unblocked whole (cut at the event-log
        // append); either way unblock can be repeated
        let want = if n == 1 { 0 } else { 3 };
        assert_eq!(ta.tries_left(), Some(want), "cut {n}");
        assert!(ta.unblock("5678", &issuer()).is_ok());
        assert!(ta.verify("5678").is_ok());
    }
}

#[test]
fn counter_only_rises_on_correct_pin_or_unblock() {
    // A random walk of operations; after each, the counter may only
    // have risen if the operation was a successful verify, change or
    // unblock.
    let mut ta = Ta::new(5, 0);
    ta.set("1234").unwrap();
    let mut current = "1234";
    let mut seed = 7u32;
    for step in 0..300 {
        seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
        let before = ta.tries_left().unwrap();
        let cut = (seed >> 8).is_multiple_of(4);
        if cut {
            ta.p.cut_power_at(u64::from(1 + (seed >> 12) % 2));
        }
        let (r, raised_ok) = match (seed >> 16) % 4 {
            0 => (ta.verify(current), true),
            1 => (ta.verify("0000"), false),
            2 => {
                let next = if current == "1234" { "5678" } else { "1234" };
                let r = ta.change(current, next);
                ta.reboot();
                // a change whose log append was cut has still landed
                if ta.is_pin(next) {
                    current = next;
                }
                (r, true)
            }
            _ => (ta.unblock(current, &issuer()), true),
        };
        ta.reboot();
        let after = ta.tries_left().unwrap();
        if after > before {
            // only an operation that may raise it, and only if it got
            // as far as its own write (its reply may have been lost)
            assert!(
                raised_ok && r != Err(Error::PinIncorrect(before.saturating_sub(1))),
                "step {step}: {before} -> {after} by {r:?}"
            );
        }
    }
}

/// Each client identity has its own PIN: another client's wrong tries
/// neither use this client's tries nor throttle it, a block of one is not
/// a block of the other, and status shows each its own record.
#[test]
fn each_client_has_its_own_pin_counter_and_throttle() {
    let mut ta = Ta::new(3, 1000);
    ta.set("1234").unwrap();
    ta.who = OTHER;
    assert!(!status(&mut ta.p, &mut ta.inst, &OTHER).unwrap().set);
    assert_eq!(ta.verify("1234"), Err(Error::PinNotSet));
    ta.set("9876").unwrap();
    assert!(ta.is_pin("9876"));
    for left in [2, 1] {
        assert_eq!(ta.verify("1234"), Err(Error::PinIncorrect(left)));
    }
    assert_eq!(ta.verify("1234"), Err(Error::PinBlocked));
    assert!(status(&mut ta.p, &mut ta.inst, &OTHER).unwrap().blocked);
    // the admin's PIN is untouched, and not throttled by OTHER's failures
    ta.who = ME;
    let mine = status(&mut ta.p, &mut ta.inst, &ME).unwrap();
    assert_eq!(
        (mine.blocked, mine.tries_left, mine.throttle_ms),
        (false, 3, 0)
    );
    assert!(ta.verify("1234").is_ok());
    // OTHER's PIN cannot be unblocked with the admin's session
    assert!(ta.unblock("5555", &issuer()).is_ok());
    assert!(ta.is_pin("5555"));
    ta.who = OTHER;
    assert!(status(&mut ta.p, &mut ta.inst, &OTHER).unwrap().blocked);
    assert!(ta.unblock("2222", &issuer()).is_ok());
    assert!(ta.is_pin("2222"));
    // two records, each named by its owner's tag
    let ids = ta.p.object_ids().unwrap();
    assert!(ids.contains(&pin_object()));
    assert!(ids.contains(&crate::objects::client_pin(&OTHER.tag().0).unwrap()));
}

/// At most `MAX_PIN_RECORDS` PIN records: clients other than the admin
/// share all but one; the next client's `pin-set` is `QuotaExceeded` and
/// uses nothing; the admin can still set its own.
#[test]
fn pin_records_are_bounded_and_the_admin_keeps_its_slot() {
    use crate::testkit::nth_client;
    use mfs_proto::MAX_PIN_RECORDS;
    let mut ta = Ta::new(3, 0);
    for n in 0..u16::try_from(MAX_PIN_RECORDS - 1).unwrap() {
        ta.who = nth_client(n);
        ta.set("1234").unwrap();
    }
    ta.who = nth_client(999);
    assert_eq!(
        ta.set("1234"),
        Err(Error::QuotaExceeded(
            u32::try_from(MAX_PIN_RECORDS).unwrap()
        ))
    );
    assert!(ta.slot.is_none(), "the PIN session was consumed");
    ta.who = ME;
    ta.set("1234").unwrap();
    assert_eq!(
        ta.p.object_ids()
            .unwrap()
            .iter()
            .filter(|id| {
                crate::objects::is_client_pin(id) || **id == crate::objects::pin().unwrap()
            })
            .count(),
        MAX_PIN_RECORDS
    );
}

/// The one PIN of versions before client isolation (object `pin`) is
/// adopted by the admin identity while it has no record of its own; no
/// other client sees it; the admin's own record is named by its tag like
/// everyone's (so a change of admin identity does not move a PIN).
#[test]
fn a_legacy_pin_is_adopted_by_the_admin_only() {
    let mut ta = Ta::new(5, 0);
    ta.set("1234").unwrap();
    // move the admin's record to the legacy name, as the old version had it
    let rec = ta.p.read(&pin_object()).unwrap().unwrap();
    ta.p.delete(&pin_object()).unwrap();
    ta.p.write(&crate::objects::pin().unwrap(), &rec).unwrap();
    assert!(ta.verify("1234").is_ok());
    assert_eq!(ta.verify("9999"), Err(Error::PinIncorrect(4)));
    assert!(!ta.p.object_ids().unwrap().contains(&pin_object()));
    let legacy = crate::objects::pin().unwrap();
    assert_eq!(
        Record::load(&mut ta.p, &legacy)
            .unwrap()
            .unwrap()
            .tries_left,
        4
    );
    ta.who = OTHER;
    assert_eq!(ta.verify("1234"), Err(Error::PinNotSet));
    assert!(!status(&mut ta.p, &mut ta.inst, &OTHER).unwrap().set);
    // the admin's own record, once it has one, is its own (named by its
    // tag): it does not follow the admin role to another identity
    ta.who = ME;
    ta.p.delete(&legacy).unwrap();
    ta.set("2468").unwrap();
    assert!(ta.p.object_ids().unwrap().contains(&pin_object()));
    ta.who = Caller {
        admin: true,
        ..OTHER
    };
    assert_eq!(ta.verify("2468"), Err(Error::PinNotSet));
    ta.set("5678").unwrap();
    assert!(ta.verify("5678").is_ok());
    ta.who = ME;
    assert!(ta.verify("2468").is_ok());
}

// ---- a hostile supplicant: storage patterns and failed writes --------

use crate::keys;
use crate::mem::Op;
use crate::testkit::{export, gen_key_in, sign_req};
use alloc::vec::Vec;
use mfs_proto::log::EventKind;
use mfs_proto::{KeyPolicy, PinRule, PolicyReason, Purpose};

/// A key of `ME` whose PIN rule is a 60 s window.
fn window_key(ta: &mut Ta) -> String {
    let policy = KeyPolicy {
        pin: PinRule::Window,
        pin_window_s: 60,
        ..KeyPolicy::plain(Purpose::Sign)
    };
    String::from(
        gen_key_in(&mut ta.p, &mut ta.inst, &ME, "win", policy)
            .id
            .as_str(),
    )
}

/// `pin-verify` that names `key`.
fn verify_for(ta: &mut Ta, pin: &str, key: &str) -> Result<PinStatusReply, Error> {
    let c = client(&mut ta.p, &mut ta.slot);
    let mut req = c.request(pin);
    req.key = Some(key.try_into().map_err(|_| Error::BadRequest)?);
    verify(&mut ta.p, &mut ta.inst, (&ME, &mut ta.slot), &req)
}

fn sign_with(ta: &mut Ta, key: &str) -> Result<(), Error> {
    keys::sign(&mut ta.p, &mut ta.inst, &ME, &sign_req(key, b"m")).map(|_| ())
}

fn log_len(ta: &mut Ta) -> usize {
    export(&mut ta.p, &mut ta.inst.log).1.len()
}

/// The storage operations of `op` (a supplicant's view).
fn pattern(ta: &mut Ta, op: impl FnOnce(&mut Ta) -> Result<PinStatusReply, Error>) -> Vec<Op> {
    ta.p.start_trace();
    let _ = op(ta);
    ta.p.take_trace()
}

#[test]
fn storage_operations_are_the_same_whether_or_not_the_pin_matched() {
    let fresh = || {
        let mut ta = Ta::new(5, 0);
        ta.set("1234").unwrap();
        // warm caches the same way for both runs
        let _ = ta.verify("1234");
        ta
    };
    // verify (with and without a window key), change
    let (mut a, mut b) = (fresh(), fresh());
    let right = pattern(&mut a, |ta| ta.verify("1234"));
    let wrong = pattern(&mut b, |ta| ta.verify("9999"));
    assert_eq!(right, wrong);
    assert_eq!(
        right.iter().filter(|o| !matches!(o, Op::Read(_))).count(),
        2,
        "write 1, the outcome entry (the commit): {right:?}"
    );
    let (mut a, mut b) = (fresh(), fresh());
    assert_eq!(
        pattern(&mut a, |ta| ta.change("1234", "5678")),
        pattern(&mut b, |ta| ta.change("9999", "5678"))
    );
    let (mut a, mut b) = (fresh(), fresh());
    let ka = window_key(&mut a);
    let kb = window_key(&mut b);
    assert_eq!(ka, kb, "deterministic test platforms");
    let _ = (sign_with(&mut a, &ka), sign_with(&mut b, &kb));
    assert_eq!(
        pattern(&mut a, |ta| verify_for(ta, "1234", &ka)),
        pattern(&mut b, |ta| verify_for(ta, "9999", &kb))
    );
    // the try that blocks the PIN looks like any other
    let (mut a, mut b) = (fresh(), fresh());
    for _ in 0..4 {
        let _ = (a.verify("0000"), b.verify("0000"));
    }
    assert_eq!(
        pattern(&mut a, |ta| ta.verify("1234")),
        pattern(&mut b, |ta| ta.verify("0000"))
    );
    assert_eq!(b.tries_left(), Some(0));
}

/// Fails write `n` of `op` only (the TA runs on); `None` once `op` has
/// fewer than `n` writes.
fn with_failed_write<T>(
    ta: &mut Ta,
    n: u64,
    op: impl FnOnce(&mut Ta) -> Result<T, Error>,
) -> Option<Result<T, Error>> {
    let before = ta.p.writes();
    ta.p.fail_write_at(n);
    let r = op(ta);
    let used = ta.p.writes() - before;
    ta.p.fail_write_at(u64::MAX - ta.p.writes());
    (used >= n).then_some(r)
}

#[test]
fn a_failed_write_keeps_the_evidence_and_grants_nothing() {
    // verify naming a window key, right and wrong PIN; change
    for (label, pin) in [("verify", "1234"), ("verify", "0000"), ("change", "1234")] {
        for n in 1.. {
            let mut ta = Ta::new(5, 0);
            ta.set("1234").unwrap();
            let key = window_key(&mut ta);
            let entries = log_len(&mut ta);
            let r = with_failed_write(&mut ta, n, |ta| match label {
                "verify" => verify_for(ta, pin, &key),
                _ => ta.change(pin, "5678"),
            });
            let Some(r) = r else { break };
            assert_eq!(r, Err(Error::Storage), "{label} {pin} write {n}");
            // nothing granted: no window, no new PIN, no try regained
            assert_eq!(
                sign_with(&mut ta, &key),
                Err(Error::PolicyViolation(PolicyReason::PinWindow)),
                "{label} {pin} write {n}"
            );
            assert!(ta.is_pin("1234"), "{label} write {n}");
            let left = ta.tries_left().unwrap();
            assert_eq!(left, if n == 1 { 5 } else { 4 }, "{label} {pin} write {n}");
            // the next check logs the attempt before its own outcome
            let logged_before = log_len(&mut ta);
            assert!(verify_for(&mut ta, "1234", &key).is_ok());
            assert!(sign_with(&mut ta, &key).is_ok());
            let kinds: Vec<EventKind> = export(&mut ta.p, &mut ta.inst.log)
                .1
                .iter()
                .skip(entries)
                .map(|i| i.0.kind)
                .collect();
            let attempt_logged = kinds.iter().any(|k| {
                matches!(
                    k,
                    EventKind::PinFailed | EventKind::PinInterrupted | EventKind::PinChanged
                )
            }) || kinds
                .iter()
                .filter(|k| **k == EventKind::PinVerified)
                .count()
                == 2;
            assert_eq!(attempt_logged, n > 1, "{label} {pin} write {n}: {kinds:?}");
            assert!(log_len(&mut ta) > logged_before);
        }
    }
}

#[test]
fn a_failed_read_fails_closed() {
    for pin in ["1234", "0000"] {
        for n in 1..40 {
            let mut ta = Ta::new(5, 0);
            ta.set("1234").unwrap();
            let key = window_key(&mut ta);
            ta.inst = crate::state::Instance::default();
            ta.p.fail_read_at(n);
            let r = verify_for(&mut ta, pin, &key);
            ta.p.fail_read_at(u64::MAX - ta.p.reads());
            let left = ta.tries_left().unwrap();
            match r {
                Ok(_) => assert_eq!((pin, left), ("1234", 5)),
                Err(Error::PinIncorrect(l)) => assert_eq!((pin, l, left), ("0000", 4, 4)),
                Err(e) => {
                    assert_eq!(e, Error::Storage, "{pin} read {n}");
                    assert_eq!(
                        sign_with(&mut ta, &key),
                        Err(Error::PolicyViolation(PolicyReason::PinWindow))
                    );
                }
            }
        }
    }
}

/// A TA provisioned with `require_rollback_protection` on REE FS refuses
/// PIN, consent and usage-limited services with their own status, and
/// still serves the rest.
#[test]
fn rollback_protection_required_on_ree_fs_refuses_pin_and_consent() {
    let mut ta = Ta::new(5, 0);
    ta.p = MemPlatform::new();
    let issuer_pub = crypto::sec1_uncompressed(&(*issuer().verifying_key()).into()).unwrap();
    Config::new(5, 0, issuer_pub)
        .unwrap()
        .requiring_rollback_protection(true)
        .provision(&mut ta.p)
        .unwrap();
    assert_eq!(ta.set("1234"), Err(Error::RollbackUnprotected));
    assert_eq!(ta.verify("1234"), Err(Error::RollbackUnprotected));
    let limited = KeyPolicy {
        max_uses: Some(3),
        ..KeyPolicy::plain(Purpose::Sign)
    };
    let req = mfs_proto::KeyGenerateRequest {
        v: 1,
        label: "lim".try_into().unwrap(),
        policy: limited,
    };
    assert_eq!(
        keys::generate(&mut ta.p, &mut ta.inst, &ME, &req).err(),
        Some(Error::RollbackUnprotected)
    );
    let plain = gen_key_in(
        &mut ta.p,
        &mut ta.inst,
        &ME,
        "plain",
        KeyPolicy::plain(Purpose::Sign),
    );
    assert!(sign_with(&mut ta, &plain.id).is_ok());
    assert_eq!(ta.tries_left(), None, "nothing was written");
}

/// The storage floor of a warm PIN check, counted (issue: performance).
/// Reads: the configuration and the record (the admin's too: the record
/// read while looking for a legacy one is the one used); the TA-unique
/// secret is not read again (`K_pin` stays in TA memory with the KEK).
/// Writes: the pre-compare decrement with the attempt pending, then the
/// outcome log entry that commits it — the same for a right and a wrong
/// PIN.
#[test]
fn warm_pin_check_reads_config_and_record_and_writes_twice() {
    let mut ta = Ta::new(5, 0);
    ta.set("1234").unwrap();
    let _ = ta.verify("1234");
    for pin in ["1234", "9999", "1234"] {
        let ops = pattern(&mut ta, |ta| ta.verify(pin));
        let reads = ops.iter().filter(|o| matches!(o, Op::Read(_))).count();
        let writes = ops.len() - reads;
        assert_eq!((reads, writes), (2, 2), "{pin}: {ops:?}");
        assert!(
            !ops.iter()
                .any(|o| matches!(o, Op::Read(id) if id.as_bytes() == b"secret")),
            "the secret is read once per TA lifetime"
        );
    }
}

// ---- the outcome entry commits the attempt ---------------------------

use crate::audit::{Event, SEGMENT_ENTRIES};

/// The admin's record as stored (its pending attempt not resolved).
fn stored(ta: &mut Ta) -> Record {
    Record::load(&mut ta.p, &pin_object()).unwrap().unwrap()
}

/// `n` entries appended by other commands.
fn other_entries(ta: &mut Ta, n: usize) {
    for i in 0..n {
        let ev = Event::key(EventKind::KeyDeleted, &(i as u64).to_be_bytes());
        crate::journal::append(&mut ta.p, &mut ta.inst.log, &[ev]).unwrap();
    }
}

/// A check writes its record once: the attempt stays pending in storage
/// and its outcome entry decides it for every reader, after a reboot too;
/// before a segment start moves that entry out of reach the resolved
/// record is written — whatever the log's length.
#[test]
fn the_outcome_entry_commits_the_attempt_until_the_record_is_written_out() {
    for (pin, want) in [("1234", 5), ("0000", 4)] {
        let mut ta = Ta::new(5, 0);
        ta.set("1234").unwrap();
        let _ = ta.verify(pin);
        let raw = stored(&mut ta);
        assert_eq!(raw.tries_left, 4, "{pin}: one try counted in storage");
        assert!(raw.pending.is_some_and(|q| q.seq.is_some()), "{pin}");
        ta.reboot();
        assert_eq!(ta.tries_left(), Some(want), "{pin}: resolved from the log");
        // one more segment: the entry is in the segment before the newest
        other_entries(&mut ta, SEGMENT_ENTRIES);
        ta.reboot();
        assert_eq!(
            ta.tries_left(),
            Some(want),
            "{pin}: from the archived segment"
        );
        assert!(
            stored(&mut ta).pending.is_some(),
            "{pin}: not yet written out"
        );
        // the next segment start writes it out, before the entry leaves
        other_entries(&mut ta, SEGMENT_ENTRIES);
        let raw = stored(&mut ta);
        assert_eq!((raw.tries_left, raw.pending), (want, None), "{pin}");
        other_entries(&mut ta, 6 * SEGMENT_ENTRIES);
        ta.reboot();
        assert_eq!(ta.tries_left(), Some(want), "{pin}");
        assert!(ta.verify("1234").is_ok());
        assert_eq!(ta.tries_left(), Some(5));
    }
}

/// An attempt whose outcome entry was never written is not resolved by
/// whatever entry later takes its seq — another client's `pin-verified`
/// included: the try stays used and the owner's next check logs it.
#[test]
fn an_entry_of_another_record_never_commits_an_attempt() {
    let mut ta = Ta::new(5, 0);
    ta.set("1234").unwrap();
    ta.who = OTHER;
    ta.set("1234").unwrap();
    ta.who = ME;
    // the right PIN, but its outcome entry fails: nothing released
    let r = with_failed_write(&mut ta, 2, |ta| ta.verify("1234")).unwrap();
    assert_eq!(r, Err(Error::Storage));
    let seq = stored(&mut ta).pending.unwrap().seq.unwrap();
    // OTHER's matching check takes that seq
    ta.who = OTHER;
    assert!(ta.verify("1234").is_ok());
    let (_, items) = export(&mut ta.p, &mut ta.inst.log);
    let taken = items.iter().find(|i| i.0.seq == u64::from(seq)).unwrap();
    assert_eq!(taken.0.kind, EventKind::PinVerified);
    ta.who = ME;
    ta.reboot();
    assert_eq!(ta.tries_left(), Some(4), "the try stays used");
    let before = log_len(&mut ta);
    assert!(ta.verify("1234").is_ok());
    let (_, items) = export(&mut ta.p, &mut ta.inst.log);
    let kinds: Vec<EventKind> = items.iter().skip(before).map(|i| i.0.kind).collect();
    assert_eq!(kinds, [EventKind::PinInterrupted, EventKind::PinVerified]);
    assert_eq!(ta.tries_left(), Some(5));
}

/// The carrier drops a check's outcome entry (the TA replies
/// `storage-failure` either way, and the log later says
/// `pin-interrupted`): `pin-status` (tries left, throttle) then tells
/// nothing of whether the PIN was right (hostile review).
#[test]
fn the_throttle_clock_does_not_tell_a_dropped_commits_outcome() {
    let probe = |pin: &str| {
        let mut ta = Ta::new(5, 1000);
        ta.set("1234").unwrap();
        for _ in 0..2 {
            let _ = ta.verify("0000");
        }
        ta.p.advance_ms(60_000);
        // write 1 lands, the outcome entry (write 2) is failed
        let r = with_failed_write(&mut ta, 2, |ta| ta.verify(pin)).unwrap();
        assert_eq!(r, Err(Error::Storage), "{pin}");
        let kinds: Vec<EventKind> = export(&mut ta.p, &mut ta.inst.log)
            .1
            .iter()
            .map(|i| i.0.kind)
            .collect();
        assert_eq!(
            kinds.last(),
            Some(&EventKind::PinFailed),
            "no new outcome entry"
        );
        let st = status(&mut ta.p, &mut ta.inst, &ME).unwrap();
        (st.tries_left, st.throttle_ms)
    };
    assert_eq!(
        probe("1234"),
        probe("9999"),
        "(tries left, throttle) right vs wrong"
    );
}

/// The same for an open PIN window: a dropped commit closes it whether or
/// not the PIN was right (hostile review).
#[test]
fn the_window_does_not_tell_a_dropped_commits_outcome() {
    let probe = |pin: &str| {
        let mut ta = Ta::new(5, 0);
        ta.set("1234").unwrap();
        let key = window_key(&mut ta);
        verify_for(&mut ta, "1234", &key).unwrap();
        let r = with_failed_write(&mut ta, 2, |ta| ta.verify(pin)).unwrap();
        assert_eq!(r, Err(Error::Storage), "{pin}");
        sign_with(&mut ta, &key).is_ok()
    };
    assert_eq!(
        probe("1234"),
        probe("9999"),
        "window still usable: right vs wrong"
    );
}

/// `pin-verify` and `pin-change` make the same operations
/// for a right and a wrong PIN when their outcome entry starts a segment,
/// with a refusal tally before it, and while the segment start writes out
/// another client's record (settle).
#[test]
fn patterns_are_equal_when_the_commit_starts_a_segment() {
    use mfs_proto::log::RefusalClass;
    let setup = |tally: bool| {
        let mut ta = Ta::new(5, 0);
        ta.set("1234").unwrap();
        let _ = ta.verify("1234");
        ta.who = OTHER;
        ta.set("4321").unwrap();
        let s = crate::audit::seq_of_next(&mut ta.p, &mut ta.inst.log).unwrap();
        let _ = ta.verify("4321");
        ta.who = ME;
        let seg = SEGMENT_ENTRIES as u64;
        let n = if tally { 2 } else { 1 };
        // the check's append starts the segment after the next one
        while crate::audit::seq_of_next(&mut ta.p, &mut ta.inst.log).unwrap() < (s / seg + 2) * seg
            || crate::audit::segment_start_due(&mut ta.p, &mut ta.inst.log, n)
                .unwrap()
                .is_none()
        {
            other_entries(&mut ta, 1);
        }
        if tally {
            let _: Result<(), _> = crate::audit::refuse(
                &mut ta.p,
                &mut ta.inst.log,
                RefusalClass::PinThrottled,
                Error::Internal,
            );
        }
        ta
    };
    let other = crate::objects::client_pin(&OTHER.tag().0).unwrap();
    for tally in [false, true] {
        let (mut a, mut b) = (setup(tally), setup(tally));
        let right = pattern(&mut a, |ta| ta.verify("1234"));
        let wrong = pattern(&mut b, |ta| ta.verify("9999"));
        assert_eq!(right, wrong, "verify, tally {tally}");
        assert!(
            right
                .iter()
                .any(|o| matches!(o, Op::Write(id, _) if *id == other)),
            "the start settles OTHER's record: {right:?}"
        );
        let (mut a, mut b) = (setup(tally), setup(tally));
        assert_eq!(
            pattern(&mut a, |ta| ta.change("1234", "5678")),
            pattern(&mut b, |ta| ta.change("9999", "5678")),
            "change, tally {tally}"
        );
        // and the outcomes are resolved right after a reboot
        for (ta, want) in [(&mut a, 5), (&mut b, 4)] {
            ta.reboot();
            assert_eq!(ta.tries_left(), Some(want), "tally {tally}");
            ta.who = OTHER;
            assert_eq!(ta.tries_left(), Some(5), "OTHER settled, tally {tally}");
            ta.who = ME;
        }
    }
}

/// A refusal tally written before the outcome entry does
/// not move it off the pending seq; a dropped commit followed by another
/// client's refusals and entries leaves the try used.
#[test]
fn a_refusal_tally_does_not_shift_the_pending_seq() {
    use mfs_proto::log::RefusalClass;
    for (pin, want) in [("1234", 5), ("0000", 4)] {
        let mut ta = Ta::new(5, 0);
        ta.set("1234").unwrap();
        let _: Result<(), _> = crate::audit::refuse(
            &mut ta.p,
            &mut ta.inst.log,
            RefusalClass::PinThrottled,
            Error::Internal,
        );
        let _ = ta.verify(pin);
        ta.reboot();
        assert_eq!(ta.tries_left(), Some(want), "{pin}");
        // dropped commit, then OTHER's refusal and its own verify
        ta.who = OTHER;
        ta.set("1234").unwrap();
        ta.who = ME;
        let r = with_failed_write(&mut ta, 2, |ta| ta.verify("1234")).unwrap();
        assert_eq!(r, Err(Error::Storage));
        let _: Result<(), _> = crate::audit::refuse(
            &mut ta.p,
            &mut ta.inst.log,
            RefusalClass::PinBlocked,
            Error::Internal,
        );
        ta.who = OTHER;
        assert!(ta.verify("1234").is_ok());
        ta.who = ME;
        ta.reboot();
        assert_eq!(ta.tries_left(), Some(want - 1), "{pin}: the try stays used");
    }
}
