//! The host library fed attacker-made files, as the CLI reads them
//! (`serde_json`; first byte selects):
//!
//! 0. a log export file through `verify_export`, any signer and pinned;
//!    an accepted export must satisfy the reference chain check
//!    (`mfs_fuzz::chain::reference_ok`) and carry right hash fields;
//! 1. signed-transaction files (one, or a series) through `tx::verify` /
//!    `verify_series`;
//! 2. an attestation reply file through `verify_attestation`;
//! 3. key files: PEM public and private keys, SEC1 hex, hex.
//!
//! Inputs that get past the signature are the `host_verifiers` target's
//! (each of its inputs signs with P-256, so it runs far fewer per second).
#![no_main]

use libfuzzer_sys::fuzz_target;
use mfs_fuzz::chain::{accepted_items, reference_ok};
use mfs_fuzz::signing::signer;
use mfs_host::keys::{EcPublicKey, parse_hex, verify_attestation};
use mfs_host::log::{Export, Signer, verify_export};
use mfs_host::tx::{verify, verify_series};
use mfs_proto::log::Head;
use mfs_proto::{KeyAttestReply, TxSignReply};

/// The reference check of an export that `verify_export` accepted.
fn export_consistent(x: &Export, head: &Head) {
    let items = accepted_items(x);
    assert!(
        reference_ok(head, &items),
        "verify_export accepted a chain the reference refuses: {head:?}, seqs {:?}",
        items.iter().map(|i| i.0.seq).collect::<Vec<_>>()
    );
}

fn raw_export(data: &[u8]) {
    let Ok(x) = serde_json::from_slice::<Export>(data) else {
        return;
    };
    let pinned = &signer().1;
    for (signer, challenge) in [
        (Signer::AnyKey, None),
        (Signer::Pinned(pinned), Some(&b"c"[..])),
    ] {
        if let Ok(head) = verify_export(&x, signer, challenge) {
            export_consistent(&x, &head);
        }
    }
}

fn raw_tx(data: &[u8]) {
    let trusted = &signer().1;
    if let Ok(tx) = serde_json::from_slice::<TxSignReply>(data)
        && let Ok(d) = verify(&tx, trusted, Some(b"challenge-bytes!"))
    {
        assert_eq!(d.counter, tx.counter);
    }
    if let Ok(series) = serde_json::from_slice::<Vec<TxSignReply>>(data)
        && let Ok(all) = verify_series(&series, trusted, Some(1))
    {
        assert!(all.windows(2).all(|w| w[0].counter < w[1].counter));
        assert!(all.first().is_none_or(|t| t.counter > 1));
    }
}

fn raw_attestation(data: &[u8]) {
    if let Ok(r) = serde_json::from_slice::<KeyAttestReply>(data) {
        let _ = verify_attestation(&r, b"c", None, None);
        let _ = verify_attestation(&r, b"", Some(&signer().1), Some(&signer().1));
    }
}

fn key_files(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let _ = EcPublicKey::from_pem(&text);
    let _ = mfs_host::issuer::IssuerKey::from_pem(&text);
    let _ = mfs_host::issuer::public_key_from_pem(&text);
    let _ = parse_hex(&text);
    let _ = EcPublicKey::from_sec1_hex(&text);
    if let Ok(k) = EcPublicKey::from_sec1(data) {
        let again = EcPublicKey::from_sec1(&k.sec1()).expect("own encoding");
        assert_eq!(again, k);
        let pem = k.pem().expect("PEM");
        assert_eq!(EcPublicKey::from_pem(&pem).expect("own PEM"), k);
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((mode, rest)) = data.split_first() else {
        return;
    };
    match mode % 4 {
        0 => raw_export(rest),
        1 => raw_tx(rest),
        2 => raw_attestation(rest),
        _ => key_files(rest),
    }
});
