//! Tests of the log entry and head encodings and the chain check.

use super::*;
use std::vec::Vec as StdVec;

struct Item(Entry, StdVec<u8>);
impl ChainItem for Item {
    fn entry(&self) -> &Entry {
        &self.0
    }
    fn details(&self) -> Option<&[u8]> {
        Some(&self.1)
    }
}

/// An entry whose details were withheld: only its hash is known.
struct Withheld(Entry);
impl ChainItem for Withheld {
    fn entry(&self) -> &Entry {
        &self.0
    }
    fn details(&self) -> Option<&[u8]> {
        None
    }
}

/// A reader that gets details hashes only (not the admin) still verifies
/// the whole chain, and still sees any change to an entry.
#[test]
fn withheld_details_still_verify_and_changes_are_found() {
    let (head, items) = chain(5, 4, [9; 32]);
    let mut hashes: StdVec<Withheld> = items.iter().map(|i| Withheld(i.0)).collect();
    assert_eq!(verify_chain(&head, &hashes), Ok(()));
    hashes[1].0.details_hash[0] ^= 1;
    assert_eq!(
        verify_chain(&head, &hashes),
        Err(ChainError::Altered { index: 1 })
    );
}

fn chain(first: u64, n: u64, checkpoint: Hash) -> (Head, StdVec<Item>) {
    let mut prev = checkpoint;
    let mut items = StdVec::new();
    for seq in first..first + n {
        let d = seq.to_be_bytes().to_vec();
        let e = Entry::new(seq, 1000 + seq, EventKind::KeyUsed, &d, prev);
        prev = e.hash();
        items.push(Item(e, d));
    }
    let head = Head {
        ta_uuid: [1; 16],
        tee_device_id: [2; 16],
        first_seq: first,
        checkpoint,
        next_seq: first + n,
        head: prev,
        challenge: Vec::from_slice(b"c").unwrap(),
    };
    (head, items)
}

#[test]
fn entry_known_encoding_and_hash() {
    let e = Entry::new(1, 2, EventKind::PinFailed, &[1, 4], [0xaa; 32]);
    let b = e.encode();
    assert_eq!(
        &b[..18],
        &[1, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 2, 4]
    );
    // SHA-256 of the bytes 01 04, as computed independently by
    // `printf '\x01\x04' | sha256sum`.
    assert_eq!(
        crate::hex_string::<64>(&e.details_hash).unwrap().as_str(),
        "a8d5dd63fba471ebcb1f3e8f7c1e1879b7152a6e7298a91ce119a63400ade7c5"
    );
    assert_eq!(&b[50..], &[0xaa; 32]);
    assert_eq!(Entry::decode(&b), Some(e));
    assert_eq!(e.hash(), sha256(&[&b]));
    assert!(Entry::decode(&b[..81]).is_none());
    let mut x = b;
    x[17] = 0; // unknown kind
    assert!(Entry::decode(&x).is_none());
}

#[test]
fn kinds_are_stable() {
    for (i, k) in EventKind::ALL.iter().enumerate() {
        assert_eq!(*k as u8 as usize, i + 1);
        assert_eq!(EventKind::from_u8(*k as u8), Some(*k));
        assert_eq!(EventKind::from_name(k.name()), Some(*k));
    }
    assert_eq!(EventKind::from_u8(0), None);
    assert_eq!(EventKind::from_u8(19), None);
}

#[test]
fn refusal_classes_are_stable() {
    for (i, k) in RefusalClass::ALL.iter().enumerate() {
        assert_eq!(*k as u8 as usize, i + 1);
        assert_eq!(RefusalClass::from_u8(*k as u8), Some(*k));
    }
    assert_eq!(RefusalClass::from_u8(0), None);
    assert_eq!(RefusalClass::from_u8(10), None);
    // every class fits one `refusals` entry
    assert!(RefusalClass::ALL.len() * 5 <= DETAILS_MAX_LEN);
}

