//! Seed corpora, produced by code: requests and replies of a scripted
//! session with the real TA logic, the byte formats it signs, and input
//! sequences for the stateful target. `cargo test` in `fuzz/` checks that
//! the generator runs and that every target has a committed corpus;
//! `MFS_FUZZ_WRITE_SEEDS=1 cargo test write_seeds` rewrites
//! `fuzz/corpus/<target>/seed-*` from it (see README.md).

use mfs_core::access::{AdminPolicy, ClientIdentity, LINUX_ROOT_USER_UUID};
use mfs_core::mem::MemPlatform;
use mfs_core::{Instance, Session};
use mfs_host::{Client, Error, RawReply, Transport};
use mfs_proto::client::PinChannel;
use mfs_proto::log::{Entry, EventKind};
use mfs_proto::pin::{PanField, Pin, TransportKey};
use mfs_proto::{
    Command, KeyAttestReply, KeyExportReply, KeyGenerateRequest, KeyInfoReply, KeyPolicy,
    LogReadReply, Login, MAX_REPLY_LEN, PinRule, PinSessionReply, Purpose, Status, TxRecord,
    TxSignReply, decode, encode,
};
use p256::ecdsa::signature::Signer;
use p256::ecdsa::{Signature, SigningKey};

use crate::messages::index_of;
use crate::ta::PINS;

