//! Transaction signing with proof of consent (ISO/TS 12812-2 7.3.3, 8.1.5,
//! 11.2.2): one call verifies the user's PIN block and, only if it
//! matches, makes at most one signature, over exactly the given record
//! (encoding: `mfs_proto::tx`): a write that fails after the match leaves
//! nothing signed.
//!
//! # Order of a `TxSign` call
//!
//! 1. the PIN session is consumed (a PIN block serves one call, so one
//!    authorization can never sign a second record);
//! 2. request, record and key are checked, and the key's policy (purpose,
//!    expiry, usage limit; a PIN rule is met by this call's PIN) — a key
//!    that cannot sign costs no PIN try; refusals are logged;
//! 3. the TA counter value this signing will use is taken (nothing is
//!    written: its `tx-signed` entry commits it) and the record to sign
//!    is encoded;
//! 4. the PIN is checked with the power-safe retry counter (write 1: the
//!    try counted); a wrong or blocked PIN is logged with a `tx-refused`
//!    entry of the same size as `tx-signed` (nothing signed); on a match
//!    `pin-verified` and `tx-signed` (key, counter, SHA-256 of the signed
//!    bytes) are appended in one write — the commit of the PIN's full
//!    count and of the counter value, **before** any signature exists: a
//!    power cut may skip a value, never repeat one. Up to and including
//!    that write the storage operations are the same for a right and a
//!    wrong PIN;
//! 5. a usage-limited key's count is written (if that fails, nothing is
//!    signed: the entry says more than happened, never less);
//! 6. the signature is made and returned.
//!
//! A signing with a key without a usage limit is two writes.
//!
//! # Counter
//!
//! `crate::store::counter` (object `txctr`, with the newest log segment,
//! see `crate::journal`): one counter for every key, starting at 1. It
//! survives a wipe (with the event log), so a counter value is never used
//! twice by this TA.

use mfs_proto::log::sha256;
use mfs_proto::tx::{DISPLAY_NOT_TRUSTED_UI, SignedTx, VERIFIED_PIN_IN_TA};
use mfs_proto::{Purpose, TxSignReply, TxSignRequest, hex_string};

use crate::access::Caller;
use crate::audit::Event;
use crate::crypto::{sig_hex, sign_der};
use crate::error::Error;
use crate::journal;
use crate::keys::authorize;
use crate::pin::{self, PinSession};
use crate::platform::Platform;
use crate::policy::PinProof;
use crate::seal::KeyId;
use crate::state::Instance;
use crate::store::config::Config;

/// `TxSign` with one of the caller's keys and the caller's PIN.
pub fn sign(
    p: &mut impl Platform,
    inst: &mut Instance,
    (caller, slot): (&Caller, &mut Option<PinSession>),
    req: &TxSignRequest,
) -> Result<TxSignReply, Error> {
    let entry = pin::take_entry(slot, &req.client_key, req.pan.as_deref(), &req.block)?;
    let id = KeyId::parse(&req.id)?;
    req.record.check().map_err(|_| Error::InvalidArgument)?;
    // Refuse an unprovisioned TA before touching keys (the policy is
    // needed for the PIN check below).
    let cfg = Config::require(p)?;
    cfg.check_protected(p)?;
    let kek = inst.kek.get(p)?;
    let mut key = inst.vault.load(p, caller, id, kek)?;
    let refusals = (&mut inst.pins, &mut inst.log, caller);
    authorize(
        p,
        refusals,
        key.key(),
        Purpose::Sign,
        Some(PinProof::InThisCall),
    )?;
    let counter = journal::next_counter(p, &mut inst.log)?;
    let signed = SignedTx {
        key_id: id.0,
        counter,
        record: req.record.clone(),
        verification: VERIFIED_PIN_IN_TA,
        display: DISPLAY_NOT_TRUSTED_UI,
    }
    .encode()
    .ok_or(Error::Internal)?;
    let hash = sha256(&[&signed]);
    let commit = (
        Event::tx_signed(&id.0, counter, &hash),
        Event::tx_refused(&id.0, counter, &hash),
    );
    pin::consent(p, inst, (caller, &cfg), entry, commit)?;
    key.consume(p, &mut inst.vault)?;
    let sig = sign_der(&key.key().secret, &signed)?;
    Ok(TxSignReply {
        signed: hex_string(&signed).map_err(|_| Error::Internal)?,
        signature: sig_hex(&sig)?,
        counter,
        public_key: hex_string(&key.key().attrs.public_key).map_err(|_| Error::Internal)?,
    })
}

