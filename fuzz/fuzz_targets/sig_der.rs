//! The TA's own DER codec for ECDSA P-256 signatures
//! (`mfs_core::crypto::der_decode` / `der_encode`) against p256's strict
//! DER: on any bytes both accept the same inputs with the same signature;
//! whatever decodes re-encodes to exactly the input; the encoding of a
//! signature built from any two scalars is p256's, byte for byte.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mfs_core::crypto::{der_decode, der_encode};
use p256::ecdsa::Signature;

fuzz_target!(|data: &[u8]| {
    let ours = der_decode(data).ok();
    let theirs = Signature::from_der(data).ok();
    assert_eq!(ours, theirs, "decoders disagree");
    if let Some(sig) = ours {
        let again = der_encode(&sig).expect("a decoded signature encodes");
        assert_eq!(again.as_bytes(), data, "not canonical");
    }
    if let Some(rs) = data.get(..64)
        && let Ok(sig) = Signature::from_slice(rs)
    {
        let enc = der_encode(&sig).expect("a signature encodes");
        assert_eq!(enc.as_bytes(), sig.to_der().as_bytes());
        assert_eq!(der_decode(enc.as_bytes()), Ok(sig));
    }
});
