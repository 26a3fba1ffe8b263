//! The host client (`mfs_host::Client`) against a malicious TA: a fake
//! transport whose every reply comes from the fuzz input.
//!
//! The first byte picks the client call (every public call of the client).
//! Then each transport call takes one length-prefixed chunk of the input
//! and answers from it; when the input runs out the TA repeats its last
//! chunk forever. A chunk answers with:
//!
//! - a reply built for the command asked (choice 0, the plain one): a log
//!   head validly signed by a test key over a log anywhere in the seq space
//!   (first seq 0, small, near or at 2^64 − 1, any; up to 24 entries, or
//!   around the client's limit, or any count), answering the request's
//!   challenge or not; a log page for the `from` asked with its extent,
//!   seqs (continuing, from before, from after, the head's first,
//!   2^64 − 1, any; consecutive, repeated or skipping), details or hashes
//!   chosen by the input, entries taken from the head's chain where they
//!   exist; a key-list page with a chosen total and up to 12 keys; a PIN
//!   session with a valid TA key;
//! - the same with one byte changed;
//! - any status, detail and body bytes;
//! - a refusal.
//!
//! Repeating a chunk repeats its *choices*, so a page built "from the seq
//! asked" keeps making progress, and a wrong one keeps being wrong.
//!
//! Checks: no panic; every call returns after at most its documented
//! number of transport calls — a log export `1 + EXPORT_MAX_ENTRIES`, a key
//! list ⌈`MAX_KEYS` / `KEY_LIST_PAGE`⌉, a PIN operation or a verified
//! attestation 2, anything else 1 — asserted on each transport call, so a
//! client that loops is a crash, not a hang; an export the client returns
//! has exactly `next − first` (at most `EXPORT_MAX_ENTRIES`) entries,
//! passes the reference chain check and verifies against its challenge;
//! a key list holds at most as many keys as its calls can carry.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mfs_fuzz::chain::{accepted_items, reference_ok};
use mfs_fuzz::input::Input;
use mfs_fuzz::signing::{hex, public_hex, sign};
use mfs_host::keys::hex_decode;
use mfs_host::log::{EXPORT_MAX_ENTRIES, Export, Signer, verify_export};
use mfs_host::{Client, Error, RawReply, Transport};
use mfs_proto::log::{Entry, EventKind, Hash, Head, LogEntryWire};
use mfs_proto::pin::Pin;
use mfs_proto::{
    Command, KEY_LIST_PAGE, KeyListReply, KeyListRequest, KeyPolicy, KeySummary, LogHeadReply,
    LogHeadRequest, LogReadReply, LogReadRequest, MAX_KEYS, MAX_REPLY_LEN, PinSessionReply,
    Purpose, TxRecord, decode, encode,
};
use p256::ecdsa::SigningKey;
use std::sync::OnceLock;

/// Most entries of a head's chain built (entries past it are made up):
/// enough for every export the client may read, and a little more.
const CHAIN_MAX: u64 = EXPORT_MAX_ENTRIES + 16;

/// The log the TA signed a head over: a chain of entries from `first`
/// (built as far as `CHAIN_MAX`), under a head that may claim any `next`.
#[derive(Default)]
struct Log {
    first: u64,
    next: u64,
    chain: Vec<Entry>,
}

impl Log {
    fn new(first: u64, next: u64, checkpoint: Hash) -> Log {
        let n = next.saturating_sub(first).min(CHAIN_MAX);
        let mut prev = checkpoint;
        let mut chain = Vec::new();
        for i in 0..n {
            let seq = first.wrapping_add(i);
            let e = Entry::new(seq, seq, kind_of(seq), &details_of(seq), prev);
            prev = e.hash();
            chain.push(e);
        }
        Log { first, next, chain }
    }