/// One seed file: target, file name, contents.
pub type Seed = (&'static str, String, Vec<u8>);

/// The names of the fuzz targets.
pub const TARGETS: [&str; 12] = [
    "dispatch",
    "requests",
    "tx_record",
    "pin_block",
    "sig_der",
    "statements",
    "log_chain",
    "log",
    "host_files",
    "host_verifiers",
    "host_client",
    "json_depth",
];

/// Every command's request and reply types, as named in
/// [`crate::messages::KINDS`].
fn types(c: Command) -> (&'static str, &'static str) {
    match c {
        Command::Ping => ("PingRequest", "PingReply"),
        Command::Info => ("EmptyRequest", "InfoReply"),
        Command::Provision => ("ProvisionRequest", "ProvisionReply"),
        Command::PinSession => ("EmptyRequest", "PinSessionReply"),
        Command::PinStatus => ("EmptyRequest", "PinStatusReply"),
        Command::PinSet | Command::PinVerify => ("PinRequest", "PinStatusReply"),
        Command::PinChange => ("PinChangeRequest", "PinStatusReply"),
        Command::PinUnblock => ("PinUnblockRequest", "PinStatusReply"),
        Command::KeyGenerate => ("KeyGenerateRequest", "KeyInfoReply"),
        Command::KeyList => ("KeyListRequest", "KeyListReply"),
        Command::KeyInfo => ("KeyRequest", "KeyInfoReply"),
        Command::KeyDelete => ("KeyRequest", "KeyDeleteReply"),
        Command::KeySign => ("KeySignRequest", "KeySignReply"),
        Command::KeyAttest => ("KeyAttestRequest", "KeyAttestReply"),
        Command::KeyExport => ("KeyRequest", "KeyExportReply"),
        Command::KeyImport => ("KeyImportRequest", "KeyInfoReply"),
        Command::TxSign => ("TxSignRequest", "TxSignReply"),
        Command::LogRead => ("LogReadRequest", "LogReadReply"),
        Command::LogHead => ("LogHeadRequest", "LogHeadReply"),
        Command::Wipe => ("EmptyRequest", "WipeReply"),
    }
}

/// The TA in process, with an admin and a user session, recording every
/// successful call.
struct Scripted {
    p: MemPlatform,
    inst: Instance,
    sessions: [Session; 2],
    calls: Vec<(Command, Vec<u8>, Vec<u8>)>,
}

impl Scripted {
    fn new() -> Scripted {
        let open = |uuid| {
            Session::open(
                ClientIdentity {
                    login: Login::User,
                    uuid,
                },
                &AdminPolicy::ROOT_USER,
            )
        };
        let mut p = MemPlatform::new();
        p.set_ree_time_s(crate::ta::START_REE_S);
        Scripted {
            p,
            inst: Instance::default(),
            sessions: [open(LINUX_ROOT_USER_UUID), open([0x3e; 16])],
            calls: Vec::new(),
        }
    }

    fn call(&mut self, slot: usize, c: Command, req: &[u8]) -> Vec<u8> {
        let mut out = vec![0u8; MAX_REPLY_LEN];
        let r = mfs_core::invoke(
            &mut self.p,
            &mut self.inst,
            &mut self.sessions[slot],
            c as u32,
            req,
            &mut out,
        );
        assert_eq!(
            r.status,
            Status::Ok,
            "{c:?}: {}",
            String::from_utf8_lossy(req)
        );
        out.truncate(r.len);
        self.calls.push((c, req.to_vec(), out.clone()));
        out
    }

    fn json<T: serde::Serialize>(&mut self, slot: usize, c: Command, req: &T) -> Vec<u8> {
        let mut buf = [0u8; 4096];
        let n = encode(req, &mut buf).expect("encode");
        self.call(slot, c, &buf[..n])
    }

    fn channel(&mut self, slot: usize) -> PinChannel {
        let reply = self.call(slot, Command::PinSession, br#"{"v":1}"#);
        let reply: PinSessionReply = decode(&reply).expect("pin session reply");
        let mut secret = [0u8; 32];
        secret[31] = 7;
        PinChannel::from_reply(&reply, &secret, None).expect("channel")
    }

    fn key(&mut self, label: &str, policy: KeyPolicy) -> String {
        self.key_of(0, label, policy)
    }

    /// A key generated by the session in `slot` (keys belong to the
    /// client identity that made them).
    fn key_of(&mut self, slot: usize, label: &str, policy: KeyPolicy) -> String {
        let req = KeyGenerateRequest {
            v: 1,
            label: label.try_into().expect("label"),
            policy,
        };
        let r: KeyInfoReply = decode(&self.json(slot, Command::KeyGenerate, &req)).expect("info");
        r.id.to_string()
    }
}

impl Transport for Scripted {
    fn call(&mut self, cmd: u32, request: &[u8], reply: &mut [u8]) -> Result<RawReply, Error> {
        let r = mfs_core::invoke(
            &mut self.p,
            &mut self.inst,
            &mut self.sessions[0],
            cmd,
            request,
            reply,
        );
        Ok(RawReply {
            status: r.status as u32,
            detail: r.detail,
            len: r.len,
        })
    }
}

fn pin(s: &str) -> Pin {
    Pin::new(s).expect("PIN")
}

fn issuer() -> SigningKey {
    SigningKey::from_slice(&[0x42; 32]).expect("issuer")
}

fn record() -> TxRecord {
    TxRecord {
        amount: 1234,
        currency: "EUR".try_into().expect("currency"),
        payee: "ACME Coffee Ltd".try_into().expect("payee"),
        display: "Pay 12.34 EUR to ACME Coffee Ltd?"
            .try_into()
            .expect("display"),
        challenge: "00112233445566778899aabbccddeeff"
            .try_into()
            .expect("challenge"),
        time: 1_763_800_000,
    }
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn unhex(s: &str) -> Vec<u8> {
    let mut out = vec![0u8; s.len() / 2];
    mfs_proto::hex_into(s, &mut out).expect("hex");
    out
}

/// What the scripted session produced.
struct Session1 {
    calls: Vec<(Command, Vec<u8>, Vec<u8>)>,
    tx: TxSignReply,
    attest: KeyAttestReply,
    export_json: Vec<u8>,
    head: Vec<u8>,
    entry: Vec<u8>,
    policy: [u8; 19],
}

/// Every command once (and PIN commands with a real enciphered PIN), as
/// the admin and a user would run them.
fn scripted() -> Session1 {
    let mut ta = Scripted::new();
    let issuer_pub = issuer().verifying_key().to_sec1_point(false);
    let prov = format!(
        r#"{{"v":1,"pin_max_tries":5,"pin_throttle_ms":300,"issuer_key":"{}"}}"#,
        hex(issuer_pub.as_bytes())
    );
    ta.call(0, Command::Ping, br#"{"v":1,"echo":7}"#);
    ta.call(0, Command::Info, br#"{"v":1}"#);
    ta.call(0, Command::Provision, prov.as_bytes());
    ta.call(1, Command::PinStatus, br#"{"v":1}"#);
    let c = ta.channel(1);
    ta.json(1, Command::PinSet, &c.request(&pin(PINS[0]), [1; 8]));
    let c = ta.channel(1);
    ta.json(1, Command::PinVerify, &c.request(&pin(PINS[0]), [2; 8]));
    let plain = KeyPolicy::plain(Purpose::Sign);
    let pay = ta.key(
        "pay",
        KeyPolicy {
            exportable: true,
            ..plain
        },
    );
    // Signed with consent by the user session, whose PIN it is: its own key.
    let consent = ta.key_of(
        1,
        "consent",
        KeyPolicy {
            pin: PinRule::PerUse,
            ..plain
        },
    );
    let attester = ta.key("attester", KeyPolicy::plain(Purpose::Attest));
    // (A window key signs only after a PIN verification that names it,
    // by its owner: the plain `pay` key signs below.)
    let _window = ta.key(
        "window",
        KeyPolicy {
            pin: PinRule::Window,
            pin_window_s: 60,
            max_uses: Some(3),
            not_after: Some(crate::ta::START_REE_S + 3600),
            ..plain
        },
    );
    let policy = KeyPolicy {
        pin: PinRule::Window,
        pin_window_s: 60,
        max_uses: Some(3),
        not_after: Some(crate::ta::START_REE_S + 3600),
        ..plain
    }
    .to_bytes();
    ta.call(0, Command::KeyList, br#"{"v":1,"offset":0}"#);
    ta.call(
        0,
        Command::KeyInfo,
        format!(r#"{{"v":1,"id":"{pay}"}}"#).as_bytes(),
    );
    let sign = format!(r#"{{"v":1,"id":"{pay}","message":"68656c6c6f"}}"#);
    ta.call(0, Command::KeySign, sign.as_bytes());
    let attest = format!(r#"{{"v":1,"id":"{pay}","challenge":"0011","attest_key":null}}"#);
    let attest: KeyAttestReply =
        decode(&ta.call(0, Command::KeyAttest, attest.as_bytes())).expect("attest");
    let by = format!(r#"{{"v":1,"id":"{pay}","challenge":"","attest_key":"{attester}"}}"#);
    ta.call(0, Command::KeyAttest, by.as_bytes());
    let export: KeyExportReply = decode(&ta.call(
        0,
        Command::KeyExport,
        format!(r#"{{"v":1,"id":"{pay}"}}"#).as_bytes(),
    ))
    .expect("export");
    ta.call(
        0,
        Command::KeyDelete,
        format!(r#"{{"v":1,"id":"{pay}"}}"#).as_bytes(),
    );
    let import = format!(r#"{{"v":1,"blob":"{}"}}"#, export.blob);
    ta.call(0, Command::KeyImport, import.as_bytes());
    let c = ta.channel(1);
    let q = c.tx_sign_request(
        consent.as_str().try_into().expect("id"),
        &pin(PINS[0]),
        [3; 8],
        record(),
    );
    let tx: TxSignReply = decode(&ta.json(1, Command::TxSign, &q)).expect("tx");
    let c = ta.channel(1);
    ta.json(
        1,
        Command::PinChange,
        &c.change_request(&pin(PINS[0]), [4; 8], &pin(PINS[1]), [5; 8]),
    );
    let c = ta.channel(1);
    let block = c.block(&pin(PINS[0]), [6; 8]);
    // an issuer signs low-S (the TA refuses the high-S twin)
    let sig: Signature = issuer().sign(&c.unblock_message(&block));
    let sig = sig.normalize_s().to_der();
    let q = c.unblock_request(&block, sig.as_bytes()).expect("unblock");
    ta.json(1, Command::PinUnblock, &q);
    let page: LogReadReply =
        decode(&ta.call(0, Command::LogRead, br#"{"v":1,"from":0}"#)).expect("log");
    let head = ta.call(1, Command::LogHead, br#"{"v":1,"challenge":"63"}"#);
    let head: mfs_proto::LogHeadReply = decode(&head).expect("head");
    let first = &page.entries[0];
    let entry = Entry::new(
        first.seq,
        first.time,
        EventKind::from_u8(first.kind).expect("kind"),
        &unhex(first.details.as_deref().expect("the admin reads details")),
        [0; 32],
    )
    .encode()
    .to_vec();
    let mut calls = std::mem::take(&mut ta.calls);
    let export = Client::new(&mut ta).log_export(b"c").expect("log export");
    let export_json = serde_json::to_vec_pretty(&export).expect("export json");
    calls.push((
        Command::Wipe,
        br#"{"v":1}"#.to_vec(),
        ta.call(0, Command::Wipe, br#"{"v":1}"#),
    ));
    Session1 {
        calls,
        tx,
        attest,
        export_json,
        head: unhex(&head.statement),
        entry,
        policy,
    }
}

/// One length-prefixed step of the `dispatch` input.
fn step(bytes: &[u8]) -> Vec<u8> {
    let mut s = vec![u8::try_from(bytes.len()).expect("short step")];
    s.extend_from_slice(bytes);
    s
}

/// A template step: command `c` from session `slot`, then field bytes.
fn template(slot: u8, c: Command, fields: &[u8]) -> Vec<u8> {
    let i = Command::ALL.iter().position(|x| *x == c).expect("command");
    let mut b = vec![0, slot, u8::try_from(i).expect("index")];
    b.extend_from_slice(fields);
    step(&b)
}

/// Fields of a `TxSign` template: defaults, and sign key number `k`.
fn tx_key(k: u8) -> Vec<u8> {
    let mut f = vec![0; 14];
    f.push(k);
    f
}

fn dispatch_seeds() -> Vec<(String, Vec<u8>)> {
    let mut out = vec![
        ("prelude".to_string(), vec![0xff]),
        ("fresh".to_string(), vec![0]),
    ];
    for (i, c) in Command::ALL.iter().enumerate() {
        for slot in [0u8, 1] {
            let mut s = vec![0xff];
            s.extend(template(slot, *c, &[]));
            out.push((format!("{i:02}-{c:?}-s{slot}"), s));
        }
    }
    let seq = |mask: u8, steps: &[Vec<u8>]| {
        let mut s = vec![mask];
        for st in steps {
            s.extend_from_slice(st);
        }
        s
    };
    let env = |op: u8, args: &[u8]| {
        let mut b = vec![op];
        b.extend_from_slice(args);
        step(&b)
    };
    let verify = template(1, Command::PinVerify, &[]);
    let wrong = template(
        1,
        Command::PinVerify,
        &[0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1],
    );
    let seqs = [
        (
            "fresh-provision-set",
            seq(
                0,
                &[
                    template(0, Command::Provision, &[]),
                    template(1, Command::PinSet, &[]),
                    template(1, Command::PinVerify, &[]),
                ],
            ),
        ),
        (
            "verify-sign-keys",
            seq(
                0xff,
                &[
                    verify.clone(),
                    template(1, Command::KeySign, &[0]),
                    template(1, Command::KeySign, &[1]),
                    template(1, Command::KeySign, &[2]),
                    template(1, Command::KeySign, &[3]),
                ],
            ),
        ),
        (
            "tx-sign-each-key",
            seq(
                0xff,
                &[
                    template(1, Command::TxSign, &tx_key(0)),
                    template(1, Command::TxSign, &tx_key(1)),
                    template(1, Command::TxSign, &tx_key(2)),
                    template(1, Command::TxSign, &tx_key(3)),
                ],
            ),
        ),
        (
            "wrong-pins-throttle-block",
            seq(
                0xff,
                &[
                    wrong.clone(),
                    wrong.clone(),
                    wrong.clone(),
                    wrong.clone(),
                    env(208, &[0, 0]),
                    wrong.clone(),
                    template(1, Command::PinStatus, &[]),
                    template(1, Command::PinUnblock, &[]),
                    verify.clone(),
                ],
            ),
        ),
        (
            "throttled-tries3",
            seq(
                0x23,
                &[
                    wrong.clone(),
                    wrong.clone(),
                    template(1, Command::PinUnblock, &[]),
                    template(1, Command::PinStatus, &[]),
                ],
            ),
        ),
        (
            "export-delete-import",
            seq(
                0xff,
                &[
                    template(0, Command::KeyExport, &[0]),
                    template(0, Command::KeyExport, &[1]),
                    template(0, Command::KeyExport, &[2]),
                    template(0, Command::KeyExport, &[3]),
                    template(0, Command::KeyExport, &[4]),
                    template(0, Command::KeyImport, &[]),
                    template(0, Command::KeyDelete, &[0]),
                    template(0, Command::KeyDelete, &[0]),
                    template(0, Command::KeyDelete, &[0]),
                    template(0, Command::KeyDelete, &[0]),
                    template(0, Command::KeyDelete, &[0]),
                    template(0, Command::KeyImport, &[]),
                    template(0, Command::KeySign, &[0]),
                ],
            ),
        ),
        (
            "wipe-reprovision-import",
            seq(
                0xff,
                &[
                    template(0, Command::KeyExport, &[0]),
                    template(0, Command::KeyExport, &[1]),
                    template(0, Command::KeyExport, &[2]),
                    template(0, Command::KeyExport, &[3]),
                    template(0, Command::KeyExport, &[4]),
                    template(0, Command::Wipe, &[]),
                    template(0, Command::Provision, &[]),
                    template(0, Command::KeyImport, &[]),
                    template(0, Command::LogRead, &[]),
                ],
            ),
        ),
        (
            "power-cut-then-reboot",
            seq(
                0xff,
                &[
                    env(224, &[2]),
                    template(1, Command::TxSign, &tx_key(1)),
                    env(232, &[]),
                    template(0, Command::LogHead, &[]),
                    template(1, Command::TxSign, &tx_key(1)),
                ],
            ),
        ),
        (
            "window-expires",
            seq(
                0xff,
                &[
                    verify.clone(),
                    template(1, Command::KeySign, &[3]),
                    env(208, &[0, 2]),
                    template(1, Command::KeySign, &[3]),
                ],
            ),
        ),
        (
            "attest-and-head",
            seq(
                0xff,
                &[
                    template(0, Command::KeyAttest, &[0, 0, 0, 0x80, 0]),
                    template(0, Command::KeyAttest, &[1, 2, 0, 1, 2, 0]),
                    template(0, Command::LogHead, &[3, 0, 1, 2, 3]),
                ],
            ),
        ),
        (
            "change-then-verify-new",
            seq(
                0xff,
                &[
                    template(
                        1,
                        Command::PinChange,
                        &[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1],
                    ),
                    template(
                        1,
                        Command::PinVerify,
                        &[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1],
                    ),
                ],
            ),
        ),
        (
            "raw-requests",
            seq(
                0xff,
                &[
                    step(&[
                        176, 0, 0, 16, 0, b'{', b'"', b'v', b'"', b':', b'1', b',', b'"', b'e',
                        b'c', b'h', b'o', b'"', b':', b'1', b'}',
                    ]),
                    step(&[176, 2, 20, 7, 0, b'{', b'"', b'v', b'"', b':', b'1', b'}']),
                    step(&[
                        176, 0, 0xff, 0xef, 0xbe, 0xad, 0xde, 7, 0, b'{', b'"', b'v', b'"', b':',
                        b'1', b'}',
                    ]),
                ],
            ),
        ),
        (
            "short-buffer",
            seq(
                0xff,
                &[
                    template(0, Command::Info, &[0, 240, 10, 0]),
                    template(1, Command::PinSession, &[0, 240, 4, 0]),
                ],
            ),
        ),
    ];
    out.extend(seqs.into_iter().map(|(n, s)| (n.to_string(), s)));
    out
}

fn pin_block_seed() -> Vec<u8> {
    let key = [1u8; 16];
    let pan = b"4111111111111111";
    let fill = [9u8; 8];
    let t = TransportKey::from_bytes(key);
    let field = PanField::new(Some("4111111111111111")).expect("pan");
    let block = t.encipher(&pin(PINS[0]), &field, fill);
    let mut s = key.to_vec();
    s.extend_from_slice(&u16::try_from(pan.len()).expect("len").to_le_bytes());
    s.extend_from_slice(pan);
    s.extend_from_slice(&block);
    s.extend_from_slice(&fill);
    s.extend_from_slice(&4u16.to_le_bytes());
    s.extend_from_slice(b"2468");
    s
}

fn with(first: u8, rest: &[u8]) -> Vec<u8> {
    let mut v = vec![first];
    v.extend_from_slice(rest);
    v
}

fn var(b: &[u8]) -> Vec<u8> {
    let mut v = u16::try_from(b.len()).expect("len").to_le_bytes().to_vec();
    v.extend_from_slice(b);
    v
}

/// Every seed file of every target.
pub fn all() -> Vec<Seed> {
    let s = scripted();
    let mut out: Vec<Seed> = Vec::new();
    let kind = |name: &str| u8::try_from(index_of(name).expect("kind")).expect("index");
    for (i, (c, req, reply)) in s.calls.iter().enumerate() {
        let (q, a) = types(*c);
        for (t, n) in [("requests", "req"), ("json_depth", "req")] {
            out.push((t, format!("{i:02}-{c:?}-{n}"), with(kind(q), req)));
        }
        for t in ["requests", "json_depth"] {
            out.push((t, format!("{i:02}-{c:?}-reply"), with(kind(a), reply)));
        }
    }
    for (i, sample) in mfs_proto::json_shape::deep_nesting_samples::<2048>()
        .iter()
        .enumerate()
    {
        out.push((
            "json_depth",
            format!("deep-{i}"),
            with(kind("PingRequest"), sample),
        ));
    }
    out.push((
        "json_depth",
        "nested-8".to_string(),
        with(
            kind("InfoReply"),
            br#"{"x":[[[[[[[{"a":1}]]]]]]],"ta_version":"1"}"#,
        ),
    ));
    for (n, b) in dispatch_seeds() {
        out.push(("dispatch", n, b));
    }
    let signed = unhex(&s.tx.signed);
    out.push(("tx_record", "signed".into(), with(0, &signed)));
    out.push(("tx_record", "fields".into(), with(1, &[0; 40])));
    let statement = unhex(&s.attest.statement);
    out.push(("statements", "attest".into(), with(0, &statement)));
    out.push(("statements", "head".into(), with(1, &s.head)));
    out.push(("statements", "entry".into(), with(2, &s.entry)));
    out.push(("statements", "policy".into(), with(3, &s.policy)));
    out.push(("pin_block", "valid".into(), pin_block_seed()));
    out.push(("sig_der", "tx".into(), unhex(&s.tx.signature)));
    out.push(("sig_der", "one-one".into(), vec![0x30, 6, 2, 1, 1, 2, 1, 1]));
    let chain: Vec<u8> = [0u8, 1, 5, 1]
        .iter()
        .copied()
        .chain((0..200).map(|i| u8::try_from(i % 251).expect("byte")))
        .collect();
    out.push(("log_chain", "chain".into(), with(0, &chain)));
    let mut raw = with(1, &var(&s.head));
    raw.extend_from_slice(&s.entry);
    raw.extend(var(&[1]));
    out.push(("log_chain", "decoded".into(), raw));
    out.push((
        "log",
        "stored".into(),
        with(0, &[1, 0x40, 0x02, 0, 0, 0, 2, 0]),
    ));
    out.push((
        "log",
        "power-cut".into(),
        with(1, &[0x10, 0x01, 0x80, 0, 1, 0x60, 0, 1]),
    ));
    out.push(("host_files", "export".into(), with(0, &s.export_json)));
    let tx_json = serde_json::to_vec(&s.tx).expect("json");
    out.push(("host_files", "tx".into(), with(1, &tx_json)));
    let series = serde_json::to_vec(&vec![s.tx.clone(), s.tx.clone()]).expect("json");
    out.push(("host_files", "tx-series".into(), with(1, &series)));
    let att = serde_json::to_vec(&s.attest).expect("json");
    out.push(("host_files", "attest".into(), with(2, &att)));
    let pem = mfs_host::keys::EcPublicKey::from_sec1_hex(&s.attest.attestation_key)
        .expect("key")
        .pem()
        .expect("pem");
    out.push(("host_files", "pem".into(), with(3, pem.as_bytes())));
    let mut signed_att = with(0, &var(&[0, 0x11]));
    signed_att.push(1);
    signed_att.extend_from_slice(&statement);
    out.push(("host_verifiers", "signed-attest".into(), signed_att));
    let mut signed_tx = with(1, &s.tx.counter.to_le_bytes());
    signed_tx.extend(var(&unhex(&record().challenge)));
    signed_tx.extend_from_slice(&signed);
    out.push(("host_verifiers", "signed-tx".into(), signed_tx));
    out.push(("host_verifiers", "signed-export".into(), with(2, &chain)));
    // Crafted seqs: a head at 2^64 - 1 with three entries all numbered
    // 2^64 - 1 (first = next), and one just below with a wrapped entry.
    let mut crafted = with(3, &[2, 0, 3, 0, 0, 0, 3]);
    crafted.extend([1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 1, 0, 0]);
    crafted.extend([1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    out.push(("host_verifiers", "crafted-seqs".into(), crafted));
    let below = with(3, &[3, 2, 2, 2, 0, 0, 0, 4]);
    out.push(("host_verifiers", "crafted-seqs-wrap".into(), below));
    // Crafted counters: after 2^64 - 2, then 2^64 - 1, then a wrap to 0.
    let counters = with(4, &[1, 3, 2, 2, 2, 0, 1, 0]);
    out.push(("host_verifiers", "crafted-counters".into(), counters));
    out.extend(client_seeds(&s));
    out
}

/// Seeds of `host_client`: a call selector, then one length-prefixed
/// chunk per TA reply (the last one repeated; see the target's docs).
fn client_seeds(s: &Session1) -> Vec<Seed> {
    let call = |what: u8, chunks: &[&[u8]]| {
        let mut v = vec![what, 0];
        for c in chunks {
            v.extend(var(c));
        }
        v
    };
    // A raw `ok` reply: choice 6, status 0, detail 0, the body.
    let raw = |body: &[u8]| {
        let mut v = vec![6, 0, 0, 0, 0, 0];
        v.extend(var(body));
        v
    };
    let status = br#"{"set":true,"blocked":false,"tries_left":5,"max_tries":5,"throttle_ms":0}"#;
    let tx = serde_json::to_vec(&s.tx).expect("json");
    let attest = serde_json::to_vec(&s.attest).expect("json");
    let seeds: Vec<(&str, Vec<u8>)> = vec![
        // an honest export: a head over 20 entries, then honest full pages
        ("log-export", call(0, &[&[0, 0, 0, 20], &[]])),
        // the same, one entry per page
        (
            "log-export-1-per-page",
            call(0, &[&[0, 0, 0, 20], &[0, 0, 2]]),
        ),
        // a head just below 2^64 - 1
        ("log-export-end", call(0, &[&[0, 3, 10, 0, 5], &[]])),
        // exactly the client's limit, and past it
        ("log-export-limit", call(0, &[&[0, 0, 1, 8], &[]])),
        ("log-export-past-limit", call(0, &[&[0, 0, 1, 9], &[]])),
        // pages that start before the seq asked for (no progress)
        (
            "log-export-stuck",
            call(0, &[&[0, 0, 0, 20], &[0, 0, 0, 1]]),
        ),
        // pages that repeat an entry
        (
            "log-export-repeat",
            call(0, &[&[0, 0, 0, 20], &[0, 0, 0, 0, 1]]),
        ),
        // a key list of the largest total, empty pages
        ("key-list-full", call(1, &[&[0, 1]])),
        ("key-list", call(1, &[&[0, 0, 30, 12]])),
        ("pin-set", call(2, &[&[0], &raw(status)])),
        ("pin-verify", call(3, &[&[0], &raw(status)])),
        ("tx-sign", call(6, &[&[0], &raw(&tx)])),
        ("key-attest", call(8, &[&raw(&attest)])),
        ("info", call(9, &[&raw(br#"{"ta_version":"0"}"#)])),
        ("refused", call(13, &[&[7, 3]])),
    ];
    seeds
        .into_iter()
        .map(|(n, b)| ("host_client", n.to_string(), b))
        .collect()
}

#[cfg(test)]
mod test {
    use super::*;
    use std::path::Path;

    fn corpus() -> std::path::PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus")
    }

    /// The generator runs (the scripted session succeeds end to end), and
    /// every target has a committed seed corpus. With
    /// `MFS_FUZZ_WRITE_SEEDS=1` it (re)writes the generated seeds.
    #[test]
    fn write_seeds() {
        let seeds = all();
        for t in TARGETS {
            assert!(seeds.iter().any(|(target, _, _)| *target == t), "{t}");
        }
        if std::env::var_os("MFS_FUZZ_WRITE_SEEDS").is_some() {
            for (t, name, bytes) in &seeds {
                let dir = corpus().join(t);
                std::fs::create_dir_all(&dir).unwrap();
                std::fs::write(dir.join(format!("seed-{name}")), bytes).unwrap();
            }
        }
        for t in TARGETS {
            let n = std::fs::read_dir(corpus().join(t)).map_or(0, |d| d.count());
            assert!(n > 0, "no committed corpus for {t}");
        }
    }

    /// The dispatch seeds run clean through the harness.
    #[test]
    fn dispatch_seeds_pass() {
        for (name, bytes) in dispatch_seeds() {
            eprintln!("seed {name}");
            crate::ta::Harness::run(&bytes);
        }
    }
}