#[cfg(test)]
mod test {
    use super::*;
    use crate::testkit::{ME, Ta, client, export, gen_key_in};
    use alloc::vec::Vec;
    use mfs_proto::log::{EventKind, verify_chain};
    use mfs_proto::{KeyPolicy, PinRule, PolicyReason, TxRecord, hex_bytes};
    use p256::ecdsa::signature::Verifier;
    use p256::ecdsa::{Signature, VerifyingKey};

    fn record(n: u64) -> TxRecord {
        TxRecord {
            amount: 1000 + n,
            currency: "EUR".try_into().unwrap(),
            payee: "ACME Coffee Ltd".try_into().unwrap(),
            display: mfs_proto::tx::canonical_display(1000 + n, "EUR", "ACME Coffee Ltd").unwrap(),
            challenge: mfs_proto::hex_string(&[n.to_be_bytes()[7]; 16]).unwrap(),
            time: 1_763_800_000 + n,
        }
    }

    fn log_len(ta: &mut Ta) -> usize {
        export(&mut ta.p, &mut ta.inst.log).1.len()
    }

    /// The last TA counter value used (committed by the log).
    fn last_counter(ta: &mut Ta) -> u64 {
        crate::journal::next_counter(&mut ta.p, &mut ta.inst.log).unwrap() - 1
    }

    /// The test kit's TA with PIN 2468 set and the REE clock running.
    fn payer() -> Ta {
        let mut ta = Ta::new(5, 0);
        ta.p.set_ree_time_s(1_800_000_000);
        ta.set("2468").unwrap();
        ta
    }

    impl Ta {
        fn key(&mut self, pin: PinRule, max_uses: Option<u32>) -> String {
            let policy = KeyPolicy {
                pin,
                pin_window_s: if pin == PinRule::Window { 60 } else { 0 },
                max_uses,
                ..KeyPolicy::plain(Purpose::Sign)
            };
            String::from(
                gen_key_in(&mut self.p, &mut self.inst, &ME, "pay", policy)
                    .id
                    .as_str(),
            )
        }
        fn request(&mut self, id: &str, pin: &str, record: TxRecord) -> TxSignRequest {
            let c = client(&mut self.p, &mut self.slot);
            let r = c.request(pin);
            TxSignRequest {
                v: 1,
                id: id.try_into().unwrap(),
                client_key: r.client_key,
                block: r.block,
                pan: None,
                record,
            }
        }
        fn sign(&mut self, req: &TxSignRequest) -> Result<TxSignReply, Error> {
            sign(&mut self.p, &mut self.inst, (&ME, &mut self.slot), req)
        }
        fn kinds(&mut self) -> Vec<EventKind> {
            export(&mut self.p, &mut self.inst.log)
                .1
                .iter()
                .map(|i| i.0.kind)
                .collect()
        }
    }

    use alloc::string::String;

    /// Checks a reply like the host verifier: the signature over exactly
    /// the bytes, which decode to the record, key and counter.
    fn check(reply: &TxSignReply, id: &str, want: &TxRecord) -> SignedTx {
        let signed = hex_to_vec(&reply.signed);
        let der = hex_to_vec(&reply.signature);
        let key: [u8; 65] = hex_bytes(&reply.public_key).unwrap();
        let vk = VerifyingKey::from_sec1_bytes(&key).unwrap();
        vk.verify(&signed, &Signature::from_der(&der).unwrap())
            .unwrap();
        let tx = SignedTx::decode(&signed).unwrap();
        assert_eq!(&tx.record, want);
        assert_eq!(
            mfs_proto::hex_string::<16>(&tx.key_id).unwrap().as_str(),
            id
        );
        assert_eq!(tx.counter, reply.counter);
        tx
    }

