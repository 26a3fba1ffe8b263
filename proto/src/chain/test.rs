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
    assert_eq!(EventKind::from_u8(18), None);
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
