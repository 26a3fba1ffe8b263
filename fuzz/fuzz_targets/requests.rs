//! Every JSON message type, decoded with the TA's and client's own
//! `mfs_proto::decode` (first byte: the type, see
//! `mfs_fuzz::messages::KINDS`): no panic, and decode -> encode -> decode
//! gives the same value and a canonical encoding.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mfs_fuzz::messages::{KINDS, select};

fuzz_target!(|data: &[u8]| {
    if let Some((kind, rest)) = select(data) {
        (KINDS[kind].1)(rest, true);
    }
});
