//! Tests of the parent module.

use super::*;
use crate::mem::MemPlatform;
use crate::store::keys::{HEADER_LEN, SLOT_LEN};
use crate::testkit::{
    G, ME, OTHER, gen_key, gen_key_for, gen_key_in, key_platform as provisioned, nth_client,
    sign_policy as policy, sign_req,
};
use alloc::vec::Vec;
use mfs_proto::{KeyAttestRequest, KeyImportRequest, KeyPolicy, PinRule, hex_bytes};
use mfs_proto::{MAX_KEYS, MAX_KEYS_PER_CLIENT};
use mfs_proto::{Statement, hex_into};
use p256::ecdsa::signature::Verifier;
use p256::ecdsa::{Signature, VerifyingKey};

fn verify(public_hex: &str, msg: &[u8], sig_hex: &str) -> bool {
    let pk: [u8; 65] = hex_bytes(public_hex).unwrap();
    let mut der = vec![0u8; sig_hex.len() / 2];
    hex_into(sig_hex, &mut der).unwrap();
    let vk = VerifyingKey::from_sec1_bytes(&pk).unwrap();
    let sig = Signature::from_der(&der).unwrap();
    vk.verify(msg, &sig).is_ok()
}

#[test]
fn generate_sign_verify_list_delete() {
    let mut p = provisioned();
    let mut inst = Instance::default();
    let a = gen_key(&mut p, "a", policy());
    let b = gen_key(&mut p, "b", policy());
    assert_ne!(a.id, b.id);
    let r = sign(&mut p, &mut inst, &ME, &sign_req(&a.id, b"pay 10 EUR")).unwrap();
    assert!(verify(&a.public_key, b"pay 10 EUR", &r.signature));
    assert!(!verify(&b.public_key, b"pay 10 EUR", &r.signature));
    assert!(!verify(&a.public_key, b"pay 11 EUR", &r.signature));
    let l = list(&mut p, &mut Instance::default(), &ME, 0).unwrap();
    assert_eq!(l.total, 2);
    assert_eq!(l.keys[0].id, a.id);
    assert_eq!(l.keys[1].label.as_str(), "b");
    assert_eq!(
        info(&mut p, &mut Instance::default(), &ME, &a.id).unwrap(),
        a
    );
    // the same instance signed with it (the key is cached): a delete
    // makes it unusable at once
    delete(&mut p, &mut inst, &ME, &a.id).unwrap();
    assert_eq!(
        info(&mut p, &mut Instance::default(), &ME, &a.id).err(),
        Some(Error::KeyNotFound)
    );
    assert_eq!(
        delete(&mut p, &mut inst, &ME, &a.id).err(),
        Some(Error::KeyNotFound)
    );
    assert_eq!(
        sign(&mut p, &mut inst, &ME, &sign_req(&a.id, b"x")).err(),
        Some(Error::KeyNotFound)
    );
    assert_eq!(
        list(&mut p, &mut Instance::default(), &ME, 0)
            .unwrap()
            .total,
        1
    );
    // secrets are not printable
    let kk = crate::seal::kek(&crate::store::secret::load(&mut p).unwrap());
    let loaded = inst
        .vault
        .load(&mut p, &ME, KeyId::parse(&b.id).unwrap(), &kk)
        .unwrap()
        .into_key();
    let dbg = format!("{loaded:?}");
    assert!(dbg.contains("Loaded") && !dbg.contains("secret"));
}

#[test]
fn bad_inputs_are_refused() {
    let mut p = provisioned();
    let mut inst = Instance::default();
    let k = gen_key(&mut p, "k", policy());
    for (req, want) in [
        (sign_req("00", b"x"), Error::BadRequest),
        (sign_req("zz00000000000000", b"x"), Error::BadRequest),
        (
            sign_req(&k.id, b"mfs-ta/tx/v1 forged"),
            Error::InvalidArgument,
        ),
        (sign_req("0102030405060708", b"x"), Error::KeyNotFound),
    ] {
        assert_eq!(sign(&mut p, &mut inst, &ME, &req).err(), Some(want));
    }
    let mut odd = sign_req(&k.id, b"x");
    odd.message.push('a').unwrap();
    assert_eq!(
        sign(&mut p, &mut inst, &ME, &odd).err(),
        Some(Error::BadRequest)
    );
    let bad_label = KeyGenerateRequest {
        v: 1,
        label: "no spaces".try_into().unwrap(),
        policy: policy(),
    };
    assert_eq!(
        generate(&mut p, &mut Instance::default(), &ME, &bad_label).err(),
        Some(Error::InvalidArgument)
    );
    let expired = KeyGenerateRequest {
        v: 1,
        label: "old".try_into().unwrap(),
        policy: KeyPolicy {
            not_after: Some(1_700_000_000),
            ..policy()
        },
    };
    assert_eq!(
        generate(&mut p, &mut Instance::default(), &ME, &expired).err(),
        Some(Error::InvalidArgument)
    );
    let mut unprov = MemPlatform::new();
    assert_eq!(
        generate(
            &mut unprov,
            &mut Instance::default(),
            &ME,
            &KeyGenerateRequest {
                v: 1,
                label: "x".try_into().unwrap(),
                policy: policy()
            }
        )
        .err(),
        Some(Error::NotProvisioned)
    );
}

