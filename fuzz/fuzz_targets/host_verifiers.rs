//! The host library fed attacker-made input (first byte selects):
//!
//! 0. a log export file (JSON, read as `mfs log verify` reads it) through
//!    `verify_export`, unpinned and pinned; an accepted export must satisfy
//!    the reference chain check (`mfs_fuzz::chain::reference_ok`);
//! 1. signed-transaction files (one, or a series) through `tx::verify` /
//!    `verify_series`;
//! 2. an attestation reply file through `verify_attestation`;
//! 3. key files: PEM public and private keys, SEC1 hex, hex;
//! 4. an attestation statement of any bytes, *validly signed* by a test
//!    key (so verification goes past the signature): accepted ⇔ the bytes
//!    are a valid statement answering the challenge about the expected key;
//! 5. a signed transaction of any bytes, validly signed: accepted ⇔ it
//!    decodes, and then the counter field and challenge match;
//! 6. a validly signed export of a valid chain with up to three changes:
//!    accepted ⇔ the reference check accepts;
//! 7. the client (`mfs_host::Client`) talking to a malicious TA whose
//!    replies come from the input (the last one repeated forever): no
//!    panic, and every call ends (at most 10,000 transport calls).
#![no_main]

use libfuzzer_sys::fuzz_target;
use mfs_fuzz::chain::{MaybeWithheld, build, reference_ok, tamper};
use mfs_fuzz::input::Input;
use mfs_host::keys::{EcPublicKey, hex_decode, parse_hex, verify_attestation};
use mfs_host::log::{EXPORT_FORMAT, Export, exported, verify_export};
use mfs_host::tx::{verify, verify_series};
use mfs_host::{Client, Error, RawReply, Transport};
use mfs_proto::log::{Entry, EventKind, Head};
use mfs_proto::pin::Pin;
use mfs_proto::tx::SignedTx;
use mfs_proto::{
    KeyAttestReply, KeyPolicy, LogHeadReply, Purpose, Statement, TxRecord, TxSignReply,
};
use p256::ecdsa::signature::Signer;
use p256::ecdsa::{DerSignature, SigningKey};
use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::OnceLock;

fn signer() -> &'static (SigningKey, EcPublicKey) {
    static KEY: OnceLock<(SigningKey, EcPublicKey)> = OnceLock::new();
    KEY.get_or_init(|| {
        let k = SigningKey::from_slice(&[7; 32]).expect("test key");
        let public = EcPublicKey::from_sec1(k.verifying_key().to_sec1_point(false).as_bytes())
            .expect("public key");
        (k, public)
    })
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// A DER signature by the test key, hex (cached: signing is deterministic,
/// RFC 6979, and mutated inputs keep most of their bytes).
fn sign(msg: &[u8]) -> String {
    thread_local! {
        static CACHE: RefCell<HashMap<Vec<u8>, String>> = RefCell::new(HashMap::new());
    }
    if let Some(s) = CACHE.with(|c| c.borrow().get(msg).cloned()) {
        return s;
    }
    let sig: DerSignature = signer().0.sign(msg);
    let s = hex(sig.as_bytes());
    CACHE.with(|c| {
        let mut c = c.borrow_mut();
        if c.len() > 65_536 {
            c.clear();
        }
        c.insert(msg.to_vec(), s.clone());
    });
    s
}

fn public_hex() -> String {
    hex(&signer().1.sec1())
}

/// The reference check of an export that `verify_export` accepted.
fn export_consistent(x: &Export, head: &Head) {
    let items: Vec<MaybeWithheld> = x
        .entries
        .iter()
        .map(|e| {
            let entry = Entry {
                seq: e.seq,
                time: e.time,
                kind: EventKind::from_name(&e.kind).expect("accepted kind"),
                details_hash: hex_decode(&e.details_hash)
                    .and_then(|h| h.try_into().ok())
                    .expect("accepted hash"),
                prev: hex_decode(&e.prev)
                    .and_then(|h| h.try_into().ok())
                    .expect("accepted prev"),
            };
            assert_eq!(
                hex_decode(&e.hash).as_deref(),
                Some(&entry.hash()[..]),
                "accepted a wrong hash field"
            );
            let details = e
                .details
                .as_deref()
                .map(|d| hex_decode(d).expect("accepted details"));
            MaybeWithheld(entry, details)
        })
        .collect();
    assert!(
        reference_ok(head, &items),
        "verify_export accepted a chain the reference refuses: {head:?}, seqs {:?}",
        items.iter().map(|i| i.0.seq).collect::<Vec<_>>()
    );
}

