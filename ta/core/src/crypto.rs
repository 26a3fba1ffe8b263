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
use p256::ecdsa::{Signature, SigningKey, VerifyingKey};
use p256::elliptic_curve::point::AffineCoordinates;
use p256::{AffinePoint, PublicKey, SecretKey};
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
    let point = key.as_affine();
    let mut out = [0u8; EC_POINT_LEN];
    let (tag, xy) = out.split_first_mut().ok_or(Error::Internal)?;
    *tag = 0x04;
    let (x, y) = xy.split_at_mut_checked(32).ok_or(Error::Internal)?;
    x.copy_from_slice(&point.x());
    y.copy_from_slice(&point.y());
    Ok(out)
}

/// Parses a SEC1 uncompressed P-256 point (`04 ‖ x ‖ y`); rejects any
/// other form, coordinates not below p, and points not on the curve (the
/// identity has no uncompressed form). Only this form is parsed, so the
/// point decompression code (a square root) is not in the TA.
pub fn parse_point(bytes: &[u8; EC_POINT_LEN]) -> Result<PublicKey, Error> {
    let (&tag, xy) = bytes.split_first().ok_or(Error::Crypto)?;
    let (x, y) = xy.split_at_checked(32).ok_or(Error::Crypto)?;
    let x: [u8; 32] = x.try_into().map_err(|_| Error::Crypto)?;
    let y: [u8; 32] = y.try_into().map_err(|_| Error::Crypto)?;
    if tag != 0x04 {
        return Err(Error::Crypto);
    }
    let point = Option::<AffinePoint>::from(AffinePoint::from_coordinates(&x.into(), &y.into()))
        .ok_or(Error::Crypto)?;
    PublicKey::from_affine(point).map_err(|_| Error::Crypto)
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
    let vk = VerifyingKey::from(parse_point(key)?);
    let sig = der_decode(der)?;
    if sig.normalize_s() != sig {
        return Err(Error::Crypto);
    }
    vk.verify(msg, &sig).map_err(|_| Error::Crypto)
}

/// ECDSA P-256/SHA-256 over `msg`, DER-encoded. The nonce is RFC 6979
/// deterministic: no RNG on the signing path.
pub fn sign_der(secret: &SecretKey, msg: &[u8]) -> Result<DerSig, Error> {
    let key = SigningKey::from(secret);
    let sig: Signature = key.try_sign(msg).map_err(|_| Error::Crypto)?;
    der_encode(&sig)
}

/// A DER signature as hex for a reply.
pub fn sig_hex(sig: &DerSig) -> Result<mfs_proto::SignatureHex, Error> {
    mfs_proto::hex_string(sig.as_bytes()).map_err(|_| Error::Internal)
}

/// The longest DER ECDSA P-256 signature: SEQUENCE of two 33-byte INTEGERs.
pub const MAX_DER_SIG_LEN: usize = 2 + 2 * (2 + 33);

/// A DER-encoded ECDSA signature, `ECDSA-Sig-Value ::= SEQUENCE { r
/// INTEGER, s INTEGER }` (RFC 3279 §2.2.3; X.690 DER).
///
/// The codec is this module's own (one fixed structure, short-form
/// lengths only) rather than the `der` crate's general one, which was
/// ~11 KB of the TA; the tests check it against p256's DER both ways.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DerSig {
    buf: [u8; MAX_DER_SIG_LEN],
    len: usize,
}

impl DerSig {
    /// The encoding.
    pub fn as_bytes(&self) -> &[u8] {
        self.buf.get(..self.len).unwrap_or_default()
    }
}

/// Appends `bytes` at `*at` in `out`.
fn put(out: &mut [u8], at: &mut usize, bytes: &[u8]) -> Result<(), Error> {
    let end = at.checked_add(bytes.len()).ok_or(Error::Internal)?;
    out.get_mut(*at..end)
        .ok_or(Error::Internal)?
        .copy_from_slice(bytes);
    *at = end;
    Ok(())
}

