//! Tests of the parent module.

use super::*;
use crate::mem::MemPlatform;
use crate::store::keys::BUCKETS;
use crate::testkit::{G, gen_key, key_platform as provisioned, sign_policy as policy, sign_req};
use alloc::vec::Vec;
use mfs_proto::MAX_KEYS;
use mfs_proto::{KeyPolicy, PinRule, hex_bytes};
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
    let r = sign(&mut p, &mut inst, &sign_req(&a.id, b"pay 10 EUR")).unwrap();
    assert!(verify(&a.public_key, b"pay 10 EUR", &r.signature));
    assert!(!verify(&b.public_key, b"pay 10 EUR", &r.signature));
    assert!(!verify(&a.public_key, b"pay 11 EUR", &r.signature));
    let l = list(&mut p, 0).unwrap();
    assert_eq!(l.total, 2);
    assert_eq!(l.keys[0].id, a.id);
    assert_eq!(l.keys[1].label.as_str(), "b");
    assert_eq!(info(&mut p, &a.id).unwrap(), a);
    delete(&mut p, &mut Instance::default(), &a.id).unwrap();
    assert_eq!(info(&mut p, &a.id).err(), Some(Error::KeyNotFound));
    assert_eq!(
        delete(&mut p, &mut Instance::default(), &a.id).err(),
        Some(Error::KeyNotFound)
    );
    assert_eq!(
        sign(&mut p, &mut inst, &sign_req(&a.id, b"x")).err(),
        Some(Error::KeyNotFound)
    );
    assert_eq!(list(&mut p, 0).unwrap().total, 1);
    // secrets are not printable
    let kk = crate::seal::kek(&crate::store::secret::load(&mut p).unwrap());
    let loaded = load(&mut p, KeyId::parse(&b.id).unwrap(), &kk)
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
        assert_eq!(sign(&mut p, &mut inst, &req).err(), Some(want));
    }
    let mut odd = sign_req(&k.id, b"x");
    odd.message.push('a').unwrap();
    assert_eq!(sign(&mut p, &mut inst, &odd).err(), Some(Error::BadRequest));
    let bad_label = KeyGenerateRequest {
        v: 1,
        label: "no spaces".try_into().unwrap(),
        policy: policy(),
    };
    assert_eq!(
        generate(&mut p, &mut Instance::default(), &bad_label).err(),
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
        generate(&mut p, &mut Instance::default(), &expired).err(),
        Some(Error::InvalidArgument)
    );
    let mut unprov = MemPlatform::new();
    assert_eq!(
        generate(
            &mut unprov,
            &mut Instance::default(),
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
    let att = gen_key(
        &mut p,
        "att",
        KeyPolicy {
            purpose: Purpose::Attest,
            ..policy()
        },
    );
    assert_eq!(
        sign(&mut p, &mut inst, &sign_req(&att.id, b"m")).err(),
        v(PolicyReason::Purpose)
    );
    // PIN per use: never through plain signing
    let per_use = gen_key(
        &mut p,
        "pu",
        KeyPolicy {
            pin: PinRule::PerUse,
            ..policy()
        },
    );
    inst.pin.last_verified_ms = Some(0);
    assert_eq!(
        sign(&mut p, &mut inst, &sign_req(&per_use.id, b"m")).err(),
        v(PolicyReason::PinPerUse)
    );
    // PIN window
    let win = gen_key(
        &mut p,
        "win",
        KeyPolicy {
            pin: PinRule::Window,
            pin_window_s: 60,
            ..policy()
        },
    );
    let mut fresh = Instance::default();
    assert_eq!(
        sign(&mut p, &mut fresh, &sign_req(&win.id, b"m")).err(),
        v(PolicyReason::PinWindow)
    );
    p.advance_ms(1_000);
    inst.pin.last_verified_ms = Some(p.now_ms());
    p.advance_ms(60_000);
    assert!(sign(&mut p, &mut inst, &sign_req(&win.id, b"m")).is_ok());
    p.advance_ms(1);
    assert_eq!(
        sign(&mut p, &mut inst, &sign_req(&win.id, b"m")).err(),
        v(PolicyReason::PinWindow)
    );
    // usage limit, counted in storage
    let lim = gen_key(
        &mut p,
        "lim",
        KeyPolicy {
            max_uses: Some(2),
            exportable: false,
            ..policy()
        },
    );
    assert_eq!(
        sign(&mut p, &mut inst, &sign_req(&lim.id, b"1"))
            .unwrap()
            .uses,
        1
    );
    assert_eq!(
        sign(&mut p, &mut inst, &sign_req(&lim.id, b"2"))
            .unwrap()
            .uses,
        2
    );
    assert_eq!(
        sign(&mut p, &mut inst, &sign_req(&lim.id, b"3")).err(),
        v(PolicyReason::UsageExhausted)
    );
    assert_eq!(info(&mut p, &lim.id).unwrap().uses, 2);
    assert_eq!(
        export(&mut p, &mut Instance::default(), &lim.id).err(),
        v(PolicyReason::NotExportable)
    );
    // expiry on the REE clock
    let exp = gen_key(
        &mut p,
        "exp",
        KeyPolicy {
            not_after: Some(1_800_000_010),
            ..policy()
        },
    );
    p.set_ree_time_s(1_800_000_010);
    assert!(sign(&mut p, &mut inst, &sign_req(&exp.id, b"m")).is_ok());
    p.set_ree_time_s(1_800_000_011);
    assert_eq!(
        sign(&mut p, &mut inst, &sign_req(&exp.id, b"m")).err(),
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
        sign(&mut p, &mut inst, &sign_req(&lim.id, b"1")).err(),
        Some(Error::Storage)
    );
    p.power_on();
    assert_eq!(info(&mut p, &lim.id).unwrap().uses, 0);
    // unlimited keys write only their event-log entry
    let free = gen_key(&mut p, "free", policy());
    let before = p.writes();
    sign(&mut p, &mut inst, &sign_req(&free.id, b"x")).unwrap();
    assert_eq!(p.writes(), before + 1);
}

#[test]
fn export_import_same_instance_only() {
    let mut p = provisioned();
    let mut inst = Instance::default();
    let k = gen_key(&mut p, "backup", policy());
    let blob = export(&mut p, &mut Instance::default(), &k.id)
        .unwrap()
        .blob;
    let imp = KeyImportRequest {
        v: 1,
        blob: blob.clone(),
    };
    assert_eq!(
        import(&mut p, &mut Instance::default(), &imp).err(),
        Some(Error::KeyExists)
    );
    delete(&mut p, &mut Instance::default(), &k.id).unwrap();
    assert_eq!(import(&mut p, &mut Instance::default(), &imp).unwrap(), k);
    let r = sign(&mut p, &mut inst, &sign_req(&k.id, b"again")).unwrap();
    assert!(verify(&k.public_key, b"again", &r.signature));
    // flipped bits, truncation, garbage
    let raw: Vec<u8> = (0..blob.len() / 2)
        .map(|i| u8::from_str_radix(&blob[2 * i..2 * i + 2], 16).unwrap())
        .collect();
    delete(&mut p, &mut Instance::default(), &k.id).unwrap();
    for i in [0, 5, 20, 40, 100, raw.len() - 1] {
        let mut t = raw.clone();
        t[i] ^= 0x10;
        let req = KeyImportRequest {
            v: 1,
            blob: hex_string(&t).unwrap(),
        };
        assert_eq!(
            import(&mut p, &mut Instance::default(), &req).err(),
            Some(Error::BlobRejected),
            "{i}"
        );
    }
    let short = KeyImportRequest {
        v: 1,
        blob: hex_string(&raw[..10]).unwrap(),
    };
    assert_eq!(
        import(&mut p, &mut Instance::default(), &short).err(),
        Some(Error::BlobRejected)
    );
    // another TA instance (another secret) refuses it
    let mut q = MemPlatform::new();
    q.random(&mut [0u8; 7]).unwrap();
    Config::new(5, 0, G).unwrap().provision(&mut q).unwrap();
    assert_eq!(
        import(&mut q, &mut Instance::default(), &imp).err(),
        Some(Error::BlobRejected)
    );
}

#[test]
fn attestation_statement_verifies() {
    let mut p = provisioned();
    let mut inst = Instance::default();
    let k = gen_key(&mut p, "pay", policy());
    let req = KeyAttestRequest {
        v: 1,
        id: k.id.clone(),
        challenge: hex_string(b"server-challenge").unwrap(),
        attest_key: None,
    };
    let a = attest(&mut p, &mut inst, &req).unwrap();
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
    let again = attest(&mut p, &mut inst, &req).unwrap();
    assert_eq!(again.attestation_key, a.attestation_key);
    assert_eq!(list(&mut p, 0).unwrap().total, 1);
    // an attest-purpose key can sign statements; a sign key cannot
    let ak = gen_key(
        &mut p,
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
        attest(&mut p, &mut inst, &with).unwrap().attestation_key,
        ak.public_key
    );
    let with_sign_key = KeyAttestRequest {
        attest_key: Some(k.id.clone()),
        ..req.clone()
    };
    assert_eq!(
        attest(&mut p, &mut inst, &with_sign_key).err(),
        Some(Error::PolicyViolation(PolicyReason::Purpose))
    );
    // attestation statements cannot be forged through KeySign
    assert_eq!(
        sign(&mut p, &mut inst, &sign_req(&k.id, &st)).err(),
        Some(Error::InvalidArgument)
    );
}

#[test]
fn tampered_stored_key_is_rejected() {
    let mut p = provisioned();
    let mut inst = Instance::default();
    let k = gen_key(&mut p, "t", policy());
    let id = KeyId::parse(&k.id).unwrap();
    let oid = crate::objects::key_bucket(Bucket::of(id)).unwrap();
    let clean = p.object_mut(&oid).unwrap().clone();
    // the tag (last byte), the label, the policy: each refused
    for at in [clean.len() - 1, 2 + 5 + 29, 2 + 5 + 12] {
        let obj = p.object_mut(&oid).unwrap();
        obj[at] ^= 1;
        assert_eq!(
            sign(&mut p, &mut inst, &sign_req(&k.id, b"x")).err(),
            Some(Error::BlobRejected),
            "byte {at}"
        );
        *p.object_mut(&oid).unwrap() = clean.clone();
    }
    // a changed id in the header: the key is no longer found
    p.object_mut(&oid).unwrap()[2 + 5 + 1] ^= 1;
    assert_eq!(
        sign(&mut p, &mut inst, &sign_req(&k.id, b"x")).err(),
        Some(Error::KeyNotFound)
    );
    // a damaged bucket record structure is a storage failure
    *p.object_mut(&oid).unwrap() = clean[..clean.len() - 1].to_vec();
    assert_eq!(info(&mut p, &k.id).err(), Some(Error::Storage));
    *p.object_mut(&oid).unwrap() = clean;
    assert!(sign(&mut p, &mut inst, &sign_req(&k.id, b"x")).is_ok());
}

#[test]
fn key_limit_and_cost_independent_of_count() {
    let mut p = provisioned();
    let mut inst = Instance::default();
    let first = gen_key(&mut p, "k0", policy());
    let mut reads_for_sign = |p: &mut MemPlatform| {
        let before = p.reads();
        sign(p, &mut inst, &sign_req(&first.id, b"m")).unwrap();
        p.reads() - before
    };
    assert_eq!(
        reads_for_sign(&mut p),
        4,
        "the secret and the event log (once), and one bucket"
    );
    let small = reads_for_sign(&mut p);
    for i in 1..MAX_KEYS {
        gen_key(&mut p, &format!("k{i}"), policy());
    }
    assert_eq!(reads_for_sign(&mut p), small);
    assert_eq!(small, 1, "one bucket, the KEK stays in TA memory");
    // the TA never owns more than cfg, secret, index, the buckets and
    // the event log (here rolled over: 1,000 key-generated entries)
    let log_objects = 1 + crate::audit::SEGMENTS;
    assert_eq!(p.object_count(), 3 + usize::from(BUCKETS) + log_objects);
    let r = KeyGenerateRequest {
        v: 1,
        label: "one-too-many".try_into().unwrap(),
        policy: policy(),
    };
    assert_eq!(
        generate(&mut p, &mut Instance::default(), &r).err(),
        Some(Error::KeyLimit)
    );
    // paging covers every key once
    let mut seen = 0;
    let mut off = 0u16;
    loop {
        let page = list(&mut p, off).unwrap();
        assert_eq!(page.total, MAX_KEYS);
        if page.keys.is_empty() {
            break;
        }
        seen += page.keys.len();
        off += u16::try_from(KEY_LIST_PAGE).unwrap();
    }
    assert_eq!(seen, usize::from(MAX_KEYS));
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
            generate(&mut p, &mut Instance::default(), &r).err(),
            Some(Error::Storage)
        );
        p.power_on();
        // the index never names a key that does not exist
        assert_eq!(list(&mut p, 0).unwrap().total, 1);
        assert!(sign(&mut p, &mut inst, &sign_req(&keep.id, b"x")).is_ok());
        gen_key(&mut p, "after", policy());
        assert_eq!(list(&mut p, 0).unwrap().total, 2);
    }
    for cut in 1..=2 {
        let mut p = provisioned();
        let mut inst = Instance::default();
        let k = gen_key(&mut p, "del", policy());
        p.cut_power_at(cut);
        assert_eq!(
            delete(&mut p, &mut Instance::default(), &k.id).err(),
            Some(Error::Storage)
        );
        p.power_on();
        // a cut delete either did nothing or made the key unusable
        let usable = sign(&mut p, &mut inst, &sign_req(&k.id, b"x")).is_ok();
        assert_eq!(usable, cut == 1);
        // and a second delete always completes it
        delete(&mut p, &mut Instance::default(), &k.id).unwrap();
        assert_eq!(list(&mut p, 0).unwrap().total, 0);
        assert_eq!(
            sign(&mut p, &mut inst, &sign_req(&k.id, b"x")).err(),
            Some(Error::KeyNotFound)
        );
    }
}
