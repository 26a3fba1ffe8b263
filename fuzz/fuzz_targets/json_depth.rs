//! Stack depth of parsing: every JSON message type (first byte selects,
//! see `mfs_fuzz::messages::KINDS`) is decoded with `mfs_proto::decode` on
//! the stack probe, which measures the stack it used (`mfs_fuzz::stack`). A
//! parse over `PARSE_BUDGET` (16 KiB; the TA's whole stack is 64 KiB) is a
//! crash for the types the TA decodes (requests and the header peek), and
//! the depth reached is fed back to libFuzzer as coverage so the corpus
//! climbs towards the deepest parse. Replies are decoded by the host, on a
//! normal-world stack: they are measured and fed back, not held to the
//! TA's budget.
//!
//! With `--features toy-recursive` every input is also parsed by an
//! unbounded recursive toy parser, which the fuzzer drives over the budget
//! within seconds: the proof that this target can fail.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mfs_fuzz::messages::{KINDS, select};
use mfs_fuzz::stack::{PARSE_BUDGET, feedback, measure};

fuzz_target!(|data: &[u8]| {
    let Some((kind, rest)) = select(data) else {
        return;
    };
    let (name, decode) = KINDS[kind];
    let used = measure(|| decode(rest, false));
    feedback(used);
    let in_the_ta = !name.ends_with("Reply");
    assert!(
        used <= PARSE_BUDGET || !in_the_ta,
        "decoding {name} used {used} bytes of stack (budget {PARSE_BUDGET})"
    );
    #[cfg(feature = "toy-recursive")]
    {
        let used = measure(|| {
            std::hint::black_box(mfs_fuzz::toy::depth(rest));
        });
        feedback(used);
        assert!(
            used <= PARSE_BUDGET,
            "the recursive toy parser used {used} bytes of stack (budget {PARSE_BUDGET})"
        );
    }
});
