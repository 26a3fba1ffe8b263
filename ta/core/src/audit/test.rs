//! Tests of the parent module.

use super::segment::{ENTRY_STORE_MAX, SEGMENT_HEADER_LEN};
use super::*;
use crate::mem::MemPlatform;
use crate::testkit::{Item, export};
use mfs_proto::log::{ChainError, verify_chain};
use mfs_proto::log::{EventKind, LOG_PAGE};

fn ev(i: u64) -> Event {
    Event::key_used(&i.to_be_bytes(), 1, 7)
}

fn fill(p: &mut MemPlatform, inst: &mut Cache, from: u64, n: u64) {
    for i in from..from + n {
        append(p, inst, &[ev(i)]).unwrap();
    }
}

#[test]
fn chain_verifies_across_rollover() {
    let mut p = MemPlatform::new();
    let mut inst = Cache::default();
    let mut archived: alloc::vec::Vec<Item> = alloc::vec::Vec::new();
    for (n, step) in [
        (0u64, 0u64),
        (1, 1),
        (127, 126),
        (128, 1),
        (129, 1),
        (1024, 895),
        (1025, 1),
        (2500, 1475),
    ] {
        fill(&mut p, &mut inst, n - step, step);
        let (h, items) = export(&mut p, &mut inst);
        assert_eq!(h.next_seq, n);
        assert_eq!(verify_chain(&h, &items), Ok(()), "{n} entries");
        let retained = items.len() as u64;
        assert!(
            retained == n || (897..=1024).contains(&retained),
            "{n}: {retained}"
        );
        // an older export links to a newer one at the checkpoint
        if h.first_seq > 0
            && let Some(old) = archived.iter().find(|i| i.0.seq == h.first_seq - 1)
        {
            assert_eq!(old.0.hash(), h.checkpoint);
        }
        archived = items;
        // a cold start (fresh instance) sees the same head
        let mut cold = Cache::default();
        assert_eq!(head(&mut p, &mut cold, b"c").unwrap(), h);
    }
}

#[test]
fn warm_append_is_one_write_and_cost_does_not_grow() {
    let mut p = MemPlatform::new();
    let mut inst = Cache::default();
    let mut sizes = alloc::vec::Vec::new();
    for target in [10u64, 1_000, 10_000] {
        let have = head(&mut p, &mut inst, b"").unwrap().next_seq;
        fill(&mut p, &mut inst, have, target - have);
        // warm: exactly one write of just the entry, no read
        let (r, w, b) = (p.reads(), p.writes(), p.bytes_written());
        append(&mut p, &mut inst, &[ev(target)]).unwrap();
        assert_eq!((p.reads() - r, p.writes() - w), (0, 1), "{target}");
        assert_eq!(p.bytes_written() - b, 8 + 1 + 1 + 13, "{target}");
        // cold: reads the retired head's name, `lg` and the tally
        let mut cold = Cache::default();
        let r = p.reads();
        append(&mut p, &mut cold, &[ev(target)]).unwrap();
        assert_eq!(p.reads() - r, 3, "{target}");
        // (one TA instance only: the warm cache continues from here)
        inst = cold;
        let current = p.read(&objects::log_current().unwrap()).unwrap();
        sizes.push(current.unwrap().len());
        // at most two objects, whatever the length: `lg` and `la` (whose
        // size stops at 7 regions)
        assert_eq!(p.object_count(), if target < 128 { 1 } else { 2 });
        if target >= 1_000 {
            let la = p.read(&objects::log_archive().unwrap()).unwrap().unwrap();
            assert_eq!(
                la.len(),
                segment::ARCHIVE_HEADER_LEN + usize::try_from(ARCHIVED).unwrap() * REGION_LEN
            );
        }
    }
    // the largest object written is bounded by one segment whatever the length
    assert!(
        sizes
            .iter()
            .all(|s| *s <= SEGMENT_HEADER_LEN + SEGMENT_ENTRIES * ENTRY_STORE_MAX)
    );
}

#[test]
fn a_cut_rollover_loses_only_the_unreleased_batch_never_forks() {
    let mut p = MemPlatform::new();
    let mut inst = Cache::default();
    fill(&mut p, &mut inst, 0, 128);
    let (h0, before) = export(&mut p, &mut inst);
    // the next append starts segment 1: archive segment 0, then replace `lg`
    p.cut_power_at(2);
    assert_eq!(append(&mut p, &mut inst, &[ev(128)]), Err(Error::Storage));
    p.power_on();
    let mut inst = Cache::default();
    let (h1, after) = export(&mut p, &mut inst);
    // segment 0 is unchanged and still the newest; the event never landed
    assert_eq!(h1, h0);
    assert_eq!(after, before);
    // appends continue the same chain: segment 0 is archived again
    fill(&mut p, &mut inst, 128, 3);
    let (h2, all) = export(&mut p, &mut inst);
    assert_eq!(verify_chain(&h2, &all), Ok(()));
    assert_eq!(h2.next_seq, 131);
    assert_eq!(all[127].0.hash(), h0.head);
}

