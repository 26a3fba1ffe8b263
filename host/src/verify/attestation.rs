//! Verification of the TA's key attestation statements (no TA needed).
//!
//! A `KeyAttest` reply carries a version 1 statement (`mfs_proto::Statement`),
//! a DER ECDSA P-256/SHA-256 signature over it and the key that signed it.
//! [`verify_attestation`] checks all three against what the relying party
//! expects.

use mfs_proto::{KeyAttestReply, Statement};

use crate::codec::hex_decode;
pub use crate::error::AttestationError;
use crate::pubkey::EcPublicKey;

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
