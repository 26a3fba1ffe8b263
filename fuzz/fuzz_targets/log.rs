//! The TA's stored event log (`mfs_core::audit`), first byte selects:
//!
//! 0. Damaged or arbitrary segment objects: loading, extent, page reads
//!    and one append never panic; pages are consecutive; an append to a
//!    loadable log adds exactly one entry.
//! 1. Power cuts: up to 450 appends of 1–3 events (crossing segment starts and the
//!    ring's rollover) with a power cut and reboots where the input says;
//!    afterwards the log loads, the retained window verifies, and it holds
//!    every append that succeeded and no more than were tried.
//!
//! Each input may append hundreds of entries: a stateful target, run for
//! time like `dispatch`. The chain check alone is the `log_chain` target.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mfs_core::audit::{self, Cache, Details, Event, SEGMENT_ENTRIES};
use mfs_core::mem::MemPlatform;
use mfs_core::platform::{ObjectId, Platform};
use mfs_fuzz::chain::Item;
use mfs_fuzz::input::Input;
use mfs_proto::log::{EventKind, Head, verify_chain};

fn event(inp: &mut Input) -> Event {
    let kind = EventKind::ALL[usize::from(inp.u8()) % EventKind::ALL.len()];
    let details = Details::from_slice(inp.var_bytes(48)).unwrap_or_default();
    Event { kind, details }
}

fn id(name: &[u8]) -> ObjectId {
    ObjectId::new(name).expect("object id")
}

/// Reads the whole retained log; `None` if any read fails.
fn read_all(p: &mut MemPlatform, cache: &mut Cache) -> Option<(Head, Vec<Item>)> {
    let head = audit::head(p, cache, b"").ok()?;
    let mut items = Vec::new();
    let mut from = head.first_seq;
    while from < head.next_seq {
        // Whole segments at a time: every read of an older segment loads
        // and re-hashes all of it.
        let (first, next, page) = audit::read(p, cache, from, SEGMENT_ENTRIES).ok()?;
        assert_eq!(
            (first, next),
            (head.first_seq, head.next_seq),
            "extent changed"
        );
        if page.is_empty() {
            return None;
        }
        for (e, d) in page {
            assert_eq!(e.seq, from, "page not consecutive");
            from += 1;
            items.push(Item(e, d.to_vec()));
        }
    }
    Some((head, items))
}

fn stored(inp: &mut Input) {
    let mut p = MemPlatform::new();
    if inp.bit() {
        let mut cache = Cache::default();
        // Mostly short logs; sometimes past the ring's rollover (1,024).
        let n = match inp.u8() {
            0..=223 => inp.u16() % 300,
            _ => 1000 + inp.u16() % 200,
        };
        for _ in 0..n {
            let _ = audit::append(&mut p, &mut cache, &[event(inp)]);
        }
        for _ in 0..inp.u8() % 4 {
            let name = [&b"log"[..], b"lg/0", b"lg/1", b"lg/2", b"lg/7"][usize::from(inp.u8()) % 5];
            if let Some(obj) = p.object_mut(&id(name)) {
                let at = usize::from(inp.u16());
                match inp.u8() % 3 {
                    0 if !obj.is_empty() => {
                        let i = at % obj.len();
                        obj[i] ^= 1 << (inp.u8() % 8);
                    }
                    1 => obj.truncate(at % (obj.len() + 1)),
                    _ => obj.extend_from_slice(inp.var_bytes(64)),
                }
            }
        }
    } else {
        let names: [&[u8]; 5] = [b"log", b"lg/0", b"lg/1", b"lg/2", b"lg/7"];
        for name in names {
            if inp.bit() {
                let body = inp.var_bytes(2048).to_vec();
                p.write(&id(name), &body).expect("write");
            }
        }
    }
    let mut cache = Cache::default();
    let before = audit::extent(&mut p, &mut cache);
    if let Ok(x) = &before {
        assert!(x.first_seq <= x.next_seq, "extent {x:?}");
        let from = x.first_seq.saturating_add(u64::from(inp.u16()));
        if let Ok((_, _, page)) = audit::read(&mut p, &mut cache, from, 8) {
            for (i, (e, _)) in page.iter().enumerate() {
                assert_eq!(e.seq, from + i as u64, "page not consecutive");
                assert!(e.seq < x.next_seq);
            }
        }
        let _ = read_all(&mut p, &mut Cache::default());
    }
    let appended = audit::append(&mut p, &mut Cache::default(), &[event(inp)]);
    if let (Ok(x), Ok(())) = (&before, &appended) {
        let after = audit::extent(&mut p, &mut Cache::default())
            .expect("a log that loaded and took an append loads again");
        assert_eq!(
            Some(after.next_seq),
            x.next_seq.checked_add(1),
            "one append, one entry"
        );
    }
}

fn power_cuts(inp: &mut Input) {
    let mut p = MemPlatform::new();
    let mut cache = Cache::default();
    let n = usize::from(match inp.u8() {
        0..=223 => inp.u16() % 100,
        _ => inp.u16() % 450,
    });
    let cut = usize::from(inp.u16()) % (n + 1);
    let cut_after = 1 + u64::from(inp.u8() % 3);
    let reboot = usize::from(inp.u16()) % (n + 1);
    let batch = 1 + usize::from(inp.u8() % 3);
    let (mut ok, mut tried) = (0u64, 0u64);
    let ev = event(inp);
    let mut dark = 0;
    for i in 0..n {
        if i == cut {
            p.cut_power_at(cut_after);
        }
        // A reboot where the input says, and after three appends failed
        // in a row (the device is off until it restarts).
        if i == reboot || dark == 3 {
            p.power_on();
            cache = Cache::default();
            dark = 0;
        }
        let events = vec![ev.clone(); batch];
        tried += batch as u64;
        if audit::append(&mut p, &mut cache, &events).is_ok() {
            ok += batch as u64;
        } else {
            dark += 1;
        }
    }
    p.power_on();
    let (head, items) =
        read_all(&mut p, &mut Cache::default()).expect("the log loads after power cuts");
    assert!(
        verify_chain(&head, &items).is_ok(),
        "the log does not verify after power cuts"
    );
    assert!(
        head.next_seq >= ok && head.next_seq <= tried,
        "{} entries after {ok} good of {tried} appends",
        head.next_seq
    );
}
fuzz_target!(|data: &[u8]| {
    let mut inp = Input::new(data);
    if inp.u8() % 2 == 0 {
        stored(&mut inp);
    } else {
        power_cuts(&mut inp);
    }
});