fn raw_export(data: &[u8]) {
    let Ok(x) = serde_json::from_slice::<Export>(data) else {
        return;
    };
    let pinned = &signer().1;
    for (pin, challenge) in [(None, None), (Some(pinned), Some(&b"c"[..]))] {
        if let Ok(head) = verify_export(&x, pin, challenge) {
            export_consistent(&x, &head);
        }
    }
}

fn raw_tx(data: &[u8]) {
    let trusted = &signer().1;
    if let Ok(tx) = serde_json::from_slice::<TxSignReply>(data)
        && let Ok(d) = verify(&tx, trusted, Some(b"challenge-bytes!"))
    {
        assert_eq!(d.counter, tx.counter);
    }
    if let Ok(series) = serde_json::from_slice::<Vec<TxSignReply>>(data)
        && let Ok(all) = verify_series(&series, trusted, Some(1))
    {
        assert!(all.windows(2).all(|w| w[0].counter < w[1].counter));
        assert!(all.first().is_none_or(|t| t.counter > 1));
    }
}

fn raw_attestation(data: &[u8]) {
    if let Ok(r) = serde_json::from_slice::<KeyAttestReply>(data) {
        let _ = verify_attestation(&r, b"c", None, None);
        let _ = verify_attestation(&r, b"", Some(&signer().1), Some(&signer().1));
    }
}

fn key_files(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let _ = EcPublicKey::from_pem(&text);
    let _ = mfs_host::issuer::IssuerKey::from_pem(&text);
    let _ = mfs_host::issuer::public_key_from_pem(&text);
    let _ = parse_hex(&text);
    let _ = EcPublicKey::from_sec1_hex(&text);
    if let Ok(k) = EcPublicKey::from_sec1(data) {
        let again = EcPublicKey::from_sec1(&k.sec1()).expect("own encoding");
        assert_eq!(again, k);
        let pem = k.pem().expect("PEM");
        assert_eq!(EcPublicKey::from_pem(&pem).expect("own PEM"), k);
    }
}

fn signed_attestation(inp: &mut Input) {
    let challenge = inp.var_bytes(80).to_vec();
    let expect_key = inp.bit();
    let statement = inp.rest();
    let Ok(hex_statement) = hex(statement).as_str().try_into() else {
        return;
    };
    let reply = KeyAttestReply {
        statement: hex_statement,
        signature: sign(statement).as_str().try_into().expect("signature"),
        attestation_key: public_hex().as_str().try_into().expect("key"),
    };
    let decoded = Statement::decode(statement);
    let expected = decoded
        .as_ref()
        .and_then(|s| EcPublicKey::from_sec1(&s.public_key).ok())
        .filter(|_| expect_key);
    let got = verify_attestation(&reply, &challenge, expected.as_ref(), Some(&signer().1));
    let should = decoded
        .as_ref()
        .is_some_and(|s| s.challenge.as_slice() == challenge.as_slice());
    assert_eq!(got.is_ok(), should, "{got:?}");
    if let (Ok(a), Some(s)) = (got, decoded) {
        assert_eq!(a.statement, s);
        assert_eq!(a.statement_bytes, statement);
    }
}

fn signed_tx(inp: &mut Input) {
    let counter = inp.u64();
    let challenge = inp.var_bytes(64).to_vec();
    let signed = inp.rest();
    let Ok(signed_hex) = hex(signed).as_str().try_into() else {
        return;
    };
    let reply = TxSignReply {
        signed: signed_hex,
        signature: sign(signed).as_str().try_into().expect("signature"),
        counter,
        public_key: public_hex().as_str().try_into().expect("key"),
    };
    let got = verify(&reply, &signer().1, Some(&challenge));
    let should = SignedTx::decode(signed).is_some_and(|t| {
        t.counter == counter && t.record.challenge_bytes().as_deref() == Some(&challenge[..])
    });
    assert_eq!(got.is_ok(), should, "{got:?}");
}