#[test]
fn policy_is_enforced() {
    let mut p = provisioned();
    let mut inst = Instance::default();
    let v = |e| Some(Error::PolicyViolation(e));
    // purpose
    let att = gen_key_in(
        &mut p,
        &mut inst,
        &ME,
        "att",
        KeyPolicy {
            purpose: Purpose::Attest,
            ..policy()
        },
    );
    assert_eq!(
        sign(&mut p, &mut inst, &ME, &sign_req(&att.id, b"m")).err(),
        v(PolicyReason::Purpose)
    );
    // PIN per use: never through plain signing
    let per_use = gen_key_in(
        &mut p,
        &mut inst,
        &ME,
        "pu",
        KeyPolicy {
            pin: PinRule::PerUse,
            ..policy()
        },
    );
    inst.pins.set(
        ME.tag(),
        crate::state::PinTimers {
            window: Some(crate::state::Window {
                key: KeyId::parse(&per_use.id).unwrap().0,
                opened_ms: 0,
            }),
            last_failure_ms: None,
        },
    );
    assert_eq!(
        sign(&mut p, &mut inst, &ME, &sign_req(&per_use.id, b"m")).err(),
        v(PolicyReason::PinPerUse)
    );
    // PIN window
    let win = gen_key_in(
        &mut p,
        &mut inst,
        &ME,
        "win",
        KeyPolicy {
            pin: PinRule::Window,
            pin_window_s: 60,
            ..policy()
        },
    );
    let mut fresh = Instance::default();
    assert_eq!(
        sign(&mut p, &mut fresh, &ME, &sign_req(&win.id, b"m")).err(),
        v(PolicyReason::PinWindow)
    );
    p.advance_ms(1_000);
    let open = |p: &mut MemPlatform, inst: &mut Instance, id: &str| {
        let now = p.now_ms();
        inst.pins.set(
            ME.tag(),
            crate::state::PinTimers {
                window: Some(crate::state::Window {
                    key: KeyId::parse(id).unwrap().0,
                    opened_ms: now,
                }),
                last_failure_ms: None,
            },
        );
    };
    // a window opened for another key does not count
    open(&mut p, &mut inst, &per_use.id);
    assert_eq!(
        sign(&mut p, &mut inst, &ME, &sign_req(&win.id, b"m")).err(),
        v(PolicyReason::PinWindow)
    );
    // inclusive bound; one use per opening
    open(&mut p, &mut inst, &win.id);
    p.advance_ms(60_000);
    assert!(sign(&mut p, &mut inst, &ME, &sign_req(&win.id, b"m")).is_ok());
    assert_eq!(
        sign(&mut p, &mut inst, &ME, &sign_req(&win.id, b"m")).err(),
        v(PolicyReason::PinWindow)
    );
    open(&mut p, &mut inst, &win.id);
    p.advance_ms(60_001);
    assert_eq!(
        sign(&mut p, &mut inst, &ME, &sign_req(&win.id, b"m")).err(),
        v(PolicyReason::PinWindow)
    );
    // usage limit, counted in storage
    let lim = gen_key_in(
        &mut p,
        &mut inst,
        &ME,
        "lim",
        KeyPolicy {
            max_uses: Some(2),
            exportable: false,
            ..policy()
        },
    );
    assert_eq!(
        sign(&mut p, &mut inst, &ME, &sign_req(&lim.id, b"1"))
            .unwrap()
            .uses,
        1
    );
    assert_eq!(
        sign(&mut p, &mut inst, &ME, &sign_req(&lim.id, b"2"))
            .unwrap()
            .uses,
        2
    );
    assert_eq!(
        sign(&mut p, &mut inst, &ME, &sign_req(&lim.id, b"3")).err(),
        v(PolicyReason::UsageExhausted)
    );
    assert_eq!(
        info(&mut p, &mut Instance::default(), &ME, &lim.id)
            .unwrap()
            .uses,
        2
    );
    assert_eq!(
        export(&mut p, &mut Instance::default(), &ME, &lim.id).err(),
        v(PolicyReason::NotExportable)
    );
    // expiry on the REE clock
    let exp = gen_key_in(
        &mut p,
        &mut inst,
        &ME,
        "exp",
        KeyPolicy {
            not_after: Some(1_800_000_010),
            ..policy()
        },
    );
    p.set_ree_time_s(1_800_000_010);
    assert!(sign(&mut p, &mut inst, &ME, &sign_req(&exp.id, b"m")).is_ok());
    p.set_ree_time_s(1_800_000_011);
    assert_eq!(
        sign(&mut p, &mut inst, &ME, &sign_req(&exp.id, b"m")).err(),
        v(PolicyReason::Expired)
    );
}

