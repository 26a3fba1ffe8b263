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
    /// The status and reply of one command.
    fn invoke(&mut self, cmd: Command, req: &str) -> (Status, Vec<u8>) {
        let mut out = [0u8; MAX_REPLY_LEN];
        let r = invoke(
            &mut self.p,
            &mut self.inst,
            &mut self.s,
            cmd as u32,
            req.as_bytes(),
            &mut out,
        );
        (r.status, out[..r.len].to_vec())
    }

    fn call(&mut self, cmd: Command, req: &str) -> Vec<u8> {
        let (status, reply) = self.invoke(cmd, req);
        assert_eq!(status, Status::Ok, "{cmd:?} {req}");
        reply
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

/// A provisioned TA (throttle `throttle_ms`), the root user's session.
fn provisioned(throttle_ms: u32) -> Ta {
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
        &format!(
            r#"{{"v":1,"pin_max_tries":5,"pin_throttle_ms":{throttle_ms},"issuer_key":"{issuer}"}}"#
        ),
    );
    ta
}

/// Every object after the scripted run, by id.
fn run() -> BTreeMap<String, String> {
    let mut ta = provisioned(250);
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
    // `[3] ‖ max ‖ left ‖ pending ‖ pending seq (u32 LE) ‖ salt(16) ‖
    // hash(32)` (each client's PIN record is `pn/<owner tag>`, the
    // admin's too); the admin's last check (a consent signing) is still
    // pending in storage: its `pin-verified` entry commits it
    let pn: Vec<_> = objects.keys().filter(|k| k.starts_with("st:pn/")).collect();
    assert_eq!(pn.len(), 2);
    for name in &pn {
        assert_eq!(
            (name.len(), len(name), &objects[*name][..4]),
            (22, 56, "0305")
        );
    }
    assert!(
        pn.iter().any(|n| objects[*n][4..8] == *"0403"),
        "one try counted, pending in tx-sign"
    );
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

impl Ta {
    /// Storage reads and writes of one command (which must succeed).
    fn cost(&mut self, cmd: Command, req: &str) -> (u64, u64) {
        let before = (self.p.reads(), self.p.writes());
        self.call(cmd, req);
        (self.p.reads() - before.0, self.p.writes() - before.1)
    }

    /// Storage reads and writes of one command that fails with `want`.
    fn cost_of_refusal(&mut self, cmd: Command, req: &str, want: Status) -> (u64, u64) {
        let before = (self.p.reads(), self.p.writes());
        assert_eq!(self.invoke(cmd, req).0, want, "{cmd:?} {req}");
        (self.p.reads() - before.0, self.p.writes() - before.1)
    }

    fn generate(&mut self, label: &str) -> String {
        let policy = r#"{"purpose":"sign","pin":"none","pin_window_s":0,"max_uses":null,"not_after":null,"exportable":false}"#;
        let key: KeyInfoReply = decode(&self.call(
            Command::KeyGenerate,
            &format!(r#"{{"v":1,"label":"{label}","policy":{policy}}}"#),
        ))
        .unwrap();
        key.id.as_str().to_owned()
    }
}

/// What the TA's storage costs, counted through its entry point (packing
/// and the rollback guard included): the objects it owns at 1 and at 1,000
/// keys, and the reads and writes of each command, warm (the TA instance
/// alive, as OP-TEE keeps it). These counts do not depend on the machine;
/// `scripts/bench` times the same commands on QEMU.
#[test]
fn objects_and_storage_operations_per_command_at_1_and_1000_keys() {
    let mut ta = provisioned(0);
    let f = ta.pin_fields("1234");
    ta.call(Command::PinSet, &format!(r#"{{"v":1,{f}}}"#));
    let first = ta.generate("k0");
    let sign = format!(r#"{{"v":1,"id":"{first}","message":"0102"}}"#);
    ta.call(Command::KeySign, &sign);
    let tx = |ta: &mut Ta, pin: &str| {
        let f = ta.pin_fields(pin);
        format!(
            r#"{{"v":1,"id":"{first}",{f},"record":{{"amount":1250,"currency":"EUR","payee":"ACME","display":"Pay 12.50 EUR to ACME?","challenge":"{}","time":1700000000}}}}"#,
            "ab".repeat(16)
        )
    };
    let mut counts = Vec::new();
    for keys in [1usize, 1000] {
        if keys == 1000 {
            // ten clients of 100 keys (the per-client quota), the admin's
            // first key among them
            let admin = std::mem::replace(
                &mut ta.s,
                Session::open(
                    ClientIdentity {
                        login: Login::User,
                        uuid: [1; 16],
                    },
                    &AdminPolicy::ROOT_USER,
                ),
            );
            for c in 1..=10u8 {
                let who = ClientIdentity {
                    login: Login::User,
                    uuid: [c; 16],
                };
                ta.s = Session::open(who, &AdminPolicy::ROOT_USER);
                // (the admin holds two: 1,000 in all)
                let n = if c == 10 { 98 } else { 100 };
                for i in 0..n {
                    ta.generate(&format!("c{c}k{i}"));
                }
            }
            ta.s = admin;
        }
        // a refused call is counted in the refusal tally (`lgr`)
        let reserved = format!(r#"{{"v":1,"id":"{first}","message":"6d66732d74612f"}}"#);
        ta.cost_of_refusal(Command::KeySign, &reserved, Status::InvalidArgument);
        let sign_cost = ta.cost(Command::KeySign, &sign);
        let info = format!(r#"{{"v":1,"id":"{first}"}}"#);
        let info_cost = ta.cost(Command::KeyInfo, &info);
        let f = ta.pin_fields("1234");
        let verify = ta.cost(Command::PinVerify, &format!(r#"{{"v":1,{f},"key":null}}"#));
        let f = ta.pin_fields("0000");
        let wrong = ta.cost_of_refusal(
            Command::PinVerify,
            &format!(r#"{{"v":1,{f},"key":null}}"#),
            Status::PinIncorrect,
        );
        let f = ta.pin_fields("1234");
        ta.call(Command::PinVerify, &format!(r#"{{"v":1,{f},"key":null}}"#));
        let req = tx(&mut ta, "1234");
        let tx_cost = ta.cost(Command::TxSign, &req);
        let gen_cost = if keys == 1 {
            let before = (ta.p.reads(), ta.p.writes());
            ta.generate("k1");
            (ta.p.reads() - before.0, ta.p.writes() - before.1)
        } else {
            ta.cost_of_refusal(
                Command::KeyGenerate,
                r#"{"v":1,"label":"over","policy":{"purpose":"sign","pin":"none","pin_window_s":0,"max_uses":null,"not_after":null,"exportable":false}}"#,
                Status::KeyLimit,
            )
        };
        let objects = ta.p.object_count();
        counts.push((
            keys, objects, sign_cost, info_cost, verify, wrong, tx_cost, gen_cost,
        ));
    }
    for c in &counts {
        println!(
            "keys={} objects={} (reads, writes): key-sign warm {:?}, key-info {:?}, pin-verify right {:?} wrong {:?}, tx-sign {:?}, key-generate {:?}",
            c.0, c.1, c.2, c.3, c.4, c.5, c.6, c.7
        );
    }
    let [one, thousand] = counts.as_slice() else {
        panic!("two counts");
    };
    // `st`, `kv`, `lg`, `lgr`; at 1,000 keys the log has rolled over into
    // `la` too, and a segment start wrote the counter (`txctr`) its closed
    // segment's `tx-signed` entry committed
    assert_eq!((one.1, thousand.1), (4, 6));
    // a warm signature reads nothing and writes its log entry
    assert_eq!((one.2, thousand.2), ((0, 1), (0, 1)));
    // the other costs are the same at 1 and at 1,000 keys
    assert_eq!(one.3, thousand.3, "key-info");
    assert_eq!(one.4, thousand.4, "pin-verify right");
    assert_eq!(one.5, thousand.5, "pin-verify wrong");
    assert_eq!(one.6, thousand.6, "tx-sign");
    // a PIN check reads the policy and the PIN slots; writes the
    // decrement with the attempt pending, then the outcome entry that
    // commits it — the same for a right and a wrong PIN
    assert_eq!((one.4, one.5), ((2, 2), (2, 2)));
    // consent signing: the PIN check's decrement, then one append of
    // `pin-verified` and `tx-signed` that commits the PIN's full count and
    // the counter value (a wrong PIN: `pin-failed` and `tx-refused`, the
    // same size)
    assert_eq!(one.6.1, 2);
    // key generate: its slot and its log entry
    assert_eq!(one.7.1, 2);
}