/// DER encoding of a signature: each of `r` and `s` (32 big-endian bytes,
/// never zero) as a minimal positive INTEGER — leading zero bytes dropped,
/// one `00` put back when the first remaining byte has its top bit set.
pub fn der_encode(sig: &Signature) -> Result<DerSig, Error> {
    let rs = sig.to_bytes();
    let (r, s) = rs.split_at_checked(32).ok_or(Error::Internal)?;
    let mut body = [0u8; MAX_DER_SIG_LEN - 2];
    let mut n = 0;
    for v in [r, s] {
        let start = v.iter().position(|&b| b != 0).ok_or(Error::Internal)?;
        let v = v.get(start..).ok_or(Error::Internal)?;
        let pad = v.first().is_some_and(|&b| b >= 0x80);
        let len = u8::try_from(v.len() + usize::from(pad)).map_err(|_| Error::Internal)?;
        put(&mut body, &mut n, &[0x02, len])?;
        if pad {
            put(&mut body, &mut n, &[0])?;
        }
        put(&mut body, &mut n, v)?;
    }
    let mut out = DerSig {
        buf: [0; MAX_DER_SIG_LEN],
        len: 0,
    };
    let body_len = u8::try_from(n).map_err(|_| Error::Internal)?;
    let body = body.get(..n).ok_or(Error::Internal)?;
    put(&mut out.buf, &mut out.len, &[0x30, body_len])?;
    put(&mut out.buf, &mut out.len, body)?;
    Ok(out)
}

/// Reads one DER INTEGER holding a value of 1..=32 bytes from the front of
/// `der`; returns it left-padded to 32 bytes and the rest of `der`.
/// Strict DER: short-form length, no empty content, no negative value, no
/// redundant leading zero.
fn der_uint32(der: &[u8]) -> Result<([u8; 32], &[u8]), Error> {
    let [0x02, len, rest @ ..] = der else {
        return Err(Error::Crypto);
    };
    let (v, rest) = rest
        .split_at_checked(usize::from(*len))
        .ok_or(Error::Crypto)?;
    let v = match v {
        [] => return Err(Error::Crypto),
        [b, ..] if *b >= 0x80 => return Err(Error::Crypto),
        [0, next, ..] if *next < 0x80 => return Err(Error::Crypto),
        [0, tail @ ..] if !tail.is_empty() => tail,
        v => v,
    };
    let mut out = [0u8; 32];
    let at = 32usize.checked_sub(v.len()).ok_or(Error::Crypto)?;
    out.get_mut(at..).ok_or(Error::Crypto)?.copy_from_slice(v);
    Ok((out, rest))
}