#[test]
fn usage_is_persisted_before_the_signature() {
    let mut p = provisioned();
    let mut inst = Instance::default();
    let lim = gen_key(
        &mut p,
        "lim",
        KeyPolicy {
            max_uses: Some(3),
            exportable: false,
            ..policy()
        },
    );
    // a cut at the counter write: no signature, no use counted
    p.cut_power_at(1);
    assert_eq!(
        sign(&mut p, &mut inst, &ME, &sign_req(&lim.id, b"1")).err(),
        Some(Error::Storage)
    );
    p.power_on();
    assert_eq!(
        info(&mut p, &mut Instance::default(), &ME, &lim.id)
            .unwrap()
            .uses,
        0
    );
    // unlimited keys write only their event-log entry
    let free = gen_key(&mut p, "free", policy());
    let before = p.writes();
    sign(&mut p, &mut inst, &ME, &sign_req(&free.id, b"x")).unwrap();
    assert_eq!(p.writes(), before + 1);
}

#[test]
fn export_import_same_instance_only() {
    let mut p = provisioned();
    let mut inst = Instance::default();
    let k = gen_key(&mut p, "backup", policy());
    let blob = export(&mut p, &mut Instance::default(), &ME, &k.id)
        .unwrap()
        .blob;
    let imp = KeyImportRequest {
        v: 1,
        blob: blob.clone(),
    };
    assert_eq!(
        import(&mut p, &mut Instance::default(), &ME, &imp).err(),
        Some(Error::KeyExists)
    );
    delete(&mut p, &mut Instance::default(), &ME, &k.id).unwrap();
    assert_eq!(
        import(&mut p, &mut Instance::default(), &ME, &imp).unwrap(),
        k
    );
    let r = sign(&mut p, &mut inst, &ME, &sign_req(&k.id, b"again")).unwrap();
    assert!(verify(&k.public_key, b"again", &r.signature));
    // flipped bits, truncation, garbage
    let raw: Vec<u8> = (0..blob.len() / 2)
        .map(|i| u8::from_str_radix(&blob[2 * i..2 * i + 2], 16).unwrap())
        .collect();
    delete(&mut p, &mut Instance::default(), &ME, &k.id).unwrap();
    for i in [0, 5, 20, 40, 100, raw.len() - 1] {
        let mut t = raw.clone();
        t[i] ^= 0x10;
        let req = KeyImportRequest {
            v: 1,
            blob: hex_string(&t).unwrap(),
        };
        assert_eq!(
            import(&mut p, &mut Instance::default(), &ME, &req).err(),
            Some(Error::BlobRejected),
            "{i}"
        );
    }
    let short = KeyImportRequest {
        v: 1,
        blob: hex_string(&raw[..10]).unwrap(),
    };
    assert_eq!(
        import(&mut p, &mut Instance::default(), &ME, &short).err(),
        Some(Error::BlobRejected)
    );
    // another TA instance (another secret) refuses it
    let mut q = MemPlatform::new();
    q.random(&mut [0u8; 7]).unwrap();
    Config::new(5, 0, G).unwrap().provision(&mut q).unwrap();
    assert_eq!(
        import(&mut q, &mut Instance::default(), &ME, &imp).err(),
        Some(Error::BlobRejected)
    );
}

#[test]
fn attestation_statement_verifies() {
    let mut p = provisioned();
    let mut inst = Instance::default();
    let k = gen_key_in(&mut p, &mut inst, &ME, "pay", policy());
    let req = KeyAttestRequest {
        v: 1,
        id: k.id.clone(),
        challenge: hex_string(b"server-challenge").unwrap(),
        attest_key: None,
    };
    let a = attest(&mut p, &mut inst, &ME, &req).unwrap();
    let mut st = vec![0u8; a.statement.len() / 2];
    hex_into(&a.statement, &mut st).unwrap();
    assert!(verify(&a.attestation_key, &st, &a.signature));
    let s = Statement::decode(&st).unwrap();
    assert_eq!(s.challenge.as_slice(), b"server-challenge");
    assert_eq!(hex_string::<130>(&s.public_key).unwrap(), k.public_key);
    assert_eq!(s.policy, k.policy);
    assert_eq!(s.hw_unique_key, mfs_proto::HukStatus::NotKnownStub);
    assert!(!s.trusted_ui);
    // the attestation key persists; it is not a listed key
    let again = attest(&mut p, &mut inst, &ME, &req).unwrap();
    assert_eq!(again.attestation_key, a.attestation_key);
    assert_eq!(
        list(&mut p, &mut Instance::default(), &ME, 0)
            .unwrap()
            .total,
        1
    );
    // an attest-purpose key can sign statements; a sign key cannot
    let ak = gen_key_in(
        &mut p,
        &mut inst,
        &ME,
        "ak",
        KeyPolicy {
            purpose: Purpose::Attest,
            ..policy()
        },
    );
    let with = KeyAttestRequest {
        attest_key: Some(ak.id.clone()),
        ..req.clone()
    };
    assert_eq!(
        attest(&mut p, &mut inst, &ME, &with)
            .unwrap()
            .attestation_key,
        ak.public_key
    );
    let with_sign_key = KeyAttestRequest {
        attest_key: Some(k.id.clone()),
        ..req.clone()
    };
    assert_eq!(
        attest(&mut p, &mut inst, &ME, &with_sign_key).err(),
        Some(Error::PolicyViolation(PolicyReason::Purpose))
    );
    // attestation statements cannot be forged through KeySign
    assert_eq!(
        sign(&mut p, &mut inst, &ME, &sign_req(&k.id, &st)).err(),
        Some(Error::InvalidArgument)
    );
}