    /// The entry the chain holds at `seq`, or a made-up one.
    fn entry(&self, seq: u64) -> Entry {
        seq.checked_sub(self.first)
            .and_then(|i| usize::try_from(i).ok())
            .and_then(|i| self.chain.get(i).copied())
            .unwrap_or_else(|| Entry::new(seq, 0, kind_of(seq), &details_of(seq), [0x5a; 32]))
    }
}

fn kind_of(seq: u64) -> EventKind {
    let i = usize::try_from(seq % EventKind::ALL.len() as u64).unwrap_or(0);
    EventKind::ALL[i]
}

fn details_of(seq: u64) -> Vec<u8> {
    let n = usize::try_from(seq % 9).unwrap_or(0);
    seq.to_be_bytes()[..n].to_vec()
}

fn json<T: serde::Serialize>(v: &T) -> Vec<u8> {
    let mut buf = vec![0u8; MAX_REPLY_LEN];
    let n = encode(v, &mut buf).unwrap_or(0);
    buf.truncate(n);
    buf
}

/// A seq from the input: 0, small, at or just below 2^64 − 1, or any.
fn pick_seq(inp: &mut Input) -> u64 {
    match inp.u8() % 5 {
        0 => 0,
        1 => u64::from(inp.u8()),
        2 => u64::MAX,
        3 => u64::MAX - u64::from(inp.u8()),
        _ => inp.u64(),
    }
}

/// A TA that answers from the fuzz input (see the module docs).
struct Malicious<'a> {
    inp: Input<'a>,
    last: &'a [u8],
    log: Log,
    calls: u64,
    /// Most calls the client call under test may make.
    bound: u64,
}