/// Parses a DER ECDSA P-256 signature, strictly: exactly one encoding is
/// accepted per signature (short-form lengths, minimal INTEGERs, nothing
/// after the SEQUENCE), and `r` and `s` must be in `1..n`.
pub fn der_decode(der: &[u8]) -> Result<Signature, Error> {
    let [0x30, len, body @ ..] = der else {
        return Err(Error::Crypto);
    };
    if *len >= 0x80 || usize::from(*len) != body.len() {
        return Err(Error::Crypto);
    }
    let (r, rest) = der_uint32(body)?;
    let (s, rest) = der_uint32(rest)?;
    if !rest.is_empty() {
        return Err(Error::Crypto);
    }
    Signature::from_scalars(r, s).map_err(|_| Error::Crypto)
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
        // only the uncompressed form: the same point with another tag, and
        // a coordinate of p or more (all ones), are refused
        for tag in [0x00, 0x02, 0x03, 0x05, 0x06, 0x07, 0xff] {
            let mut other = enc;
            other[0] = tag;
            assert_eq!(parse_point(&other), Err(Error::Crypto), "tag {tag}");
        }
        let mut big = enc;
        big[1..33].fill(0xff);
        assert_eq!(parse_point(&big), Err(Error::Crypto));
        // and it agrees with p256's SEC1 parser on valid points and on
        // every one-byte change of them
        for _ in 0..4 {
            let k = random_secret_key(&mut p).unwrap();
            let enc = sec1_uncompressed(&k.public_key()).unwrap();
            assert_eq!(parse_point(&enc), Ok(k.public_key()));
            for i in 0..enc.len() {
                let mut m = enc;
                m[i] ^= 0x01;
                assert_eq!(
                    parse_point(&m).ok(),
                    PublicKey::from_sec1_bytes(&m).ok(),
                    "byte {i}"
                );
            }
        }
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

    /// A small deterministic generator for test inputs (xorshift64).
    fn next(state: &mut u64) -> u64 {
        *state ^= *state << 13;
        *state ^= *state >> 7;
        *state ^= *state << 17;
        *state
    }

    /// Signatures whose `r` and `s` cover every DER length case: values
    /// with 0..=31 leading zero bytes, with and without the top bit set in
    /// the first non-zero byte, and the extremes 1 and n - 1.
    fn edge_signatures() -> Vec<Signature> {
        let n_minus_1 =
            hex_bytes::<32>("ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632550")
                .unwrap();
        let mut one = [0u8; 32];
        one[31] = 1;
        let mut values = vec![one, n_minus_1];
        let mut st = 0x9e37_79b9_7f4a_7c15u64;
        for zeros in 0..32 {
            for top in [0x01u8, 0x7f, 0x80, 0xff] {
                let mut v = [0u8; 32];
                for b in v.iter_mut() {
                    *b = next(&mut st).to_le_bytes()[0];
                }
                v[..zeros].fill(0);
                v[zeros] = top;
                values.push(v);
            }
        }
        let mut sigs = vec![
            Signature::from_scalars(one, one).unwrap(),
            Signature::from_scalars(n_minus_1, n_minus_1).unwrap(),
        ];
        for (i, r) in values.iter().enumerate() {
            let s = values[(i * 7 + 3) % values.len()];
            sigs.push(Signature::from_scalars(*r, s).unwrap());
            sigs.push(Signature::from_scalars(s, *r).unwrap());
        }
        sigs
    }

    /// The DER codec gives p256's encoding, byte for byte, and reads it
    /// back to the same signature.
    #[test]
    fn der_encode_is_p256_der() {
        let mut lens = std::collections::BTreeSet::new();
        for sig in edge_signatures() {
            let ours = der_encode(&sig).unwrap();
            assert_eq!(ours.as_bytes(), sig.to_der().as_bytes());
            assert_eq!(der_decode(ours.as_bytes()), Ok(sig));
            lens.insert(ours.as_bytes().len());
        }
        // from 8 bytes (r = s = 1) to the longest, 72
        assert!(
            lens.contains(&MAX_DER_SIG_LEN) && lens.contains(&8),
            "{lens:?}"
        );
        // RFC 6979 signatures of the test key encode the same way
        let secret = SecretKey::from_slice(&[0x42; 32]).unwrap();
        for i in 0u8..8 {
            let sig: Signature = SigningKey::from(&secret).sign(&[i; 3]);
            assert_eq!(
                sign_der(&secret, &[i; 3]).unwrap().as_bytes(),
                sig.to_der().as_bytes()
            );
        }
    }

    /// The decoder accepts exactly what p256's strict DER parser accepts,
    /// with the same result, on every encoding above and every one-byte
    /// change, truncation and extension of it; and a few named cases.
    #[test]
    fn der_decode_agrees_with_p256() {
        let check = |m: &[u8]| {
            let theirs = Signature::from_der(m).ok();
            assert_eq!(
                der_decode(m).ok(),
                theirs,
                "{}",
                hex_string::<200>(m).unwrap()
            );
            theirs.is_some()
        };
        let mut accepted = 0;
        for sig in edge_signatures() {
            let der = sig.to_der().as_bytes().to_vec();
            assert!(check(&der));
            for i in 0..der.len() {
                for v in [
                    0x00, 0x01, 0x02, 0x1f, 0x20, 0x21, 0x30, 0x7f, 0x80, 0x81, 0xff,
                ] {
                    let mut m = der.clone();
                    m[i] = v;
                    accepted += usize::from(check(&m));
                    m[i] = der[i].wrapping_add(1);
                    check(&m);
                    m[i] = der[i].wrapping_sub(1);
                    check(&m);
                }
                check(&der[..i]);
                let mut ins = der.clone();
                ins.insert(i, 0);
                check(&ins);
            }
            for tail in [&[0u8][..], &[0x02, 0x01, 0x01]] {
                let mut m = der.clone();
                m.extend_from_slice(tail);
                assert!(!check(&m));
            }
        }
        // a mutation may give another valid signature (a changed value
        // byte): the comparison covered both answers
        assert!(accepted > 0);
        for (bad, why) in [
            ("", "empty"),
            ("3006020101020101", "r = s = 1: valid"),
            ("308106020101020101", "long-form length"),
            ("3007020101020101", "length past the end"),
            ("30060201010201ff", "negative s"),
            ("3007020101020200 01", "redundant leading zero"),
            ("3005020101020100", "s = 0 truncated"),
            ("3006020101020100", "s = 0"),
            ("3106020101020101", "SET, not SEQUENCE"),
            ("3006030101020101", "BIT STRING, not INTEGER"),
            ("30030201010201", "truncated INTEGER"),
        ] {
            let bytes = hex_to_vec(&bad.replace(' ', ""));
            let ok = check(&bytes);
            assert_eq!(ok, why.ends_with("valid"), "{why}");
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