#[test]
fn tampered_stored_key_is_rejected() {
    let mut p = provisioned();
    let mut inst = Instance::default();
    let k = gen_key(&mut p, "t", policy());
    let oid = crate::objects::key_vault().unwrap();
    let clean = p.object_mut(&oid).unwrap().clone();
    assert_eq!(clean.len(), HEADER_LEN + SLOT_LEN, "one object, one slot");
    // the blob starts after flag, id, owner tag, uses and its length
    let blob = HEADER_LEN + 1 + 8 + 8 + 4 + 1;
    let blob_len = usize::from(clean[blob - 1]);
    // the tag (last byte), the label, the policy, the id in the blob:
    // each refused
    for at in [blob + blob_len - 1, blob + 29, blob + 12, blob + 1] {
        let obj = p.object_mut(&oid).unwrap();
        obj[at] ^= 1;
        assert_eq!(
            sign(&mut p, &mut inst, &ME, &sign_req(&k.id, b"x")).err(),
            Some(Error::BlobRejected),
            "byte {at}"
        );
        *p.object_mut(&oid).unwrap() = clean.clone();
    }
    // a slot naming another id than the index loaded from it, a bad flag
    // or a damaged object (not whole slots) is a storage failure
    p.object_mut(&oid).unwrap()[HEADER_LEN + 1] ^= 1;
    assert_eq!(
        sign(&mut p, &mut inst, &ME, &sign_req(&k.id, b"x")).err(),
        Some(Error::Storage)
    );
    *p.object_mut(&oid).unwrap() = clean.clone();
    p.object_mut(&oid).unwrap()[HEADER_LEN] = 7;
    assert_eq!(
        info(&mut p, &mut Instance::default(), &ME, &k.id).err(),
        Some(Error::Storage)
    );
    *p.object_mut(&oid).unwrap() = clean[..clean.len() - 1].to_vec();
    assert_eq!(
        info(&mut p, &mut Instance::default(), &ME, &k.id).err(),
        Some(Error::Storage)
    );
    *p.object_mut(&oid).unwrap() = clean;
    assert!(sign(&mut p, &mut inst, &ME, &sign_req(&k.id, b"x")).is_ok());
}

