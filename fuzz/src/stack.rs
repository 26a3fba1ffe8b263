//! Stack-depth measurement for the `json_depth` target.
//!
//! On the native 8 MiB stack a parse that would overflow the TA's 64 KiB
//! stack runs fine, so the fuzzer would never see it. This module measures
//! how much stack a call uses and turns the number into (a) a failure above
//! a budget and (b) coverage feedback, so libFuzzer keeps inputs that reach
//! deeper and climbs towards the worst case.
//!
//! How: before the call, [`PAINT_LEN`] bytes below the probe's frame are
//! filled with a pattern; after it, the lowest word that no longer holds
//! the pattern is the high-water mark. (A word the call wrote with the
//! pattern value itself would be missed; the pattern is an unlikely value,
//! and a miss under-counts by at most that word's frame.) The call runs on
//! the calling thread — libFuzzer's main thread, with 8 MiB of stack — so
//! no thread hand-off slows the target down; the whole region is painted
//! again for every call, since libFuzzer's own code runs between calls.
//!
//! Budget: [`PARSE_BUDGET`] = 16 KiB for one parse. The TA runs with a
//! 64 KiB stack; when a request is parsed, the OP-TEE entry frames, the TA
//! adapter and `dispatch::invoke` (which alone holds a 2 KiB reply buffer
//! and the command's request value) are already on it, and the handlers
//! that run after the parse do P-256 arithmetic. A quarter of the stack for
//! the parse leaves room for all of that. Measured here with the fuzz
//! build (optimised, no sanitizer); the TA is built with opt-level "s" and
//! LTO, so frames differ a little — the budget has a wide margin over what
//! the parsers use (see `fuzz/README.md`).

/// Most stack one parse may use.
pub const PARSE_BUDGET: usize = 16 * 1024;
/// Bytes painted below the probe; a call using more reports this much
/// (twice the budget: anything over it fails anyway).
pub const PAINT_LEN: usize = 2 * PARSE_BUDGET;
/// Bytes right below the probe's own frame left unpainted (room for the
/// call into the measured function); they count as used.
const SKIP: usize = 256;
const PATTERN: u64 = 0x5ac3_3ca5_c35a_a53c;
const WORD: usize = core::mem::size_of::<u64>();
/// Words handled per loop step (fewer instrumented loop compares).
const BLOCK: usize = 8;

/// The address of a local of a callee frame: just below the caller's
/// stack pointer.
#[inline(never)]
fn below_caller() -> usize {
    let marker = 0u8;
    std::hint::black_box(core::ptr::addr_of!(marker) as usize)
}

/// Runs `f` and returns the stack bytes it used below the caller's frame.
///
/// The calling thread must have at least `PAINT_LEN` + 64 KiB of stack
/// left below the current frame (libFuzzer's main thread has 8 MiB; test
/// threads 2 MiB).
#[inline(never)]
pub fn stack_used(f: &mut dyn FnMut()) -> usize {
    let sp = below_caller();
    let top = (sp - SKIP) & !(BLOCK * WORD - 1);
    let base = top - PAINT_LEN;
    for block in 0..PAINT_LEN / (BLOCK * WORD) {
        for i in 0..BLOCK {
            let p = (base + (block * BLOCK + i) * WORD) as *mut u64;
            // SAFETY: `[base, top)` lies in this thread's stack: below the
            // frame of `below_caller` (hence below this function's frame and
            // every live frame) and far above the end of the stack (the
            // documented precondition). Nothing live is stored below the
            // stack pointer (x86-64 non-leaf frames use no red zone, and
            // this function calls others), so overwriting it destroys
            // nothing. Volatile, so the writes are not elided.
            unsafe { core::ptr::write_volatile(p, PATTERN) };
        }
    }
    std::hint::black_box(&mut *f)();
    let mut lowest = top;
    'scan: for block in 0..PAINT_LEN / (BLOCK * WORD) {
        let mut diff = 0u64;
        for i in 0..BLOCK {
            let p = (base + (block * BLOCK + i) * WORD) as *const u64;
            // SAFETY: same region as above, inside this thread's mapped
            // stack; any bit pattern is a valid `u64` (volatile: the value
            // was written by frames the compiler cannot see here).
            diff |= unsafe { core::ptr::read_volatile(p) } ^ PATTERN;
        }
        if diff != 0 {
            for i in 0..BLOCK {
                let p = (base + (block * BLOCK + i) * WORD) as *const u64;
                // SAFETY: as above.
                if unsafe { core::ptr::read_volatile(p) } != PATTERN {
                    lowest = p as usize;
                    break 'scan;
                }
            }
        }
    }
    sp - lowest
}