    fn hex_to_vec(s: &str) -> Vec<u8> {
        let mut buf = alloc::vec![0u8; s.len() / 2];
        mfs_proto::hex_into(s, &mut buf).unwrap();
        buf
    }

    #[test]
    fn correct_pin_makes_exactly_one_signature_over_the_record() {
        let mut ta = payer();
        let id = ta.key(PinRule::PerUse, None);
        let req = ta.request(&id, "2468", record(1));
        let r = ta.sign(&req).unwrap();
        let tx = check(&r, &id, &record(1));
        assert_eq!(tx.counter, 1);
        assert_eq!(
            (tx.verification, tx.display),
            (VERIFIED_PIN_IN_TA, DISPLAY_NOT_TRUSTED_UI)
        );
        // the same authorization again: its PIN session is used up
        assert_eq!(ta.sign(&req).err(), Some(Error::PinSessionRequired));
        // in a new session the old block does not decrypt: no try used
        let _ = ta.request(&id, "0000", record(2));
        let mut replay = req.clone();
        replay.record = record(2);
        assert_eq!(ta.sign(&replay).err(), Some(Error::Crypto));
        assert_eq!(ta.tries_left().unwrap(), 5);
        assert_eq!(last_counter(&mut ta), 1);
        // a fresh authorization signs the next record with the next counter
        let req = ta.request(&id, "2468", record(2));
        let r2 = ta.sign(&req).unwrap();
        assert_eq!(check(&r2, &id, &record(2)).counter, 2);
        // the log: key generated, then per signature pin-verified + tx-signed
        let (h, items) = export(&mut ta.p, &mut ta.inst.log);
        assert_eq!(verify_chain(&h, &items), Ok(()));
        let tail: Vec<_> = items.iter().rev().take(4).map(|i| i.0.kind).collect();
        assert_eq!(
            tail,
            [
                EventKind::TxSigned,
                EventKind::PinVerified,
                EventKind::TxSigned,
                EventKind::PinVerified
            ]
        );
        let last = items.last().unwrap();
        let signed = hex_to_vec(&r2.signed);
        let mut details = Vec::new();
        details.extend_from_slice(&hex_to_vec(&id));
        details.extend_from_slice(&2u64.to_be_bytes());
        details.extend_from_slice(&sha256(&[&signed]));
        assert_eq!(last.1.as_slice(), details.as_slice());
    }

    #[test]
    fn wrong_pin_signs_nothing_and_is_logged() {
        let mut ta = payer();
        let id = ta.key(PinRule::PerUse, None);
        let req = ta.request(&id, "1111", record(1));
        assert_eq!(ta.sign(&req).err(), Some(Error::PinIncorrect(4)));
        assert_eq!(last_counter(&mut ta), 0);
        let kinds = ta.kinds();
        assert_eq!(
            kinds.get(kinds.len() - 2..),
            Some(&[EventKind::PinFailed, EventKind::TxRefused][..])
        );
        let (_, items) = export(&mut ta.p, &mut ta.inst.log);
        let failed = &items[items.len() - 2].1;
        assert_eq!(
            failed.get(..2),
            Some(&[crate::audit::PinContext::TxSign as u8, 4][..])
        );
        assert_eq!(failed.get(2..), Some(&ME.tag().0[..]), "the record's tag");
        // the refusal names the key, the unused counter and the record
        let refused = &items.last().unwrap().1;
        assert_eq!(refused.get(..8), Some(&hex_to_vec(&id)[..]));
        assert_eq!(refused.get(8..16), Some(&1u64.to_be_bytes()[..]));
        for _ in 0..4 {
            let req = ta.request(&id, "1111", record(1));
            assert!(ta.sign(&req).is_err());
        }
        let kinds = ta.kinds();
        assert_eq!(
            kinds.get(kinds.len() - 2..),
            Some(&[EventKind::PinBlocked, EventKind::TxRefused][..])
        );
        // blocked: even the right PIN signs nothing
        let req = ta.request(&id, "2468", record(1));
        assert_eq!(ta.sign(&req).err(), Some(Error::PinBlocked));
        assert_eq!(last_counter(&mut ta), 0);
        assert!(!ta.kinds().contains(&EventKind::TxSigned));
    }