#[test]
fn key_limit_and_cost_independent_of_count() {
    let mut p = provisioned();
    let mut inst = Instance::default();
    let first = gen_key_in(&mut p, &mut inst, &ME, "k0", policy());
    let reads_for_sign = |p: &mut MemPlatform, inst: &mut Instance, id: &str| {
        let before = p.reads();
        sign(p, inst, &ME, &sign_req(id, b"m")).unwrap();
        p.reads() - before
    };
    assert_eq!(
        reads_for_sign(&mut p, &mut inst, &first.id),
        2,
        "the secret (the KEK is derived once) and the key's slot: the slot \
         index and the event log are in memory since the generate"
    );
    let writes = p.writes();
    let small = reads_for_sign(&mut p, &mut inst, &first.id);
    assert_eq!(small, 0, "warm: the key cached, the KEK in TA memory");
    assert_eq!(p.writes() - writes, 1, "warm: one write, the log entry");
    let second = gen_key_in(&mut p, &mut inst, &ME, "k1", policy());
    let cold_small = reads_for_sign(&mut p, &mut inst, &second.id);
    assert_eq!(cold_small, 1, "a key not cached: its slot");
    // each client holds at most its share; ten clients fill the store
    let per = MAX_KEYS_PER_CLIENT;
    let mut mine = None;
    for i in 2..MAX_KEYS {
        let owner = if i < per { ME } else { nth_client(i / per) };
        let seq = crate::audit::extent(&mut p, &mut inst.log)
            .unwrap()
            .next_seq;
        let before = (p.reads(), p.writes());
        let k = gen_key_in(&mut p, &mut inst, &owner, &format!("k{i}"), policy());
        let (reads, writes) = (p.reads() - before.0, p.writes() - before.1);
        assert_eq!(reads, 2, "key {i}: the policy and the secret");
        // the slot and the log entry (when a new log segment starts: the
        // full one archived, then the new one)
        let starts = seq % crate::audit::SEGMENT_ENTRIES as u64 == 0;
        assert_eq!(writes, if starts { 3 } else { 2 }, "key {i}");
        if i == 5 {
            mine = Some(k.id);
        }
        if i == per - 1 {
            let r = KeyGenerateRequest {
                v: 1,
                label: "over-quota".try_into().unwrap(),
                policy: policy(),
            };
            assert_eq!(
                generate(&mut p, &mut inst, &ME, &r).err(),
                Some(Error::KeyLimit(per))
            );
        }
    }
    assert_eq!(reads_for_sign(&mut p, &mut inst, &first.id), small);
    assert_eq!(
        reads_for_sign(&mut p, &mut inst, &mine.unwrap()),
        cold_small,
        "one slot at 1,000 keys too"
    );
    // 1,000 keys and a rolled-over log (1,000 key-generated entries): cfg,
    // secret, the key vault, the newest log segment and the older ones
    assert_eq!(p.object_count(), 5);
    let vault = crate::objects::key_vault().unwrap();
    let size = p.object_mut(&vault).unwrap().len();
    assert_eq!(size, HEADER_LEN + usize::from(MAX_KEYS) * SLOT_LEN);
    let r = KeyGenerateRequest {
        v: 1,
        label: "one-too-many".try_into().unwrap(),
        policy: policy(),
    };
    assert_eq!(
        generate(&mut p, &mut inst, &nth_client(200), &r).err(),
        Some(Error::KeyLimit(mfs_proto::MAX_KEYS))
    );
    // a fresh TA lifetime reads the slot index once, in fixed chunks
    let mut cold = Instance::default();
    let before = p.reads();
    assert_eq!(
        list(&mut p, &mut cold, &nth_client(3), 0).unwrap().total,
        per
    );
    let chunks = usize::from(MAX_KEYS).div_ceil(crate::store::keys::INDEX_CHUNK);
    let page = KEY_LIST_PAGE as u64;
    assert_eq!(
        p.reads() - before,
        1 + 1 + chunks as u64 + page,
        "the retired index, the header, the chunks, one slot per listed key"
    );
    // paging covers every key of a client once, and only its keys
    let mut seen = 0;
    let mut off = 0u16;
    loop {
        let page = list(&mut p, &mut cold, &nth_client(3), off).unwrap();
        assert_eq!(page.total, per);
        if page.keys.is_empty() {
            break;
        }
        seen += page.keys.len();
        off += u16::try_from(KEY_LIST_PAGE).unwrap();
    }
    assert_eq!(seen, usize::from(per));
    // a deleted key's slot is reused: the object does not grow
    let gone = list(&mut p, &mut cold, &nth_client(3), 0).unwrap().keys[0]
        .id
        .clone();
    delete(&mut p, &mut cold, &nth_client(3), &gone).unwrap();
    gen_key_in(&mut p, &mut cold, &nth_client(3), "again", policy());
    assert_eq!(p.object_mut(&vault).unwrap().len(), size);
}

#[test]
fn power_cuts_in_generate_and_delete_are_harmless() {
    for cut in 1..=2 {
        let mut p = provisioned();
        let mut inst = Instance::default();
        let keep = gen_key(&mut p, "keep", policy());
        p.cut_power_at(cut);
        let r = KeyGenerateRequest {
            v: 1,
            label: "new".try_into().unwrap(),
            policy: policy(),
        };
        assert_eq!(
            generate(&mut p, &mut Instance::default(), &ME, &r).err(),
            Some(Error::Storage)
        );
        p.power_on();
        // cut at the slot: no key; cut at the log entry: the key exists
        // (its id was never returned; the owner sees it listed)
        assert_eq!(
            list(&mut p, &mut Instance::default(), &ME, 0)
                .unwrap()
                .total,
            u16::try_from(cut).unwrap()
        );
        assert!(sign(&mut p, &mut inst, &ME, &sign_req(&keep.id, b"x")).is_ok());
        gen_key(&mut p, "after", policy());
        assert_eq!(
            list(&mut p, &mut Instance::default(), &ME, 0)
                .unwrap()
                .total,
            u16::try_from(cut + 1).unwrap()
        );
    }
    for cut in 1..=2 {
        let mut p = provisioned();
        let mut inst = Instance::default();
        let k = gen_key(&mut p, "del", policy());
        // cached before the delete: the cut delete forgets it all the same
        sign(&mut p, &mut inst, &ME, &sign_req(&k.id, b"x")).unwrap();
        p.cut_power_at(cut);
        assert_eq!(
            delete(&mut p, &mut inst, &ME, &k.id).err(),
            Some(Error::Storage)
        );
        p.power_on();
        let mut inst = Instance::default(); // the TA restarted too
        // a cut delete either did nothing or made the key unusable
        let usable = sign(&mut p, &mut inst, &ME, &sign_req(&k.id, b"x")).is_ok();
        assert_eq!(usable, cut == 1);
        // and a second delete completes it (the slot is one write: a key
        // is there or not)
        let again = delete(&mut p, &mut inst, &ME, &k.id);
        assert_eq!(again.is_ok(), usable, "cut at {cut}: {again:?}");
        assert_eq!(
            list(&mut p, &mut Instance::default(), &ME, 0)
                .unwrap()
                .total,
            0
        );
        assert_eq!(
            sign(&mut p, &mut inst, &ME, &sign_req(&k.id, b"x")).err(),
            Some(Error::KeyNotFound)
        );
    }
}

