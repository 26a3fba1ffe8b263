//! Event-log append cost at 10, 10,000 and 100,000 entries (native, on the
//! in-memory platform; `cargo bench -p mfs-core --bench log_append`).
//!
//! The anchor is the cost at 10 entries measured in the same run: the
//! claim under test is that appending does not get dearer as the log grows
//! (one atomic write of just the new entry at the end of the newest
//! segment per append, whatever the length).
#![allow(missing_docs, clippy::unwrap_used, clippy::cast_precision_loss)]

use std::time::Instant;

use mfs_core::audit::{Cache, Event, append};
use mfs_core::mem::MemPlatform;
use mfs_core::platform::Platform;

fn event(i: u64) -> Event {
    Event::key_used(&i.to_be_bytes(), 1, 1)
}

fn main() {
    const WARM: u64 = 50_000;
    const COLD: u64 = 500;
    println!(
        "entries   warm µs/append    cold µs/append    writes/append  bytes/append  largest object B"
    );
    let mut anchor = None;
    for n in [10u64, 10_000, 100_000] {
        let mut p = MemPlatform::new();
        let mut inst = Cache::default();
        for i in 0..n {
            append(&mut p, &mut inst, &[event(i)]).unwrap();
        }
        let (w0, b0) = (p.writes(), p.bytes_written());
        let t = Instant::now();
        for i in 0..WARM {
            append(&mut p, &mut inst, &[event(n + i)]).unwrap();
        }
        let warm = t.elapsed().as_secs_f64() * 1e6 / WARM as f64;
        let writes = (p.writes() - w0) as f64 / WARM as f64;
        let bytes = (p.bytes_written() - b0) as f64 / WARM as f64;
        let t = Instant::now();
        for i in 0..COLD {
            // a fresh TA instance: the log state is loaded from storage
            let mut fresh = Cache::default();
            append(&mut p, &mut fresh, &[event(i)]).unwrap();
        }
        let cold = t.elapsed().as_secs_f64() * 1e6 / COLD as f64;
        let largest = p
            .object_ids()
            .unwrap()
            .iter()
            .filter_map(|id| p.read(id).unwrap())
            .map(|b| b.len())
            .max()
            .unwrap_or(0);
        let (aw, ac) = *anchor.get_or_insert((warm, cold));
        println!(
            "{n:>7}   {warm:>7.2} ({:>4.2}×)   {cold:>7.2} ({:>4.2}×)   {writes:>13.3}  {bytes:>12.1}  {largest:>16}",
            warm / aw,
            cold / ac
        );
    }
}