    #[test]
    fn refusals_before_the_pin_cost_no_try() {
        let mut ta = payer();
        let id = ta.key(PinRule::PerUse, None);
        let mut bad = record(1);
        bad.amount = 0;
        let req = ta.request(&id, "1111", bad);
        assert_eq!(ta.sign(&req).err(), Some(Error::InvalidArgument));
        let req = ta.request("0102030405060708", "1111", record(1));
        assert_eq!(ta.sign(&req).err(), Some(Error::KeyNotFound));
        let attest = String::from(
            gen_key_in(
                &mut ta.p,
                &mut ta.inst,
                &ME,
                "att",
                KeyPolicy::plain(Purpose::Attest),
            )
            .id
            .as_str(),
        );
        let req = ta.request(&attest, "1111", record(1));
        assert_eq!(
            ta.sign(&req).err(),
            Some(Error::PolicyViolation(PolicyReason::Purpose))
        );
        // refusals are counted, and logged as one entry before the next
        assert_eq!(ta.kinds().last(), Some(&EventKind::KeyGenerated));
        assert_eq!(ta.tries_left().unwrap(), 5);
        // no PIN session at all
        let req = ta.request(&id, "2468", record(1));
        ta.slot = None;
        assert_eq!(ta.sign(&req).err(), Some(Error::PinSessionRequired));
        let req = ta.request(&id, "2468", record(1));
        assert!(ta.sign(&req).is_ok());
        let kinds = ta.kinds();
        assert_eq!(
            kinds[kinds.len() - 3..],
            [
                EventKind::Refusals,
                EventKind::PinVerified,
                EventKind::TxSigned
            ]
        );
    }

    /// What you see is what you sign: a record whose display contradicts
    /// its amount, or whose payee or display holds a bidi control or
    /// another invisible character, or whose currency is unknown, is
    /// `invalid-argument` before the PIN is looked at: no try is spent
    /// (even with a wrong PIN), nothing is signed or logged.
    #[test]
    fn spoofed_records_are_refused_without_a_pin_try() {
        let mut ta = payer();
        let id = ta.key(PinRule::PerUse, None);
        let events = ta.kinds().len();
        let spoofs: [fn(&mut TxRecord); 7] = [
            |r| {
                r.amount = 100_000_000;
                r.payee = "ACME".try_into().unwrap();
                r.display = "Pay 1.00 EUR to ACME?".try_into().unwrap();
            },
            |r| {
                r.display = "Pay 10.01 EUR to ACME Coffee Ltd? (10.00 EUR)"
                    .try_into()
                    .unwrap()
            },
            |r| {
                r.payee = "ACME \u{202e}dtL eeffoC".try_into().unwrap();
                r.display = "Pay 10.01 EUR to ACME \u{202e}dtL eeffoC?"
                    .try_into()
                    .unwrap();
            },
            |r| {
                r.display = "Pay 10.01 EUR to ACME Coffee Ltd?\u{2066}"
                    .try_into()
                    .unwrap()
            },
            |r| {
                r.display = "Pay 10.01\u{200b} EUR to ACME Coffee Ltd?"
                    .try_into()
                    .unwrap()
            },
            |r| r.payee = "ACME\u{e0041}".try_into().unwrap(),
            |r| r.currency = "XAU".try_into().unwrap(),
        ];
        for (i, spoof) in spoofs.iter().enumerate() {
            for pin in ["1111", "2468"] {
                let mut r = record(1);
                spoof(&mut r);
                let req = ta.request(&id, pin, r);
                assert_eq!(ta.sign(&req).err(), Some(Error::InvalidArgument), "{i}");
                // the PIN session is used up all the same
                assert_eq!(ta.sign(&req).err(), Some(Error::PinSessionRequired));
            }
        }
        assert_eq!(ta.tries_left().unwrap(), 5);
        assert_eq!(last_counter(&mut ta), 0);
        assert_eq!(ta.kinds().len(), events);
        // the honest record still signs
        let req = ta.request(&id, "2468", record(1));
        check(&ta.sign(&req).unwrap(), &id, &record(1));
    }

