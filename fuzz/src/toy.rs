//! A deliberately unbounded recursive parser of nested JSON arrays (one
//! Rust frame per `[`), the kind of parser the TA must not have. It exists
//! only to prove that the `json_depth` target's stack budget fires: built
//! with `--features toy-recursive`, the target also measures this parser,
//! and libFuzzer finds a crashing input within seconds (see README.md).

/// Depth of the nested arrays at the start of `b` (`[[[...]]]`).
pub fn depth(b: &[u8]) -> usize {
    value(b, 0).0
}

#[inline(never)]
fn value(b: &[u8], i: usize) -> (usize, usize) {
    // A small frame, like a real parser's locals.
    let mut frame = [0u8; 48];
    frame[i % 48] = 1;
    std::hint::black_box(&mut frame);
    match b.get(i) {
        Some(b'[') => {
            let (d, j) = value(b, i + 1);
            let j = if b.get(j) == Some(&b']') { j + 1 } else { j };
            (d + 1, j)
        }
        Some(_) => (0, i + 1),
        None => (0, i),
    }
}

#[cfg(test)]
mod test {
    use super::*;
    use crate::stack::{PARSE_BUDGET, measure};

    /// The budget check fires for the toy parser on a deep input, and not
    /// for the real decoders on the TA's own deep-nesting attack samples.
    #[test]
    fn budget_trips_on_unbounded_recursion_only() {
        let deep: Vec<u8> = core::iter::repeat_n(b'[', 2048).collect();
        let d = deep.clone();
        let used = measure(move || {
            std::hint::black_box(depth(&d));
        });
        assert!(used > PARSE_BUDGET, "toy parser used only {used} bytes");
        let shallow = b"[[1]]".to_vec();
        let used = measure(move || {
            std::hint::black_box(depth(&shallow));
        });
        assert!(used < PARSE_BUDGET, "{used}");
        for sample in mfs_proto::json_shape::deep_nesting_samples::<2048>() {
            for (name, f) in crate::messages::KINDS {
                let s = sample.to_vec();
                let used = measure(move || f(&s, false));
                assert!(used < PARSE_BUDGET, "{name}: {used}");
            }
        }
    }
}
