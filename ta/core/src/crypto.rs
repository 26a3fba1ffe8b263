//! Cryptographic helpers over RustCrypto, with the TEE's RNG.
//!
//! Secrets are `ZeroizeOnDrop`, never `Clone`, and print as their type name
//! only. Every failure maps to the one opaque [`Error::Crypto`].
//!
//! HKDF-SHA-256 ([`Key32::derive`]) is computed here from HMAC-SHA-256
//! (RFC 5869 with one output block), so that the pseudorandom key and the
//! output are written into buffers that are wiped, and HMAC results go
//! straight into the caller's buffer; the HMAC and SHA-256 state is wiped
//! on drop by the crates' `zeroize` feature.

use core::fmt;

use p256::ecdsa::signature::{Signer, Verifier};
use p256::ecdsa::{DerSignature, Signature, SigningKey, VerifyingKey};
use p256::{PublicKey, SecretKey};
use subtle::ConstantTimeEq;
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::error::Error;
use crate::platform::Platform;
use mfs_proto::pin::EC_POINT_LEN;
use mfs_proto::pin::key::hmac_sha256_into;

/// A 32-byte secret key for HMAC or derivation.
#[derive(Zeroize, ZeroizeOnDrop)]
pub struct Key32(pub(crate) [u8; 32]);

impl fmt::Debug for Key32 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Key32(..)")
    }
}

impl Key32 {
    /// HKDF-SHA-256 expansion of this key for one purpose (`info`), with
    /// no salt: `PRK = HMAC(0^32, key)`, result `HMAC(PRK, info ‖ 0x01)`.
    pub fn derive(&self, info: &[u8]) -> Key32 {
        let mut out = Key32([0; 32]);
        self.derive_into(info, &mut out);
        out
    }

    /// [`Key32::derive`] into `out` (no copy of the derived key is made).
    pub fn derive_into(&self, info: &[u8], out: &mut Key32) {
        let mut prk = Key32([0; 32]);
        hmac_sha256_into(&[0; 32], &[&self.0], &mut prk.0);
        hmac_sha256_into(&prk.0, &[info, &[1]], &mut out.0);
    }

    /// HMAC-SHA-256 over the concatenation of `parts` (wiped when dropped).
    pub fn hmac(&self, parts: &[&[u8]]) -> Zeroizing<[u8; 32]> {
        let mut out = Zeroizing::new([0; 32]);
        hmac_sha256_into(&self.0, parts, &mut out);
        out
    }
}

/// Constant-time equality of two byte strings of equal length.
pub fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && bool::from(a.ct_eq(b))
}

/// A fresh P-256 secret key from the platform RNG (rejection sampling:
/// a candidate outside `1..n` is drawn again; the chance is < 2^-32).
pub fn random_secret_key(p: &mut impl Platform) -> Result<SecretKey, Error> {
    for _ in 0..8 {
        let mut bytes = [0u8; 32];
        p.random(&mut bytes)?;
        let key = SecretKey::from_slice(&bytes);
        bytes.zeroize();
        if let Ok(k) = key {
            return Ok(k);
        }
    }
    Err(Error::Crypto)
}

/// The SEC1 uncompressed encoding of a public key.
pub fn sec1_uncompressed(key: &PublicKey) -> Result<[u8; EC_POINT_LEN], Error> {
    use p256::elliptic_curve::sec1::ToSec1Point;
    let point = key.to_sec1_point(false);
    point.as_bytes().try_into().map_err(|_| Error::Internal)
}

/// Parses a SEC1 uncompressed P-256 point; rejects anything not on the
/// curve (including the identity).
pub fn parse_point(bytes: &[u8; EC_POINT_LEN]) -> Result<PublicKey, Error> {
    PublicKey::from_sec1_bytes(bytes).map_err(|_| Error::Crypto)
}

/// ECDH: the shared x-coordinate.
pub fn ecdh(secret: &SecretKey, peer: &PublicKey) -> [u8; 32] {
    let shared = p256::ecdh::diffie_hellman(secret.to_nonzero_scalar(), peer.as_affine());
    (*shared.raw_secret_bytes()).into()
}

/// Verifies a DER ECDSA P-256/SHA-256 signature over `msg`, accepting
/// only the low-S form (`s <= n/2`). Of the two signatures `(r, s)` and
/// `(r, n - s)` that verify for the same message, the high-S twin is
/// refused, so no one holding a valid signature can make a second,
/// different one (the DER parse is strict too: one encoding per
/// signature). This TA verifies one kind of signature: the issuer's
/// `pin-unblock` authorization.
pub fn verify_der(key: &[u8; EC_POINT_LEN], msg: &[u8], der: &[u8]) -> Result<(), Error> {
    let vk = VerifyingKey::from_sec1_bytes(key).map_err(|_| Error::Crypto)?;
    let sig = Signature::from_der(der).map_err(|_| Error::Crypto)?;
    if sig.normalize_s() != sig {
        return Err(Error::Crypto);
    }
    vk.verify(msg, &sig).map_err(|_| Error::Crypto)
}

