//! Tests of the parent module.

use super::*;
use crate::mem::MemPlatform;
use crate::store::keys::BUCKETS;
use crate::testkit::{
    G, ME, OTHER, gen_key, gen_key_for, key_platform as provisioned, nth_client,
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
    let l = list(&mut p, &ME, 0).unwrap();
    assert_eq!(l.total, 2);
    assert_eq!(l.keys[0].id, a.id);
    assert_eq!(l.keys[1].label.as_str(), "b");
    assert_eq!(info(&mut p, &ME, &a.id).unwrap(), a);
    // the same instance signed with it (the key is cached): a delete
    // makes it unusable at once
    delete(&mut p, &mut inst, &ME, &a.id).unwrap();
    assert_eq!(info(&mut p, &ME, &a.id).err(), Some(Error::KeyNotFound));
    assert_eq!(
        delete(&mut p, &mut inst, &ME, &a.id).err(),
        Some(Error::KeyNotFound)
    );
    assert_eq!(
        sign(&mut p, &mut inst, &ME, &sign_req(&a.id, b"x")).err(),
        Some(Error::KeyNotFound)
    );
    assert_eq!(list(&mut p, &ME, 0).unwrap().total, 1);
    // secrets are not printable
    let kk = crate::seal::kek(&crate::store::secret::load(&mut p).unwrap());
    let loaded = load(&mut p, &ME, KeyId::parse(&b.id).unwrap(), &kk)
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
    let att = gen_key(
        &mut p,
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
    let per_use = gen_key(
        &mut p,
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
    assert_eq!(info(&mut p, &ME, &lim.id).unwrap().uses, 2);
    assert_eq!(
        export(&mut p, &mut Instance::default(), &ME, &lim.id).err(),
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
    assert_eq!(info(&mut p, &ME, &lim.id).unwrap().uses, 0);
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
    let k = gen_key(&mut p, "pay", policy());
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
    assert_eq!(list(&mut p, &ME, 0).unwrap().total, 1);
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
    let id = KeyId::parse(&k.id).unwrap();
    let oid = crate::objects::key_bucket(Bucket::of(id)).unwrap();
    let clean = p.object_mut(&oid).unwrap().clone();
    // the tag (last byte), the label, the policy: each refused
    for at in [clean.len() - 1, 2 + 5 + 29, 2 + 5 + 12] {
        let obj = p.object_mut(&oid).unwrap();
        obj[at] ^= 1;
        assert_eq!(
            sign(&mut p, &mut inst, &ME, &sign_req(&k.id, b"x")).err(),
            Some(Error::BlobRejected),
            "byte {at}"
        );
        *p.object_mut(&oid).unwrap() = clean.clone();
    }
    // a changed id in the header: the key is no longer found
    p.object_mut(&oid).unwrap()[2 + 5 + 1] ^= 1;
    assert_eq!(
        sign(&mut p, &mut inst, &ME, &sign_req(&k.id, b"x")).err(),
        Some(Error::KeyNotFound)
    );
    // a damaged bucket record structure is a storage failure
    *p.object_mut(&oid).unwrap() = clean[..clean.len() - 1].to_vec();
    assert_eq!(info(&mut p, &ME, &k.id).err(), Some(Error::Storage));
    *p.object_mut(&oid).unwrap() = clean;
    assert!(sign(&mut p, &mut inst, &ME, &sign_req(&k.id, b"x")).is_ok());
}

#[test]
fn key_limit_and_cost_independent_of_count() {
    let mut p = provisioned();
    let mut inst = Instance::default();
    let first = gen_key(&mut p, "k0", policy());
    let mut reads_for_sign = |p: &mut MemPlatform, id: &str| {
        let before = p.reads();
        sign(p, &mut inst, &ME, &sign_req(id, b"m")).unwrap();
        p.reads() - before
    };
    assert_eq!(
        reads_for_sign(&mut p, &first.id),
        5,
        "the secret and the event log (once: head, segment, refusal tally), and one bucket"
    );
    let writes = p.writes();
    let small = reads_for_sign(&mut p, &first.id);
    assert_eq!(small, 0, "warm: the key cached, the KEK in TA memory");
    assert_eq!(p.writes() - writes, 1, "warm: one write, the log entry");
    let second = gen_key(&mut p, "k1", policy());
    let cold_small = reads_for_sign(&mut p, &second.id);
    assert_eq!(cold_small, 1, "a key not cached: one bucket");
    // each client holds at most its share; ten clients fill the store
    let per = MAX_KEYS_PER_CLIENT;
    let mut mine = None;
    for i in 2..MAX_KEYS {
        let owner = if i < per { ME } else { nth_client(i / per) };
        let k = gen_key_for(&mut p, &owner, &format!("k{i}"), policy());
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
                generate(&mut p, &mut Instance::default(), &ME, &r).err(),
                Some(Error::KeyLimit(per))
            );
        }
    }
    assert_eq!(reads_for_sign(&mut p, &first.id), small);
    assert_eq!(
        reads_for_sign(&mut p, &mine.unwrap()),
        cold_small,
        "one bucket at 1,000 keys too"
    );
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
        generate(&mut p, &mut Instance::default(), &nth_client(200), &r).err(),
        Some(Error::KeyLimit(mfs_proto::MAX_KEYS))
    );
    // paging covers every key of a client once, and only its keys
    let mut seen = 0;
    let mut off = 0u16;
    loop {
        let page = list(&mut p, &nth_client(3), off).unwrap();
        assert_eq!(page.total, per);
        if page.keys.is_empty() {
            break;
        }
        seen += page.keys.len();
        off += u16::try_from(KEY_LIST_PAGE).unwrap();
    }
    assert_eq!(seen, usize::from(per));
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
        // the index never names a key that does not exist
        assert_eq!(list(&mut p, &ME, 0).unwrap().total, 1);
        assert!(sign(&mut p, &mut inst, &ME, &sign_req(&keep.id, b"x")).is_ok());
        gen_key(&mut p, "after", policy());
        assert_eq!(list(&mut p, &ME, 0).unwrap().total, 2);
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
        // and a second delete (by the instance that has the key cached)
        // always completes it
        delete(&mut p, &mut inst, &ME, &k.id).unwrap();
        assert_eq!(list(&mut p, &ME, 0).unwrap().total, 0);
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
        let l = list(&mut p, who, 0).unwrap();
        assert!(l.keys.iter().all(|k| k.id != foreign.id), "{who:?}");
        assert!(l.keys.iter().any(|k| k.id == own.id), "{who:?}");
        assert_eq!(
            info(&mut p, who, &foreign.id).err(),
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
        assert_eq!(info(&mut p, who, &own.id).unwrap(), *own);
    }
    assert_eq!(list(&mut p, &OTHER, 0).unwrap().total, 1);
    assert_eq!(list(&mut p, &ME, 0).unwrap().total, 2);
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
    assert_eq!(info(&mut p, &OTHER, &theirs.id).unwrap().id, theirs.id);
}