/// The same cut once the ring is full (segment 8 archived over segment 1's
/// region): the head and every read still work, the window one segment
/// shorter until the next append (hostile review).
#[test]
fn a_cut_rollover_in_a_full_ring_keeps_the_head_available() {
    let mut p = MemPlatform::new();
    let mut inst = Cache::default();
    fill(&mut p, &mut inst, 0, 9 * 128);
    let (h0, before) = export(&mut p, &mut inst);
    assert_eq!(h0.first_seq, 128);
    p.cut_power_at(2);
    assert_eq!(append(&mut p, &mut inst, &[ev(0)]), Err(Error::Storage));
    p.power_on();
    let mut inst = Cache::default();
    let (h1, after) = export(&mut p, &mut inst);
    assert_eq!(verify_chain(&h1, &after), Ok(()));
    assert_eq!((h1.first_seq, h1.next_seq), (2 * 128, h0.next_seq));
    assert_eq!(after.as_slice(), &before[128..]);
    fill(&mut p, &mut inst, 9 * 128, 1);
    let (h2, all) = export(&mut p, &mut inst);
    assert_eq!(verify_chain(&h2, &all), Ok(()));
    assert_eq!(h2.first_seq, 2 * 128);
}

/// A log of the earlier layout (`log` + `lg/<k mod 8>`) moves into `lg` and
/// `la` on first use, with every retained entry and the same head; a power
/// cut at any write of the move changes nothing that was there.
#[test]
fn the_earlier_log_layout_moves_whatever_the_power_cuts() {
    for total in [0u64, 5, 128, 300, 1100] {
        // build the earlier layout from a log of the current one
        let mut src = MemPlatform::new();
        let mut c = Cache::default();
        fill(&mut src, &mut c, 0, total);
        let (h, items) = export(&mut src, &mut c);
        let st = c.0.clone().unwrap();
        let mut old = MemPlatform::new();
        let first_k = oldest_k(st.current.k);
        for k in first_k..=st.current.k {
            let seg = if k == st.current.k {
                st.current.clone()
            } else {
                Segment::load_archived(&mut src, k).unwrap().unwrap()
            };
            if k == st.current.k && !st.stored {
                continue;
            }
            let mut bytes = alloc::vec![1u8];
            bytes.extend_from_slice(&seg.k.to_be_bytes());
            bytes.extend_from_slice(&seg.prev);
            for e in &seg.entries {
                e.encode_into(&mut bytes).unwrap();
            }
            old.write(&Segment::legacy_object_id(k).unwrap(), &bytes)
                .unwrap();
        }
        if total > 0 {
            let mut head = alloc::vec![1u8];
            head.extend_from_slice(&st.current.k.to_be_bytes());
            old.write(&legacy_head_id().unwrap(), &head).unwrap();
        }
        let snap = old.snapshot();
        for cut in 1.. {
            let mut p = MemPlatform::new();
            p.restore(&snap);
            p.cut_power_at(cut);
            let r = head(&mut p, &mut Cache::default(), b"");
            p.power_on();
            let (h2, items2) = export(&mut p, &mut Cache::default());
            assert_eq!((&h2, &items2), (&h, &items), "{total} entries, cut {cut}");
            if r.is_ok() {
                break;
            }
        }
        let mut p = MemPlatform::new();
        p.restore(&snap);
        let mut inst = Cache::default();
        fill(&mut p, &mut inst, total, 1);
        let (h3, items3) = export(&mut p, &mut inst);
        assert_eq!(verify_chain(&h3, &items3), Ok(()));
        let ids = p.object_ids().unwrap();
        assert!(
            ids.iter()
                .all(|id| [b"lg".as_slice(), b"la"].contains(&id.as_bytes())),
            "{total}: {ids:?}"
        );
    }
}