/// ECDSA P-256/SHA-256 over `msg`, DER-encoded. The nonce is RFC 6979
/// deterministic: no RNG on the signing path.
pub fn sign_der(secret: &SecretKey, msg: &[u8]) -> Result<DerSignature, Error> {
    let key = SigningKey::from(secret);
    let sig: Signature = key.try_sign(msg).map_err(|_| Error::Crypto)?;
    Ok(sig.to_der())
}

/// A DER signature as hex for a reply.
pub fn sig_hex(sig: &DerSignature) -> Result<mfs_proto::SignatureHex, Error> {
    mfs_proto::hex_string(sig.as_bytes()).map_err(|_| Error::Internal)
}

#[cfg(test)]
mod test {
    use super::*;
    use crate::mem::MemPlatform;
    use alloc::vec::Vec;
    use hmac::{Hmac, KeyInit, Mac};
    use mfs_proto::{hex_bytes, hex_string};
    use sha2::Sha256;

    /// RFC 4231 test case 2 (HMAC-SHA-256, key "Jefe").
    #[test]
    fn hmac_sha256_rfc4231_case2() {
        // The RFC key is 4 bytes and ours are 32: the primitive is checked
        // directly, the wrapper's concatenation and keying below.
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(b"Jefe").unwrap();
        mac.update(b"what do ya want for nothing?");
        let out: [u8; 32] = mac.finalize().into_bytes().into();
        let expected = "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843";
        assert_eq!(mfs_proto::hex_bytes::<32>(expected).unwrap(), out);
        let k = Key32([0x0b; 32]);
        assert_eq!(k.hmac(&[b"ab", b"c"]), k.hmac(&[b"abc"]));
        assert_ne!(k.hmac(&[b"abc"]), Key32([0x0c; 32]).hmac(&[b"abc"]));
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(&[0x0b; 32]).unwrap();
        mac.update(b"abc");
        let want: [u8; 32] = mac.finalize().into_bytes().into();
        assert_eq!(*k.hmac(&[b"a", b"", b"bc"]), want);
    }

    /// `derive` is HKDF-SHA-256 with no salt, as the `hkdf` crate computes
    /// it, for the infos the TA uses and others.
    #[test]
    fn derive_is_hkdf_sha256() {
        use hkdf::Hkdf;
        for (ikm, info) in [
            ([0u8; 32], &b""[..]),
            ([0x24; 32], b"mfs-ta/key-seal/v1"),
            ([0x42; 32], b"mfs-ta/pin-hash/v1"),
            ([0xff; 32], &[7u8; 200][..]),
        ] {
            let mut want = [0u8; 32];
            Hkdf::<Sha256>::new(None, &ikm)
                .expand(info, &mut want)
                .unwrap();
            assert_eq!(Key32(ikm).derive(info).0, want);
            let mut into = Key32([0x55; 32]);
            Key32(ikm).derive_into(info, &mut into);
            assert_eq!(into.0, want);
        }
    }

    #[test]
    fn ecdh_agrees_and_points_are_checked() {
        let mut p = MemPlatform::new();
        let a = random_secret_key(&mut p).unwrap();
        let b = random_secret_key(&mut p).unwrap();
        assert_eq!(ecdh(&a, &b.public_key()), ecdh(&b, &a.public_key()));
        let enc = sec1_uncompressed(&a.public_key()).unwrap();
        assert_eq!(enc[0], 0x04);
        assert_eq!(parse_point(&enc).unwrap(), a.public_key());
        let mut off_curve = enc;
        off_curve[64] ^= 1;
        assert_eq!(parse_point(&off_curve), Err(Error::Crypto));
        assert_eq!(parse_point(&[0; 65]), Err(Error::Crypto));
    }

    #[test]
    fn rng_failure_is_an_error() {
        let mut p = MemPlatform::new();
        p.set_random_failure(true);
        assert_eq!(random_secret_key(&mut p).err(), Some(Error::Crypto));
    }

    #[test]
    fn ct_eq_basics() {
        assert!(ct_eq(b"abc", b"abc"));
        assert!(!ct_eq(b"abc", b"abd"));
        assert!(!ct_eq(b"abc", b"ab"));
    }