impl Malicious<'_> {
    fn head(&mut self, inp: &mut Input, request: &[u8]) -> Vec<u8> {
        let first = pick_seq(inp);
        let next = match inp.u8() % 4 {
            0 => first.saturating_add(u64::from(inp.u8() % 25)),
            1 => first.saturating_add(EXPORT_MAX_ENTRIES - 8 + u64::from(inp.u8() % 16)),
            2 => first,
            _ => inp.u64(),
        };
        let checkpoint = if inp.bit() { inp.array() } else { [0; 32] };
        self.log = Log::new(first, next, checkpoint);
        let asked = decode::<LogHeadRequest>(request)
            .ok()
            .and_then(|r| hex_decode(&r.challenge))
            .unwrap_or_default();
        let challenge = if inp.bit() {
            inp.var_bytes(64).to_vec()
        } else {
            asked
        };
        let last = self.log.chain.last().map_or(checkpoint, Entry::hash);
        let head = Head {
            ta_uuid: [1; 16],
            tee_device_id: [2; 16],
            first_seq: first,
            checkpoint,
            next_seq: next,
            head: if inp.u8() >= 240 { [0; 32] } else { last },
            challenge: heapless::Vec::from_slice(&challenge).unwrap_or_default(),
        };
        let Some(statement) = head.encode() else {
            return Vec::new();
        };
        let reply = (|| {
            Some(LogHeadReply {
                statement: hex(&statement).as_str().try_into().ok()?,
                signature: sign(&statement).as_str().try_into().ok()?,
                attestation_key: public_hex().as_str().try_into().ok()?,
            })
        })();
        reply.map(|r| json(&r)).unwrap_or_default()
    }

    fn page(&self, inp: &mut Input, request: &[u8]) -> Vec<u8> {
        let from = decode::<LogReadRequest>(request).map_or(0, |r| r.from);
        let log = &self.log;
        let (first, next) = match inp.u8() % 4 {
            0 => (log.first, log.next),
            1 => (from.wrapping_add(1), log.next),
            2 => (log.first, log.next.wrapping_sub(1)),
            _ => (inp.u64(), inp.u64()),
        };
        let n = match inp.u8() % 9 {
            0 => 8,
            k => usize::from(k - 1),
        };
        let start = inp.u8() % 6;
        let mut seq = match start {
            0 => from,
            1 => from.wrapping_sub(1),
            2 => from.wrapping_add(1),
            3 => log.first,
            4 => u64::MAX,
            _ => inp.u64(),
        };
        let step = inp.u8() % 4;
        let form = inp.u8() % 4;
        // An honest page (from the seq asked, consecutive) stops at the
        // end of the log; the others go on regardless.
        let honest = start == 0 && step == 0;
        let mut entries = heapless::Vec::<LogEntryWire, 8>::new();
        for _ in 0..n {
            if honest && seq >= log.next {
                break;
            }
            let e = log.entry(seq);
            let details = details_of(seq);
            let (details, details_hash) = match form {
                0 => (None, Some(hex(&e.details_hash))),
                1 => (Some(hex(&details)), None),
                2 => (Some(hex(&details)), Some(hex(&e.details_hash))),
                _ => (None, None),
            };
            let w = LogEntryWire {
                seq: e.seq,
                time: e.time,
                kind: e.kind as u8,
                details: details.and_then(|d| d.as_str().try_into().ok()),
                details_hash: details_hash.and_then(|d| d.as_str().try_into().ok()),
            };
            if entries.push(w).is_err() {
                break;
            }
            seq = match step {
                0 => seq.wrapping_add(1),
                1 => seq,
                2 => seq.wrapping_add(2),
                _ => seq.wrapping_sub(1),
            };
        }
        json(&LogReadReply {
            first,
            next,
            entries,
        })
    }

    fn keys(inp: &mut Input, request: &[u8]) -> Vec<u8> {
        let offset = decode::<KeyListRequest>(request).map_or(0, |r| r.offset);
        let total = match inp.u8() % 4 {
            0 => u16::from(inp.u8() % 40),
            1 => MAX_KEYS,
            2 => MAX_KEYS + 1,
            _ => inp.u16(),
        };
        let n = usize::from(inp.u8()) % (KEY_LIST_PAGE + 1);
        let mut keys = heapless::Vec::new();
        for i in 0..n {
            let id = hex(&(u64::from(offset) + i as u64).to_be_bytes());
            let Ok(id) = id.as_str().try_into() else {
                break;
            };
            let key = KeySummary {
                id,
                label: "k".try_into().unwrap_or_default(),
                purpose: Purpose::Sign,
            };
            if keys.push(key).is_err() {
                break;
            }
        }
        json(&KeyListReply { total, keys })
    }

    fn pin_session(inp: &mut Input) -> Vec<u8> {
        static TA_KEY: OnceLock<String> = OnceLock::new();
        let ta_key = TA_KEY.get_or_init(|| {
            let k = SigningKey::from_slice(&[9; 32]).expect("TA key");
            hex(k.verifying_key().to_sec1_point(false).as_bytes())
        });
        let nonce: [u8; 16] = inp.array();
        let reply = (|| {
            Some(PinSessionReply {
                ta_key: ta_key.as_str().try_into().ok()?,
                nonce: hex(&nonce).as_str().try_into().ok()?,
            })
        })();
        reply.map(|r| json(&r)).unwrap_or_default()
    }

    fn answer(&mut self, cmd: u32, request: &[u8]) -> (u32, u32, Vec<u8>) {
        // One chunk per call; the last one again once the input ran out.
        if !self.inp.is_empty() {
            self.last = self.inp.var_bytes(2200);
        }
        let mut inp = Input::new(self.last);
        let built = |this: &mut Self, inp: &mut Input| match cmd {
            c if c == Command::LogHead as u32 => this.head(inp, request),
            c if c == Command::LogRead as u32 => this.page(inp, request),
            c if c == Command::KeyList as u32 => Self::keys(inp, request),
            c if c == Command::PinSession as u32 => Self::pin_session(inp),
            _ => inp.var_bytes(2100).to_vec(),
        };
        match inp.u8() % 8 {
            0..=4 => (0, 0, built(self, &mut inp)),
            5 => {
                let mut body = built(self, &mut inp);
                if !body.is_empty() {
                    let i = usize::from(inp.u16()) % body.len();
                    body[i] ^= inp.u8() | 1;
                }
                (0, 0, body)
            }
            6 => {
                let status = u32::from(inp.u8() % 26);
                let detail = inp.u32();
                let body = inp.var_bytes(2100).to_vec();
                (if status >= 24 { 0 } else { status }, detail, body)
            }
            _ => (1 + u32::from(inp.u8() % 22), inp.u32(), Vec::new()),
        }
    }
}

