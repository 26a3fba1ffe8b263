//! The host verifiers past the signature: inputs of any content *validly
//! signed* by a test key (one P-256 signature per input; first byte
//! selects):
//!
//! 0. an attestation statement of any bytes: accepted ⇔ the bytes are a
//!    valid statement answering the challenge about the expected key;
//! 1. a signed transaction of any bytes: accepted ⇔ it decodes, and then
//!    the counter field and challenge match;
//! 2. an export of a valid chain with up to three changes: accepted ⇔ the
//!    reference check accepts;
//! 3. an export with crafted seqs: a head anywhere in the seq space (0,
//!    small, at 2^64 − 1 or just below, any; `next` before, equal to or
//!    past `first`), entries well linked but numbered as the input says
//!    (consecutive, repeated, wrapped, 0, 2^64 − 1, any): accepted ⇔ the
//!    reference accepts, and an error names an entry of the list by the
//!    seq it carries;
//! 4. a transaction series with crafted counters (0, 1, 2^64 − 1 and
//!    below, repeated, wrapped, any) after a crafted last accepted
//!    counter: accepted ⇔ the counters strictly increase above it, else
//!    refused at the first one that does not.
//!
//! Attacker-made files as read (mostly unsigned) are the `host_files`
//! target; the client against a malicious TA is the `host_client` target.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mfs_fuzz::chain::{MaybeWithheld, build, reference_ok, tamper};
use mfs_fuzz::input::Input;
use mfs_fuzz::signing::{hex, public_hex, sign, signer};
use mfs_host::keys::{EcPublicKey, verify_attestation};
use mfs_host::log::{EXPORT_FORMAT, Export, LogError, Signer, exported, verify_export};
use mfs_host::tx::{TxError, verify, verify_series};
use mfs_proto::log::{DETAILS_MAX_LEN, Entry, EventKind, Head};
use mfs_proto::tx::{DISPLAY_NOT_TRUSTED_UI, SignedTx, VERIFIED_PIN_IN_TA};
use mfs_proto::{KeyAttestReply, LogHeadReply, Statement, TxRecord, TxSignReply};

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
    let got = verify_export(&x, Signer::Pinned(&signer().1), Some(&head.challenge));
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

/// A seq or counter from the input: 0, small, at or just below 2^64 − 1,
/// or any.
fn pick_seq(inp: &mut Input) -> u64 {
    match inp.u8() % 5 {
        0 => 0,
        1 => u64::from(inp.u8()),
        2 => u64::MAX,
        3 => u64::MAX - u64::from(inp.u8()),
        _ => inp.u64(),
    }
}