/// A key is its owner's alone: to another client it does not exist, and
/// the other client's own keys are just as invisible to the owner.
#[test]
fn other_clients_cannot_see_use_export_or_delete_a_key() {
    let mut p = provisioned();
    let mut inst = Instance::default();
    let exportable = KeyPolicy {
        exportable: true,
        ..policy()
    };
    let mine = gen_key(&mut p, "mine", exportable);
    let attest_policy = KeyPolicy::plain(mfs_proto::Purpose::Attest);
    let my_attest = gen_key(&mut p, "my-attest", attest_policy);
    let theirs = gen_key_for(&mut p, &OTHER, "theirs", exportable);
    for (who, own, foreign) in [(&ME, &mine, &theirs), (&OTHER, &theirs, &mine)] {
        let l = list(&mut p, &mut Instance::default(), who, 0).unwrap();
        assert!(l.keys.iter().all(|k| k.id != foreign.id), "{who:?}");
        assert!(l.keys.iter().any(|k| k.id == own.id), "{who:?}");
        assert_eq!(
            info(&mut p, &mut Instance::default(), who, &foreign.id).err(),
            Some(Error::KeyNotFound)
        );
        let req = sign_req(&foreign.id, b"m");
        assert_eq!(
            sign(&mut p, &mut inst, who, &req).err(),
            Some(Error::KeyNotFound)
        );
        let ch = mfs_proto::hex_string(&[1u8; 16]).unwrap();
        let att = KeyAttestRequest {
            v: 1,
            id: foreign.id.clone(),
            challenge: ch.clone(),
            attest_key: None,
        };
        assert_eq!(
            attest(&mut p, &mut inst, who, &att).err(),
            Some(Error::KeyNotFound)
        );
        assert_eq!(
            export(&mut p, &mut inst, who, &foreign.id).err(),
            Some(Error::KeyNotFound)
        );
        assert_eq!(
            delete(&mut p, &mut inst, who, &foreign.id).err(),
            Some(Error::KeyNotFound)
        );
        assert_eq!(
            info(&mut p, &mut Instance::default(), who, &own.id).unwrap(),
            *own
        );
    }
    assert_eq!(
        list(&mut p, &mut Instance::default(), &OTHER, 0)
            .unwrap()
            .total,
        1
    );
    assert_eq!(
        list(&mut p, &mut Instance::default(), &ME, 0)
            .unwrap()
            .total,
        2
    );
    // another client's attestation key cannot sign a statement for me
    let att = KeyAttestRequest {
        v: 1,
        id: theirs.id.clone(),
        challenge: mfs_proto::hex_string(&[1u8; 16]).unwrap(),
        attest_key: Some(my_attest.id.clone()),
    };
    assert_eq!(
        attest(&mut p, &mut inst, &OTHER, &att).err(),
        Some(Error::KeyNotFound)
    );
    // an exported blob comes back only for its owner (the admin included)
    let blob = export(&mut p, &mut inst, &OTHER, &theirs.id).unwrap().blob;
    delete(&mut p, &mut inst, &OTHER, &theirs.id).unwrap();
    let req = KeyImportRequest { v: 1, blob };
    assert_eq!(
        import(&mut p, &mut inst, &ME, &req).err(),
        Some(Error::BlobRejected)
    );
    assert_eq!(
        import(&mut p, &mut inst, &OTHER, &req).unwrap().id,
        theirs.id
    );
    assert_eq!(
        info(&mut p, &mut Instance::default(), &OTHER, &theirs.id)
            .unwrap()
            .id,
        theirs.id
    );
}

/// Writes keys in the earlier layout: a version-1 index of bare ids (keys
/// of versions before client isolation) or a version-2 index with owner
/// tags, and their buckets.
fn write_legacy_layout(
    p: &mut MemPlatform,
    keys: &[(KeyId, Option<crate::access::OwnerTag>, Vec<u8>)],
) {
    let v1 = keys.iter().all(|(_, o, _)| o.is_none());
    let mut index = vec![if v1 { 1u8 } else { 2 }];
    index.extend_from_slice(&u16::try_from(keys.len()).unwrap().to_le_bytes());
    for (id, owner, _) in keys {
        index.extend_from_slice(&id.0);
        if let Some(o) = owner {
            index.extend_from_slice(&o.0);
        }
    }
    p.write(&crate::objects::legacy_key_index().unwrap(), &index)
        .unwrap();
    for no in 0..32u8 {
        let in_bucket: Vec<_> = keys
            .iter()
            .filter(|(id, _, _)| id.0[0] % 32 == no)
            .collect();
        if in_bucket.is_empty() {
            continue;
        }
        let mut b = vec![1u8, u8::try_from(in_bucket.len()).unwrap()];
        for (_, _, blob) in in_bucket {
            b.extend_from_slice(&7u32.to_le_bytes());
            b.push(u8::try_from(blob.len()).unwrap());
            b.extend_from_slice(blob);
        }
        p.write(&crate::objects::legacy_key_bucket(no).unwrap(), &b)
            .unwrap();
    }
}