    /// RFC 6979 A.2.5 (P-256, SHA-256, messages "sample" and "test"),
    /// cross-checked with pyca/cryptography's deterministic ECDSA.
    #[test]
    fn ecdsa_rfc6979_known_answers() {
        let x = hex_bytes::<32>("c9afa9d845ba75166b5c215767b1d6934e50c3db36e89b127b8a622b120f6721")
            .unwrap();
        let secret = SecretKey::from_slice(&x).unwrap();
        let public = sec1_uncompressed(&secret.public_key()).unwrap();
        assert_eq!(
            hex_string::<130>(&public).unwrap().as_str(),
            "0460fed4ba255a9d31c961eb74c6356d68c049b8923b61fa6ce669622e60f29fb6\
             7903fe1008b8bc99a41ae9e95628bc64f2f1b20c2d7e9f5177a3c294d4462299"
        );
        for (msg, r, s) in [
            (
                &b"sample"[..],
                "efd48b2aacb6a8fd1140dd9cd45e81d69d2c877b56aaf991c34d0ea84eaf3716",
                "f7cb1c942d657c41d436c7a1b6e29f65f3e900dbb9aff4064dc4ab2f843acda8",
            ),
            (
                b"test",
                "f1abb023518351cd71d881567b1ea663ed3efcf6c5132b354f28d3b0b7d38367",
                "019f4113742a2b14bd25926b49c649155f267e60d3814b4c0cc84250e46f0083",
            ),
        ] {
            let der = sign_der(&secret, msg).unwrap();
            let sig = Signature::from_der(der.as_bytes()).unwrap();
            let (sr, ss) = sig.split_bytes();
            assert_eq!(hex_string::<64>(&sr).unwrap().as_str(), r);
            assert_eq!(hex_string::<64>(&ss).unwrap().as_str(), s);
        }
    }

    /// The high-S twin of a signature, `(r, n - s)`: it verifies under
    /// plain ECDSA, as the check below shows.
    pub(crate) fn high_s_twin(der: &[u8]) -> Vec<u8> {
        let sig = Signature::from_der(der).unwrap();
        let (r, s) = sig.split_scalars();
        let twin = Signature::from_scalars(r.to_bytes(), (-*s).to_bytes()).unwrap();
        twin.to_der().as_bytes().to_vec()
    }

    #[test]
    fn only_low_s_signatures_verify() {
        let secret = SecretKey::from_slice(&[0x42; 32]).unwrap();
        let public = sec1_uncompressed(&secret.public_key()).unwrap();
        let vk = VerifyingKey::from_sec1_bytes(&public).unwrap();
        let (mut low, mut high) = (0, 0);
        for i in 0u8..16 {
            let msg = [i; 5];
            let sig = Signature::from_der(sign_der(&secret, &msg).unwrap().as_bytes()).unwrap();
            let low_s = sig.normalize_s();
            let der: Vec<u8> = low_s.to_der().as_bytes().to_vec();
            let twin = high_s_twin(&der);
            // both verify with plain ECDSA; only the low one here
            assert!(
                vk.verify(&msg, &Signature::from_der(&twin).unwrap())
                    .is_ok()
            );
            assert_eq!(verify_der(&public, &msg, &der), Ok(()));
            assert_eq!(verify_der(&public, &msg, &twin), Err(Error::Crypto));
            if sig == low_s {
                low += 1
            } else {
                high += 1
            }
            // a non-minimal DER encoding of the same signature (a
            // redundant leading zero in r) is refused too
            let mut padded = der.clone();
            padded[1] += 1;
            padded[3] += 1;
            padded.insert(4, 0);
            assert_eq!(verify_der(&public, &msg, &padded), Err(Error::Crypto));
        }
        // RFC 6979 signing gives either form: both occurred
        assert!(low > 0 && high > 0, "{low} low, {high} high");
    }

    /// `pin-unblock` refuses the high-S twin of the issuer's valid
    /// signature, and changes nothing; the signature itself unblocks.
    #[test]
    fn pin_unblock_refuses_a_high_s_signature() {
        use crate::testkit::{Ta, client, issuer};
        let mut ta = Ta::new(3, 0);
        ta.set("1234").unwrap();
        for _ in 0..3 {
            let _ = ta.verify("0000");
        }
        assert_eq!(ta.tries_left(), Some(0));
        let c = client(&mut ta.p, &mut ta.slot);
        let good = c.unblock("5678", &issuer());
        let der = hex_to_vec(&good.signature);
        let mut bad = good.clone();
        bad.signature = hex_string(&high_s_twin(&der)).unwrap();
        assert_eq!(
            crate::pin::unblock(&mut ta.p, &mut ta.inst, (&ta.who, &mut ta.slot), &bad).err(),
            Some(Error::Crypto)
        );
        assert_eq!(ta.tries_left(), Some(0));
        assert!(ta.is_pin("1234"));
        // the session is used up: the good signature needs a fresh one,
        // which `Ta::unblock` opens (the test kit's issuer signs low-S)
        assert_eq!(ta.unblock("5678", &issuer()).unwrap().tries_left, 3);
        assert!(ta.is_pin("5678"));
    }

    fn hex_to_vec(s: &str) -> Vec<u8> {
        let mut buf = alloc::vec![0u8; s.len() / 2];
        mfs_proto::hex_into(s, &mut buf).unwrap();
        buf
    }
}
