//! The client against a hostile TA: a fake transport whose replies are
//! chosen by the test (validly signed where a signature is checked), to
//! show that every client call ends — with an error where the replies do
//! not add up — in a bounded number of calls, however the TA answers.

use super::*;
use crate::verify::log::{EXPORT_FORMAT, Export, Signer};
use mfs_proto::log::{Entry, EventKind, Hash, Head, LogEntryWire};
use mfs_proto::{
    Command, KEY_LIST_PAGE, KeyListReply, LogHeadReply, LogReadReply, LogReadRequest, MAX_KEYS,
    hex_string,
};
use p256::ecdsa::signature::Signer as _;
use p256::ecdsa::{DerSignature, SigningKey};

/// Calls after which the fake TA fails the test instead of answering: a
/// client that would loop forever shows as a failure, not a hang.
const RUNAWAY: usize = 100_000;

/// How the fake TA answers a call: `(cmd, request)` to a status and a
/// body.
trait Answer: FnMut(u32, &[u8]) -> (u32, Vec<u8>) {}
impl<F: FnMut(u32, &[u8]) -> (u32, Vec<u8>)> Answer for F {}

/// A TA that answers every call with `answer(cmd, request)`: a status and
/// a body.
struct Hostile<F> {
    answer: F,
    calls: usize,
}

impl<F: Answer> Transport for Hostile<F> {
    fn call(&mut self, cmd: u32, request: &[u8], reply: &mut [u8]) -> Result<RawReply, Error> {
        self.calls += 1;
        assert!(
            self.calls <= RUNAWAY,
            "the client keeps calling a hostile TA"
        );
        let (status, body) = (self.answer)(cmd, request);
        let n = body.len().min(reply.len());
        reply[..n].copy_from_slice(&body[..n]);
        Ok(RawReply {
            status,
            detail: 0,
            len: body.len(),
        })
    }
}

fn hostile<F: Answer>(answer: F) -> Client<Hostile<F>> {
    Client::new(Hostile { answer, calls: 0 })
}

fn calls<F: Answer>(c: &mut Client<Hostile<F>>) -> usize {
    c.transport.calls
}

fn json<T: serde::Serialize>(v: &T) -> Vec<u8> {
    let mut buf = vec![0u8; mfs_proto::MAX_REPLY_LEN];
    let n = mfs_proto::encode(v, &mut buf).unwrap();
    buf.truncate(n);
    buf
}

fn ta_key() -> SigningKey {
    SigningKey::from_slice(&[0x24; 32]).unwrap()
}

const CHALLENGE: &[u8] = b"audit";

/// A chain of `n` entries from seq `first`, and the head over it, signed
/// by the TA key (as the TA signs it).
struct Log {
    head: Head,
    entries: Vec<Entry>,
}

impl Log {
    fn new(first: u64, n: u64) -> Log {
        Log::claiming(first, n, first + n)
    }

    /// `n` entries from `first`, under a head that claims `next`.
    fn claiming(first: u64, n: u64, next: u64) -> Log {
        let seqs: Vec<u64> = (0..n).map(|i| first.wrapping_add(i)).collect();
        Log::with_seqs(first, &seqs, next)
    }

    /// A well-linked chain of entries numbered `seqs` (whatever they are)
    /// under a head from `first` to `next` whose hash is the last entry's.
    fn with_seqs(first: u64, seqs: &[u64], next: u64) -> Log {
        let checkpoint: Hash = [3; 32];
        let mut prev = checkpoint;
        let mut entries = Vec::new();
        for &seq in seqs {
            let e = Entry::new(seq, 1_700_000_000, EventKind::PinVerified, &[1], prev);
            prev = e.hash();
            entries.push(e);
        }
        let head = Head {
            ta_uuid: [1; 16],
            tee_device_id: [2; 16],
            first_seq: first,
            checkpoint,
            next_seq: next,
            head: prev,
            challenge: heapless::Vec::from_slice(CHALLENGE).unwrap(),
        };
        Log { head, entries }
    }