impl Transport for Malicious<'_> {
    fn call(&mut self, cmd: u32, request: &[u8], reply: &mut [u8]) -> Result<RawReply, Error> {
        self.calls += 1;
        assert!(
            self.calls <= self.bound,
            "the client made more than {} calls (command {cmd:#x})",
            self.bound
        );
        let (status, detail, body) = self.answer(cmd, request);
        let n = body.len().min(reply.len());
        reply[..n].copy_from_slice(&body[..n]);
        Ok(RawReply {
            status,
            detail,
            len: body.len(),
        })
    }
}

/// The checks on an export the client returned.
fn export_holds(x: &Export, challenge: &[u8]) {
    let head = verify_export(x, Signer::AnyKey, Some(challenge))
        .expect("the client returned an export that does not verify");
    let count = head
        .next_seq
        .checked_sub(head.first_seq)
        .expect("first <= next");
    assert!(count <= EXPORT_MAX_ENTRIES, "{count} entries read");
    let items = accepted_items(x);
    assert!(
        reference_ok(&head, &items),
        "export refused by the reference"
    );
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
    let mut inp = Input::new(data);
    let what = inp.u8() % 23;
    let read_from = pick_seq(&mut inp);
    let key_list_calls = u64::from(MAX_KEYS).div_ceil(KEY_LIST_PAGE as u64);
    let bound = match what {
        0 => 1 + EXPORT_MAX_ENTRIES,
        1 => key_list_calls,
        2..=7 => 2,
        _ => 1,
    };
    let mut c = Client::new(Malicious {
        inp: Input::new(inp.rest()),
        last: &[],
        log: Log::default(),
        calls: 0,
        bound,
    });
    let pin = Pin::new("135792468").expect("PIN");
    let id = "0102030405060708";
    let challenge = b"challenge";
    match what {
        0 => {
            if let Ok(x) = c.log_export(challenge) {
                export_holds(&x, challenge);
            }
        }
        1 => {
            if let Ok(keys) = c.key_list() {
                let most = key_list_calls * KEY_LIST_PAGE as u64;
                assert!(keys.len() as u64 <= most, "{} keys", keys.len());
            }
        }
        2 => drop(c.pin_set(&pin, Some("4111111111111111"))),
        3 => drop(c.pin_verify(&pin, None)),
        4 => drop(c.pin_change(&pin, &pin, None)),
        5 => drop(c.pin_unblock(&pin, None, |_| Ok(vec![0x30, 0x06, 2, 1, 1, 2, 1, 1]))),
        6 => drop(c.tx_sign(id, &pin, None, &record())),
        7 => drop(c.key_attest_verified(id, b"c", None, None)),
        8 => drop(c.key_attest(id, b"c", None)),
        9 => drop(c.info()),
        10 => drop(c.ping(7)),
        11 => drop(c.provision(5, 0, &[4; 65])),
        12 => drop(c.wipe()),
        13 => drop(c.pin_status()),
        14 => drop(c.key_generate("k", KeyPolicy::plain(Purpose::Sign))),
        15 => drop(c.key_info(id)),
        16 => drop(c.key_public(id)),
        17 => drop(c.key_delete(id)),
        18 => drop(c.key_sign(id, b"m")),
        19 => drop(c.key_export(id)),
        20 => drop(c.key_import(&[1, 2, 3])),
        21 => drop(c.log_head(challenge)),
        _ => drop(c.log_read(read_from)),
    }
});