#[test]
fn head_round_trip() {
    let (h, _) = chain(0, 3, [0; 32]);
    let b = h.encode().unwrap();
    assert_eq!(Head::decode(&b), Some(h));
    assert!(Head::decode(&b[..b.len() - 1]).is_none());
}

#[test]
fn intact_chains_verify() {
    for (first, n) in [(0, 0), (0, 1), (0, 5), (1024, 9)] {
        let cp = if first == 0 { [0; 32] } else { [7; 32] };
        let (h, items) = chain(first, n, cp);
        assert_eq!(verify_chain(&h, &items), Ok(()), "{first} {n}");
    }
}

#[test]
fn tampering_is_pinpointed() {
    let (h, items) = chain(0, 6, [0; 32]);
    let fresh = || chain(0, 6, [0; 32]).1;
    // details changed, hash left
    let mut t = fresh();
    t[2].1[0] ^= 1;
    assert_eq!(verify_chain(&h, &t), Err(ChainError::Details { index: 2 }));
    // time changed: entry 3's hash no longer matches entry 4's prev
    for i in 0..6 {
        let mut t = fresh();
        t[i].0.time += 1;
        assert_eq!(
            verify_chain(&h, &t),
            Err(ChainError::Altered { index: i }),
            "{i}"
        );
    }
    // details and details hash changed together
    let mut t = fresh();
    t[1].1 = std::vec![9];
    t[1].0.details_hash = sha256(&[&[9]]);
    assert_eq!(verify_chain(&h, &t), Err(ChainError::Altered { index: 1 }));
    // prev hash changed
    for i in 0..6 {
        let mut t = fresh();
        t[i].0.prev[0] ^= 1;
        assert_eq!(
            verify_chain(&h, &t),
            Err(ChainError::Altered { index: i }),
            "{i}"
        );
    }
    // kind changed
    let mut t = fresh();
    t[4].0.kind = EventKind::TxSigned;
    assert_eq!(verify_chain(&h, &t), Err(ChainError::Altered { index: 4 }));
    // an entry removed from the middle, and from the end
    let mut t = fresh();
    t.remove(3);
    assert_eq!(
        verify_chain(&h, &t),
        Err(ChainError::Sequence {
            index: 3,
            expected: 3
        })
    );
    let mut t = fresh();
    t.pop();
    assert_eq!(
        verify_chain(&h, &t),
        Err(ChainError::Truncated { expected: 5 })
    );
    // one entry too many
    let (_, longer) = chain(0, 7, [0; 32]);
    assert_eq!(
        verify_chain(&h, &longer),
        Err(ChainError::Sequence {
            index: 6,
            expected: 6
        })
    );
    // a different checkpoint
    let h2 = Head {
        checkpoint: [1; 32],
        ..h.clone()
    };
    assert_eq!(
        verify_chain(&h2, &items),
        Err(ChainError::Altered { index: 0 })
    );
    // renumbered
    let mut t = fresh();
    t[0].0.seq = 1;
    assert_eq!(
        verify_chain(&h, &t),
        Err(ChainError::Sequence {
            index: 0,
            expected: 0
        })
    );
}

/// A chain of `n` entries numbered from `first` with wrapping seqs, so a
/// crafted head at the end of the seq space can be given entries that a
/// saturating or wrapping check would take for consecutive ones.
fn crafted(first: u64, seqs: &[u64], next: u64) -> (Head, StdVec<Item>) {
    let mut prev = [5; 32];
    let mut items = StdVec::new();
    for &seq in seqs {
        let e = Entry::new(seq, 7, EventKind::Wiped, &[], prev);
        prev = e.hash();
        items.push(Item(e, StdVec::new()));
    }
    let head = Head {
        ta_uuid: [1; 16],
        tee_device_id: [2; 16],
        first_seq: first,
        checkpoint: [5; 32],
        next_seq: next,
        head: prev,
        challenge: Vec::new(),
    };
    (head, items)
}