/// Stack used by `f` on the calling thread (see [`stack_used`] for the
/// precondition). A result over [`PARSE_BUDGET`] is measured once more and
/// the smaller number kept, so that a signal handler that happened to run
/// on this stack during the call cannot fake an overflow (the parsers are
/// deterministic).
pub fn measure(mut f: impl FnMut()) -> usize {
    let used = stack_used(&mut f);
    if used > PARSE_BUDGET {
        used.min(stack_used(&mut f))
    } else {
        used
    }
}

#[inline(never)]
fn bucket<const N: usize>() {
    std::hint::black_box(N);
}

macro_rules! buckets {
    ($($n:literal)*) => { [$(bucket::<$n> as fn()),*] };
}

/// One distinct function per 128 bytes of stack (up to 32 KiB, the last
/// one for anything deeper): calling the one for a measurement gives
/// libFuzzer a new edge whenever an input reaches a deeper band than any
/// before, so the corpus keeps inputs that go deeper.
static BANDS: [fn(); 257] = buckets!(
    0 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 18 19 20 21 22 23 24 25 26 27 28 29 30 31
    32 33 34 35 36 37 38 39 40 41 42 43 44 45 46 47 48 49 50 51 52 53 54 55 56 57 58 59 60
    61 62 63 64 65 66 67 68 69 70 71 72 73 74 75 76 77 78 79 80 81 82 83 84 85 86 87 88 89
    90 91 92 93 94 95 96 97 98 99 100 101 102 103 104 105 106 107 108 109 110 111 112 113
    114 115 116 117 118 119 120 121 122 123 124 125 126 127 128 129 130 131 132 133 134 135
    136 137 138 139 140 141 142 143 144 145 146 147 148 149 150 151 152 153 154 155 156 157
    158 159 160 161 162 163 164 165 166 167 168 169 170 171 172 173 174 175 176 177 178 179
    180 181 182 183 184 185 186 187 188 189 190 191 192 193 194 195 196 197 198 199 200 201
    202 203 204 205 206 207 208 209 210 211 212 213 214 215 216 217 218 219 220 221 222 223
    224 225 226 227 228 229 230 231 232 233 234 235 236 237 238 239 240 241 242 243 244 245
    246 247 248 249 250 251 252 253 254 255 256
);

/// Reports `used` bytes of stack to libFuzzer as coverage (see [`BANDS`]).
pub fn feedback(used: usize) {
    BANDS[(used / 128).min(BANDS.len() - 1)]();
}

#[cfg(test)]
mod test {
    use super::*;

    #[inline(never)]
    fn burn(n: usize) -> u64 {
        let mut frame = [0u8; 1024];
        frame[n % 1024] = 1;
        let frame = std::hint::black_box(frame);
        if n == 0 {
            frame.iter().map(|b| u64::from(*b)).sum()
        } else {
            burn(n - 1) + u64::from(frame[0])
        }
    }

    #[test]
    fn measures_more_for_deeper_calls() {
        let small = measure(|| {
            std::hint::black_box(burn(1));
        });
        let big = measure(|| {
            std::hint::black_box(burn(10));
        });
        assert!(small < 8 * 1024, "{small}");
        assert!(big > 12 * 1024, "{big}");
        assert!(big <= PAINT_LEN, "{big}");
        // far deeper than the painted region: reported as at least all of it
        let huge = measure(|| {
            std::hint::black_box(burn(100));
        });
        assert!(huge >= PAINT_LEN, "{huge}");
    }
}

#[cfg(test)]
mod bench {
    #[test]
    fn measure_cost() {
        let t = std::time::Instant::now();
        for _ in 0..10_000 {
            super::measure(|| {
                std::hint::black_box(1);
            });
        }
        eprintln!("measure: {:?} per call", t.elapsed() / 10_000);
        let t = std::time::Instant::now();
        for _ in 0..10_000 {
            let mut f = || {
                std::hint::black_box(1);
            };
            super::stack_used(&mut f);
        }
        eprintln!("stack_used: {:?} per call", t.elapsed() / 10_000);
    }
}