/// A sealed key of `owner` with id `id`.
fn sealed(p: &mut MemPlatform, id: KeyId, owner: crate::access::Owner, label: &str) -> Vec<u8> {
    use crate::seal::{Attributes, seal};
    let kek = crate::seal::kek(&crate::store::secret::load(p).unwrap());
    let secret = crate::crypto::random_secret_key(p).unwrap();
    let attrs = Attributes {
        id,
        policy: policy(),
        label: label.try_into().unwrap(),
        public_key: crate::crypto::sec1_uncompressed(&secret.public_key()).unwrap(),
        owner,
    };
    seal(p, &kek, &attrs, &secret).unwrap().to_vec()
}

/// State written before client isolation (a version-1 index of bare ids
/// and version-1 blobs without owner) is adopted by the admin identity:
/// the admin lists, uses and deletes it; no other client sees it.
#[test]
fn legacy_keys_are_adopted_by_the_admin_only() {
    let mut p = provisioned();
    let mut inst = Instance::default();
    let id = KeyId([0x41; 8]);
    let blob = sealed(&mut p, id, crate::access::Owner::Legacy, "old");
    assert_eq!(blob[0], 1, "a version-1 blob");
    write_legacy_layout(&mut p, &[(id, None, blob)]);
    let hex = id.hex().unwrap();
    assert_eq!(
        list(&mut p, &mut Instance::default(), &OTHER, 0)
            .unwrap()
            .total,
        0
    );
    assert_eq!(
        info(&mut p, &mut Instance::default(), &OTHER, &hex).err(),
        Some(Error::KeyNotFound)
    );
    assert_eq!(
        list(&mut p, &mut Instance::default(), &ME, 0)
            .unwrap()
            .total,
        1
    );
    assert!(sign(&mut p, &mut inst, &ME, &sign_req(&hex, b"m")).is_ok());
    let fresh = gen_key_in(&mut p, &mut inst, &ME, "new", policy());
    let l = list(&mut p, &mut Instance::default(), &ME, 0).unwrap();
    assert_eq!((l.total, l.keys[0].id.as_str()), (2, hex.as_str()));
    assert_eq!(l.keys[1].id, fresh.id);
    assert_eq!(
        delete(&mut p, &mut inst, &OTHER, &hex).err(),
        Some(Error::KeyNotFound)
    );
    delete(&mut p, &mut inst, &ME, &hex).unwrap();
    assert_eq!(
        list(&mut p, &mut Instance::default(), &ME, 0)
            .unwrap()
            .total,
        1
    );
}

/// Keys of the earlier layout (index + buckets) move into the vault on the
/// first key operation, with their owners and use counts; a power cut at
/// any write of the move loses or doubles no key, and afterwards only the
/// vault is left.
#[test]
fn the_earlier_layout_moves_into_the_vault_whatever_the_power_cuts() {
    let mut base = provisioned();
    let mut keys = Vec::new();
    for (i, who) in [(1u8, &ME), (2, &OTHER), (33, &ME)] {
        // ids 1 and 33 share bucket 1
        let id = KeyId([i; 8]);
        let blob = sealed(&mut base, id, who.owner(), &format!("k{i}"));
        keys.push((id, Some(who.tag()), blob));
    }
    // a bucket entry the index does not list (a cut generate) is dropped
    let stray = sealed(&mut base, KeyId([3; 8]), ME.owner(), "stray");
    let listed = keys.clone();
    keys.push((KeyId([3; 8]), Some(ME.tag()), stray));
    write_legacy_layout(&mut base, &keys);
    let index = crate::objects::legacy_key_index().unwrap();
    let mut v = base.read(&index).unwrap().unwrap();
    v[1] = 3;
    v.truncate(3 + 3 * 16);
    base.write(&index, &v).unwrap();
    let snap = base.snapshot();
    let check = |p: &mut MemPlatform| {
        let mine = list(p, &mut Instance::default(), &ME, 0).unwrap();
        let ids: Vec<_> = mine.keys.iter().map(|k| k.id.clone()).collect();
        let want: Vec<_> = [1u8, 33]
            .iter()
            .map(|i| KeyId([*i; 8]).hex().unwrap())
            .collect();
        assert_eq!(ids.len(), 2);
        assert!(want.iter().all(|w| ids.contains(w)), "{ids:?}");
        let theirs = list(p, &mut Instance::default(), &OTHER, 0).unwrap();
        assert_eq!(theirs.total, 1);
        let k = info(
            p,
            &mut Instance::default(),
            &OTHER,
            &KeyId([2; 8]).hex().unwrap(),
        )
        .unwrap();
        assert_eq!(k.uses, 7, "use counts move with the keys");
        assert_eq!(p.object_count(), 3, "cfg, secret and kv");
    };
    let mut clean = MemPlatform::new();
    clean.restore(&snap);
    check(&mut clean);
    assert!(listed.len() == 3);
    for cut in 1.. {
        let mut p = MemPlatform::new();
        p.restore(&snap);
        p.cut_power_at(cut);
        let r = list(&mut p, &mut Instance::default(), &ME, 0);
        p.power_on();
        check(&mut p);
        if r.is_ok() {
            break;
        }
        assert_eq!(r.err(), Some(Error::Storage), "cut at {cut}");
    }
}

