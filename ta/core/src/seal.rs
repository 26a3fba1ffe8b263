//! Sealing of private keys (ISO/TS 12812-2 8.2; ISO 11568): the sealed
//! blob format, its key-encryption key, and its known-answer vectors.
//!
//! # Sealed blob, version 2
//!
//! Every private key is sealed with AES-256-GCM under
//! `KEK = HKDF-SHA-256(TA-unique secret, info = "mfs-ta/key-seal/v1")`:
//!
//! | offset | size | field | |
//! |---|---|---|---|
//! | 0 | 1 | version = 2 | AAD |
//! | 1 | 8 | key id | AAD |
//! | 9 | 19 | policy, binary form (`mfs_proto::keys`) | AAD |
//! | 28 | 1 | label length `L` (1..=32) | AAD |
//! | 29 | L | label | AAD |
//! | 29+L | 65 | public key, SEC1 uncompressed | AAD |
//! | 94+L | 20 | owner: GP login code (u32 BE) ‖ identity UUID | AAD |
//! | 114+L | 12 | nonce (fresh from the TEE RNG for every seal) | |
//! | 126+L | 32 | ciphertext of the private scalar | |
//! | 158+L | 16 | GCM tag | |
//!
//! Version 1 (before client isolation) is the same without the owner
//! field; such blobs are still opened, as [`Owner::Legacy`] keys (the
//! admin identity's). New keys are always sealed as version 2.
//!
//! So the blob is `version ‖ attributes ‖ nonce ‖ ciphertext ‖ tag` with
//! everything before the nonce authenticated as AAD. Unsealing refuses an
//! unknown version, any flipped bit, a blob from another TA instance (other
//! secret) and a private key that does not match the public key, all with
//! the one opaque [`Error::BlobRejected`].
//!

use aes_gcm::aead::AeadInOut;
use aes_gcm::{Aes256Gcm, KeyInit};
use mfs_proto::pin::EC_POINT_LEN;
use mfs_proto::{
    KEY_ID_LEN, KeyIdHex, KeyInfoReply, KeyPolicy, Label, Reader, SEALED_BLOB_MAX_LEN, Writer,
    hex_bytes, hex_string, valid_label,
};
use p256::SecretKey;
use zeroize::Zeroizing;

use crate::access::{CLIENT_IDENTITY_LEN, ClientIdentity, Owner};
use crate::crypto::{self, Key32};
use crate::error::Error;
use crate::platform::Platform;

const BLOB_V1: u8 = 1;
const BLOB_V2: u8 = 2;
const SEAL_INFO: &[u8] = b"mfs-ta/key-seal/v1";
const NONCE_LEN: usize = 12;
const TAG_LEN: usize = 16;
const HEADER_MAX_LEN: usize = SEALED_BLOB_MAX_LEN - NONCE_LEN - 32 - TAG_LEN;

/// A key id: 8 random bytes, never zero (zero names the TA's attestation key).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct KeyId(pub [u8; KEY_ID_LEN]);

impl KeyId {
    /// Parses hex text (a malformed id is a bad request).
    pub fn parse(hex: &str) -> Result<KeyId, Error> {
        hex_bytes(hex).map(KeyId).ok_or(Error::BadRequest)
    }

    /// The id as hex text.
    pub fn hex(&self) -> Result<KeyIdHex, Error> {
        hex_string(&self.0).map_err(|_| Error::Internal)
    }
}

/// A key's public attributes (authenticated as AAD when sealed).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attributes {
    /// Key id.
    pub id: KeyId,
    /// Policy.
    pub policy: KeyPolicy,
    /// Label.
    pub label: Label,
    /// Public key, SEC1 uncompressed.
    pub public_key: [u8; EC_POINT_LEN],
    /// Who may use the key.
    pub owner: Owner,
}

impl Attributes {
    fn header(&self) -> Result<Writer<HEADER_MAX_LEN>, Error> {
        let mut w = Writer::new();
        (|| {
            w.u8(match self.owner {
                Owner::Legacy => BLOB_V1,
                Owner::Client(_) => BLOB_V2,
            })?;
            w.bytes(&self.id.0)?;
            w.bytes(&self.policy.to_bytes())?;
            w.short(self.label.as_bytes())?;
            w.bytes(&self.public_key)?;
            match self.owner {
                Owner::Legacy => Some(()),
                Owner::Client(c) => w.bytes(&c.to_bytes()),
            }
        })()
        .ok_or(Error::Internal)?;
        Ok(w)
    }

