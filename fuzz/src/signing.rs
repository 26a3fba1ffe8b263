//! A test signing key for the host-side targets (`host_verifiers`,
//! `host_client`): statements, transactions and log heads of any content
//! *validly signed*, so verification goes past the signature.

use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::OnceLock;

use mfs_host::keys::EcPublicKey;
use p256::ecdsa::signature::Signer;
use p256::ecdsa::{DerSignature, SigningKey};

/// The test key and its public key.
pub fn signer() -> &'static (SigningKey, EcPublicKey) {
    static KEY: OnceLock<(SigningKey, EcPublicKey)> = OnceLock::new();
    KEY.get_or_init(|| {
        let k = SigningKey::from_slice(&[7; 32]).expect("test key");
        let public = EcPublicKey::from_sec1(k.verifying_key().to_sec1_point(false).as_bytes())
            .expect("public key");
        (k, public)
    })
}

/// Lower-case hex.
pub fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// A DER signature by the test key, hex (cached: signing is deterministic,
/// RFC 6979, and mutated inputs keep most of their bytes).
pub fn sign(msg: &[u8]) -> String {
    thread_local! {
        static CACHE: RefCell<HashMap<Vec<u8>, String>> = RefCell::new(HashMap::new());
    }
    if let Some(s) = CACHE.with(|c| c.borrow().get(msg).cloned()) {
        return s;
    }
    let sig: DerSignature = signer().0.sign(msg);
    let s = hex(sig.as_bytes());
    CACHE.with(|c| {
        let mut c = c.borrow_mut();
        if c.len() > 65_536 {
            c.clear();
        }
        c.insert(msg.to_vec(), s.clone());
    });
    s
}

/// The test key's public key, SEC1 uncompressed, hex.
pub fn public_hex() -> String {
    hex(&signer().1.sec1())
}