    #[test]
    fn no_secret_enters_the_log() {
        let mut ta = payer();
        let id = ta.key(PinRule::PerUse, None);
        for pin in ["2468", "1357", "2468"] {
            let req = ta.request(&id, pin, record(1));
            let _ = ta.sign(&req);
        }
        let secret =
            ta.p.read(&crate::objects::secret().unwrap())
                .unwrap()
                .unwrap();
        let pin_rec = ta.p.read(&crate::testkit::pin_object()).unwrap().unwrap();
        let logs: Vec<Vec<u8>> =
            ta.p.object_ids()
                .unwrap()
                .into_iter()
                .filter(crate::objects::is_log_object)
                .map(|o| ta.p.read(&o).unwrap().unwrap())
                .collect();
        assert!(!logs.is_empty());
        for log in &logs {
            for needle in [&b"2468"[..], b"1357", &[0x24, 0x68], &[0x13, 0x57]] {
                assert!(!log.windows(needle.len()).any(|w| w == needle));
            }
            // no 16-byte run of the TA secret or the PIN record (salt, hash)
            for src in [&secret, &pin_rec] {
                for w in src.windows(16).filter(|w| w.iter().any(|b| *b != 0)) {
                    assert!(!log.windows(16).any(|l| l == w));
                }
            }
        }
    }

    #[test]
    fn per_use_keys_sign_only_with_consent_and_every_sign_key_may() {
        let mut ta = payer();
        let per_use = ta.key(PinRule::PerUse, None);
        let msg = crate::testkit::sign_req(&per_use, b"m");
        assert_eq!(
            crate::keys::sign(&mut ta.p, &mut ta.inst, &ME, &msg).err(),
            Some(Error::PolicyViolation(PolicyReason::PinPerUse))
        );
        for rule in [PinRule::None, PinRule::Window, PinRule::PerUse] {
            let id = ta.key(rule, None);
            let req = ta.request(&id, "2468", record(3));
            assert!(ta.sign(&req).is_ok(), "{rule:?}");
        }
        // a usage limit counts consent signatures too
        let lim = ta.key(PinRule::PerUse, Some(1));
        let req = ta.request(&lim, "2468", record(4));
        ta.sign(&req).unwrap();
        let req = ta.request(&lim, "2468", record(5));
        assert_eq!(
            ta.sign(&req).err(),
            Some(Error::PolicyViolation(PolicyReason::UsageExhausted))
        );
    }

