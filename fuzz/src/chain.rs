//! Log chains for the `log_chain`, `log` and `host_verifiers` targets: a valid chain
//! built from fuzz input, tampering chosen by the input, and an
//! independent reference of what a chain check must accept, for
//! differential testing of `mfs_proto::log::verify_chain` and the host's
//! `verify_export`.

use mfs_proto::log::{ChainItem, DETAILS_MAX_LEN, Entry, EventKind, Hash, Head, sha256};

use crate::input::Input;

/// An entry and its details.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Item(pub Entry, pub Vec<u8>);

impl ChainItem for Item {
    fn entry(&self) -> &Entry {
        &self.0
    }
    fn details(&self) -> Option<&[u8]> {
        Some(&self.1)
    }
}

/// An entry whose details may have been withheld (what an export made by
/// a client other than the admin holds).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MaybeWithheld(pub Entry, pub Option<Vec<u8>>);

impl ChainItem for MaybeWithheld {
    fn entry(&self) -> &Entry {
        &self.0
    }
    fn details(&self) -> Option<&[u8]> {
        self.1.as_deref()
    }
}

/// Whether `items` are exactly the entries `head` covers, computed the
/// plain way with checked arithmetic: `next_seq - first_seq` entries with
/// consecutive seqs from `first_seq`, each details hash right, each prev
/// hash the hash of the entry before (the first one's: the checkpoint),
/// and the last hash (the checkpoint if none) equal to the head.
pub fn reference_ok<T: ChainItem>(head: &Head, items: &[T]) -> bool {
    let Some(count) = head.next_seq.checked_sub(head.first_seq) else {
        return false;
    };
    if u64::try_from(items.len()).ok() != Some(count) {
        return false;
    }
    let mut prev = head.checkpoint;
    for (i, item) in (0u64..).zip(items) {
        let e = item.entry();
        // i < count = next_seq - first_seq: the sum cannot overflow.
        let seq = head.first_seq + i;
        let details_ok = item
            .details()
            .is_none_or(|d| sha256(&[d]) == e.details_hash);
        if e.seq != seq || !details_ok || e.prev != prev {
            return false;
        }
        prev = e.hash();
    }
    prev == head.head
}

fn hash(inp: &mut Input) -> Hash {
    if inp.bit() { inp.array() } else { [0; 32] }
}

/// A valid chain and its head, shaped by the input: where it starts
/// (0, small, near `u64::MAX`, anywhere), how long it is (up to 24), its
/// checkpoint, and each entry's time, kind and details.
pub fn build(inp: &mut Input) -> (Head, Vec<Item>) {
    let first_seq = match inp.u8() % 4 {
        0 => 0,
        1 => u64::from(inp.u16()),
        2 => u64::MAX - u64::from(inp.u8()),
        _ => inp.u64(),
    };
    let n = u64::from(inp.u8() % 25).min(u64::MAX - first_seq);
    let checkpoint = hash(inp);
    let mut prev = checkpoint;
    let mut items = Vec::new();
    for seq in first_seq..first_seq + n {
        let kind = EventKind::ALL[usize::from(inp.u8()) % EventKind::ALL.len()];
        let details = inp.var_bytes(DETAILS_MAX_LEN).to_vec();
        let e = Entry::new(seq, inp.u64(), kind, &details, prev);
        prev = e.hash();
        items.push(Item(e, details));
    }
    let head = Head {
        ta_uuid: inp.array(),
        tee_device_id: inp.array(),
        first_seq,
        checkpoint,
        next_seq: first_seq + n,
        head: prev,
        challenge: heapless::Vec::from_slice(inp.var_bytes(64)).unwrap_or_default(),
    };
    (head, items)
}

/// Up to three changes to a chain or its head, chosen by the input.
pub fn tamper(inp: &mut Input, head: &mut Head, items: &mut Vec<Item>) {
    for _ in 0..inp.u8() % 4 {
        let op = inp.u8();
        let len = items.len();
        let i = if len == 0 {
            0
        } else {
            usize::from(inp.u8()) % len
        };
        let delta = u64::from(inp.u8()) + 1;
        match (op % 14, items.get_mut(i)) {
            (0, Some(it)) => it.0.seq = it.0.seq.wrapping_add(delta),
            (1, Some(it)) => it.0.seq = it.0.seq.wrapping_sub(delta),
            (2, Some(it)) => it.0.time ^= delta,
            (3, Some(it)) => {
                it.0.kind = EventKind::ALL[usize::from(op / 14) % EventKind::ALL.len()];
            }
            (4, Some(it)) if !it.1.is_empty() => {
                let j = usize::from(inp.u8()) % it.1.len();
                it.1[j] ^= 1;
            }
            (5, Some(it)) => it.1.push(inp.u8()),
            (6, Some(it)) => it.0.details_hash[usize::from(inp.u8()) % 32] ^= 1,
            (7, Some(it)) => it.0.prev[usize::from(inp.u8()) % 32] ^= 1,
            (8, Some(_)) => {
                items.remove(i);
            }
            (9, Some(it)) => {
                let copy = it.clone();
                items.insert(i, copy);
            }
            (10, Some(_)) => {
                let j = usize::from(inp.u8()) % len;
                items.swap(i, j);
            }
            (11, _) => head.first_seq = head.first_seq.wrapping_add(delta),
            (12, _) => head.next_seq = head.next_seq.wrapping_sub(delta),
            (13, _) => head.head[usize::from(inp.u8()) % 32] ^= 1,
            _ => head.checkpoint[usize::from(inp.u8()) % 32] ^= 1,
        }
    }
}

#[cfg(test)]
mod test {
    use super::*;
    use mfs_proto::log::verify_chain;

    #[test]
    fn built_chains_verify_and_tampered_ones_agree_with_the_reference() {
        for seed in 0u8..=255 {
            let data: Vec<u8> = (0..600u32)
                .map(|i| u8::try_from((i * 31 + u32::from(seed) * 7) % 251).unwrap())
                .collect();
            let mut inp = Input::new(&data);
            let (mut head, mut items) = build(&mut inp);
            assert!(reference_ok(&head, &items));
            assert_eq!(verify_chain(&head, &items), Ok(()));
            tamper(&mut inp, &mut head, &mut items);
            assert_eq!(
                verify_chain(&head, &items).is_ok(),
                reference_ok(&head, &items),
                "seed {seed}: {head:?} {:?}",
                items.iter().map(|i| i.0.seq).collect::<Vec<_>>()
            );
        }
    }
}

/// The entries of an export `mfs_host::log::verify_export` accepted, as
/// the reference check takes them. Every field must decode (the verifier
/// accepted them) and each entry's `hash` field must be its hash: a
/// failure is a verifier bug, so it panics.
pub fn accepted_items(x: &mfs_host::log::Export) -> Vec<MaybeWithheld> {
    use mfs_host::keys::hex_decode;
    x.entries
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
        .collect()
}
