//! Client-side key helpers: standard public key encodings (SEC1, SPKI DER,
//! PEM), ECDSA signature checks, and verification of the TA's attestation
//! statements. None of this needs the TA: a relying party can run it.

use mfs_proto::pin::EC_POINT_LEN;
use mfs_proto::{KeyAttestReply, Statement, hex_into};
use p256::PublicKey;
use p256::ecdsa::signature::Verifier;
use p256::ecdsa::{DerSignature, VerifyingKey};
use p256::pkcs8::{DecodePublicKey, EncodePublicKey, LineEnding};

use crate::Error;

/// Lowercase hex text of `bytes`.
pub fn hex_encode(bytes: &[u8]) -> String {
    mfs_proto::Hex(bytes).to_string()
}

/// Decodes hex text of any even length (either case).
pub fn hex_decode(s: &str) -> Option<Vec<u8>> {
    let mut b = vec![0u8; s.len() / 2];
    hex_into(s, &mut b)?;
    Some(b)
}

/// A P-256 public key as the TA exports it (SEC1 uncompressed).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EcPublicKey(PublicKey);

impl EcPublicKey {
    /// Parses SEC1 (compressed or uncompressed); refuses points off the curve.
    pub fn from_sec1(bytes: &[u8]) -> Result<Self, Error> {
        PublicKey::from_sec1_bytes(bytes)
            .map(EcPublicKey)
            .map_err(|_| Error::BadReply)
    }

    /// Parses SEC1 hex (as in TA replies).
    pub fn from_sec1_hex(hex: &str) -> Result<Self, Error> {
        let mut b = [0u8; EC_POINT_LEN];
        hex_into(hex, &mut b).ok_or(Error::BadReply)?;
        Self::from_sec1(&b)
    }

    /// Parses an SPKI `PUBLIC KEY` PEM.
    pub fn from_pem(pem: &str) -> Result<Self, Error> {
        PublicKey::from_public_key_pem(pem)
            .map(EcPublicKey)
            .map_err(|_| Error::Input)
    }

    /// SEC1 uncompressed (`04 ‖ x ‖ y`, 65 bytes).
    pub fn sec1(&self) -> Vec<u8> {
        use p256::elliptic_curve::sec1::ToSec1Point;
        self.0.to_sec1_point(false).as_bytes().to_vec()
    }

    /// X.509 SubjectPublicKeyInfo, DER (`openssl pkey -pubin -inform DER`).
    pub fn spki_der(&self) -> Result<Vec<u8>, Error> {
        self.0
            .to_public_key_der()
            .map(|d| d.as_bytes().to_vec())
            .map_err(|_| Error::Input)
    }

    /// X.509 SubjectPublicKeyInfo, PEM (`-----BEGIN PUBLIC KEY-----`).
    pub fn pem(&self) -> Result<String, Error> {
        self.0
            .to_public_key_pem(LineEnding::LF)
            .map_err(|_| Error::Input)
    }

    /// Checks a DER ECDSA P-256/SHA-256 signature over `msg`.
    pub fn verify(&self, msg: &[u8], der: &[u8]) -> bool {
        let Ok(sig) = DerSignature::try_from(der) else {
            return false;
        };
        VerifyingKey::from(&self.0).verify(msg, &sig).is_ok()
    }
}

/// Why an attestation was not accepted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AttestationError {
    /// The statement is not a well-formed version 1 statement.
    Malformed,
    /// The signature does not verify under the attestation key.
    BadSignature,
    /// The statement answers another challenge.
    ChallengeMismatch,
    /// The statement is about another public key than the one expected.
    KeyMismatch,
    /// Signed by a key other than the pinned attestation key.
    UntrustedAttestationKey,
}

impl core::fmt::Display for AttestationError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str(match self {
            AttestationError::Malformed => "statement malformed",
            AttestationError::BadSignature => "signature does not verify",
            AttestationError::ChallengeMismatch => "challenge does not match",
            AttestationError::KeyMismatch => "statement is about another key",
            AttestationError::UntrustedAttestationKey => "signed by an untrusted attestation key",
        })
    }
}

/// A verified attestation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Attestation {
    /// The decoded statement.
    pub statement: Statement,
    /// The statement's bytes as signed.
    pub statement_bytes: Vec<u8>,
    /// The DER signature.
    pub signature: Vec<u8>,
    /// The key that signed it.
    pub attestation_key: EcPublicKey,
}

/// Verifies a `KeyAttest` reply: signature, challenge, and (when given)
/// the attested public key and a pinned attestation key. Without a pinned
/// key the signature only proves the statement came from whoever holds
/// the returned key: on OP-TEE QEMU that key is made by the TA itself and
/// no manufacturer certifies it (see `docs/threat-model.md`).
pub fn verify_attestation(
    reply: &KeyAttestReply,
    challenge: &[u8],
    expected_key: Option<&EcPublicKey>,
    pinned: Option<&EcPublicKey>,
) -> Result<Attestation, AttestationError> {
    let statement_bytes = hex_decode(&reply.statement).ok_or(AttestationError::Malformed)?;
    let signature = hex_decode(&reply.signature).ok_or(AttestationError::Malformed)?;
    let attestation_key = EcPublicKey::from_sec1_hex(&reply.attestation_key)
        .map_err(|_| AttestationError::Malformed)?;
    if pinned.is_some_and(|p| *p != attestation_key) {
        return Err(AttestationError::UntrustedAttestationKey);
    }
    if !attestation_key.verify(&statement_bytes, &signature) {
        return Err(AttestationError::BadSignature);
    }
    let statement = Statement::decode(&statement_bytes).ok_or(AttestationError::Malformed)?;
    if statement.challenge.as_slice() != challenge {
        return Err(AttestationError::ChallengeMismatch);
    }
    if expected_key.is_some_and(|k| k.sec1() != statement.public_key) {
        return Err(AttestationError::KeyMismatch);
    }
    Ok(Attestation {
        statement,
        statement_bytes,
        signature,
        attestation_key,
    })
}

#[cfg(test)]
mod test {
    use super::*;

    /// The RFC 6979 A.2.5 P-256 key: SPKI DER is the fixed P-256 prefix
    /// (RFC 5480 id-ecPublicKey + prime256v1) followed by the SEC1 point.
    #[test]
    fn spki_and_pem_of_a_known_key() {
        let sec1: Vec<u8> = (0..65)
            .map(|i| {
                let h = "0460fed4ba255a9d31c961eb74c6356d68c049b8923b61fa6ce669622e60f29fb6\
                         7903fe1008b8bc99a41ae9e95628bc64f2f1b20c2d7e9f5177a3c294d4462299";
                u8::from_str_radix(&h[2 * i..2 * i + 2], 16).unwrap()
            })
            .collect();
        let k = EcPublicKey::from_sec1(&sec1).unwrap();
        let der = k.spki_der().unwrap();
        let prefix = [
            0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01, 0x06,
            0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00,
        ];
        assert_eq!(&der[..26], &prefix);
        assert_eq!(&der[26..], sec1.as_slice());
        let pem = k.pem().unwrap();
        assert!(pem.starts_with("-----BEGIN PUBLIC KEY-----\n"));
        assert_eq!(EcPublicKey::from_pem(&pem).unwrap(), k);
        assert_eq!(k.sec1(), sec1);
        assert!(EcPublicKey::from_sec1(&[4; 65]).is_err());
    }
}
