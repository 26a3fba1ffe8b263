//! Issuer-side helpers: load the issuer's P-256 key from PEM, its public
//! key for provisioning, and signing of unblock messages.
//!
//! In a deployment the issuer's private key stays in the issuer's back
//! end; these helpers let tests, demos and issuer tooling play that role.

use mfs_proto::pin::EC_POINT_LEN;
use p256::ecdsa::signature::Signer;
use p256::ecdsa::{DerSignature, Signature, SigningKey};
use p256::elliptic_curve::sec1::ToSec1Point;
use p256::pkcs8::{DecodePrivateKey, DecodePublicKey};
use p256::{PublicKey, SecretKey};

use crate::codec::pem_key_error;
use crate::error::{Error, KeyError};

/// An issuer signing key.
pub struct IssuerKey(SigningKey);

impl core::fmt::Debug for IssuerKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("IssuerKey(..)")
    }
}

impl IssuerKey {
    /// Parses a PEM private key (PKCS#8 `PRIVATE KEY` or SEC1 `EC PRIVATE KEY`).
    pub fn from_pem(pem: &str) -> Result<IssuerKey, Error> {
        let secret = SecretKey::from_pkcs8_pem(pem)
            .or_else(|_| SecretKey::from_sec1_pem(pem))
            .map_err(|_| pem_key_error(pem))?;
        Ok(IssuerKey(SigningKey::from(secret)))
    }

    /// The public key, SEC1 uncompressed (what `provision` takes).
    pub fn public_key(&self) -> Result<[u8; EC_POINT_LEN], Error> {
        sec1(&PublicKey::from(*self.0.verifying_key()))
    }

    /// DER ECDSA P-256/SHA-256 signature over `msg`, in low-S form
    /// (`s <= n/2`): the TA refuses the high-S twin `(r, n - s)` of a
    /// signature, so every signature is normalized here.
    pub fn sign(&self, msg: &[u8]) -> Vec<u8> {
        let sig: Signature = self.0.sign(msg);
        let der: DerSignature = sig.normalize_s().to_der();
        der.as_bytes().to_vec()
    }
}

fn sec1(key: &PublicKey) -> Result<[u8; EC_POINT_LEN], Error> {
    key.to_sec1_point(false)
        .as_bytes()
        .try_into()
        .map_err(|_| Error::Key(KeyError::Unusable))
}

/// The issuer public key (SEC1 uncompressed) from a PEM file holding
/// either the public key (`PUBLIC KEY`, SPKI) or the private key.
pub fn public_key_from_pem(pem: &str) -> Result<[u8; EC_POINT_LEN], Error> {
    match PublicKey::from_public_key_pem(pem) {
        Ok(k) => sec1(&k),
        Err(_) => IssuerKey::from_pem(pem)?.public_key(),
    }
}

#[cfg(test)]
mod test {
    use super::*;

    // A throw-away test key (never a real issuer's), PKCS#8 PEM.
    pub(crate) const TEST_KEY: &str = include_str!("../../tests/guest/issuer-test-key.pem");

    #[test]
    fn pem_round_trip_and_signature_verifies() {
        use p256::ecdsa::{VerifyingKey, signature::Verifier};
        let k = IssuerKey::from_pem(TEST_KEY).unwrap();
        let public = public_key_from_pem(TEST_KEY).unwrap();
        assert_eq!(public, k.public_key().unwrap());
        let sig = k.sign(b"hello");
        let vk = VerifyingKey::from_sec1_bytes(&public).unwrap();
        let sig = DerSignature::try_from(sig.as_slice()).unwrap();
        assert!(vk.verify(b"hello", &sig).is_ok());
        // every signature is low-S, though plain ECDSA gives high-S ones
        let mut normalized = 0;
        for i in 0u8..32 {
            let der = k.sign(&[i; 3]);
            let sig = Signature::from_der(&der).unwrap();
            assert_eq!(sig.normalize_s(), sig, "message {i}");
            assert!(vk.verify(&[i; 3], &sig).is_ok());
            let raw: Signature = k.0.sign(&[i; 3]);
            normalized += usize::from(raw != sig);
        }
        assert!(normalized > 0);
        assert_eq!(format!("{k:?}"), "IssuerKey(..)");
        assert!(IssuerKey::from_pem("not a key").is_err());
        assert_eq!(
            public_key_from_pem("not a key"),
            Err(Error::Encoding(crate::error::Encoding::Pem))
        );
        let damaged = "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n";
        assert_eq!(
            public_key_from_pem(damaged),
            Err(Error::Key(KeyError::Unusable))
        );
    }
}