#[test]
fn power_cuts_at_every_append_never_fork_the_chain() {
    // A long walk of appends (batches of 1–3 events) with a power cut
    // at a pseudo-random write every few steps. After every reboot the
    // log verifies and every entry seen before is unchanged.
    let mut p = MemPlatform::new();
    let mut inst = Cache::default();
    let mut seen: alloc::collections::BTreeMap<u64, Hash> = Default::default();
    let mut seed = 99u32;
    let mut i = 0u64;
    for step in 0..400 {
        seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
        let batch = 1 + (seed >> 20) % 3;
        let events: alloc::vec::Vec<Event> = (0..batch).map(|j| ev(i + u64::from(j))).collect();
        i += u64::from(batch);
        let cut = (seed >> 8).is_multiple_of(3);
        if cut {
            p.cut_power_at(u64::from(1 + (seed >> 12) % 3));
        }
        let r = append(&mut p, &mut inst, &events);
        if cut {
            p.power_on();
            inst = Cache::default();
        } else {
            assert_eq!(r, Ok(()));
        }
        let (h, items) = export(&mut p, &mut inst);
        assert_eq!(verify_chain(&h, &items), Ok(()), "step {step}");
        for it in &items {
            let hash = it.0.hash();
            assert_eq!(
                *seen.entry(it.0.seq).or_insert(hash),
                hash,
                "step {step}: fork at {}",
                it.0.seq
            );
        }
        if r.is_ok() {
            assert!(h.next_seq >= items.last().map_or(0, |e| e.0.seq + 1));
        }
    }
    assert!(head(&mut p, &mut inst, b"").unwrap().next_seq > 600);
}

#[test]
fn damaged_log_fails_closed_and_only_wipe_restarts_it() {
    let mut p = MemPlatform::new();
    let mut inst = Cache::default();
    fill(&mut p, &mut inst, 0, 200);
    // the older segments are gone: the head cannot name its checkpoint
    p.delete(&objects::log_archive().unwrap()).unwrap();
    let mut inst = Cache::default();
    assert_eq!(head(&mut p, &mut inst, b"").err(), Some(Error::Storage));
    // a garbled newest segment is refused
    let lg = objects::log_current().unwrap();
    p.object_mut(&lg).unwrap().push(0);
    let mut inst = Cache::default();
    assert_eq!(append(&mut p, &mut inst, &[ev(0)]), Err(Error::Storage));
    // and so is a garbled archived one
    let mut q = MemPlatform::new();
    fill(&mut q, &mut Cache::default(), 0, 130);
    q.object_mut(&objects::log_archive().unwrap()).unwrap()[8] = 0xff;
    assert_eq!(
        read(&mut q, &mut Cache::default(), 0, 1).err(),
        Some(Error::Storage)
    );
    let mut q = MemPlatform::new();
    fill(&mut q, &mut Cache::default(), 0, 3);
    q.object_mut(&objects::log_current().unwrap())
        .unwrap()
        .push(0);
    assert_eq!(
        append(&mut q, &mut Cache::default(), &[ev(0)]),
        Err(Error::Storage)
    );
    // the wipe path restarts the log with its own entry first
    append_or_restart(&mut p, &mut inst, &[Event::plain(EventKind::Wiped)]).unwrap();
    let (h, items) = export(&mut p, &mut inst);
    assert_eq!((h.first_seq, h.next_seq, h.checkpoint), (0, 1, [0; 32]));
    assert_eq!(items[0].0.kind, EventKind::Wiped);
    assert_eq!(verify_chain(&h, &items), Ok(()));
}

#[test]
fn pages_and_bounds() {
    let mut p = MemPlatform::new();
    let mut inst = Cache::default();
    assert_eq!(
        read(&mut p, &mut inst, 0, LOG_PAGE).unwrap(),
        (0, 0, alloc::vec::Vec::new())
    );
    fill(&mut p, &mut inst, 0, 130);
    let (_, _, page) = read(&mut p, &mut inst, 124, LOG_PAGE).unwrap();
    // a page stops at a segment end
    assert_eq!(
        page.iter().map(|e| e.0.seq).collect::<alloc::vec::Vec<_>>(),
        [124, 125, 126, 127]
    );
    let (_, _, page) = read(&mut p, &mut inst, 128, LOG_PAGE).unwrap();
    assert_eq!(page.len(), 2);
    assert!(
        read(&mut p, &mut inst, u64::MAX, LOG_PAGE)
            .unwrap()
            .2
            .is_empty()
    );
    let _ = ChainError::Start;
}

// ---- refused calls: coalesced, never flushing the log ------------------

fn refuse_one(p: &mut MemPlatform, log: &mut Cache, class: RefusalClass) {
    let r: Result<(), Error> = refuse(p, log, class, Error::AccessDenied);
    assert_eq!(r, Err(Error::AccessDenied));
}

