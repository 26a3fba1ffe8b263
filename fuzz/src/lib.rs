//! Shared code of the mfs fuzz targets (`fuzz_targets/*.rs`): the input
//! reader, the table of JSON message types, the stack-depth probe, the
//! secret-leak detector, the instrumented platform, the stateful TA
//! harness driven by the `dispatch` target and the test signing key of the
//! host-side targets.
//!
//! Every check is an `assert!`/`panic!`: libFuzzer reports a panic as a
//! crash and saves the input. See `README.md` for what each target checks.

pub mod chain;
pub mod input;
pub mod leaks;
pub mod messages;
pub mod platform;
pub mod seeds;
pub mod signing;
pub mod stack;
pub mod ta;
#[cfg(any(test, feature = "toy-recursive"))]
pub mod toy;