    /// The log as an export file, its head signed by the TA key.
    fn export(&self) -> Export {
        Export {
            format: EXPORT_FORMAT.to_string(),
            head: mfs_proto::decode(&self.head_reply()).unwrap(),
            entries: self
                .entries
                .iter()
                .map(|e| crate::verify::log::exported(e, Some(&[1])))
                .collect(),
        }
    }

    fn head_reply(&self) -> Vec<u8> {
        let statement = self.head.encode().unwrap();
        let sig: DerSignature = ta_key().sign(&statement);
        let public = ta_key().verifying_key().to_sec1_point(false);
        json(&LogHeadReply {
            statement: hex_string(&statement).unwrap(),
            signature: hex_string(sig.as_bytes()).unwrap(),
            attestation_key: hex_string(public.as_bytes()).unwrap(),
        })
    }

    /// A page as a non-admin reader gets it: entries with details hashes.
    fn page(&self, first: u64, next: u64, entries: &[Entry]) -> Vec<u8> {
        let entries = entries
            .iter()
            .map(|e| LogEntryWire {
                seq: e.seq,
                time: e.time,
                kind: e.kind as u8,
                details: None,
                details_hash: Some(hex_string(&e.details_hash).unwrap()),
            })
            .collect::<Vec<_>>();
        json(&LogReadReply {
            first,
            next,
            entries: heapless::Vec::from_slice(&entries).unwrap(),
        })
    }

    /// The honest page from `from`: up to `per_page` entries.
    fn honest_page(&self, from: u64, per_page: usize) -> Vec<u8> {
        let at = self.entries.iter().position(|e| e.seq == from);
        let slice = at.map_or(&[][..], |i| {
            &self.entries[i..(i + per_page).min(self.entries.len())]
        });
        self.page(self.head.first_seq, self.head.next_seq, slice)
    }
}

fn from_of(request: &[u8]) -> u64 {
    mfs_proto::decode::<LogReadRequest>(request).unwrap().from
}

const OK: u32 = 0;
const HEAD: u32 = Command::LogHead as u32;
const READ: u32 = Command::LogRead as u32;

/// A TA answering the head from `log` and every page with `page(from)`.
fn log_ta(log: &Log, mut page: impl FnMut(u64) -> Vec<u8>) -> Client<Hostile<impl Answer>> {
    let head = log.head_reply();
    hostile(move |cmd, request| match cmd {
        HEAD => (OK, head.clone()),
        READ => (OK, page(from_of(request))),
        _ => (OK, Vec::new()),
    })
}

/// The honest case, one entry per page: the export verifies (against the
/// pinned TA key too) and takes one call per entry plus the head.
#[test]
fn log_export_reads_each_entry_once() {
    let log = Log::new(20, 40);
    let mut c = log_ta(&log, |from| log.honest_page(from, 1));
    let x = c.log_export(CHALLENGE).unwrap();
    assert_eq!(x.entries.len(), 40);
    assert_eq!(calls(&mut c), 41);
    let key = crate::pubkey::EcPublicKey::from_sec1_hex(&x.head.attestation_key).unwrap();
    assert!(verify_export(&x, Signer::Pinned(&key), Some(CHALLENGE)).is_ok());
    // a full page at a time: 5 pages
    let mut c = log_ta(&log, |from| log.honest_page(from, 8));
    assert_eq!(c.log_export(CHALLENGE).unwrap().entries.len(), 40);
    assert_eq!(calls(&mut c), 6);
}

