//! The stateful dispatcher: a sequence of commands from four sessions
//! against one in-memory TA (see `mfs_fuzz::ta` for the input format and
//! every check).
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    mfs_fuzz::ta::Harness::run(data);
});
