//! The event log's chain check, differentially (first byte selects):
//!
//! 0. `mfs_proto::log::verify_chain` against an independent reference
//!    (`mfs_fuzz::chain::reference_ok`) on a valid chain with up to three
//!    input-chosen changes (heads with `first > next` included): they must
//!    agree, and a reported index must name an entry of the list.
//! 1. The same on a head decoded from raw bytes and arbitrary entries.
//!
//! The TA's stored log (damage, power cuts) is the `log` target.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mfs_fuzz::chain::{Item, build, reference_ok, tamper};
use mfs_fuzz::input::Input;
use mfs_proto::log::{ChainError, Entry, Head, verify_chain};

fn differential(head: &Head, items: &[Item]) {
    let got = verify_chain(head, items);
    assert_eq!(
        got.is_ok(),
        reference_ok(head, items),
        "verify_chain says {got:?} for {head:?} and {} entries {:?}",
        items.len(),
        items.iter().map(|i| i.0.seq).collect::<Vec<_>>()
    );
    match got {
        Err(ChainError::Details { index } | ChainError::Altered { index }) => {
            assert!(index < items.len(), "index {index} of {}", items.len())
        }
        Err(ChainError::Sequence { index, .. }) => {
            assert!(index < items.len(), "index {index} of {}", items.len())
        }
        _ => {}
    }
}

fuzz_target!(|data: &[u8]| {
    let mut inp = Input::new(data);
    if inp.u8() % 2 == 0 {
        let (mut head, mut items) = build(&mut inp);
        assert!(verify_chain(&head, &items).is_ok(), "a valid chain fails");
        tamper(&mut inp, &mut head, &mut items);
        differential(&head, &items);
    } else {
        let Some(head) = Head::decode(inp.var_bytes(300)) else {
            return;
        };
        let mut items = Vec::new();
        while !inp.is_empty() && items.len() < 32 {
            let raw = inp.bytes(82);
            let Some(e) = Entry::decode(raw) else { break };
            items.push(Item(e, inp.var_bytes(48).to_vec()));
        }
        differential(&head, &items);
    }
});