    /// Signs with a storage fault injected at each write in turn (`inject`
    /// at write `n`, then `recover`), then signs again. Released counters
    /// strictly increase, the log verifies, and every released signature
    /// is in the log. Returns the number of write points walked.
    fn consent_walk(inject: fn(&mut Ta, u64), recover: fn(&mut Ta)) -> u64 {
        let mut ta = payer();
        let id = ta.key(PinRule::PerUse, Some(1000));
        let mut released: Vec<(u64, [u8; 32])> = Vec::new();
        let mut n = 1;
        loop {
            let req = ta.request(&id, "2468", record(n));
            let before = ta.p.writes();
            inject(&mut ta, n);
            let r = ta.sign(&req);
            let used = ta.p.writes() - before;
            recover(&mut ta);
            match r {
                Ok(reply) => {
                    // all writes succeeded: every point has been hit once
                    assert!(used < n, "a fault at write {n} still released a signature");
                    released.push((reply.counter, sha256(&[&hex_to_vec(&reply.signed)])));
                    break;
                }
                Err(e) => assert_eq!(e, Error::Storage, "write {n}"),
            }
            // the PIN is never left blocked or worse than one try down
            assert!(ta.tries_left().unwrap() >= 4, "write {n}");
            let req = ta.request(&id, "2468", record(100 + n));
            let reply = ta.sign(&req).unwrap();
            released.push((reply.counter, sha256(&[&hex_to_vec(&reply.signed)])));
            n += 1;
        }
        for pair in released.windows(2) {
            assert!(
                pair[0].0 < pair[1].0,
                "counter repeated or went back: {released:?}"
            );
        }
        let (h, items) = export(&mut ta.p, &mut ta.inst.log);
        assert_eq!(verify_chain(&h, &items), Ok(()));
        for (counter, hash) in &released {
            assert!(
                items.iter().any(|i| i.0.kind == EventKind::TxSigned
                    && i.1.get(8..16) == Some(&counter.to_be_bytes()[..])
                    && i.1.get(16..) == Some(&hash[..])),
                "signature {counter} not in the log"
            );
        }
        n
    }

    /// A power cut at each write of a consent signature, then a reboot.
    #[test]
    fn power_cut_at_every_write_never_repeats_a_counter() {
        let n = consent_walk(|ta, n| ta.p.cut_power_at(n), Ta::reboot);
        assert!(n >= 3, "PIN write 1, the commit entries, usage: {n}");
    }

    /// A hostile supplicant instead: write `n` alone fails and the TA runs
    /// on (no reboot).
    #[test]
    fn a_failed_write_at_every_point_releases_nothing_and_reuses_no_counter() {
        let n = consent_walk(|ta, n| ta.p.fail_write_at(n), |_| {});
        assert!(n >= 3, "{n}");
    }

    /// What a client can do after one PIN entry without entering the PIN
    /// again.
    #[derive(Clone, Copy, Debug)]
    enum Next {
        /// `key-sign` with one of the two window keys.
        SignWindow(usize),
        /// `key-sign` with the per-use key (must always be refused).
        SignPerUse,
        /// `key-attest` signed by the window attest key.
        AttestWithWindowKey,
        /// The PIN-entry request sent again (its session is spent).
        Replay,
    }

    const NEXT: [Next; 5] = [
        Next::SignWindow(0),
        Next::SignWindow(1),
        Next::SignPerUse,
        Next::AttestWithWindowKey,
        Next::Replay,
    ];