fn crafted_seqs(inp: &mut Input) {
    let first_seq = pick_seq(inp);
    let small = u64::from(inp.u8() % 16);
    let next_seq = match inp.u8() % 5 {
        0 => first_seq.wrapping_add(small),
        1 => first_seq.wrapping_sub(small),
        2 => u64::MAX,
        3 => first_seq,
        _ => inp.u64(),
    };
    let checkpoint = if inp.bit() { inp.array() } else { [0; 32] };
    let withhold = inp.bit();
    let mut seq = if inp.bit() { pick_seq(inp) } else { first_seq };
    let mut prev = checkpoint;
    let mut items = Vec::new();
    for i in 0..inp.u8() % 12 {
        if i > 0 {
            seq = match inp.u8() % 6 {
                0 => seq.wrapping_add(1),
                1 => seq,
                2 => u64::MAX,
                3 => 0,
                4 => seq.wrapping_add(u64::from(inp.u8())),
                _ => inp.u64(),
            };
        }
        let kind = EventKind::ALL[usize::from(inp.u8()) % EventKind::ALL.len()];
        let details = inp.var_bytes(DETAILS_MAX_LEN).to_vec();
        let e = Entry::new(seq, inp.u64(), kind, &details, prev);
        prev = e.hash();
        items.push(MaybeWithheld(e, (!withhold).then_some(details)));
    }
    let mut head = Head {
        ta_uuid: [1; 16],
        tee_device_id: [2; 16],
        first_seq,
        checkpoint,
        next_seq,
        head: prev,
        challenge: heapless::Vec::from_slice(b"crafted").expect("challenge"),
    };
    if inp.u8() >= 240 {
        head.head[0] ^= 1;
    }
    let Some(statement) = head.encode() else {
        return;
    };
    let x = Export {
        format: EXPORT_FORMAT.to_string(),
        head: LogHeadReply {
            statement: hex(&statement).as_str().try_into().expect("statement"),
            signature: sign(&statement).as_str().try_into().expect("signature"),
            attestation_key: public_hex().as_str().try_into().expect("key"),
        },
        entries: items
            .iter()
            .map(|i| exported(&i.0, i.1.as_deref()))
            .collect(),
    };
    let got = verify_export(&x, Signer::Pinned(&signer().1), Some(b"crafted"));
    let should = Head::decode(&statement).is_some() && reference_ok(&head, &items);
    assert_eq!(
        got.is_ok(),
        should,
        "{got:?} for {head:?} and seqs {:?}",
        items.iter().map(|i| i.0.seq).collect::<Vec<_>>()
    );
    if let Err(LogError::Entry { index, seq, .. }) = got {
        let named = items.get(index).map(|i| i.0.seq);
        assert_eq!(named, Some(seq), "the error names no entry of the list");
    }
}

fn crafted_counters(inp: &mut Input) {
    let record = TxRecord {
        amount: 1,
        currency: "EUR".try_into().expect("currency"),
        payee: "p".try_into().expect("payee"),
        display: "Pay 0.01 EUR to p?".try_into().expect("display"),
        challenge: "00112233445566778899aabbccddeeff"
            .try_into()
            .expect("challenge"),
        time: 1,
    };
    let after = inp.bit().then(|| pick_seq(inp));
    let mut counter = pick_seq(inp);
    let mut counters = Vec::new();
    let mut series = Vec::new();
    for i in 0..1 + inp.u8() % 4 {
        if i > 0 {
            counter = match inp.u8() % 5 {
                0 => counter.wrapping_add(1),
                1 => counter,
                2 => counter.wrapping_sub(1),
                3 => u64::MAX,
                _ => pick_seq(inp),
            };
        }
        let tx = SignedTx {
            key_id: [1; 8],
            counter,
            record: record.clone(),
            verification: VERIFIED_PIN_IN_TA,
            display: DISPLAY_NOT_TRUSTED_UI,
        };
        let Some(signed) = tx.encode() else { return };
        series.push(TxSignReply {
            signed: hex(&signed).as_str().try_into().expect("signed"),
            signature: sign(&signed).as_str().try_into().expect("signature"),
            counter,
            public_key: public_hex().as_str().try_into().expect("key"),
        });
        counters.push(counter);
    }
    // The reference: the first counter not above the one before it (or
    // above `after`) is refused.
    let mut previous = after;
    let mut bad = None;
    for (i, c) in counters.iter().enumerate() {
        if previous.is_some_and(|p| *c <= p) {
            bad = Some((i, previous));
            break;
        }
        previous = Some(*c);
    }
    match (verify_series(&series, &signer().1, after), bad) {
        (Ok(all), None) => assert_eq!(all.len(), counters.len()),
        (Err((i, TxError::Counter { counter, previous })), Some((b, p))) => {
            assert_eq!((i, Some(previous)), (b, p));
            assert_eq!(counter, counters[i]);
        }
        (got, bad) => {
            panic!("verify_series says {got:?}, reference {bad:?}: {after:?} then {counters:?}")
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((mode, rest)) = data.split_first() else {
        return;
    };
    let mut inp = Input::new(rest);
    match mode % 5 {
        0 => signed_attestation(&mut inp),
        1 => signed_tx(&mut inp),
        2 => signed_export(&mut inp),
        3 => crafted_seqs(&mut inp),
        _ => crafted_counters(&mut inp),
    }
});