    /// Parses the authenticated header of a blob (not yet authenticated:
    /// only [`unseal`] proves it).
    pub fn parse_header(r: &mut Reader<'_>) -> Option<Attributes> {
        let version = r.u8()?;
        if version != BLOB_V1 && version != BLOB_V2 {
            return None;
        }
        let id = KeyId(r.array()?);
        let policy = KeyPolicy::from_bytes(&r.array()?)?;
        let label = core::str::from_utf8(r.short()?).ok()?;
        if !valid_label(label) {
            return None;
        }
        let label = Label::try_from(label).ok()?;
        let public_key = r.array()?;
        let owner = if version == BLOB_V1 {
            Owner::Legacy
        } else {
            let owner: [u8; CLIENT_IDENTITY_LEN] = r.array()?;
            Owner::Client(ClientIdentity::from_bytes(&owner)?)
        };
        Some(Attributes {
            id,
            policy,
            label,
            public_key,
            owner,
        })
    }

    /// The key's public information.
    pub fn info(&self, uses: u32) -> Result<KeyInfoReply, Error> {
        Ok(KeyInfoReply {
            id: self.id.hex()?,
            label: self.label.clone(),
            policy: self.policy,
            public_key: hex_string(&self.public_key).map_err(|_| Error::Internal)?,
            uses,
        })
    }
}

/// A sealed blob (see the module docs).
pub type Blob = heapless::Vec<u8, SEALED_BLOB_MAX_LEN>;

/// Derives the key-encryption key from the TA-unique secret.
pub fn kek(secret: &Key32) -> Key32 {
    secret.derive(SEAL_INFO)
}

/// [`kek`] into `out`, where the caller keeps it (no copy is moved).
pub fn kek_into(secret: &Key32, out: &mut Key32) {
    secret.derive_into(SEAL_INFO, out);
}

fn cipher(kek: &Key32) -> Result<Aes256Gcm, Error> {
    Aes256Gcm::new_from_slice(&kek.0).map_err(|_| Error::Internal)
}

/// Seals `secret` with `attrs` bound as AAD, under a fresh random nonce.
pub fn seal(
    p: &mut impl Platform,
    kek: &Key32,
    attrs: &Attributes,
    secret: &SecretKey,
) -> Result<Blob, Error> {
    let header = attrs.header()?;
    let mut nonce = [0u8; NONCE_LEN];
    p.random(&mut nonce)?;
    let mut buf = Zeroizing::new(secret.to_bytes());
    let tag = cipher(kek)?
        .encrypt_inout_detached(&nonce.into(), header.as_slice(), buf.as_mut_slice().into())
        .map_err(|_| Error::Crypto)?;
    let mut blob = Blob::new();
    for part in [header.as_slice(), &nonce, buf.as_slice(), tag.as_slice()] {
        blob.extend_from_slice(part).map_err(|_| Error::Internal)?;
    }
    Ok(blob)
}

/// Opens a blob: its attributes and private key, or [`Error::BlobRejected`].
pub fn unseal(kek: &Key32, blob: &[u8]) -> Result<(Attributes, SecretKey), Error> {
    unseal_inner(kek, blob).ok_or(Error::BlobRejected)
}

fn unseal_inner(kek: &Key32, blob: &[u8]) -> Option<(Attributes, SecretKey)> {
    let mut r = Reader::new(blob);
    let attrs = Attributes::parse_header(&mut r)?;
    let aad = blob.get(..blob.len().checked_sub(r.rest().len())?)?;
    let nonce: [u8; NONCE_LEN] = r.array()?;
    let mut buf: Zeroizing<[u8; 32]> = Zeroizing::new(r.array()?);
    let tag: [u8; TAG_LEN] = r.array()?;
    r.finish()?;
    cipher(kek)
        .ok()?
        .decrypt_inout_detached(&nonce.into(), aad, buf.as_mut_slice().into(), &tag.into())
        .ok()?;
    let secret = SecretKey::from_slice(buf.as_slice()).ok()?;
    let public = crypto::sec1_uncompressed(&secret.public_key()).ok()?;
    crypto::ct_eq(&public, &attrs.public_key).then_some((attrs, secret))
}

#[cfg(test)]
mod test {
    use super::*;
    use crate::mem::MemPlatform;
    use crate::testkit::sign_policy as policy;

    /// AES-256-GCM, "The Galois/Counter Mode of Operation (GCM)"
    /// (McGrew, Viega), test case 16 (256-bit key, 60-byte plaintext,
    /// 20-byte AAD), cross-checked with pyca/cryptography.
    #[test]
    fn aes256_gcm_known_answer() {
        let k = Key32(
            hex_bytes("feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308").unwrap(),
        );
        let iv: [u8; 12] = hex_bytes("cafebabefacedbaddecaf888").unwrap();
        let aad: [u8; 20] = hex_bytes("feedfacedeadbeeffeedfacedeadbeefabaddad2").unwrap();
        let mut buf: [u8; 60] = hex_bytes(
            "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72\
             1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39",
        )
        .unwrap();
        let tag = cipher(&k)
            .unwrap()
            .encrypt_inout_detached(&iv.into(), &aad, buf.as_mut_slice().into())
            .unwrap();
        assert_eq!(
            hex_string::<120>(&buf).unwrap().as_str(),
            "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa\
             8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662"
        );
        assert_eq!(
            hex_string::<32>(&tag).unwrap().as_str(),
            "76fc6ece0f4e1768cddf8853bb2d551b"
        );
        let mut bad_tag: [u8; 16] = tag.into();
        bad_tag[15] ^= 1;
        assert!(
            cipher(&k)
                .unwrap()
                .decrypt_inout_detached(
                    &iv.into(),
                    &aad,
                    buf.as_mut_slice().into(),
                    &bad_tag.into()
                )
                .is_err()
        );
    }