/// A head at the very end of the seq space covers what its range says and
/// nothing more: no seq is computed by an addition that could saturate
/// (the old check accepted entries all numbered 2^64 − 1 under a head
/// with `first_seq = next_seq = 2^64 − 1`) or wrap.
#[test]
fn seqs_at_the_end_of_the_seq_space_neither_saturate_nor_wrap() {
    const MAX: u64 = u64::MAX;
    // first = next = MAX: no entry is covered, so any entry is one too many
    for n in 1..4 {
        let (h, items) = crafted(MAX, &std::vec![MAX; n], MAX);
        assert_eq!(
            verify_chain(&h, &items),
            Err(ChainError::Sequence {
                index: 0,
                expected: MAX
            }),
            "{n} entries"
        );
    }
    // ... and with none it verifies (an empty window at the end)
    let (h, none) = crafted(MAX, &[], MAX);
    assert_eq!(verify_chain(&h, &none), Ok(()));
    // the last seq a head can cover is MAX - 1; an entry after it (seq
    // MAX, or a wrapped 0) is refused at its index
    let (h, items) = crafted(MAX - 1, &[MAX - 1, MAX], MAX);
    assert_eq!(
        verify_chain(&h, &items),
        Err(ChainError::Sequence {
            index: 1,
            expected: MAX
        })
    );
    let (h, items) = crafted(MAX - 1, &[MAX - 1, 0], MAX);
    assert_eq!(
        verify_chain(&h, &items),
        Err(ChainError::Sequence {
            index: 1,
            expected: MAX
        })
    );
    let (h, items) = crafted(MAX - 2, &[MAX - 2, MAX - 1], MAX);
    assert_eq!(verify_chain(&h, &items), Ok(()));
    // missing entries at the end of the seq space
    let (h, items) = crafted(MAX - 3, &[MAX - 3], MAX);
    assert_eq!(
        verify_chain(&h, &items),
        Err(ChainError::Truncated { expected: MAX - 2 })
    );
}

/// The number of entries must be exactly `next_seq - first_seq`, whatever
/// the seqs: too few is `Truncated` at the first missing seq, too many is
/// `Sequence` at the first surplus entry (an index into the list).
#[test]
fn entry_count_must_match_the_seq_range() {
    for (first, n) in [(0u64, 3u64), (1000, 5), (u64::MAX - 4, 4)] {
        let seqs: StdVec<u64> = (first..first + n).collect();
        let (h, items) = crafted(first, &seqs, first + n);
        assert_eq!(verify_chain(&h, &items), Ok(()), "{first}");
        // one fewer: the head says more were appended
        let (short, items) = crafted(first, &seqs[..seqs.len() - 1], first + n);
        assert_eq!(
            verify_chain(&short, &items),
            Err(ChainError::Truncated {
                expected: first + n - 1
            })
        );
        // none at all
        let (empty, _) = crafted(first, &[], first + n);
        let none: [Item; 0] = [];
        assert_eq!(
            verify_chain(&empty, &none),
            Err(ChainError::Truncated { expected: first })
        );
        // one more than the range (whatever seq it claims)
        let mut more = seqs.clone();
        more.push(first.wrapping_add(n));
        let (h, items) = crafted(first, &more, first + n);
        let got = verify_chain(&h, &items);
        assert_eq!(
            got,
            Err(ChainError::Sequence {
                index: seqs.len(),
                expected: first + n
            })
        );
    }
}

/// A head whose first seq is past its next seq is refused as such, never
/// by an arithmetic panic (`Head::decode` refuses it; a hand-built head
/// can hold it).
#[test]
fn inverted_head_is_refused() {
    let (h, items) = crafted(5, &[5], 4);
    assert_eq!(verify_chain(&h, &items), Err(ChainError::Head));
    let (h, none) = crafted(u64::MAX, &[], 0);
    assert_eq!(verify_chain(&h, &none), Err(ChainError::Head));
    let mut statement = h.encode().unwrap();
    assert!(Head::decode(&statement).is_none());
    // the same statement with first <= next decodes
    statement[18 + 32..18 + 32 + 8].copy_from_slice(&0u64.to_be_bytes());
    assert!(Head::decode(&statement).is_some());
}
