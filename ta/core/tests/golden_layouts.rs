//! Stored layouts pinned byte for byte.
//!
//! Drives the TA through its public entry point (`mfs_core::invoke`) on the
//! deterministic in-memory platform — provisioning, a PIN, a key with a
//! usage limit, an attestation, a consent signature and enough events to
//! roll the log into a second segment — then compares every persistent
//! object with the bytes recorded when the layouts were fixed. Each object
//! type is covered: `secret`, `cfg`, `pn/<tag>` (the PIN records of the
//! admin and of a second client), `kv` (one slot, a version-2 blob),
//! `attest`, `txctr`, `lg`, `la`. The earlier key layout (`keys` and
//! `kb/<nn>`, version-1 blobs before client isolation) is still read and
//! moved into `kv`: see the unit tests
//! `the_earlier_layout_moves_into_the_vault_whatever_the_power_cuts` and
//! `legacy_keys_are_adopted_by_the_admin_only`; the legacy `pin` object by
//! `a_legacy_pin_is_adopted_by_the_admin_only`.
//!
//! A failure here means a change would alter what is on a device: either
//! that is a mistake, or it is a new layout version, which needs a migration
//! and a new golden value (never an edit of the old one).
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::collections::BTreeMap;
use std::fmt::Write as _;

use mfs_core::access::{AdminPolicy, ClientIdentity, LINUX_ROOT_USER_UUID};
use mfs_core::mem::MemPlatform;
use mfs_core::pack::{PackState, Packed, is_packed};
use mfs_core::platform::Platform;
use mfs_core::{Instance, Session, invoke};
use mfs_proto::client::PinChannel;
use mfs_proto::pin::Pin;
use mfs_proto::{
    Command, KeyInfoReply, Login, MAX_REPLY_LEN, PinSessionReply, Status, TxSignReply, decode,
};
use p256::SecretKey;
use p256::elliptic_curve::sec1::ToSec1Point;

fn hex(b: &[u8]) -> String {
    mfs_proto::Hex(b).to_string()
}

struct Ta {
    p: MemPlatform,
    inst: Instance,
    s: Session,
}

impl Ta {
    fn call(&mut self, cmd: Command, req: &str) -> Vec<u8> {
        let mut out = [0u8; MAX_REPLY_LEN];
        let r = invoke(
            &mut self.p,
            &mut self.inst,
            &mut self.s,
            cmd as u32,
            req.as_bytes(),
            &mut out,
        );
        assert_eq!(r.status, Status::Ok, "{cmd:?} {req}");
        out[..r.len].to_vec()
    }