/// A page that brings nothing new used to be asked for again forever (the
/// same page, a page of entries from before `from`, or only entries past
/// the head's range); now it ends the export with `BadReply`.
#[test]
fn log_export_ends_on_a_page_that_makes_no_progress() {
    let log = Log::new(0, 10);
    let first = log.page(0, 10, &log.entries[..1]);
    let past = Log::new(10, 3);
    type Page<'a> = Box<dyn Fn(u64) -> Vec<u8> + 'a>;
    let cases: [(&str, Page<'_>); 4] = [
        ("the first page forever", Box::new(|_| first.clone())),
        (
            "the page before the one asked for",
            Box::new(|from| log.honest_page(from.saturating_sub(1), 1)),
        ),
        (
            "only entries past the head",
            Box::new(|_| log.page(0, 13, &past.entries)),
        ),
        ("no entries", Box::new(|_| log.page(0, 10, &[]))),
    ];
    for (what, page) in cases {
        let mut c = log_ta(&log, page);
        assert_eq!(
            c.log_export(CHALLENGE).err(),
            Some(Error::BadReply),
            "{what}"
        );
        assert!(calls(&mut c) <= 3, "{what}: {} calls", calls(&mut c));
    }
}

/// Every entry of a page must continue the sequence from the seq asked
/// for: skipped, repeated or out-of-order seqs are refused as they
/// arrive, and so are pages whose extent says the log rolled over or went
/// back on the signed head.
#[test]
fn log_export_refuses_pages_that_do_not_continue_the_sequence() {
    let log = Log::new(100, 6);
    let e = &log.entries;
    let (a, b, c2) = (e[0], e[1], e[2]);
    let pages: [(&str, Vec<u8>); 6] = [
        ("a seq skipped", log.page(100, 106, &[a, c2])),
        ("a seq repeated", log.page(100, 106, &[a, a])),
        ("out of order", log.page(100, 106, &[b, a])),
        ("not from the seq asked for", log.page(100, 106, &[b])),
        ("rolled over (first past from)", log.page(101, 106, &[a])),
        ("next before the head's", log.page(100, 105, &[a])),
    ];
    for (what, page) in pages {
        let mut c = log_ta(&log, |_| page.clone());
        assert_eq!(
            c.log_export(CHALLENGE).err(),
            Some(Error::BadReply),
            "{what}"
        );
        assert_eq!(calls(&mut c), 2, "{what}");
    }
}

/// A head that claims more entries than the client reads is refused
/// before any page is asked for: the export is bounded by
/// `EXPORT_MAX_ENTRIES`, not by what the TA says.
#[test]
fn log_export_refuses_a_head_beyond_the_limit() {
    for (first, next) in [
        (0, EXPORT_MAX_ENTRIES + 1),
        (0, u64::MAX),
        (7, 7 + EXPORT_MAX_ENTRIES + 1),
    ] {
        let log = Log::claiming(first, 0, next);
        let mut c = log_ta(&log, |from| log.honest_page(from, 8));
        assert_eq!(
            c.log_export(CHALLENGE).err(),
            Some(Error::ReplyLimit),
            "{first}..{next}"
        );
        assert_eq!(calls(&mut c), 1);
    }
    // exactly the limit is read, one call per page
    let log = Log::new(0, EXPORT_MAX_ENTRIES);
    let mut c = log_ta(&log, |from| log.honest_page(from, 8));
    let x = c.log_export(CHALLENGE).unwrap();
    assert_eq!(x.entries.len() as u64, EXPORT_MAX_ENTRIES);
    assert_eq!(calls(&mut c) as u64, 1 + EXPORT_MAX_ENTRIES / 8);
}

/// The host's limit is no smaller than what the TA retains (segments ×
/// entries per segment): an honest TA's whole log always fits.
#[test]
fn export_limit_covers_the_ta_retention() {
    let retained = mfs_core::audit::SEGMENTS * mfs_core::audit::SEGMENT_ENTRIES;
    assert!(retained as u64 <= EXPORT_MAX_ENTRIES, "{retained}");
}

/// At the very end of the seq space the client neither overflows nor
/// accepts entries the head does not cover.
#[test]
fn log_export_at_the_end_of_the_seq_space() {
    let log = Log::new(u64::MAX - 5, 5);
    let mut c = log_ta(&log, |from| log.honest_page(from, 8));
    let x = c.log_export(CHALLENGE).unwrap();
    assert_eq!(x.entries.last().unwrap().seq, u64::MAX - 1);
    // first = next = 2^64 - 1: nothing to read, whatever pages would say
    let log = Log::claiming(u64::MAX, 0, u64::MAX);
    let extra = Log::with_seqs(u64::MAX, &[u64::MAX], u64::MAX);
    let mut c = log_ta(&log, |_| extra.page(u64::MAX, u64::MAX, &extra.entries));
    assert!(c.log_export(CHALLENGE).unwrap().entries.is_empty());
    assert_eq!(calls(&mut c), 1);
}

/// Crafted, validly signed exports are refused by the verifier whatever
/// the seqs — with the client's own check (`Signer::AnyKey`) and pinned —
/// and never by an arithmetic overflow.
#[test]
fn crafted_exports_at_the_end_of_the_seq_space_are_refused() {
    const MAX: u64 = u64::MAX;
    let key = crate::pubkey::EcPublicKey::from_sec1(
        ta_key().verifying_key().to_sec1_point(false).as_bytes(),
    )
    .unwrap();
    let entry = |index, seq, expected| LogError::Entry {
        index,
        seq,
        fault: EntryFault::Sequence { expected },
    };
    let cases = [
        // first = next = 2^64 - 1 covers nothing: entries all numbered
        // 2^64 - 1 used to pass (a saturating seq)
        (Log::with_seqs(MAX, &[MAX], MAX), entry(0, MAX, MAX)),
        (
            Log::with_seqs(MAX, &[MAX, MAX, MAX], MAX),
            entry(0, MAX, MAX),
        ),
        // ... or numbered as if the seq wrapped
        (Log::with_seqs(MAX, &[MAX, 0, 1], MAX), entry(0, MAX, MAX)),
        // one entry past the last seq a head can cover (2^64 - 2)
        (
            Log::with_seqs(MAX - 2, &[MAX - 2, MAX - 1, MAX], MAX),
            entry(2, MAX, MAX),
        ),
        (
            Log::with_seqs(MAX - 2, &[MAX - 2, MAX - 1, 0], MAX),
            entry(2, 0, MAX),
        ),
        // fewer entries than the head's range
        (
            Log::with_seqs(MAX - 9, &[MAX - 9, MAX - 8], MAX),
            LogError::Truncated { expected: MAX - 7 },
        ),
        // more entries than the head's range, from 0
        (Log::with_seqs(0, &[0, 1, 2], 2), entry(2, 2, 2)),
        // none where the head says some
        (
            Log {
                entries: Vec::new(),
                ..Log::with_seqs(5, &[5], 6)
            },
            LogError::Truncated { expected: 5 },
        ),
    ];
    for (log, want) in cases {
        let x = log.export();
        for signer in [Signer::AnyKey, Signer::Pinned(&key)] {
            assert_eq!(
                verify_export(&x, signer, Some(CHALLENGE)).err(),
                Some(want),
                "{:?}",
                log.head
            );
        }
    }
    // an export of nothing at the end of the seq space is fine
    let empty = Log::with_seqs(MAX, &[], MAX).export();
    assert!(verify_export(&empty, Signer::Pinned(&key), Some(CHALLENGE)).is_ok());
}

/// A key list ends whatever the TA says about its total: at most
/// ⌈MAX_KEYS / KEY_LIST_PAGE⌉ calls, and a total past `MAX_KEYS` is
/// refused at once.
#[test]
fn key_list_ends_whatever_the_ta_answers() {
    let most = usize::from(MAX_KEYS).div_ceil(KEY_LIST_PAGE);
    assert_eq!(most, 84);
    let page = |total: u16| {
        json(&KeyListReply {
            total,
            keys: heapless::Vec::new(),
        })
    };
    // empty pages under the largest total the TA may report
    let full = page(MAX_KEYS);
    let mut c = hostile(|_, _| (OK, full.clone()));
    assert!(c.key_list().unwrap().is_empty());
    assert_eq!(calls(&mut c), most);
    for total in [MAX_KEYS + 1, u16::MAX] {
        let p = page(total);
        let mut c = hostile(|_, _| (OK, p.clone()));
        assert_eq!(c.key_list().err(), Some(Error::ReplyLimit), "{total}");
        assert_eq!(calls(&mut c), 1);
    }
    // a total that grows with every call
    let mut n = 0u16;
    let mut c = hostile(|_, _| {
        n += 12;
        (OK, page(n.min(MAX_KEYS)))
    });
    assert!(c.key_list().is_ok());
    assert!(calls(&mut c) <= most);
}

/// Every other call makes a fixed number of transport calls whatever the
/// TA answers (an `ok` with a body of another command, an empty body, a
/// refusal): no call retries or pages.
#[test]
fn every_call_ends_against_a_ta_that_repeats_itself() {
    let log = Log::new(0, 3);
    let bodies: [(u32, Vec<u8>); 5] = [
        (OK, Vec::new()),
        (OK, b"{}".to_vec()),
        (OK, log.head_reply()),
        (OK, log.honest_page(0, 8)),
        (Status::BadRequest as u32, Vec::new()),
    ];
    for (status, body) in bodies {
        each_call_is_bounded(&mut hostile(|_, _| (status, body.clone())));
    }
}

fn each_call_is_bounded<F: Answer>(c: &mut Client<Hostile<F>>) {
    let pin = Pin::new("2580").unwrap();
    let id = "0102030405060708";
    let record = TxRecord {
        amount: 1,
        currency: "EUR".try_into().unwrap(),
        payee: "p".try_into().unwrap(),
        display: "d".try_into().unwrap(),
        challenge: "00".repeat(16).as_str().try_into().unwrap(),
        time: 1,
    };
    type Run<'a, F> = &'a dyn Fn(&mut Client<Hostile<F>>) -> bool;
    let runs: [(&str, usize, Run<'_, F>); 22] = [
        ("ping", 1, &|c| c.ping(1).is_ok()),
        ("info", 1, &|c| c.info().is_ok()),
        ("provision", 1, &|c| c.provision(5, 0, &[4; 65]).is_ok()),
        ("wipe", 1, &|c| c.wipe().is_ok()),
        ("pin status", 1, &|c| c.pin_status().is_ok()),
        ("pin set", 2, &|c| c.pin_set(&pin, None).is_ok()),
        ("pin verify", 2, &|c| c.pin_verify(&pin, None).is_ok()),
        ("pin change", 2, &|c| c.pin_change(&pin, &pin, None).is_ok()),
        ("pin unblock", 2, &|c| {
            c.pin_unblock(&pin, None, |_| Ok(vec![0x30, 0])).is_ok()
        }),
        ("key generate", 1, &|c| {
            c.key_generate("k", KeyPolicy::plain(mfs_proto::Purpose::Sign))
                .is_ok()
        }),
        ("key info", 1, &|c| c.key_info(id).is_ok()),
        ("key public", 1, &|c| c.key_public(id).is_ok()),
        ("key delete", 1, &|c| c.key_delete(id).is_ok()),
        ("key sign", 1, &|c| c.key_sign(id, b"m").is_ok()),
        ("key attest", 1, &|c| c.key_attest(id, b"c", None).is_ok()),
        ("key attest verified", 2, &|c| {
            c.key_attest_verified(id, b"c", None, None).is_ok()
        }),
        ("key export", 1, &|c| c.key_export(id).is_ok()),
        ("key import", 1, &|c| c.key_import(&[1, 2]).is_ok()),
        ("tx sign", 2, &|c| {
            c.tx_sign(id, &pin, None, &record).is_ok()
        }),
        ("log head", 1, &|c| c.log_head(b"c").is_ok()),
        ("log read", 1, &|c| c.log_read(0).is_ok()),
        // a head of 3 entries at most: the head and 3 pages
        ("log export", 4, &|c| c.log_export(CHALLENGE).is_ok()),
    ];
    for (what, most, run) in runs {
        let before = calls(c);
        let _ = run(c);
        let made = calls(c) - before;
        assert!(made <= most, "{what}: {made} calls (at most {most})");
    }
}