#[test]
fn refusals_are_one_entry_before_the_next() {
    let mut p = MemPlatform::new();
    let mut log = Cache::default();
    fill(&mut p, &mut log, 0, 3);
    let writes = p.writes();
    for i in 0..1000u32 {
        let class = RefusalClass::ALL[(i % 3) as usize];
        refuse_one(&mut p, &mut log, class);
    }
    refuse_one(&mut p, &mut log, RefusalClass::PolicyPin);
    // 1000 refusals: counts written at 1, 2, 4, … per class only
    assert!(p.writes() - writes <= 3 * 10 + 1, "{}", p.writes() - writes);
    let (h, _) = export(&mut p, &mut log);
    assert_eq!(h.next_seq, 3, "no entry of their own");
    // they survive a reboot (to within the last power of two)
    let mut log = Cache::default();
    let before = p.writes();
    append(&mut p, &mut log, &[ev(3)]).unwrap();
    assert_eq!(p.writes() - before, 1, "the tally and the event: one write");
    let (h, items) = export(&mut p, &mut log);
    assert_eq!(verify_chain(&h, &items), Ok(()));
    assert_eq!(h.next_seq, 5);
    let tally = &items[3];
    assert_eq!(tally.0.kind, EventKind::Refusals);
    // 334 / 333 / 333, then one policy-pin: its first count wrote the
    // tally, exact for every class at that moment
    let mut want = alloc::vec::Vec::new();
    for (class, n) in [
        (RefusalClass::AccessDenied, 334u32),
        (RefusalClass::PinThrottled, 333),
        (RefusalClass::PinBlocked, 333),
        (RefusalClass::PolicyPin, 1),
    ] {
        want.push(class as u8);
        want.extend_from_slice(&n.to_be_bytes());
    }
    assert_eq!(tally.1.as_slice(), want.as_slice());
    assert_eq!(items[4].0.kind, EventKind::KeyUsed);
    // spent: the next append carries no tally
    append(&mut p, &mut log, &[ev(4)]).unwrap();
    assert_eq!(export(&mut p, &mut log).0.next_seq, 6);
    // exact counts when the TA did not restart
    refuse_one(&mut p, &mut log, RefusalClass::UnblockForged);
    refuse_one(&mut p, &mut log, RefusalClass::UnblockForged);
    refuse_one(&mut p, &mut log, RefusalClass::UnblockForged);
    append(&mut p, &mut log, &[ev(5)]).unwrap();
    let (_, items) = export(&mut p, &mut log);
    assert_eq!(items[6].1.as_slice(), &[4, 0, 0, 0, 3]);
}

#[test]
fn a_flood_of_refusals_cannot_push_an_entry_out() {
    let mut p = MemPlatform::new();
    let mut log = Cache::default();
    let signed = Event::tx_signed(&[7; 8], 42, &[9; 32]);
    append(&mut p, &mut log, core::slice::from_ref(&signed)).unwrap();
    // 5,000 refused calls, every class, with an entry of the attacker's
    // own after every 1000 (the most it can interleave for free)
    for i in 0..5000u32 {
        let class = RefusalClass::ALL[(i % 9) as usize];
        refuse_one(&mut p, &mut log, class);
        if i % 1000 == 999 {
            append(&mut p, &mut log, &[ev(u64::from(i))]).unwrap();
        }
    }
    let (h, items) = export(&mut p, &mut log);
    assert_eq!(verify_chain(&h, &items), Ok(()));
    assert_eq!(h.first_seq, 0, "nothing dropped");
    assert_eq!(h.next_seq, 11, "the signature, 5 tallies and 5 entries");
    assert_eq!(
        (items[0].0.kind, &items[0].1),
        (EventKind::TxSigned, &signed.details)
    );
}

#[test]
fn a_failed_tally_write_is_reported_and_retried() {
    let mut p = MemPlatform::new();
    let mut log = Cache::default();
    fill(&mut p, &mut log, 0, 1);
    p.fail_write_at(1);
    let r: Result<(), Error> = refuse(
        &mut p,
        &mut log,
        RefusalClass::AccessDenied,
        Error::AccessDenied,
    );
    assert_eq!(r, Err(Error::Storage));
    refuse_one(&mut p, &mut log, RefusalClass::AccessDenied);
    append(&mut p, &mut log, &[ev(1)]).unwrap();
    let (_, items) = export(&mut p, &mut log);
    assert_eq!(items[1].0.kind, EventKind::Refusals);
}