    const OWNER: ClientIdentity = ClientIdentity {
        login: mfs_proto::Login::User,
        uuid: [0x33; 16],
    };

    fn sample_of(owner: Owner) -> (MemPlatform, Key32, Attributes, SecretKey, Blob) {
        let mut p = MemPlatform::new();
        let k = kek(&Key32([0x24; 32]));
        let secret = crypto::random_secret_key(&mut p).unwrap();
        let attrs = Attributes {
            id: KeyId([7; 8]),
            policy: policy(),
            label: "pay".try_into().unwrap(),
            public_key: crypto::sec1_uncompressed(&secret.public_key()).unwrap(),
            owner,
        };
        let blob = seal(&mut p, &k, &attrs, &secret).unwrap();
        (p, k, attrs, secret, blob)
    }

    fn sample() -> (MemPlatform, Key32, Attributes, SecretKey, Blob) {
        sample_of(Owner::Client(OWNER))
    }

    #[test]
    fn legacy_blobs_open_as_legacy_keys() {
        let (_, k, attrs, _, blob) = sample_of(Owner::Legacy);
        assert_eq!(blob[0], BLOB_V1);
        assert_eq!(blob.len(), 1 + 8 + 19 + 1 + 3 + 65 + 12 + 32 + 16);
        assert_eq!(unseal(&k, &blob).unwrap().0, attrs);
        // a version-1 header relabelled as version 2 does not open
        let mut v2 = blob.clone();
        v2[0] = BLOB_V2;
        assert_eq!(unseal(&k, &v2).err(), Some(Error::BlobRejected));
    }

    #[test]
    fn seal_round_trip_and_layout() {
        let (mut p, k, attrs, secret, blob) = sample();
        assert_eq!(blob.len(), 1 + 8 + 19 + 1 + 3 + 65 + 20 + 12 + 32 + 16);
        assert_eq!(blob[0], BLOB_V2);
        assert_eq!(&blob[1..9], &[7; 8]);
        assert_eq!(blob[94 + 3..][..20], OWNER.to_bytes());
        // the private key is not in the blob in clear
        let raw = secret.to_bytes();
        assert!(!blob.windows(32).any(|w| w == raw.as_slice()));
        let (a, s) = unseal(&k, &blob).unwrap();
        assert_eq!(a, attrs);
        assert_eq!(s.to_bytes(), secret.to_bytes());
        // a fresh nonce for every seal
        let again = seal(&mut p, &k, &attrs, &secret).unwrap();
        assert_ne!(again[114 + 3..][..12], blob[114 + 3..][..12]);
        assert_ne!(again, blob);
    }

    #[test]
    fn every_flipped_bit_is_rejected() {
        let (_, k, _, _, blob) = sample();
        for i in 0..blob.len() * 8 {
            let mut t = blob.clone();
            t[i / 8] ^= 1 << (i % 8);
            assert_eq!(unseal(&k, &t).err(), Some(Error::BlobRejected), "bit {i}");
        }
        for n in 0..blob.len() {
            assert_eq!(unseal(&k, &blob[..n]).err(), Some(Error::BlobRejected));
        }
        let mut long = blob.clone();
        long.push(0).unwrap();
        assert_eq!(unseal(&k, &long).err(), Some(Error::BlobRejected));
    }

    #[test]
    fn unknown_version_and_other_instance_are_rejected() {
        let (_, k, _, _, blob) = sample();
        for v in [0, 1, 3, 0xff] {
            let mut other = blob.clone();
            other[0] = v;
            assert_eq!(unseal(&k, &other).err(), Some(Error::BlobRejected));
        }
        // another TA instance: another secret, another KEK
        let other = Key32([0x42; 32]).derive(SEAL_INFO);
        assert_eq!(unseal(&other, &blob).err(), Some(Error::BlobRejected));
    }

    #[test]
    fn mismatched_public_key_is_rejected() {
        let (mut p, k, mut attrs, secret, _) = sample();
        let other = crypto::random_secret_key(&mut p).unwrap();
        attrs.public_key = crypto::sec1_uncompressed(&other.public_key()).unwrap();
        let blob = seal(&mut p, &k, &attrs, &secret).unwrap();
        assert_eq!(unseal(&k, &blob).err(), Some(Error::BlobRejected));
    }
}
