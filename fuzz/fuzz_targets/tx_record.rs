//! The canonical signed-transaction format (`mfs_proto::signed_tx`).
//!
//! Even first byte: the bytes are decoded; whatever decodes re-encodes to
//! exactly the same bytes (the decoder accepts only canonical encodings,
//! so the encoding is injective) and is a valid version 1 record.
//! Odd first byte: a transaction built from the input's fields; if it
//! encodes, it decodes back to itself (known codes) or not at all
//! (unknown verification or display codes).
#![no_main]

use libfuzzer_sys::fuzz_target;
use mfs_core::platform::bounded;
use mfs_fuzz::input::Input;
use mfs_proto::TxRecord;
use mfs_proto::tx::SignedTx;
use mfs_proto::tx::{DISPLAY_NOT_TRUSTED_UI, SIGNED_TX_MAX_LEN, VERIFIED_PIN_IN_TA};

fn text<const N: usize>(inp: &mut Input) -> heapless::String<N> {
    let n = usize::from(inp.u16()) % (N + 2);
    bounded(&String::from_utf8_lossy(inp.bytes(n)))
}

fuzz_target!(|data: &[u8]| {
    let Some((mode, rest)) = data.split_first() else {
        return;
    };
    if mode & 1 == 0 {
        if let Some(tx) = SignedTx::decode(rest) {
            let again = tx.encode().expect("a decoded transaction encodes");
            assert_eq!(
                again.as_slice(),
                rest,
                "decode accepted a non-canonical encoding"
            );
            assert!(
                tx.record.check().is_ok(),
                "decode accepted an invalid record"
            );
            assert_eq!(
                (tx.verification, tx.display),
                (VERIFIED_PIN_IN_TA, DISPLAY_NOT_TRUSTED_UI)
            );
            assert!(rest.len() <= SIGNED_TX_MAX_LEN);
        }
        return;
    }
    let mut inp = Input::new(rest);
    let codes = if inp.u8() < 224 {
        (VERIFIED_PIN_IN_TA, DISPLAY_NOT_TRUSTED_UI)
    } else {
        (inp.u8(), inp.u8())
    };
    let tx = SignedTx {
        key_id: inp.array(),
        counter: inp.u64(),
        record: TxRecord {
            amount: inp.u64(),
            currency: text(&mut inp),
            payee: text(&mut inp),
            display: text(&mut inp),
            challenge: text(&mut inp),
            time: inp.u64(),
        },
        verification: codes.0,
        display: codes.1,
    };
    let Some(bytes) = tx.encode() else {
        assert!(tx.record.check().is_err(), "a valid record does not encode");
        return;
    };
    assert!(tx.record.check().is_ok(), "an invalid record encodes");
    let known = codes == (VERIFIED_PIN_IN_TA, DISPLAY_NOT_TRUSTED_UI);
    match SignedTx::decode(&bytes) {
        Some(back) => {
            assert!(known, "decoded unknown verification/display codes");
            assert_eq!(back, tx, "decode(encode(tx)) != tx");
        }
        None => assert!(!known, "an encoding does not decode"),
    }
});