    /// Opens a PIN session and returns `client_key` and `block` fields
    /// for `pin`, with a fixed client key.
    fn pin_fields(&mut self, pin: &str) -> String {
        let reply: PinSessionReply = decode(&self.call(Command::PinSession, r#"{"v":1}"#)).unwrap();
        let channel = PinChannel::from_reply(&reply, &[0x11; 32], None).unwrap();
        let r = channel.request(&Pin::new(pin).unwrap(), [5; 8]);
        format!(
            r#""client_key":"{}","block":"{}","pan":null"#,
            r.client_key, r.block
        )
    }
}

/// Every object after the scripted run, by id.
fn run() -> BTreeMap<String, String> {
    let mut p = MemPlatform::new();
    p.set_ree_time_s(1_700_000_000);
    let client = ClientIdentity {
        login: Login::User,
        uuid: LINUX_ROOT_USER_UUID,
    };
    let mut ta = Ta {
        p,
        inst: Instance::default(),
        s: Session::open(client, &AdminPolicy::ROOT_USER),
    };
    let issuer = SecretKey::from_slice(&[0x42; 32]).unwrap();
    let issuer = hex(issuer.public_key().to_sec1_point(false).as_bytes());
    ta.call(
        Command::Provision,
        &format!(r#"{{"v":1,"pin_max_tries":5,"pin_throttle_ms":250,"issuer_key":"{issuer}"}}"#),
    );
    let f = ta.pin_fields("1234");
    ta.call(Command::PinSet, &format!(r#"{{"v":1,{f}}}"#));
    let policy = r#"{"purpose":"sign","pin":"none","pin_window_s":0,"max_uses":1000,"not_after":null,"exportable":false}"#;
    let key: KeyInfoReply = decode(&ta.call(
        Command::KeyGenerate,
        &format!(r#"{{"v":1,"label":"golden","policy":{policy}}}"#),
    ))
    .unwrap();
    let id = key.id.as_str().to_owned();
    ta.call(
        Command::KeyAttest,
        &format!(r#"{{"v":1,"id":"{id}","challenge":"00112233","attest_key":null}}"#),
    );
    let f = ta.pin_fields("1234");
    let tx: TxSignReply = decode(&ta.call(
        Command::TxSign,
        &format!(
            r#"{{"v":1,"id":"{id}",{f},"record":{{"amount":1250,"currency":"EUR","payee":"ACME","display":"Pay 12.50 EUR to ACME?","challenge":"{}","time":1700000000}}}}"#,
            "ab".repeat(16)
        ),
    ))
    .unwrap();
    assert_eq!(tx.counter, 1);
    // Enough signatures to start the log's second segment (and so `log`).
    for _ in 0..130 {
        ta.call(
            Command::KeySign,
            &format!(r#"{{"v":1,"id":"{id}","message":"0102"}}"#),
        );
    }
    // A second client (not the admin) with its own PIN record `pn/<tag>`.
    let uid1000 = ClientIdentity {
        login: Login::User,
        uuid: [0x10; 16],
    };
    ta.s = Session::open(uid1000, &AdminPolicy::ROOT_USER);
    let f = ta.pin_fields("5678");
    ta.call(Command::PinSet, &format!(r#"{{"v":1,{f}}}"#));
    let mut out = BTreeMap::new();
    for oid in ta.p.object_ids().unwrap() {
        let name = String::from_utf8(oid.as_bytes().to_vec()).unwrap();
        let bytes = ta.p.read(&oid).unwrap().unwrap();
        out.insert(name, hex(&bytes));
    }
    // The objects packed into `st`, each as its slot holds it.
    let mut state = PackState::default();
    let mut packed = Packed::new(&mut ta.p, &mut state);
    for oid in packed.object_ids().unwrap() {
        if !is_packed(&oid) {
            continue;
        }
        let name = String::from_utf8(oid.as_bytes().to_vec()).unwrap();
        let bytes = packed.read(&oid).unwrap().unwrap();
        out.insert(format!("st:{name}"), hex(&bytes));
    }
    out
}

/// SHA-1 is enough to pin long objects (log segments) in a readable test.
fn digest(hex_text: &str) -> String {
    use sha1::Digest;
    hex(&sha1::Sha1::digest(hex_text.as_bytes()))
}

#[test]
fn every_stored_object_keeps_its_layout() {
    let objects = run();
    let mut actual = String::new();
    for (name, bytes) in &objects {
        if bytes.len() > 2000 {
            writeln!(
                actual,
                "{name} len={} sha1={}",
                bytes.len() / 2,
                digest(bytes)
            )
            .unwrap();
        } else {
            writeln!(actual, "{name} {bytes}").unwrap();
        }
    }
    let golden = include_str!("golden_layouts.txt");
    assert_eq!(actual, golden, "stored layouts changed; actual:\n{actual}");
}

#[test]
fn short_objects_have_their_documented_shape() {
    let objects = run();
    let len = |n: &str| objects[n].len() / 2;
    let first = |n: &str| &objects[n][..2];
    // `[version] ‖ secret(32)`
    assert_eq!((len("st:secret"), first("st:secret")), (33, "01"));
    // `[version] ‖ tries ‖ throttle (u32 LE) ‖ issuer key (65)`
    // `[2] ‖ … ‖ storage kind (1 REE FS) ‖ flags (0: development)`
    assert_eq!((len("st:cfg"), first("st:cfg")), (73, "02"));
    assert!(objects["st:cfg"].ends_with("0100"));
    assert_eq!(&objects["st:cfg"][2..12], "05fa000000");
    // `[2] ‖ max ‖ left ‖ pending ‖ salt(16) ‖ hash(32)`
    // (each client's PIN record is `pn/<owner tag>`, the admin's too)
    let pn: Vec<_> = objects.keys().filter(|k| k.starts_with("st:pn/")).collect();
    assert_eq!(pn.len(), 2);
    for name in &pn {
        assert_eq!(
            (name.len(), len(name), &objects[*name][..6]),
            (22, 52, "020505")
        );
    }
    assert!(
        !objects.contains_key("st:pin"),
        "a new PIN never takes the legacy name"
    );
    // every small object in one: `st`, fixed-size slots after a header
    assert_eq!(
        (len("st"), &objects["st"][..16]),
        (1472, "0101000000000000")
    );
    assert!(
        ["secret", "cfg", "attest"]
            .iter()
            .all(|n| !objects.contains_key(*n))
    );
    assert!(!objects.keys().any(|k| k.starts_with("pn/")));
    // `[1] ‖ state (1 ready) ‖ slot length (u16 LE, 228) ‖ 0(4)`, then one
    // slot: `[1] ‖ id ‖ owner tag ‖ uses (u32 LE) ‖ blob length ‖ blob ‖ 0…`
    assert_eq!(
        (len("kv"), &objects["kv"][..16]),
        (8 + 228, "0101e40000000000")
    );
    assert_eq!(&objects["kv"][16..18], "01");
    assert!(!objects.contains_key("keys") && !objects.keys().any(|k| k.starts_with("kb/")));
    // `[version] ‖ counter (u64 BE)`
    assert_eq!(objects["txctr"], "010000000000000001");
    // the newest log segment `[1] ‖ k (u64 BE) ‖ …`; the older ones in
    // regions of `la` after an 8-byte header: `length (u16 LE) ‖ [1] ‖ k …`
    assert_eq!(&objects["lg"][..18], "010000000000000001");
    assert_eq!(&objects["la"][..16], "0100000000000000");
    assert_eq!(&objects["la"][20..38], "010000000000000000");
    assert!(!objects.contains_key("log") && !objects.keys().any(|k| k.starts_with("lg/")));
}