/// Import is one write of the key's slot: a power cut leaves the key
/// either absent (import again) or present, counted and usable.
#[test]
fn power_cuts_in_import_never_leave_an_uncounted_key() {
    let exportable = KeyPolicy {
        exportable: true,
        ..policy()
    };
    for cut in 1..=2 {
        let mut p = provisioned();
        let mut inst = Instance::default();
        let k = gen_key(&mut p, "k", exportable);
        let blob = export(&mut p, &mut inst, &ME, &k.id).unwrap().blob;
        delete(&mut p, &mut inst, &ME, &k.id).unwrap();
        let req = KeyImportRequest { v: 1, blob };
        p.cut_power_at(cut);
        assert_eq!(
            import(&mut p, &mut inst, &ME, &req).err(),
            Some(Error::Storage),
            "cut at write {cut}"
        );
        p.power_on();
        let mut inst = Instance::default();
        let usable = sign(&mut p, &mut inst, &ME, &sign_req(&k.id, b"m")).is_ok();
        let counted = list(&mut p, &mut inst, &ME, 0).unwrap().total == 1;
        assert_eq!(usable, counted, "cut at write {cut}");
        assert_eq!(
            usable,
            cut == 2,
            "cut at write {cut}: the slot, then the log"
        );
        // importing again completes it, or finds it there
        let again = import(&mut p, &mut inst, &ME, &req);
        if usable {
            assert_eq!(again.err(), Some(Error::KeyExists));
        } else {
            assert_eq!(again.unwrap().id, k.id);
        }
        assert!(sign(&mut p, &mut inst, &ME, &sign_req(&k.id, b"m")).is_ok());
        assert_eq!(
            list(&mut p, &mut Instance::default(), &ME, 0)
                .unwrap()
                .total,
            1
        );
        assert_eq!(
            import(&mut p, &mut inst, &ME, &req).err(),
            Some(Error::KeyExists)
        );
    }
}

/// A hostile supplicant fails one write of a usage-limited `key-sign` (or
/// of a generate) and the TA runs on: no signature leaves without its use
/// counted and logged, the count never goes back, and the next call works.
#[test]
fn a_failed_write_in_key_flows_releases_nothing_uncounted() {
    let limited = KeyPolicy {
        max_uses: Some(50),
        exportable: false,
        ..policy()
    };
    for n in 1.. {
        let mut p = provisioned();
        let mut inst = Instance::default();
        let k = gen_key(&mut p, "lim", limited);
        sign(&mut p, &mut inst, &ME, &sign_req(&k.id, b"warm")).unwrap();
        let before = p.writes();
        p.fail_write_at(n);
        let r = sign(&mut p, &mut inst, &ME, &sign_req(&k.id, b"m"));
        let used = p.writes() - before;
        if r.is_ok() {
            assert!(used < n, "write {n} failed yet a signature left");
            break;
        }
        assert_eq!(r.err(), Some(Error::Storage), "write {n}");
        let next = sign(&mut p, &mut inst, &ME, &sign_req(&k.id, b"m")).unwrap();
        // warm use 1, the failed attempt's use may or may not have landed
        assert!((2..=3).contains(&next.uses), "write {n}: {}", next.uses);
        let (_, items) = crate::testkit::export(&mut p, &mut inst.log);
        let logged = items
            .iter()
            .filter(|i| i.0.kind == mfs_proto::log::EventKind::KeyUsed)
            .count();
        assert!(logged >= 2, "write {n}: every released use is logged");
    }
    for n in 1..=3 {
        let mut p = provisioned();
        let r = KeyGenerateRequest {
            v: 1,
            label: "new".try_into().unwrap(),
            policy: policy(),
        };
        p.fail_write_at(n);
        let got = generate(&mut p, &mut Instance::default(), &ME, &r);
        if let Ok(k) = &got {
            assert!(n > 2, "write {n} failed yet an id was returned: {k:?}");
            continue;
        }
        // the index never names a key that does not exist, and a retry works
        let listed = list(&mut p, &mut Instance::default(), &ME, 0)
            .unwrap()
            .total;
        assert!(listed <= 1, "write {n}");
        gen_key(&mut p, "after", policy());
    }
}
