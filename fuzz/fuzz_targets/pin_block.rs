//! ISO 9564-1 format 4 PIN blocks (`mfs_proto::pin`) with arbitrary key,
//! PAN and block: deciphering never panics and only yields PINs of 4–12
//! decimal digits; whatever deciphers re-enciphers and deciphers to the
//! same PIN; a PIN from the input round-trips under any key and PAN; the
//! transport-key derivation and unblock message take any input.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mfs_fuzz::input::Input;
use mfs_proto::pin::{PanField, Pin, TransportKey, unblock_message};

fuzz_target!(|data: &[u8]| {
    let mut inp = Input::new(data);
    let key = TransportKey::from_bytes(inp.array());
    let pan_text = String::from_utf8_lossy(inp.var_bytes(24)).into_owned();
    let pan = match PanField::new(Some(&pan_text)) {
        Ok(p) => p,
        Err(_) => PanField::new(None).expect("the fixed PAN"),
    };
    let block: [u8; 16] = inp.array();
    let fill: [u8; 8] = inp.array();
    if let Ok(pin) = key.decipher(&block, &pan) {
        let digits = pin.digits().to_vec();
        assert!(
            (4..=12).contains(&digits.len()),
            "PIN length {}",
            digits.len()
        );
        assert!(digits.iter().all(|d| *d <= 9), "non-digit in a PIN");
        let again = key.encipher(&pin, &pan, fill);
        let back = key
            .decipher(&again, &pan)
            .expect("a re-enciphered block deciphers");
        assert_eq!(back.digits(), &digits[..]);
    }
    let pin_text = String::from_utf8_lossy(inp.var_bytes(16)).into_owned();
    if let Ok(pin) = Pin::new(&pin_text) {
        assert_eq!(pin.digits().len(), pin_text.len());
        let b = key.encipher(&pin, &pan, fill);
        let back = key.decipher(&b, &pan).expect("an enciphered PIN deciphers");
        assert_eq!(back.digits(), pin.digits());
    }
    let ta_key: [u8; 65] = inp.array();
    let client_key: [u8; 65] = inp.array();
    let shared = inp.var_bytes(64);
    let k2 = TransportKey::derive(shared, &ta_key, &client_key);
    std::hint::black_box(k2.decipher(&block, &pan).is_ok());
    std::hint::black_box(unblock_message(&inp.array(), &client_key, &block, &pan));
});