fn signed_export(inp: &mut Input) {
    let (mut head, mut items) = build(inp);
    tamper(inp, &mut head, &mut items);
    let Some(statement) = head.encode() else {
        return;
    };
    // Sometimes withheld, as in an export made by a client that is not the
    // admin: the chain must verify through the hashes alone.
    let withhold = inp.u8() >= 224;
    let mut x = Export {
        format: EXPORT_FORMAT.to_string(),
        head: LogHeadReply {
            statement: hex(&statement).as_str().try_into().expect("statement"),
            signature: sign(&statement).as_str().try_into().expect("signature"),
            attestation_key: public_hex().as_str().try_into().expect("key"),
        },
        // Sometimes withheld, as in an export made by a client that is
        // not the admin: the chain must verify through the hashes alone.
        entries: items
            .iter()
            .map(|i| exported(&i.0, (!withhold).then_some(&i.1[..])))
            .collect(),
    };
    let hash_field_ok = !(inp.u8() >= 240 && !x.entries.is_empty());
    if !hash_field_ok {
        let i = usize::from(inp.u8()) % x.entries.len();
        x.entries[i].hash = "00".repeat(32);
    }
    let got = verify_export(&x, Some(&signer().1), Some(&head.challenge));
    let seen: Vec<MaybeWithheld> = items
        .iter()
        .map(|i| MaybeWithheld(i.0, (!withhold).then(|| i.1.clone())))
        .collect();
    let should = Head::decode(&statement).is_some() && reference_ok(&head, &seen) && hash_field_ok;
    assert_eq!(
        got.is_ok(),
        should,
        "{got:?} for {head:?} and seqs {:?}",
        items.iter().map(|i| i.0.seq).collect::<Vec<_>>()
    );
}

/// A TA that answers from the fuzz input, repeating its last answer.
struct Malicious<'a> {
    inp: Input<'a>,
    last: (u32, u32, Vec<u8>),
    calls: usize,
}

impl Transport for Malicious<'_> {
    fn call(&mut self, _cmd: u32, _request: &[u8], reply: &mut [u8]) -> Result<RawReply, Error> {
        self.calls += 1;
        assert!(
            self.calls <= 10_000,
            "the client does not stop calling a TA that repeats itself"
        );
        if !self.inp.is_empty() {
            let status = u32::from(self.inp.u8() % 26);
            let detail = self.inp.u32();
            let body = self.inp.var_bytes(2100).to_vec();
            self.last = (if status >= 24 { 0 } else { status }, detail, body);
        }
        let (status, detail, body) = &self.last;
        let n = body.len().min(reply.len());
        reply[..n].copy_from_slice(&body[..n]);
        Ok(RawReply {
            status: *status,
            detail: *detail,
            len: body.len(),
        })
    }
}

fn client(inp: &mut Input) {
    let what = inp.u8() % 12;
    let mut c = Client::new(Malicious {
        inp: Input::new(inp.rest()),
        last: (0, 0, Vec::new()),
        calls: 0,
    });
    let pin = Pin::new("135792468").expect("PIN");
    let id = "0102030405060708";
    match what {
        0 => drop(c.log_export(b"challenge")),
        1 => drop(c.key_attest_verified(id, b"c", None, None)),
        2 => drop(c.tx_sign(id, &pin, None, &record())),
        3 => drop(c.pin_set(&pin, Some("4111111111111111"))),
        4 => drop(c.pin_change(&pin, &pin, None)),
        5 => drop(c.key_list()),
        6 => drop(c.info()),
        7 => drop(c.key_generate("k", KeyPolicy::plain(Purpose::Sign))),
        8 => drop(c.key_sign(id, b"m")),
        9 => drop(c.key_export(id)),
        10 => drop(c.pin_status()),
        _ => drop(c.log_read(0)),
    }
}

fn record() -> TxRecord {
    TxRecord {
        amount: 1,
        currency: "EUR".try_into().expect("currency"),
        payee: "p".try_into().expect("payee"),
        display: "d".try_into().expect("display"),
        challenge: "00112233445566778899aabbccddeeff"
            .try_into()
            .expect("challenge"),
        time: 1,
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((mode, rest)) = data.split_first() else {
        return;
    };
    let mut inp = Input::new(rest);
    match mode % 8 {
        0 => raw_export(rest),
        1 => raw_tx(rest),
        2 => raw_attestation(rest),
        3 => key_files(rest),
        4 => signed_attestation(&mut inp),
        5 => signed_tx(&mut inp),
        6 => signed_export(&mut inp),
        _ => client(&mut inp),
    }
});