/// State written before client isolation (a version-1 index of bare ids
/// and version-1 blobs without owner) is adopted by the admin identity:
/// the admin lists, uses and deletes it; no other client sees it; the
/// index is rewritten as version 2 on its next change.
#[test]
fn legacy_keys_are_adopted_by_the_admin_only() {
    use crate::access::Owner;
    use crate::seal::{Attributes, seal};
    use crate::store::keys::Bucket;
    let mut p = provisioned();
    let mut inst = Instance::default();
    let kek = crate::seal::kek(&crate::store::secret::load(&mut p).unwrap());
    let secret = crate::crypto::random_secret_key(&mut p).unwrap();
    let id = KeyId([0x41; 8]);
    let attrs = Attributes {
        id,
        policy: policy(),
        label: "old".try_into().unwrap(),
        public_key: crate::crypto::sec1_uncompressed(&secret.public_key()).unwrap(),
        owner: Owner::Legacy,
    };
    let blob = seal(&mut p, &kek, &attrs, &secret).unwrap();
    assert_eq!(blob[0], 1, "a version-1 blob");
    let mut bucket = Bucket::load(&mut p, Bucket::of(id)).unwrap();
    bucket.entries.push((0, blob));
    bucket.store(&mut p).unwrap();
    let index = crate::objects::key_index().unwrap();
    let mut v1 = vec![1u8, 1, 0];
    v1.extend_from_slice(&id.0);
    p.write(&index, &v1).unwrap();
    let hex = id.hex().unwrap();
    assert_eq!(list(&mut p, &OTHER, 0).unwrap().total, 0);
    assert_eq!(info(&mut p, &OTHER, &hex).err(), Some(Error::KeyNotFound));
    assert_eq!(list(&mut p, &ME, 0).unwrap().total, 1);
    assert!(sign(&mut p, &mut inst, &ME, &sign_req(&hex, b"m")).is_ok());
    // a new key of the admin rewrites the index as version 2, legacy kept
    let fresh = gen_key(&mut p, "new", policy());
    assert_eq!(p.read(&index).unwrap().unwrap()[0], 2);
    let l = list(&mut p, &ME, 0).unwrap();
    assert_eq!((l.total, l.keys[0].id.as_str()), (2, hex.as_str()));
    assert_eq!(l.keys[1].id, fresh.id);
    assert_eq!(
        delete(&mut p, &mut inst, &OTHER, &hex).err(),
        Some(Error::KeyNotFound)
    );
    delete(&mut p, &mut inst, &ME, &hex).unwrap();
    assert_eq!(list(&mut p, &ME, 0).unwrap().total, 1);
}

/// Import writes the index before the bucket: a power cut at either write
/// never leaves a usable key that is not counted (the id is known to the
/// caller from the blob), and importing again completes a cut import.
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
        let counted = crate::store::keys::Index::load(&mut p)
            .unwrap()
            .contains(KeyId::parse(&k.id).unwrap());
        assert!(
            !usable || counted,
            "cut at write {cut}: usable, not counted"
        );
        assert!(!usable, "cut at write {cut}: the bucket is written last");
        // importing again completes it
        assert_eq!(import(&mut p, &mut inst, &ME, &req).unwrap().id, k.id);
        assert!(sign(&mut p, &mut inst, &ME, &sign_req(&k.id, b"m")).is_ok());
        assert_eq!(list(&mut p, &ME, 0).unwrap().total, 1);
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
        let listed = list(&mut p, &ME, 0).unwrap().total;
        assert!(listed <= 1, "write {n}");
        gen_key(&mut p, "after", policy());
    }
}