    /// One PIN entry yields at most one signature that needs the PIN,
    /// whatever the client does next: every sequence of up to three
    /// commands after a `tx-sign` or a `pin-verify` (naming a window key).
    #[test]
    fn one_pin_entry_yields_at_most_one_signature() {
        let mut sequences = vec![Vec::new()];
        for _ in 0..3 {
            let longer: Vec<Vec<Next>> = sequences
                .iter()
                .filter(|s: &&Vec<Next>| s.len() == sequences.last().map_or(0, Vec::len))
                .flat_map(|s| {
                    NEXT.iter().map(move |n| {
                        let mut s = s.clone();
                        s.push(*n);
                        s
                    })
                })
                .collect();
            sequences.extend(longer);
        }
        for start_with_tx in [true, false] {
            for seq in &sequences {
                let mut ta = payer();
                let wins = [ta.key(PinRule::Window, None), ta.key(PinRule::Window, None)];
                let per_use = ta.key(PinRule::PerUse, None);
                let attest = String::from(
                    crate::testkit::gen_key_in(
                        &mut ta.p,
                        &mut ta.inst,
                        &ME,
                        "att",
                        KeyPolicy {
                            pin: PinRule::Window,
                            pin_window_s: 60,
                            ..KeyPolicy::plain(Purpose::Attest)
                        },
                    )
                    .id
                    .as_str(),
                );
                let mut signatures = 0;
                let c = client(&mut ta.p, &mut ta.slot);
                let verify_req = {
                    let mut r = c.request("2468");
                    r.key = Some(wins[0].as_str().try_into().unwrap());
                    r
                };
                let tx_req = {
                    let r = c.request("2468");
                    TxSignRequest {
                        v: 1,
                        id: wins[1].as_str().try_into().unwrap(),
                        client_key: r.client_key,
                        block: r.block,
                        pan: None,
                        record: record(1),
                    }
                };
                let entry = |ta: &mut Ta| {
                    if start_with_tx {
                        ta.sign(&tx_req).is_ok()
                    } else {
                        let _ = crate::pin::verify(
                            &mut ta.p,
                            &mut ta.inst,
                            (&ME, &mut ta.slot),
                            &verify_req,
                        );
                        false
                    }
                };
                signatures += usize::from(entry(&mut ta));
                for n in seq {
                    let ok = match *n {
                        Next::SignWindow(i) => crate::keys::sign(
                            &mut ta.p,
                            &mut ta.inst,
                            &ME,
                            &crate::testkit::sign_req(&wins[i], b"m"),
                        )
                        .is_ok(),
                        Next::SignPerUse => {
                            let r = crate::keys::sign(
                                &mut ta.p,
                                &mut ta.inst,
                                &ME,
                                &crate::testkit::sign_req(&per_use, b"m"),
                            );
                            assert!(r.is_err());
                            false
                        }
                        Next::AttestWithWindowKey => crate::keys::attest(
                            &mut ta.p,
                            &mut ta.inst,
                            &ME,
                            &mfs_proto::KeyAttestRequest {
                                v: 1,
                                id: per_use.as_str().try_into().unwrap(),
                                challenge: "00".try_into().unwrap(),
                                attest_key: Some(attest.as_str().try_into().unwrap()),
                            },
                        )
                        .is_ok(),
                        Next::Replay => entry(&mut ta),
                    };
                    signatures += usize::from(ok);
                }
                assert!(
                    signatures <= 1,
                    "{} then {seq:?}: {signatures} signatures",
                    if start_with_tx {
                        "tx-sign"
                    } else {
                        "pin-verify"
                    }
                );
                if seq
                    .first()
                    .is_some_and(|n| matches!(n, Next::SignWindow(0)))
                    && !start_with_tx
                {
                    assert_eq!(signatures, 1, "the window opened by pin-verify works once");
                }
            }
        }
    }

    /// The counter value a signing used is committed by its `tx-signed`
    /// entry; a segment start writes it to `txctr` before that entry leaves
    /// the newest segment; a wipe that must restart a damaged log first
    /// skips every value the lost newest segment may have used.
    #[test]
    fn the_counter_is_committed_by_the_log_and_never_reused() {
        use crate::audit::SEGMENT_ENTRIES;
        use crate::store::counter;
        let mut ta = payer();
        let id = ta.key(PinRule::PerUse, None);
        let req = ta.request(&id, "2468", record(1));
        assert_eq!(ta.sign(&req).unwrap().counter, 1);
        assert_eq!(counter::last(&mut ta.p).unwrap(), 0, "only the entry");
        ta.reboot();
        assert_eq!(last_counter(&mut ta), 1);
        for i in 0..SEGMENT_ENTRIES as u64 {
            let ev = Event::key(EventKind::KeyDeleted, &i.to_be_bytes());
            crate::journal::append(&mut ta.p, &mut ta.inst.log, &[ev]).unwrap();
        }
        assert_eq!(counter::last(&mut ta.p).unwrap(), 1, "written out");
        ta.reboot();
        let req = ta.request(&id, "2468", record(2));
        assert_eq!(ta.sign(&req).unwrap().counter, 2);
        // the newest segment (holding counter 2) is lost
        *ta.p
            .object_mut(&crate::objects::log_current().unwrap())
            .unwrap() = alloc::vec![9];
        ta.reboot();
        crate::wipe::wipe(&mut ta.p, &mut ta.inst).unwrap();
        assert_eq!(last_counter(&mut ta), 1 + SEGMENT_ENTRIES as u64);
    }

