//! P-256 public keys as the TA exports them: the standard encodings
//! (SEC1, SPKI DER, PEM) and ECDSA signature checks. None of this needs
//! the TA: a relying party can run it.

use mfs_proto::hex_into;
use mfs_proto::pin::EC_POINT_LEN;
use p256::PublicKey;
use p256::ecdsa::signature::Verifier;
use p256::ecdsa::{DerSignature, VerifyingKey};
use p256::pkcs8::{DecodePublicKey, EncodePublicKey, LineEnding};

use crate::codec::pem_key_error;
use crate::error::{Encoding, Error};

/// A P-256 public key as the TA exports it (SEC1 uncompressed).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EcPublicKey(PublicKey);

/// An encoding of a public key (see [`EcPublicKey::encode`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "cli", derive(clap::ValueEnum))]
pub enum PublicKeyFormat {
    /// SEC1 uncompressed point (`04 ‖ x ‖ y`, 65 bytes).
    #[cfg_attr(
        feature = "cli",
        value(help = "SEC1 uncompressed point, hex (or raw bytes with --out)")
    )]
    Sec1,
    /// X.509 SubjectPublicKeyInfo, DER.
    #[cfg_attr(
        feature = "cli",
        value(help = "SubjectPublicKeyInfo DER, hex (or raw bytes with --out)")
    )]
    Der,
    /// X.509 SubjectPublicKeyInfo, PEM (`-----BEGIN PUBLIC KEY-----`).
    #[cfg_attr(feature = "cli", value(help = "SubjectPublicKeyInfo PEM"))]
    Pem,
}

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
            .map_err(|_| pem_key_error(pem))
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
            .map_err(|_| Error::Encoding(Encoding::Der))
    }

    /// X.509 SubjectPublicKeyInfo, PEM (`-----BEGIN PUBLIC KEY-----`).
    pub fn pem(&self) -> Result<String, Error> {
        self.0
            .to_public_key_pem(LineEnding::LF)
            .map_err(|_| Error::Encoding(Encoding::Pem))
    }

    /// The key in `format` (PEM as its text's bytes).
    pub fn encode(&self, format: PublicKeyFormat) -> Result<Vec<u8>, Error> {
        match format {
            PublicKeyFormat::Sec1 => Ok(self.sec1()),
            PublicKeyFormat::Der => self.spki_der(),
            PublicKeyFormat::Pem => self.pem().map(String::into_bytes),
        }
    }

    /// Checks a DER ECDSA P-256/SHA-256 signature over `msg`.
    pub fn verify(&self, msg: &[u8], der: &[u8]) -> bool {
        let Ok(sig) = DerSignature::try_from(der) else {
            return false;
        };
        VerifyingKey::from(&self.0).verify(msg, &sig).is_ok()
    }
}

#[cfg(test)]
mod test {
    use super::*;
    use crate::codec::hex_decode;
    use crate::error::KeyError;

    /// The RFC 6979 A.2.5 P-256 key: SPKI DER is the fixed P-256 prefix
    /// (RFC 5480 id-ecPublicKey + prime256v1) followed by the SEC1 point.
    #[test]
    fn spki_and_pem_of_a_known_key() {
        let sec1 = hex_decode(
            "0460fed4ba255a9d31c961eb74c6356d68c049b8923b61fa6ce669622e60f29fb6\
             7903fe1008b8bc99a41ae9e95628bc64f2f1b20c2d7e9f5177a3c294d4462299",
        )
        .unwrap();
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
        assert_eq!(k.encode(PublicKeyFormat::Sec1).unwrap(), sec1);
        assert_eq!(k.encode(PublicKeyFormat::Der).unwrap(), der);
        assert_eq!(k.encode(PublicKeyFormat::Pem).unwrap(), pem.as_bytes());
        assert!(EcPublicKey::from_sec1(&[4; 65]).is_err());
    }

    #[test]
    fn unreadable_pem_says_why() {
        assert_eq!(
            EcPublicKey::from_pem("not a key"),
            Err(Error::Encoding(Encoding::Pem))
        );
        let private = include_str!("../../tests/guest/issuer-test-key.pem");
        assert_eq!(
            EcPublicKey::from_pem(private),
            Err(Error::Key(KeyError::Unusable))
        );
        assert_eq!(
            crate::codec::parse_hex("0g"),
            Err(Error::Encoding(Encoding::Hex))
        );
    }
}
