//! The signed byte formats' strict decoders: attestation statements,
//! log-head statements, log entries and the 19-byte policy form (first
//! byte selects). Whatever decodes re-encodes to exactly the input bytes
//! (canonical: one encoding per value).
#![no_main]

use libfuzzer_sys::fuzz_target;
use mfs_proto::log::{Entry, Head};
use mfs_proto::{KeyPolicy, Statement};

fuzz_target!(|data: &[u8]| {
    let Some((mode, rest)) = data.split_first() else {
        return;
    };
    match mode % 4 {
        0 => {
            if let Some(s) = Statement::decode(rest) {
                let again = s.encode().expect("a decoded statement encodes");
                assert_eq!(again.as_slice(), rest, "statement not canonical");
                assert!(s.policy.check().is_ok(), "statement with an invalid policy");
                assert!(
                    mfs_proto::valid_label(&s.label),
                    "statement with a bad label"
                );
            }
        }
        1 => {
            if let Some(h) = Head::decode(rest) {
                let again = h.encode().expect("a decoded head encodes");
                assert_eq!(again.as_slice(), rest, "head not canonical");
                assert!(h.first_seq <= h.next_seq, "head with first > next");
            }
        }
        2 => {
            if let Some(e) = Entry::decode(rest) {
                assert_eq!(&e.encode()[..], rest, "entry not canonical");
            }
        }
        _ => {
            if let Ok(b) = <[u8; 19]>::try_from(rest)
                && let Some(p) = KeyPolicy::from_bytes(&b)
            {
                assert!(p.check().is_ok(), "binary form gave an invalid policy");
                assert_eq!(p.to_bytes(), b, "policy form not canonical");
            }
        }
    }
});