    /// A wipe that restarts a damaged log with any one read failing (the
    /// counter's included, the TA running on) either fails, to be
    /// repeated, or leaves no value of the lost newest segment to be used
    /// again (hostile review).
    #[test]
    fn a_wipe_restarting_the_log_never_lets_a_counter_be_reused() {
        use crate::store::config::Config;
        for n in 1..12 {
            let mut ta = payer();
            let id = ta.key(PinRule::PerUse, None);
            let req = ta.request(&id, "2468", record(1));
            assert_eq!(ta.sign(&req).unwrap().counter, 1);
            // the newest segment (holding counter 1) is damaged
            *ta.p
                .object_mut(&crate::objects::log_current().unwrap())
                .unwrap() = alloc::vec![9];
            ta.reboot();
            ta.p.fail_read_at(n);
            let r = crate::wipe::wipe(&mut ta.p, &mut ta.inst);
            ta.p.fail_read_at(u64::MAX - ta.p.reads());
            if r.is_err() {
                continue;
            }
            // re-provisioned, a new key and PIN: the next consent signing
            let issuer = crate::testkit::issuer();
            let issuer_pub =
                crate::crypto::sec1_uncompressed(&(*issuer.verifying_key()).into()).unwrap();
            Config::new(5, 0, issuer_pub)
                .unwrap()
                .provision(&mut ta.p)
                .unwrap();
            ta.reboot();
            ta.set("2468").unwrap();
            let id = ta.key(PinRule::PerUse, None);
            let req = ta.request(&id, "2468", record(2));
            let c = ta.sign(&req).unwrap().counter;
            assert!(
                c > 1,
                "read {n} failed during the wipe: counter {c} signed twice"
            );
        }
    }

    /// The storage carrier (tee-supplicant) learns nothing of the PIN
    /// before its outcome is logged: a right and a wrong PIN in `tx-sign`
    /// make the same writes — objects, offsets, sizes — up to and
    /// including the outcome entry (hostile review).
    #[test]
    fn storage_shows_nothing_of_the_pin_before_its_outcome_is_logged() {
        use crate::audit::SEGMENT_ENTRIES;
        use crate::mem::Op;
        // `boundary`: the outcome entries start a log segment (the
        // counter is written out before them)
        let writes = |pin: &str, boundary: bool| {
            let mut ta = payer();
            let id = ta.key(PinRule::PerUse, None);
            if boundary {
                let n = log_len(&mut ta) % SEGMENT_ENTRIES;
                for i in 0..(SEGMENT_ENTRIES - 1 - n) as u64 {
                    let ev = Event::key(EventKind::KeyDeleted, &i.to_be_bytes());
                    crate::journal::append(&mut ta.p, &mut ta.inst.log, &[ev]).unwrap();
                }
            }
            let req = ta.request(&id, pin, record(1));
            ta.p.start_trace();
            let _ = ta.sign(&req);
            let ops: Vec<Op> = ta.p.take_trace();
            ops.into_iter()
                .filter(|o| !matches!(o, Op::Read(_) | Op::ReadAt(..)))
                .collect::<Vec<_>>()
        };
        let right = writes("2468", false);
        let wrong = writes("1111", false);
        // write 1, then the outcome entries (`pin-verified` + `tx-signed`
        // or `pin-failed` + `tx-refused`): the same in both
        assert_eq!(wrong.len(), 2, "{wrong:?}");
        assert_eq!(right, wrong);
        assert!(
            matches!(wrong.get(1), Some(Op::WriteAt(id, ..)) if id.as_bytes() == b"lg"),
            "{wrong:?}"
        );
        let right = writes("2468", true);
        let wrong = writes("1111", true);
        assert_eq!(right, wrong);
        assert!(wrong.len() > 2, "a segment start: {wrong:?}");
    }
}
